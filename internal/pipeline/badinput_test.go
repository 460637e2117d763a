package pipeline

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gradprint/gradprint/ingest"
	"github.com/gradprint/gradprint/warehouse"
)

// Each bad option is refused before any work: an error naming the flag,
// and no run row left behind.
func TestBadOptionsAreRefusedBeforeAnyWork(t *testing.T) {
	f := smallFixture(t)
	ctx := context.Background()
	type step func(Env) error
	train := func(change func(*TrainOptions)) step {
		return func(e Env) error {
			o := smallTrain(f.data, filepath.Join(e.Out, "m.safetensors"))
			change(&o)
			_, err := Train(ctx, e, o)
			return err
		}
	}
	analyze := func(change func(*AnalyzeOptions)) step {
		return func(e Env) error {
			o := smallAnalyze(f.data, f.model)
			change(&o)
			_, err := Analyze(ctx, e, o)
			return err
		}
	}
	report := func(change func(*ReportOptions)) step {
		return func(e Env) error {
			o := DefaultReportOptions()
			change(&o)
			_, err := Report(ctx, e, o)
			return err
		}
	}
	cases := []struct {
		name string
		run  step
		want string
	}{
		{"train --width 1e6", train(func(o *TrainOptions) { o.Width = 1e6 }), "--width"},
		{"train --width 0", train(func(o *TrainOptions) { o.Width = 0 }), "--width"},
		{"train --batch 1e9", train(func(o *TrainOptions) { o.Recipe.BatchSize = 1e9 }), "--batch"},
		{"train --batch 49 on 48 images", train(func(o *TrainOptions) { o.Recipe.BatchSize = 49 }), "at most the 48 training images"},
		{"train --epochs 0", train(func(o *TrainOptions) { o.Recipe.Epochs = 0 }), "--epochs"},
		{"train --lr -1", train(func(o *TrainOptions) { o.Recipe.LR = -1 }), "--lr"},
		{"train --milestones 1.5", train(func(o *TrainOptions) { o.Recipe.Milestones = []float64{1.5} }), "--milestones"},
		{"train --init kaiming", train(func(o *TrainOptions) { o.Init = "kaiming" }), "--init"},
		{"train --size 13 --data", train(func(o *TrainOptions) { o.Data.Size = 13 }), "holds 16 px images"},
		{"train --size 13 breastmnist", train(func(o *TrainOptions) { o.Data = DataSource{Dataset: "breastmnist", Size: 13} }), "--size 13"},
		{"analyze --splits ''", analyze(func(o *AnalyzeOptions) { o.Splits = nil }), "--splits"},
		{"analyze --splits test,test", analyze(func(o *AnalyzeOptions) { o.Splits = []ingest.Split{"test", "test"} }), "given twice"},
		{"analyze --splits tset", analyze(func(o *AnalyzeOptions) { o.Splits = []ingest.Split{"tset"} }), "--splits"},
		{"analyze --severities 1,1", analyze(func(o *AnalyzeOptions) { o.Severities = []int{1, 1} }), "given twice"},
		{"analyze --severities 9", analyze(func(o *AnalyzeOptions) { o.Severities = []int{9} }), "--severities 9"},
		{"analyze --corruptions contrast,contrast", analyze(func(o *AnalyzeOptions) { o.Corruptions = []string{"contrast", "contrast"} }), "given twice"},
		{"analyze --per-class -1", analyze(func(o *AnalyzeOptions) { o.PerClass = -1 }), "--per-class"},
		{"analyze --maps-per-class -1", analyze(func(o *AnalyzeOptions) { o.MapsPerClass = -1 }), "--maps-per-class"},
		{"analyze --chunk 0", analyze(func(o *AnalyzeOptions) { o.Chunk = 0 }), "--chunk"},
		{"analyze --target random", analyze(func(o *AnalyzeOptions) { o.Target = "random" }), "--target"},
		{"analyze --methods ''", analyze(func(o *AnalyzeOptions) { o.Methods = nil }), "--methods"},
		{"report --method foo", report(func(o *ReportOptions) { o.Method = "foo" }), "--method"},
		{"report --severity 0", report(func(o *ReportOptions) { o.Severity = 0 }), "--severity"},
		{"report --severity 9", report(func(o *ReportOptions) { o.Severity = 9 }), "--severity"},
		{"report --width 1000000", report(func(o *ReportOptions) { o.Width = 1000000 }), "--width"},
		{"report --width -1", report(func(o *ReportOptions) { o.Width = -1 }), "--width"},
		{"report --width 0", report(func(o *ReportOptions) { o.Width = 0 }), "--width"},
		{"failure --boot -1", func(e Env) error {
			o := DefaultFailureOptions()
			o.Boot = -1
			_, err := Failure(ctx, e, o)
			return err
		}, "--boot"},
		{"evaluate --splits ''", func(e Env) error {
			_, err := Evaluate(ctx, e, EvaluateOptions{Data: DataSource{File: f.data}, Model: f.model})
			return err
		}, "--splits"},
		{"flag --coverage 2", func(e Env) error {
			_, err := Flag(ctx, e, FlagOptions{Model: f.model, Images: f.data, Coverage: 2})
			return err
		}, "--coverage"},
		{"flag --coverage and --risk", func(e Env) error {
			_, err := Flag(ctx, e, FlagOptions{Model: f.model, Images: f.data, Coverage: 0.5, Risk: 0.1})
			return err
		}, "exactly one"},
	}
	for _, c := range cases {
		out := t.TempDir()
		err := c.run(testEnv(out, 3))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v, want an error naming %q", c.name, err, c.want)
			continue
		}
		if shards, _ := warehouse.NewCatalog(filepath.Join(out, "warehouse")).Shards(""); len(shards) != 0 {
			t.Errorf("%s: left %d run rows behind", c.name, len(shards))
		}
	}
}

