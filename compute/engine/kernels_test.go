package engine

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// The cgo build runs C kernels; these tests hold them to the Go kernels
// they mirror bit for bit, on lengths that leave vector tails and on
// channel ranges that split a batch: the C is compiled in ISO mode (no
// multiply-add fused into an FMA) and adds in the Go order, so its AVX2
// and SSE2 clones round as Go does on every CPU, which the deterministic
// build relies on. (Under purego both sides are the Go kernels.)

func randSlice(r *rand.Rand, n int) []float32 {
	s := make([]float32, n)
	for i := range s {
		s[i] = float32(r.NormFloat64())
	}
	return s
}

func sameBits(t *testing.T, what string, got, want []float32) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d values, want %d", what, len(got), len(want))
	}
	for i := range want {
		if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
			t.Fatalf("%s[%d] = %v, want %v bit for bit", what, i, got[i], want[i])
		}
	}
}

func TestBatchNormKernelsMatchGo(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	for _, m := range []int{1, 7, 8, 255, 256, 257, 1000} {
		x, g, y, res := randSlice(r, m), randSlice(r, m), randSlice(r, m), randSlice(r, m)
		for i := range x {
			x[i] += 3 // a large mean, as after a ReLU
		}
		mu, v := bnMoments(x)
		muG, vG := bnMomentsGo(x)
		if mu != muG || v != vG {
			t.Fatalf("m=%d: moments %v %v, Go %v %v", m, mu, v, muG, vG)
		}
		for _, relu := range []bool{false, true} {
			for _, r := range [][]float32{nil, res} {
				out, outG := make([]float32, m), make([]float32, m)
				bnApply(x, r, out, 0.7, -0.2, relu)
				bnApplyGo(x, r, outG, 0.7, -0.2, relu)
				sameBits(t, fmt.Sprintf("apply m=%d relu=%v res=%v", m, relu, r != nil), out, outG)
			}
			for _, keep := range []bool{false, true} {
				var gm, gmG []float32
				if keep {
					gm, gmG = make([]float32, m), make([]float32, m)
				}
				sg, sgc := bnGradSums(g, y, x, 3, relu, gm)
				sgG, sgcG := bnGradSumsGo(g, y, x, 3, relu, gmG)
				if sg != sgG || sgc != sgcG {
					t.Fatalf("grad sums m=%d relu=%v: %v %v, Go %v %v", m, relu, sg, sgc, sgG, sgcG)
				}
				if keep {
					sameBits(t, "masked gradient", gm, gmG)
				}
			}
			dx, dxG := make([]float32, m), make([]float32, m)
			bnGradX(g, y, x, relu, 0.9, -0.1, 0.05, dx)
			bnGradXGo(g, y, x, relu, 0.9, -0.1, 0.05, dxG)
			sameBits(t, "grad x", dx, dxG)
			for _, want := range [][2]bool{{true, true}, {true, false}, {false, true}} {
				alloc := func(on bool) []float32 {
					if on {
						return make([]float32, m)
					}
					return nil
				}
				gm, gmG, ex, exG := alloc(want[0]), alloc(want[0]), alloc(want[1]), alloc(want[1])
				bnGradEval(g, y, relu, 0.9, gm, ex)
				bnGradEvalGo(g, y, relu, 0.9, gmG, exG)
				what := fmt.Sprintf("eval grads m=%d relu=%v residual=%v input=%v", m, relu, want[0], want[1])
				sameBits(t, what+" residual", gm, gmG)
				sameBits(t, what+" input", ex, exG)
				if want[0] && want[1] {
					// Eval mode is bnGradX with c1 = c0 = 0.
					bnGradXGo(g, y, x, relu, 0.9, 0, 0, dxG)
					for i := range dxG {
						if ex[i] != dxG[i] {
							t.Fatalf("%s: dx[%d] = %v, training formula with c1 = c0 = 0 gives %v", what, i, ex[i], dxG[i])
						}
					}
				}
			}
		}
	}
}

func TestReLUMaskKernelMatchesGo(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	g, y := randSlice(r, 1003), randSlice(r, 1003)
	out, outG := randSlice(r, 1003), randSlice(r, 1003)
	reluMask(g, y, out)
	reluMaskGo(g, y, outG)
	sameBits(t, "masked", out, outG)
}

func TestAdamKernelMatchesGo(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	const n = 1001
	w, g := randSlice(r, n), randSlice(r, n)
	m, v := randSlice(r, n), randSlice(r, n)
	for i := range v {
		v[i] *= v[i]
	}
	w2, m2, v2 := append([]float32(nil), w...), append([]float32(nil), m...), append([]float32(nil), v...)
	h := AdamHyper{Step: 0.01, InvSqrtBC2: 1.3, Beta1: 0.9, Beta2: 0.999, Eps: 1e-8, WeightDecay: 0.01}
	AdamUpdate(w, g, m, v, h)
	adamUpdateGo(w2, g, m2, v2, h)
	sameBits(t, "w", w, w2)
	sameBits(t, "m", m, m2)
	sameBits(t, "v", v, v2)
}

