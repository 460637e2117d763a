package pipeline

import (
	"context"
	"fmt"
	"path/filepath"
	"time"

	"github.com/gradprint/gradprint/ingest"
)

// DemoOptions configure Demo: the epochs and width of its narrow ResNet18.
type DemoOptions struct {
	Epochs int
	Width  float64
}

// DefaultDemoOptions trains 8 epochs at width 0.25 (16/32/64/128 channels).
func DefaultDemoOptions() DemoOptions { return DemoOptions{Epochs: 8, Width: 0.25} }

// DemoResult says where the demo put everything.
type DemoResult struct {
	Data, Model, Warehouse, Report string
	Seconds                        float64
}

// Demo runs the whole study on the synthetic default: train a narrow
// ResNet18, analyse the validation and test splits under the five
// ImageNet-C corruptions at five severities with Grad-CAM++ at the eight
// thesis layers, run the failure study under shift on 150 images per
// split, and draw the report. Each step is skipped or resumed on a rerun,
// as its command would be.
func Demo(ctx context.Context, e Env, o DemoOptions) (*DemoResult, error) {
	start := time.Now()
	synthetic := DataSource{Dataset: "synthetic"}
	model := filepath.Join(e.ModelsDir(), "synthetic.safetensors")

	to := DefaultTrainOptions()
	to.Data, to.Model, to.Width = synthetic, model, o.Width
	to.Recipe.Epochs, to.Recipe.BatchSize = o.Epochs, 64
	if _, err := runStep(ctx, e, Train, to); err != nil {
		return nil, fmt.Errorf("demo %w", err)
	}
	ao := DefaultAnalyzeOptions()
	ao.Data, ao.Model = synthetic, model
	ao.Splits, ao.PerClass = []ingest.Split{ingest.Val, ingest.Test}, 0
	if _, err := runStep(ctx, e, Analyze, ao); err != nil {
		return nil, fmt.Errorf("demo %w", err)
	}
	// The failure study on the first 100 images of each split (5,300
	// incoming images with the default light probes) and 200 bootstrap
	// resamples keeps it to about a minute and a half of the demo on a
	// 2-core machine; a real study fingerprints every image.
	fp := DefaultFingerprintOptions()
	fp.Data, fp.Model, fp.Limit = synthetic, model, 100
	fr, err := runStep(ctx, e, Fingerprint, fp)
	if err != nil {
		return nil, fmt.Errorf("demo %w", err)
	}
	fo := DefaultFailureOptions()
	fo.Run, fo.Boot = fr.RunID, 200
	if _, err := runStep(ctx, e, Failure, fo); err != nil {
		return nil, fmt.Errorf("demo %w", err)
	}
	ro := DefaultReportOptions()
	ro.Dataset = "synthetic"
	rr, err := runStep(ctx, e, Report, ro)
	if err != nil {
		return nil, fmt.Errorf("demo %w", err)
	}
	return &DemoResult{Data: filepath.Join(e.Out, "data"), Model: model, Warehouse: e.WarehouseDir(),
		Report: rr.Index, Seconds: time.Since(start).Seconds()}, nil
}
