package pipeline

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"

	gpflag "github.com/gradprint/gradprint/compute/flag"
	"github.com/gradprint/gradprint/warehouse"
	"github.com/gradprint/gradprint/warehouse/rows"
)

// FailureOptions configure Failure. An empty Run takes the newest complete
// analyze run (of Dataset, when given).
type FailureOptions struct {
	Run      string
	Dataset  string
	Method   string // saliency method whose RMSE profile is used
	Features gpflag.FeatureSet
	Coverage float64 // target coverage of the flag threshold, calibrated on validation
	Boot     int     // bootstrap resamples for the 95% intervals
}

// DefaultFailureOptions is the Grad-CAM++ compact profile at 80% coverage
// with 1000 bootstrap resamples.
func DefaultFailureOptions() FailureOptions {
	return FailureOptions{Method: "gradcampp", Features: gpflag.Compact, Coverage: 0.8, Boot: 1000}
}

// FailureConfig is what a failure run records; flag decodes it.
type FailureConfig struct {
	AnalyzeRun string            `json:"analyze_run"`
	Method     string            `json:"method"`
	Features   gpflag.FeatureSet `json:"features"`
	Coverage   float64           `json:"coverage"`
	Boot       int               `json:"boot"`
	Seed       uint64            `json:"seed"`
}

// FailureResult is the comparison of every failure score on test.
type FailureResult struct {
	RunID, Dataset, AnalyzeRun string
	Val, ValWrong              int // validation images the detector was fitted on, and how many were wrong
	Test, TestWrong            int
	Metrics                    []rows.FailureMetric
}

func (*FailureResult) StepName() string { return "failure" }

// Failure fits the gradient-fingerprint detector on the validation split
// of an analyze run and evaluates it beside MSP, entropy, energy and flips
// on the test split, with bootstrap intervals; it stores the detectors
// under <out>/models and the flags and metrics in the warehouse.
func Failure(ctx context.Context, e Env, o FailureOptions) (*FailureResult, error) {
	if err := o.validate(); err != nil {
		return nil, err
	}
	wh, err := e.openWarehouse()
	if err != nil {
		return nil, err
	}
	ar, err := analyzeRunFor(wh, o)
	if err != nil {
		return nil, err
	}
	ref := warehouse.RunRef{Dataset: ar.Dataset, RunID: ar.RunID}
	val, test, err := splitFeatures(wh, ref, o.Method, o.Features)
	if err != nil {
		return nil, err
	}
	cfg := FailureConfig{AnalyzeRun: ar.RunID, Method: o.Method, Features: o.Features, Coverage: o.Coverage, Boot: o.Boot, Seed: e.Seed}
	run, err := e.openRun(runSpec{kind: "failure", dataset: ar.Dataset, seed: e.Seed, config: cfg, parent: ar.RunID})
	if err != nil {
		return nil, err
	}
	defer run.Close()
	res := &FailureResult{RunID: run.ID(), Dataset: ar.Dataset, AnalyzeRun: ar.RunID, Val: len(val.Wrong), Test: len(test.Wrong)}
	err = e.evaluateDetectors(ctx, run, val, test, o, res)
	if err := run.end(err, nil); err != nil {
		return nil, err
	}
	return res, nil
}

func analyzeRunFor(wh *warehouse.Warehouse, o FailureOptions) (rows.RunMeta, error) {
	if o.Run != "" {
		return wh.Run(o.Run)
	}
	ar, err := wh.Latest(warehouse.RunQuery{Kind: "analyze", Dataset: o.Dataset})
	if errors.Is(err, warehouse.ErrNoRun) {
		return ar, fmt.Errorf("no complete analyze run in %s: run `gradprint analyze --splits val,test --per-class 0` first", wh.Root())
	}
	return ar, err
}

// splitFeatures builds the detector's inputs for the val and test splits
// of an analyze run.
func splitFeatures(wh *warehouse.Warehouse, ref warehouse.RunRef, method string, set gpflag.FeatureSet) (val, test *gpflag.Matrix, err error) {
	preds, err := warehouse.Read[rows.Prediction](wh.Catalog, ref)
	if err != nil {
		return nil, nil, err
	}
	sal, err := warehouse.Read[rows.Saliency](wh.Catalog, ref)
	if err != nil {
		return nil, nil, err
	}
	if val, err = gpflag.BuildFeatures("val", preds, sal, method, set); err != nil {
		return nil, nil, err
	}
	if test, err = gpflag.BuildFeatures("test", preds, sal, method, set); err != nil {
		return nil, nil, err
	}
	return val, test, nil
}

// evaluateDetectors fits, evaluates, saves the detectors and commits the
// flags and metrics (once: a rerun of a complete run rewrites nothing).
func (e Env) evaluateDetectors(ctx context.Context, run *stepRun, val, test *gpflag.Matrix, o FailureOptions, res *FailureResult) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	out, err := gpflag.Evaluate(run.ID(), val, test, gpflag.EvalOptions{Fit: gpflag.Options{Seed: e.Seed}, BootReps: o.Boot, Seed: e.Seed, Coverage: o.Coverage})
	if err != nil {
		return err
	}
	if err := out.Detector.Save(filepath.Join(e.ModelsDir(), run.ID()+"-detector.json")); err != nil {
		return err
	}
	if err := out.DetectorMSP.Save(filepath.Join(e.ModelsDir(), run.ID()+"-detector_msp.json")); err != nil {
		return err
	}
	res.Metrics, res.ValWrong = out.Metrics, out.Detector.NWrong
	for _, w := range test.Wrong {
		if w {
			res.TestWrong++
		}
	}
	return rows.WriteChunk(run, 0, func(c rows.Chunk) error {
		if err := rows.Write(c, out.Flags...); err != nil {
			return err
		}
		return rows.Write(c, out.Metrics...)
	})
}
