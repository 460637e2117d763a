package warehouse_test

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gradprint/gradprint/warehouse"
	"github.com/gradprint/gradprint/warehouse/fixture"
	"github.com/gradprint/gradprint/warehouse/rows"
)

func writeRun(t *testing.T, w *warehouse.Warehouse, spec fixture.Spec) {
	t.Helper()
	if spec.Images == 0 {
		spec.Images, spec.PerChunk, spec.Seed = 6, 3, 1
	}
	if _, err := fixture.Write(w, spec); err != nil {
		t.Fatal(err)
	}
}

// A root named like a glob pattern lists only its own runs, not a
// sibling's that the pattern would match.
func TestCatalogListsOnlyItsOwnFolder(t *testing.T) {
	base := t.TempDir()
	mine, _ := warehouse.Open(filepath.Join(base, "w[1]*"))
	sibling, _ := warehouse.Open(filepath.Join(base, "w1"))
	writeRun(t, mine, fixture.Spec{Dataset: "breastmnist", RunID: "a"})
	writeRun(t, sibling, fixture.Spec{Dataset: "breastmnist", RunID: "b"})
	runs, err := mine.Complete("")
	if err != nil {
		t.Fatal(err)
	}
	if len(runs) != 1 || runs[0].RunID != "a" || runs[0].Dataset != "breastmnist" {
		t.Fatalf("complete runs %+v, want only run a", runs)
	}
	preds, err := warehouse.Read[rows.Prediction](mine.Catalog, warehouse.RunRef{Dataset: "breastmnist", RunID: "a"})
	if err != nil || len(preds) != 6*26 {
		t.Fatalf("read %d predictions, %v; want 156", len(preds), err)
	}
}

// A run is complete only when every shard is; the row of shard 0 stands
// for it, newest first.
func TestCatalogCompleteNeedsEveryShard(t *testing.T) {
	w, _ := warehouse.Open(t.TempDir())
	writeRun(t, w, fixture.Spec{Dataset: "d", RunID: "sharded", ShardIndex: 0, ShardCount: 2})
	if runs, _ := w.Complete(""); len(runs) != 0 {
		t.Fatalf("a run with shard 1 missing is complete: %+v", runs)
	}
	writeRun(t, w, fixture.Spec{Dataset: "d", RunID: "sharded", ShardIndex: 1, ShardCount: 2, Status: rows.StatusRunning})
	if runs, _ := w.Complete(""); len(runs) != 0 {
		t.Fatalf("a run with shard 1 running is complete: %+v", runs)
	}
	writeRun(t, w, fixture.Spec{Dataset: "d", RunID: "sharded", ShardIndex: 1, ShardCount: 2})
	time.Sleep(2 * time.Millisecond)
	writeRun(t, w, fixture.Spec{Dataset: "e", RunID: "later"})
	runs, err := w.Complete("")
	if err != nil || len(runs) != 2 || runs[0].RunID != "later" || runs[1].RunID != "sharded" || runs[1].ShardIndex != 0 {
		t.Fatalf("complete runs %+v, %v; want later then sharded (shard 0)", runs, err)
	}
	if runs, _ := w.Complete("d"); len(runs) != 1 || runs[0].RunID != "sharded" {
		t.Fatalf("dataset d: %+v", runs)
	}
}

