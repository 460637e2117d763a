package scores

import (
	"fmt"
	"math"
)

// SIRC combines a softmax score S1 whose maximum is 1 (MSP) with a
// secondary score S2, higher = more in-distribution (a feature distance
// such as Mahalanobis or kNN, a feature norm, a fingerprint), as Xia and
// Bouganis (ACCV 2022) do:
//
//	C = -(1 - S1) (1 + exp(-B (S2 - A))),
//
// A = mean(S2) - 3 sd(S2) and B = 1/sd(S2) from the training split. S2
// matters only when it falls to around A, three standard deviations below
// its training mean; above that C is essentially -(1 - S1) and ranks as
// S1 does.
type SIRC struct {
	A, B float64
}

// FitSIRC computes A and B from the secondary score of the training split
// (at least 2 images, not all equal). sd is the population standard
// deviation (1/n, numpy's default, which the authors' code uses).
func FitSIRC(s2Train []float64) (SIRC, error) {
	const name = "FitSIRC"
	if len(s2Train) < 2 {
		return SIRC{}, fmt.Errorf("%s: need at least 2 training scores, got %d", name, len(s2Train))
	}
	mean := 0.0
	for i, v := range s2Train {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return SIRC{}, fmt.Errorf("%s: training score %d is %v", name, i, v)
		}
		mean += v
	}
	mean /= float64(len(s2Train))
	ss := 0.0
	for _, v := range s2Train {
		ss += (v - mean) * (v - mean)
	}
	sd := math.Sqrt(ss / float64(len(s2Train)))
	if !(sd > 0) {
		return SIRC{}, fmt.Errorf("%s: the %d training scores are all %v: no spread to scale by", name, len(s2Train), mean)
	}
	return SIRC{A: mean - 3*sd, B: 1 / sd}, nil
}

// Score is C = -(1 - S1) (1 + exp(-B (S2 - A))) per image; S1 <= 1 and S2
// finite. An image with S1 = 1 scores 0, the maximum, whatever its S2 (the
// limit of C for every finite S2). When B (A - S2) exceeds about 709 the
// exponential overflows and C is -Inf: such images tie at the bottom. Use
// LogScore, which ranks identically without overflowing, if S2 can fall
// that far.
func (s SIRC) Score(s1, s2 []float64) ([]float64, error) {
	if err := checkSIRC("SIRC.Score", s1, s2); err != nil {
		return nil, err
	}
	out := make([]float64, len(s1))
	for i := range out {
		if s1[i] == 1 {
			continue
		}
		out[i] = -(1 - s1[i]) * (1 + math.Exp(-s.B*(s2[i]-s.A)))
	}
	return out, nil
}

// LogScore is -ln(-C) = -ln(1 - S1) - softplus(-B (S2 - A)), the form the
// authors' code computes: an increasing function of C, so it ranks images
// identically and every failure metric agrees, but it stays finite where C
// overflows. S1 = 1 gives +Inf.
func (s SIRC) LogScore(s1, s2 []float64) ([]float64, error) {
	if err := checkSIRC("SIRC.LogScore", s1, s2); err != nil {
		return nil, err
	}
	out := make([]float64, len(s1))
	for i := range out {
		x := -s.B * (s2[i] - s.A)
		softplus := max(x, 0) + math.Log1p(math.Exp(-math.Abs(x)))
		out[i] = -math.Log1p(-s1[i]) - softplus
	}
	return out, nil
}

func checkSIRC(name string, s1, s2 []float64) error {
	if len(s1) != len(s2) {
		return fmt.Errorf("%s: %d primary scores but %d secondary", name, len(s1), len(s2))
	}
	for i := range s1 {
		if !(s1[i] <= 1) {
			return fmt.Errorf("%s: primary score %d is %v, need a softmax score <= 1", name, i, s1[i])
		}
		if math.IsNaN(s2[i]) || math.IsInf(s2[i], 0) {
			return fmt.Errorf("%s: secondary score %d is %v", name, i, s2[i])
		}
	}
	return nil
}
