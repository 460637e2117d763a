package metrics

import (
	"errors"
	"fmt"
	"math"
	"math/bits"
)

// Selection with guaranteed risk (REFERENCE 12; Geifman and El-Yaniv,
// NeurIPS 2017): a confidence threshold chosen on a calibration set so
// that, with probability at least 1 - delta over the draw of that set, the
// selective risk on new data from the same distribution is below a target.

// ErrRiskUnattainable reports that no threshold SGR tried has a risk bound
// below the target: the calibration set is too small, or the classifier
// too often wrong even where it is most confident, for the guarantee asked.
var ErrRiskUnattainable = errors.New("target risk unattainable")

// ClopperPearsonUpper is the exact one-sided upper confidence bound on a
// binomial failure probability after w failures in m trials: the largest b
// with P(Bin(m, b) <= w) >= delta: over the draw of the m trials, the true
// rate exceeds it with probability at most delta. It solves
// P(Bin(m, b) <= w) = I_{1-b}(m-w, w+1) = delta, I the regularised
// incomplete beta function, by bisection on b (the CDF falls as b grows),
// to full float64 resolution; the continued fraction for I is accurate for
// m up to 10^5 and beyond. w = m gives 1 (nothing rules out b = 1), as
// does m = 0. Invalid input (w outside 0..m, delta outside (0, 1)) gives
// NaN.
func ClopperPearsonUpper(w, m int, delta float64) float64 {
	if w < 0 || w > m || !(delta > 0 && delta < 1) {
		return math.NaN()
	}
	if w == m {
		return 1
	}
	cdf := func(b float64) float64 { return regIncBeta(1-b, float64(m-w), float64(w+1)) }
	lo, hi := 0.0, 1.0 // cdf(lo) >= delta > cdf(hi) throughout
	for {
		mid := lo + (hi-lo)/2
		if mid <= lo || mid >= hi {
			return lo
		}
		if cdf(mid) >= delta {
			lo = mid
		} else {
			hi = mid
		}
	}
}

// regIncBeta is the regularised incomplete beta function I_x(a, b) for
// a, b > 0, by the continued fraction of Numerical Recipes (6.4), evaluated
// on whichever of I_x(a, b) and 1 - I_{1-x}(b, a) converges fast. The
// prefactor x^a (1-x)^b / (a B(a, b)) is formed in log space, so a and b in
// the hundreds of thousands neither overflow nor underflow.
func regIncBeta(x, a, b float64) float64 {
	switch {
	case x <= 0:
		return 0
	case x >= 1:
		return 1
	}
	la, _ := math.Lgamma(a)
	lb, _ := math.Lgamma(b)
	lab, _ := math.Lgamma(a + b)
	front := math.Exp(lab - la - lb + a*math.Log(x) + b*math.Log1p(-x))
	if x < (a+1)/(a+b+2) {
		return front * betaCF(x, a, b) / a
	}
	return 1 - front*betaCF(1-x, b, a)/b
}

// betaCF evaluates the continued fraction of I_x(a, b) by the modified
// Lentz method. On the side regIncBeta calls it, it converges in
// O(sqrt(max(a, b))) terms; the cap is far above that for a, b <= 10^6.
func betaCF(x, a, b float64) float64 {
	const (
		eps   = 1e-16
		tiny  = 1e-300
		terms = 20000
	)
	qab, qap, qam := a+b, a+1, a-1
	c, d := 1.0, 1-qab*x/qap
	if math.Abs(d) < tiny {
		d = tiny
	}
	d = 1 / d
	h := d
	for k := 1; k <= terms; k++ {
		fk := float64(k)
		// even step: d_{2k} = k (b - k) x / ((a + 2k - 1)(a + 2k))
		num := fk * (b - fk) * x / ((qam + 2*fk) * (a + 2*fk))
		d, c = lentz(d, c, num)
		h *= d * c
		// odd step: d_{2k+1} = -(a + k)(a + b + k) x / ((a + 2k)(a + 2k + 1))
		num = -(a + fk) * (qab + fk) * x / ((a + 2*fk) * (qap + 2*fk))
		d, c = lentz(d, c, num)
		del := d * c
		h *= del
		if math.Abs(del-1) < eps {
			break
		}
	}
	return h
}

