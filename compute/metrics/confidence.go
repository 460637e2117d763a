package metrics

import (
	"fmt"
	"math"
)

// Confidence scores from one sample's logits, each oriented so that higher
// means "more confident the prediction is correct" (the FD-Shifts
// convention the failure metrics expect).
type Confidence struct {
	MSP        float64 // maximum softmax probability, in (1/C, 1]
	NegEntropy float64 // minus the predictive entropy in nats, in [-ln C, 0]
	Energy     float64 // logsumexp(logits): minus the free energy at T = 1
	Pred       int     // argmax of the logits (first on ties)
}

// Softmax writes the softmax of logits into dst (same length), shifting by
// the maximum so that large logits cannot overflow.
func Softmax[F Float](dst []float64, logits []F) error {
	if len(logits) == 0 {
		return fmt.Errorf("softmax: no logits")
	}
	if len(dst) != len(logits) {
		return fmt.Errorf("softmax: destination has %d entries, logits %d", len(dst), len(logits))
	}
	m, _, err := maxLogit(logits)
	if err != nil {
		return fmt.Errorf("softmax: %w", err)
	}
	s := 0.0
	for i, l := range logits {
		dst[i] = math.Exp(float64(l) - m)
		s += dst[i]
	}
	for i := range dst {
		dst[i] /= s
	}
	return nil
}

func maxLogit[F Float](logits []F) (m float64, arg int, err error) {
	m = math.Inf(-1)
	for i, l := range logits {
		v := float64(l)
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return 0, 0, fmt.Errorf("logit %d is %v", i, v)
		}
		if v > m {
			m, arg = v, i
		}
	}
	return m, arg, nil
}

// Confidences computes MSP, negative entropy and energy from logits in two
// passes without allocating. With z = l - max(l) and S = sum exp(z):
// logsumexp = max + ln S, MSP = 1 / S, and H = ln S - sum p z, which avoids
// the log of underflowed probabilities.
func Confidences[F Float](logits []F) (Confidence, error) {
	if len(logits) < 2 {
		return Confidence{}, fmt.Errorf("confidences: need at least 2 logits, got %d", len(logits))
	}
	m, arg, err := maxLogit(logits)
	if err != nil {
		return Confidence{}, fmt.Errorf("confidences: %w", err)
	}
	var s, sz float64
	for _, l := range logits {
		z := float64(l) - m
		e := math.Exp(z)
		s += e
		sz += e * z
	}
	lnS := math.Log(s)
	h := lnS - sz/s
	return Confidence{
		MSP:        1 / s,
		NegEntropy: -max(h, 0), // rounding can leave -1e-17 for a one-hot softmax
		Energy:     m + lnS,
		Pred:       arg,
	}, nil
}