// A complete train run does not claim a model that is not where it says.
func TestCompleteTrainRunNeedsItsModel(t *testing.T) {
	f := smallFixture(t)
	out := t.TempDir()
	e := testEnv(out, 3)
	model := filepath.Join(out, "m.safetensors")
	if _, err := Train(context.Background(), e, smallTrain(f.data, model)); err != nil {
		t.Fatal(err)
	}
	if res, err := Train(context.Background(), e, smallTrain(f.data, model)); err != nil || !res.Skipped {
		t.Fatalf("rerun with the model in place: %+v, %v", res, err)
	}
	for name, path := range map[string]string{"new path": filepath.Join(out, "elsewhere.safetensors"), "deleted": model} {
		if name == "deleted" {
			os.Remove(model)
		}
		_, err := Train(context.Background(), e, smallTrain(f.data, path))
		if err == nil || !strings.Contains(err.Error(), "is not at "+path) || !strings.Contains(err.Error(), "rm -r") {
			t.Errorf("%s: %v, want an error saying the model is not there and how to go on", name, err)
		}
	}
}

// A model trained on 16 px images refuses images of another size.
func TestAnalyzeRefusesImagesOfAnotherSize(t *testing.T) {
	f := smallFixture(t)
	dir := t.TempDir()
	other := filepath.Join(dir, "24px.npz")
	if err := ingest.WriteSynthetic(other, ingest.SynthConfig{Size: 24, Channels: 1, Classes: 2, Train: 4, Val: 4, Test: 4, Seed: 1}); err != nil {
		t.Fatal(err)
	}
	_, err := Analyze(context.Background(), testEnv(dir, 3), smallAnalyze(other, f.model))
	if err == nil || !strings.Contains(err.Error(), "trained on 16x16") {
		t.Fatalf("analyze of 24 px images with a 16 px model: %v", err)
	}
	_, err = Evaluate(context.Background(), testEnv(dir, 3), EvaluateOptions{Data: DataSource{File: other}, Model: f.model, Splits: []ingest.Split{ingest.Test}})
	if err == nil || !strings.Contains(err.Error(), "trained on 16x16") {
		t.Fatalf("evaluate of 24 px images with a 16 px model: %v", err)
	}
}

