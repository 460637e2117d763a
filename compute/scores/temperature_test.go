package scores

import (
	"math"
	"math/rand/v2"
	"testing"
)

// drawTempered draws logits z ~ N(0, scale^2 I) and labels from
// softmax(z / T): data for which T is the true temperature.
func drawTempered(rng *rand.Rand, n, classes int, scale, T float64) ([]float32, []int) {
	z := randLogits(rng, n, classes, scale)
	labels := make([]int, n)
	p := make([]float64, classes)
	for i := range labels {
		s := 0.0
		for k := range p {
			p[k] = math.Exp(float64(z[i*classes+k]) / T)
			s += p[k]
		}
		u := rng.Float64() * s
		labels[i] = classes - 1
		for k, pk := range p {
			if u < pk {
				labels[i] = k
				break
			}
			u -= pk
		}
	}
	return z, labels
}

func TestFitTemperatureRecoversTruth(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for _, T0 := range []float64{0.5, 2.5, 8} {
		z, y := drawTempered(rng, 20000, 4, 3, T0)
		T, err := FitTemperature(z, 4, y)
		if err != nil {
			t.Fatal(err)
		}
		// The MLE's standard error with 20,000 images is 1-2% (seeds vary
		// by that much); 5% leaves room without hiding a wrong fit.
		if math.Abs(T/T0-1) > 0.05 {
			t.Errorf("true T %v: fitted %v", T0, T)
		}
	}
}

// The fit against brute force: no temperature on a fine grid over the
// whole range, nor T = 1, nor T a hair either side of the fit, has a lower
// NLL.
func TestFitTemperatureIsMinimum(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	z, y := drawTempered(rng, 2000, 3, 2, 1.7)
	T, err := FitTemperature(z, 3, y)
	if err != nil {
		t.Fatal(err)
	}
	at, _ := TemperatureNLL(z, 3, y, T)
	check := func(what string, T2 float64) {
		v, err := TemperatureNLL(z, 3, y, T2)
		if err != nil {
			t.Fatal(err)
		}
		if v < at-1e-13 {
			t.Errorf("%s: NLL(%.9g) = %.15g below NLL at the fit T = %.9g, %.15g", what, T2, v, T, at)
		}
	}
	check("T = 1", 1)
	check("just below", T*(1-1e-4))
	check("just above", T*(1+1e-4))
	lo, hi := math.Log(MinTemperature), math.Log(MaxTemperature)
	for i := range 1001 {
		check("grid", math.Exp(lo+(hi-lo)*float64(i)/1000))
	}
}

func TestTemperatureNLLHand(t *testing.T) {
	// Row 1: z = (0, 2) at T = 2 is (0, 1): label 1 costs ln(1 + e) - 1.
	// Row 2: equal logits cost ln 2 at any T.
	z := []float32{0, 2, 3, 3}
	got, err := TemperatureNLL(z, 2, []int{1, 0}, 2)
	if err != nil {
		t.Fatal(err)
	}
	near(t, "NLL", got, (math.Log(1+math.E)-1+math.Ln2)/2, 1e-15)
}

func TestFitTemperatureBounds(t *testing.T) {
	// Every label is the arg max: the NLL falls all the way to T -> 0, so
	// the fit stops at the lower bound. Every label the arg min: the NLL
	// falls as T grows, towards uniform.
	z := []float32{0, 3, 2, 0, 0, 1, 5, 0}
	T, err := FitTemperature(z, 2, []int{1, 0, 1, 0})
	if err != nil {
		t.Fatal(err)
	}
	near(t, "separable", T, MinTemperature, 1e-9*MinTemperature)
	T, err = FitTemperature(z, 2, []int{0, 1, 0, 1})
	if err != nil {
		t.Fatal(err)
	}
	near(t, "anti-separable", T, MaxTemperature, 1e-9*MaxTemperature)
}

func TestTempMSP(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	z := randLogits(rng, 50, 4, 3)
	msp, _ := MSP(z, 4)
	t1, err := TempMSP(z, 4, 1)
	if err != nil {
		t.Fatal(err)
	}
	nearAll(t, "TempMSP at T = 1", t1, msp, 0)
	// z = (0, 2) at T = 2: MSP of (0, 1) is e/(1 + e).
	t2, err := TempMSP([]float32{0, 2}, 2, 2)
	if err != nil {
		t.Fatal(err)
	}
	near(t, "TempMSP at T = 2", t2[0], math.E/(1+math.E), 1e-15)
}

func TestTemperatureReject(t *testing.T) {
	z := []float32{0, 1, 1, 0}
	if _, err := FitTemperature(z, 2, []int{0}); err == nil {
		t.Error("FitTemperature: label count mismatch accepted")
	}
	if _, err := FitTemperature(z, 2, []int{0, 2}); err == nil {
		t.Error("FitTemperature: label 2 of 2 classes accepted")
	}
	if _, err := FitTemperature([]float32{0, float32(math.NaN())}, 2, []int{0}); err == nil {
		t.Error("FitTemperature: NaN logit accepted")
	}
	for _, T := range []float64{0, -1, math.NaN(), math.Inf(1)} {
		if _, err := TempMSP(z, 2, T); err == nil {
			t.Errorf("TempMSP: temperature %v accepted", T)
		}
		if _, err := TemperatureNLL(z, 2, []int{0, 1}, T); err == nil {
			t.Errorf("TemperatureNLL: temperature %v accepted", T)
		}
	}
}
