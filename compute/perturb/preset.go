package perturb

import (
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
)

// Sources recorded with every constant table.
const (
	srcImageNetC = "ImageNet-C (Hendrycks & Dietterich 2019, imagecorruptions), REFERENCE section 5"
	srcCIFARC    = "CIFAR-10-C (Hendrycks & Dietterich 2019, make_cifar_c.py), REFERENCE section 5"
	// MedMNIST-C constants are copied from CORRUPTIONS_DS in
	// github.com/francescodisalvo05/medmnistc-api, file
	// medmnistc/corruptions/registry.py at commit
	// b6dee0e78fc39ba5f57944f796d93b9728f7fe55; implementations from
	// noise.py, enhance.py, filter.py and compression.py in the same commit.
	srcMedMNISTC = "MedMNIST-C (Di Salvo et al. 2024), medmnistc-api registry.py@b6dee0e"
)

// Preset is a named table of corruptions with their severity constants.
// Presets returned by Lookup are independent values; the table behind them
// is never modified.
type Preset struct {
	Name        string // "imagenet-c", "cifar-c" or "medmnist-c"
	Dataset     string // MedMNIST flag for per-dataset presets, else ""
	Description string
	list        []Corruption
}

// presetDef is one row of the registry.
type presetDef struct {
	name, description string
	// build returns the corruptions for a dataset; ok false when the preset
	// has no list for it. Per-dataset presets list their datasets.
	datasets []string
	build    func(dataset string) ([]Corruption, bool)
}

// registry is built on each call so that no package-level state exists to
// be mutated; it is a handful of small structs.
func registry() []presetDef {
	return []presetDef{
		{
			name:        "imagenet-c",
			description: "the thesis's five corruptions with ImageNet-C constants (made for 224 px images)",
			build:       func(string) ([]Corruption, bool) { return imageNetC(), true },
		},
		{
			name:        "cifar-c",
			description: "the same five corruptions with CIFAR-10-C constants, for small (32 px) images",
			build:       func(string) ([]Corruption, bool) { return cifarC(), true },
		},
		{
			name:        "medmnist-c",
			description: "MedMNIST-C per-dataset corruption lists (Di Salvo et al. 2024)",
			datasets:    []string{"breastmnist", "retinamnist"},
			build:       medMNISTC,
		},
	}
}

func imageNetC() []Corruption {
	return []Corruption{
		GaussianNoise{Sigma: [5]float64{.08, .12, .18, .26, .38}, Quantize: Round, Source: srcImageNetC},
		SpeckleNoise{Sigma: [5]float64{.15, .20, .35, .45, .60}, Quantize: Round, Source: srcImageNetC},
		MotionBlur{Radius: [5]float64{10, 15, 15, 15, 20}, Sigma: [5]float64{3, 5, 8, 12, 15}, Source: srcImageNetC},
		Contrast{Factor: [5]float64{.4, .3, .2, .1, .05}, Source: srcImageNetC},
		Brightness{Shift: [5]float64{.1, .2, .3, .4, .5}, Source: srcImageNetC},
	}
}

func cifarC() []Corruption {
	return []Corruption{
		GaussianNoise{Sigma: [5]float64{.04, .06, .08, .09, .10}, Quantize: Round, Source: srcCIFARC},
		SpeckleNoise{Sigma: [5]float64{.06, .1, .12, .16, .2}, Quantize: Round, Source: srcCIFARC},
		MotionBlur{Radius: [5]float64{6, 6, 6, 8, 9}, Sigma: [5]float64{1, 1.5, 2, 2, 2.5}, Source: srcCIFARC},
		Contrast{Factor: [5]float64{.75, .5, .4, .3, .15}, Source: srcCIFARC},
		Brightness{Shift: [5]float64{.05, .1, .15, .2, .3}, Source: srcCIFARC},
	}
}

