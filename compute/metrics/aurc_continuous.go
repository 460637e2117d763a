package metrics

import "math"

// AURCContinuous is the AURC as FD-Shifts v1 (2024, rc_stats.py, default
// "non-linear interpolation") computes it, for comparing with published
// numbers: the failure count is interpolated linearly between the
// distinct-threshold points of the risk-coverage curve and the selective
// risk W(c)/c is integrated continuously over coverage, the first segment
// (coverage 0 to the most confident block) at that block's risk.
//
// AURC (the mean over k = 1..N that REFERENCE section 9 defines) is the
// project's headline number; the two differ by O(log N / N).
func AURCContinuous(conf []float64, wrong []bool) (float64, error) {
	gs, _, err := groups("AURC (continuous)", conf, wrong)
	if err != nil {
		return 0, err
	}
	return aurcContinuous(gs), nil
}

func aurcContinuous(gs []group) float64 {
	// First segment: constant risk w/k over coverage width k/N gives w/N.
	area := float64(gs[0].w)
	for i := 1; i < len(gs); i++ {
		a, b := float64(gs[i-1].w), float64(gs[i].w)
		c0, c1 := float64(gs[i-1].k), float64(gs[i].k)
		// integral over k in [c0, c1] of (a + (b-a)(k-c0)/(c1-c0)) / k
		area += (b - a) + (a*c1-b*c0)/(c1-c0)*math.Log(c1/c0)
	}
	return area / float64(gs[len(gs)-1].k)
}

// EAURCContinuous is AURCContinuous minus FD-Shifts' analytic optimum for
// binary residuals, err + (1 - err) ln(1 - err) with err the error rate.
func EAURCContinuous(conf []float64, wrong []bool) (float64, error) {
	gs, nWrong, err := groups("e-AURC (continuous)", conf, wrong)
	if err != nil {
		return 0, err
	}
	e := float64(nWrong) / float64(len(conf))
	opt := e
	if e < 1 {
		opt += (1 - e) * math.Log(1-e)
	}
	return aurcContinuous(gs) - opt, nil
}
