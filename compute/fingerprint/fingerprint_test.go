package fingerprint

import (
	"context"
	"fmt"
	"math"
	"reflect"
	"testing"

	"github.com/gradprint/gradprint/compute/analysis"
	"github.com/gradprint/gradprint/compute/metrics"
	"github.com/gradprint/gradprint/compute/perturb"
	"github.com/gradprint/gradprint/compute/saliency"
	"github.com/gradprint/gradprint/ingest"
	"github.com/gradprint/gradprint/warehouse/rows"
)

// pixModel predicts class 1 for bright images. Its one layer "pix" has the
// image as activation and a gradient of ones, so Grad-CAM's raw map is the
// image scaled to [0, 1]: every feature can be derived from the pixels.
type pixModel struct{ calls int }

func (pixModel) NumClasses() int { return 2 }

type pixTaps struct {
	logits, feats []float32
	act, grad     saliency.Planes
}

func (t pixTaps) Logits() []float32   { return t.logits }
func (t pixTaps) Features() []float32 { return t.feats }
func (t pixTaps) Layer(name string) (saliency.Planes, saliency.Planes, error) {
	if name != "pix" {
		return saliency.Planes{}, saliency.Planes{}, fmt.Errorf("no layer %q", name)
	}
	return t.act, t.grad, nil
}

func (m *pixModel) Saliency(images []uint8, n, h, w, c int, layers []string, target func([]float32) []int) (Taps, error) {
	m.calls++
	sz := h * w * c
	var logits, feats []float32
	act := make([]float32, n*h*w)
	grad := make([]float32, n*h*w)
	for i := 0; i < n; i++ {
		s := 0.0
		for p, v := range images[i*sz : (i+1)*sz] {
			s += float64(v)
			act[i*sz+p] = float32(v) / 255
			grad[i*sz+p] = 1
		}
		mean := s / float64(sz) / 255
		logits = append(logits, 0, float32(8*(mean-0.5)))
		feats = append(feats, float32(mean), float32(1-mean))
	}
	target(logits)
	return pixTaps{logits, feats, saliency.NCHW(act, n, 1, h, w), saliency.NCHW(grad, n, 1, h, w)}, nil
}

func testConfig(t *testing.T, probes []Probe) Config {
	t.Helper()
	p, err := perturb.Lookup("cifar-c", "")
	if err != nil {
		t.Fatal(err)
	}
	return Config{Layers: []analysis.Layer{{Name: "pix", Alias: "p", Depth: 0}}, Method: saliency.GradCAM{}, Probes: probes, Perturb: p, Seed: 7}
}

func TestOwnMapStatsByHand(t *testing.T) {
	mass, peak, ent, zero := ownMapStats([]float32{0, 0, 1, 3})
	// mean 1, max 3; q = (0, 0, 1/4, 3/4).
	wantEnt := -(0.25*math.Log(0.25) + 0.75*math.Log(0.75)) / math.Log(4)
	if math.Abs(mass) > 1e-9 || math.Abs(peak-math.Log10(4)) > 1e-9 || math.Abs(ent-wantEnt) > 1e-9 || zero != 0.5 {
		t.Errorf("stats %v %v %v %v, want 0 %v %v 0.5", mass, peak, ent, zero, math.Log10(4), wantEnt)
	}
	mass, peak, ent, zero = ownMapStats([]float32{0, 0, 0})
	if mass != math.Log10(tiny) || peak != 0 || ent != 0 || zero != 1 {
		t.Errorf("zero map: %v %v %v %v", mass, peak, ent, zero)
	}
	// A flat positive map has full entropy and no peak.
	_, peak, ent, _ = ownMapStats([]float32{2, 2, 2, 2})
	if math.Abs(ent-1) > 1e-12 || math.Abs(peak-math.Log10(2)) > 1e-12 {
		t.Errorf("flat map: peak %v entropy %v", peak, ent)
	}
	g := saliency.NCHW([]float32{3, 4, 0, 0, 1, 1, 1, 1}, 2, 1, 2, 2)
	if got, want := gradNorm(g, 0), math.Log10(math.Sqrt(25.0/4)); math.Abs(got-want) > 1e-12 {
		t.Errorf("grad norm %v, want %v", got, want)
	}
}

