package engine

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/nlpodyssey/spago/ag"
)

// convWith builds a 3x3 stride-1 padding-1 convolution on the given
// algorithm and scratch budget, bypassing Conv2d's choice.
func convWith(ar *Arena, x, w, b *Tensor, in Shape, cout int, relu bool, algo convAlgo, budget int) *ag.Operator {
	os, err := ConvOutShape(in, cout, 3, 3, 1, 1)
	if err != nil {
		panic(err)
	}
	op := &conv2d{ar: ar, x: x, w: w, relu: relu, g: convGeom{in: in, out: os, kh: 3, kw: 3, stride: 1, pad: 1, budget: budget, algo: algo}}
	if b != nil {
		op.b = b
	}
	return ag.NewOperator(op).Run()
}

func TestChooseAlgo(t *testing.T) {
	for _, tc := range []struct {
		in              Shape
		kh, kw, st, pad int
		want            convAlgo
	}{
		{Shape{2, 64, 28, 28}, 3, 3, 1, 1, algoWinograd},
		{Shape{2, 1, 28, 28}, 3, 3, 1, 1, algoIm2col},  // the stem: too few channels
		{Shape{2, 64, 28, 28}, 3, 3, 2, 1, algoIm2col}, // strided
		{Shape{2, 64, 28, 28}, 1, 1, 1, 0, algoIm2col},
		{Shape{2, 64, 28, 28}, 3, 3, 1, 0, algoIm2col}, // valid padding
	} {
		if got := chooseAlgo(tc.in.C, tc.kh, tc.kw, tc.st, tc.pad); got != tc.want {
			t.Errorf("chooseAlgo(%v, %dx%d s%d p%d) = %d, want %d", tc.in, tc.kh, tc.kw, tc.st, tc.pad, got, tc.want)
		}
	}
}

// TestWinogradTransformsByHand checks both forward transforms on inputs
// whose transforms are outer products worked out by hand.
func TestWinogradTransformsByHand(t *testing.T) {
	// The centre tap g = e₁e₁ᵀ: G g Gᵀ = (G e₁)(G e₁)ᵀ, G e₁ = (0, -⅙, ⅙, 1/12, -1/12, 0).
	w := make([]float32, 9)
	w[4] = 1
	u := make([]float32, winoXi*winoPlane(1, 1))
	winoWeights(w, 1, 1, u)
	col := []float64{0, -1.0 / 6, 1.0 / 6, 1.0 / 12, -1.0 / 12, 0}
	for r := 0; r < winoA; r++ {
		for s := 0; s < winoA; s++ {
			if want := col[r] * col[s]; math.Abs(float64(u[(winoA*r+s)*winoPlane(1, 1)])-want) > 1e-7 {
				t.Errorf("U[%d][%d] = %v, want %v", r, s, u[(winoA*r+s)*winoPlane(1, 1)], want)
			}
		}
	}
	// A 4x4 image of ones is one tile; with the padding ring its 6x6 input
	// is d = a aᵀ with a = (0,1,1,1,1,0), so V = (Bᵀa)(Bᵀa)ᵀ and
	// Bᵀa = (-5+1, -4-4+1+1, 4-4-1+1, -2-1+2+1, 2-1-2+1, 4-5) = (-4,-6,0,0,0,-1).
	g := convGeom{in: Shape{1, 1, 4, 4}, out: Shape{1, 1, 4, 4}, kh: 3, kw: 3, stride: 1, pad: 1}
	ones := make([]float32, 16)
	for i := range ones {
		ones[i] = 1
	}
	v := make([]float32, winoXi*winoPlane(1, 1))
	winoInput(ones, g, 0, 1, 0, 1, v)
	b := []float32{-4, -6, 0, 0, 0, -1}
	for r := 0; r < winoA; r++ {
		for s := 0; s < winoA; s++ {
			if got, want := v[(winoA*r+s)*winoPlane(1, 1)], b[r]*b[s]; got != want {
				t.Errorf("V[%d][%d] = %v, want %v", r, s, got, want)
			}
		}
	}
}

