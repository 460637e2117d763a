package pipeline

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/gradprint/gradprint/compute/analysis"
	"github.com/gradprint/gradprint/ingest"
	"github.com/gradprint/gradprint/internal/buildinfo"
	"github.com/gradprint/gradprint/warehouse"
	"github.com/gradprint/gradprint/warehouse/rows"
)

// fixture is a small synthetic dataset and a model trained on it, made
// once for the package's tests (each test writes its own output folder).
type fixture struct {
	data, model string
	train       *TrainResult
}

var (
	fixtureOnce sync.Once
	fixtureVal  fixture
	fixtureErr  error
)

func smallFixture(t *testing.T) fixture {
	t.Helper()
	fixtureOnce.Do(func() {
		dir, err := os.MkdirTemp("", "gradprint-pipeline-")
		if err != nil {
			fixtureErr = err
			return
		}
		f := fixture{data: filepath.Join(dir, "data.npz"), model: filepath.Join(dir, "model.safetensors")}
		cfg := ingest.SynthConfig{Size: 16, Channels: 1, Classes: 2, Train: 48, Val: 24, Test: 24, Seed: 3}
		if fixtureErr = ingest.WriteSynthetic(f.data, cfg); fixtureErr != nil {
			return
		}
		o := smallTrain(f.data, f.model)
		f.train, fixtureErr = Train(context.Background(), testEnv(dir, 3), o)
		fixtureVal = f
	})
	if fixtureErr != nil {
		t.Fatal(fixtureErr)
	}
	return fixtureVal
}

func TestMain(m *testing.M) {
	code := m.Run()
	if fixtureVal.data != "" {
		os.RemoveAll(filepath.Dir(fixtureVal.data))
	}
	os.Exit(code)
}

func testEnv(out string, seed uint64) Env {
	return Env{Out: out, DataDir: out, Seed: seed, Quiet: true, Build: buildinfo.Read("test", "")}
}

func smallTrain(data, model string) TrainOptions {
	o := DefaultTrainOptions()
	o.Data, o.Model, o.Width, o.Init = DataSource{File: data}, model, 0.125, "torchvision"
	o.Recipe.Epochs, o.Recipe.BatchSize = 1, 16
	return o
}

func smallAnalyze(data, model string) AnalyzeOptions {
	o := DefaultAnalyzeOptions()
	o.Data, o.Model = DataSource{File: data}, model
	o.Corruptions, o.Severities = []string{"contrast", "gaussian_noise"}, []int{1, 4}
	o.PerClass, o.Splits, o.Chunk = 0, []ingest.Split{ingest.Val, ingest.Test}, 8
	return o
}

// oldRunID is how run ids were made before configurations had types: the
// JSON of a map, whose keys encoding/json sorts.
func oldRunID(kind string, m map[string]any) string {
	b, _ := json.Marshal(m)
	h := sha256.Sum256(append([]byte(kind+"\n"), b...))
	return kind + "-" + hex.EncodeToString(h[:6])
}

func TestRunIDMatchesTheUntypedConfigurations(t *testing.T) {
	layers := []analysis.Layer{{Name: "layer1.0.conv2", Alias: "1_2", Depth: 0}}
	ac := AnalyzeConfig{Data: "d.npz", Dataset: "synthetic", ModelSHA256: "abc", Preset: "imagenet-c", Corruptions: []string{"contrast"},
		Severities: []int{1, 3}, Layers: layers, Methods: []string{"gradcampp"}, PerClass: 0, Select: ingest.SelectAll,
		Splits: []string{"val", "test"}, Target: analysis.TargetClean, MapsPerClass: 2, Chunk: 16, Seed: 1 << 60}
	got, stored, err := runID("analyze", ac)
	if err != nil {
		t.Fatal(err)
	}
	want := oldRunID("analyze", map[string]any{"data": "d.npz", "dataset": "synthetic", "model_sha256": "abc", "preset": "imagenet-c",
		"corruptions": []string{"contrast"}, "severities": []int{1, 3}, "layers": layers, "methods": []string{"gradcampp"}, "per_class": 0,
		"select": ingest.SelectAll, "splits": []string{"val", "test"}, "target": "clean", "maps_per_class": 2, "chunk": 16, "seed": uint64(1 << 60)})
	if got != want {
		t.Fatalf("analyze run id %s, want %s (the id of the same settings before typed configs)\n%s", got, want, stored)
	}
	back, err := decodeConfig[AnalyzeConfig](rows.RunMeta{ConfigJSON: stored})
	if err != nil || back.Seed != 1<<60 || back.Layers[0] != layers[0] || back.Target != analysis.TargetClean {
		t.Fatalf("decoded %+v, %v", back, err)
	}
	if _, _, err := runID("x", []int{1}); err == nil {
		t.Fatal("a configuration that is not an object was accepted")
	}
}

