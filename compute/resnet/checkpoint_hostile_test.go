package resnet

import (
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/gradprint/gradprint/compute/weights"
)

// modelCase is a checkpoint from the hostile-input campaign, or a relative:
// the fixture with gradprint metadata meta (none if empty) and tensor's
// header entry replaced by entry (raw JSON; deleted if empty), as FuzzLoadModel
// takes them.
type modelCase struct {
	name          string // also the seed corpus file name under testdata/fuzz/FuzzLoadModel
	meta          string
	tensor, entry string
	err           string // Load's exact error, PATH standing for the file; "" loads
}

// reshaped is tensor's fixture entry with another shape over its bytes.
func (fx *fixture) reshaped(tensor string, shape ...int) string {
	for _, e := range fx.entries {
		if e.name == tensor {
			return fmt.Sprintf(`{"dtype":%q,"shape":%s,"data_offsets":[%d,%d]}`, e.dtype, jsonInts(shape), e.begin, e.end)
		}
	}
	panic("no fixture tensor " + tensor)
}

func modelCases(fx *fixture) []modelCase {
	const (
		fromMeta  = `(config of metadata "gradprint": InChannels 1, Classes 3, Width 0.015625, Stem small)`
		conv1Want = `want [64 x width, 1 or 3 input channels, k, k] with k 3 (small stem) or 7 (ImageNet stem)`
	)
	meta := fx.metaJSON(nil)
	return []modelCase{
		{name: "valid-metadata", meta: meta},
		{name: "valid-torchvision"},
		{name: "valid-no-counter", meta: meta, tensor: "bn1.num_batches_tracked"},
		// Reproducer 1: a tensor no model uses panicked in weights.Load.
		{name: "repro1-unused-negative-dim", meta: meta, tensor: "unused", entry: `{"dtype":"F32","shape":[-1],"data_offsets":[8,4]}`,
			err: `load weights PATH: tensor "unused": shape [-1]: dimension 0 is -1, want a size >= 0`},
		// Reproducer 2: element-count overflow panicked in makeslice.
		{name: "repro2-fc-overflow", tensor: "fc.weight", entry: `{"dtype":"F32","shape":[4611686018427387904,64],"data_offsets":[0,0]}`,
			err: fmt.Sprintf(`load weights PATH: tensor "fc.weight": shape [4611686018427387904 64] of F32: byte size overflows 64 bits (the data section has %d bytes)`, len(fx.data))},
		// Reproducer 3: metadata sized the model (makeslice panic, then
		// out of memory).
		{name: "repro3-classes", meta: fx.metaJSON(func(m *Meta) { m.Config.Classes = 1e12 }),
			err: `load model PATH: metadata "gradprint": config: resnet config: Classes 1000000000000, want 2 to 10000`},
		{name: "repro3-width", meta: fx.metaJSON(func(m *Meta) { m.Config.Width = 1e9 }),
			err: `load model PATH: metadata "gradprint": config: resnet config: Width 1e+09, want a multiplier in (0, 8]`},
		// Same element counts, wrong layouts: loaded silently before.
		{name: "transposed-fc", meta: meta, tensor: "fc.weight", entry: fx.reshaped("fc.weight", 8, 3),
			err: `load model PATH: tensor fc.weight has shape [8 3], want [3 8] ` + fromMeta},
		{name: "transposed-fc-torchvision", tensor: "fc.weight", entry: fx.reshaped("fc.weight", 8, 3),
			err: `load model PATH: tensor fc.weight has shape [8 3], want [8 8] (config inferred from conv1.weight and fc.weight: InChannels 1, Classes 8, Width 0.015625, Stem small)`},
		{name: "flattened-conv1", meta: meta, tensor: "conv1.weight", entry: fx.reshaped("conv1.weight", 9),
			err: `load model PATH: tensor conv1.weight has shape [9], want [1 1 3 3] ` + fromMeta},
		{name: "flattened-conv1-torchvision", tensor: "conv1.weight", entry: fx.reshaped("conv1.weight", 9),
			err: `load model PATH: tensor conv1.weight has shape [9], ` + conv1Want},
		{name: "missing-tensor", meta: meta, tensor: "layer4.1.bn2.running_var",
			err: `load model PATH: tensor layer4.1.bn2.running_var missing, want shape [8] ` + fromMeta},
		{name: "missing-conv1-torchvision", tensor: "conv1.weight",
			err: `load model PATH: no "gradprint" metadata and no tensor conv1.weight: not a torchvision ResNet state dict`},
		{name: "deeper-resnet", meta: meta, tensor: "layer1.2.conv1.weight", entry: `{"dtype":"F32","shape":[0,1,3,3],"data_offsets":[0,0]}`,
			err: `load model PATH: tensor layer1.2.conv1.weight is not in the ResNet18 state dict ` + fromMeta + `: another architecture?`},
		{name: "counter-not-scalar", meta: meta, tensor: "bn1.num_batches_tracked", entry: fx.reshaped("bn1.num_batches_tracked", 1),
			err: `load model PATH: tensor bn1.num_batches_tracked has shape [1], want [] (a scalar count)`},
		{name: "stem-mismatch", meta: fx.metaJSON(func(m *Meta) { m.Config.Stem = ImageNetStem }),
			err: `load model PATH: tensor conv1.weight has shape [1 1 3 3], want [1 1 7 7] (config of metadata "gradprint": InChannels 1, Classes 3, Width 0.015625, Stem imagenet)`},
		{name: "width-mismatch", meta: fx.metaJSON(func(m *Meta) { m.Config.Width = 0.125 }),
			err: `load model PATH: tensor conv1.weight has shape [1 1 3 3], want [8 1 3 3] (config of metadata "gradprint": InChannels 1, Classes 3, Width 0.125, Stem small)`},
		{name: "class-names-mismatch", meta: fx.metaJSON(func(m *Meta) { m.Classes = m.Classes[:2] }),
			err: `load model PATH: metadata "gradprint": 2 class names for config.Classes 3, want one name per class or none`},
		{name: "size-huge", meta: fx.metaJSON(func(m *Meta) { m.Size = 1e9 }),
			err: `load model PATH: metadata "gradprint": size 1000000000, want 0 (unknown) to 4096 pixels`},
		{name: "metadata-duplicate-key", meta: `{"config":{"InChannels":1,"Classes":3,"classes":1000000000000,"Width":0.015625,"Stem":"small","Mean":[0.5],"Std":[0.5]}}`,
			err: `load model PATH: metadata "gradprint": duplicate key "classes" in object "config" (keys are compared ignoring case, as encoding/json does)`},
		{name: "metadata-truncated", meta: `{"config":`,
			err: `load model PATH: metadata "gradprint": unexpected EOF`},
		// Inferred configs are bounded before MedMNISTConfig or New
		// size anything from them (the first allocated 2^40 floats).
		{name: "infer-inchannels-huge", tensor: "conv1.weight", entry: `{"dtype":"F32","shape":[0,1099511627776,3,3],"data_offsets":[0,0]}`,
			err: `load model PATH: tensor conv1.weight has shape [0 1099511627776 3 3], ` + conv1Want},
		{name: "infer-classes-huge", tensor: "fc.weight", entry: `{"dtype":"F32","shape":[1000000000000,0],"data_offsets":[0,0]}`,
			err: `load model PATH: config inferred from conv1.weight [1 1 3 3] and fc.weight [1000000000000 0]: resnet config: Classes 1000000000000, want 2 to 10000`},
		{name: "infer-width-zero", tensor: "conv1.weight", entry: `{"dtype":"F32","shape":[0,1,3,3],"data_offsets":[0,0]}`,
			err: `load model PATH: config inferred from conv1.weight [0 1 3 3] and fc.weight [3 8]: resnet config: Width 0, want a multiplier in (0, 8]`},
	}
}

