package pipeline

import (
	"github.com/gradprint/gradprint/compute/analysis"
	"github.com/gradprint/gradprint/compute/fingerprint"
	"github.com/gradprint/gradprint/compute/resnet"
	"github.com/gradprint/gradprint/compute/saliency"
)

// The steps in compute drive a model through small interfaces of their
// own (train.Learner, analysis.Model); these adapters fit the ResNet18 to
// them here, beside the code that runs the steps, so the model knows
// nothing of the steps that use it.

// Learner adapts a Model and its Adam optimiser to the training loop.
type Learner struct {
	*resnet.Model
	Opt *resnet.Adam
}

// Step runs one training step at learning rate lr.
func (l Learner) Step(images []uint8, labels []int, n, h, w, c int, lr float32) (float32, error) {
	l.Opt.LR = float64(lr)
	return l.TrainStep(images, labels, n, h, w, c, l.Opt)
}

// Analyzer adapts a Model to the per-image analysis.
type Analyzer struct{ *resnet.Model }

var _ analysis.Model = Analyzer{}

// Saliency runs one saliency pass for the analysis.
func (a Analyzer) Saliency(images []uint8, n, h, w, c int, layers []string, target func([]float32) []int) (analysis.Taps, error) {
	r, err := a.Model.SaliencyViews(images, n, h, w, c, layers, func(logits []float32, _, _ int) []int { return target(logits) })
	if err != nil {
		return nil, err
	}
	return taps{r}, nil
}

// taps reads a pass's maps in place (SaliencyViews): both steps finish
// with one pass's taps before they start the next, as their Taps
// interfaces require.
type taps struct{ r *resnet.SaliencyResult }

func (t taps) Logits() []float32 { return t.r.Logits }

func (t taps) Layer(name string) (saliency.Planes, saliency.Planes, error) {
	l, err := t.r.Layer(name)
	if err != nil {
		return saliency.Planes{}, saliency.Planes{}, err
	}
	layout := saliency.NCHW
	if l.ChannelMajor {
		layout = saliency.CNHW
	}
	return layout(l.A, l.N, l.C, l.H, l.W), layout(l.G, l.N, l.C, l.H, l.W), nil
}

// Fingerprinter adapts a Model to the fingerprint step, whose taps also
// carry the penultimate features.
type Fingerprinter struct{ *resnet.Model }

var _ fingerprint.Model = Fingerprinter{}

// Saliency runs one saliency pass for the fingerprint step.
func (f Fingerprinter) Saliency(images []uint8, n, h, w, c int, layers []string, target func([]float32) []int) (fingerprint.Taps, error) {
	r, err := f.Model.SaliencyViews(images, n, h, w, c, layers, func(logits []float32, _, _ int) []int { return target(logits) })
	if err != nil {
		return nil, err
	}
	return taps{r}, nil
}

func (t taps) Features() []float32 { return t.r.Features }