func TestNamesMatchFeatures(t *testing.T) {
	m := &pixModel{}
	img := Image{Pixels: make([]uint8, 64), Key: 1}
	for i := range img.Pixels {
		img.Pixels[i] = uint8(30 + i*3)
	}
	// One layer: 5 map statistics; with two probes also 1 per-layer RMSE,
	// 2 per-probe RMSE, flips, two confidence drops and per probe its KL
	// and feature shift.
	for probes, want := range map[int]int{0: 5, 2: 5 + 1 + 2 + 3 + 2*2} {
		cfg := testConfig(t, []Probe{{"gaussian_noise", 2}, {"contrast", 3}}[:probes])
		res, err := cfg.Compute(m, []Image{img}, 8, 8, 1, nil)
		if err != nil {
			t.Fatal(err)
		}
		if got := len(res[0].Features); got != want || len(cfg.Names()) != want {
			t.Fatalf("%d probes: %d features, %d names %v, want %d", probes, got, len(cfg.Names()), cfg.Names(), want)
		}
	}
}

// Probes perturb the incoming image itself: with the image's map being its
// pixels, each probe's RMSE equals the RMSE of the normalised probe image
// against the normalised incoming image, whatever the clean original was.
func TestProbesPerturbTheIncomingImage(t *testing.T) {
	cfg := testConfig(t, []Probe{{"gaussian_noise", 3}, {"contrast", 2}})
	img := make([]uint8, 64)
	for i := range img {
		img[i] = uint8(20 + 3*i)
	}
	res, err := cfg.Compute(&pixModel{}, []Image{{img, 99}}, 8, 8, 1, nil)
	if err != nil {
		t.Fatal(err)
	}
	norm := func(px []uint8) []float32 {
		m := make([]float32, len(px))
		for i, v := range px {
			m[i] = float32(v) / 255
		}
		saliency.Normalize(m)
		return m
	}
	f := res[0].Features
	off := len(mapStats())
	for p, pr := range cfg.Probes {
		probe := make([]uint8, 64)
		if err := cfg.Perturb.Apply(nil, probe, img, 8, 8, 1, pr.Corruption, pr.Severity, perturb.DeriveSeed(99, int64(p), pr.Corruption, pr.Severity)); err != nil {
			t.Fatal(err)
		}
		want, _ := metrics.RMSE(norm(img), norm(probe))
		if got := float64(f[off+1+p]); math.Abs(got-want) > 1e-6 || want == 0 {
			t.Errorf("probe %s RMSE %v, want %v", pr, got, want)
		}
	}
	if mean := (f[off+1] + f[off+2]) / 2; math.Abs(float64(f[off]-mean)) > 1e-6 {
		t.Errorf("per-layer RMSE %v is not the mean over probes %v", f[off], mean)
	}
}

func testSplit(n int) *ingest.Dataset {
	d := &ingest.Dataset{Flag: "test", Source: "mem", Split: ingest.Val, Task: ingest.Binary,
		Classes: []string{"dark", "bright"}, N: n, H: 8, W: 8, C: 1}
	for i := 0; i < n; i++ {
		l := i % 2
		for p := 0; p < 64; p++ {
			d.Images = append(d.Images, uint8(40+120*l+(p*7+i*13)%50))
		}
		d.Labels = append(d.Labels, l)
	}
	return d
}

func runConfig(t *testing.T, batch int) RunConfig {
	return RunConfig{Config: testConfig(t, []Probe{{"gaussian_noise", 2}, {"contrast", 2}}), RunID: "r", RunSeed: 5,
		Corruptions: []string{"gaussian_noise", "brightness"}, Severities: []int{1, 4}, ChunkImages: 3, Batch: batch}
}