// TestWinogradMatchesIm2col runs forward and backward on both algorithms
// over shapes with odd sizes (partial tiles), images smaller than a tile,
// bias and ReLU, and chunk budgets from one image per chunk to the batch.
func TestWinogradMatchesIm2col(t *testing.T) {
	cases := []struct {
		in     Shape
		cout   int
		relu   bool
		budget int
	}{
		{Shape{3, 5, 6, 6}, 4, false, 0},
		{Shape{3, 5, 7, 5}, 6, true, 0},
		{Shape{5, 4, 7, 9}, 3, false, 1}, // one image per chunk
		{Shape{2, 3, 1, 1}, 2, false, 0},
		{Shape{2, 3, 2, 1}, 2, true, 0},
		{Shape{4, 16, 4, 4}, 8, true, 600},
		{Shape{2, 8, 3, 11}, 5, false, 0},
	}
	for _, tc := range cases {
		t.Run(fmt.Sprintf("%v_cout%d_relu%v_budget%d", tc.in, tc.cout, tc.relu, tc.budget), func(t *testing.T) {
			r := rand.New(rand.NewPCG(3, uint64(tc.in.Size())))
			x := randTensor(r, tc.in.C, tc.in.Cols(), 1, true)
			w := randTensor(r, tc.cout, tc.in.C*9, 0.5, true)
			b := randTensor(r, tc.cout, 1, 0.5, true)
			seed := randTensor(r, tc.cout, tc.in.Cols(), 1, false)
			run := func(algo convAlgo) (y, dx, dw, db []float32) {
				x.ZeroGrad()
				w.ZeroGrad()
				b.ZeroGrad()
				out := convWith(&Arena{}, x, w, b, tc.in, tc.cout, tc.relu, algo, tc.budget)
				out.AccGrad(NewTensor(append([]float32(nil), seed.data...), tc.cout, tc.in.Cols()))
				if err := ag.Backward(out); err != nil {
					t.Fatal(err)
				}
				cp := func(s []float32) []float32 { return append([]float32(nil), s...) }
				return cp(Data(out)), cp(x.GradRaw()), cp(w.GradRaw()), cp(b.GradRaw())
			}
			y1, dx1, dw1, db1 := run(algoIm2col)
			y2, dx2, dw2, db2 := run(algoWinograd)
			for _, c := range []struct {
				name string
				a, b []float32
			}{{"y", y1, y2}, {"dx", dx1, dx2}, {"dW", dw1, dw2}, {"db", db1, db2}} {
				if len(c.a) != len(c.b) {
					t.Fatalf("%s: %d values from im2col, %d from Winograd", c.name, len(c.a), len(c.b))
				}
				var scale float64
				for _, v := range c.a {
					scale = max(scale, math.Abs(float64(v)))
				}
				for i := range c.a {
					if d := math.Abs(float64(c.a[i] - c.b[i])); d > 1e-5*(1+scale) {
						t.Fatalf("%s[%d]: im2col %v, Winograd %v", c.name, i, c.a[i], c.b[i])
					}
				}
			}
		})
	}
}

// TestWinogradGradients checks the Winograd convolution against finite
// differences directly, not only against im2col.
func TestWinogradGradients(t *testing.T) {
	r := rand.New(rand.NewPCG(9, 10))
	in := Shape{2, 3, 5, 4}
	x := randTensor(r, in.C, in.Cols(), 1, true)
	w := randTensor(r, 4, in.C*9, 0.5, true)
	b := randTensor(r, 4, 1, 0.5, true)
	ins := map[string]*Tensor{"x": x, "w": w, "b": b}
	gradCheck(t, r, ins, func(ar *Arena) (*ag.Operator, error) {
		return convWith(ar, x, w, b, in, 4, false, algoWinograd, 0), nil
	}, 1e-2, 1e-3, 60)
}
