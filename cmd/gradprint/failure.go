package main

import (
	"github.com/spf13/cobra"

	"github.com/gradprint/gradprint/internal/pipeline"
	"github.com/gradprint/gradprint/internal/textout"
)

func newFailureCmd(g *globals) *cobra.Command {
	o := pipeline.DefaultFailureOptions()
	cmd := &cobra.Command{
		Use:   "failure",
		Short: "The failure study under corruption shift: every confidence score, both regimes, with intervals, beside MSP",
		Long: `failure reads a fingerprint run (gradprint fingerprint) and evaluates, to the
FD-Shifts standard, how well each score flags wrong predictions: MSP,
temperature-scaled MSP, entropy, DOCTOR, margin, MaxLogit, energy,
Mahalanobis and kNN on the penultimate features (fitted on train), GradNorm,
prediction flips under the probes, the fingerprint detector, the detector
with the confidences, and SIRC. Settings: i.i.d. (the clean test split),
corruption shift (each corruption x severity, pooled per corruption and over
all) and deployment mixes (each test image once, clean or degraded at
random: 50% and 10%). Scores fitted on corrupted images come in two regimes:
seen (fitted on every corruption) and unseen (fitted without the corruption
tested on; the headline). Metrics: AUROC_f, AURC, e-AURC, AUGRC, FPR@95TPR
and silent failures (wrong yet accepted at --coverage), each with a
bootstrap 95% interval. It also measures how well each score tells degraded
inputs from clean ones, what a --risk guarantee (SGR on clean validation,
confidence 1 - --delta) delivers on every setting, and which score flag
should deploy. Everything is fitted on validation; test is only evaluated.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			res, err := pipeline.Failure(cmd.Context(), g.env(), o)
			if err != nil {
				return err
			}
			return textout.Step(g.stdout, res)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.Run, "run", "", "fingerprint run id to study (default: the newest complete one)")
	f.StringVar(&o.Dataset, "dataset", "", "with no --run, pick the newest fingerprint run of this dataset")
	f.Float64Var(&o.Coverage, "coverage", o.Coverage, "the flag's default coverage, where silent failures are counted, in (0, 1]")
	f.Float64Var(&o.Risk, "risk", o.Risk, "target risk of the guarantee evaluated on every setting, in (0, 1)")
	f.Float64Var(&o.Delta, "delta", o.Delta, "the guarantee holds with probability 1 - delta, delta in (0, 0.5]")
	f.IntVar(&o.Boot, "boot", o.Boot, "bootstrap resamples for the 95% intervals, 10 to 100000")
	return cmd
}
