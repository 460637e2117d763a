package warehouse_test

import (
	"context"
	"database/sql"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/gradprint/gradprint/warehouse"
	"github.com/gradprint/gradprint/warehouse/fixture"
	"github.com/gradprint/gradprint/warehouse/rows"
)

var update = flag.Bool("update", false, "rewrite docs/schema.md from the Go table definitions")

func TestSchemaDocUpToDate(t *testing.T) {
	path := filepath.Join("..", "docs", "schema.md")
	want := warehouse.SchemaDoc()
	if *update {
		if err := os.WriteFile(path, []byte(want), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read %s: %v (regenerate with -update)", path, err)
	}
	if string(got) != want {
		t.Fatalf("%s is stale: regenerate with `go test -tags duckdb_arrow ./warehouse -run TestSchemaDocUpToDate -update`", path)
	}
	for _, tb := range rows.Tables() {
		if !strings.Contains(want, "\n## "+tb.Name+"\n") {
			t.Errorf("doc has no section for table %s", tb.Name)
		}
		for _, c := range warehouse.Columns(tb) {
			if c.Doc == "" {
				t.Errorf("%s.%s has no doc tag", tb.Name, c.Name)
			}
		}
	}
}

func openDB(t *testing.T, root string, opts warehouse.DBOptions) *warehouse.DB {
	t.Helper()
	db, err := warehouse.OpenDB(context.Background(), root, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func count(t *testing.T, db *warehouse.DB, q string, args ...any) int64 {
	t.Helper()
	var n int64
	if err := db.QueryRow(q, args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return n
}

func smallSpec(runID string) fixture.Spec {
	return fixture.Spec{Dataset: "breastmnist", RunID: runID, Seed: 7, Images: 60, PerChunk: 16,
		Methods: []string{"gradcampp", "gradcam"}, Training: 3, Flags: true, MapsPerCls: 2}
}

func TestWriteReadBackWithPlainDuckDB(t *testing.T) {
	root := t.TempDir()
	w, err := warehouse.Open(root)
	if err != nil {
		t.Fatal(err)
	}
	rs, err := fixture.Write(w, smallSpec("r1"))
	if err != nil {
		t.Fatal(err)
	}
	// 60 images x 26 variants; saliency: 60 x 25 x 8 layers x 2 methods.
	if len(rs.Predictions) != 60*26 || len(rs.Saliency) != 60*25*8*2 {
		t.Fatalf("fixture wrote %d predictions, %d saliency rows", len(rs.Predictions), len(rs.Saliency))
	}
	// Plain DuckDB, not our views: what a notebook user would type.
	raw, err := sql.Open("duckdb", "")
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	want := map[string]int{
		"runs": 1, "training": len(rs.Training), "predictions": len(rs.Predictions), "saliency": len(rs.Saliency),
		"metrics": len(rs.Metrics), "maps": len(rs.Maps), "flags": len(rs.Flags), "failure_metrics": len(rs.FailureMetrics),
		"scores": len(rs.Scores), "degradation_metrics": len(rs.Degradation), "guarantees": len(rs.Guarantees),
	}
	for table, n := range want {
		if n == 0 {
			t.Fatalf("fixture wrote no %s rows", table)
		}
		var got int
		q := fmt.Sprintf("SELECT count(*) FROM read_parquet('%s/%s/*/*/*.parquet', hive_partitioning = true)", root, table)
		if err := raw.QueryRow(q).Scan(&got); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		if got != n {
			t.Errorf("%s: %d rows read, %d written", table, got, n)
		}
	}
	var ds, run, typ string
	if err := raw.QueryRow(fmt.Sprintf(`SELECT dataset, run, typeof(scores) FROM read_parquet('%s/predictions/*/*/*.parquet', hive_partitioning = true) LIMIT 1`, root)).Scan(&ds, &run, &typ); err != nil {
		t.Fatal(err)
	}
	if ds != "breastmnist" || run != "r1" || typ != "FLOAT[]" {
		t.Errorf("dataset %q run %q typeof(scores) %q, want breastmnist r1 FLOAT[]", ds, run, typ)
	}
	// The same through the views, and values survive the round trip.
	db := openDB(t, root, warehouse.DBOptions{})
	var sum float64
	if err := db.QueryRow("SELECT sum(rmse) FROM saliency").Scan(&sum); err != nil {
		t.Fatal(err)
	}
	var wantSum float64
	for _, r := range rs.Saliency {
		wantSum += float64(r.RMSE)
	}
	if d := sum - wantSum; d > 1e-3*wantSum || d < -1e-3*wantSum {
		t.Errorf("sum(rmse) %v, written %v", sum, wantSum)
	}
	var mapLen, imgLen int
	if err := db.QueryRow("SELECT len(map), octet_length(image) FROM maps LIMIT 1").Scan(&mapLen, &imgLen); err != nil {
		t.Fatal(err)
	}
	if mapLen != 64 || imgLen != 64 {
		t.Errorf("map has %d values and image %d bytes, want 64 each", mapLen, imgLen)
	}
	var status string
	var finished sql.NullTime
	if err := db.QueryRow("SELECT status, finished_at FROM runs WHERE run_id = 'r1'").Scan(&status, &finished); err != nil {
		t.Fatal(err)
	}
	if status != "complete" || !finished.Valid {
		t.Errorf("runs row: status %q finished %v", status, finished)
	}
}

// TestViewTypesMatchSchema checks that the DuckDB types the docs and the
// empty views claim are the ones DuckDB reads from real files, and that an
// empty warehouse has views with the same columns.
func TestViewTypesMatchSchema(t *testing.T) {
	root := t.TempDir()
	w, _ := warehouse.Open(root)
	if _, err := fixture.Write(w, smallSpec("r1")); err != nil {
		t.Fatal(err)
	}
	full := openDB(t, root, warehouse.DBOptions{})
	empty := openDB(t, t.TempDir(), warehouse.DBOptions{})
	for _, tb := range rows.Tables() {
		var want []string
		for _, c := range warehouse.Columns(tb) {
			want = append(want, c.Name+" "+c.DuckDB)
		}
		for name, db := range map[string]*warehouse.DB{"written": full, "empty": empty} {
			got := describe(t, db, tb.Name)
			if strings.Join(got, ", ") != strings.Join(want, ", ") {
				t.Errorf("%s view %s:\n got  %v\n want %v", name, tb.Name, got, want)
			}
		}
		if n := count(t, empty, "SELECT count(*) FROM "+tb.Name); n != 0 {
			t.Errorf("empty %s has %d rows", tb.Name, n)
		}
	}
}

func describe(t *testing.T, db *warehouse.DB, table string) []string {
	t.Helper()
	rows, err := db.Query("SELECT column_name, column_type FROM (DESCRIBE " + table + ")")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var n, ty string
		if err := rows.Scan(&n, &ty); err != nil {
			t.Fatal(err)
		}
		out = append(out, n+" "+ty)
	}
	return out
}

// digest is an order-independent fingerprint of a whole table.
func digest(t *testing.T, db *warehouse.DB, table string) string {
	t.Helper()
	var n int64
	var h string
	q := fmt.Sprintf("SELECT count(*), coalesce(md5(string_agg(x::VARCHAR, '|' ORDER BY x::VARCHAR)), '') FROM (SELECT t AS x FROM %s t)", table)
	if table == "runs" {
		q = "SELECT count(*), string_agg(run_id || status || chunks_done, ',' ORDER BY run_id) FROM runs"
	}
	if err := db.QueryRow(q).Scan(&n, &h); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return fmt.Sprintf("%d rows %s", n, h)
}

func TestResumeAfterCrashMatchesUninterrupted(t *testing.T) {
	spec := smallSpec("r1")
	refRoot := t.TempDir()
	w, _ := warehouse.Open(refRoot)
	if _, err := fixture.Write(w, spec); err != nil {
		t.Fatal(err)
	}

	// Crash run: a child process writes the same run and kills itself with
	// SIGKILL while chunk 3's files are half written.
	root := t.TempDir()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), "GRADPRINT_CRASH_ROOT="+root)
	err := cmd.Run()
	var exitErr *exec.ExitError
	if !errors.As(err, &exitErr) || exitErr.Sys().(syscall.WaitStatus).Signal() != syscall.SIGKILL {
		t.Fatalf("helper should die of SIGKILL, got %v", err)
	}
	runDir := filepath.Join(root, "saliency", "dataset=breastmnist", "run=r1")
	tmps, _ := filepath.Glob(filepath.Join(runDir, ".*.tmp"))
	if len(tmps) == 0 {
		t.Fatal("crash left no temporary file; the test does not test what it should")
	}
	// Also simulate a death after chunk 2's files were renamed but before
	// its marker: remove the marker, keep the files.
	marker := filepath.Join(root, "runs", "dataset=breastmnist", "run=r1", "_chunks", "00000-000002.done")
	if err := os.Remove(marker); err != nil {
		t.Fatal(err)
	}
	w2, _ := warehouse.Open(root)
	{
		db := openDB(t, root, warehouse.DBOptions{})
		if n := count(t, db, "SELECT count(*) FROM saliency"); n != 0 {
			t.Fatalf("crashed (running) run visible: %d saliency rows", n)
		}
		db2 := openDB(t, root, warehouse.DBOptions{IncludeIncomplete: true})
		if n := count(t, db2, "SELECT count(*) FROM saliency"); n != 3*16*25*8*2 {
			t.Fatalf("include-incomplete sees %d saliency rows, want chunks 0..2", n)
		}
	}
	// Rerun: resumes, redoes chunks 2.. and finishes.
	run, resumed, err := w2.BeginOrResume(rows.RunMeta{RunID: "r1", Dataset: "breastmnist", ConfigJSON: `{"fixture":true,"images":60,"seed":7}`})
	if err != nil || !resumed {
		t.Fatalf("resume: resumed=%v err=%v", resumed, err)
	}
	if got := run.ChunksDone(); got != 2 {
		t.Fatalf("resumed run counts %d done chunks, want 2 (0 and 1)", got)
	}
	// While this handle holds the shard, a second writer is refused.
	if _, _, err := w2.BeginOrResume(rows.RunMeta{RunID: "r1", Dataset: "breastmnist"}); err == nil || !strings.Contains(err.Error(), "another writer") {
		t.Fatalf("second writer of the same shard: %v", err)
	}
	run.Close()
	if _, err := fixture.Write(w2, spec); err != nil {
		t.Fatal(err)
	}
	ref := openDB(t, refRoot, warehouse.DBOptions{})
	got := openDB(t, root, warehouse.DBOptions{})
	for _, tb := range rows.Tables() {
		if a, b := digest(t, ref, tb.Name), digest(t, got, tb.Name); a != b {
			t.Errorf("%s after resume: %s, uninterrupted: %s", tb.Name, b, a)
		}
	}
	// The leftover temporary file is still there (nobody deleted it for us)
	// or was cleaned by the chunk rewrite; either way it was never read.
	if n := count(t, got, "SELECT count(*) FROM (SELECT image_id, corruption, severity, layer, method FROM saliency GROUP BY ALL HAVING count(*) > 1)"); n != 0 {
		t.Errorf("%d duplicated saliency keys after resume", n)
	}
}

// crashSink kills the process in the middle of chunk 3, after some rows
// went to temporary files.
type crashSink struct{ *warehouse.Run }

func (s crashSink) Chunk(i int) (rows.Chunk, error) {
	c, err := s.Run.Chunk(i)
	if err != nil || i != 3 {
		return c, err
	}
	return crashChunk{c}, nil
}

type crashChunk struct{ rows.Chunk }

func (c crashChunk) Append(t rows.Table, rs any) error {
	if err := c.Chunk.Append(t, rs); err != nil || t.Name != rows.TableSaliency {
		return err
	}
	syscall.Kill(os.Getpid(), syscall.SIGKILL)
	select {}
}

// TestMain doubles as the crash helper: with GRADPRINT_CRASH_ROOT set, the
// test binary writes a run into that warehouse and dies by SIGKILL mid-way.
func TestMain(m *testing.M) {
	if root := os.Getenv("GRADPRINT_CRASH_ROOT"); root != "" {
		crashWriter(root)
		fmt.Fprintln(os.Stderr, "crash helper: should have been killed")
		os.Exit(3)
	}
	os.Exit(m.Run())
}

func crashWriter(root string) {
	w, err := warehouse.Open(root)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	spec := smallSpec("r1")
	run, err := w.BeginRun(rows.RunMeta{RunID: spec.RunID, Dataset: spec.Dataset, Kind: "analyze", Seed: spec.Seed,
		ConfigJSON: `{"fixture":true,"images":60,"seed":7}`})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	if err := fixture.Emit(crashSink{run}, spec, nil); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
}

func TestIncompleteRunsHidden(t *testing.T) {
	root := t.TempDir()
	w, _ := warehouse.Open(root)
	mk := func(id, status string, shard, shards int) {
		s := smallSpec(id)
		s.Images, s.Status, s.ShardIndex, s.ShardCount = 20, status, shard, shards
		if _, err := fixture.Write(w, s); err != nil {
			t.Fatal(err)
		}
	}
	mk("done", "", 0, 1)
	mk("running", "running", 0, 1)
	mk("failed", "failed", 0, 1)
	mk("half", "", 0, 2) // shard 1 of 2 never ran
	mk("sharded", "", 0, 2)
	mk("sharded", "", 1, 2)
	db := openDB(t, root, warehouse.DBOptions{})
	var runs string
	if err := db.QueryRow("SELECT string_agg(DISTINCT run_id, ',' ORDER BY run_id) FROM predictions").Scan(&runs); err != nil {
		t.Fatal(err)
	}
	if runs != "done,sharded" {
		t.Errorf("visible runs in predictions: %s, want done,sharded", runs)
	}
	if n := count(t, db, "SELECT count(DISTINCT run_id) FROM runs"); n != 2 {
		t.Errorf("runs view shows %d runs, want 2", n)
	}
	if n := count(t, db, "SELECT count(*) FROM all_runs"); n != 6 {
		t.Errorf("all_runs has %d rows, want 6 (one per run shard)", n)
	}
	if n := count(t, db, "SELECT count(*) FROM all_runs WHERE status = 'failed' AND error LIKE '%on purpose%'"); n != 1 {
		t.Errorf("failed run's error not recorded")
	}
	// The sharded run holds each image exactly once across its shards.
	if n := count(t, db, "SELECT count(*) FROM predictions WHERE run_id = 'sharded'"); n != 20*26 {
		t.Errorf("sharded run: %d prediction rows, want %d", n, 20*26)
	}
	all := openDB(t, root, warehouse.DBOptions{IncludeIncomplete: true})
	if n := count(t, all, "SELECT count(DISTINCT run_id) FROM predictions"); n != 5 {
		t.Errorf("include-incomplete shows %d runs, want 5", n)
	}
}

func TestShardsUnionEqualsUnsharded(t *testing.T) {
	one, three := t.TempDir(), t.TempDir()
	w1, _ := warehouse.Open(one)
	w3, _ := warehouse.Open(three)
	spec := smallSpec("r")
	if _, err := fixture.Write(w1, spec); err != nil {
		t.Fatal(err)
	}
	for s := 0; s < 3; s++ {
		sp := spec
		sp.ShardIndex, sp.ShardCount = s, 3
		if _, err := fixture.Write(w3, sp); err != nil {
			t.Fatal(err)
		}
	}
	a, b := openDB(t, one, warehouse.DBOptions{}), openDB(t, three, warehouse.DBOptions{})
	for _, tb := range rows.Tables() {
		if tb.Name == "runs" {
			continue
		}
		if x, y := digest(t, a, tb.Name), digest(t, b, tb.Name); x != y {
			t.Errorf("%s: unsharded %s, 3 shards %s", tb.Name, x, y)
		}
	}
}

func TestCorruptFileReportedWithPath(t *testing.T) {
	for _, mode := range []string{"truncate", "garble-footer", "garble-page"} {
		t.Run(mode, func(t *testing.T) {
			root := t.TempDir()
			w, _ := warehouse.Open(root)
			if _, err := fixture.Write(w, smallSpec("r1")); err != nil {
				t.Fatal(err)
			}
			path := filepath.Join(root, "saliency", "dataset=breastmnist", "run=r1", "part-00000-000001.parquet")
			st, err := os.Stat(path)
			if err != nil {
				t.Fatal(err)
			}
			switch mode {
			case "truncate":
				err = os.Truncate(path, st.Size()/2)
			case "garble-page":
				// Zero bytes inside column data: DuckDB does not check page
				// checksums, so only DBOptions.Verify can catch this.
				var f *os.File
				if f, err = os.OpenFile(path, os.O_WRONLY, 0); err == nil {
					_, err = f.WriteAt(make([]byte, 512), st.Size()/3)
					f.Close()
				}
			default:
				// Garble the footer's metadata, keeping the magic bytes and
				// the length, so the file still looks like Parquet.
				var f *os.File
				if f, err = os.OpenFile(path, os.O_WRONLY, 0); err == nil {
					junk := make([]byte, 64)
					for i := range junk {
						junk[i] = 0xff
					}
					_, err = f.WriteAt(junk, st.Size()-8-200)
					f.Close()
				}
			}
			if err != nil {
				t.Fatal(err)
			}
			db, err := warehouse.OpenDB(context.Background(), root, warehouse.DBOptions{Verify: mode == "garble-page"})
			if err == nil {
				defer db.Close()
				var s float64
				err = db.Explain(db.QueryRow("SELECT count(DISTINCT s) FROM saliency s").Scan(&s))
			}
			if err == nil {
				t.Fatalf("%s file read without error", mode)
			}
			if !strings.Contains(err.Error(), path) {
				t.Fatalf("error does not name %s: %v", path, err)
			}
		})
	}
}

func TestTmpFilesIgnored(t *testing.T) {
	root := t.TempDir()
	w, _ := warehouse.Open(root)
	if _, err := fixture.Write(w, smallSpec("r1")); err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(root, "saliency", "dataset=breastmnist", "run=r1")
	// A writer mid-write: garbage under a temporary name.
	if err := os.WriteFile(filepath.Join(dir, ".part-00000-000099.parquet.123.tmp"), []byte("not parquet"), 0o644); err != nil {
		t.Fatal(err)
	}
	db := openDB(t, root, warehouse.DBOptions{IncludeIncomplete: true})
	if n := count(t, db, "SELECT count(*) FROM saliency"); n != 60*25*8*2 {
		t.Errorf("saliency rows %d, want %d", n, 60*25*8*2)
	}
}

func TestChunkSemantics(t *testing.T) {
	root := t.TempDir()
	w, _ := warehouse.Open(root)
	run, err := w.BeginRun(rows.RunMeta{RunID: "r", Dataset: "d"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.BeginRun(rows.RunMeta{RunID: "r", Dataset: "d"}); err == nil {
		t.Error("second BeginRun of the same run succeeded")
	}
	if _, err := w.BeginRun(rows.RunMeta{RunID: "../x", Dataset: "d"}); err == nil {
		t.Error("run id with a path accepted")
	}
	c, err := run.OpenChunk(0)
	if err != nil {
		t.Fatal(err)
	}
	rs := []rows.Metric{{Metric: "auc", Value: 0.9, RunID: "someone-else"}}
	if err := rows.Write(c, rs...); err != nil {
		t.Fatal(err)
	}
	if rs[0].RunID != "r" {
		t.Errorf("RunID not stamped: %q", rs[0].RunID)
	}
	if done, _ := run.Done(0); done {
		t.Error("chunk done before Commit")
	}
	if err := c.Commit(); err != nil {
		t.Fatal(err)
	}
	if done, _ := run.Done(0); !done {
		t.Error("chunk not done after Commit")
	}
	if _, err := run.Chunk(0); !errors.Is(err, rows.ErrChunkDone) {
		t.Errorf("reopening a done chunk: %v, want ErrChunkDone", err)
	}
	if err := rows.Write(c, rs...); err == nil {
		t.Error("write after commit accepted")
	}
	// An aborted chunk leaves no file, temporary or not.
	c1, _ := run.OpenChunk(1)
	rows.Write(c1, rs...)
	c1.Abort()
	ents, _ := os.ReadDir(filepath.Join(root, "metrics", "dataset=d", "run=r"))
	if len(ents) != 1 || ents[0].Name() != "part-00000-000000.parquet" {
		var names []string
		for _, e := range ents {
			names = append(names, e.Name())
		}
		t.Errorf("metrics dir after abort: %v", names)
	}
	if err := run.Finish("done", nil); err == nil {
		t.Error("Finish accepted status \"done\"")
	}
	if err := run.Update(func(m *rows.RunMeta) { m.TimingsJSON = `{"analyze":1.5}` }); err != nil {
		t.Fatal(err)
	}
	if err := run.Finish(rows.StatusComplete, nil); err != nil {
		t.Fatal(err)
	}
	db := openDB(t, root, warehouse.DBOptions{})
	var timings string
	var chunks int
	if err := db.QueryRow("SELECT timings_json, chunks_done FROM runs").Scan(&timings, &chunks); err != nil {
		t.Fatal(err)
	}
	if timings != `{"analyze":1.5}` || chunks != 1 {
		t.Errorf("runs row timings %q chunks %d", timings, chunks)
	}
	// Resume with another configuration is refused.
	if _, err := w.ResumeRun(rows.RunMeta{RunID: "r", Dataset: "d", ConfigJSON: `{"other":1}`}); err == nil {
		t.Error("resume with a different configuration accepted")
	}
}

func TestMemSinkMatchesWarehouse(t *testing.T) {
	spec := smallSpec("r1")
	mem := rows.NewMemSink("r1")
	if err := fixture.Emit(mem, spec, nil); err != nil {
		t.Fatal(err)
	}
	// Emitting again skips every chunk: nothing is duplicated.
	if err := fixture.Emit(mem, spec, nil); err != nil {
		t.Fatal(err)
	}
	got := fixture.Rows{Predictions: rows.Collect[rows.Prediction](mem), Saliency: rows.Collect[rows.Saliency](mem),
		Metrics: rows.Collect[rows.Metric](mem), Maps: rows.Collect[rows.Map](mem)}
	root := t.TempDir()
	w, _ := warehouse.Open(root)
	if _, err := fixture.Write(w, spec); err != nil {
		t.Fatal(err)
	}
	db := openDB(t, root, warehouse.DBOptions{})
	for table, n := range map[string]int{"predictions": len(got.Predictions), "saliency": len(got.Saliency), "metrics": len(got.Metrics), "maps": len(got.Maps)} {
		if m := count(t, db, "SELECT count(*) FROM "+table); m != int64(n) {
			t.Errorf("%s: memory sink %d rows, warehouse %d", table, n, m)
		}
	}
	if got.Saliency[0].RunID != "r1" {
		t.Errorf("memory sink did not stamp run id")
	}
	c, _ := mem.Chunk(100)
	rows.Write(c, rows.Metric{})
	c.Abort()
	if done, _ := mem.Done(100); done {
		t.Error("aborted memory chunk counts as done")
	}
}

// TestReadWhileWriting reads a run while another goroutine commits its
// chunks: with --include-incomplete the reader sees whole chunks only, never
// part of a file; without it, nothing of the run until it is complete.
func TestReadWhileWriting(t *testing.T) {
	root := t.TempDir()
	w, _ := warehouse.Open(root)
	spec := smallSpec("live")
	spec.Images, spec.PerChunk, spec.Methods = 200, 10, []string{"gradcampp"}
	perChunk := int64(10 * 25 * 8)
	done := make(chan error, 1)
	go func() {
		_, err := fixture.Write(w, spec)
		done <- err
	}()
	seenPartial, reads := false, 0
	for finished := false; !finished; {
		select {
		case err := <-done:
			if err != nil {
				t.Fatal(err)
			}
			finished = true
		default:
		}
		inc := openDB(t, root, warehouse.DBOptions{IncludeIncomplete: true})
		n := count(t, inc, "SELECT count(*) FROM saliency")
		if n%perChunk != 0 {
			t.Fatalf("reader saw %d saliency rows: not a whole number of chunks", n)
		}
		if n > 0 && n < 200*25*8 {
			seenPartial = true
		}
		strict := openDB(t, root, warehouse.DBOptions{})
		if m := count(t, strict, "SELECT count(*) FROM saliency"); m != 0 && m != 200*25*8 {
			t.Fatalf("default reader saw %d rows of an unfinished run", m)
		}
		inc.Close()
		strict.Close()
		reads++
	}
	t.Logf("%d reads during the write; saw a partial run: %v", reads, seenPartial)
}
