package main

import (
	"github.com/spf13/cobra"

	gpflag "github.com/gradprint/gradprint/compute/flag"
	"github.com/gradprint/gradprint/internal/pipeline"
)

func newFailureCmd(g *globals) *cobra.Command {
	o := pipeline.DefaultFailureOptions()
	var features string
	cmd := &cobra.Command{
		Use:   "failure",
		Short: "Fit the gradient-fingerprint failure detector on validation and compare it with MSP, entropy and energy on test",
		Long: `failure reads an analyze run that covered the val and test splits with
saliency for every image (analyze --splits val,test --per-class 0), builds
per-image features (the RMSE profile across layers x corruptions x
severities, prediction flips, the confidence drop, the clean MSP, entropy and
energy), fits an L2-regularised logistic regression on validation, and
evaluates every score on test with AUROC_f, AURC, e-AURC, AUGRC and
FPR@95TPR, each with a bootstrap 95% interval. Rows go to the warehouse
tables flags and failure_metrics; the comparison table goes to stdout.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			o.Features = gpflag.FeatureSet(features)
			res, err := pipeline.Failure(cmd.Context(), g.env(), o)
			if err != nil {
				return err
			}
			return printStep(g.stdout, res)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.Run, "run", "", "analyze run id to read, covering val and test with --per-class 0 (default: the newest complete one)")
	f.StringVar(&o.Dataset, "dataset", "", "with no --run, pick the newest analyze run of this dataset")
	f.StringVar(&o.Method, "method", o.Method, "saliency method whose RMSE profile is used")
	f.StringVar(&features, "features", string(o.Features), "RMSE profile features: compact (by layer, corruption, severity) or full")
	f.Float64Var(&o.Coverage, "coverage", o.Coverage, "target coverage of the flag threshold, calibrated on validation, in (0, 1]")
	f.IntVar(&o.Boot, "boot", o.Boot, "bootstrap resamples for the 95% intervals, 10 to 100000")
	return cmd
}
