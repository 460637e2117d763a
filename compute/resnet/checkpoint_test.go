package resnet

import (
	"path/filepath"
	"slices"
	"testing"

	"github.com/gradprint/gradprint/compute/weights"
)

func tinyModel(t *testing.T, seed uint64) *Model {
	t.Helper()
	cfg := MedMNISTConfig(1, 3)
	cfg.Width = 0.125
	m, err := New(cfg, seed)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func testImages(n, size int) []uint8 {
	b := make([]uint8, n*size)
	for i := range b {
		b[i] = uint8(i * 37 % 251)
	}
	return b
}

func TestCheckpointRoundTrip(t *testing.T) {
	m := tinyModel(t, 3)
	imgs := testImages(4, 16*16)
	// A training step moves the running statistics away from their init.
	if _, err := m.TrainStep(imgs, []int{0, 1, 2, 0}, 4, 16, 16, 1, NewAdam(1e-3)); err != nil {
		t.Fatal(err)
	}
	want, err := m.Logits(imgs, 4, 16, 16, 1)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "m.safetensors")
	if err := Save(path, m, Meta{Dataset: "x", Classes: []string{"a", "b", "c"}, Seed: 3}); err != nil {
		t.Fatal(err)
	}
	got, meta, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if meta.Dataset != "x" || !slices.Equal(meta.Classes, []string{"a", "b", "c"}) || meta.Config.Width != 0.125 {
		t.Fatalf("meta %+v", meta)
	}
	if n, _ := got.BatchesTracked("bn1"); n != 1 {
		t.Fatalf("num_batches_tracked %d, want 1", n)
	}
	logits, err := got.Logits(imgs, 4, 16, 16, 1)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(logits, want) {
		t.Fatalf("logits after reload %v, want %v", logits, want)
	}
}

// A state dict saved by PyTorch carries no gradprint metadata: the
// architecture comes from the tensor shapes.
func TestLoadInfersTorchvisionConfig(t *testing.T) {
	m := tinyModel(t, 5)
	var ts []weights.Tensor
	for _, p := range m.Params() {
		ts = append(ts, weights.Tensor{Name: p.Name, Shape: p.Shape, Data: p.Data})
	}
	path := filepath.Join(t.TempDir(), "torch.safetensors")
	if err := weights.Save(path, ts, map[string]string{"format": "pt"}); err != nil {
		t.Fatal(err)
	}
	got, meta, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if c := meta.Config; c.InChannels != 1 || c.Classes != 3 || c.Width != 0.125 || c.Stem != SmallStem {
		t.Fatalf("inferred config %+v", c)
	}
	imgs := testImages(2, 16*16)
	a, _ := m.Logits(imgs, 2, 16, 16, 1)
	b, _ := got.Logits(imgs, 2, 16, 16, 1)
	if !slices.Equal(a, b) {
		t.Fatal("inferred model predicts differently")
	}
	if err := weights.Save(path, ts[1:], nil); err != nil {
		t.Fatal(err)
	}
	if _, _, err := Load(path); err == nil {
		t.Fatal("state dict without conv1.weight accepted")
	}
}
