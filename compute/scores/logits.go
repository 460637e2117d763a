package scores

import (
	"fmt"
	"math"

	"github.com/gradprint/gradprint/compute/metrics"
)

// Scores from the logits alone, one per image of the n x C logits. Each
// row's softmax is computed by compute/metrics (Softmax, Confidences), so
// these agree with the MSP, entropy and energy the rest of gradprint
// reports to the last bit.

// MSP is the maximum softmax probability max_k p_k [FD-Shifts det_mcp], in
// [1/C, 1].
func MSP(logits []float32, classes int) ([]float64, error) {
	return perRowConf("MSP", logits, classes, func(_ []float32, c metrics.Confidence) float64 {
		return c.MSP
	})
}

// MaxLogit is max_k z_k [det_mls] (Hendrycks et al. 2022). Unlike MSP it
// keeps the logits' scale, which the softmax throws away.
func MaxLogit(logits []float32, classes int) ([]float64, error) {
	return perRowConf("MaxLogit", logits, classes, func(z []float32, c metrics.Confidence) float64 {
		return float64(z[c.Pred])
	})
}

// Energy is logsumexp_k z_k, minus the free energy at temperature 1 (Liu et
// al. 2020), computed with the maximum shifted out so it cannot overflow.
func Energy(logits []float32, classes int) ([]float64, error) {
	return perRowConf("Energy", logits, classes, func(_ []float32, c metrics.Confidence) float64 {
		return c.Energy
	})
}

// NegEntropy is -H(p) = sum_k p_k ln p_k in nats [det_pe], in [-ln C, 0].
func NegEntropy(logits []float32, classes int) ([]float64, error) {
	return perRowConf("NegEntropy", logits, classes, func(_ []float32, c metrics.Confidence) float64 {
		return c.NegEntropy
	})
}

// DOCTOR is g = sum_k p_k^2 (Granese et al. 2021), in [1/C, 1]. The paper
// rejects when (1 - g)/g exceeds a threshold; that is decreasing in g, so g
// ranks images the same way and is oriented like the other scores.
func DOCTOR(logits []float32, classes int) ([]float64, error) {
	return perRowProbs("DOCTOR", logits, classes, func(p []float64) float64 {
		g := 0.0
		for _, pk := range p {
			g += pk * pk
		}
		return g
	})
}

// Margin is p_max - p_second, the gap between the two largest softmax
// probabilities, in [0, 1).
func Margin(logits []float32, classes int) ([]float64, error) {
	return perRowProbs("Margin", logits, classes, func(p []float64) float64 {
		first, second := math.Inf(-1), math.Inf(-1)
		for _, pk := range p {
			if pk > first {
				first, second = pk, first
			} else if pk > second {
				second = pk
			}
		}
		return first - second
	})
}

// perRowConf applies score to each row of the logits with its
// metrics.Confidences.
func perRowConf(name string, logits []float32, classes int, score func(z []float32, c metrics.Confidence) float64) ([]float64, error) {
	n, err := logitRows(name, logits, classes)
	if err != nil {
		return nil, err
	}
	out := make([]float64, n)
	for i := range out {
		z := logits[i*classes : (i+1)*classes]
		c, err := metrics.Confidences(z)
		if err != nil {
			return nil, fmt.Errorf("%s: image %d: %w", name, i, err)
		}
		out[i] = score(z, c)
	}
	return out, nil
}

// perRowProbs applies score to the softmax of each row of the logits, in a
// buffer reused across rows.
func perRowProbs(name string, logits []float32, classes int, score func(p []float64) float64) ([]float64, error) {
	n, err := logitRows(name, logits, classes)
	if err != nil {
		return nil, err
	}
	p := make([]float64, classes)
	out := make([]float64, n)
	for i := range out {
		if err := metrics.Softmax(p, logits[i*classes:(i+1)*classes]); err != nil {
			return nil, fmt.Errorf("%s: image %d: %w", name, i, err)
		}
		out[i] = score(p)
	}
	return out, nil
}

// logitRows checks the shape of an n x C logit matrix and returns n. The
// values themselves are checked by metrics.Softmax and Confidences, which
// reject NaN and infinite logits.
func logitRows(name string, logits []float32, classes int) (int, error) {
	if classes < 2 {
		return 0, fmt.Errorf("%s: need at least 2 classes, got %d", name, classes)
	}
	return rows(name, "logits", len(logits), classes)
}

// rows returns the number of rows of a flat row-major matrix with the given
// number of columns, which must hold at least one row.
func rows(name, what string, length, cols int) (int, error) {
	if cols < 1 {
		return 0, fmt.Errorf("%s: %s need at least 1 column, got %d", name, what, cols)
	}
	if length == 0 {
		return 0, fmt.Errorf("%s: no %s", name, what)
	}
	if length%cols != 0 {
		return 0, fmt.Errorf("%s: %d %s values are not a whole number of rows of %d", name, length, what, cols)
	}
	return length / cols, nil
}

// checkFinite reports the first NaN or infinite entry of a row-major matrix.
func checkFinite(name, what string, x []float32, cols int) error {
	for i, v := range x {
		if f := float64(v); math.IsNaN(f) || math.IsInf(f, 0) {
			return fmt.Errorf("%s: %s of image %d, column %d, is %v", name, what, i/cols, i%cols, v)
		}
	}
	return nil
}
