package main

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/gradprint/gradprint/compute/analysis"
	"github.com/gradprint/gradprint/ingest"
	"github.com/gradprint/gradprint/internal/pipeline"
)

func newAnalyzeCmd(g *globals) *cobra.Command {
	o := pipeline.DefaultAnalyzeOptions()
	var (
		data                                                dataFlags
		corruptions, severities, layers, methods, selection string
		splits, target, shard                               string
	)
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
		RunE: func(cmd *cobra.Command, _ []string) error {
			var err error
			o.Data, o.Corruptions, o.Layers, o.Methods = data.source(), splitList(corruptions), splitList(layers), splitList(methods)
			if o.Severities, err = parseInts(severities); err != nil {
				return fmt.Errorf("--severities: %w", err)
			}
			if o.Select, err = ingest.ParseSelectMode(selection); err != nil {
				return fmt.Errorf("--select: %w", err)
			}
			o.Splits, o.Target = parseSplits(splits), analysis.Target(target)
			if o.Shard, o.Shards, err = parseShard(shard); err != nil {
				return err
			}
			res, err := pipeline.Analyze(cmd.Context(), g.env(), o)
			if err != nil {
				return err
			}
			return printStep(g.stdout, res)
		},
	}
	f := cmd.Flags()
	data.register(f)
	f.StringVar(&o.Model, "model", "", "model file (.safetensors) from gradprint train or PyTorch")
	f.StringVar(&o.Preset, "preset", o.Preset, "corruption constants: imagenet-c, cifar-c or medmnist-c")
	f.StringVar(&corruptions, "corruptions", "", "comma-separated corruptions (default: all of the preset)")
	f.StringVar(&severities, "severities", "1-5", "severities 1 to 5, e.g. 1,3 or 1-5 (each once)")
	f.StringVar(&layers, "layers", "", "layers by name (layer1.0.conv2) or thesis alias (1_2); default the thesis's eight")
	f.StringVar(&methods, "methods", strings.Join(o.Methods, ","), "saliency methods: gradcampp, gradcam, layercam")
	f.IntVar(&o.PerClass, "per-class", o.PerClass, "images per class that get saliency maps (0 = all), >= 0")
	f.StringVar(&selection, "select", string(o.Select), "which images are eligible for maps: all, correct or incorrect (on the clean image)")
	f.StringVar(&splits, "splits", joinSplits(o.Splits), "splits to analyse, each of train, val, test once (the failure flagger needs val,test)")
	f.StringVar(&target, "target", string(o.Target), "class the maps explain: clean (argmax on the clean image), each (argmax per input), label")
	f.IntVar(&o.MapsPerClass, "maps-per-class", o.MapsPerClass, "store full maps of the first K selected images per class for the report, 0 to 100")
	f.IntVar(&o.Chunk, "chunk", o.Chunk, "images per committed chunk (the unit of resume), 1 to 4096")
	f.IntVar(&o.Batch, "batch", o.Batch, "images per forward pass, 1 to 65536")
	f.StringVar(&shard, "shard", "", "i/n: process every n-th chunk starting at i (default from JOB_COMPLETION_INDEX/JOB_COMPLETIONS, else 0/1)")
	return cmd
}

func joinSplits(s []ingest.Split) string {
	parts := make([]string, len(s))
	for i, x := range s {
		parts[i] = string(x)
	}
	return strings.Join(parts, ",")
}
