// Package train fits a classifier with the MedMNIST recipe (Adam, step
// learning-rate schedule, model selection by validation AUC with the best
// epoch restored). It emits one record per epoch through a callback and
// knows nothing of storage formats.
package train

import (
	"context"
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/gradprint/gradprint/compute/metrics"
	"github.com/gradprint/gradprint/ingest"
)

// Predictor gives eval-mode softmax probabilities, n x classes.
type Predictor interface {
	Probs(images []uint8, n, h, w, c int) ([]float32, error)
}

// Learner is what the loop needs from a model.
type Learner interface {
	// Step runs one optimisation step (train-mode forward, backward, Adam
	// update at learning rate lr) on n images and returns the mean loss.
	Step(images []uint8, labels []int, n, h, w, c int, lr float32) (float32, error)
	// Probs returns eval-mode softmax probabilities, n x classes.
	Probs(images []uint8, n, h, w, c int) ([]float32, error)
	// Snapshot copies the parameters and buffers; Restore brings them back.
	Snapshot() any
	Restore(snapshot any) error
}

// Recipe holds every knob of the loop. Defaults follow MedMNIST v2.
type Recipe struct {
	Epochs     int       `json:"epochs"`
	BatchSize  int       `json:"batch_size"`
	LR         float64   `json:"lr"`
	Milestones []float64 `json:"milestones"` // fractions of Epochs where lr is multiplied by Gamma
	Gamma      float64   `json:"gamma"`
	EvalBatch  int       `json:"eval_batch"`
	Seed       uint64    `json:"seed"`
	// Patience stops training after this many epochs without a better
	// validation AUC (0 = never stop early).
	Patience int `json:"patience"`
	// Augment corrupts training samples on the fly; nil trains on the
	// clean images only (and is absent from the JSON, so run ids of plain
	// training stay as they were). Model selection always uses the clean
	// validation split.
	Augment *Augmentation `json:"augment,omitempty"`
}

// DefaultRecipe is the MedMNIST v2 ResNet recipe (REFERENCE section 2).
func DefaultRecipe() Recipe {
	return Recipe{Epochs: 100, BatchSize: 128, LR: 1e-3, Milestones: []float64{0.5, 0.75}, Gamma: 0.1, EvalBatch: 256, Seed: 1}
}

// Validate reports the first bad knob.
func (r Recipe) Validate() error {
	switch {
	case r.Epochs <= 0:
		return fmt.Errorf("recipe: epochs %d, want > 0", r.Epochs)
	case r.BatchSize <= 0:
		return fmt.Errorf("recipe: batch size %d, want > 0", r.BatchSize)
	case !(r.LR > 0):
		return fmt.Errorf("recipe: lr %g, want > 0", r.LR)
	case r.Gamma <= 0 || r.Gamma > 1:
		return fmt.Errorf("recipe: gamma %g, want in (0, 1]", r.Gamma)
	case r.EvalBatch <= 0:
		return fmt.Errorf("recipe: eval batch %d, want > 0", r.EvalBatch)
	case r.Patience < 0:
		return fmt.Errorf("recipe: patience %d, want >= 0", r.Patience)
	}
	for _, m := range r.Milestones {
		if m <= 0 || m >= 1 {
			return fmt.Errorf("recipe: milestone %g, want a fraction in (0, 1)", m)
		}
	}
	return r.Augment.Validate()
}

// LRAt is the learning rate of a 0-based epoch: LR times Gamma for every
// milestone epoch already reached (milestone m applies from epoch
// floor(m*Epochs), as PyTorch's MultiStepLR with milestones [50, 75] of 100).
func (r Recipe) LRAt(epoch int) float64 {
	lr := r.LR
	for _, m := range r.Milestones {
		if epoch >= int(math.Floor(m*float64(r.Epochs))) {
			lr *= r.Gamma
		}
	}
	return lr
}