// The rows of a split do not depend on the batch size, an interrupted run
// resumes to the same rows, and every variant of every image is there.
func TestRunIsBatchIndependentAndResumes(t *testing.T) {
	d := testSplit(7)
	var snaps []map[string]any
	for _, batch := range []int{3, 8, 100} {
		sink := rows.NewMemSink("r")
		if err := Run(context.Background(), &pixModel{}, d, runConfig(t, batch), sink, nil); err != nil {
			t.Fatal(err)
		}
		snaps = append(snaps, sink.Snapshot())
	}
	if !reflect.DeepEqual(snaps[0], snaps[1]) || !reflect.DeepEqual(snaps[0], snaps[2]) {
		t.Fatal("rows depend on the batch size")
	}
	fps := snaps[0][rows.TableFingerprints].([]rows.Fingerprint)
	if len(fps) != 7*5 {
		t.Fatalf("%d fingerprints, want 7 images x 5 variants", len(fps))
	}
	part := rows.NewMemSink("r")
	ctx, cancel := context.WithCancel(context.Background())
	cut := &cancelAfterCommit{Sink: part, cancel: cancel}
	if err := Run(ctx, &pixModel{}, d, runConfig(t, 8), cut, nil); err == nil {
		t.Fatal("a cancelled run returned no error")
	}
	if err := Run(context.Background(), &pixModel{}, d, runConfig(t, 8), part, nil); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(part.Snapshot(), snaps[0]) {
		t.Fatal("a resumed run differs from an uninterrupted one")
	}
	// The degraded incoming images are analyze's variants: same seeds.
	clean := rows.NewMemSink("r")
	cc := runConfig(t, 8)
	cc.CleanOnly = true
	if err := Run(context.Background(), &pixModel{}, d, cc, clean, nil); err != nil {
		t.Fatal(err)
	}
	if n := len(rows.Collect[rows.Embedding](clean)); n != 7 {
		t.Fatalf("clean only: %d embeddings, want 7", n)
	}
}

type cancelAfterCommit struct {
	rows.Sink
	cancel func()
}

func (c *cancelAfterCommit) Chunk(i int) (rows.Chunk, error) {
	w, err := c.Sink.Chunk(i)
	return commitThenCancel{w, c.cancel}, err
}

type commitThenCancel struct {
	rows.Chunk
	cancel func()
}

func (w commitThenCancel) Commit() error {
	err := w.Chunk.Commit()
	w.cancel()
	return err
}

func TestConfigRefusesBadProbes(t *testing.T) {
	for _, probes := range [][]Probe{
		{{"gaussian_noise", 2}, {"gaussian_noise", 2}},
		{{"fog", 2}},
		{{"contrast", 0}},
	} {
		if err := testConfig(t, probes).Validate(); err == nil {
			t.Errorf("probes %v accepted", probes)
		}
	}
	for _, p := range Presets() {
		if err := testConfig(t, p.Probes).Validate(); err != nil {
			t.Errorf("preset %s: %v", p.Name, err)
		}
	}
	if _, err := LookupPreset(DefaultPreset); err != nil {
		t.Fatal(err)
	}
}

// The per-probe prediction and feature shifts, by hand: one layer, one
// probe that moves p = (0.8, 0.2) to (0.5, 0.5) and h = (3, 4) to (3, 0).
func TestProbeShiftsByHand(t *testing.T) {
	dst := make([]float32, 1+1+3+2)
	probeStats(dst, [][]float64{{0.25}}, 0, [][]float64{{0.8, 0.2}, {0.5, 0.5}}, [][]float32{{3, 4}, {3, 0}})
	want := []float64{0.25, 0.25, 0, 0.3, 0.3, 0.8*math.Log(1.6) + 0.2*math.Log(0.4), math.Log10(4.0 / 5)}
	for i, w := range want {
		if math.Abs(float64(dst[i])-w) > 1e-6 {
			t.Errorf("feature %d = %v, want %v (all %v)", i, dst[i], w, dst)
		}
	}
}
