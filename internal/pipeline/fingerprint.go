package pipeline

import (
	"context"
	"fmt"
	"time"

	"github.com/gradprint/gradprint/compute/analysis"
	"github.com/gradprint/gradprint/compute/fingerprint"
	"github.com/gradprint/gradprint/compute/perturb"
	"github.com/gradprint/gradprint/compute/resnet"
	"github.com/gradprint/gradprint/compute/saliency"
	"github.com/gradprint/gradprint/ingest"
	"github.com/gradprint/gradprint/warehouse/rows"
)

// FingerprintOptions configure Fingerprint, the data of the failure study
// under corruption shift. Every image of Splits is fingerprinted clean and
// under every corruption x severity; the train split is fingerprinted clean
// (its features and score statistics fit the feature-distance scores).
type FingerprintOptions struct {
	Data        DataSource
	Model       string
	Preset      string   // corruption constants of the degradations and probes
	Corruptions []string // nil: every corruption of the preset
	Severities  []int
	Layers      []string // nil: the thesis's eight
	Method      string   // saliency method of the maps
	Probes      string   // probe preset (fingerprint.Presets)
	Splits      []ingest.Split
	Chunk       int // split images per committed chunk
	Batch       int // images per saliency pass, probes included
	Shard       int
	Shards      int
	// Limit fingerprints only the first Limit images of each split (0:
	// all), for a quick look; a study should use every image.
	Limit int
}

// DefaultFingerprintOptions is the shift study of the thesis's corruptions:
// every ImageNet-C corruption at severities 1-5, Grad-CAM++ at the eight
// layers, the standard probe preset, on val and test.
func DefaultFingerprintOptions() FingerprintOptions {
	return FingerprintOptions{
		Preset: "imagenet-c", Severities: []int{1, 2, 3, 4, 5}, Method: "gradcampp",
		Probes: fingerprint.DefaultPreset, Splits: []ingest.Split{ingest.Val, ingest.Test},
		Chunk: 8, Batch: 64, Shards: 1,
	}
}

// FingerprintConfig is what a fingerprint run records; failure and flag
// decode it to read the features and to fingerprint new images the same way.
type FingerprintConfig struct {
	Data         string              `json:"data"`
	Dataset      string              `json:"dataset"`
	ModelSHA256  string              `json:"model_sha256"`
	Preset       string              `json:"preset"`
	Corruptions  []string            `json:"corruptions"`
	Severities   []int               `json:"severities"`
	Layers       []analysis.Layer    `json:"layers"`
	Method       string              `json:"method"`
	ProbePreset  string              `json:"probe_preset"`
	Probes       []fingerprint.Probe `json:"probes"`
	FeatureNames []string            `json:"feature_names"`
	Splits       []string            `json:"splits"`
	Chunk        int                 `json:"chunk"`
	Limit        int                 `json:"limit,omitempty"`
	Seed         uint64              `json:"seed"`
}

// FingerprintResult says what Fingerprint did.
type FingerprintResult struct {
	RunID, Dataset string
	Skipped        bool
	Incoming       int // incoming images fingerprinted (all splits, all variants)
	Seconds        float64
}

func (*FingerprintResult) StepName() string { return "fingerprint" }

// fingerprintPlan is everything resolved before a run begins.
type fingerprintPlan struct {
	model    *resnet.Model
	meta     resnet.Meta
	perturb  *perturb.Preset
	method   saliency.Method
	probes   fingerprint.Preset
	datasets []*ingest.Dataset // train first, then Splits
	config   FingerprintConfig
}

