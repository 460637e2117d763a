package analysis

import (
	"context"
	"fmt"
	"math"
	"reflect"
	"testing"

	"github.com/gradprint/gradprint/compute/metrics"
	"github.com/gradprint/gradprint/compute/perturb"
	"github.com/gradprint/gradprint/compute/saliency"
	"github.com/gradprint/gradprint/ingest"
	"github.com/gradprint/gradprint/warehouse/rows"
)

// meanModel predicts class 1 for bright images. Its one tapped layer "pix"
// has the image itself as activation and a gradient of ones, so Grad-CAM's
// map is exactly the image scaled to [0,1]: the test can derive every RMSE.
type meanModel struct {
	calls int
}

func (meanModel) NumClasses() int { return 2 }

func (m *meanModel) Logits(images []uint8, n, h, w, c int) ([]float32, error) {
	m.calls++
	out := make([]float32, 0, 2*n)
	sz := h * w * c
	for i := 0; i < n; i++ {
		s := 0.0
		for _, v := range images[i*sz : (i+1)*sz] {
			s += float64(v)
		}
		out = append(out, 0, float32(8*(s/float64(sz)/255-0.5)))
	}
	return out, nil
}

type pixTaps struct {
	logits    []float32
	act, grad saliency.Planes
}

func (t pixTaps) Logits() []float32 { return t.logits }
func (t pixTaps) Layer(name string) (saliency.Planes, saliency.Planes, error) {
	if name != "pix" {
		return saliency.Planes{}, saliency.Planes{}, fmt.Errorf("no layer %q", name)
	}
	return t.act, t.grad, nil
}

func (m *meanModel) Saliency(images []uint8, n, h, w, c int, layers []string, target func([]float32) []int) (Taps, error) {
	logits, _ := m.Logits(images, n, h, w, c)
	target(logits)
	act := make([]float32, n*h*w)
	grad := make([]float32, n*h*w)
	for i := range act {
		act[i] = float32(images[i]) / 255 // c == 1 in these tests
		grad[i] = 1
	}
	return pixTaps{logits, saliency.NCHW(act, n, 1, h, w), saliency.NCHW(grad, n, 1, h, w)}, nil
}

