package scores

import (
	"fmt"
	"math"

	"github.com/gradprint/gradprint/compute/metrics"
)

// The temperature is searched in log T over [MinTemperature,
// MaxTemperature]: a model 20 times too confident or too timid is already
// far outside what temperature scaling is meant to correct, and the bounds
// keep the search finite when the NLL keeps falling (a validation split the
// model classifies perfectly is best fitted by T -> 0).
const (
	MinTemperature = 0.05
	MaxTemperature = 20.0
)

// tempGrid is the number of points of the coarse grid in log T that
// brackets the minimum before golden-section search refines it; tempTol is
// the final bracket width in log T (a relative error of 1e-9 in T).
const (
	tempGrid = 41
	tempTol  = 1e-9
)

// FitTemperature returns the temperature T in [MinTemperature,
// MaxTemperature] minimising the mean negative log-likelihood of
// softmax(z / T) over labelled logits (Guo et al. 2017). Pass the
// validation split: fitted on the test split, the score would be tuned on
// the data it is evaluated on.
//
// The NLL is convex in 1/T (a log-sum-exp of a linear function plus a
// linear term), hence unimodal in log T; a coarse grid brackets the
// minimum and golden-section search narrows the bracket to a relative
// error of 1e-9 in T. A minimum outside the range is returned as the
// nearer bound.
func FitTemperature(logits []float32, classes int, labels []int) (float64, error) {
	const name = "FitTemperature"
	if err := checkLabelled(name, logits, classes, labels); err != nil {
		return 0, err
	}
	nll := func(logT float64) float64 { return meanNLL(logits, classes, labels, math.Exp(-logT)) }

	lo, hi := math.Log(MinTemperature), math.Log(MaxTemperature)
	step := (hi - lo) / (tempGrid - 1)
	best, bestNLL := 0, math.Inf(1)
	for i := range tempGrid {
		if v := nll(lo + float64(i)*step); v < bestNLL {
			best, bestNLL = i, v
		}
	}
	a := lo + float64(max(best-1, 0))*step
	b := lo + float64(min(best+1, tempGrid-1))*step
	logT, v := goldenMin(nll, a, b, tempTol)
	if bestNLL < v { // only on a flat NLL, where any T is a minimiser
		logT = lo + float64(best)*step
	}
	return math.Exp(logT), nil
}

// TemperatureNLL is the mean negative log-likelihood, in nats, of the
// labels under softmax(z / T): the objective FitTemperature minimises.
func TemperatureNLL(logits []float32, classes int, labels []int, T float64) (float64, error) {
	const name = "TemperatureNLL"
	if err := checkTemperature(name, T); err != nil {
		return 0, err
	}
	if err := checkLabelled(name, logits, classes, labels); err != nil {
		return 0, err
	}
	return meanNLL(logits, classes, labels, 1/T), nil
}

// meanNLL is mean_i [logsumexp(beta z_i) - beta z_{i,y_i}] with beta = 1/T,
// written with the row maximum m shifted out:
// beta (m - z_y) + ln sum_k exp(beta (z_k - m)).
func meanNLL(logits []float32, classes int, labels []int, beta float64) float64 {
	sum := 0.0
	for i, y := range labels {
		z := logits[i*classes : (i+1)*classes]
		m := float64(z[0])
		for _, v := range z[1:] {
			m = max(m, float64(v))
		}
		s := 0.0
		for _, v := range z {
			s += math.Exp(beta * (float64(v) - m))
		}
		sum += beta*(m-float64(z[y])) + math.Log(s)
	}
	return sum / float64(len(labels))
}

// TempMSP is the temperature-scaled MSP max_k softmax(z / T)_k [temp_mls],
// T from FitTemperature on the validation split.
func TempMSP(logits []float32, classes int, T float64) ([]float64, error) {
	const name = "TempMSP"
	if err := checkTemperature(name, T); err != nil {
		return nil, err
	}
	n, err := logitRows(name, logits, classes)
	if err != nil {
		return nil, err
	}
	scaled := make([]float64, classes)
	out := make([]float64, n)
	for i := range out {
		for k, v := range logits[i*classes : (i+1)*classes] {
			scaled[k] = float64(v) / T
		}
		c, err := metrics.Confidences(scaled)
		if err != nil {
			return nil, fmt.Errorf("%s: image %d: %w", name, i, err)
		}
		out[i] = c.MSP
	}
	return out, nil
}

// goldenMin returns a minimiser of f on [a, b], and its value, once the
// bracket is narrower than tol, assuming f is unimodal on [a, b].
func goldenMin(f func(float64) float64, a, b, tol float64) (float64, float64) {
	const invPhi = 0.6180339887498949 // (sqrt(5) - 1) / 2: each step keeps one interior point
	c, d := b-invPhi*(b-a), a+invPhi*(b-a)
	fc, fd := f(c), f(d)
	for b-a > tol {
		if fc <= fd {
			b, d, fd = d, c, fc
			c = b - invPhi*(b-a)
			fc = f(c)
		} else {
			a, c, fc = c, d, fd
			d = a + invPhi*(b-a)
			fd = f(d)
		}
	}
	if fc <= fd {
		return c, fc
	}
	return d, fd
}

func checkTemperature(name string, T float64) error {
	if !(T > 0) || math.IsInf(T, 1) {
		return fmt.Errorf("%s: temperature must be positive and finite, got %v", name, T)
	}
	return nil
}

// checkLabelled validates n x C logits with one label in 0..C-1 per row.
func checkLabelled(name string, logits []float32, classes int, labels []int) error {
	n, err := logitRows(name, logits, classes)
	if err != nil {
		return err
	}
	if len(labels) != n {
		return fmt.Errorf("%s: %d rows of logits but %d labels", name, n, len(labels))
	}
	if err := checkFinite(name, "logit", logits, classes); err != nil {
		return err
	}
	return checkLabels(name, labels, classes)
}

func checkLabels(name string, labels []int, classes int) error {
	for i, y := range labels {
		if y < 0 || y >= classes {
			return fmt.Errorf("%s: label %d of image %d outside 0..%d", name, y, i, classes-1)
		}
	}
	return nil
}
