package engine

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/nlpodyssey/spago/ag"
)

// BenchmarkConv3x3 times one training pass (forward, backward to input and
// weight) of ResNet18's 3x3 stride-1 convolutions at 28 px, batch 32, on
// each algorithm, so the Winograd speed-up can be read per layer:
//
//	go test -run '^$' -bench Conv3x3 -benchtime 20x ./compute/engine/
//
// GFLOPS counts the direct convolution's multiply-adds (2*9*Cin*Cout per
// output pixel, three times for the three products of a training pass), so
// Winograd can exceed the machine's GEMM peak.
func BenchmarkConv3x3(b *testing.B) {
	for _, sh := range []Shape{{32, 64, 28, 28}, {32, 128, 14, 14}, {32, 256, 7, 7}, {32, 512, 4, 4}} {
		for _, algo := range []convAlgo{algoIm2col, algoWinograd} {
			name := map[convAlgo]string{algoIm2col: "im2col", algoWinograd: "winograd"}[algo]
			b.Run(fmt.Sprintf("C%d_%dx%d/%s", sh.C, sh.H, sh.W, name), func(b *testing.B) {
				r := rand.New(rand.NewPCG(1, 1))
				x := randTensor(r, sh.C, sh.Cols(), 1, true)
				w := randTensor(r, sh.C, sh.C*9, 0.05, true)
				seed := randTensor(r, sh.C, sh.Cols(), 1, false)
				ar := &Arena{}
				pass := func() {
					ar.Reset()
					x.ZeroGrad()
					w.ZeroGrad()
					y := convWith(ar, x, w, nil, sh, sh.C, false, algo, 0)
					y.AccGrad(NewTensor(append([]float32(nil), seed.data...), sh.C, sh.Cols()))
					if err := ag.Backward(y); err != nil {
						b.Fatal(err)
					}
				}
				pass()
				b.ResetTimer()
				for b.Loop() {
					pass()
				}
				flops := 3 * 2 * 9 * float64(sh.C*sh.C) * float64(sh.Cols())
				b.ReportMetric(flops*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOPS")
			})
		}
	}
}

// BenchmarkWinoTransforms times each tile transform on a whole batch of 32
// at the sizes of layer1, layer3 and layer4 at 28 px, on one goroutine:
//
//	go test -run '^$' -bench WinoTransforms ./compute/engine/
func BenchmarkWinoTransforms(b *testing.B) {
	for _, in := range []Shape{{32, 64, 28, 28}, {32, 256, 7, 7}, {32, 512, 4, 4}} {
		g := convGeom{in: in, out: in, kh: 3, kw: 3, stride: 1, pad: 1, algo: algoWinograd}
		r := rand.New(rand.NewPCG(1, 1))
		x := randTensor(r, in.C, in.Cols(), 1, false).data
		tc := g.tileCount(0, in.N)
		v := make([]float32, winoXi*winoPlane(in.C, tc))
		dx := make([]float32, in.Size())
		b.Run(fmt.Sprintf("C%d_%dx%d/input", in.C, in.H, in.W), func(b *testing.B) {
			for b.Loop() {
				winoInput(x, g, 0, in.N, 0, in.C, v)
			}
		})
		b.Run(fmt.Sprintf("C%d_%dx%d/inputgrad", in.C, in.H, in.W), func(b *testing.B) {
			for b.Loop() {
				winoInputGrad(v, g, 0, in.N, 0, in.C, dx)
			}
		})
		b.Run(fmt.Sprintf("C%d_%dx%d/output", in.C, in.H, in.W), func(b *testing.B) {
			for b.Loop() {
				winoOutput(v, g, 0, in.N, 0, in.C, nil, true, dx)
			}
		})
		b.Run(fmt.Sprintf("C%d_%dx%d/outputgrad", in.C, in.H, in.W), func(b *testing.B) {
			for b.Loop() {
				winoOutputGrad(x, g, 0, in.N, 0, in.C, v)
			}
		})
	}
}
