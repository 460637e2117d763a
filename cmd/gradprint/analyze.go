package main

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/gradprint/gradprint/compute/analysis"
	"github.com/gradprint/gradprint/compute/perturb"
	"github.com/gradprint/gradprint/compute/resnet"
	"github.com/gradprint/gradprint/compute/saliency"
	"github.com/gradprint/gradprint/ingest"
	"github.com/gradprint/gradprint/internal/pipeline"
	"github.com/gradprint/gradprint/internal/progress"
	"github.com/gradprint/gradprint/warehouse"
	"github.com/gradprint/gradprint/warehouse/rows"
)

type analyzeOpts struct {
	data         dataFlags
	model        string
	preset       string
	corruptions  string
	severities   string
	layers       string
	methods      string
	perClass     int
	selection    string
	splits       string
	target       string
	mapsPerClass int
	chunk        int
	batch        int
	shard        string
}

func newAnalyzeCmd(g *globals) *cobra.Command {
	o := &analyzeOpts{}
	cmd := &cobra.Command{
		Use:   "analyze",
		Short: "Predict every image under every corruption and compare saliency maps layer by layer",
		Long: `analyze corrupts each image of the chosen splits with every corruption x
severity of a preset, predicts clean and corrupted variants, and for the
selected images computes saliency maps at every requested layer from one
forward and one backward pass, writing predictions, saliency RMSE, stored
maps and per-variant AUC/ACC to the warehouse. Rerunning the same command
resumes an interrupted run.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return runAnalyze(cmd, g, o) },
	}
	f := cmd.Flags()
	o.data.register(f)
	f.StringVar(&o.model, "model", "", "model file (.safetensors) from gradprint train or PyTorch")
	f.StringVar(&o.preset, "preset", "imagenet-c", "corruption constants: imagenet-c, cifar-c or medmnist-c")
	f.StringVar(&o.corruptions, "corruptions", "", "comma-separated corruptions (default: all of the preset)")
	f.StringVar(&o.severities, "severities", "1-5", "severities, e.g. 1,3 or 1-5")
	f.StringVar(&o.layers, "layers", "", "layers by name (layer1.0.conv2) or thesis alias (1_2); default the thesis's eight")
	f.StringVar(&o.methods, "methods", "gradcampp", "saliency methods: gradcampp, gradcam, layercam")
	f.IntVar(&o.perClass, "per-class", 100, "images per class that get saliency maps (0 = all)")
	f.StringVar(&o.selection, "select", "all", "which images are eligible for maps: all, correct or incorrect (on the clean image)")
	f.StringVar(&o.splits, "splits", "test", "splits to analyse (the failure flagger needs val,test)")
	f.StringVar(&o.target, "target", "clean", "class the maps explain: clean (argmax on the clean image), each (argmax per input), label")
	f.IntVar(&o.mapsPerClass, "maps-per-class", 2, "store full maps of the first K selected images per class for the report")
	f.IntVar(&o.chunk, "chunk", 16, "images per committed chunk (the unit of resume)")
	f.IntVar(&o.batch, "batch", 52, "images per forward pass")
	f.StringVar(&o.shard, "shard", "", "i/n: process every n-th chunk starting at i (default from JOB_COMPLETION_INDEX/JOB_COMPLETIONS, else 0/1)")
	return cmd
}

// resolveLayers maps names or aliases to the thesis layers in depth order.
func resolveLayers(spec string) ([]analysis.Layer, error) {
	thesis := resnet.ThesisLayers()
	var out []analysis.Layer
	want := splitList(spec)
	for depth, l := range thesis {
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

func runAnalyze(cmd *cobra.Command, g *globals, o *analyzeOpts) error {
	ctx := cmd.Context()
	if o.model == "" {
		return fmt.Errorf("--model is required (train one with `gradprint train`)")
	}
	m, meta, err := resnet.Load(o.model)
	if err != nil {
		return err
	}
	path, all, err := o.data.load(g)
	if err != nil {
		return err
	}
	flag := o.data.flagOf(all)
	preset, err := perturb.Lookup(o.preset, strings.TrimPrefix(flag, "synthetic"))
	if err != nil {
		return err
	}
	corrs := splitList(o.corruptions)
	if len(corrs) == 0 {
		corrs = preset.Corruptions()
	}
	sevs, err := parseInts(o.severities)
	if err != nil {
		return fmt.Errorf("--severities: %w", err)
	}
	layers, err := resolveLayers(o.layers)
	if err != nil {
		return err
	}
	var methods []saliency.Method
	for _, name := range splitList(o.methods) {
		mt, err := saliency.Lookup(name)
		if err != nil {
			return fmt.Errorf("--methods: %w", err)
		}
		methods = append(methods, mt)
	}
	mode, err := ingest.ParseSelectMode(o.selection)
	if err != nil {
		return fmt.Errorf("--select: %w", err)
	}
	sum, err := resnet.FileSHA256(o.model)
	if err != nil {
		return err
	}
	splits := splitList(o.splits)
	var datasets []*ingest.Dataset
	total := 0
	for _, s := range splits {
		d := all[ingest.Split(s)]
		if d == nil {
			return fmt.Errorf("--splits: %s has no split %q", path, s)
		}
		if d.C != m.Config().InChannels || d.NumClasses() != m.NumClasses() {
			return fmt.Errorf("%s %s: %d channels and %d classes, model %s expects %d and %d", path, s, d.C, d.NumClasses(), o.model, m.Config().InChannels, m.NumClasses())
		}
		datasets = append(datasets, d)
		total += d.N
	}
	config := map[string]any{
		"data": path, "dataset": flag, "model_sha256": sum, "preset": preset.Name, "corruptions": corrs, "severities": sevs,
		"layers": layers, "methods": splitList(o.methods), "per_class": o.perClass, "select": mode, "splits": splits,
		"target": o.target, "maps_per_class": o.mapsPerClass, "chunk": o.chunk, "seed": g.seed,
	}
	shard, shards, err := parseShard(o.shard)
	if err != nil {
		return err
	}
	id, cfgJSON, err := runID("analyze", config)
	if err != nil {
		return err
	}
	wh, err := warehouse.Open(warehouseDir(g))
	if err != nil {
		return err
	}
	run, resumed, err := wh.BeginOrResume(rows.RunMeta{RunID: id, Dataset: flag, Kind: "analyze", Seed: g.seed,
		ConfigJSON: cfgJSON, ModelSHA256: sum, ParentRunID: meta.TrainRun, ShardIndex: int32(shard), ShardCount: int32(shards)})
	if err != nil {
		return err
	}
	defer run.Close()
	if run.Meta().Status == rows.StatusComplete {
		fmt.Fprintf(g.stdout, "run %s (dataset %s) already complete\n", id, flag)
		return nil
	}
	if resumed {
		g.log.Info("resuming analysis", "run", id, "chunks_done", run.ChunksDone())
	}
	g.log.Info("analysing", "run", id, "data", path, "splits", splits, "images", total, "variants", 1+len(corrs)*len(sevs),
		"layers", len(layers), "methods", len(methods), "seed", g.seed)
	start := time.Now()
	bar := progress.New(g.stderr, g.progressMode(), "analyze", "images", int64(total))
	sink, err := rows.Shard(run, shard, shards)
	if err != nil {
		return err
	}
	first := 0
	for _, d := range datasets {
		sel, err := selection(m, d, o.perClass, mode, g.seed)
		if err != nil {
			return err
		}
		cfg := analysis.Config{
			RunID: id, RunSeed: g.seed, Preset: preset, Corruptions: corrs, Severities: sevs, Layers: layers,
			Methods: methods, Target: analysis.Target(o.target), MapsPerClass: o.mapsPerClass,
			ChunkImages: o.chunk, Batch: o.batch, FirstChunk: first,
		}
		if err := analysis.Run(ctx, pipeline.Analyzer{Model: m}, d, sel, cfg, sink, bar); err != nil {
			run.Finish(rows.StatusFailed, err)
			return err
		}
		first += cfg.Chunks(d.N)
	}
	bar.Finish()
	// Metrics need every prediction of the run, so they are computed from
	// the committed rows (the same whether or not the run was resumed), by
	// shard 0 once every other shard has finished.
	if shard != 0 {
		// Nothing more for this shard.
	} else if err := wh.WaitForShards(ctx, warehouse.RunRef{Dataset: flag, RunID: id}, shards, 500*time.Millisecond); err != nil {
		return err
	} else if done, err := run.Done(first); err != nil {
		return err
	} else if !done {
		preds, err := warehouse.Read[rows.Prediction](wh.Catalog, warehouse.RunRef{Dataset: flag, RunID: id})
		if err != nil {
			return err
		}
		ms, err := analysis.VariantMetrics(id, preds, datasets[0].Classes)
		if err != nil {
			return err
		}
		cw, err := run.Chunk(first)
		if err != nil {
			return err
		}
		if err := rows.Write(cw, ms...); err != nil {
			cw.Abort()
			return err
		}
		if err := cw.Commit(); err != nil {
			return err
		}
	}
	el := time.Since(start).Seconds()
	if err := run.Update(func(r *rows.RunMeta) { r.TimingsJSON = fmt.Sprintf(`{"analyze_s": %.1f}`, el) }); err != nil {
		return err
	}
	if err := run.Finish(rows.StatusComplete, nil); err != nil {
		return err
	}
	fmt.Fprintf(g.stdout, "run %s (dataset %s): %d images x %d variants in %.1f s (%.1f images/s)\n",
		id, flag, total, 1+len(corrs)*len(sevs), el, float64(total)/el)
	return nil
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
