package main

import (
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	gpflag "github.com/gradprint/gradprint/compute/flag"
	"github.com/gradprint/gradprint/warehouse"
	"github.com/gradprint/gradprint/warehouse/rows"
)

func newFailureCmd(g *globals) *cobra.Command {
	var (
		analyzeRun string
		dsFilter   string
		method     string
		features   string
		coverage   float64
		boot       int
	)
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
			wh, err := warehouse.Open(warehouseDir(g))
			if err != nil {
				return err
			}
			if analyzeRun == "" {
				runs, err := completeRuns(wh, dsFilter)
				if err != nil {
					return err
				}
				r := pickRun(runs, "analyze", "", "")
				if r == nil {
					return fmt.Errorf("no complete analyze run in %s: run `gradprint analyze --splits val,test --per-class 0` first", wh.Root())
				}
				analyzeRun = r.RunID
			}
			dataset, err := datasetOfRun(wh, analyzeRun)
			if err != nil {
				return err
			}
			preds, err := warehouse.Read[rows.Prediction](wh.Catalog, warehouse.RunRef{Dataset: dataset, RunID: analyzeRun})
			if err != nil {
				return err
			}
			sal, err := warehouse.Read[rows.Saliency](wh.Catalog, warehouse.RunRef{Dataset: dataset, RunID: analyzeRun})
			if err != nil {
				return err
			}
			val, err := gpflag.BuildFeatures("val", preds, sal, method, gpflag.FeatureSet(features))
			if err != nil {
				return err
			}
			test, err := gpflag.BuildFeatures("test", preds, sal, method, gpflag.FeatureSet(features))
			if err != nil {
				return err
			}
			cfg := map[string]any{"analyze_run": analyzeRun, "method": method, "features": features, "coverage": coverage, "boot": boot, "seed": g.seed}
			id, cfgJSON, err := runID("failure", cfg)
			if err != nil {
				return err
			}
			run, _, err := wh.BeginOrResume(rows.RunMeta{RunID: id, Dataset: dataset, Kind: "failure", Seed: g.seed, ConfigJSON: cfgJSON, ParentRunID: analyzeRun})
			if err != nil {
				return err
			}
			defer run.Close()
			start := time.Now()
			out, err := gpflag.Evaluate(id, val, test, gpflag.EvalOptions{Fit: gpflag.Options{Seed: g.seed}, BootReps: boot, Seed: g.seed, Coverage: coverage})
			if err != nil {
				run.Finish(rows.StatusFailed, err)
				return err
			}
			models := filepath.Join(g.out, "models")
			if err := out.Detector.Save(filepath.Join(models, id+"-detector.json")); err != nil {
				return err
			}
			if err := out.DetectorMSP.Save(filepath.Join(models, id+"-detector_msp.json")); err != nil {
				return err
			}
			if done, err := run.Done(0); err != nil {
				return err
			} else if !done {
				cw, err := run.Chunk(0)
				if err != nil {
					return err
				}
				if err := rows.Write(cw, out.Flags...); err != nil {
					cw.Abort()
					return err
				}
				if err := rows.Write(cw, out.Metrics...); err != nil {
					cw.Abort()
					return err
				}
				if err := cw.Commit(); err != nil {
					return err
				}
			}
			if err := run.Update(func(r *rows.RunMeta) {
				r.TimingsJSON = fmt.Sprintf(`{"failure_s": %.1f}`, time.Since(start).Seconds())
			}); err != nil {
				return err
			}
			if err := run.Finish(rows.StatusComplete, nil); err != nil {
				return err
			}
			nWrong := 0
			for _, w := range test.Wrong {
				if w {
					nWrong++
				}
			}
			fmt.Fprintf(g.stdout, "run %s: detector fitted on %d validation images (%d wrong), evaluated on %d test images (%d wrong)\n\n",
				id, len(val.Wrong), out.Detector.NWrong, len(test.Wrong), nWrong)
			return writeFailureTable(g, out.Metrics)
		},
	}
	f := cmd.Flags()
	f.StringVar(&analyzeRun, "run", "", "analyze run id to read, covering val and test with --per-class 0 (default: the newest complete one)")
	f.StringVar(&dsFilter, "dataset", "", "with no --run, pick the newest analyze run of this dataset")
	f.StringVar(&method, "method", "gradcampp", "saliency method whose RMSE profile is used")
	f.StringVar(&features, "features", "compact", "RMSE profile features: compact (by layer, corruption, severity) or full")
	f.Float64Var(&coverage, "coverage", 0.8, "target coverage of the flag threshold, calibrated on validation")
	f.IntVar(&boot, "boot", 1000, "bootstrap resamples for the 95% intervals")
	return cmd
}

// datasetOfRun finds the dataset partition that holds a run.
func datasetOfRun(wh *warehouse.Warehouse, run string) (string, error) {
	m, err := wh.Run(run)
	return m.Dataset, err
}

// writeFailureTable prints one row per score, metrics as columns with
// their intervals.
func writeFailureTable(g *globals, ms []rows.FailureMetric) error {
	metrics := []string{"auroc_f", "aurc", "eaurc", "augrc", "fpr95"}
	var scores []string
	val := map[[2]string]rows.FailureMetric{}
	for _, m := range ms {
		if !slices.Contains(scores, m.ScoreName) {
			scores = append(scores, m.ScoreName)
		}
		val[[2]string{m.ScoreName, m.Metric}] = m
	}
	tw := tabwriter.NewWriter(g.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "score\t%s\n", strings.Join([]string{"AUROC_f", "AURC", "e-AURC", "AUGRC", "FPR@95TPR"}, "\t"))
	for _, s := range scores {
		fmt.Fprint(tw, s)
		for _, m := range metrics {
			v := val[[2]string{s, m}]
			fmt.Fprintf(tw, "\t%.3f [%.3f, %.3f]", v.Value, v.CILo, v.CIHi)
		}
		fmt.Fprintln(tw)
	}
	return tw.Flush()
}