// Epoch is one record of the loop.
type Epoch struct {
	Epoch       int     `json:"epoch"` // 1-based
	LR          float64 `json:"lr"`
	TrainLoss   float64 `json:"train_loss"`
	ValLoss     float64 `json:"val_loss"`
	ValAUC      float64 `json:"val_auc"`
	ValACC      float64 `json:"val_acc"`
	Samples     int     `json:"samples"`      // training samples seen (images x variants under augmentation)
	ImagesPerS  float64 `json:"images_per_s"` // training samples per second
	Seconds     float64 `json:"seconds"`
	IsBest      bool    `json:"is_best"`
	SecondsLeft float64 `json:"-"`
}

// Result summarises a fit.
type Result struct {
	BestEpoch  int     `json:"best_epoch"`
	BestValAUC float64 `json:"best_val_auc"`
	Epochs     []Epoch `json:"epochs"`
	Seconds    float64 `json:"seconds"`
}

// Fit trains m on tr, selects the epoch with the best validation AUC on va,
// restores it, and returns the history. onEpoch (may be nil) sees every
// record as it completes. Cancelling ctx stops between batches with
// ctx.Err(); the model then holds the best epoch so far. A recipe with
// augmentation needs FitAugmented.
func Fit(ctx context.Context, m Learner, tr, va *ingest.Dataset, r Recipe, onEpoch func(Epoch)) (*Result, error) {
	return FitAugmented(ctx, m, tr, va, r, nil, onEpoch)
}

// FitAugmented is Fit with r.Augment applied through cor, which corrupts
// each batch as it is filled: memory is one batch whatever the mode.
func FitAugmented(ctx context.Context, m Learner, tr, va *ingest.Dataset, r Recipe, cor Corrupter, onEpoch func(Epoch)) (*Result, error) {
	if err := r.Validate(); err != nil {
		return nil, err
	}
	if r.Augment != nil && cor == nil {
		return nil, fmt.Errorf("train: augment mode %s needs a corrupter", r.Augment.Mode)
	}
	if tr.N == 0 || va.N == 0 {
		return nil, fmt.Errorf("train: empty split (train %d images, val %d)", tr.N, va.N)
	}
	if tr.H != va.H || tr.W != va.W || tr.C != va.C || tr.NumClasses() != va.NumClasses() {
		return nil, fmt.Errorf("train: train split %dx%dx%d/%d classes and val split %dx%dx%d/%d classes differ",
			tr.H, tr.W, tr.C, tr.NumClasses(), va.H, va.W, va.C, va.NumClasses())
	}
	l := &loop{m: m, tr: tr, r: r, cor: cor, plan: newPlan(r.Augment, tr.N, r.Seed)}
	l.batch, l.labels = make([]uint8, r.BatchSize*tr.ImageSize()), make([]int, r.BatchSize)
	res := &Result{BestEpoch: -1, BestValAUC: math.Inf(-1)}
	var best any
	start := time.Now()
	stale := 0
	for ep := 0; ep < r.Epochs; ep++ {
		t0 := time.Now()
		rec, err := l.epoch(ctx, ep)
		if err != nil {
			if ctx.Err() != nil {
				return finish(res, m, best, start, err)
			}
			return nil, err
		}
		trainSec := time.Since(t0).Seconds()
		ev, err := Evaluate(m, va, r.EvalBatch)
		if err != nil {
			return nil, fmt.Errorf("train: epoch %d validation: %w", ep+1, err)
		}
		rec.ValLoss, rec.ValAUC, rec.ValACC = ev.Loss, ev.AUC, ev.ACC
		rec.ImagesPerS, rec.Seconds = float64(rec.Samples)/trainSec, time.Since(t0).Seconds()
		if ev.AUC > res.BestValAUC || res.BestEpoch < 0 {
			res.BestEpoch, res.BestValAUC = rec.Epoch, ev.AUC
			rec.IsBest = true
			best = m.Snapshot()
			stale = 0
		} else {
			stale++
		}
		el := time.Since(start).Seconds()
		rec.SecondsLeft = el / float64(ep+1) * float64(r.Epochs-ep-1)
		res.Epochs = append(res.Epochs, rec)
		if onEpoch != nil {
			onEpoch(rec)
		}
		if r.Patience > 0 && stale >= r.Patience {
			break
		}
	}
	return finish(res, m, best, start, nil)
}