func testSplit(n int) *ingest.Dataset {
	d := &ingest.Dataset{Flag: "test", Source: "mem", Split: ingest.Test, Task: ingest.Binary,
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

func testConfig(t *testing.T) Config {
	t.Helper()
	p, err := perturb.Lookup("cifar-c", "")
	if err != nil {
		t.Fatal(err)
	}
	return Config{
		RunID: "r1", RunSeed: 42, Preset: p,
		Corruptions: []string{"gaussian_noise", "contrast"}, Severities: []int{1, 5},
		Layers:  []Layer{{Name: "pix", Alias: "p", Depth: 0}},
		Methods: []saliency.Method{saliency.GradCAM{}}, Target: TargetClean,
		MapsPerClass: 1, ChunkImages: 3, Batch: 10,
	}
}

func selectEven(n int) []bool {
	s := make([]bool, n)
	for i := range s {
		s[i] = i%3 != 1
	}
	return s
}

func TestRowCountsAndRMSE(t *testing.T) {
	d := testSplit(7)
	cfg := testConfig(t)
	sel := selectEven(d.N) // images 0,2,3,5,6
	sink := rows.NewMemSink("r1")
	if err := Run(context.Background(), &meanModel{}, d, sel, cfg, sink, nil); err != nil {
		t.Fatal(err)
	}
	preds, sal, maps := rows.Collect[rows.Prediction](sink), rows.Collect[rows.Saliency](sink), rows.Collect[rows.Map](sink)
	nv := len(cfg.Variants()) // clean + 2 x 2
	if nv != 5 {
		t.Fatalf("%d variants, want 5", nv)
	}
	if got, want := len(preds), d.N*nv; got != want {
		t.Fatalf("%d prediction rows, want %d", got, want)
	}
	if got, want := len(sal), 5*(nv-1); got != want {
		t.Fatalf("%d saliency rows, want %d", got, want)
	}
	// First selected image of each class: image 0 (dark) and 3 (bright).
	if got, want := len(maps), 2*nv; got != want {
		t.Fatalf("%d map rows, want %d", got, want)
	}
	// Recompute one RMSE from the variant images themselves.
	p := cfg.Preset
	run := perturb.DeriveSeed(cfg.RunSeed, -1, "split:test", 0)
	for _, r := range sal {
		if r.ImageID != 2 || r.Corruption != "gaussian_noise" || r.Severity != 5 {
			continue
		}
		dst := make([]uint8, 64)
		if err := p.ApplyImage(perturb.NewWorkspace(), dst, d.Image(2), 8, 8, 1, "gaussian_noise", 5, run, 2); err != nil {
			t.Fatal(err)
		}
		a, b := make([]float32, 64), make([]float32, 64)
		for i := range a {
			a[i], b[i] = float32(d.Image(2)[i])/255, float32(dst[i])/255
		}
		want, _ := metrics.ThesisRMSE(a, b)
		if math.Abs(float64(r.RMSE)-want) > 1e-4 || r.RMSE == 0 {
			t.Fatalf("RMSE %g, want %g (recomputed from the corrupted image)", r.RMSE, want)
		}
		return
	}
	t.Fatal("no saliency row for image 2 gaussian_noise/5")
}

func TestResumeEqualsUninterrupted(t *testing.T) {
	d := testSplit(7)
	cfg := testConfig(t)
	sel := selectEven(d.N)
	full := rows.NewMemSink("r1")
	if err := Run(context.Background(), &meanModel{}, d, sel, cfg, full, nil); err != nil {
		t.Fatal(err)
	}
	// Interrupt after the first chunk, then rerun into the same sink.
	part := rows.NewMemSink("r1")
	ctx, cancel := context.WithCancel(context.Background())
	stopper := &cancelAfter{Sink: part, after: 1, cancel: cancel}
	if err := Run(ctx, &meanModel{}, d, sel, cfg, stopper, nil); err == nil {
		t.Fatal("interrupted run returned no error")
	}
	if n := len(rows.Collect[rows.Prediction](part)); n == 0 || n >= d.N*5 {
		t.Fatalf("interrupted run left %d prediction rows, want a strict part", n)
	}
	m := &meanModel{}
	if err := Run(context.Background(), m, d, sel, cfg, part, nil); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(full.Snapshot(), part.Snapshot()) {
		t.Fatal("resumed rows differ from an uninterrupted run")
	}
}

// cancelAfter cancels the context once `after` chunks were committed.
type cancelAfter struct {
	rows.Sink
	after  int
	n      int
	cancel func()
}

func (c *cancelAfter) Chunk(i int) (rows.Chunk, error) {
	w, err := c.Sink.Chunk(i)
	return &countCommit{w, c}, err
}

type countCommit struct {
	rows.Chunk
	c *cancelAfter
}

func (w *countCommit) Commit() error {
	err := w.Chunk.Commit()
	w.c.n++
	if w.c.n >= w.c.after {
		w.c.cancel()
	}
	return err
}

func TestBatchSizeDoesNotChangeRows(t *testing.T) {
	d := testSplit(7)
	sel := selectEven(d.N)
	var got []map[string]any
	for _, batch := range []int{5, 17, 100} {
		cfg := testConfig(t)
		cfg.Batch = batch
		sink := rows.NewMemSink("r1")
		if err := Run(context.Background(), &meanModel{}, d, sel, cfg, sink, nil); err != nil {
			t.Fatal(err)
		}
		got = append(got, sink.Snapshot())
	}
	if !reflect.DeepEqual(got[0], got[1]) || !reflect.DeepEqual(got[0], got[2]) {
		t.Fatal("rows depend on the batch size")
	}
}

func TestRejectsBadConfig(t *testing.T) {
	d := testSplit(3)
	cfg := testConfig(t)
	cfg.Severities = []int{6}
	if err := Run(context.Background(), &meanModel{}, d, nil, cfg, rows.NewMemSink("r"), nil); err == nil {
		t.Fatal("severity 6 accepted")
	}
	cfg = testConfig(t)
	cfg.Target = "random"
	if err := Run(context.Background(), &meanModel{}, d, nil, cfg, rows.NewMemSink("r"), nil); err == nil {
		t.Fatal("unknown target accepted")
	}
	cfg = testConfig(t)
	if err := Run(context.Background(), &meanModel{}, d, []bool{true}, cfg, rows.NewMemSink("r"), nil); err == nil {
		t.Fatal("selection of the wrong length accepted")
	}
}

func TestVariantMetrics(t *testing.T) {
	// Four images; clean ranks them perfectly, the corrupted variant
	// swaps the middle two: AUC 0.75, and one of four wrong at 0.5.
	mk := func(corr string, sev int32, p1 []float32) []rows.Prediction {
		var out []rows.Prediction
		for i, p := range p1 {
			out = append(out, rows.Prediction{Split: "test", ImageID: int32(i), Label: int32(i / 2),
				Corruption: corr, Severity: sev, Scores: []float32{1 - p, p}})
		}
		return out
	}
	preds := append(mk("blur", 2, []float32{0.1, 0.6, 0.4, 0.9}), mk(Clean, 0, []float32{0.1, 0.2, 0.7, 0.9})...)
	ms, err := VariantMetrics("r", preds, []string{"a", "b"})
	if err != nil {
		t.Fatal(err)
	}
	find := func(corr, metric string, class int32) rows.Metric {
		for _, m := range ms {
			if m.Corruption == corr && m.Metric == metric && m.ClassIndex == class {
				return m
			}
		}
		t.Fatalf("no %s %s class %d", corr, metric, class)
		return rows.Metric{}
	}
	if m := find(Clean, "auc", -1); m.Value != 1 || m.DeltaVsClean != 0 {
		t.Fatalf("clean auc %+v", m)
	}
	if m := find("blur", "auc", -1); m.Value != 0.75 || m.DeltaVsClean != 0.25 {
		t.Fatalf("blur auc %+v, want 0.75 with delta 0.25", m)
	}
	if m := find("blur", "acc", -1); m.Value != 0.5 || m.DeltaVsClean != 0.5 {
		t.Fatalf("blur acc %+v, want 0.5 with delta 0.5", m)
	}
	if m := find("blur", "balanced_acc", 0); m.Value != 0.5 {
		t.Fatalf("blur recall of class a %+v, want 0.5", m)
	}
	dup := append(preds, preds[0])
	if _, err := VariantMetrics("r", dup, []string{"a", "b"}); err == nil {
		t.Fatal("duplicate prediction accepted")
	}
}