// Fingerprint takes the gradient fingerprint and the penultimate features
// of every incoming image: the train images clean, every image of Splits
// clean and under every corruption x severity.
func Fingerprint(ctx context.Context, e Env, o FingerprintOptions) (*FingerprintResult, error) {
	if err := o.validate(); err != nil {
		return nil, err
	}
	p, err := e.planFingerprint(o)
	if err != nil {
		return nil, err
	}
	cfg := p.config
	run, err := e.openRun(runSpec{kind: "fingerprint", dataset: cfg.Dataset, seed: e.Seed, config: cfg,
		parent: p.meta.TrainRun, model: cfg.ModelSHA256, shard: o.Shard, shards: o.Shards})
	if err != nil {
		return nil, err
	}
	defer run.Close()
	res := &FingerprintResult{RunID: run.ID(), Dataset: cfg.Dataset}
	variants := 1 + len(cfg.Corruptions)*len(cfg.Severities)
	for _, d := range p.datasets {
		if d.Split == ingest.Train {
			res.Incoming += d.N
		} else {
			res.Incoming += d.N * variants
		}
	}
	if run.complete() {
		res.Skipped = true
		return res, nil
	}
	e.log().Info("fingerprinting", "run", run.ID(), "data", cfg.Data, "splits", cfg.Splits, "incoming", res.Incoming,
		"probes", cfg.ProbePreset, "passes_per_image", 1+len(cfg.Probes), "seed", e.Seed)
	start := time.Now()
	err = e.fingerprintSplits(ctx, run, p, o)
	res.Seconds = time.Since(start).Seconds()
	if err := run.end(err, nil); err != nil {
		return nil, err
	}
	return res, nil
}

func (e Env) planFingerprint(o FingerprintOptions) (*fingerprintPlan, error) {
	in, err := e.loadVariantInputs(o.Model, o.Data, o.Preset, o.Corruptions, o.Layers)
	if err != nil {
		return nil, err
	}
	p := &fingerprintPlan{model: in.model, meta: in.meta, perturb: in.preset}
	if p.probes, err = fingerprint.LookupPreset(o.Probes); err != nil {
		return nil, fmt.Errorf("--probes: %w", err)
	}
	if p.method, err = saliency.Lookup(o.Method); err != nil {
		return nil, fmt.Errorf("--method: %w", err)
	}
	var splits []string
	for _, s := range append([]ingest.Split{ingest.Train}, o.Splits...) {
		d, err := in.split(s, o.Model)
		if err != nil {
			return nil, err
		}
		if d == nil {
			return nil, fmt.Errorf("%s has no %s split (fingerprints need train, for score statistics, and %v)", in.path, s, o.Splits)
		}
		if o.Limit > 0 && d.N > o.Limit {
			d = d.Head(o.Limit)
		}
		p.datasets = append(p.datasets, d)
		splits = append(splits, string(s))
	}
	fc := fingerprint.Config{Layers: in.layers, Method: p.method, Probes: p.probes.Probes, Perturb: p.perturb, Seed: e.Seed}
	if err := fc.Validate(); err != nil {
		return nil, err
	}
	p.config = FingerprintConfig{Data: in.path, Dataset: in.flag, ModelSHA256: in.modelSHA256, Preset: p.perturb.Name, Corruptions: in.corruptions,
		Severities: o.Severities, Layers: in.layers, Method: o.Method, ProbePreset: p.probes.Name, Probes: p.probes.Probes,
		FeatureNames: fc.Names(), Splits: splits, Chunk: o.Chunk, Limit: o.Limit, Seed: e.Seed}
	return p, nil
}

// fingerprintSplits streams every split through the fingerprint step, its
// chunks numbered on from the previous split's.
func (e Env) fingerprintSplits(ctx context.Context, run *stepRun, p *fingerprintPlan, o FingerprintOptions) error {
	sink, err := rows.Shard(run, o.Shard, max(o.Shards, 1))
	if err != nil {
		return err
	}
	cfg := p.config
	total := 0
	for _, d := range p.datasets {
		total += d.N
	}
	bar := e.bar("fingerprint", "images", int64(total))
	defer bar.Finish()
	first := 0
	for _, d := range p.datasets {
		rc := fingerprint.RunConfig{
			Config: fingerprint.Config{Layers: cfg.Layers, Method: p.method, Probes: cfg.Probes, Perturb: p.perturb, Seed: cfg.Seed},
			RunID:  run.ID(), RunSeed: cfg.Seed, Corruptions: cfg.Corruptions, Severities: cfg.Severities,
			CleanOnly: d.Split == ingest.Train, ChunkImages: cfg.Chunk, Batch: o.Batch, FirstChunk: first,
		}
		if err := fingerprint.Run(ctx, Fingerprinter{Model: p.model}, d, rc, sink, bar); err != nil {
			return err
		}
		first += rc.Chunks(d.N)
	}
	return nil
}
