package main

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/gradprint/gradprint/compute/fingerprint"
	"github.com/gradprint/gradprint/internal/pipeline"
	"github.com/gradprint/gradprint/internal/textout"
)

func newFingerprintCmd(g *globals) *cobra.Command {
	o := pipeline.DefaultFingerprintOptions()
	var data dataFlags
	var vf variantFlags
	var splits string
	var presets []string
	for _, p := range fingerprint.Presets() {
		presets = append(presets, fmt.Sprintf("%s (%s)", p.Name, p.About))
	}
	cmd := &cobra.Command{
		Use:   "fingerprint",
		Short: "Fingerprint every incoming image, clean and corrupted, for the failure study under shift",
		Long: `fingerprint builds the data of the failure study under corruption shift. Each
image of --splits is taken as the model would receive it, clean and under
every corruption x severity, and for each such incoming image it stores the
prediction, the penultimate features (table embeddings) and the gradient
fingerprint (table fingerprints): statistics of the image's own saliency
maps at every layer (mass, peak, entropy, zero share, gradient size) and how
its maps and prediction move under a probe set of seeded perturbations
applied to it. Nothing is compared with the clean original: in deployment
there is none. The train split is fingerprinted clean (feature-distance
scores and SIRC fit on it). Rerunning the same command resumes; --shard
splits it across processes.

Probe presets: ` + strings.Join(presets, "; ") + `.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := vf.parse(&o.Corruptions, &o.Severities, &o.Layers, &o.Shard, &o.Shards); err != nil {
				return err
			}
			o.Data, o.Model, o.Splits = data.source(), vf.model, parseSplits(splits)
			res, err := pipeline.Fingerprint(cmd.Context(), g.env(), o)
			if err != nil {
				return err
			}
			return textout.Step(g.stdout, res)
		},
	}
	f := cmd.Flags()
	data.register(f)
	vf.register(f, "degradations")
	f.StringVar(&o.Preset, "preset", o.Preset, "corruption constants of the degradations and probes: imagenet-c, cifar-c or medmnist-c")
	f.StringVar(&o.Method, "method", o.Method, "saliency method of the maps: gradcampp, gradcam or layercam")
	f.StringVar(&o.Probes, "probes", o.Probes, "probe preset: none, light, standard or full (each probe is one more saliency pass per image)")
	f.StringVar(&splits, "splits", joinSplits(o.Splits), "degraded splits: val and test")
	f.IntVar(&o.Chunk, "chunk", o.Chunk, "split images per committed chunk (the unit of resume), 1 to 4096")
	f.IntVar(&o.Batch, "batch", o.Batch, "images per saliency pass, probes included, 1 to 65536")
	f.IntVar(&o.Limit, "limit", 0, "fingerprint only the first N images of each split, for a quick look (0 = all)")
	return cmd
}