// medMNISTC returns MedMNIST-C's list for a dataset, in registry.py's order.
// Noise is truncated to bytes as MedMNIST-C's astype(np.uint8) does.
func medMNISTC(dataset string) ([]Corruption, bool) {
	s := srcMedMNISTC + " [" + dataset + "]"
	switch dataset {
	case "breastmnist":
		return []Corruption{
			Pixelate{Factor: [5]float64{0.30, 0.25, 0.20, 0.15, 0.10}, Source: s},
			JPEGCompression{Quality: [5]int{50, 30, 15, 10, 7}, Source: s},
			SpeckleNoise{Sigma: [5]float64{0.10, 0.15, 0.20, 0.25, 0.30}, Quantize: Truncate, Source: s},
			MotionBlur{Radius: [5]float64{5, 9, 9, 13, 17}, Sigma: [5]float64{5, 7, 10, 10, 12}, Source: s},
			PILBrightness{CorruptionName: "brightness_up", Factor: [5]float64{1.4, 1.5, 1.6, 1.8, 2.0}, Source: s},
			PILBrightness{CorruptionName: "brightness_down", Factor: [5]float64{0.55, 0.5, 0.45, 0.4, 0.3}, Source: s},
			PILContrast{CorruptionName: "contrast_down", Factor: [5]float64{0.9, 0.8, 0.7, 0.6, 0.4}, Source: s},
		}, true
	case "retinamnist":
		return []Corruption{
			Pixelate{Factor: [5]float64{0.8, 0.60, 0.50, 0.40, 0.35}, Source: s},
			JPEGCompression{Quality: [5]int{30, 25, 20, 10, 5}, Source: s},
			GaussianNoise{Sigma: [5]float64{0.04, 0.08, 0.12, 0.16, 0.20}, Quantize: Truncate, Source: s},
			SpeckleNoise{Sigma: [5]float64{0.10, 0.15, 0.20, 0.25, 0.30}, Quantize: Truncate, Source: s},
			// registry.py lists a sixth pair, (9, 0.6), that its severities
			// 1..5 never reach.
			DefocusBlur{Radius: [5]float64{4, 5, 6, 7, 8}, Alias: [5]float64{0.1, 0.2, 0.3, 0.4, 0.5}, Source: s},
			MotionBlur{Radius: [5]float64{8, 15, 15, 15, 20}, Sigma: [5]float64{5, 5, 8, 12, 15}, Source: s},
			PILBrightness{CorruptionName: "brightness_down", Factor: [5]float64{0.9, 0.8, 0.7, 0.6, 0.5}, Source: s},
			PILContrast{CorruptionName: "contrast_down", Factor: [5]float64{0.9, 0.8, 0.7, 0.6, 0.4}, Source: s},
		}, true
	}
	return nil, false
}

// ErrUnknown is wrapped by every error about an unknown preset, dataset or
// corruption name.
var ErrUnknown = errors.New("unknown name")

// Lookup returns a preset. Dataset-independent presets ignore dataset;
// medmnist-c needs one of its datasets (a MedMNIST flag such as
// "breastmnist"; a size suffix like "breastmnist_64" is accepted, as the
// constants do not depend on it).
func Lookup(preset, dataset string) (*Preset, error) {
	for _, d := range registry() {
		if d.name != preset {
			continue
		}
		flag := dataset
		if i := strings.IndexByte(flag, '_'); i >= 0 {
			flag = flag[:i]
		}
		list, ok := d.build(flag)
		if !ok {
			return nil, fmt.Errorf("perturb preset %q: dataset %q: %w (want one of %s)",
				preset, dataset, ErrUnknown, strings.Join(d.datasets, ", "))
		}
		p := &Preset{Name: d.name, Description: d.description, list: list}
		if len(d.datasets) > 0 {
			p.Dataset = flag
		}
		return p, nil
	}
	return nil, fmt.Errorf("perturb preset %q: %w (want one of %s)", preset, ErrUnknown, strings.Join(Names(), ", "))
}

// Names lists the preset names.
func Names() []string {
	var out []string
	for _, d := range registry() {
		out = append(out, d.name)
	}
	return out
}

// Corruptions lists the preset's corruption names in its canonical order.
func (p *Preset) Corruptions() []string {
	out := make([]string, len(p.list))
	for i, c := range p.list {
		out[i] = c.Name()
	}
	return out
}

// Corruption returns a corruption of the preset by name.
func (p *Preset) Corruption(name string) (Corruption, error) {
	for _, c := range p.list {
		if c.Name() == name {
			return c, nil
		}
	}
	return nil, fmt.Errorf("perturb preset %s: corruption %q: %w (want one of %s)",
		p.label(), name, ErrUnknown, strings.Join(p.Corruptions(), ", "))
}

