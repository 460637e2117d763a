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

// TestPipelineResumesAfterKill runs train -> analyze -> fingerprint ->
// failure -> flag -> report -> query on a small synthetic set, and checks
// that an analyze or fingerprint killed with SIGKILL and rerun, or run as
// three shards, leaves tables identical to an uninterrupted run.
func TestPipelineResumesAfterKill(t *testing.T) {
	if testing.Short() {
		t.Skip("pipeline test skipped in -short mode (it trains a model)")
	}
	dir := t.TempDir()
	data := filepath.Join(dir, "data.npz")
	model := filepath.Join(dir, "model.safetensors")
	a, b, c := filepath.Join(dir, "a"), filepath.Join(dir, "b"), filepath.Join(dir, "c")
	gp(t, dir, "datasets", "synth", "--out", data, "--size", "16", "--classes", "3", "--train", "96", "--val", "30", "--test", "36")
	gp(t, a, "train", "--data", data, "--epochs", "2", "--width", "0.125", "--batch", "32", "--model", model)
	analyze := []string{"analyze", "--data", data, "--model", model, "--splits", "val,test", "--per-class", "0", "--chunk", "2", "--batch", "26"}
	gp(t, a, analyze...)
	killAndResume(t, b, "analyze", 33, analyze) // 33 chunks: 15 val + 18 test
	if q := gp(t, b, "query", "--sql", "SELECT count(*) AS n FROM predictions", "--format", "csv"); !strings.Contains(q, "\n1716\n") {
		t.Fatalf("resumed analyze has prediction rows %q, want 1716", q) // 66 images x 26 variants
	}
	analyzeTables := []string{
		"SELECT * EXCLUDE (run_id) FROM predictions ORDER BY split, image_id, corruption, severity",
		"SELECT * EXCLUDE (run_id) FROM saliency ORDER BY split, image_id, corruption, severity, layer, method",
		"SELECT * EXCLUDE (run_id) FROM metrics ORDER BY ALL",
		"SELECT count(*) FROM maps",
	}
	sameTables(t, "resumed analyze", a, b, analyzeTables)
	runShards(t, c, analyze)
	sameTables(t, "3 analyze shards", a, c, analyzeTables[:3])
	parts, _ := filepath.Glob(filepath.Join(c, "warehouse", "predictions", "*", "*", "part-00002-*.parquet"))
	if len(parts) == 0 {
		t.Fatal("shard 2 (from JOB_COMPLETION_INDEX) wrote no files of its own")
	}

	fingerprint := []string{"fingerprint", "--data", data, "--model", model, "--corruptions", "gaussian_noise,contrast", "--severities", "1,4", "--chunk", "3"}
	gp(t, a, fingerprint...)
	killAndResume(t, b, "fingerprint", 32+10+12, fingerprint) // train 96, val 30, test 36 images, 3 per chunk
	fpTables := []string{
		"SELECT * EXCLUDE (run_id) FROM fingerprints ORDER BY split, image_id, corruption, severity",
		"SELECT * EXCLUDE (run_id) FROM embeddings ORDER BY split, image_id, corruption, severity",
	}
	sameTables(t, "resumed fingerprint", a, b, fpTables)
	runShards(t, c, fingerprint)
	sameTables(t, "3 fingerprint shards", a, c, fpTables)
	if q := gp(t, a, "query", "--sql", "SELECT count(*) AS n FROM fingerprints", "--format", "csv"); !strings.Contains(q, "\n426\n") {
		t.Fatalf("fingerprint rows %q, want 426 (96 train + 66 x 5 variants)", q)
	}
	failureFlagReport(t, a, data, model)
}