// TestLoadHostileModels runs every case through Load from a file: each bad
// one gets exactly its error, each good one loads exactly its tensors.
func TestLoadHostileModels(t *testing.T) {
	fx := newFixture(t)
	for _, c := range modelCases(fx) {
		t.Run(c.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), c.name+".safetensors")
			if err := os.WriteFile(path, fx.file(fx.header(c.meta, c.tensor, c.entry), uint32(len(fx.data))), 0o644); err != nil {
				t.Fatal(err)
			}
			m, meta, err := Load(path)
			if c.err != "" {
				if want := strings.ReplaceAll(c.err, "PATH", path); err == nil || err.Error() != want {
					t.Fatalf("error\n  %v\nwant\n  %s", err, want)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			ts, _, err := weights.Load(path)
			if err != nil {
				t.Fatal(err)
			}
			checkLoaded(t, m, meta, ts)
		})
	}
}

// stateDict must describe exactly what New builds, or the loader would
// check files against the wrong shapes.
func TestStateDictMatchesNew(t *testing.T) {
	for _, cfg := range []Config{fixtureConfig(), MedMNISTConfig(3, 10), MedMNISTConfig(1, 2)} {
		for _, width := range []float64{1.0 / 64, 0.1, 0.3, 1} {
			for _, stem := range []Stem{SmallStem, ImageNetStem} {
				cfg.Width, cfg.Stem = width, stem
				m, err := New(cfg, 1)
				if err != nil {
					t.Fatal(err)
				}
				want := cfg.stateDict()
				got := m.Params()
				if len(got) != len(want) {
					t.Fatalf("%+v: New has %d tensors, stateDict %d", cfg, len(got), len(want))
				}
				for i, p := range got {
					if p.Name != want[i].name || !slices.Equal(p.Shape, want[i].shape) {
						t.Fatalf("%+v: tensor %d is %s %v in New, %s %v in stateDict", cfg, i, p.Name, p.Shape, want[i].name, want[i].shape)
					}
				}
			}
		}
	}
}

