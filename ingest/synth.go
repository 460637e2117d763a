package ingest

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
)

// SynthClassNames are the synthetic classes in label order; a K-class
// dataset uses the first K. Each is a shape family, so classes differ in
// structure (what a CNN must learn), never in mean brightness or colour.
var SynthClassNames = []string{"disc", "ring", "hbar", "vbar", "cross", "checker", "triangle"}

// SynthConfig chooses a synthetic MedMNIST-layout dataset. The same config
// (seed included) always gives the same images, labels and file bytes.
type SynthConfig struct {
	Size     int // image side in pixels, >= 8
	Channels int // 1 (grey) or 3 (RGB)
	Classes  int // 2..7
	Train    int
	Val      int
	Test     int
	Seed     uint64
}

// DefaultSynthConfig is the project's embedded default dataset: small
// enough to train on two cores in minutes, large enough for stable AUCs.
func DefaultSynthConfig() SynthConfig {
	return SynthConfig{Size: 28, Channels: 1, Classes: 4, Train: 2000, Val: 400, Test: 800, Seed: 1}
}

// Validate reports the first out-of-range field.
func (c SynthConfig) Validate() error {
	switch {
	case c.Size < 8 || c.Size > 1024:
		return fmt.Errorf("synthetic size %d: want 8..1024 pixels", c.Size)
	case c.Channels != 1 && c.Channels != 3:
		return fmt.Errorf("synthetic channels %d: want 1 or 3", c.Channels)
	case c.Classes < 2 || c.Classes > len(SynthClassNames):
		return fmt.Errorf("synthetic classes %d: want 2..%d", c.Classes, len(SynthClassNames))
	case c.Train < 0 || c.Val < 0 || c.Test < 0:
		return fmt.Errorf("synthetic split sizes %d/%d/%d: want non-negative counts", c.Train, c.Val, c.Test)
	case c.Train+c.Val+c.Test == 0:
		return fmt.Errorf("synthetic split sizes are all zero")
	case c.Train > MaxSynthImages || c.Val > MaxSynthImages || c.Test > MaxSynthImages:
		return fmt.Errorf("synthetic split sizes %d/%d/%d: want at most %d images per split", c.Train, c.Val, c.Test, MaxSynthImages)
	}
	// The generator holds a split in memory while it writes it.
	if px := int64(max(c.Train, c.Val, c.Test)) * int64(c.Size*c.Size*c.Channels); px > MaxSynthBytes {
		return fmt.Errorf("synthetic split of %d images of %dx%dx%d is %d bytes: want at most %d (fewer images or a smaller size)",
			max(c.Train, c.Val, c.Test), c.Size, c.Size, c.Channels, px, int64(MaxSynthBytes))
	}
	return nil
}

// Bounds of the synthetic generator: MedMNIST's largest split has 165,466
// images (TissueMNIST train), and a split is held in memory while written.
const (
	MaxSynthImages = 1_000_000
	MaxSynthBytes  = 1 << 30
)

// Info describes the synthetic dataset as a registry-like entry.
func (c SynthConfig) Info() *Info {
	task := MultiClass
	if c.Classes == 2 {
		task = Binary
	}
	return &Info{
		Flag: "synthetic", Modality: "synthetic shapes", Task: task,
		Classes: slices.Clone(SynthClassNames[:c.Classes]), Channels: c.Channels,
		SplitSizes: map[Split]int{Train: c.Train, Val: c.Val, Test: c.Test},
		License:    "generated",
	}
}

func (c SynthConfig) splitSize(s Split) int {
	switch s {
	case Train:
		return c.Train
	case Val:
		return c.Val
	default:
		return c.Test
	}
}

// Synthesize renders the three splits. Each image draws from its own PCG
// stream keyed by (seed, split, index), so a split's images do not depend
// on the other splits' sizes, and labels are balanced (round robin, then
// shuffled with the split's own stream).
func Synthesize(cfg SynthConfig) (map[Split]*Dataset, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	info := cfg.Info()
	out := map[Split]*Dataset{}
	for si, s := range Splits {
		n := cfg.splitSize(s)
		labels := make([]int, n)
		for i := range labels {
			labels[i] = i % cfg.Classes
		}
		lr := rand.New(rand.NewPCG(cfg.Seed, uint64(si+1)<<56))
		lr.Shuffle(n, func(i, j int) { labels[i], labels[j] = labels[j], labels[i] })
		d := &Dataset{
			Flag: info.Flag, Source: fmt.Sprintf("synthetic(seed=%d)", cfg.Seed), Split: s,
			Task: info.Task, Classes: slices.Clone(info.Classes),
			N: n, H: cfg.Size, W: cfg.Size, C: cfg.Channels,
			Images: make([]uint8, n*cfg.Size*cfg.Size*cfg.Channels),
			Labels: labels,
		}
		scratch := make([]float64, cfg.Size*cfg.Size)
		for i := range n {
			r := rand.New(rand.NewPCG(cfg.Seed, uint64(si+1)<<56|uint64(i)+1))
			renderShape(d.Image(i), scratch, cfg.Size, cfg.Channels, labels[i], r)
		}
		out[s] = d
	}
	return out, nil
}

// WriteSynthetic renders cfg and writes it atomically as a deflated npz with
// a class_names array.
func WriteSynthetic(path string, cfg SynthConfig) error {
	ds, err := Synthesize(cfg)
	if err != nil {
		return err
	}
	return WriteDatasetsNPZ(path, ds, true)
}

func uniform(r *rand.Rand, lo, hi float64) float64 { return lo + (hi-lo)*r.Float64() }

