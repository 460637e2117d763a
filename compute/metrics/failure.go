package metrics

import (
	"cmp"
	"errors"
	"fmt"
	"math"
	"slices"
)

// Failure-detection metrics (REFERENCE 9, FD-Shifts conventions). Inputs are
// a confidence score per prediction (higher = more confident it is correct)
// and wrong[i] = true when prediction i is a failure (FD-Shifts' residual 1).
//
// Tie handling: a block of g tied confidences is accepted or rejected as a
// whole by any threshold, so quantities at coverages inside the block are
// the expectation over a uniformly random order of the tied items: the
// number of failures among the top k grows linearly across the block. This
// makes AURC and AUGRC independent of input order, equal to the plain
// formulas without ties, and gives AUGRC's identity with AUROC_f exactly
// (see AUGRC).

// group is one block of tied confidences, in descending confidence order,
// with the cumulative counts after accepting it.
type group struct {
	conf  float64
	size  int // items in the block
	wrong int // failures in the block
	k     int // accepted after this block
	w     int // failures accepted after this block
}

func groups(name string, conf []float64, wrong []bool) ([]group, int, error) {
	if err := checkLen(name, "confidences", len(conf), "residuals", len(wrong)); err != nil {
		return nil, 0, err
	}
	if err := checkScores(name, conf); err != nil {
		return nil, 0, err
	}
	order := make([]int, len(conf))
	for i := range order {
		order[i] = i
	}
	slices.SortFunc(order, func(a, b int) int { return cmp.Compare(conf[b], conf[a]) })
	var gs []group
	k, w := 0, 0
	for i := 0; i < len(order); {
		g := group{conf: conf[order[i]]}
		for ; i < len(order) && conf[order[i]] == g.conf; i++ {
			g.size++
			if wrong[order[i]] {
				g.wrong++
			}
		}
		k += g.size
		w += g.wrong
		g.k, g.w = k, w
		gs = append(gs, g)
	}
	return gs, w, nil
}

// AUROCf is the failure-detection AUROC: ROC AUC of conf separating correct
// predictions (positives) from wrong ones, ties counting 1/2. It is undefined
// (error wrapping ErrSingleClass) when every prediction is right or every
// one wrong.
func AUROCf(conf []float64, wrong []bool) (float64, error) {
	if err := checkLen("AUROC_f", "confidences", len(conf), "residuals", len(wrong)); err != nil {
		return 0, err
	}
	correct := make([]bool, len(wrong))
	for i, w := range wrong {
		correct[i] = !w
	}
	a, err := ROCAUC(conf, correct)
	if err != nil {
		return a, fmt.Errorf("AUROC_f: %w", err)
	}
	return a, nil
}

// AURC is the area under the risk-coverage curve: with predictions sorted by
// conf descending, the mean over k = 1..N of the selective risk (failures
// among the top k) / k. Inside a tied block the expected failure count is
// used (see the tie note above). A fraction in [0, 1]; papers often report
// it x1000.
func AURC(conf []float64, wrong []bool) (float64, error) {
	gs, _, err := groups("AURC", conf, wrong)
	if err != nil {
		return 0, err
	}
	return aurcFromGroups(gs), nil
}

func aurcFromGroups(gs []group) float64 {
	sum := 0.0
	kPrev, wPrev := 0, 0
	for _, g := range gs {
		rate := float64(g.wrong) / float64(g.size)
		for j := 1; j <= g.size; j++ {
			sum += (float64(wPrev) + float64(j)*rate) / float64(kPrev+j)
		}
		kPrev, wPrev = g.k, g.w
	}
	return sum / float64(kPrev)
}

// oracleAURC is the AURC of the ordering that accepts every correct
// prediction before any wrong one: risk 0 up to coverage of the correct
// ones, then (k - nCorrect) / k.
func oracleAURC(n, nWrong int) float64 {
	nCorrect := n - nWrong
	sum := 0.0
	for k := nCorrect + 1; k <= n; k++ {
		sum += float64(k-nCorrect) / float64(k)
	}
	return sum / float64(n)
}

// EAURC is the excess AURC: AURC minus the AURC of the oracle ordering with
// the same failures, so 0 means a perfect ranking and it does not reward a
// classifier for simply making fewer mistakes.
func EAURC(conf []float64, wrong []bool) (float64, error) {
	gs, nWrong, err := groups("e-AURC", conf, wrong)
	if err != nil {
		return 0, err
	}
	return aurcFromGroups(gs) - oracleAURC(len(conf), nWrong), nil
}

// AUGRC is the area under the generalised risk-coverage curve (Traub et al.
// 2024): generalised risk at coverage k/N is (failures accepted among the
// top k) / N, the joint probability of "wrong and not flagged", integrated
// over coverage by the trapezoid rule on the points k = 0..N (exact for the
// piecewise-linear expected count across ties). It equals
// (1 - AUROC_f) acc (1 - acc) + (1 - acc)^2 / 2 exactly, and is defined even
// when all predictions are right (0) or all wrong (0.5).
func AUGRC(conf []float64, wrong []bool) (float64, error) {
	gs, _, err := groups("AUGRC", conf, wrong)
	if err != nil {
		return 0, err
	}
	n := float64(len(conf))
	var twice float64 // sum over blocks of size * (W_before + W_after)
	wPrev := 0
	for _, g := range gs {
		twice += float64(g.size) * float64(wPrev+g.w)
		wPrev = g.w
	}
	return twice / (2 * n * n), nil
}

