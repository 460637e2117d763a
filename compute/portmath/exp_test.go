package portmath

import (
	"fmt"
	"math"
	"testing"
)

func TestExpSpecialValues(t *testing.T) {
	tests := []struct{ x, want float64 }{
		{0, 1},
		{1, math.E},
		{math.Ln2, 2},
		{-math.Ln2, 0.5},
		{10 * math.Ln2, 1024},
		{math.Inf(1), math.Inf(1)},
		{math.Inf(-1), 0},
		{710, math.Inf(1)},
		{-746, 0},
		{1e-30, 1},
	}
	for _, tt := range tests {
		if got := Exp(tt.x); got != tt.want && math.Abs(got-tt.want) > 2e-16*tt.want {
			t.Errorf("Exp(%v) = %v, want %v", tt.x, got, tt.want)
		}
	}
	if !math.IsNaN(Exp(math.NaN())) {
		t.Errorf("Exp(NaN) is not NaN")
	}
}

// TestExpNearStdlib sweeps the range softmax and the blur kernels use (and
// beyond) against the standard library's Exp: both are within 1 ulp of the
// exact value, so they may differ by 2.
func TestExpNearStdlib(t *testing.T) {
	for i := 0; i <= 200000; i++ {
		x := -740 + 1450*float64(i)/200000
		got, want := Exp(x), math.Exp(x)
		if want == 0 || math.IsInf(want, 0) {
			continue
		}
		if ulps := math.Abs(got-want) / (math.Nextafter(want, math.Inf(1)) - want); ulps > 2 {
			t.Fatalf("Exp(%v) = %v, math.Exp gives %v: %.1f ulp apart", x, got, want, ulps)
		}
	}
}

func ExampleExp() {
	fmt.Println(Exp(1), Exp(-math.Ln2))
	// Output: 2.718281828459045 0.5
}