func TestCatalogFindsRunsAndParents(t *testing.T) {
	w, _ := warehouse.Open(t.TempDir())
	writeRun(t, w, fixture.Spec{Dataset: "d", RunID: "an"})
	child := rows.RunMeta{RunID: "fl", Dataset: "d", Kind: "failure", ParentRunID: "an"}
	run, err := w.BeginRun(child)
	if err != nil {
		t.Fatal(err)
	}
	if err := run.Finish(rows.StatusComplete, nil); err != nil {
		t.Fatal(err)
	}
	got, err := w.Latest(warehouse.RunQuery{Kind: "failure", Parent: "an"})
	if err != nil || got.RunID != "fl" {
		t.Fatalf("failure run of an: %+v, %v", got, err)
	}
	parent, err := w.Parent(got)
	if err != nil || parent.RunID != "an" || parent.Kind != "analyze" {
		t.Fatalf("parent of fl: %+v, %v", parent, err)
	}
	if _, err := w.Parent(parent); !errors.Is(err, warehouse.ErrNoRun) {
		t.Fatalf("parent of a run without one: %v", err)
	}
	if _, err := w.Latest(warehouse.RunQuery{Kind: "train"}); !errors.Is(err, warehouse.ErrNoRun) || !strings.Contains(err.Error(), "kind train") {
		t.Fatalf("no train run: %v", err)
	}
	if r, err := w.Run("fl"); err != nil || r.Dataset != "d" {
		t.Fatalf("Run(fl) = %+v, %v", r, err)
	}
	if _, err := w.Run("nope"); err == nil || !strings.Contains(err.Error(), "runs") {
		t.Fatalf("Run(nope): %v", err)
	}
}

func TestWaitForShardsStopsOnFailureOrCancel(t *testing.T) {
	w, _ := warehouse.Open(t.TempDir())
	ref := warehouse.RunRef{Dataset: "d", RunID: "s"}
	writeRun(t, w, fixture.Spec{Dataset: "d", RunID: "s", ShardIndex: 1, ShardCount: 3})
	writeRun(t, w, fixture.Spec{Dataset: "d", RunID: "s", ShardIndex: 2, ShardCount: 3, Status: rows.StatusFailed})
	err := w.WaitForShards(context.Background(), ref, 3, time.Millisecond)
	if err == nil || !strings.Contains(err.Error(), "shard 2") || !strings.Contains(err.Error(), "failed on purpose") {
		t.Fatalf("failed shard: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	if err := w.WaitForShards(ctx, warehouse.RunRef{Dataset: "d", RunID: "other"}, 2, time.Millisecond); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("a shard that never starts, with a deadline: %v", err)
	}
	if err := w.WaitForShards(context.Background(), ref, 2, time.Millisecond); err != nil {
		t.Fatalf("shard 1 is complete: %v", err)
	}
}

// DuckDB expands glob characters in file names; the views must read the
// warehouse under a folder named like a pattern, and only it.
func TestViewsOverAFolderNamedLikeAGlob(t *testing.T) {
	base := t.TempDir()
	for _, name := range []string{"wb[1]", "wx*", "q?"} {
		mine, _ := warehouse.Open(filepath.Join(base, name))
		writeRun(t, mine, fixture.Spec{Dataset: "d", RunID: "a"})
	}
	for _, name := range []string{"wb1", "wxy", "qz"} {
		sibling, _ := warehouse.Open(filepath.Join(base, name))
		writeRun(t, sibling, fixture.Spec{Dataset: "d", RunID: "b"})
	}
	for _, name := range []string{"wb[1]", "wx*", "q?"} {
		db := openDB(t, filepath.Join(base, name), warehouse.DBOptions{})
		if n := count(t, db, "SELECT count(*) FROM predictions"); n != 6*26 {
			t.Errorf("%s: %d prediction rows, want 156 (its own run only)", name, n)
		}
	}
}

// A run begun as 2 shards refuses a shard of 1 (it would rewrite the other
// shard's chunks), saying how to go on.
func TestChangedShardCountIsRefused(t *testing.T) {
	w, _ := warehouse.Open(t.TempDir())
	writeRun(t, w, fixture.Spec{Dataset: "d", RunID: "r", ShardIndex: 1, ShardCount: 2})
	_, _, err := w.BeginOrResume(rows.RunMeta{RunID: "r", Dataset: "d", ShardIndex: 0, ShardCount: 1})
	if err == nil || !strings.Contains(err.Error(), "started as 2 shards") || !strings.Contains(err.Error(), "--shard i/2") {
		t.Fatalf("unsharded rerun of a 2-shard run: %v", err)
	}
	if run, _, err := w.BeginOrResume(rows.RunMeta{RunID: "r", Dataset: "d", ShardIndex: 0, ShardCount: 2}); err != nil {
		t.Fatalf("shard 0 of 2: %v", err)
	} else {
		run.Close()
	}
}
