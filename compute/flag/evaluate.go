package flag

import (
	"fmt"
	"math"

	"github.com/gradprint/gradprint/compute/metrics"
	"github.com/gradprint/gradprint/warehouse/rows"
)

// Score names, each oriented higher = more likely correct.
const (
	ScoreMSP         = "msp"
	ScoreEntropy     = "entropy" // negative predictive entropy
	ScoreEnergy      = "energy"
	ScoreFlips       = "flips" // minus the number of prediction flips
	ScoreDetector    = "detector"
	ScoreDetectorMSP = "detector_msp"
)

// EvalOptions control Evaluate.
type EvalOptions struct {
	Fit      Options
	BootReps int     // bootstrap resamples for the 95% intervals
	Seed     uint64  // bootstrap seed
	Coverage float64 // target coverage of the flag threshold, calibrated on validation
}

// Outcome is the evaluation of every score on the test split.
type Outcome struct {
	Detector, DetectorMSP *Model
	Thresholds            map[string]Threshold
	Flags                 []rows.Flag
	Metrics               []rows.FailureMetric
	Curves                map[string][]metrics.RCPoint
}

// Evaluate fits the fingerprint detector (and the detector with the clean
// confidences as extra features) on the validation split, then scores the
// test split with it and with the plain baselines, computing every
// failure-detection metric with a bootstrap 95% interval and a flag per
// image at the threshold that reaches the target coverage on validation.
func Evaluate(runID string, val, test *Matrix, opt EvalOptions) (*Outcome, error) {
	if len(val.Names) != len(test.Names) {
		return nil, fmt.Errorf("flag: validation has %d features, test %d: analyse both splits with the same configuration", len(val.Names), len(test.Names))
	}
	for i := range val.Names {
		if val.Names[i] != test.Names[i] {
			return nil, fmt.Errorf("flag: feature %d is %s on validation, %s on test", i, val.Names[i], test.Names[i])
		}
	}
	det, err := Fit(val.Names, val.X, val.Wrong, opt.Fit)
	if err != nil {
		return nil, fmt.Errorf("flag: fit detector on %s: %w", val.Split, err)
	}
	names2, valX2 := val.WithConfidence()
	_, testX2 := test.WithConfidence()
	det2, err := Fit(names2, valX2, val.Wrong, opt.Fit)
	if err != nil {
		return nil, fmt.Errorf("flag: fit detector+msp on %s: %w", val.Split, err)
	}
	out := &Outcome{Detector: det, DetectorMSP: det2, Thresholds: map[string]Threshold{}, Curves: map[string][]metrics.RCPoint{}}
	type score struct {
		name      string
		val, test []float64
	}
	scores := []score{
		{ScoreMSP, val.MSP, test.MSP},
		{ScoreEntropy, val.NegEntropy, test.NegEntropy},
		{ScoreEnergy, val.Energy, test.Energy},
		{ScoreFlips, val.NegFlips, test.NegFlips},
	}
	for _, d := range []struct {
		name   string
		m      *Model
		vx, tx [][]float64
	}{{ScoreDetector, det, val.X, test.X}, {ScoreDetectorMSP, det2, valX2, testX2}} {
		v, err := d.m.Confidences(d.vx)
		if err != nil {
			return nil, err
		}
		t, err := d.m.Confidences(d.tx)
		if err != nil {
			return nil, err
		}
		scores = append(scores, score{d.name, v, t})
	}
	for _, s := range scores {
		th, err := CalibrateCoverage(s.val, val.Wrong, opt.Coverage)
		if err != nil {
			return nil, fmt.Errorf("flag: calibrate %s: %w", s.name, err)
		}
		out.Thresholds[s.name] = th
		for i, id := range test.ImageIDs {
			out.Flags = append(out.Flags, rows.Flag{
				RunID: runID, Split: test.Split, ImageID: id, ScoreName: s.name, Score: s.test[i],
				Predicted: test.Pred[i], Label: test.Label[i], Correct: !test.Wrong[i],
				Threshold: th.Threshold, Flagged: !th.Accept(s.test[i]),
			})
		}
		ms, err := failureMetrics(runID, test.Split, s.name, s.test, test.Wrong, opt)
		if err != nil {
			return nil, err
		}
		out.Metrics = append(out.Metrics, ms...)
		if out.Curves[s.name], err = metrics.RiskCoverage(s.test, test.Wrong); err != nil {
			return nil, err
		}
	}
	return out, nil
}

var failureFuncs = []struct {
	name string
	fn   func(conf []float64, wrong []bool) (float64, error)
}{
	{"auroc_f", metrics.AUROCf},
	{"aurc", metrics.AURC},
	{"eaurc", metrics.EAURC},
	{"augrc", metrics.AUGRC},
	{"fpr95", metrics.FPRAt95TPR},
}

func failureMetrics(runID, split, name string, conf []float64, wrong []bool, opt EvalOptions) ([]rows.FailureMetric, error) {
	var out []rows.FailureMetric
	cb := make([]float64, 0, len(conf))
	wb := make([]bool, 0, len(wrong))
	for _, f := range failureFuncs {
		v, err := f.fn(conf, wrong)
		if err != nil {
			return nil, fmt.Errorf("flag: %s %s on %s: %w", name, f.name, split, err)
		}
		lo, hi := math.NaN(), math.NaN()
		if opt.BootReps > 0 {
			lo, hi, err = metrics.Bootstrap(len(conf), opt.BootReps, opt.Seed, func(idx []int) float64 {
				cb = metrics.Gather(cb[:0], conf, idx)
				wb = metrics.Gather(wb[:0], wrong, idx)
				x, err := f.fn(cb, wb)
				if err != nil {
					return math.NaN() // a resample with no wrong (or no correct) prediction
				}
				return x
			})
			if err != nil {
				return nil, fmt.Errorf("flag: bootstrap %s %s: %w", name, f.name, err)
			}
		}
		out = append(out, rows.FailureMetric{
			RunID: runID, Split: split, ScoreName: name, Metric: f.name,
			Value: v, CILo: lo, CIHi: hi, N: int32(len(conf)), NBoot: int32(opt.BootReps),
		})
	}
	return out, nil
}
