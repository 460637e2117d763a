package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestMain lets the test binary act as the gradprint command, so the
// pipeline test runs real processes (and can kill -9 one) without a
// separate build step.
func TestMain(m *testing.M) {
	if os.Getenv("GRADPRINT_TEST_AS_MAIN") == "1" {
		main()
		os.Exit(0)
	}
	os.Exit(m.Run())
}

func gpCmd(out string, args ...string) *exec.Cmd {
	cmd := exec.Command(os.Args[0], append([]string{"--out", out, "--quiet", "--seed", "3"}, args...)...)
	cmd.Env = append(os.Environ(), "GRADPRINT_TEST_AS_MAIN=1")
	return cmd
}

func gp(t *testing.T, out string, args ...string) string {
	t.Helper()
	cmd := gpCmd(out, args...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("gradprint %s: %v\nstderr: %s", strings.Join(args, " "), err, stderr.String())
	}
	return stdout.String()
}

// TestPipelineResumesAfterKill runs train -> analyze -> failure -> report
// -> query on a small synthetic set, and checks that an analyze killed with
// SIGKILL and rerun leaves tables identical to an uninterrupted run.
func TestPipelineResumesAfterKill(t *testing.T) {
	if testing.Short() {
		t.Skip("pipeline test skipped in -short mode (it trains a model)")
	}
	dir := t.TempDir()
	data := filepath.Join(dir, "data.npz")
	model := filepath.Join(dir, "model.safetensors")
	a, b := filepath.Join(dir, "a"), filepath.Join(dir, "b")
	gp(t, dir, "datasets", "synth", "--out", data, "--size", "16", "--classes", "3", "--train", "96", "--val", "30", "--test", "36")
	gp(t, a, "train", "--data", data, "--epochs", "2", "--width", "0.125", "--batch", "32", "--model", model)
	analyze := []string{"analyze", "--data", data, "--model", model, "--splits", "val,test", "--per-class", "0", "--chunk", "2", "--batch", "26"}
	gp(t, a, analyze...)

	// Interrupted run: kill -9 as soon as the first chunk is committed.
	cmd := gpCmd(b, analyze...)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(60 * time.Second)
	for {
		m, _ := filepath.Glob(filepath.Join(b, "warehouse", "runs", "*", "run=analyze-*", "_chunks", "*.done"))
		if len(m) > 0 || time.Now().After(deadline) {
			break
		}
		time.Sleep(2 * time.Millisecond)
	}
	cmd.Process.Signal(syscall.SIGKILL)
	cmd.Wait()
	done, _ := filepath.Glob(filepath.Join(b, "warehouse", "runs", "*", "run=analyze-*", "_chunks", "*.done"))
	if len(done) == 0 || len(done) >= 33 { // 33 chunks: 15 val + 18 test
		t.Fatalf("kill landed after %d of 33 chunks: want a strict part", len(done))
	}
	if q := gp(t, b, "query", "--sql", "SELECT count(*) AS n FROM predictions", "--format", "csv"); !strings.Contains(q, "\n0\n") {
		t.Fatalf("an unfinished run is visible to queries: %q", q)
	}
	gp(t, b, analyze...)

	for _, sql := range []string{
		"SELECT * EXCLUDE (run_id) FROM predictions ORDER BY split, image_id, corruption, severity",
		"SELECT * EXCLUDE (run_id) FROM saliency ORDER BY split, image_id, corruption, severity, layer, method",
		"SELECT * EXCLUDE (run_id) FROM metrics ORDER BY ALL",
		"SELECT count(*) FROM maps",
	} {
		x := gp(t, a, "query", "--sql", sql, "--format", "csv")
		y := gp(t, b, "query", "--sql", sql, "--format", "csv")
		if x != y {
			t.Fatalf("resumed run differs from uninterrupted run for %q", sql)
		}
		if strings.Count(x, "\n") < 2 {
			t.Fatalf("%q returned no rows", sql)
		}
	}
	// Three shards as separate processes (the last one configured the
	// Kubernetes Indexed Job way) equal the unsharded run row for row.
	c := filepath.Join(dir, "c")
	var shards []*exec.Cmd
	for i := 0; i < 3; i++ {
		var cmd *exec.Cmd
		if i < 2 {
			cmd = gpCmd(c, append(analyze, "--shard", strconv.Itoa(i)+"/3")...)
		} else {
			cmd = gpCmd(c, analyze...)
			cmd.Env = append(cmd.Env, "JOB_COMPLETION_INDEX=2", "JOB_COMPLETIONS=3")
		}
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		shards = append(shards, cmd)
		t.Cleanup(func() {
			if t.Failed() {
				t.Logf("shard %d stderr: %s", i, stderr.String())
			}
		})
	}
	for i, cmd := range shards {
		if err := cmd.Wait(); err != nil {
			t.Fatalf("shard %d: %v", i, err)
		}
	}
	for _, sql := range []string{
		"SELECT * EXCLUDE (run_id) FROM predictions ORDER BY split, image_id, corruption, severity",
		"SELECT * EXCLUDE (run_id) FROM saliency ORDER BY split, image_id, corruption, severity, layer, method",
		"SELECT * EXCLUDE (run_id) FROM metrics ORDER BY ALL",
	} {
		if x, y := gp(t, a, "query", "--sql", sql, "--format", "csv"), gp(t, c, "query", "--sql", sql, "--format", "csv"); x != y {
			t.Fatalf("3 shards differ from the unsharded run for %q", sql)
		}
	}
	parts, _ := filepath.Glob(filepath.Join(c, "warehouse", "predictions", "*", "*", "part-00002-*.parquet"))
	if len(parts) == 0 {
		t.Fatal("shard 2 (from JOB_COMPLETION_INDEX) wrote no files of its own")
	}

	n := gp(t, a, "query", "--sql", "SELECT count(*) AS n FROM predictions", "--format", "csv")
	if !strings.Contains(n, "\n1716\n") { // 66 images x 26 variants
		t.Fatalf("prediction rows %q, want 1716", n)
	}

	out := gp(t, a, "failure", "--boot", "50")
	for _, s := range []string{"msp", "entropy", "energy", "flips", "detector", "detector_msp"} {
		if !strings.Contains(out, s) {
			t.Fatalf("failure table lacks %s:\n%s", s, out)
		}
	}
	flagged := gp(t, a, "flag", "--model", model, "--images", data, "--coverage", "0.8")
	if got := strings.Count(flagged, "data.npz["); got != 36 {
		t.Fatalf("flag printed %d image rows, want the 36 test images:\n%s", got, flagged)
	}
	if q := gp(t, a, "query", "--sql", "SELECT count(*) AS n FROM flags WHERE split = 'input' AND label = -1", "--format", "csv"); !strings.Contains(q, "\n36\n") {
		t.Fatalf("flag rows in the warehouse: %q, want 36", q)
	}
	gp(t, a, "report")
	if _, err := os.Stat(filepath.Join(a, "report", "index.html")); err != nil {
		t.Fatal(err)
	}
	pngs, _ := filepath.Glob(filepath.Join(a, "report", "*.png"))
	if len(pngs) < 20 {
		t.Fatalf("report has %d figures, want at least 20", len(pngs))
	}
}
