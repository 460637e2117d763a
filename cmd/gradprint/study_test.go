package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestStudyRunsThenSkipsCompletedSteps(t *testing.T) {
	if testing.Short() {
		t.Skip("study test skipped in -short mode (it trains a model)")
	}
	dir := t.TempDir()
	data := filepath.Join(dir, "data.npz")
	gp(t, dir, "datasets", "synth", "--out", data, "--size", "16", "--classes", "2", "--train", "48", "--val", "24", "--test", "24")
	out := filepath.Join(dir, "study")
	file := filepath.Join(dir, "study.yaml")
	yaml := `seed: 5
out: ` + out + `
datasets:
  - {flag: synthetic, size: 16, data: ` + data + `}
train: {epochs: 1, batch: 16, width: 0.125, init: torchvision}
analyze:
  corruptions: [contrast, gaussian_noise]
  severities: [1, 4]
  per_class: 0
  splits: [val, test]
failure: {boot: 20}
`
	if err := os.WriteFile(file, []byte(yaml), 0o644); err != nil {
		t.Fatal(err)
	}
	first := gp(t, dir, "study", file)
	if !strings.Contains(first, "study "+file+" complete") || !strings.Contains(first, "best epoch 1") {
		t.Fatalf("first run output:\n%s", first)
	}
	if _, err := os.Stat(filepath.Join(out, "report", "synthetic_16", "index.html")); err != nil {
		t.Fatal(err)
	}
	// The study's init reaches train: the small stem's default would be recorded as "pytorch".
	inits := gp(t, out, "query", "--sql", "SELECT count(*) AS n FROM runs WHERE kind = 'train' AND config_json NOT LIKE '%\"init\"%'", "--format", "csv")
	if !strings.Contains(inits, "\n1\n") {
		t.Fatalf("train runs without an init override (torchvision): %q, want 1", inits)
	}
	second := gp(t, dir, "study", file)
	if strings.Count(second, "already complete") < 1 || strings.Contains(second, "best epoch") {
		t.Fatalf("rerun did not skip the completed steps:\n%s", second)
	}
	n := gp(t, out, "query", "--sql", "SELECT count(*) AS n FROM predictions", "--format", "csv")
	if !strings.Contains(n, "\n240\n") { // 48 val+test images x 5 variants, once
		t.Fatalf("predictions after two study runs: %q, want 240", n)
	}
}

func TestStudyRejectsUnknownKeys(t *testing.T) {
	file := filepath.Join(t.TempDir(), "s.yaml")
	os.WriteFile(file, []byte("datasets: [{flag: breastmnist}]\ntrian: {epochs: 3}\n"), 0o644)
	if _, err := loadStudy(file); err == nil || !strings.Contains(err.Error(), "trian") {
		t.Fatalf("err = %v, want one naming the unknown key", err)
	}
	os.WriteFile(file, []byte("seed: 1\n"), 0o644)
	if _, err := loadStudy(file); err == nil || !strings.Contains(err.Error(), "datasets") {
		t.Fatalf("err = %v, want one about datasets", err)
	}
}

func TestThesisStudyExampleLoads(t *testing.T) {
	st, err := loadStudy(filepath.Join("..", "..", "examples", "thesis-study.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if len(st.Datasets) != 8 || st.Train.Epochs != 100 || len(st.Analyze.Layers) != 8 || *st.Analyze.PerClass != 0 {
		t.Fatalf("example study %+v", st)
	}
	for _, l := range st.Analyze.Layers {
		if _, err := resolveLayers(l); err != nil {
			t.Fatal(err)
		}
	}
}
