package train

import (
	"context"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/gradprint/gradprint/ingest"
)

func thesisAug() *Augmentation {
	return &Augmentation{Mode: AugmentThesis, Preset: "imagenet-c", Corruptions: []string{"a", "b"}, Severities: []int{1, 3}}
}

// Thesis mode: every (image, variant) exactly once per epoch, 5 variants
// per image here (clean + 2 corruptions x 2 severities).
func TestThesisPlanCoversEveryCopyOnce(t *testing.T) {
	p := newPlan(thesisAug(), 7, 3)
	for ep := range 3 {
		ss := p.epoch()
		if len(ss) != 7*5 {
			t.Fatalf("epoch %d: %d samples, want 35", ep, len(ss))
		}
		seen := map[sample]bool{}
		for _, s := range ss {
			if seen[s] || s.image < 0 || s.image >= 7 || s.variant < 0 || s.variant >= 5 {
				t.Fatalf("epoch %d: sample %+v repeated or out of range", ep, s)
			}
			seen[s] = true
		}
	}
}

// Mode none and random see the images in the order plain training always
// used, so adding augmentation changed nothing for plain runs.
func TestPlainOrderUnchanged(t *testing.T) {
	const n, seed = 50, 9
	ref := rand.New(rand.NewPCG(seed, 0x747261696e))
	order := make([]int, n)
	for i := range order {
		order[i] = i
	}
	none := newPlan(nil, n, seed)
	random := newPlan(&Augmentation{Mode: AugmentRandom, P: 0.5, Corruptions: []string{"a"}, Severities: []int{2}}, n, seed)
	for ep := range 4 {
		ref.Shuffle(n, func(i, j int) { order[i], order[j] = order[j], order[i] })
		a, b := none.epoch(), random.epoch()
		for k := range n {
			if a[k].image != order[k] || b[k].image != order[k] || a[k].variant != 0 {
				t.Fatalf("epoch %d sample %d: none %+v, random %+v, want image %d", ep, k, a[k], b[k], order[k])
			}
		}
	}
}

// Random mode corrupts a share P of the samples, with every corruption x
// severity about equally often, and draws afresh each epoch.
func TestRandomPlanShareAndUniformity(t *testing.T) {
	const n, pr = 20000, 0.3
	aug := &Augmentation{Mode: AugmentRandom, P: pr, Corruptions: []string{"a", "b"}, Severities: []int{1, 2}}
	p := newPlan(aug, n, 1)
	first := slices.Clone(p.epoch())
	second := p.epoch()
	counts := make([]int, aug.Variants())
	for _, s := range first {
		counts[s.variant]++
	}
	corrupted := n - counts[0]
	if se := math.Sqrt(pr * (1 - pr) / n); math.Abs(float64(corrupted)/n-pr) > 4*se {
		t.Fatalf("%d of %d corrupted, want share %g +- %.4f", corrupted, n, pr, 4*se)
	}
	for v := 1; v < len(counts); v++ {
		want := float64(corrupted) / 4
		if math.Abs(float64(counts[v])-want) > 4*math.Sqrt(want) {
			t.Errorf("variant %d drawn %d times, want about %.0f", v, counts[v], want)
		}
	}
	same := 0
	byImage := map[int]int{}
	for _, s := range first {
		byImage[s.image] = s.variant
	}
	for _, s := range second {
		if byImage[s.image] == s.variant {
			same++
		}
	}
	if same > n*9/10 {
		t.Fatalf("%d of %d images got the same variant in two epochs: draws are not fresh", same, n)
	}
}

func TestAugmentationValidate(t *testing.T) {
	for _, c := range []struct {
		a    Augmentation
		want string
	}{
		{Augmentation{Mode: "mixup", Corruptions: []string{"a"}, Severities: []int{1}}, "mode"},
		{Augmentation{Mode: AugmentRandom, P: 1.5, Corruptions: []string{"a"}, Severities: []int{1}}, "probability"},
		{Augmentation{Mode: AugmentRandom, P: math.NaN(), Corruptions: []string{"a"}, Severities: []int{1}}, "probability"},
		{Augmentation{Mode: AugmentThesis, P: 0.5, Corruptions: []string{"a"}, Severities: []int{1}}, "only the random mode"},
		{Augmentation{Mode: AugmentThesis}, "at least one corruption"},
	} {
		if err := c.a.Validate(); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%+v: err %v, want one naming %q", c.a, err, c.want)
		}
	}
	if err := thesisAug().Validate(); err != nil {
		t.Fatal(err)
	}
}

