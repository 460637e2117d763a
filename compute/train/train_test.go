package train

import (
	"context"
	"errors"
	"math"
	"testing"

	"github.com/gradprint/gradprint/ingest"
)

func TestLRScheduleMatchesMultiStepLR(t *testing.T) {
	r := DefaultRecipe()
	for _, c := range []struct {
		epoch int
		want  float64
	}{{0, 1e-3}, {49, 1e-3}, {50, 1e-4}, {74, 1e-4}, {75, 1e-5}, {99, 1e-5}} {
		if got := r.LRAt(c.epoch); math.Abs(got-c.want) > 1e-12 {
			t.Errorf("LRAt(%d) = %g, want %g", c.epoch, got, c.want)
		}
	}
}

func TestRecipeValidate(t *testing.T) {
	bad := []Recipe{
		{Epochs: 0, BatchSize: 1, LR: 1, Gamma: 1, EvalBatch: 1},
		{Epochs: 1, BatchSize: 0, LR: 1, Gamma: 1, EvalBatch: 1},
		{Epochs: 1, BatchSize: 1, LR: 0, Gamma: 1, EvalBatch: 1},
		{Epochs: 1, BatchSize: 1, LR: 1, Gamma: 1, EvalBatch: 1, Milestones: []float64{1.5}},
	}
	for i, r := range bad {
		if r.Validate() == nil {
			t.Errorf("recipe %d: want error", i)
		}
	}
	if err := DefaultRecipe().Validate(); err != nil {
		t.Fatal(err)
	}
}

// logistic is a one-feature learner on the mean pixel: p(class 1) =
// sigmoid(a*mean + b). Its validation AUC is fixed by the sign of a, so the
// test can steer which epoch is best.
type logistic struct {
	a, b     float64
	steps    int
	schedule []float64 // a after each epoch, set by the test
	lrs      []float32
	perEpoch int
}

func mean(img []uint8) float64 {
	s := 0.0
	for _, v := range img {
		s += float64(v)
	}
	return s / float64(len(img)) / 255
}

func (l *logistic) Step(images []uint8, labels []int, n, h, w, c int, lr float32) (float32, error) {
	l.steps++
	l.lrs = append(l.lrs, lr)
	if l.steps%l.perEpoch == 0 {
		l.a = l.schedule[l.steps/l.perEpoch-1]
	}
	return 0.5, nil
}

func (l *logistic) Probs(images []uint8, n, h, w, c int) ([]float32, error) {
	out := make([]float32, 0, 2*n)
	sz := h * w * c
	for i := 0; i < n; i++ {
		p := 1 / (1 + math.Exp(-(l.a*mean(images[i*sz:(i+1)*sz]) + l.b)))
		out = append(out, float32(1-p), float32(p))
	}
	return out, nil
}

func (l *logistic) Snapshot() any { return [2]float64{l.a, l.b} }
func (l *logistic) Restore(s any) error {
	v := s.([2]float64)
	l.a, l.b = v[0], v[1]
	return nil
}

// brightSplit makes n 2x2 grey images whose class 1 is brighter.
func brightSplit(n int, split ingest.Split) *ingest.Dataset {
	d := &ingest.Dataset{Flag: "test", Split: split, Task: ingest.Binary, Classes: []string{"dark", "bright"}, N: n, H: 2, W: 2, C: 1}
	for i := 0; i < n; i++ {
		l := i % 2
		v := uint8(60 + 100*l + i%7)
		d.Images = append(d.Images, v, v, v, v)
		d.Labels = append(d.Labels, l)
	}
	return d
}

func TestFitRestoresBestEpoch(t *testing.T) {
	tr, va := brightSplit(10, ingest.Train), brightSplit(8, ingest.Val)
	// Batch 4 over 10 images = 3 steps per epoch. Epoch 2 has the right
	// sign (AUC 1); the others invert the ranking (AUC 0).
	m := &logistic{perEpoch: 3, schedule: []float64{-1, 5, -2, -3}}
	r := Recipe{Epochs: 4, BatchSize: 4, LR: 0.1, Milestones: []float64{0.5}, Gamma: 0.1, EvalBatch: 3, Seed: 7}
	var seen []Epoch
	res, err := Fit(context.Background(), m, tr, va, r, func(e Epoch) { seen = append(seen, e) })
	if err != nil {
		t.Fatal(err)
	}
	if res.BestEpoch != 2 || res.BestValAUC != 1 {
		t.Fatalf("best epoch %d AUC %g, want epoch 2 AUC 1", res.BestEpoch, res.BestValAUC)
	}
	if m.a != 5 {
		t.Fatalf("model holds a=%g after Fit, want the best epoch's 5", m.a)
	}
	if len(seen) != 4 || !seen[1].IsBest || seen[2].IsBest {
		t.Fatalf("epoch records %+v", seen)
	}
	// lr 0.1 for epochs 1-2, 0.01 after the milestone at 50%.
	if m.lrs[0] != 0.1 || m.lrs[5] != 0.1 || math.Abs(float64(m.lrs[6])-0.01) > 1e-9 {
		t.Fatalf("learning rates %v", m.lrs)
	}
}

func TestFitStopsOnCancel(t *testing.T) {
	tr, va := brightSplit(10, ingest.Train), brightSplit(8, ingest.Val)
	m := &logistic{perEpoch: 3, schedule: []float64{1, 1, 1}}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := Fit(ctx, m, tr, va, Recipe{Epochs: 3, BatchSize: 4, LR: 1, Gamma: 1, EvalBatch: 4}, nil)
	if !errors.Is(err, context.Canceled) || m.steps != 0 {
		t.Fatalf("err = %v after %d steps, want context.Canceled before any step", err, m.steps)
	}
}

func TestEvaluateComputesMedMNISTMetrics(t *testing.T) {
	va := brightSplit(8, ingest.Val)
	ev, err := Evaluate(&logistic{a: 10, b: -5}, va, 3)
	if err != nil {
		t.Fatal(err)
	}
	if ev.AUC != 1 || ev.ACC != 1 || len(ev.Probs) != 16 {
		t.Fatalf("AUC %g ACC %g probs %d, want 1, 1, 16", ev.AUC, ev.ACC, len(ev.Probs))
	}
	if !(ev.Loss > 0 && ev.Loss < math.Log(2)) {
		t.Fatalf("loss %g, want in (0, ln 2)", ev.Loss)
	}
}
