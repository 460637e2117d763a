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
// thesis layers, evaluate the failure detector, and draw the report. Each
// step is skipped or resumed on a rerun, as its command would be.
func Demo(ctx context.Context, e Env, o DemoOptions) (*DemoResult, error) {
	start := time.Now()
	synthetic := DataSource{Dataset: "synthetic"}
	model := filepath.Join(e.ModelsDir(), "synthetic.safetensors")

	to := DefaultTrainOptions()
	to.Data, to.Model, to.Width = synthetic, model, o.Width
	to.Recipe.Epochs, to.Recipe.BatchSize = o.Epochs, 64
	tr, err := Train(ctx, e, to)
	if err != nil {
		return nil, fmt.Errorf("demo step train: %w", err)
	}
	e.step(tr)

	ao := DefaultAnalyzeOptions()
	ao.Data, ao.Model = synthetic, model
	ao.Splits, ao.PerClass = []ingest.Split{ingest.Val, ingest.Test}, 0
	ar, err := Analyze(ctx, e, ao)
	if err != nil {
		return nil, fmt.Errorf("demo step analyze: %w", err)
	}
	e.step(ar)

	fo := DefaultFailureOptions()
	fo.Dataset = "synthetic"
	fr, err := Failure(ctx, e, fo)
	if err != nil {
		return nil, fmt.Errorf("demo step failure: %w", err)
	}
	e.step(fr)

	ro := DefaultReportOptions()
	ro.Dataset = "synthetic"
	rr, err := Report(ctx, e, ro)
	if err != nil {
		return nil, fmt.Errorf("demo step report: %w", err)
	}
	e.step(rr)
	return &DemoResult{Data: filepath.Join(e.Out, "data"), Model: model, Warehouse: e.WarehouseDir(),
		Report: rr.Index, Seconds: time.Since(start).Seconds()}, nil
}