// stamp is a Corrupter that writes the severity into every pixel and
// records the seeds it was given per (image, corruption, severity).
type stamp struct {
	seeds map[string][]uint64
	calls int
}

func (s *stamp) Corrupt(dst, src []uint8, h, w, c int, corruption string, severity int, run uint64, imageID int64) error {
	for i := range dst {
		dst[i] = uint8(100 + severity)
	}
	key := corruption + string(rune('0'+severity)) + string(rune('a'+imageID))
	s.seeds[key] = append(s.seeds[key], run)
	s.calls++
	return nil
}

// counter is a Learner that counts the samples it trains on and checks
// each is the clean image (pixel = label) or a stamped copy.
type counter struct {
	t             *testing.T
	clean, copies int
}

func (c *counter) Step(images []uint8, labels []int, n, h, w, ch int, lr float32) (float32, error) {
	isz := h * w * ch
	for k := range n {
		switch px := images[k*isz]; {
		case int(px) == labels[k]:
			c.clean++
		case px == 101 || px == 103:
			c.copies++
		default:
			c.t.Fatalf("sample %d: pixel %d is neither label %d nor a stamped copy", k, px, labels[k])
		}
	}
	return 0.5, nil
}
func (c *counter) Probs(images []uint8, n, h, w, ch int) ([]float32, error) {
	out := make([]float32, 2*n)
	for i := range n {
		out[2*i], out[2*i+1] = 0.5, 0.5
	}
	return out, nil
}
func (c *counter) Snapshot() any       { return nil }
func (c *counter) Restore(s any) error { return nil }

// labelled is a split of n 2x2 images whose pixels equal their label.
func labelled(n int, split ingest.Split) *ingest.Dataset {
	d := &ingest.Dataset{Split: split, Classes: []string{"a", "b"}, N: n, H: 2, W: 2, C: 1, Images: make([]uint8, 4*n), Labels: make([]int, n)}
	for i := range n {
		d.Labels[i] = i % 2
		for k := range 4 {
			d.Images[4*i+k] = uint8(i % 2)
		}
	}
	return d
}

// FitAugmented trains on every copy in thesis mode (the same copy, same
// seed, every epoch), validates on clean images only, and reports the
// samples it saw.
func TestFitAugmentedThesisAndRandom(t *testing.T) {
	tr, va := labelled(6, ingest.Train), labelled(4, ingest.Val)
	for _, c := range []struct {
		aug         *Augmentation
		copies      int // per epoch
		fixedSeeds  bool
		samplesEach int
	}{
		{thesisAug(), 6 * 4, true, 6 * 5},
		{&Augmentation{Mode: AugmentRandom, P: 1, Corruptions: []string{"a", "b"}, Severities: []int{1, 3}}, 6, false, 6},
	} {
		r := Recipe{Epochs: 3, BatchSize: 4, LR: 1, Gamma: 1, EvalBatch: 4, Seed: 5, Augment: c.aug}
		cor := &stamp{seeds: map[string][]uint64{}}
		l := &counter{t: t}
		res, err := FitAugmented(context.Background(), l, tr, va, r, cor, nil)
		if err != nil {
			t.Fatal(err)
		}
		if l.copies != 3*c.copies || l.clean != 3*(c.samplesEach-c.copies) || cor.calls != 3*c.copies {
			t.Fatalf("%s: %d copies and %d clean samples trained, %d corruptions; want %d copies", c.aug.Mode, l.copies, l.clean, cor.calls, 3*c.copies)
		}
		for _, ep := range res.Epochs {
			if ep.Samples != c.samplesEach {
				t.Fatalf("%s: epoch %d reports %d samples, want %d", c.aug.Mode, ep.Epoch, ep.Samples, c.samplesEach)
			}
		}
		if c.fixedSeeds {
			for key, seeds := range cor.seeds {
				if len(seeds) != 3 || seeds[0] != seeds[1] || seeds[1] != seeds[2] {
					t.Fatalf("thesis copy %s drew seeds %v over 3 epochs: want the same copy every epoch", key, seeds)
				}
			}
		}
	}
	if _, err := FitAugmented(context.Background(), &counter{t: t}, tr, va,
		Recipe{Epochs: 1, BatchSize: 4, LR: 1, Gamma: 1, EvalBatch: 4, Augment: thesisAug()}, nil, nil); err == nil {
		t.Fatal("augmentation without a corrupter: want an error")
	}
}
