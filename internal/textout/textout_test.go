package textout

import (
	"bytes"
	"strings"
	"testing"

	"github.com/gradprint/gradprint/internal/pipeline"
	"github.com/gradprint/gradprint/warehouse/rows"
)

// The failure study prints one row per group of scores that rank alike,
// each metric with its interval, and says which score flag deploys.
func TestFailureStudyTables(t *testing.T) {
	m := func(score, group, metric string, v float64) rows.FailureMetric {
		return rows.FailureMetric{Setting: "iid", Corruption: "clean", Regime: "seen", ScoreName: score, Group: group,
			Metric: metric, Value: v, CILo: v - 0.1, CIHi: v + 0.1, N: 156}
	}
	r := &pipeline.FailureResult{RunID: "failure-1", FingerprintRun: "fingerprint-1", Val: 78, ValWrong: 7, Test: 156, TestWrong: 19,
		Metrics: []rows.FailureMetric{m("msp", "msp = entropy", "auroc_f", 0.7), m("entropy", "msp = entropy", "auroc_f", 0.7),
			m("knn", "", "auroc_f", 0.65), m("knn", "", "aurc", 0.1)},
		Choice: "knn", Why: "lowest AURC on the validation mix"}
	var b bytes.Buffer
	if err := Step(&b, r); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	for _, want := range []string{"clean test 156 images (19 wrong)", "msp = entropy  0.700 [0.600, 0.800]", "knn", "0.100 [0.000, 0.200]",
		"flag deploys knn: lowest AURC"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if strings.Count(out, "msp = entropy") != 1 {
		t.Errorf("the group is printed more than once:\n%s", out)
	}
}

func TestCellQuotesControlCharacters(t *testing.T) {
	if got := cell("a\nb.png"); got != `"a\nb.png"` {
		t.Errorf("cell = %s", got)
	}
	if got := cell("scan 1.png"); got != "scan 1.png" {
		t.Errorf("cell = %s", got)
	}
}