func TestPartitionNamesTheDataset(t *testing.T) {
	for _, c := range []struct {
		src  DataSource
		want string
	}{
		{DataSource{}, "synthetic"},
		{DataSource{Dataset: "breastmnist", Size: 64}, "breastmnist_64"},
		{DataSource{Dataset: "retinamnist", Size: 28}, "retinamnist"},
		{DataSource{Dataset: "odd name!"}, "odd_name_"},
	} {
		if got := c.src.Partition(nil); got != c.want {
			t.Errorf("%+v: %q, want %q", c.src, got, c.want)
		}
	}
	splits := map[ingest.Split]*ingest.Dataset{ingest.Test: {Flag: "pneumoniamnist"}}
	if got := (DataSource{File: "x.npz"}).Partition(splits); got != "pneumoniamnist" {
		t.Errorf("a --data file names its partition by its own flag: got %q", got)
	}
}

// A step that fails after its run began marks the run failed, with the
// error, instead of leaving it "running".
func TestFailedStepMarksItsRunFailed(t *testing.T) {
	f := smallFixture(t)
	out := t.TempDir()
	blocker := filepath.Join(out, "not-a-folder")
	if err := os.WriteFile(blocker, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	o := smallTrain(f.data, filepath.Join(blocker, "model.safetensors"))
	if _, err := Train(context.Background(), testEnv(out, 3), o); err == nil {
		t.Fatal("saving the model under a file succeeded")
	}
	shards, err := warehouse.NewCatalog(filepath.Join(out, "warehouse")).Shards("")
	if err != nil || len(shards) != 1 {
		t.Fatalf("runs rows %v, %v", shards, err)
	}
	if r := shards[0]; r.Status != rows.StatusFailed || !strings.Contains(r.Error, "not-a-folder") {
		t.Fatalf("train run status %q error %q, want failed naming the path", r.Status, r.Error)
	}
}

func TestStudyRunsThenSkipsCompletedSteps(t *testing.T) {
	f := smallFixture(t)
	dir := t.TempDir()
	out := filepath.Join(dir, "study")
	file := filepath.Join(dir, "study.yaml")
	yaml := `seed: 5
out: ` + out + `
datasets:
  - {flag: synthetic, size: 16, data: ` + f.data + `}
train: {epochs: 1, batch: 16, width: 0.125, init: torchvision}
analyze:
  corruptions: [contrast, gaussian_noise]
  severities: [1, 4]
  per_class: 0
  splits: [val, test]
failure: {boot: 20}
`
	st := loadStudyText(t, file, yaml)
	steps := runStudy(t, dir, st)
	if names := stepNames(steps); names != "train analyze fingerprint failure report" {
		t.Fatalf("steps %s", names)
	}
	if tr := steps[0].(*TrainResult); tr.Skipped || tr.BestEpoch != 1 {
		t.Fatalf("first train %+v", tr)
	}
	if _, err := os.Stat(filepath.Join(out, "report", "synthetic_16", "index.html")); err != nil {
		t.Fatal(err)
	}
	cat := warehouse.NewCatalog(filepath.Join(out, "warehouse"))
	train, err := cat.Latest(warehouse.RunQuery{Kind: "train"})
	if err != nil {
		t.Fatal(err)
	}
	// The study's values reach the steps as typed options: seed, init, recipe.
	tc, err := decodeConfig[TrainConfig](train)
	if err != nil || train.Seed != 5 || tc.Recipe.Seed != 5 || tc.Init != "" || tc.Recipe.Epochs != 1 || tc.Model.Width != 0.125 {
		t.Fatalf("train run seed %d, config %+v, %v", train.Seed, tc, err)
	}
	steps = runStudy(t, dir, st)
	if tr, ar, fr := steps[0].(*TrainResult), steps[1].(*AnalyzeResult), steps[2].(*FingerprintResult); !tr.Skipped || !ar.Skipped || !fr.Skipped {
		t.Fatalf("rerun did not skip: train %+v analyze %+v fingerprint %+v", tr, ar, fr)
	}
	an, err := cat.Latest(warehouse.RunQuery{Kind: "analyze"})
	if err != nil {
		t.Fatal(err)
	}
	preds, err := warehouse.Read[rows.Prediction](cat, warehouse.RunRef{Dataset: an.Dataset, RunID: an.RunID})
	if err != nil || len(preds) != 240 { // 48 val+test images x 5 variants, once
		t.Fatalf("predictions after two study runs: %d, %v; want 240", len(preds), err)
	}
}

// loadStudyText writes a study file and loads it.
func loadStudyText(t *testing.T, file, yaml string) *StudyFile {
	t.Helper()
	if err := os.WriteFile(file, []byte(yaml), 0o644); err != nil {
		t.Fatal(err)
	}
	st, err := LoadStudy(file)
	if err != nil {
		t.Fatal(err)
	}
	return st
}

// runStudy runs a study and returns the steps it finished, in order.
func runStudy(t *testing.T, dir string, st *StudyFile) []StepResult {
	t.Helper()
	var steps []StepResult
	e := testEnv(filepath.Join(dir, "ignored"), 1)
	e.OnStep = func(r StepResult) { steps = append(steps, r) }
	if _, err := Study(context.Background(), e, st); err != nil {
		t.Fatal(err)
	}
	return steps
}

func stepNames(steps []StepResult) string {
	var names []string
	for _, s := range steps {
		names = append(names, s.StepName())
	}
	return strings.Join(names, " ")
}

func TestStudyRejectsUnknownKeys(t *testing.T) {
	file := filepath.Join(t.TempDir(), "s.yaml")
	for _, c := range []struct{ text, want string }{
		{"datasets: [{flag: breastmnist}]\ntrian: {epochs: 3}\n", "trian"},
		{"seed: 1\n", "datasets"},
		{"datasets: [{size: 28}]\n", "datasets[0].flag"},
		{"datasets: [{flag: breastmnist}]\nanalyze: {select: some}\n", "select"},
		{"datasets: [{flag: breastmnist}]\ntrain: {augment: mixup}\n", "--augment"},
		{"datasets: [{flag: breastmnist, augment: random, augment_p: 2}]\n", "--augment-p"},
		{"datasets: [{flag: breastmnist}]\ntrain: {augment: thesis, augment_p: 0.5}\n", "only with --augment random"},
	} {
		if err := os.WriteFile(file, []byte(c.text), 0o644); err != nil {
			t.Fatal(err)
		}
		if _, err := LoadStudy(file); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%q: err = %v, want one naming %s", c.text, err, c.want)
		}
	}
}

