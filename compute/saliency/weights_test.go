package saliency

import (
	"math"
	"math/rand/v2"
	"testing"
)

// The cgo build computes Grad-CAM++ weights in C; they must equal the Go
// reference bit for bit, on plane sizes that leave vector tails, on both
// layouts, with zero, negative and NaN gradients and with a denominator
// that is exactly 0. (Under purego both sides are the Go reference.)
func TestGradCAMPPWeightsMatchGo(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	for _, hw := range []int{1, 7, 8, 9, 16, 49, 196, 784} {
		const n, c = 3, 5
		a, g := make([]float32, n*c*hw), make([]float32, n*c*hw)
		for i := range a {
			a[i] = float32(r.NormFloat64())
			g[i] = float32(r.NormFloat64() * 1e-3)
			if i%5 == 0 {
				g[i] = 0
			}
		}
		g[len(g)-1] = float32(math.NaN())
		for _, layout := range []struct {
			name string
			mk   func([]float32, int, int, int, int) Planes
		}{{"NCHW", NCHW}, {"CNHW", CNHW}} {
			pa, pg := layout.mk(a, n, c, 1, hw), layout.mk(g, n, c, 1, hw)
			for img := range n {
				got, want := make([]float32, c), make([]float32, c)
				gradCAMPPWeights(pa, pg, img, got)
				gradCAMPPWeightsGo(pa, pg, img, want)
				sameWeights(t, "Grad-CAM++ "+layout.name, hw, img, got, want)
				meanWeights(pg, img, got)
				meanWeightsGo(pg, img, want)
				sameWeights(t, "Grad-CAM "+layout.name, hw, img, got, want)
			}
		}
	}
}

func sameWeights(t *testing.T, what string, hw, img int, got, want []float32) {
	t.Helper()
	for k := range want {
		if math.Float32bits(got[k]) != math.Float32bits(want[k]) && !(got[k] != got[k] && want[k] != want[k]) {
			t.Fatalf("%s plane %d image %d channel %d: kernel %v, Go %v", what, hw, img, k, got[k], want[k])
		}
	}
}

func TestGradCAMPPWeightsGuardZeroDenominator(t *testing.T) {
	// Nine pixels (a full lane group and a tail) of activation -4/9 each:
	// S = -4 up to rounding, so put the exact S in the plane instead: one
	// pixel of -4 and eight of 0. At g = 0.5, 2 + S g = 0 exactly.
	a := []float32{-4, 0, 0, 0, 0, 0, 0, 0, 0}
	for _, at := range []int{0, 8} { // in the vector lanes, then in the tail
		g := []float32{0.25, 0.25, 0, 0, 0, 0, 0, 0, 0}
		g[at] = 0.5
		want := float32(0.25 / (2 - 4*0.25))
		if at == 8 {
			want = 2 * want
		}
		for name, f := range map[string]func(a, g Planes, n int, w []float32){"kernel": gradCAMPPWeights, "Go": gradCAMPPWeightsGo} {
			w := make([]float32, 1)
			f(NCHW(a, 1, 1, 1, 9), NCHW(g, 1, 1, 1, 9), 0, w)
			if w[0] != want {
				t.Fatalf("%s, zero denominator at pixel %d: weight %v, want %v", name, at, w[0], want)
			}
		}
	}
}

func TestLaneSumByHand(t *testing.T) {
	p := make([]float32, 19)
	for i := range p {
		p[i] = float32(i + 1)
	}
	if s := laneSum(p); s != 190 {
		t.Fatalf("laneSum(1..19) = %v, want 190", s)
	}
}
