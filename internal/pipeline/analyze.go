package pipeline

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/gradprint/gradprint/compute/analysis"
	"github.com/gradprint/gradprint/compute/perturb"
	"github.com/gradprint/gradprint/compute/resnet"
	"github.com/gradprint/gradprint/compute/saliency"
	"github.com/gradprint/gradprint/ingest"
	"github.com/gradprint/gradprint/warehouse"
	"github.com/gradprint/gradprint/warehouse/rows"
)

// AnalyzeOptions configure Analyze. Nil Corruptions means every corruption
// of the preset; nil Layers the thesis's eight.
type AnalyzeOptions struct {
	Data         DataSource
	Model        string
	Preset       string
	Corruptions  []string
	Severities   []int
	Layers       []string // names (layer1.0.conv2) or thesis aliases (1_2)
	Methods      []string // saliency methods: gradcampp, gradcam, layercam
	PerClass     int      // images per class that get saliency maps; 0 = all
	Select       ingest.SelectMode
	Splits       []ingest.Split
	Target       analysis.Target
	MapsPerClass int // full maps stored for the first K selected images per class
	Chunk        int // images per committed chunk, the unit of resume
	Batch        int // images per forward pass
	Shard        int // this process's shard of Shards (0 of 1 when unsharded)
	Shards       int
}

// DefaultAnalyzeOptions is the thesis's analysis: every ImageNet-C
// corruption at severities 1-5, Grad-CAM++ at the eight layers, 100 test
// images per class.
func DefaultAnalyzeOptions() AnalyzeOptions {
	return AnalyzeOptions{
		Preset: "imagenet-c", Severities: []int{1, 2, 3, 4, 5}, Methods: []string{"gradcampp"},
		PerClass: 100, Select: ingest.SelectAll, Splits: []ingest.Split{ingest.Test}, Target: analysis.TargetClean,
		MapsPerClass: 2, Chunk: 16, Batch: 52, Shards: 1,
	}
}

// AnalyzeConfig is what an analyze run records; its JSON is the run's
// identity, and flag decodes it to analyse new images the same way.
type AnalyzeConfig struct {
	Data         string            `json:"data"`
	Dataset      string            `json:"dataset"`
	ModelSHA256  string            `json:"model_sha256"`
	Preset       string            `json:"preset"`
	Corruptions  []string          `json:"corruptions"`
	Severities   []int             `json:"severities"`
	Layers       []analysis.Layer  `json:"layers"`
	Methods      []string          `json:"methods"`
	PerClass     int               `json:"per_class"`
	Select       ingest.SelectMode `json:"select"`
	Splits       []string          `json:"splits"`
	Target       analysis.Target   `json:"target"`
	MapsPerClass int               `json:"maps_per_class"`
	Chunk        int               `json:"chunk"`
	Seed         uint64            `json:"seed"`
}

// AnalyzeResult says what Analyze did.
type AnalyzeResult struct {
	RunID, Dataset   string
	Skipped          bool // the run had completed before
	Images, Variants int
	Seconds          float64
	Shard, Shards    int
}

func (*AnalyzeResult) StepName() string { return "analyze" }

// analyzePlan is everything Analyze resolved before it writes anything.
type analyzePlan struct {
	model    *resnet.Model
	meta     resnet.Meta
	preset   *perturb.Preset
	methods  []saliency.Method
	datasets []*ingest.Dataset
	config   AnalyzeConfig
	images   int
}

