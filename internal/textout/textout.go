// Package textout writes the plain-text summaries gradprint prints on
// stdout after a step: one line per step, the failure study's tables, and
// flag's per-image judgements. It formats typed results and knows nothing
// of flags or of how the results were computed.
package textout

import (
	"fmt"
	"io"
	"log/slog"
	"math"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/gradprint/gradprint/internal/pipeline"
	"github.com/gradprint/gradprint/warehouse/rows"
)

// StepPrinter returns a callback that writes each finished step's
// summary to w as it comes (a study's or the demo's steps), logging a
// failed write rather than stopping the run for it.
func StepPrinter(w io.Writer, log *slog.Logger) func(pipeline.StepResult) {
	return func(r pipeline.StepResult) {
		if err := Step(w, r); err != nil {
			log.Warn("print step", "step", r.StepName(), "err", err)
		}
		log.Info("step done", "step", r.StepName())
	}
}

// Step writes the summary of one finished step, the same whether the step
// ran on its own or inside a study or the demo.
func Step(w io.Writer, r pipeline.StepResult) error {
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
	case *pipeline.FingerprintResult:
		if r.Skipped {
			_, err := fmt.Fprintf(w, "run %s (dataset %s) already complete\n", r.RunID, r.Dataset)
			return err
		}
		_, err := fmt.Fprintf(w, "run %s (dataset %s): %d incoming images fingerprinted in %.1f s (%.1f images/s)\n",
			r.RunID, r.Dataset, r.Incoming, r.Seconds, float64(r.Incoming)/r.Seconds)
		return err
	case *pipeline.FailureResult:
		return writeFailureStudy(w, r)
	case *pipeline.ReportResult:
		_, err := fmt.Fprintf(w, "report of run %s (%s): %d figures in %s\n", r.AnalyzeRun, r.Dataset, r.Figures, r.Index)
		return err
	case *pipeline.FetchResult:
		_, err := fmt.Fprintln(w, r.Path)
		return err
	}
	return fmt.Errorf("no output format for step %s", r.StepName())
}

// writeFailureStudy prints the headline tables of a failure study: i.i.d.,
// the deployment mixes and pooled shift (unseen regime), degraded-input
// detection, and the guarantee of the score flag deploys.
func writeFailureStudy(w io.Writer, r *pipeline.FailureResult) error {
	stored := ""
	if r.Stored {
		stored = " (complete: read back from the warehouse)"
	}
	fmt.Fprintf(w, "run %s on fingerprint run %s%s: clean validation %d images (%d wrong), clean test %d images (%d wrong); fitted on validation only\n",
		r.RunID, r.FingerprintRun, stored, r.Val, r.ValWrong, r.Test, r.TestWrong)
	for _, t := range []struct{ title, setting, corruption, regime string }{
		{"i.i.d. (clean test)", "iid", "clean", "seen"},
		{"deployment mix, 50% degraded, unseen regime", "mix", "mix50", "unseen"},
		{"deployment mix, 10% degraded, unseen regime", "mix", "mix10", "unseen"},
		{"corruption shift, every corruption x severity pooled, unseen regime", "shift", "all", "unseen"},
	} {
		var ms []rows.FailureMetric
		for _, m := range r.Metrics {
			if m.Setting == t.setting && m.Corruption == t.corruption && m.Severity == 0 && m.Regime == t.regime {
				ms = append(ms, m)
			}
		}
		fmt.Fprintf(w, "\n%s, %d images\n", t.title, firstN(ms))
		if err := writeFailureTable(w, ms); err != nil {
			return err
		}
	}
	writeDegradation(w, r.Degradation)
	writeGuarantee(w, r)
	_, err := fmt.Fprintf(w, "\nflag deploys %s: %s\n", r.Choice, r.Why)
	return err
}

func firstN(ms []rows.FailureMetric) int32 {
	if len(ms) == 0 {
		return 0
	}
	return ms[0].N
}

// writeDegradation prints, per corruption, the AUROC of telling severity 3
// and 5 images from clean ones, unseen regime, for a few scores.
func writeDegradation(w io.Writer, ds []rows.DegradationMetric) {
	scores := []string{"msp", "mahalanobis", "knn", "fp_distance", "detector", "degradation"}
	fmt.Fprintf(w, "\ndegraded-input detection, AUROC of clean against degraded test images, unseen regime (severity 3 / 5)\n")
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "corruption\t%s\n", strings.Join(scores, "\t"))
	val := map[[3]any]rows.DegradationMetric{}
	var corrs []string
	for _, d := range ds {
		if d.Regime != "unseen" {
			continue
		}
		val[[3]any{d.Corruption, d.Severity, d.ScoreName}] = d
		if d.Severity == 3 && !slices.Contains(corrs, d.Corruption) {
			corrs = append(corrs, d.Corruption)
		}
	}
	for _, c := range corrs {
		fmt.Fprint(tw, c)
		for _, s := range scores {
			a, b := val[[3]any{c, int32(3), s}], val[[3]any{c, int32(5), s}]
			fmt.Fprintf(tw, "\t%.2f / %.2f", a.Value, b.Value)
		}
		fmt.Fprintln(tw)
	}
	tw.Flush()
}

