package main

import (
	"context"
	"fmt"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"
)

func newDemoCmd(g *globals) *cobra.Command {
	var epochs int
	var width float64
	cmd := &cobra.Command{
		Use:   "demo",
		Short: "The whole study on synthetic data: generate, train, analyse, report, evaluate the failure flagger",
		Long: `demo needs no download: it generates the synthetic dataset, trains a narrow
ResNet18, analyses the validation and test splits under the five ImageNet-C
corruptions at five severities with Grad-CAM++ at the eight thesis layers,
writes the warehouse, evaluates the failure detector against MSP, entropy and
energy, renders the report, and prints where everything is. Each step is
the same command a user would type, so rerunning resumes or skips it.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			start := time.Now()
			model := filepath.Join(g.out, "models", "synthetic.safetensors")
			steps := []step{
				{"train", newTrainCmd(g), []string{"--epochs", strconv.Itoa(epochs), "--width", strconv.FormatFloat(width, 'g', -1, 64), "--batch", "64", "--model", model}},
				{"analyze", newAnalyzeCmd(g), []string{"--model", model, "--splits", "val,test", "--per-class", "0"}},
				{"failure", newFailureCmd(g), []string{"--dataset", "synthetic"}},
				{"report", newReportCmd(g), []string{"--dataset", "synthetic"}},
			}
			if err := runSteps(cmd.Context(), g, steps); err != nil {
				return fmt.Errorf("demo %w", err)
			}
			wh := warehouseDir(g)
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
`, time.Since(start).Seconds(), filepath.Join(g.out, "data"), model, wh, filepath.Join(g.out, "report", "index.html"), g.out, g.out, g.out)
			return nil
		},
	}
	cmd.Flags().IntVar(&epochs, "epochs", 8, "training epochs of the demo model")
	cmd.Flags().Float64Var(&width, "width", 0.25, "width multiplier of the demo ResNet18 (0.25 = 16/32/64/128 channels)")
	return cmd
}

// step is one gradprint command run in-process, as a user would type it.
type step struct {
	name string
	cmd  *cobra.Command
	args []string
}

func runSteps(ctx context.Context, g *globals, steps []step) error {
	for _, s := range steps {
		t0 := time.Now()
		fmt.Fprintf(g.stderr, "\n== gradprint --out %s --seed %d %s %s\n", g.out, g.seed, s.name, strings.Join(s.args, " "))
		s.cmd.SetArgs(s.args)
		s.cmd.SetOut(g.stdout)
		s.cmd.SetErr(g.stderr)
		s.cmd.SilenceUsage = true
		s.cmd.SilenceErrors = true
		if err := s.cmd.ExecuteContext(ctx); err != nil {
			return fmt.Errorf("step %s: %w", s.name, err)
		}
		g.log.Info("step done", "step", s.name, "seconds", fmt.Sprintf("%.1f", time.Since(t0).Seconds()))
	}
	return nil
}