// Analyze corrupts every image of the chosen splits with every corruption
// x severity, predicts the clean and corrupted variants and, for selected
// images, compares saliency maps layer by layer; then shard 0 computes
// AUC/ACC per variant from the committed predictions.
func Analyze(ctx context.Context, e Env, o AnalyzeOptions) (*AnalyzeResult, error) {
	p, err := e.planAnalysis(o)
	if err != nil {
		return nil, err
	}
	cfg := p.config
	run, err := e.openRun(runSpec{kind: "analyze", dataset: cfg.Dataset, seed: e.Seed, config: cfg,
		parent: p.meta.TrainRun, model: cfg.ModelSHA256, shard: o.Shard, shards: o.Shards})
	if err != nil {
		return nil, err
	}
	defer run.Close()
	res := &AnalyzeResult{RunID: run.ID(), Dataset: cfg.Dataset, Images: p.images, Variants: 1 + len(cfg.Corruptions)*len(cfg.Severities),
		Shard: o.Shard, Shards: max(o.Shards, 1)}
	if run.complete() {
		res.Skipped = true
		return res, nil
	}
	if run.resumed {
		e.log().Info("resuming analysis", "run", run.ID(), "chunks_done", run.ChunksDone())
	}
	e.log().Info("analysing", "run", run.ID(), "data", cfg.Data, "splits", cfg.Splits, "images", p.images, "variants", res.Variants,
		"layers", len(cfg.Layers), "methods", len(p.methods), "seed", e.Seed)
	start := time.Now()
	err = e.analyzeSplits(ctx, run, p, o)
	res.Seconds = time.Since(start).Seconds()
	if err := run.end(err, nil); err != nil {
		return nil, err
	}
	return res, nil
}

// variantInputs is what analyze and fingerprint resolve alike before a
// run begins: the model, the data, the corruption preset (its corruptions
// by default) and the layers.
type variantInputs struct {
	model       *resnet.Model
	meta        resnet.Meta
	modelSHA256 string
	path, flag  string
	splits      map[ingest.Split]*ingest.Dataset
	preset      *perturb.Preset
	corruptions []string
	layers      []analysis.Layer
}

func (e Env) loadVariantInputs(model string, data DataSource, preset string, corruptions, layers []string) (*variantInputs, error) {
	in := &variantInputs{corruptions: corruptions}
	var err error
	if in.model, in.meta, err = resnet.Load(model); err != nil {
		return nil, err
	}
	if in.path, in.flag, in.splits, err = e.load(data); err != nil {
		return nil, err
	}
	if in.preset, err = perturb.Lookup(preset, strings.TrimPrefix(in.flag, "synthetic")); err != nil {
		return nil, err
	}
	if len(in.corruptions) == 0 {
		in.corruptions = in.preset.Corruptions()
	}
	if in.layers, err = resolveLayers(layers); err != nil {
		return nil, err
	}
	if in.modelSHA256, err = resnet.FileSHA256(model); err != nil {
		return nil, err
	}
	return in, nil
}

// split is one split of the data, checked against the model (nil when the
// file has no such split).
func (in *variantInputs) split(s ingest.Split, model string) (*ingest.Dataset, error) {
	d := in.splits[s]
	if d == nil {
		return nil, nil
	}
	return d, fits(in.model, in.meta, model, d, in.path)
}

// planAnalysis loads the model and data and resolves every option, so
// that bad input fails before a run is begun.
func (e Env) planAnalysis(o AnalyzeOptions) (*analyzePlan, error) {
	if o.Model == "" {
		return nil, fmt.Errorf("--model is required (train one with `gradprint train`)")
	}
	if err := o.validate(); err != nil {
		return nil, err
	}
	in, err := e.loadVariantInputs(o.Model, o.Data, o.Preset, o.Corruptions, o.Layers)
	if err != nil {
		return nil, err
	}
	p := &analyzePlan{model: in.model, meta: in.meta, preset: in.preset}
	if p.methods, err = lookupMethods(o.Methods); err != nil {
		return nil, err
	}
	var splits []string
	for _, s := range o.Splits {
		d, err := in.split(s, o.Model)
		if err != nil {
			return nil, err
		}
		if d == nil {
			return nil, fmt.Errorf("--splits: %s has no split %q", in.path, s)
		}
		p.datasets = append(p.datasets, d)
		p.images += d.N
		splits = append(splits, string(s))
	}
	p.config = AnalyzeConfig{
		Data: in.path, Dataset: in.flag, ModelSHA256: in.modelSHA256, Preset: p.preset.Name, Corruptions: in.corruptions, Severities: o.Severities,
		Layers: in.layers, Methods: o.Methods, PerClass: o.PerClass, Select: o.Select, Splits: splits,
		Target: o.Target, MapsPerClass: o.MapsPerClass, Chunk: o.Chunk, Seed: e.Seed,
	}
	return p, nil
}

