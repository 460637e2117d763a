package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/gradprint/gradprint/internal/pipeline"
	"github.com/gradprint/gradprint/internal/textout"
)

func newStudyCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "study FILE.yaml",
		Short: "Run a whole study from one file: fetch, train, analyze, failure evaluation and report per dataset",
		Long: `study reads a YAML file naming datasets and sizes, the training recipe (or
pre-trained weights) and its augmentation, the corruption preset, layers,
saliency methods, selection, the failure study and seed, and runs the same
steps a user would run for every dataset: train, analyze, fingerprint,
failure, report. A dataset entry may name its own augmentation, so a plain
and an augmented model of one dataset sit side by side. Steps whose run
already completed with the same configuration are skipped, so rerunning a
study resumes it. See examples/thesis-study.yaml.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			st, err := pipeline.LoadStudy(args[0])
			if err != nil {
				return err
			}
			res, err := pipeline.Study(cmd.Context(), g.stepEnv(), st)
			if err != nil {
				return fmt.Errorf("study %s, %w", args[0], err)
			}
			fmt.Fprintf(g.stdout, "study %s complete: warehouse %s, reports under %s\n", args[0], res.Warehouse, res.Reports)
			return nil
		},
	}
}

// stepEnv is env with each finished step's summary printed to stdout as
// it comes, for the commands that run several steps.
func (g *globals) stepEnv() pipeline.Env {
	e := g.env()
	e.OnStep = textout.StepPrinter(g.stdout, g.log)
	return e
}