// lentz is one update of the modified Lentz recurrences
// D <- 1/(1 + num D), C <- 1 + num/C, guarded away from division by zero.
func lentz(d, c, num float64) (float64, float64) {
	const tiny = 1e-300
	d = 1 + num*d
	if math.Abs(d) < tiny {
		d = tiny
	}
	c = 1 + num/c
	if math.Abs(c) < tiny {
		c = tiny
	}
	return 1 / d, c
}

// SGRResult is the threshold SGR returns: accept a prediction when its
// confidence >= Threshold. Coverage and Risk are what the rule achieved on
// the calibration set; Bound is the Clopper-Pearson bound at level
// Delta/Tests that guarantees it (true selective risk <= Bound, hence
// < the target, with probability >= 1 - Delta).
type SGRResult struct {
	Threshold float64
	Coverage  float64 // Accepted / N
	Risk      float64 // empirical selective risk: wrong among accepted / accepted
	Bound     float64 // upper confidence bound on the selective risk
	Accepted  int
	N         int     // calibration set size m
	Tests     int     // thresholds the bound's union is over (delta is split Tests ways)
	Delta     float64 // the confidence parameter asked for
}

// SGR is Geifman and El-Yaniv's selection with guaranteed risk: on a
// calibration set of m predictions (conf higher = more confident, wrong
// the failures) it binary-searches the threshold, computing at each
// candidate with m_t accepted and w_t wrong the bound
// ClopperPearsonUpper(w_t, m_t, delta/k), moving towards more coverage
// when the bound is below targetRisk and towards less otherwise, and
// returns the largest-coverage candidate it tested whose bound is below
// targetRisk (the bound need not be monotone in coverage, so an untested
// threshold might have done better; the guarantee covers only tested ones).
// Every threshold accepts a block of tied confidences whole (accept
// conf >= threshold), so the candidates are the G distinct confidences,
// and k = ceil(log2(G + 1)) bounds are computed at most: the union bound
// over them gives the 1 - delta guarantee. That is the reference's
// ceil(log2 m) for continuous scores, except when m is a power of 2, where
// it is one more (and so slightly more conservative); ties make it smaller.
// If no candidate's
// bound is below targetRisk, SGR returns ErrRiskUnattainable.
//
// The guarantee holds for new data drawn like the calibration set; under
// shift nothing is promised, so report the achieved risk beside the bound.
func SGR(conf []float64, wrong []bool, targetRisk, delta float64) (SGRResult, error) {
	if !(targetRisk > 0 && targetRisk <= 1) {
		return SGRResult{}, fmt.Errorf("SGR: target risk %v outside (0, 1]", targetRisk)
	}
	if !(delta > 0 && delta < 1) {
		return SGRResult{}, fmt.Errorf("SGR: delta %v outside (0, 1)", delta)
	}
	gs, _, err := groups("SGR", conf, wrong)
	if err != nil {
		return SGRResult{}, err
	}
	k := bits.Len(uint(len(gs))) // ceil(log2(G + 1)): the most steps the search below takes
	level := delta / float64(k)
	bound := func(g group) float64 { return ClopperPearsonUpper(g.w, g.k, level) }

	// lo is the largest block whose bound passed (-1: none yet), hi the
	// smallest that failed (G: none yet); the search narrows the gap.
	lo, hi := -1, len(gs)
	loBound := math.NaN()
	tightest := math.Inf(1) // for the error message
	for hi-lo > 1 {
		mid := lo + (hi-lo)/2
		b := bound(gs[mid])
		tightest = min(tightest, b)
		if b < targetRisk {
			lo, loBound = mid, b
		} else {
			hi = mid
		}
	}
	if lo < 0 {
		return SGRResult{}, fmt.Errorf("SGR: risk < %g with confidence %g: tightest bound found %.3g on %d predictions: %w",
			targetRisk, 1-delta, tightest, len(conf), ErrRiskUnattainable)
	}
	g := gs[lo]
	return SGRResult{
		Threshold: g.conf,
		Coverage:  float64(g.k) / float64(len(conf)),
		Risk:      float64(g.w) / float64(g.k),
		Bound:     loBound,
		Accepted:  g.k,
		N:         len(conf),
		Tests:     k,
		Delta:     delta,
	}, nil
}
