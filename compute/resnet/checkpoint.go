package resnet

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"math"
	"os"
	"slices"
	"strings"

	"github.com/gradprint/gradprint/compute/weights"
)

// Meta is what a checkpoint records beside the weights, as safetensors
// string metadata, so a model file alone says how to use it.
type Meta struct {
	Config   Config   `json:"config"`
	Dataset  string   `json:"dataset,omitempty"`
	Classes  []string `json:"classes,omitempty"`
	Size     int      `json:"size,omitempty"`
	Seed     uint64   `json:"seed"`
	TrainRun string   `json:"train_run,omitempty"`
}

const metaKey = "gradprint"

// maxInputSize bounds Meta.Size: ingest reads no image side above 4096 px.
const maxInputSize = 4096

// validate checks m's Config and that the rest of m agrees with it.
func (m Meta) validate() error {
	if err := m.Config.Validate(); err != nil {
		return fmt.Errorf("config: %w", err)
	}
	if m.Size < 0 || m.Size > maxInputSize {
		return fmt.Errorf("size %d, want 0 (unknown) to %d pixels", m.Size, maxInputSize)
	}
	if len(m.Classes) != 0 && len(m.Classes) != m.Config.Classes {
		return fmt.Errorf("%d class names for config.Classes %d, want one name per class or none", len(m.Classes), m.Config.Classes)
	}
	return nil
}

// Save writes the model's state dict (torchvision names, including
// num_batches_tracked) and meta to path atomically.
func Save(path string, m *Model, meta Meta) error {
	meta.Config = m.Config()
	if err := meta.validate(); err != nil {
		return fmt.Errorf("save model %s: metadata: %w", path, err)
	}
	var ts []weights.Tensor
	for _, p := range m.Params() {
		ts = append(ts, weights.Tensor{Name: p.Name, Shape: p.Shape, Data: p.Data})
	}
	for _, c := range m.convs {
		ts = append(ts, weights.Tensor{Name: c.bn + ".num_batches_tracked", Shape: []int{}, Data: []float32{float32(c.stats.Batches)}})
	}
	mj, err := json.Marshal(meta)
	if err != nil {
		return err
	}
	return weights.Save(path, ts, map[string]string{metaKey: string(mj), "format": "pt"})
}

// Load reads a checkpoint written by Save or by PyTorch
// (`safetensors.torch.save_file(model.state_dict(), path)`). Without
// gradprint metadata the architecture is inferred from the tensor shapes and
// MedMNIST's normalisation is assumed. The file must hold exactly a ResNet18
// state dict of that architecture, every tensor in its torchvision shape.
func Load(path string) (*Model, Meta, error) {
	ts, md, err := weights.Load(path)
	if err != nil {
		return nil, Meta{}, err
	}
	m, meta, err := fromTensors(ts, md)
	if err != nil {
		return nil, Meta{}, fmt.Errorf("load model %s: %w", path, err)
	}
	return m, meta, nil
}

// fromTensors builds the model a loaded state dict describes. The config,
// from the metadata or inferred, is bounded and every tensor's shape
// checked against it before New allocates: the model is then no larger
// than the tensors the file really holds.
func fromTensors(ts map[string]weights.Tensor, md map[string]string) (*Model, Meta, error) {
	meta, src, err := readMeta(ts, md)
	if err != nil {
		return nil, Meta{}, err
	}
	batches, err := checkTensors(ts, meta.Config, src)
	if err != nil {
		return nil, Meta{}, err
	}
	m, err := New(meta.Config, 0)
	if err != nil {
		return nil, Meta{}, err
	}
	for _, p := range m.Params() {
		t := ts[p.Name]
		if !slices.Equal(t.Shape, p.Shape) || len(t.Data) != len(p.Data) {
			// checkTensors passed, so New and stateDict disagree: a bug
			// here, reported rather than a panic in copy.
			return nil, Meta{}, fmt.Errorf("resnet: internal error: New made %s %v, stateDict said %v", p.Name, p.Shape, t.Shape)
		}
		copy(p.Data, t.Data)
	}
	m.ParamsChanged()
	for bn, n := range batches {
		if err := m.SetBatchesTracked(bn, n); err != nil {
			return nil, Meta{}, err
		}
	}
	return m, meta, nil
}

// readMeta decodes and validates the gradprint metadata, or infers the
// config without it; src says where the config came from, for errors.
func readMeta(ts map[string]weights.Tensor, md map[string]string) (meta Meta, src string, err error) {
	s, ok := md[metaKey]
	if !ok {
		if meta.Config, err = inferConfig(ts); err != nil {
			return Meta{}, "", err
		}
		return meta, "config inferred from conv1.weight and fc.weight", nil
	}
	if err := weights.UnmarshalStrict([]byte(s), &meta); err != nil {
		return Meta{}, "", fmt.Errorf("metadata %q: %w", metaKey, err)
	}
	if err := meta.validate(); err != nil {
		return Meta{}, "", fmt.Errorf("metadata %q: %w", metaKey, err)
	}
	return meta, fmt.Sprintf("config of metadata %q", metaKey), nil
}