// FPRAt95TPR is the fraction of wrong predictions accepted at the highest
// confidence threshold (accept conf >= t) that accepts at least 95% of the
// correct ones (positives = correct, as in FD-Shifts). The 95% test is done
// in integers, so no rounding tolerance is needed (FD-Shifts compares
// TPR >= 0.9495; the two differ only when a TPR lands in [0.9495, 0.95)).
// Undefined (ErrSingleClass) without both correct and wrong predictions.
func FPRAt95TPR(conf []float64, wrong []bool) (float64, error) {
	gs, nWrong, err := groups("FPR@95TPR", conf, wrong)
	if err != nil {
		return 0, err
	}
	nCorrect := len(conf) - nWrong
	if nWrong == 0 || nCorrect == 0 {
		return math.NaN(), fmt.Errorf("FPR@95TPR with %d correct and %d wrong: %w", nCorrect, nWrong, ErrSingleClass)
	}
	for _, g := range gs {
		tp := g.k - g.w
		if 100*tp >= 95*nCorrect {
			return float64(g.w) / float64(nWrong), nil
		}
	}
	// The last block accepts everything (TPR 1), so the loop always returns.
	return 0, errors.New("FPR@95TPR: internal error, TPR never reached 0.95")
}

// RCPoint is one point of a risk-coverage curve, at a distinct confidence
// threshold: accepting every prediction with conf >= Threshold.
type RCPoint struct {
	Threshold   float64 // confidence at which this point's block is accepted
	Coverage    float64 // accepted / N
	Risk        float64 // selective risk: wrong accepted / accepted
	GenRisk     float64 // generalised risk: wrong accepted / N
	Accepted    int
	WrongAccept int
}

// RiskCoverage returns the risk-coverage curve for plotting, one point per
// distinct confidence in descending order (coverage increasing to 1). Points
// are only where a threshold can actually fall; between them the expected
// failure count is linear, which is how AURC and AUGRC integrate it.
func RiskCoverage(conf []float64, wrong []bool) ([]RCPoint, error) {
	gs, _, err := groups("risk-coverage", conf, wrong)
	if err != nil {
		return nil, err
	}
	n := float64(len(conf))
	pts := make([]RCPoint, len(gs))
	for i, g := range gs {
		pts[i] = RCPoint{
			Threshold:   g.conf,
			Coverage:    float64(g.k) / n,
			Risk:        float64(g.w) / float64(g.k),
			GenRisk:     float64(g.w) / n,
			Accepted:    g.k,
			WrongAccept: g.w,
		}
	}
	return pts, nil
}

// FailureReport holds every failure-detection metric of one score.
// Undefined metrics (no correct or no wrong predictions) are NaN.
type FailureReport struct {
	AUROCf    float64
	AURC      float64
	EAURC     float64
	AUGRC     float64
	FPR95TPR  float64
	N, NWrong int
}

// Failure computes all failure-detection metrics in one call.
func Failure(conf []float64, wrong []bool) (FailureReport, error) {
	gs, nWrong, err := groups("failure metrics", conf, wrong)
	if err != nil {
		return FailureReport{}, err
	}
	return fromGroups(gs, len(conf), nWrong), nil
}

// fromGroups computes every metric from the tied blocks of n predictions,
// nWrong of them failures. AUROC_f counts, block by block from the most
// confident, correct predictions above each failure (ties 1/2), in integers
// as ROCAUC does, so both give the same number.
func fromGroups(gs []group, n, nWrong int) FailureReport {
	r := FailureReport{N: n, NWrong: nWrong, AUROCf: math.NaN(), FPR95TPR: math.NaN()}
	if n == 0 {
		r.AURC, r.EAURC, r.AUGRC = math.NaN(), math.NaN(), math.NaN()
		return r
	}
	r.AURC = aurcFromGroups(gs)
	r.EAURC = r.AURC - oracleAURC(n, nWrong)
	var twice float64
	var pairs2 int64
	wPrev, correctAbove := 0, 0
	for _, g := range gs {
		twice += float64(g.size) * float64(wPrev+g.w)
		wPrev = g.w
		c := g.size - g.wrong
		pairs2 += int64(2*correctAbove)*int64(g.wrong) + int64(c)*int64(g.wrong)
		correctAbove += c
	}
	r.AUGRC = twice / (2 * float64(n) * float64(n))
	nCorrect := n - nWrong
	if nWrong == 0 || nCorrect == 0 {
		return r
	}
	r.AUROCf = float64(pairs2) / (2 * float64(nCorrect) * float64(nWrong))
	for _, g := range gs {
		if 100*(g.k-g.w) >= 95*nCorrect {
			r.FPR95TPR = float64(g.w) / float64(nWrong)
			break
		}
	}
	return r
}