// A complete run with a file deleted, or with a file no marker names
// dropped in, never reads as complete: report and failure refuse it,
// queries hide it (or, for the stray file, ignore it), --verify fails.
func TestDamagedRunNeverReadsAsComplete(t *testing.T) {
	f := smallFixture(t)
	out := t.TempDir()
	ctx := context.Background()
	e := testEnv(out, 3)
	ar, err := Analyze(ctx, e, smallAnalyze(f.data, f.model))
	if err != nil {
		t.Fatal(err)
	}
	part := filepath.Join(out, "warehouse", "predictions", "dataset="+ar.Dataset, "run="+ar.RunID)
	count := func(o QueryOptions) (string, QueryInfo, error) {
		var b strings.Builder
		o.SQL, o.Format = "SELECT count(*) AS n FROM predictions", "csv"
		info, err := Query(ctx, e, o, &b)
		return b.String(), info, err
	}
	full, _, err := count(QueryOptions{})
	if err != nil || full != "n\n240\n" {
		t.Fatalf("intact run: %q, %v", full, err)
	}
	// A file of another table's columns dropped into the partition is
	// named by no marker: ignored.
	stray := filepath.Join(part, "part-00000-000099.parquet")
	src := filepath.Join(out, "warehouse", "metrics", "dataset="+ar.Dataset, "run="+ar.RunID)
	names, _ := os.ReadDir(src)
	b, _ := os.ReadFile(filepath.Join(src, names[0].Name()))
	if err := os.WriteFile(stray, b, 0o644); err != nil {
		t.Fatal(err)
	}
	if got, info, err := count(QueryOptions{}); err != nil || got != full || info.Ignored != 1 {
		t.Fatalf("with a stray file: %q %+v %v; want the same count and one file ignored", got, info, err)
	}
	if _, err := Report(ctx, e, DefaultReportOptions()); err != nil {
		t.Fatalf("report with a stray file (ignored): %v", err)
	}
	// A committed file deleted: the run is damaged.
	os.Remove(stray)
	files, _ := os.ReadDir(part)
	if err := os.Remove(filepath.Join(part, files[0].Name())); err != nil {
		t.Fatal(err)
	}
	if got, info, err := count(QueryOptions{}); err != nil || got != "n\n0\n" || len(info.Damaged) != 1 {
		t.Fatalf("damaged run: %q %+v %v; want it hidden and reported", got, info, err)
	}
	if _, _, err := count(QueryOptions{Verify: true}); err == nil || !strings.Contains(err.Error(), "damaged run") || !strings.Contains(err.Error(), files[0].Name()) {
		t.Fatalf("--verify on a damaged run: %v", err)
	}
	if _, err := Report(ctx, e, DefaultReportOptions()); err == nil || !strings.Contains(err.Error(), "missing") {
		t.Fatalf("report of a damaged run: %v", err)
	}
	fr, err := Fingerprint(ctx, e, smallFingerprint(f.data, f.model))
	if err != nil {
		t.Fatal(err)
	}
	fpart := filepath.Join(out, "warehouse", "fingerprints", "dataset="+fr.Dataset, "run="+fr.RunID)
	ffiles, _ := os.ReadDir(fpart)
	if err := os.Remove(filepath.Join(fpart, ffiles[len(ffiles)-1].Name())); err != nil {
		t.Fatal(err)
	}
	fo := DefaultFailureOptions()
	fo.Run = fr.RunID
	if _, err := Failure(ctx, e, fo); err == nil || !strings.Contains(err.Error(), "damaged run") {
		t.Fatalf("failure on a damaged fingerprint run: %v", err)
	}
}
