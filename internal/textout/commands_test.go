package textout

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/gradprint/gradprint/internal/buildinfo"
	"github.com/gradprint/gradprint/internal/pipeline"
)

func TestEvaluationTableAndJSON(t *testing.T) {
	res := []pipeline.SplitEvaluation{{Split: "test", N: 156, AUC: 0.9031, ACC: 0.8782, BalancedACC: 0.81,
		PerClassAUC: []float64{0.9031, 0.9031}, Confusion: [][]int{{30, 12}, {7, 107}}, Classes: []string{"malignant", "benign"}}}
	var b bytes.Buffer
	if err := Evaluation(&b, res, false); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"test   156  0.9031  0.8782  0.8100", "predicted malignant, benign", "benign     0.9031", "[7 107]"} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("table lacks %q:\n%s", want, b.String())
		}
	}
	b.Reset()
	if err := Evaluation(&b, append(res, res...), true); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(b.String()), "\n")
	var got pipeline.SplitEvaluation
	if len(lines) != 2 || json.Unmarshal([]byte(lines[1]), &got) != nil || got.N != 156 || got.Confusion[1][1] != 107 {
		t.Fatalf("JSON lines do not round-trip:\n%s", b.String())
	}
}

func TestVersionLinesAndJSON(t *testing.T) {
	i := buildinfo.Info{Version: "v1.2.3", Commit: "abc", Go: "go1.26", Platform: "linux/amd64", GEMM: "purego", Core: "generic", Deterministic: true}
	var b bytes.Buffer
	if err := Version(&b, i, false); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(b.String(), "gradprint v1.2.3\ncommit    abc\n") || !strings.Contains(b.String(), "core      generic\n") ||
		!strings.Contains(b.String(), "results   bit-exact on any x86-64 CPU") {
		t.Fatalf("version lines:\n%s", b.String())
	}
	b.Reset()
	if err := Version(&b, i, true); err != nil {
		t.Fatal(err)
	}
	var got buildinfo.Info
	if err := json.Unmarshal(b.Bytes(), &got); err != nil || got != i {
		t.Fatalf("version JSON %s does not round-trip: %v", b.String(), err)
	}
}

func TestDemoSummaryNamesTheOutFolder(t *testing.T) {
	var b bytes.Buffer
	res := &pipeline.DemoResult{Data: "d.npz", Model: "m.safetensors", Warehouse: "wh", Report: "rep", Seconds: 254}
	if err := Demo(&b, res, "gp-out"); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(b.String(), "demo finished in 254 s") || strings.Count(b.String(), "gradprint --out gp-out query") != 3 {
		t.Fatalf("demo summary:\n%s", b.String())
	}
}