// analyzeSplits streams every split through the analysis, then (shard 0,
// once every other shard has finished) writes the per-variant metrics.
func (e Env) analyzeSplits(ctx context.Context, run *stepRun, p *analyzePlan, o AnalyzeOptions) error {
	sink, err := rows.Shard(run, o.Shard, max(o.Shards, 1))
	if err != nil {
		return err
	}
	cfg := p.config
	bar := e.bar("analyze", "images", int64(p.images))
	first := 0
	for _, d := range p.datasets {
		sel, err := selection(p.model, d, cfg.PerClass, cfg.Select, e.Seed)
		if err != nil {
			return err
		}
		ac := analysis.Config{
			RunID: run.ID(), RunSeed: e.Seed, Preset: p.preset, Corruptions: cfg.Corruptions, Severities: cfg.Severities, Layers: cfg.Layers,
			Methods: p.methods, Target: cfg.Target, MapsPerClass: cfg.MapsPerClass,
			ChunkImages: cfg.Chunk, Batch: o.Batch, FirstChunk: first,
		}
		if err := analysis.Run(ctx, Analyzer{Model: p.model}, d, sel, ac, sink, bar); err != nil {
			return err
		}
		first += ac.Chunks(d.N)
	}
	bar.Finish()
	if o.Shard != 0 {
		return nil
	}
	// Metrics need every prediction of the run, so they are computed from
	// the committed rows: the same whether or not the run was resumed or
	// sharded.
	if err := run.wh.WaitForShards(ctx, run.ref(), max(o.Shards, 1), 500*time.Millisecond); err != nil {
		return err
	}
	return rows.WriteChunk(run, first, func(c rows.Chunk) error {
		preds, err := warehouse.Read[rows.Prediction](run.wh.Catalog, run.ref())
		if err != nil {
			return err
		}
		ms, err := analysis.VariantMetrics(run.ID(), preds, p.datasets[0].Classes)
		if err != nil {
			return err
		}
		return rows.Write(c, ms...)
	})
}

// resolveLayers maps names or aliases to the thesis layers in depth order;
// none means all eight.
func resolveLayers(want []string) ([]analysis.Layer, error) {
	var out []analysis.Layer
	for depth, l := range resnet.ThesisLayers() {
		if len(want) == 0 || slices.Contains(want, l.Name) || slices.Contains(want, l.Alias) {
			out = append(out, analysis.Layer{Name: l.Name, Alias: l.Alias, Depth: depth})
		}
	}
	for _, w := range want {
		if !slices.ContainsFunc(out, func(l analysis.Layer) bool { return l.Name == w || l.Alias == w }) {
			return nil, fmt.Errorf("--layers: unknown layer %q (want layer1.0.conv2 .. layer4.1.conv2 or 1_1 .. 4_2)", w)
		}
	}
	return out, nil
}

func lookupMethods(names []string) ([]saliency.Method, error) {
	var out []saliency.Method
	for _, name := range names {
		m, err := saliency.Lookup(name)
		if err != nil {
			return nil, fmt.Errorf("--methods: %w", err)
		}
		out = append(out, m)
	}
	return out, nil
}

// selection marks the images that get saliency maps: up to perClass per
// class among those the mode admits, drawn with the run seed.
func selection(m *resnet.Model, d *ingest.Dataset, perClass int, mode ingest.SelectMode, seed uint64) ([]bool, error) {
	var preds []int
	if mode != ingest.SelectAll {
		probs, err := m.Probs(d.Images, d.N, d.H, d.W, d.C)
		if err != nil {
			return nil, err
		}
		k := d.NumClasses()
		for i := 0; i < d.N; i++ {
			best := 0
			for c := 1; c < k; c++ {
				if probs[i*k+c] > probs[i*k+best] {
					best = c
				}
			}
			preds = append(preds, best)
		}
	}
	ids, err := ingest.SelectByPrediction(d.Labels, preds, d.NumClasses(), perClass, mode, seed)
	if err != nil {
		return nil, err
	}
	sel := make([]bool, d.N)
	for _, i := range ids {
		sel[i] = true
	}
	return sel, nil
}