// renderShape draws one image of class label into img (H*W*C bytes). The
// difficulty knobs (contrast down to near the noise level, position and
// scale jitter, random polarity, textured background, distractor blob,
// bar angles that approach each other) are set so that a small CNN learns
// the classes well but not perfectly: failure flagging needs real errors.
func renderShape(img []uint8, mask []float64, size, channels, label int, r *rand.Rand) {
	deg := math.Pi / 180
	cx, cy := 0.5+uniform(r, -0.17, 0.17), 0.5+uniform(r, -0.17, 0.17)
	rad := uniform(r, 0.17, 0.30)
	// Thin structures must stay at least about one pixel wide.
	thick := math.Max(uniform(r, 0.045, 0.085), 1.0/float64(size))
	var theta float64
	switch SynthClassNames[label] {
	case "hbar":
		theta = uniform(r, -35, 35) * deg
	case "vbar":
		theta = uniform(r, 55, 125) * deg
	case "triangle":
		theta = uniform(r, 0, 120) * deg
	default:
		theta = uniform(r, 0, 90) * deg
	}
	cosT, sinT := math.Cos(theta), math.Sin(theta)

	// Background: level, linear gradient and a low-frequency wave.
	base := uniform(r, 0.25, 0.6)
	gx, gy := uniform(r, -0.15, 0.15), uniform(r, -0.15, 0.15)
	wAmp, wFx, wFy, wPh := uniform(r, 0, 0.08), uniform(r, 1, 4), uniform(r, 1, 4), uniform(r, 0, 2*math.Pi)
	amp := uniform(r, 0.12, 0.5)
	if r.IntN(2) == 0 {
		amp = -amp
	}
	sigma := uniform(r, 0.03, 0.15)
	hasDistractor := r.IntN(2) == 0
	dx, dy := uniform(r, 0.1, 0.9), uniform(r, 0.1, 0.9)
	drad, damp := uniform(r, 0.035, 0.07), uniform(r, 0.1, 0.4)
	if r.IntN(2) == 0 {
		damp = -damp
	}
	var fgTint, bgTint [3]float64
	for c := range channels {
		fgTint[c], bgTint[c] = 1, 1
		if channels == 3 {
			// Colour varies per image, not per class, so it carries no label.
			fgTint[c], bgTint[c] = uniform(r, 0.7, 1.3), uniform(r, 0.7, 1.3)
		}
	}

	px := float64(size)
	for y := range size {
		for x := range size {
			fx, fy := (float64(x)+0.5)/px, (float64(y)+0.5)/px
			px0, py0 := fx-cx, fy-cy
			u := px0*cosT + py0*sinT
			v := -px0*sinT + py0*cosT
			sd, val := shapeSD(label, u, v, rad, thick)
			m := clamp01(0.5-sd*px) * val
			if hasDistractor {
				dd := math.Hypot(fx-dx, fy-dy) - drad
				m += clamp01(0.5-dd*px) * damp / amp
			}
			mask[y*size+x] = m
		}
	}
	for y := range size {
		for x := range size {
			fx, fy := (float64(x)+0.5)/px, (float64(y)+0.5)/px
			bg := base + gx*(fx-0.5) + gy*(fy-0.5) + wAmp*math.Sin(2*math.Pi*(wFx*fx+wFy*fy)+wPh)
			m := mask[y*size+x]
			for c := range channels {
				val := float64(bg*bgTint[c]) + float64(amp*m*fgTint[c]) + sigma*r.NormFloat64()
				img[(y*size+x)*channels+c] = uint8(math.Round(255 * clamp01(val)))
			}
		}
	}
}

// shapeSD returns the signed distance (negative inside) of class label's
// shape at local coordinates (u, v), and the fill value inside it.
func shapeSD(label int, u, v, rad, thick float64) (sd, val float64) {
	switch SynthClassNames[label] {
	case "disc":
		return math.Hypot(u, v) - rad, 1
	case "ring":
		return math.Abs(math.Hypot(u, v)-rad) - thick, 1
	case "hbar", "vbar":
		return boxSD(u, v, rad*1.25, thick*1.1), 1
	case "cross":
		return math.Min(boxSD(u, v, rad, thick), boxSD(v, u, rad, thick)), 1
	case "checker":
		half := rad * 0.85
		cell := half / 2
		iu, iv := int(math.Floor(u/cell)), int(math.Floor(v/cell))
		val = 1
		if (iu+iv)&1 != 0 {
			val = 0.15
		}
		return boxSD(u, v, half, half), val
	case "triangle":
		return triangleSD(u, v, rad), 1
	}
	return 1, 0
}

func boxSD(u, v, hu, hv float64) float64 {
	du, dv := math.Abs(u)-hu, math.Abs(v)-hv
	out := math.Hypot(math.Max(du, 0), math.Max(dv, 0))
	return out + math.Min(math.Max(du, dv), 0)
}

// triangleSD is the signed distance to an equilateral triangle with
// circumradius r centred on the origin (after Inigo Quilez's formula).
func triangleSD(u, v, r float64) float64 {
	k := math.Sqrt(3)
	side := r * k / 2 // half the side length
	// The formula puts the apex down; flip so it points up in image rows.
	v = -v
	u = math.Abs(u) - side
	v = v + side/k
	if u+k*v > 0 {
		u, v = (u-k*v)/2, (-k*u-v)/2
	}
	u -= math.Min(math.Max(u, -2*side), 0)
	return -math.Hypot(u, v) * math.Copysign(1, v)
}

func clamp01(x float64) float64 { return math.Min(1, math.Max(0, x)) }