func TestWinogradKernelsMatchGo(t *testing.T) {
	r := rand.New(rand.NewPCG(9, 9))
	for _, sh := range []Shape{{3, 5, 7, 9}, {2, 4, 4, 4}, {3, 3, 1, 2}, {2, 2, 13, 6}} {
		g := convGeom{in: sh, out: Shape{sh.N, 3, sh.H, sh.W}, kh: 3, kw: 3, stride: 1, pad: 1, algo: algoWinograd}
		n0, n1 := 1, sh.N // a chunk that does not start at image 0
		c0, c1 := 1, sh.C-1
		tc := g.tileCount(n0, n1)
		x := randSlice(r, sh.Size())
		v, vG := make([]float32, winoXi*winoPlane(sh.C, tc)), make([]float32, winoXi*winoPlane(sh.C, tc))
		winoInput(x, g, n0, n1, c0, c1, v)
		winoInputGo(x, g, n0, n1, c0, c1, vG)
		sameBits(t, fmt.Sprintf("%v input", sh), v, vG)

		dv := randSlice(r, len(v))
		dx, dxG := randSlice(r, sh.Size()), make([]float32, sh.Size())
		copy(dxG, dx)
		winoInputGrad(dv, g, n0, n1, c0, c1, dx)
		winoInputGradGo(dv, g, n0, n1, c0, c1, dxG)
		sameBits(t, fmt.Sprintf("%v input gradient", sh), dx, dxG)

		oc := g.out.C
		m := randSlice(r, winoXi*winoPlane(oc, tc))
		bias := randSlice(r, oc)
		for _, relu := range []bool{false, true} {
			y, yG := randSlice(r, g.out.Size()), make([]float32, g.out.Size())
			copy(yG, y)
			winoOutput(m, g, n0, n1, 0, oc, bias, relu, y)
			winoOutputGo(m, g, n0, n1, 0, oc, bias, relu, yG)
			sameBits(t, fmt.Sprintf("%v output relu=%v", sh, relu), y, yG)
		}
		gy := randSlice(r, g.out.Size())
		dm, dmG := make([]float32, len(m)), make([]float32, len(m))
		winoOutputGrad(gy, g, n0, n1, 1, oc, dm)
		winoOutputGradGo(gy, g, n0, n1, 1, oc, dmG)
		sameBits(t, fmt.Sprintf("%v output gradient", sh), dm, dmG)

		w := randSlice(r, oc*sh.C*9)
		u, uG := make([]float32, winoXi*winoPlane(oc, sh.C)), make([]float32, winoXi*winoPlane(oc, sh.C))
		winoWeights(w, oc, sh.C, u)
		winoWeightsGo(w, oc, sh.C, uG)
		sameBits(t, "weights", u, uG)
		du := randSlice(r, len(u))
		dw, dwG := make([]float32, len(w)), make([]float32, len(w))
		winoWeightGrad(du, oc, sh.C, dw)
		winoWeightGradGo(du, oc, sh.C, dwG)
		sameBits(t, "weight gradient", dw, dwG)
	}
}

func TestIm2colKernelsMatchGo(t *testing.T) {
	r := rand.New(rand.NewPCG(9, 10))
	for _, c := range []struct {
		in                  Shape
		kh, kw, stride, pad int
	}{
		{Shape{N: 3, C: 2, H: 7, W: 7}, 3, 3, 1, 1}, // same width: shifted copies
		{Shape{N: 3, C: 2, H: 7, W: 7}, 3, 3, 2, 1}, // ResNet's strided 3x3
		{Shape{N: 2, C: 3, H: 8, W: 6}, 1, 1, 2, 0}, // strided 1x1 shortcut
		{Shape{N: 2, C: 1, H: 9, W: 9}, 7, 7, 2, 3}, // ImageNet stem
		{Shape{N: 2, C: 2, H: 5, W: 4}, 3, 2, 3, 1}, // stride 3, uneven kernel
		{Shape{N: 2, C: 2, H: 2, W: 2}, 3, 3, 1, 1}, // image smaller than the kernel
		{Shape{N: 4, C: 2, H: 6, W: 5}, 3, 3, 1, 0}, // stride 1, narrower output
	} {
		out, err := ConvOutShape(c.in, 4, c.kh, c.kw, c.stride, c.pad)
		if err != nil {
			t.Fatal(err)
		}
		g := convGeom{in: c.in, out: out, kh: c.kh, kw: c.kw, stride: c.stride, pad: c.pad}
		name := fmt.Sprintf("%+v k%dx%d s%d p%d", c.in, c.kh, c.kw, c.stride, c.pad)
		x := randSlice(r, c.in.Size())
		for _, rng := range [][2]int{{0, c.in.N}, {1, c.in.N}} {
			n0, n1 := rng[0], rng[1]
			size := g.k() * (n1 - n0) * out.H * out.W
			cols, colsG := randSlice(r, size), make([]float32, size)
			im2col(x, g, n0, n1, cols)
			im2colGo(x, g, n0, n1, colsG)
			sameBits(t, name+" im2col", cols, colsG)
			dcols := randSlice(r, size)
			dcolsG := append([]float32(nil), dcols...)
			dx, dxG := randSlice(r, c.in.Size()), make([]float32, c.in.Size())
			copy(dxG, dx) // images outside [n0, n1) must stay as they were
			col2im(dcols, g, n0, n1, dx)
			col2imGo(dcolsG, g, n0, n1, dxG)
			sameBits(t, name+" col2im", dx, dxG)
		}
	}
}
