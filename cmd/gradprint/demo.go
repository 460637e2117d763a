package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/gradprint/gradprint/internal/pipeline"
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
			fmt.Fprintf(g.stdout, `
demo finished in %.0f s
  data       %s
  model      %s
  warehouse  %s  (Hive-partitioned Parquet: <table>/dataset=<flag>/run=<id>/)
  report     %s

three queries to try:
  gradprint --out %s query layer_profile --param severity=3 --param selection=incorrect
  gradprint --out %s query rmse_auc_correlation --format csv
  gradprint --out %s query --sql "SELECT corruption, severity, avg(rmse) AS mean_rmse FROM saliency GROUP BY ALL ORDER BY mean_rmse DESC LIMIT 5"
`, res.Seconds, res.Data, res.Model, res.Warehouse, res.Report, g.out, g.out, g.out)
			return nil
		},
	}
	cmd.Flags().IntVar(&o.Epochs, "epochs", o.Epochs, "training epochs of the demo model")
	cmd.Flags().Float64Var(&o.Width, "width", o.Width, "width multiplier of the demo ResNet18 (0.25 = 16/32/64/128 channels)")
	return cmd
}
