package train

import (
	"fmt"
	"math/rand/v2"
)

// Augmentation modes (a nil *Augmentation is "none": the clean images only).
const (
	AugmentNone   = "none"
	AugmentThesis = "thesis" // every image and all its corrupted copies, every epoch
	AugmentRandom = "random" // each sample corrupted with probability P, drawn fresh each epoch
)

// Augmentation corrupts training samples on the fly, as the thesis's
// augmented BreastMNIST experiment did, without ever holding the copies:
// each batch is corrupted as it is filled.
//
// thesis: an epoch is every training image under every variant (clean and
// each corruption x severity: 26 samples per image for five corruptions at
// five severities), shuffled together; a copy's random draws depend only on
// (seed, image, corruption, severity), so it is the same copy every epoch,
// as the thesis's materialised copies were.
//
// random: an epoch is every training image once, in the order plain
// training would use; each is corrupted with probability P by a corruption
// and severity drawn uniformly, with draws fresh every epoch.
type Augmentation struct {
	Mode        string   `json:"mode"`
	P           float64  `json:"p,omitempty"`
	Preset      string   `json:"preset"`
	Corruptions []string `json:"corruptions"`
	Severities  []int    `json:"severities"`
}

// Corrupter applies one corruption at one severity to an image, its
// randomness drawn from (run, imageID, corruption, severity) alone.
type Corrupter interface {
	Corrupt(dst, src []uint8, h, w, c int, corruption string, severity int, run uint64, imageID int64) error
}

// Validate reports the first bad setting.
func (a *Augmentation) Validate() error {
	if a == nil {
		return nil
	}
	switch a.Mode {
	case AugmentThesis, AugmentRandom:
	default:
		return fmt.Errorf("augment mode %q: want %s, %s or %s", a.Mode, AugmentNone, AugmentThesis, AugmentRandom)
	}
	if !(a.P >= 0 && a.P <= 1) {
		return fmt.Errorf("augment p %g: want a probability in [0, 1]", a.P)
	}
	if a.Mode != AugmentRandom && a.P != 0 {
		return fmt.Errorf("augment p %g: only the random mode takes a probability", a.P)
	}
	if len(a.Corruptions) == 0 || len(a.Severities) == 0 {
		return fmt.Errorf("augment: want at least one corruption and one severity (have %d and %d)", len(a.Corruptions), len(a.Severities))
	}
	return nil
}

// Variants is the number of variants per image: clean plus every
// corruption x severity.
func (a *Augmentation) Variants() int {
	if a == nil {
		return 1
	}
	return 1 + len(a.Corruptions)*len(a.Severities)
}

// variant names variant v in [1, Variants()).
func (a *Augmentation) variant(v int) (string, int) {
	s := len(a.Severities)
	return a.Corruptions[(v-1)/s], a.Severities[(v-1)%s]
}

// sample is one training sample of an epoch: an image and its variant
// (0 = clean).
type sample struct {
	image   int
	variant int
}

// plan draws the samples of every epoch. Plain training's shuffle stream is
// kept as it was, so mode none trains exactly as before augmentation existed
// and random sees the images in plain training's order.
type plan struct {
	aug     *Augmentation
	n       int
	shuffle *rand.Rand // the images' order (none, random) or the samples' (thesis)
	draws   *rand.Rand // random: which samples are corrupted, and how
	order   []int
	samples []sample
}

func newPlan(aug *Augmentation, n int, seed uint64) *plan {
	p := &plan{aug: aug, n: n, shuffle: rand.New(rand.NewPCG(seed, 0x747261696e)), // "train"
		draws: rand.New(rand.NewPCG(seed, 0x6175676d656e74))} // "augment"
	p.order = make([]int, n)
	for i := range p.order {
		p.order[i] = i
	}
	if aug != nil && aug.Mode == AugmentThesis {
		v := aug.Variants()
		p.samples = make([]sample, 0, n*v)
		for i := range n {
			for k := range v {
				p.samples = append(p.samples, sample{i, k})
			}
		}
	} else {
		p.samples = make([]sample, n)
	}
	return p
}

// epoch returns the samples of the next epoch, in training order.
func (p *plan) epoch() []sample {
	if p.aug != nil && p.aug.Mode == AugmentThesis {
		p.shuffle.Shuffle(len(p.samples), func(i, j int) { p.samples[i], p.samples[j] = p.samples[j], p.samples[i] })
		return p.samples
	}
	p.shuffle.Shuffle(len(p.order), func(i, j int) { p.order[i], p.order[j] = p.order[j], p.order[i] })
	for k, i := range p.order {
		p.samples[k] = sample{image: i}
		if p.aug != nil && p.draws.Float64() < p.aug.P {
			p.samples[k].variant = 1 + p.draws.IntN(p.aug.Variants()-1)
		}
	}
	return p.samples
}

// runSeed is the seed a corrupted copy's draws come from: fixed over
// epochs in thesis mode (the same copies every epoch), fresh each epoch in
// random mode.
func (p *plan) runSeed(seed uint64, epoch int) uint64 {
	if p.aug.Mode == AugmentThesis {
		return seed
	}
	return seed ^ (uint64(epoch)+1)*0x9e3779b97f4a7c15
}
