package main

import (
	"fmt"
	"io"
	"slices"
	"strings"
	"text/tabwriter"

	"github.com/gradprint/gradprint/internal/pipeline"
	"github.com/gradprint/gradprint/warehouse/rows"
)

// printStep writes the summary of one finished step to stdout, the same
// whether the step ran on its own or inside a study or the demo.
func printStep(w io.Writer, r pipeline.StepResult) error {
	switch r := r.(type) {
	case *pipeline.TrainResult:
		if r.Skipped {
			_, err := fmt.Fprintf(w, "run %s complete; model %s\n", r.RunID, r.Model)
			return err
		}
		_, err := fmt.Fprintf(w, "run %s: best epoch %d, val AUC %.4f, %.0f s; model %s\n", r.RunID, r.BestEpoch, r.BestValAUC, r.Seconds, r.Model)
		return err
	case *pipeline.AnalyzeResult:
		if r.Skipped {
			_, err := fmt.Fprintf(w, "run %s (dataset %s) already complete\n", r.RunID, r.Dataset)
			return err
		}
		_, err := fmt.Fprintf(w, "run %s (dataset %s): %d images x %d variants in %.1f s (%.1f images/s)\n",
			r.RunID, r.Dataset, r.Images, r.Variants, r.Seconds, float64(r.Images)/r.Seconds)
		return err
	case *pipeline.FailureResult:
		fmt.Fprintf(w, "run %s: detector fitted on %d validation images (%d wrong), evaluated on %d test images (%d wrong)\n\n",
			r.RunID, r.Val, r.ValWrong, r.Test, r.TestWrong)
		return writeFailureTable(w, r.Metrics)
	case *pipeline.ReportResult:
		_, err := fmt.Fprintf(w, "report of run %s (%s): %d figures in %s\n", r.AnalyzeRun, r.Dataset, r.Figures, r.Index)
		return err
	case *pipeline.FetchResult:
		_, err := fmt.Fprintln(w, r.Path)
		return err
	}
	return fmt.Errorf("no output format for step %s", r.StepName())
}

// writeFailureTable prints one row per score, metrics as columns with
// their intervals.
func writeFailureTable(w io.Writer, ms []rows.FailureMetric) error {
	metrics := []string{"auroc_f", "aurc", "eaurc", "augrc", "fpr95"}
	var scores []string
	val := map[[2]string]rows.FailureMetric{}
	for _, m := range ms {
		if !slices.Contains(scores, m.ScoreName) {
			scores = append(scores, m.ScoreName)
		}
		val[[2]string{m.ScoreName, m.Metric}] = m
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
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
