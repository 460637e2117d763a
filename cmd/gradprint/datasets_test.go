package main

import (
	"bytes"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/spf13/cobra"

	"github.com/gradprint/gradprint/internal/progress"
)

// runDatasets runs "datasets ARGS..." under a root with the real global
// flags' names, capturing stdout.
func runDatasets(t *testing.T, args ...string) (string, error) {
	t.Helper()
	var out bytes.Buffer
	g := &globals{stdout: &out, stderr: io.Discard, report: progress.Stderr{Quiet: true}, log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	root := &cobra.Command{Use: "gradprint", SilenceUsage: true, SilenceErrors: true}
	pf := root.PersistentFlags()
	pf.StringVar(&g.dataDir, "data-dir", t.TempDir(), "")
	pf.StringVar(&g.out, "out", t.TempDir(), "")
	pf.Uint64Var(&g.seed, "seed", 1, "")
	root.AddCommand(newDatasetsCmd(g))
	root.SetArgs(append([]string{"datasets"}, args...))
	root.SetOut(io.Discard)
	err := root.Execute()
	return out.String(), err
}

func TestDatasetsList(t *testing.T) {
	out, err := runDatasets(t, "list")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"breastmnist", "dermamnist", "546/78/156", "28,64,128,224", "ordinal-regression"} {
		if !strings.Contains(out, want) {
			t.Errorf("list output lacks %q:\n%s", want, out)
		}
	}
	if n := strings.Count(out, "\n"); n != 13 {
		t.Errorf("%d lines, want header + 12 datasets", n)
	}
}

func TestDatasetsSynthThenVerify(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "s.npz")
	args := []string{"synth", "--out", p, "--classes", "3", "--channels", "3", "--size", "16", "--train", "12", "--val", "3", "--test", "6", "--seed", "9"}
	out, err := runDatasets(t, args...)
	if err != nil || strings.TrimSpace(out) != p {
		t.Fatalf("synth: %q %v", out, err)
	}
	b1, _ := os.ReadFile(p)
	if _, err := runDatasets(t, args...); err != nil {
		t.Fatal(err)
	}
	if b2, _ := os.ReadFile(p); !bytes.Equal(b1, b2) {
		t.Error("synth with the same --seed wrote different bytes")
	}
	out, err = runDatasets(t, "verify", p)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"not official", "train     12 images 16x16x3", "1 files: 0 official, 1 not official, 0 invalid"} {
		if !strings.Contains(out, want) {
			t.Errorf("verify output lacks %q:\n%s", want, out)
		}
	}
	// Folder form of --out, and verify over --data-dir with a broken file.
	if _, err := runDatasets(t, "synth", "--out", dir, "--train", "4", "--val", "2", "--test", "2"); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(dir, "broken.npz"), []byte("not a zip"), 0o644)
	out, err = runDatasets(t, "verify", "--data-dir", dir)
	if err == nil || !strings.Contains(err.Error(), "broken.npz") {
		t.Errorf("verify with a broken file: err %v", err)
	}
	if !strings.Contains(out, "3 files: 0 official, 2 not official, 1 invalid") || !strings.Contains(out, "broken.npz: INVALID") {
		t.Errorf("verify output:\n%s", out)
	}
}

func TestDatasetsSynthRejectsBadFlags(t *testing.T) {
	if _, err := runDatasets(t, "synth", "--out", filepath.Join(t.TempDir(), "x.npz"), "--classes", "9"); err == nil {
		t.Error("--classes 9 accepted")
	}
	if _, err := runDatasets(t, "fetch", "nosuchmnist"); err == nil || !strings.Contains(err.Error(), "unknown MedMNIST dataset") {
		t.Errorf("fetch unknown flag: %v", err)
	}
}

func TestDatasetsFetchBaseURL(t *testing.T) {
	// The server is not Zenodo, so the bytes cannot match the official MD5:
	// fetch must hit the injected URL, fail on the checksum and leave nothing.
	var path string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		path = r.URL.Path + "?" + r.URL.RawQuery
		w.Write([]byte("not the real file"))
	}))
	defer srv.Close()
	dir := t.TempDir()
	_, err := runDatasets(t, "fetch", "retinamnist", "--size", "64", "--base-url", srv.URL, "--data-dir", dir)
	if err == nil || !strings.Contains(err.Error(), "afda852cc34dcda56f86ad2b2457dbcc") {
		t.Fatalf("err = %v, want a checksum mismatch against retinamnist_64's md5", err)
	}
	if path != "/retinamnist_64.npz?download=1" {
		t.Errorf("requested %q", path)
	}
	if left, _ := os.ReadDir(dir); len(left) != 0 {
		t.Errorf("files left after a failed fetch: %v", left)
	}
}
