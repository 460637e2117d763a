package reports

import (
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/gradprint/gradprint/queries"
)

// comparisonRows is a run_comparison answer for two runs, two corruptions,
// five severities and three layers; run b's drop is half of a's.
func comparisonRows() []queries.RunComparisonRow {
	var out []queries.RunComparisonRow
	base := queries.RunComparisonRow{RunA: "analyze-plain", RunB: "analyze-aug", AugmentA: "none", AugmentB: "thesis", NA: 156, NB: 156}
	for _, c := range []string{"contrast", "gaussian_noise"} {
		for sev := 1; sev <= 5; sev++ {
			r := base
			r.Measure, r.Corruption, r.Severity, r.LayerDepth = "delta_auc", c, sev, -1
			r.A, r.B = 0.05*float64(sev), 0.025*float64(sev)
			r.Difference = r.B - r.A
			out = append(out, r)
			for d, l := range []string{"layer1.0.conv2", "layer2.0.conv2", "layer4.1.conv2"} {
				m := base
				m.Measure, m.Corruption, m.Severity, m.LayerDepth, m.Layer, m.LayerAlias = "mean_rmse", c, sev, d, l, l[5:6]+"_x"
				m.A, m.B = float64(10*sev+d), float64(5*sev+2*d)
				m.Difference = m.B - m.A
				out = append(out, m)
			}
		}
	}
	return out
}

func TestRunComparisonFigures(t *testing.T) {
	rows := comparisonRows()
	want := []string{"a: augment none", "b: augment thesis"}
	f, err := RunComparisonDeltaAUC(rows, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if got := legendLabels(f); !slices.Equal(got, want) {
		t.Errorf("delta AUC legend %q, want %q", got, want)
	}
	if len(f.Panels) != 2 {
		t.Errorf("delta AUC: %d panels, want one per corruption (2)", len(f.Panels))
	}
	l, err := RunComparisonLayers(rows, 3, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(l.Panels) != 4 {
		t.Errorf("layers: %d panels, want 2 runs x 2 corruptions", len(l.Panels))
	}
	if _, err := RunComparisonLayers(rows, 9, Options{}); err == nil || !strings.Contains(err.Error(), "severity 9") {
		t.Errorf("a severity without rows: err %v", err)
	}
	mixed := append(slices.Clone(rows), queries.RunComparisonRow{Measure: "delta_auc", RunA: "x", RunB: "y", A: math.NaN(), B: math.NaN()})
	if _, err := RunComparisonDeltaAUC(mixed, Options{}); err == nil || !strings.Contains(err.Error(), "more than one pair") {
		t.Errorf("rows of two pairs: err %v", err)
	}
	if _, err := RunComparisonDeltaAUC(nil, Options{}); err == nil || !strings.Contains(err.Error(), "run_comparison") {
		t.Errorf("no rows: err %v", err)
	}
}
