package main

import (
	"github.com/spf13/cobra"

	"github.com/gradprint/gradprint/internal/pipeline"
	"github.com/gradprint/gradprint/internal/textout"
)

func newDemoCmd(g *globals) *cobra.Command {
	o := pipeline.DefaultDemoOptions()
	cmd := &cobra.Command{
		Use:   "demo",
		Short: "The whole study on synthetic data: generate, train, analyse, report, evaluate the failure flagger",
		Long: `demo needs no download: it generates the synthetic dataset, trains a narrow
ResNet18, analyses the validation and test splits under the five ImageNet-C
corruptions at five severities with Grad-CAM++ at the eight thesis layers,
writes the warehouse, evaluates the failure detector against MSP, entropy and
energy, renders the report, and prints where everything is. Each step
resumes or is skipped on a rerun, as its own command would be.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			res, err := pipeline.Demo(cmd.Context(), g.stepEnv(), o)
			if err != nil {
				return err
			}
			return textout.Demo(g.stdout, res, g.out)
		},
	}
	cmd.Flags().IntVar(&o.Epochs, "epochs", o.Epochs, "training epochs of the demo model")
	cmd.Flags().Float64Var(&o.Width, "width", o.Width, "width multiplier of the demo ResNet18 (0.25 = 16/32/64/128 channels)")
	return cmd
}
