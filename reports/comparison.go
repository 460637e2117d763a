package reports

import (
	"fmt"
	"math"

	"github.com/gradprint/gradprint/queries"
)

// The run comparison puts two analyze runs side by side (the thesis's
// plain model against its augmented one): the AUC drop against severity
// with one line per run (Figures 3.1 against 3.2), and the layer profile
// with one row of panels per run (Figures 3.3 against 3.4). Both are drawn
// from run_comparison rows only.

// checkComparison finds the two runs the rows compare and names each side
// for legends and row labels ("a: augment none"); runs names them in full.
func checkComparison(rows []queries.RunComparisonRow, what string) (a, b, runs string, err error) {
	if len(rows) == 0 {
		return "", "", "", fmt.Errorf("%s: no rows (did run_comparison get two complete analyze runs as run_a and run_b?)", what)
	}
	r := rows[0]
	for _, x := range rows {
		if x.RunA != r.RunA || x.RunB != r.RunB {
			return "", "", "", fmt.Errorf("%s: rows of more than one pair of runs (%s/%s and %s/%s)", what, r.RunA, r.RunB, x.RunA, x.RunB)
		}
	}
	return "a: augment " + r.AugmentA, "b: augment " + r.AugmentB, fmt.Sprintf("a = %s, b = %s", r.RunA, r.RunB), nil
}

// RunComparisonDeltaAUC draws the AUC drop (clean minus corrupted) of both
// runs against severity, one panel per corruption, one line per run, with
// a dashed reference at 0 (no drop).
func RunComparisonDeltaAUC(rows []queries.RunComparisonRow, o Options) (*Rendered, error) {
	const what = "run comparison (AUC drop)"
	la, lb, runs, err := checkComparison(rows, what)
	if err != nil {
		return nil, err
	}
	var pts []sevPoint
	for _, r := range rows {
		if r.Measure != "delta_auc" {
			continue
		}
		for i, side := range []struct {
			line string
			v    float64
		}{{la, r.A}, {lb, r.B}} {
			pts = append(pts, sevPoint{Row: rowName("", r.Corruption, r.Severity, side.line), Corruption: r.Corruption, Severity: r.Severity,
				Score: side.line, Line: side.line, Rank: i, Value: side.v, Lo: math.NaN(), Hi: math.NaN(), Ref: math.NaN()})
		}
	}
	if len(pts) == 0 {
		return nil, fmt.Errorf("%s: no delta_auc rows", what)
	}
	return severityFigure(pts, sevSpec{
		what:        what,
		title:       "AUC drop under corruption, two models side by side",
		subtitle:    runs + " · AUC on the clean test split minus AUC on the corrupted copy (positive = worse) · dashed: no drop",
		yTitle:      "ΔAUC (clean − corrupted)",
		legendTitle: "analyze run:",
		minSev:      1,
		rules:       []float64{0},
	}, o)
}

// RunComparisonLayers draws the layer profile of both runs at one
// severity: a row of panels per run, a column per corruption, the mean
// saliency RMSE over all test images against the layers, each panel
// titled with its AUC drop.
func RunComparisonLayers(rows []queries.RunComparisonRow, severity int, o Options) (*Rendered, error) {
	const what = "run comparison (layers)"
	la, lb, runs, err := checkComparison(rows, what)
	if err != nil {
		return nil, err
	}
	drop := map[[3]any]float64{}
	for _, r := range rows {
		if r.Measure == "delta_auc" {
			drop[[3]any{"a", r.Corruption, r.Severity}], drop[[3]any{"b", r.Corruption, r.Severity}] = r.A, r.B
		}
	}
	var prof []queries.LayerProfileRow
	for _, r := range rows {
		if r.Measure != "mean_rmse" || r.Severity != severity {
			continue
		}
		for _, side := range []struct {
			key, run string
			v        float64
			n        int
		}{{"a", la, r.A, r.NA}, {"b", lb, r.B, r.NB}} {
			if math.IsNaN(side.v) || side.n == 0 {
				continue
			}
			d, ok := drop[[3]any{side.key, r.Corruption, r.Severity}]
			if !ok {
				d = math.NaN()
			}
			prof = append(prof, queries.LayerProfileRow{Run: side.run, Corruption: r.Corruption, Severity: r.Severity,
				Label: 0, ClassName: "all classes", LayerDepth: r.LayerDepth, Layer: r.Layer, LayerAlias: r.LayerAlias,
				Selection: "all", MeanRMSE: side.v, SDRMSE: math.NaN(), N: side.n, DeltaAUC: d, DeltaAUCClass: d})
		}
	}
	if len(prof) == 0 {
		return nil, fmt.Errorf("%s: no mean_rmse rows at severity %d", what, severity)
	}
	if o.Title == "" {
		o.Title = fmt.Sprintf("Saliency change by layer, two models side by side (%s) — severity %d", runs, severity)
	}
	return LayerProfile(prof, LayerProfileOptions{Options: o, Severity: severity, Selection: "all"})
}
