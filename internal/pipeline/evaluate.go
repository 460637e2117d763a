package pipeline

import (
	"context"
	"fmt"

	"github.com/gradprint/gradprint/compute/resnet"
	"github.com/gradprint/gradprint/compute/train"
	"github.com/gradprint/gradprint/ingest"
)

// EvaluateOptions configure Evaluate.
type EvaluateOptions struct {
	Data   DataSource
	Model  string
	Splits []ingest.Split
}

// SplitEvaluation is the classification quality of a model on one split,
// as MedMNIST defines AUC and ACC.
type SplitEvaluation struct {
	Split       string    `json:"split"`
	N           int       `json:"n"`
	AUC         float64   `json:"auc"`
	ACC         float64   `json:"acc"`
	BalancedACC float64   `json:"balanced_acc"`
	PerClassAUC []float64 `json:"per_class_auc"`
	Confusion   [][]int   `json:"confusion"`
	Classes     []string  `json:"classes"`
}

// Evaluate scores a model on each split. It writes nothing.
func Evaluate(ctx context.Context, e Env, o EvaluateOptions) ([]SplitEvaluation, error) {
	if o.Model == "" {
		return nil, fmt.Errorf("--model is required")
	}
	if err := o.validate(); err != nil {
		return nil, err
	}
	m, meta, err := resnet.Load(o.Model)
	if err != nil {
		return nil, err
	}
	path, _, all, err := e.load(o.Data)
	if err != nil {
		return nil, err
	}
	var out []SplitEvaluation
	for _, s := range o.Splits {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		d := all[s]
		if d == nil {
			return nil, fmt.Errorf("--splits: no split %q (want train, val, test)", s)
		}
		if err := fits(m, meta, o.Model, d, path); err != nil {
			return nil, err
		}
		ev, err := train.Evaluate(m, d, 256)
		if err != nil {
			return nil, err
		}
		out = append(out, SplitEvaluation{string(s), d.N, ev.AUC, ev.ACC, ev.BalancedACC, ev.PerClassAUC, ev.Confusion, d.Classes})
	}
	return out, nil
}

// fits refuses images the model was not made for: another channel count
// or class count, or (when the model records it) another image size.
func fits(m *resnet.Model, meta resnet.Meta, model string, d *ingest.Dataset, path string) error {
	if d.C != m.Config().InChannels || d.NumClasses() != m.NumClasses() {
		return fmt.Errorf("%s %s: %d channels and %d classes, model %s expects %d and %d", path, d.Split, d.C, d.NumClasses(), model, m.Config().InChannels, m.NumClasses())
	}
	if meta.Size > 0 && (d.H != meta.Size || d.W != meta.Size) {
		return fmt.Errorf("%s %s: images are %dx%d, model %s was trained on %dx%d: use the dataset at the model's size (--size %d)",
			path, d.Split, d.H, d.W, model, meta.Size, meta.Size, meta.Size)
	}
	return nil
}
