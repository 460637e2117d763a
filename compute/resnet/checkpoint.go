package resnet

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"os"
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

// Save writes the model's state dict (torchvision names, including
// num_batches_tracked) and meta to path atomically.
func Save(path string, m *Model, meta Meta) error {
	meta.Config = m.Config()
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
// MedMNIST's normalisation is assumed.
func Load(path string) (*Model, Meta, error) {
	ts, md, err := weights.Load(path)
	if err != nil {
		return nil, Meta{}, err
	}
	var meta Meta
	if s, ok := md[metaKey]; ok {
		if err := json.Unmarshal([]byte(s), &meta); err != nil {
			return nil, Meta{}, fmt.Errorf("load model %s: metadata %q: %w", path, metaKey, err)
		}
	} else {
		if meta.Config, err = inferConfig(ts); err != nil {
			return nil, Meta{}, fmt.Errorf("load model %s: %w", path, err)
		}
	}
	m, err := New(meta.Config, 0)
	if err != nil {
		return nil, Meta{}, fmt.Errorf("load model %s: %w", path, err)
	}
	for _, p := range m.Params() {
		t, ok := ts[p.Name]
		if !ok {
			return nil, Meta{}, fmt.Errorf("load model %s: tensor %s missing (want shape %v)", path, p.Name, p.Shape)
		}
		if len(t.Data) != len(p.Data) {
			return nil, Meta{}, fmt.Errorf("load model %s: tensor %s has shape %v, want %v", path, p.Name, t.Shape, p.Shape)
		}
		copy(p.Data, t.Data)
	}
	m.ParamsChanged()
	for name, t := range ts {
		if bn, ok := strings.CutSuffix(name, ".num_batches_tracked"); ok && len(t.Data) == 1 {
			if err := m.SetBatchesTracked(bn, int64(t.Data[0])); err != nil {
				return nil, Meta{}, fmt.Errorf("load model %s: %w", path, err)
			}
		}
	}
	return m, meta, nil
}

// inferConfig reads the architecture off torchvision tensor shapes.
func inferConfig(ts map[string]weights.Tensor) (Config, error) {
	conv1, ok := ts["conv1.weight"]
	if !ok || len(conv1.Shape) != 4 {
		return Config{}, fmt.Errorf("tensor conv1.weight missing or not 4-D: not a torchvision ResNet state dict")
	}
	fc, ok := ts["fc.weight"]
	if !ok || len(fc.Shape) != 2 {
		return Config{}, fmt.Errorf("tensor fc.weight missing or not 2-D")
	}
	cfg := MedMNISTConfig(conv1.Shape[1], fc.Shape[0])
	cfg.Width = float64(conv1.Shape[0]) / 64
	switch conv1.Shape[2] {
	case 3:
		cfg.Stem = SmallStem
	case 7:
		cfg.Stem = ImageNetStem
	default:
		return Config{}, fmt.Errorf("conv1.weight kernel %dx%d: want 3 (small stem) or 7 (ImageNet stem)", conv1.Shape[2], conv1.Shape[3])
	}
	return cfg, cfg.Validate()
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