// writeGuarantee prints what the risk guarantee of the deployed score
// promised on clean validation and delivered on each headline setting.
func writeGuarantee(w io.Writer, r *pipeline.FailureResult) {
	var gs []rows.Guarantee
	for _, g := range r.Guarantees {
		// Every setting pooled over severities, once: unseen is the headline
		// regime and holds the i.i.d. rows too.
		if g.ScoreName == r.Choice && g.Severity == 0 && g.Regime == "unseen" {
			gs = append(gs, g)
		}
	}
	if len(gs) == 0 {
		return
	}
	fmt.Fprintf(w, "\nrisk guarantee of %s, target %.3g at delta %.3g (SGR on clean validation): bound %.3f at validation coverage %.3f\n",
		r.Choice, gs[0].TargetRisk, gs[0].Delta, gs[0].Bound, gs[0].CalCoverage)
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "setting\ttest risk\ttest coverage\tholds")
	for _, g := range gs {
		// Accepting nothing keeps any promise (the risk is then undefined).
		holds := math.IsNaN(g.TestRisk) || g.TestRisk <= g.TargetRisk
		fmt.Fprintf(tw, "%s %s\t%.3f\t%.3f\t%v\n", g.Setting, g.Corruption, g.TestRisk, g.TestCoverage, holds)
	}
	tw.Flush()
}

// writeFailureTable prints one row per group of scores that rank alike,
// metrics as columns with their intervals.
func writeFailureTable(w io.Writer, ms []rows.FailureMetric) error {
	metrics := []string{"auroc_f", "aurc", "eaurc", "augrc", "fpr95", "silent_failure"}
	var scores []string
	val := map[[2]string]rows.FailureMetric{}
	shown := map[string]bool{}
	for _, m := range ms {
		label := m.ScoreName
		if m.Group != "" {
			label = m.Group
		}
		if !shown[label] {
			shown[label] = true
			scores = append(scores, label)
		}
		val[[2]string{label, m.Metric}] = m
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "score\t%s\n", strings.Join([]string{"AUROC_f", "AURC", "e-AURC", "AUGRC", "FPR@95TPR", "silent failures"}, "\t"))
	for _, s := range scores {
		fmt.Fprint(tw, s)
		for _, m := range metrics {
			v, ok := val[[2]string{s, m}]
			if !ok {
				fmt.Fprint(tw, "\t-")
				continue
			}
			fmt.Fprintf(tw, "\t%.3f [%.3f, %.3f]", v.Value, v.CILo, v.CIHi)
		}
		fmt.Fprintln(tw)
	}
	return tw.Flush()
}

// Flag writes flag's choice of score and thresholds, then one line per
// image with both judgements: likely wrong, and degraded.
func Flag(w io.Writer, res *pipeline.FlagResult) error {
	fmt.Fprintf(w, "score %s: %s\n", res.Score, res.Why)
	fmt.Fprintf(w, "threshold %.4g (%s): clean validation coverage %.3f, risk %.3f", res.Threshold.Threshold, res.Threshold.Target, res.Threshold.Coverage, res.Threshold.Risk)
	if res.Bound >= 0 {
		fmt.Fprintf(w, "; guaranteed risk <= %.3f with probability %.2f for images like the validation split (not for degraded ones)", res.Bound, 1-res.Delta)
	}
	fmt.Fprintf(w, "\ndegraded below degradation score %.4g (5%% of clean validation images)\n\n", res.DegradationThreshold)
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "image\tsource\tpredicted\tconfidence\tfailure_score\tlikely_wrong\tdegradation_score\tdegraded\n")
	for _, im := range res.Images {
		fmt.Fprintf(tw, "%d\t%s\t%s\t%.3f\t%.3f\t%v\t%.3f\t%v\n", im.ImageID, cell(im.Source), cell(im.Predicted), im.Confidence,
			im.FailureScore, im.Flagged, im.DegradationScore, im.Degraded)
	}
	return tw.Flush()
}

// cell keeps one value on one table line: a file name with a newline or a
// tab (legal on Linux) is printed quoted, as Go would write it.
func cell(s string) string {
	if strings.ContainsFunc(s, func(r rune) bool { return r < ' ' || r == 0x7f }) {
		return strconv.Quote(s)
	}
	return s
}
