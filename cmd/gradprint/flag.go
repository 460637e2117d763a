package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/gradprint/gradprint/internal/pipeline"
	"github.com/gradprint/gradprint/internal/textout"
)

func newFlagCmd(g *globals) *cobra.Command {
	o := pipeline.DefaultFlagOptions()
	var resize string
	cmd := &cobra.Command{
		Use:   "flag",
		Short: "Predict new images; flag likely wrong predictions and likely degraded inputs",
		Long: `flag gives two verdicts on each new image: is its prediction likely wrong, and
was the input likely degraded at acquisition. It fingerprints the images
exactly as the fingerprint run behind a failure run did (same layers,
saliency method, probes and seed), scores them with the score that
` + "`gradprint failure`" + ` chose by its performance on validation (printed, with why),
and flags a prediction whose score falls below a threshold calibrated on the
clean validation split: for a coverage (--coverage) or for a risk
(--risk, chosen by SGR so that with probability 1 - --delta the selective
risk on images like the validation split is at most the printed bound;
nothing is promised for degraded images). An input is flagged degraded when
its degradation score is below what 95% of clean validation images reach.
Input: an .npz in MedMNIST layout (its test split is used) or a folder of
PNG files.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if resize != "reject" && resize != "resize" {
				return fmt.Errorf("--resize %q: want reject or resize", resize)
			}
			o.Resize = resize == "resize"
			if cmd.Flags().Changed("delta") && o.Risk == 0 {
				return fmt.Errorf("--delta %g: applies only with --risk (a --coverage threshold promises no risk)", o.Delta)
			}
			res, err := pipeline.Flag(cmd.Context(), g.env(), o)
			if err != nil {
				return err
			}
			for _, w := range res.Warnings {
				g.log.Warn(w)
			}
			return textout.Flag(g.stdout, res)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.Model, "model", "", "model file the failure run's analyze run used")
	f.StringVar(&o.Images, "images", "", "new images: an .npz in MedMNIST layout (test split) or a folder of .png files")
	f.StringVar(&o.FailureRun, "failure-run", "", "failure run whose detector to use (default: the newest complete one)")
	f.Float64Var(&o.Coverage, "coverage", 0, "flag threshold reaching this coverage on validation, in (0, 1] (e.g. 0.9)")
	f.Float64Var(&o.Risk, "risk", 0, "flag threshold whose selective risk is guaranteed (SGR) at or below this on images like the clean validation split, in (0, 1) (e.g. 0.1)")
	f.Float64Var(&o.Delta, "delta", o.Delta, "with --risk: the guarantee holds with probability 1 - delta, delta in (0, 0.5]")
	f.StringVar(&resize, "resize", "reject", "images of another size: reject (error) or resize (bilinear)")
	return cmd
}
