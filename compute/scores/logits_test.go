package scores

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"testing"
)

func near(t *testing.T, name string, got, want, tol float64) {
	t.Helper()
	if math.IsNaN(got) || math.Abs(got-want) > tol {
		t.Errorf("%s = %.17g, want %.17g (tol %g)", name, got, want, tol)
	}
}

func nearAll(t *testing.T, name string, got, want []float64, tol float64) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d values, want %d", name, len(got), len(want))
	}
	for i := range got {
		near(t, fmt.Sprintf("%s[%d]", name, i), got[i], want[i], tol)
	}
}

type logitScore struct {
	name string
	f    func([]float32, int) ([]float64, error)
}

var logitScores = []logitScore{
	{"MSP", MSP}, {"MaxLogit", MaxLogit}, {"Energy", Energy},
	{"NegEntropy", NegEntropy}, {"DOCTOR", DOCTOR}, {"Margin", Margin},
}

// Three rows of 3-class logits: uniform, p = (1, 2, 5)/8, and the same p
// shifted by 100 (softmax is shift-invariant; MaxLogit and Energy shift).
func TestLogitScoresHand(t *testing.T) {
	l2, l5 := math.Log(2), math.Log(5)
	logits := []float32{
		0, 0, 0,
		0, float32(l2), float32(l5),
		100, float32(100 + l2), float32(100 + l5),
	}
	p := []float64{1.0 / 8, 2.0 / 8, 5.0 / 8}
	negH := 0.0
	for _, pk := range p {
		negH += pk * math.Log(pk)
	}
	want := map[string][]float64{
		"MSP":        {1.0 / 3, 5.0 / 8, 5.0 / 8},
		"MaxLogit":   {0, l5, 100 + l5},
		"Energy":     {math.Log(3), math.Log(8), 100 + math.Log(8)},
		"NegEntropy": {-math.Log(3), negH, negH},
		"DOCTOR":     {1.0 / 3, 30.0 / 64, 30.0 / 64},
		"Margin":     {0, 3.0 / 8, 3.0 / 8},
	}
	for _, s := range logitScores {
		got, err := s.f(logits, 3)
		if err != nil {
			t.Fatalf("%s: %v", s.name, err)
		}
		// float32 rounding of ln 2, ln 5 and of 100 + ln 2: about 4e-6
		nearAll(t, s.name, got, want[s.name], 1e-5)
	}
}

func TestLogitScoresReject(t *testing.T) {
	cases := []struct {
		name    string
		logits  []float32
		classes int
		msg     string
	}{
		{"one class", []float32{1, 2}, 1, "at least 2 classes"},
		{"ragged", []float32{1, 2, 3}, 2, "whole number of rows"},
		{"empty", nil, 2, "no logits"},
		{"NaN", []float32{0, float32(math.NaN())}, 2, "image 0"},
		{"Inf", []float32{0, 1, float32(math.Inf(1)), 0}, 2, "image 1"},
	}
	for _, s := range logitScores {
		for _, c := range cases {
			_, err := s.f(c.logits, c.classes)
			if err == nil || !strings.Contains(err.Error(), c.msg) || !strings.Contains(err.Error(), s.name) {
				t.Errorf("%s, %s: error %v, want one naming %s and %q", s.name, c.name, err, s.name, c.msg)
			}
		}
	}
}

// randLogits draws n x C logits with independent N(0, scale^2) entries.
func randLogits(rng *rand.Rand, n, classes int, scale float64) []float32 {
	z := make([]float32, n*classes)
	for i := range z {
		z[i] = float32(scale * rng.NormFloat64())
	}
	return z
}

// The scores' ranges and orderings that hold for any logits.
func TestLogitScoresRanges(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	const n, c = 300, 5
	z := randLogits(rng, n, c, 4)
	msp, _ := MSP(z, c)
	negH, _ := NegEntropy(z, c)
	doc, _ := DOCTOR(z, c)
	margin, _ := Margin(z, c)
	maxl, _ := MaxLogit(z, c)
	energy, _ := Energy(z, c)
	for i := range n {
		// g = sum p^2 <= max p (sum p) = MSP, and >= MSP^2; margin <= MSP;
		// max z <= logsumexp z <= max z + ln C.
		ok := msp[i] >= 1.0/c && msp[i] <= 1 &&
			negH[i] <= 0 && negH[i] >= -math.Log(c)-1e-12 &&
			doc[i] <= msp[i]+1e-15 && doc[i] >= msp[i]*msp[i]-1e-15 &&
			margin[i] >= 0 && margin[i] <= msp[i] &&
			energy[i] >= maxl[i] && energy[i] <= maxl[i]+math.Log(c)+1e-12
		if !ok {
			t.Fatalf("image %d: MSP %v, -H %v, DOCTOR %v, margin %v, max logit %v, energy %v", i, msp[i], negH[i], doc[i], margin[i], maxl[i], energy[i])
		}
	}
}
