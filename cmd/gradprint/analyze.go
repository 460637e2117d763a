package main

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/gradprint/gradprint/compute/analysis"
	"github.com/gradprint/gradprint/ingest"
	"github.com/gradprint/gradprint/internal/pipeline"
	"github.com/gradprint/gradprint/internal/spec"
	"github.com/gradprint/gradprint/internal/textout"
)

func newAnalyzeCmd(g *globals) *cobra.Command {
	o := pipeline.DefaultAnalyzeOptions()
	var (
		data                               dataFlags
		vf                                 variantFlags
		methods, selection, splits, target string
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
			if err := vf.parse(&o.Corruptions, &o.Severities, &o.Layers, &o.Shard, &o.Shards); err != nil {
				return err
			}
			o.Data, o.Model, o.Methods = data.source(), vf.model, spec.List(methods)
			var err error
			if o.Select, err = ingest.ParseSelectMode(selection); err != nil {
				return fmt.Errorf("--select: %w", err)
			}
			o.Splits, o.Target = parseSplits(splits), analysis.Target(target)
			res, err := pipeline.Analyze(cmd.Context(), g.env(), o)
			if err != nil {
				return err
			}
			return textout.Step(g.stdout, res)
		},
	}
	f := cmd.Flags()
	data.register(f)
	vf.register(f, "corruptions")
	f.StringVar(&o.Preset, "preset", o.Preset, "corruption constants: imagenet-c, cifar-c or medmnist-c")
	f.StringVar(&methods, "methods", strings.Join(o.Methods, ","), "saliency methods: gradcampp, gradcam, layercam")
	f.IntVar(&o.PerClass, "per-class", o.PerClass, "images per class that get saliency maps (0 = all), >= 0")
	f.StringVar(&selection, "select", string(o.Select), "which images are eligible for maps: all, correct or incorrect (on the clean image)")
	f.StringVar(&splits, "splits", joinSplits(o.Splits), "splits to analyse, each of train, val, test once (the failure flagger needs val,test)")
	f.StringVar(&target, "target", string(o.Target), "class the maps explain: clean (argmax on the clean image), each (argmax per input), label")
	f.IntVar(&o.MapsPerClass, "maps-per-class", o.MapsPerClass, "store full maps of the first K selected images per class for the report, 0 to 100")
	f.IntVar(&o.Chunk, "chunk", o.Chunk, "images per committed chunk (the unit of resume), 1 to 4096")
	f.IntVar(&o.Batch, "batch", o.Batch, "images per forward pass, 1 to 65536")
	return cmd
}

func joinSplits(s []ingest.Split) string {
	parts := make([]string, len(s))
	for i, x := range s {
		parts[i] = string(x)
	}
	return strings.Join(parts, ",")
}
