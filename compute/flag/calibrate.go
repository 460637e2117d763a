package flag

import (
	"fmt"
	"math"

	"github.com/gradprint/gradprint/compute/metrics"
)

// ErrRiskUnattainable reports that no threshold reaches the target risk on
// the calibration set, not even accepting only the most confident block.
var ErrRiskUnattainable = metrics.ErrRiskUnattainable

// Threshold is a calibrated acceptance rule: accept a prediction when its
// confidence >= Threshold, flag it otherwise. Coverage and Risk are what the
// rule achieved on the calibration (validation) set, an in-sample estimate.
type Threshold struct {
	Threshold float64 `json:"threshold"`
	Coverage  float64 `json:"coverage"` // accepted / N on the calibration set
	Risk      float64 `json:"risk"`     // wrong among accepted / accepted
	Accepted  int     `json:"accepted"`
	N         int     `json:"n"`
	Target    string  `json:"target"` // e.g. "coverage>=0.9", "risk<=0.05"
}

// Accept reports whether a prediction with this confidence passes.
func (t Threshold) Accept(conf float64) bool { return conf >= t.Threshold }

// CalibrateCoverage returns the highest threshold that accepts at least the
// fraction coverage (in (0, 1]) of the calibration predictions. Tied
// confidences are accepted or flagged together, so the achieved coverage can
// exceed the target; it is reported.
func CalibrateCoverage(conf []float64, wrong []bool, coverage float64) (Threshold, error) {
	if !(coverage > 0 && coverage <= 1) {
		return Threshold{}, fmt.Errorf("calibrate threshold: target coverage %v outside (0, 1]", coverage)
	}
	pts, err := metrics.RiskCoverage(conf, wrong)
	if err != nil {
		return Threshold{}, fmt.Errorf("calibrate threshold: %w", err)
	}
	n := len(conf)
	// The 1e-9 keeps 0.9 x 10 = 9.000000000000002 from demanding 10 rows.
	need := int(math.Ceil(coverage*float64(n) - 1e-9))
	for _, p := range pts {
		if p.Accepted >= need {
			return threshold(p, n, fmt.Sprintf("coverage>=%g", coverage)), nil
		}
	}
	last := pts[len(pts)-1] // accepts everything, so always >= need
	return threshold(last, n, fmt.Sprintf("coverage>=%g", coverage)), nil
}

// CalibrateRisk returns the threshold with the largest coverage whose
// selective risk on the calibration set is at most maxRisk (in [0, 1]).
// Risk is not monotone in coverage, so every distinct threshold is checked.
// If even the most confident block is too risky it returns
// ErrRiskUnattainable: flagging everything is for the caller to decide.
func CalibrateRisk(conf []float64, wrong []bool, maxRisk float64) (Threshold, error) {
	if !(maxRisk >= 0 && maxRisk <= 1) {
		return Threshold{}, fmt.Errorf("calibrate threshold: target risk %v outside [0, 1]", maxRisk)
	}
	pts, err := metrics.RiskCoverage(conf, wrong)
	if err != nil {
		return Threshold{}, fmt.Errorf("calibrate threshold: %w", err)
	}
	best := -1
	for i, p := range pts {
		// Integer comparison: wrong <= maxRisk * accepted, with slack for
		// a target like 0.1 not being exact in binary.
		if float64(p.WrongAccept) <= maxRisk*float64(p.Accepted)+1e-9 {
			best = i
		}
	}
	if best < 0 {
		return Threshold{}, fmt.Errorf("calibrate threshold: risk <= %g: most confident block has risk %.3g: %w",
			maxRisk, pts[0].Risk, ErrRiskUnattainable)
	}
	return threshold(pts[best], len(conf), fmt.Sprintf("risk<=%g", maxRisk)), nil
}

func threshold(p metrics.RCPoint, n int, target string) Threshold {
	return Threshold{
		Threshold: p.Threshold,
		Coverage:  p.Coverage,
		Risk:      p.Risk,
		Accepted:  p.Accepted,
		N:         n,
		Target:    target,
	}
}
