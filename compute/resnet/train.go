package resnet

import (
	"fmt"
	"math"
	"runtime"
	"sync"

	"github.com/gradprint/gradprint/compute/engine"
	"github.com/nlpodyssey/spago/ag"
)

// TrainStep runs one training-mode forward (batch statistics; running
// statistics updated with momentum 0.1 as PyTorch does) and backward pass on
// n uint8 HWC images of h x w x c with labels in [0, Classes), and returns
// the mean cross-entropy. With opt non-nil it then applies opt.Step; either
// way the gradients stay readable through Grads until the next pass.
func (m *Model) TrainStep(images []uint8, labels []int, n, h, w, c int, opt *Adam) (float32, error) {
	p, err := m.plan(n, h, w, c)
	if err != nil {
		return 0, err
	}
	if len(labels) != n {
		return 0, fmt.Errorf("resnet: %d labels for %d images", len(labels), n)
	}
	for i, l := range labels {
		if l < 0 || l >= m.cfg.Classes {
			return 0, fmt.Errorf("resnet: label %d of image %d outside [0, %d)", l, i, m.cfg.Classes)
		}
	}
	if n*p.out[7].H*p.out[7].W < 2 {
		return 0, fmt.Errorf("resnet: training needs more than one value per channel in layer4 (batch %d of %dx%d images)", n, h, w)
	}
	m.arena.Reset()
	for _, t := range m.trainable() {
		t.ZeroGrad()
	}
	x, err := m.normalise(images, p.in)
	if err != nil {
		return 0, err
	}
	loss, err := m.trainGraph(x, p, labels)
	// Running statistics may already have moved even on error.
	m.ParamsChanged()
	if err != nil {
		return 0, err
	}
	if err := ag.Backward(loss); err != nil {
		return 0, fmt.Errorf("resnet: backward: %w", err)
	}
	l := engine.Data(loss)[0]
	if opt != nil {
		if err := opt.Step(m); err != nil {
			return l, err
		}
	}
	return l, nil
}

// Adam is torch.optim.Adam (no amsgrad): L2 weight decay added to the
// gradient, bias-corrected moments. LR may be changed between steps for a
// schedule.
type Adam struct {
	LR, Beta1, Beta2, Eps, WeightDecay float64

	step int
	m, v [][]float32
}

// NewAdam returns Adam with PyTorch's defaults (betas 0.9/0.999, eps 1e-8,
// no weight decay) and learning rate lr.
func NewAdam(lr float64) *Adam {
	return &Adam{LR: lr, Beta1: 0.9, Beta2: 0.999, Eps: 1e-8}
}

// Steps returns the number of updates applied so far.
func (a *Adam) Steps() int { return a.step }

// Step updates every parameter of model that has a gradient, in place.
func (a *Adam) Step(model *Model) error {
	ps := model.trainable()
	if a.m == nil {
		a.m, a.v = make([][]float32, len(ps)), make([][]float32, len(ps))
		for i, p := range ps {
			a.m[i] = make([]float32, len(p.Raw()))
			a.v[i] = make([]float32, len(p.Raw()))
		}
	}
	if len(a.m) != len(ps) {
		return fmt.Errorf("adam: state for %d parameters, model has %d (one optimiser per model)", len(a.m), len(ps))
	}
	a.step++
	bc1 := 1 - math.Pow(a.Beta1, float64(a.step))
	bc2 := 1 - math.Pow(a.Beta2, float64(a.step))
	h := engine.AdamHyper{Step: float32(a.LR / bc1), InvSqrtBC2: float32(1 / math.Sqrt(bc2)),
		Beta1: float32(a.Beta1), Beta2: float32(a.Beta2), Eps: float32(a.Eps), WeightDecay: float32(a.WeightDecay)}
	// Split the flattened parameters into one contiguous share per core.
	workers := runtime.GOMAXPROCS(0)
	total := 0
	for _, p := range ps {
		total += len(p.Raw())
	}
	var wg sync.WaitGroup
	for wk := 0; wk < workers; wk++ {
		lo, hi := total*wk/workers, total*(wk+1)/workers
		wg.Add(1)
		go func() {
			defer wg.Done()
			off := 0
			for i, p := range ps {
				n := len(p.Raw())
				s, e := max(lo, off)-off, min(hi, off+n)-off
				off += n
				g := p.GradRaw()
				if s >= e || g == nil {
					continue
				}
				engine.AdamUpdate(p.Raw()[s:e], g[s:e], a.m[i][s:e], a.v[i][s:e], h)
			}
		}()
	}
	wg.Wait()
	model.ParamsChanged()
	return nil
}