func TestValidateBounds(t *testing.T) {
	nan, inf := float32(math.NaN()), float32(math.Inf(1))
	bad := map[string]func(*Config){
		"Classes 1000000000000, want 2 to 10000":      func(c *Config) { c.Classes = 1e12 },
		"Classes 10001, want 2 to 10000":              func(c *Config) { c.Classes = MaxClasses + 1 },
		"Classes 1, want 2 to 10000":                  func(c *Config) { c.Classes = 1 },
		"Width 1e+09, want a multiplier in (0, 8]":    func(c *Config) { c.Width = 1e9 },
		"Width 8.001, want a multiplier in (0, 8]":    func(c *Config) { c.Width = 8.001 },
		"Width NaN, want a multiplier in (0, 8]":      func(c *Config) { c.Width = math.NaN() },
		"Width -0.5, want a multiplier in (0, 8]":     func(c *Config) { c.Width = -0.5 },
		"InChannels 2, want 1 or 3":                   func(c *Config) { c.InChannels = 2 },
		"Mean[0] = NaN, want a finite value":          func(c *Config) { c.Mean[0] = nan },
		"Mean[0] = +Inf, want a finite value":         func(c *Config) { c.Mean[0] = inf },
		"Std[0] = +Inf, want a finite value > 0":      func(c *Config) { c.Std[0] = inf },
		"Std[0] = 0, want a finite value > 0":         func(c *Config) { c.Std[0] = 0 },
		"2 Mean and 1 Std values for 1 input channel": func(c *Config) { c.Mean = append(c.Mean, 0) },
	}
	for want, edit := range bad {
		cfg := MedMNISTConfig(1, 2)
		edit(&cfg)
		if err := cfg.Validate(); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("err = %v, want %q", err, want)
		}
	}
	cfg := MedMNISTConfig(3, MaxClasses)
	cfg.Width = MaxWidth
	if err := cfg.Validate(); err != nil {
		t.Fatalf("the bounds themselves are refused: %v", err)
	}
}

func TestBatchCount(t *testing.T) {
	for _, v := range []float32{-1, 1.5, float32(math.NaN()), float32(math.Inf(1)), 1e30} {
		if _, err := batchCount(weights.Tensor{Name: "bn1.num_batches_tracked", Shape: []int{}, Data: []float32{v}}); err == nil {
			t.Errorf("count %v accepted", v)
		}
	}
	if n, err := batchCount(weights.Tensor{Shape: []int{}, Data: []float32{12345}}); err != nil || n != 12345 {
		t.Fatalf("count 12345: %d, %v", n, err)
	}
}

// Save refuses metadata Load would refuse, rather than write a file that
// cannot be read back.
func TestSaveRefusesInconsistentMeta(t *testing.T) {
	m := tinyModel(t, 1)
	err := Save(filepath.Join(t.TempDir(), "m.safetensors"), m, Meta{Classes: []string{"a"}})
	if err == nil || !strings.Contains(err.Error(), "1 class names for config.Classes 3") {
		t.Fatalf("err = %v", err)
	}
}