func TestThesisStudyExampleLoads(t *testing.T) {
	st, err := LoadStudy(filepath.Join("..", "..", "examples", "thesis-study.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if len(st.Datasets) != 9 || st.Train.Epochs != 100 || len(st.Analyze.Layers) != 8 || *st.Analyze.PerClass != 0 {
		t.Fatalf("example study %+v", st)
	}
	// The augmented BreastMNIST model has a model file of its own, and the
	// analysis's corruptions and severities.
	plain, aug := st.augment(st.Datasets[0]), st.augment(st.Datasets[1])
	if plain.Mode != "none" || aug.Mode != "thesis" || len(aug.Corruptions) != 5 || len(aug.Severities) != 5 ||
		plain.fileSuffix() != "" || aug.fileSuffix() != "-augment-thesis" {
		t.Fatalf("example study augmentation: plain %+v, augmented %+v", plain, aug)
	}
	layers, err := resolveLayers(st.Analyze.Layers)
	if err != nil || len(layers) != 8 {
		t.Fatalf("layers %v, %v", layers, err)
	}
}

func smallFingerprint(data, model string) FingerprintOptions {
	o := DefaultFingerprintOptions()
	o.Data, o.Model = DataSource{File: data}, model
	o.Corruptions, o.Severities, o.Probes, o.Chunk = []string{"contrast", "gaussian_noise"}, []int{1, 4}, "light", 8
	return o
}

// flag fingerprints new images with the seed and settings its fingerprint
// run recorded, whatever --seed says.
func TestFlagFollowsTheFingerprintRunsSeed(t *testing.T) {
	f := smallFixture(t)
	out := t.TempDir()
	ctx := context.Background()
	if _, err := Fingerprint(ctx, testEnv(out, 7), smallFingerprint(f.data, f.model)); err != nil {
		t.Fatal(err)
	}
	fo := DefaultFailureOptions()
	fo.Boot = 10
	first, err := Failure(ctx, testEnv(out, 7), fo)
	if err != nil {
		t.Fatal(err)
	}
	// A complete failure run is read back, not computed again.
	again, err := Failure(ctx, testEnv(out, 7), fo)
	if err != nil {
		t.Fatal(err)
	}
	if first.Stored || !again.Stored || again.RunID != first.RunID || again.Choice != first.Choice ||
		len(again.Metrics) != len(first.Metrics) || len(again.Guarantees) != len(first.Guarantees) || again.ValWrong != first.ValWrong {
		t.Fatalf("rerun of failure run %s: stored %v, %d metrics, choice %q; first %d metrics, choice %q",
			first.RunID, again.Stored, len(again.Metrics), again.Choice, len(first.Metrics), first.Choice)
	}
	fl := FlagOptions{Model: f.model, Images: f.data, Coverage: 0.8}
	a, err := Flag(ctx, testEnv(out, 7), fl)
	if err != nil {
		t.Fatal(err)
	}
	b, err := Flag(ctx, testEnv(out, 99), fl)
	if err != nil {
		t.Fatal(err)
	}
	if a.RunID != b.RunID || len(a.Images) != 24 || a.Score == "" || a.Why == "" {
		t.Fatalf("flag runs %s and %s (%d images, score %q): --seed changed what flag did", a.RunID, b.RunID, len(a.Images), a.Score)
	}
	for i := range a.Images {
		if a.Images[i] != b.Images[i] {
			t.Fatalf("image %d: %+v with --seed 7, %+v with --seed 99", i, a.Images[i], b.Images[i])
		}
	}
	run, err := warehouse.NewCatalog(filepath.Join(out, "warehouse")).Run(a.RunID)
	if err != nil {
		t.Fatal(err)
	}
	fc, err := decodeConfig[FlagConfig](run)
	if err != nil || run.Seed != 7 || fc.Seed != 7 {
		t.Fatalf("flag run seed %d, config %+v (%v): want the fingerprint run's seed 7", run.Seed, fc, err)
	}
}

// Thesis augmentation trains on every copy (samples = images x variants),
// records its settings with the run and in every training row, and saves
// its model beside the plain one; the copies never enlarge the dataset.
func TestTrainWithThesisAugmentation(t *testing.T) {
	f := smallFixture(t)
	out := t.TempDir()
	o := smallTrain(f.data, "")
	o.Augment.Mode, o.Augment.Corruptions, o.Augment.Severities = "thesis", []string{"contrast", "gaussian_noise"}, []int{1, 4}
	res, err := Train(context.Background(), testEnv(out, 3), o)
	if err != nil {
		t.Fatal(err)
	}
	if want := filepath.Join(out, "models", "data_16-augment-thesis.safetensors"); res.Model != want {
		t.Fatalf("augmented model at %s, want %s", res.Model, want)
	}
	cat := warehouse.NewCatalog(filepath.Join(out, "warehouse"))
	run, err := cat.Run(res.RunID)
	if err != nil {
		t.Fatal(err)
	}
	var build buildinfo.Info
	if err := json.Unmarshal([]byte(run.BuildJSON), &build); err != nil || build.GEMM == "" || build.Core == "" || build.Threads < 1 {
		t.Fatalf("run's build_json %q (%v): want the GEMM backend, core type and threads", run.BuildJSON, err)
	}
	tc, err := decodeConfig[TrainConfig](run)
	if a := tc.Recipe.Augment; err != nil || a == nil || a.Mode != "thesis" || a.Preset != "imagenet-c" || len(a.Corruptions) != 2 || len(a.Severities) != 2 {
		t.Fatalf("recorded augmentation %+v (%v)", tc.Recipe.Augment, err)
	}
	eps, err := warehouse.Read[rows.Training](cat, warehouse.RunRef{Dataset: run.Dataset, RunID: run.RunID})
	if err != nil || len(eps) == 0 {
		t.Fatalf("training rows %d, %v", len(eps), err)
	}
	for _, e := range eps {
		if e.Augment != "thesis" || e.Samples != 48*5 {
			t.Fatalf("training row %+v: want augment thesis and 240 samples (48 images x 5 variants)", e)
		}
	}
	plain, err := decodeConfig[TrainConfig](mustRun(t, f))
	if err != nil || plain.Recipe.Augment != nil || res.RunID == f.train.RunID {
		t.Fatalf("plain run %s config %+v: want no augmentation and another run id than %s", f.train.RunID, plain.Recipe, res.RunID)
	}
}

func mustRun(t *testing.T, f fixture) rows.RunMeta {
	t.Helper()
	run, err := warehouse.NewCatalog(filepath.Join(filepath.Dir(f.data), "warehouse")).Run(f.train.RunID)
	if err != nil {
		t.Fatal(err)
	}
	return run
}

// report --compare draws two analyze runs side by side from run_comparison
// and refuses a run that is not another complete analyze run.
func TestReportComparesTwoAnalyzeRuns(t *testing.T) {
	f := smallFixture(t)
	out := t.TempDir()
	ctx := context.Background()
	e := testEnv(out, 3)
	a, err := Analyze(ctx, e, smallAnalyze(f.data, f.model))
	if err != nil {
		t.Fatal(err)
	}
	other := smallAnalyze(f.data, f.model)
	other.Corruptions = []string{"contrast", "brightness"}
	b, err := Analyze(ctx, e, other)
	if err != nil {
		t.Fatal(err)
	}
	o := DefaultReportOptions()
	o.Run, o.Compare, o.Severity = a.RunID, b.RunID, 4
	res, err := Report(ctx, e, o)
	if err != nil {
		t.Fatal(err)
	}
	plain, err := Report(ctx, e, ReportOptions{Run: a.RunID, Method: o.Method, Severity: 4, ImageID: -1, Width: o.Width, Dir: filepath.Join(out, "plain")})
	if err != nil {
		t.Fatal(err)
	}
	if res.Figures != plain.Figures+2 {
		t.Fatalf("report with --compare has %d figures, without %d: want two more", res.Figures, plain.Figures)
	}
	for _, name := range []string{"run_comparison_delta_auc.png", "run_comparison_layers.png"} {
		if _, err := os.Stat(filepath.Join(filepath.Dir(res.Index), name)); err != nil {
			t.Fatal(err)
		}
	}
	for _, bad := range []string{"analyze-000000000000", a.RunID, f.train.RunID} {
		o.Compare = bad
		if _, err := Report(ctx, e, o); err == nil || !strings.Contains(err.Error(), "--compare") {
			t.Errorf("--compare %s: err %v, want one naming --compare", bad, err)
		}
	}
}

// A study holding a plain and an augmented model of one dataset trains
// both, keeps their models and reports apart, and reports each on its own
// analyze run.
func TestStudyWithAnAugmentedModelBesideThePlainOne(t *testing.T) {
	f := smallFixture(t)
	dir := t.TempDir()
	out := filepath.Join(dir, "study")
	file := filepath.Join(dir, "study.yaml")
	yaml := `seed: 5
out: ` + out + `
datasets:
  - {flag: synthetic, size: 16, data: ` + f.data + `}
  - {flag: synthetic, size: 16, data: ` + f.data + `, augment: random, augment_p: 0.5}
train: {epochs: 1, batch: 16, width: 0.125, init: torchvision}
analyze:
  corruptions: [contrast, gaussian_noise]
  severities: [1, 4]
  per_class: 0
  splits: [test]
failure: {skip: true}
`
	st := loadStudyText(t, file, yaml)
	steps := runStudy(t, dir, st)
	if names := stepNames(steps); names != "train analyze report train analyze report" {
		t.Fatalf("steps %s", names)
	}
	plain, aug := steps[0].(*TrainResult), steps[3].(*TrainResult)
	if plain.Model == aug.Model || !strings.HasSuffix(aug.Model, "synthetic_16-augment-random-p0.5.safetensors") {
		t.Fatalf("models %s and %s: want two files, the second named for its augmentation", plain.Model, aug.Model)
	}
	pa, aa := steps[1].(*AnalyzeResult), steps[4].(*AnalyzeResult)
	pr, ar := steps[2].(*ReportResult), steps[5].(*ReportResult)
	if pa.RunID == aa.RunID || pr.AnalyzeRun != pa.RunID || ar.AnalyzeRun != aa.RunID || pr.Index == ar.Index {
		t.Fatalf("analyze runs %s, %s; reports of %s (%s) and %s (%s)", pa.RunID, aa.RunID, pr.AnalyzeRun, pr.Index, ar.AnalyzeRun, ar.Index)
	}
}