func (p *Preset) label() string {
	if p.Dataset != "" {
		return p.Name + "/" + p.Dataset
	}
	return p.Name
}

// Check validates everything Apply needs except the buffers: the image shape
// (h, w >= 1, c = 1 or 3), the corruption name and the severity (1..5).
func (p *Preset) Check(h, w, c int, corruption string, severity int) error {
	if h < 1 || w < 1 || (c != 1 && c != 3) {
		return fmt.Errorf("perturb %s: image shape H=%d W=%d C=%d: want H, W >= 1 and C 1 or 3", p.label(), h, w, c)
	}
	if severity < 1 || severity > Severities {
		return fmt.Errorf("perturb %s %s: severity %d: want 1..%d", p.label(), corruption, severity, Severities)
	}
	k, err := p.Corruption(corruption)
	if err != nil {
		return err
	}
	if sc, ok := k.(sizeChecker); ok {
		if err := sc.checkSize(h, w, severity); err != nil {
			return fmt.Errorf("perturb %s: %w", p.label(), err)
		}
	}
	return nil
}

// Apply writes src corrupted by (corruption, severity) into dst, with the
// random draws seeded by seed (see DeriveSeed). src and dst are h*w*c bytes
// of HWC row-major image and must not be the same buffer. ws may be nil,
// at the cost of allocating a workspace per call. Apply returns an error,
// and leaves dst untouched, when any argument is invalid.
func (p *Preset) Apply(ws *Workspace, dst, src []uint8, h, w, c int, corruption string, severity int, seed uint64) error {
	if err := p.Check(h, w, c, corruption, severity); err != nil {
		return err
	}
	n := h * w * c
	if len(src) != n || len(dst) != n {
		return fmt.Errorf("perturb %s %s: src %d bytes, dst %d bytes: want H*W*C = %d",
			p.label(), corruption, len(src), len(dst), n)
	}
	if &src[0] == &dst[0] {
		return fmt.Errorf("perturb %s %s: dst and src are the same buffer: want separate buffers", p.label(), corruption)
	}
	k, _ := p.Corruption(corruption)
	if ws == nil {
		ws = NewWorkspace()
	}
	k.Apply(ws, dst, src, h, w, c, severity, ws.reseed(seed))
	return nil
}

// ApplyImage is Apply with the seed derived from (run, imageID, corruption,
// severity), the form the analysis uses.
func (p *Preset) ApplyImage(ws *Workspace, dst, src []uint8, h, w, c int, corruption string, severity int, run uint64, imageID int64) error {
	return p.Apply(ws, dst, src, h, w, c, corruption, severity, DeriveSeed(run, imageID, corruption, severity))
}

// Info describes one preset (and dataset) for listings.
type Info struct {
	Preset      string
	Dataset     string // "" for dataset-independent presets
	Description string
	Corruptions []CorruptionInfo
}

// CorruptionInfo describes one corruption of a preset.
type CorruptionInfo struct {
	Name        string
	Description string
	Random      bool
	Params      [Severities]string // constants of severities 1..5
}

// List describes every preset, one entry per dataset of per-dataset
// presets, sorted by preset then dataset.
func List() []Info {
	var out []Info
	for _, d := range registry() {
		datasets := d.datasets
		if len(datasets) == 0 {
			datasets = []string{""}
		}
		for _, ds := range datasets {
			p, err := Lookup(d.name, ds)
			if err != nil {
				continue // cannot happen: the registry lists its own datasets
			}
			info := Info{Preset: d.name, Dataset: p.Dataset, Description: d.description}
			for _, k := range p.list {
				ci := CorruptionInfo{Name: k.Name(), Description: k.Describe(), Random: k.Random()}
				for s := 1; s <= Severities; s++ {
					ci.Params[s-1] = k.Params(s)
				}
				info.Corruptions = append(info.Corruptions, ci)
			}
			out = append(out, info)
		}
	}
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].Preset != out[j].Preset {
			return out[i].Preset < out[j].Preset
		}
		return out[i].Dataset < out[j].Dataset
	})
	return out
}

// Datasets lists the datasets of a per-dataset preset (nil for the others).
func Datasets(preset string) []string {
	for _, d := range registry() {
		if d.name == preset {
			return slices.Clone(d.datasets)
		}
	}
	return nil
}
