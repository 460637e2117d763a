package ingest

import (
	"bytes"
	"math"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"testing"
)

func smallSynth(seed uint64) SynthConfig {
	return SynthConfig{Size: 28, Channels: 1, Classes: 4, Train: 200, Val: 40, Test: 80, Seed: seed}
}

func TestSynthDeterministicBytes(t *testing.T) {
	dir := t.TempDir()
	a, b, c := filepath.Join(dir, "a.npz"), filepath.Join(dir, "b.npz"), filepath.Join(dir, "c.npz")
	for _, p := range []string{a, b} {
		if err := WriteSynthetic(p, smallSynth(7)); err != nil {
			t.Fatal(err)
		}
	}
	if err := WriteSynthetic(c, smallSynth(8)); err != nil {
		t.Fatal(err)
	}
	ba, _ := os.ReadFile(a)
	bb, _ := os.ReadFile(b)
	bc, _ := os.ReadFile(c)
	if !bytes.Equal(ba, bb) {
		t.Error("same seed gave different bytes")
	}
	if bytes.Equal(ba, bc) {
		t.Error("different seeds gave the same bytes")
	}
	ds, err := ReadNPZ(a, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got := ds[Test].Classes; !slices.Equal(got, []string{"disc", "ring", "hbar", "vbar"}) || ds[Test].Task != MultiClass {
		t.Errorf("read back classes %v task %s", got, ds[Test].Task)
	}
	if ds[Train].N != 200 || ds[Val].N != 40 || ds[Test].N != 80 {
		t.Errorf("split sizes %d/%d/%d", ds[Train].N, ds[Val].N, ds[Test].N)
	}
	// Balanced labels: round robin then shuffled.
	if c := ds[Train].ClassCounts(); !slices.Equal(c, []int{50, 50, 50, 50}) {
		t.Errorf("train class counts %v", c)
	}
	// A split's images do not depend on the other splits' sizes.
	cfg := smallSynth(7)
	cfg.Train = 10
	other, _ := Synthesize(cfg)
	if !bytes.Equal(other[Test].Images, ds[Test].Images) || !slices.Equal(other[Test].Labels, ds[Test].Labels) {
		t.Error("test split changed when the train size changed")
	}
}

func TestSynthShapesAndChannels(t *testing.T) {
	for _, cfg := range []SynthConfig{
		{Size: 8, Channels: 1, Classes: 2, Train: 5, Val: 1, Test: 2, Seed: 1},
		{Size: 64, Channels: 3, Classes: 7, Train: 14, Val: 7, Test: 7, Seed: 2},
		{Size: 33, Channels: 3, Classes: 3, Train: 0, Val: 0, Test: 6, Seed: 3},
	} {
		ds, err := Synthesize(cfg)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range ds {
			if d.H != cfg.Size || d.W != cfg.Size || d.C != cfg.Channels || d.NumClasses() != cfg.Classes {
				t.Errorf("%+v: got %dx%dx%d %d classes", cfg, d.H, d.W, d.C, d.NumClasses())
			}
			if err := d.Validate(); err != nil {
				t.Error(err)
			}
		}
	}
	for _, bad := range []SynthConfig{
		{Size: 7, Channels: 1, Classes: 2, Train: 1},
		{Size: 28, Channels: 2, Classes: 2, Train: 1},
		{Size: 28, Channels: 1, Classes: 1, Train: 1},
		{Size: 28, Channels: 1, Classes: 8, Train: 1},
		{Size: 28, Channels: 1, Classes: 2, Train: -1, Test: 3},
		{Size: 28, Channels: 1, Classes: 2},
	} {
		if _, err := Synthesize(bad); err == nil {
			t.Errorf("%+v accepted", bad)
		}
	}
}

// Mean brightness alone must not give the class away: the best single
// threshold on an image's mean separates disc from ring only weakly.
func TestSynthNotSeparableByBrightness(t *testing.T) {
	cfg := SynthConfig{Size: 28, Channels: 1, Classes: 2, Train: 600, Seed: 3}
	ds, err := Synthesize(cfg)
	if err != nil {
		t.Fatal(err)
	}
	d := ds[Train]
	type pt struct {
		mean  float64
		label int
	}
	pts := make([]pt, d.N)
	for i := range d.N {
		var s float64
		for _, v := range d.Image(i) {
			s += float64(v)
		}
		pts[i] = pt{s / float64(d.ImageSize()), d.Labels[i]}
	}
	sort.Slice(pts, func(i, j int) bool { return pts[i].mean < pts[j].mean })
	best := 0.0
	below := [2]int{}
	total := d.ClassCounts()
	for _, p := range pts {
		below[p.label]++
		// Threshold after p: class 0 below / class 1 above, or the reverse.
		acc := float64(below[0]+total[1]-below[1]) / float64(d.N)
		best = math.Max(best, math.Max(acc, 1-acc))
	}
	if best > 0.7 {
		t.Errorf("a brightness threshold reaches %.2f accuracy: classes differ by brightness, not structure", best)
	}
}

// Structure must carry the class: averaging centred, noise-free renders
// of each class gives clearly different templates.
func TestSynthClassesDifferInStructure(t *testing.T) {
	cfg := SynthConfig{Size: 28, Channels: 1, Classes: 7, Train: 700, Seed: 5}
	ds, _ := Synthesize(cfg)
	d := ds[Train]
	// Per class: average absolute gradient along x versus y. Horizontal bars
	// have strong vertical gradients, vertical bars strong horizontal ones.
	gx := make([]float64, 7)
	gy := make([]float64, 7)
	for i := range d.N {
		img := d.Image(i)
		for y := 1; y < 27; y++ {
			for x := 1; x < 27; x++ {
				gx[d.Labels[i]] += math.Abs(float64(img[y*28+x+1]) - float64(img[y*28+x-1]))
				gy[d.Labels[i]] += math.Abs(float64(img[(y+1)*28+x]) - float64(img[(y-1)*28+x]))
			}
		}
	}
	hbar, vbar := 2, 3
	if !(gy[hbar]/gx[hbar] > 1.05 && gx[vbar]/gy[vbar] > 1.05) {
		t.Errorf("bar orientation not visible in gradients: hbar gy/gx %.3f, vbar gx/gy %.3f", gy[hbar]/gx[hbar], gx[vbar]/gy[vbar])
	}
}

func BenchmarkSynthesize(b *testing.B) {
	cfg := DefaultSynthConfig()
	for b.Loop() {
		if _, err := Synthesize(cfg); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*(cfg.Train+cfg.Val+cfg.Test)), "ns/image")
}

func TestSynthRefusesSizesItCannotHold(t *testing.T) {
	for _, c := range []SynthConfig{
		{Size: 28, Channels: 1, Classes: 2, Train: 1_000_000_000, Val: 1, Test: 1},
		{Size: 1024, Channels: 3, Classes: 2, Train: 400, Val: 1, Test: 1},
	} {
		if err := c.Validate(); err == nil {
			t.Errorf("%+v accepted", c)
		}
	}
}