// failureFlagReport runs the failure study, flag and report on a's
// fingerprint run and checks what each leaves behind.
func failureFlagReport(t *testing.T, a, data, model string) {
	out := gp(t, a, "failure", "--boot", "50")
	for _, s := range []string{"msp", "entropy", "energy", "flips", "fp_distance", "detector", "detector_msp", "sirc", "mahalanobis", "knn",
		"deployment mix, 50% degraded", "degraded-input detection", "flag deploys"} {
		if !strings.Contains(out, s) {
			t.Fatalf("failure output lacks %s:\n%s", s, out)
		}
	}
	flagged := gp(t, a, "flag", "--model", model, "--images", data, "--coverage", "0.8")
	if got := strings.Count(flagged, "data.npz["); got != 36 {
		t.Fatalf("flag printed %d image rows, want the 36 test images:\n%s", got, flagged)
	}
	if q := gp(t, a, "query", "--sql", "SELECT count(*) AS n FROM flags WHERE split = 'input' AND label = -1", "--format", "csv"); !strings.Contains(q, "\n36\n") {
		t.Fatalf("flag rows in the warehouse: %q, want 36", q)
	}
	for _, q := range []string{"failure_by_severity", "silent_failures", "risk_guarantee", "degraded_input_detection"} {
		if got := gp(t, a, "query", q, "--format", "csv"); strings.Count(got, "\n") < 2 {
			t.Fatalf("query %s has no rows on the study:\n%s", q, got)
		}
	}
	gp(t, a, "report")
	if _, err := os.Stat(filepath.Join(a, "report", "index.html")); err != nil {
		t.Fatal(err)
	}
	pngs, _ := filepath.Glob(filepath.Join(a, "report", "*.png"))
	if len(pngs) < 23 {
		t.Fatalf("report has %d figures, want at least 23 (with the failure study's three)", len(pngs))
	}
}

// killAndResume starts step in out, kills it with SIGKILL as soon as its
// first chunk is committed (checking the kill left a strict part of its
// chunks and nothing visible to queries), and reruns it to completion.
func killAndResume(t *testing.T, out, kind string, chunks int, args []string) {
	t.Helper()
	cmd := gpCmd(out, args...)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	pattern := filepath.Join(out, "warehouse", "runs", "*", "run="+kind+"-*", "_chunks", "*.done")
	deadline := time.Now().Add(60 * time.Second)
	for {
		m, _ := filepath.Glob(pattern)
		if len(m) > 0 || time.Now().After(deadline) {
			break
		}
		time.Sleep(2 * time.Millisecond)
	}
	cmd.Process.Signal(syscall.SIGKILL)
	cmd.Wait()
	done, _ := filepath.Glob(pattern)
	if len(done) == 0 || len(done) >= chunks {
		t.Fatalf("%s: kill landed after %d of %d chunks: want a strict part", kind, len(done), chunks)
	}
	q := gp(t, out, "query", "--sql", "SELECT count(*) AS n FROM runs WHERE kind = '"+kind+"'", "--format", "csv")
	if !strings.Contains(q, "\n0\n") {
		t.Fatalf("%s: the killed run reads as complete: %q", kind, q)
	}
	gp(t, out, args...)
}

// runShards runs step as three shard processes into out, the last one
// configured the Kubernetes Indexed Job way.
func runShards(t *testing.T, out string, args []string) {
	t.Helper()
	var shards []*exec.Cmd
	for i := 0; i < 3; i++ {
		var cmd *exec.Cmd
		if i < 2 {
			cmd = gpCmd(out, append(args[:len(args):len(args)], "--shard", strconv.Itoa(i)+"/3")...)
		} else {
			cmd = gpCmd(out, args...)
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
}

// sameTables asks both output folders the same queries and wants the same
// non-empty answers.
func sameTables(t *testing.T, what, x, y string, sqls []string) {
	t.Helper()
	for _, sql := range sqls {
		a, b := gp(t, x, "query", "--sql", sql, "--format", "csv"), gp(t, y, "query", "--sql", sql, "--format", "csv")
		if a != b {
			t.Fatalf("%s differs from the uninterrupted run for %q", what, sql)
		}
		if strings.Count(a, "\n") < 2 {
			t.Fatalf("%q returned no rows", sql)
		}
	}
}