// checkTensors compares the file's tensors with the state dict cfg implies:
// every one present in exactly its shape (shapes, not element counts: a
// transposed or flattened tensor has the right count and the wrong layout),
// and nothing else but num_batches_tracked counters of its batch norms,
// which it returns by batch-norm name. A deeper ResNet's extra blocks are
// refused rather than silently dropped.
func checkTensors(ts map[string]weights.Tensor, cfg Config, src string) (map[string]int64, error) {
	about := fmt.Sprintf("%s: InChannels %d, Classes %d, Width %g, Stem %s", src, cfg.InChannels, cfg.Classes, cfg.Width, cfg.Stem)
	known := map[string]bool{}
	for _, p := range cfg.stateDict() {
		known[p.name] = true
		t, ok := ts[p.name]
		if !ok {
			return nil, fmt.Errorf("tensor %s missing, want shape %v (%s)", p.name, p.shape, about)
		}
		if !slices.Equal(t.Shape, p.shape) {
			return nil, fmt.Errorf("tensor %s has shape %s, want %v (%s)", p.name, fmtShape(t.Shape), p.shape, about)
		}
	}
	batches := map[string]int64{}
	for _, name := range slices.Sorted(maps.Keys(ts)) {
		if known[name] {
			continue
		}
		bn, ok := strings.CutSuffix(name, ".num_batches_tracked")
		if !ok || !known[bn+".running_var"] {
			return nil, fmt.Errorf("tensor %s is not in the ResNet18 state dict (%s): another architecture?", name, about)
		}
		n, err := batchCount(ts[name])
		if err != nil {
			return nil, err
		}
		batches[bn] = n
	}
	return batches, nil
}

// batchCount reads a num_batches_tracked tensor: a scalar count, int64 in
// PyTorch (converted to float32 on load).
func batchCount(t weights.Tensor) (int64, error) {
	if len(t.Shape) != 0 || len(t.Data) != 1 {
		return 0, fmt.Errorf("tensor %s has shape %s, want [] (a scalar count)", t.Name, fmtShape(t.Shape))
	}
	v := float64(t.Data[0])
	if !(v >= 0 && v < math.MaxInt64) || v != math.Trunc(v) {
		return 0, fmt.Errorf("tensor %s is %v, want a whole count >= 0", t.Name, v)
	}
	return int64(v), nil
}

// inferConfig reads the architecture off torchvision tensor shapes, checking
// each before it sizes anything (MedMNISTConfig allocates per input
// channel, New per channel and class).
func inferConfig(ts map[string]weights.Tensor) (Config, error) {
	conv1, ok := ts["conv1.weight"]
	if !ok {
		return Config{}, fmt.Errorf("no %q metadata and no tensor conv1.weight: not a torchvision ResNet state dict", metaKey)
	}
	s := conv1.Shape
	if len(s) != 4 || (s[1] != 1 && s[1] != 3) || s[2] != s[3] || (s[2] != 3 && s[2] != 7) {
		return Config{}, fmt.Errorf("tensor conv1.weight has shape %s, want [64 x width, 1 or 3 input channels, k, k] with k 3 (small stem) or 7 (ImageNet stem)",
			fmtShape(s))
	}
	fc, ok := ts["fc.weight"]
	if !ok {
		return Config{}, fmt.Errorf("no %q metadata and no tensor fc.weight, want one of shape [classes, features]", metaKey)
	}
	if len(fc.Shape) != 2 {
		return Config{}, fmt.Errorf("tensor fc.weight has shape %s, want [classes, features]", fmtShape(fc.Shape))
	}
	cfg := MedMNISTConfig(s[1], fc.Shape[0])
	cfg.Width = float64(s[0]) / 64
	if s[2] == 7 {
		cfg.Stem = ImageNetStem
	}
	if err := cfg.Validate(); err != nil {
		return Config{}, fmt.Errorf("config inferred from conv1.weight %v and fc.weight %v: %w", s, fc.Shape, err)
	}
	return cfg, nil
}

// fmtShape prints a shape from a file in errors, shortened: a hostile
// header may declare millions of dimensions.
func fmtShape(s []int) string {
	if len(s) > 8 {
		return fmt.Sprintf("%v... (%d dimensions)", s[:8], len(s))
	}
	return fmt.Sprint(s)
}

// FileSHA256 is the hex SHA-256 of a model file, recorded with every run.
func FileSHA256(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", fmt.Errorf("hash %s: %w", path, err)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}