// loop holds one fit's batch buffers and sample plan.
type loop struct {
	m      Learner
	tr     *ingest.Dataset
	r      Recipe
	cor    Corrupter
	plan   *plan
	batch  []uint8
	labels []int
}

// epoch runs the optimisation steps of 0-based epoch ep and returns its
// record without the validation figures.
func (l *loop) epoch(ctx context.Context, ep int) (Epoch, error) {
	samples := l.plan.epoch()
	lr := l.r.LRAt(ep)
	isz, tr := l.tr.ImageSize(), l.tr
	var lossSum float64
	for b := 0; b < len(samples); b += l.r.BatchSize {
		if err := ctx.Err(); err != nil {
			return Epoch{}, err
		}
		n := min(l.r.BatchSize, len(samples)-b)
		for k, s := range samples[b : b+n] {
			dst := l.batch[k*isz : (k+1)*isz]
			if s.variant == 0 {
				copy(dst, tr.Image(s.image))
			} else {
				corr, sev := l.r.Augment.variant(s.variant)
				if err := l.cor.Corrupt(dst, tr.Image(s.image), tr.H, tr.W, tr.C, corr, sev, l.plan.runSeed(l.r.Seed, ep), int64(s.image)); err != nil {
					return Epoch{}, fmt.Errorf("train: epoch %d: augment image %d with %s severity %d: %w", ep+1, s.image, corr, sev, err)
				}
			}
			l.labels[k] = tr.Labels[s.image]
		}
		loss, err := l.m.Step(l.batch[:n*isz], l.labels[:n], n, tr.H, tr.W, tr.C, float32(lr))
		if err != nil {
			return Epoch{}, fmt.Errorf("train: epoch %d batch %d: %w", ep+1, b/l.r.BatchSize, err)
		}
		if math.IsNaN(float64(loss)) || math.IsInf(float64(loss), 0) {
			return Epoch{}, fmt.Errorf("train: epoch %d batch %d: loss is %v (diverged; lower --lr)", ep+1, b/l.r.BatchSize, loss)
		}
		lossSum += float64(loss) * float64(n)
	}
	return Epoch{Epoch: ep + 1, LR: lr, TrainLoss: lossSum / float64(len(samples)), Samples: len(samples)}, nil
}

func finish(res *Result, m Learner, best any, start time.Time, cause error) (*Result, error) {
	res.Seconds = time.Since(start).Seconds()
	if best != nil {
		if err := m.Restore(best); err != nil {
			return nil, errors.Join(cause, fmt.Errorf("train: restore best epoch %d: %w", res.BestEpoch, err))
		}
	}
	return res, cause
}

// Eval is the outcome of Evaluate on one split.
type Eval struct {
	metrics.Classification
	Loss  float64   // mean cross-entropy
	Probs []float32 // N x classes
}

// Evaluate predicts every image of d in batches and computes MedMNIST's AUC
// and ACC plus per-class AUC, balanced accuracy and the confusion matrix.
func Evaluate(m Predictor, d *ingest.Dataset, batch int) (*Eval, error) {
	k := d.NumClasses()
	probs := make([]float32, 0, d.N*k)
	isz := d.ImageSize()
	for b := 0; b < d.N; b += batch {
		n := min(batch, d.N-b)
		p, err := m.Probs(d.Images[b*isz:(b+n)*isz], n, d.H, d.W, d.C)
		if err != nil {
			return nil, err
		}
		if len(p) != n*k {
			return nil, fmt.Errorf("evaluate: model returned %d probabilities for %d images x %d classes", len(p), n, k)
		}
		probs = append(probs, p...)
	}
	p64 := make([]float64, len(probs))
	var loss float64
	for i, v := range probs {
		p64[i] = float64(v)
	}
	for i, l := range d.Labels {
		loss -= math.Log(max(p64[i*k+l], 1e-12))
	}
	cls, err := metrics.Evaluate(p64, k, d.Labels)
	if err != nil {
		return nil, fmt.Errorf("evaluate %s %s: %w", d.Source, d.Split, err)
	}
	return &Eval{Classification: cls, Loss: loss / float64(d.N), Probs: probs}, nil
}
