package resnet

import (
	"fmt"

	"github.com/gradprint/gradprint/compute/analysis"
	"github.com/gradprint/gradprint/compute/engine"
	"github.com/gradprint/gradprint/compute/saliency"
)

// NumClasses is the width of the classification head.
func (m *Model) NumClasses() int { return m.cfg.Classes }

// Probs runs eval-mode inference and returns softmax probabilities,
// n x classes.
func (m *Model) Probs(images []uint8, n, h, w, c int) ([]float32, error) {
	logits, err := m.Logits(images, n, h, w, c)
	if err != nil {
		return nil, err
	}
	k := m.cfg.Classes
	for i := 0; i < n; i++ {
		row := logits[i*k : (i+1)*k]
		engine.Softmax(row, row)
	}
	return logits, nil
}

// Snapshot copies every parameter and running statistic, for restoring the
// best epoch.
func (m *Model) Snapshot() any {
	ps := m.Params()
	s := make(map[string][]float32, len(ps))
	for _, p := range ps {
		s[p.Name] = append([]float32(nil), p.Data...)
	}
	return s
}

// Restore brings back a Snapshot of this model.
func (m *Model) Restore(snapshot any) error {
	s, ok := snapshot.(map[string][]float32)
	if !ok {
		return fmt.Errorf("resnet: restore from %T, want a snapshot of this model", snapshot)
	}
	for name, data := range s {
		if err := m.SetParam(name, data); err != nil {
			return err
		}
	}
	return nil
}

// Learner adapts a Model and its Adam optimiser to the training loop.
type Learner struct {
	*Model
	Opt *Adam
}

// Step runs one training step at learning rate lr.
func (l Learner) Step(images []uint8, labels []int, n, h, w, c int, lr float32) (float32, error) {
	l.Opt.LR = float64(lr)
	return l.TrainStep(images, labels, n, h, w, c, l.Opt)
}

// Analyzer adapts a Model to the per-image analysis.
type Analyzer struct{ *Model }

var _ analysis.Model = Analyzer{}

// Saliency runs one saliency pass for the analysis.
func (a Analyzer) Saliency(images []uint8, n, h, w, c int, layers []string, target func([]float32) []int) (analysis.Taps, error) {
	r, err := a.Model.Saliency(images, n, h, w, c, layers, func(logits []float32, _, _ int) []int { return target(logits) })
	if err != nil {
		return nil, err
	}
	return taps{r}, nil
}

type taps struct{ r *SaliencyResult }

func (t taps) Logits() []float32 { return t.r.Logits }

func (t taps) Layer(name string) (saliency.Planes, saliency.Planes, error) {
	l, err := t.r.Layer(name)
	if err != nil {
		return saliency.Planes{}, saliency.Planes{}, err
	}
	return saliency.NCHW(l.A, l.N, l.C, l.H, l.W), saliency.NCHW(l.G, l.N, l.C, l.H, l.W), nil
}
