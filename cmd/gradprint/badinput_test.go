package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestBadInputsFailCleanly is the hostile-user campaign kept as a test:
// every command gets bad flags, files and combinations; each must exit
// non-zero with a one-line error that names the flag or file and what was
// wanted, print nothing on stdout, and never panic. docs/reliability.md
// lists the categories.
func TestBadInputsFailCleanly(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "out")
	data := filepath.Join(dir, "data.npz")
	model := filepath.Join(dir, "model.safetensors")
	gp(t, dir, "datasets", "synth", "--out", data, "--size", "16", "--classes", "2", "--train", "48", "--val", "24", "--test", "24")
	gp(t, out, "train", "--data", data, "--epochs", "1", "--width", "0.125", "--batch", "16", "--model", model)
	analyze := []string{"analyze", "--data", data, "--model", model, "--splits", "val,test", "--per-class", "0", "--corruptions", "contrast", "--severities", "1,4"}
	gp(t, out, analyze...)
	fingerprint := []string{"fingerprint", "--data", data, "--model", model, "--corruptions", "contrast,gaussian_noise", "--severities", "1,4", "--probes", "light"}
	gp(t, out, fingerprint...)
	gp(t, out, "failure", "--boot", "20")

	notNPZ := filepath.Join(dir, "not.npz")
	os.WriteFile(notNPZ, []byte("PK not really"), 0o644)
	pngDir := filepath.Join(dir, "pngs")
	os.MkdirAll(pngDir, 0o755)
	os.WriteFile(filepath.Join(pngDir, "bad.png"), []byte("\x89PNG\r\n\x1a\nnot a png"), 0o644)
	emptyDir := filepath.Join(dir, "empty")
	os.MkdirAll(emptyDir, 0o755)

	cases := []struct {
		args []string
		want string
	}{
		// flags out of range, checked before any work
		{[]string{"train", "--data", data, "--width", "1e6"}, "--width"},
		{[]string{"train", "--data", data, "--batch", "1000000000"}, "--batch"},
		{[]string{"train", "--data", data, "--epochs", "-3"}, "--epochs"},
		{[]string{"train", "--data", data, "--stem", "tiny"}, "--stem"},
		{[]string{"train", "--data", data, "--augment", "mixup"}, "--augment"},
		{[]string{"train", "--data", data, "--augment", "random", "--augment-p", "1.5"}, "--augment-p"},
		{[]string{"train", "--data", data, "--augment", "random", "--augment-p", "-0.1"}, "--augment-p"},
		{[]string{"train", "--data", data, "--augment-p", "0.5"}, "only with --augment random"},
		{[]string{"train", "--data", data, "--augment", "thesis", "--augment-p", "0.5"}, "only with --augment random"},
		{[]string{"train", "--data", data, "--batch", "16", "--augment", "thesis", "--preset", "medmnist-c"}, "medmnist-c"},
		{[]string{"train", "--data", data, "--batch", "16", "--augment", "thesis", "--corruptions", "fog"}, "fog"},
		{[]string{"train", "--data", data, "--augment", "thesis", "--severities", "0"}, "--severities"},
		{[]string{"train", "--data", data, "--size", "13"}, "holds 16 px images"},
		{[]string{"train", "--dataset", "breastmnist", "--size", "13"}, "--size 13"},
		{append(analyze[:len(analyze):len(analyze)], "--splits", ""), "--splits"},
		{append(analyze[:len(analyze):len(analyze)], "--severities", "1,1"), "given twice"},
		{append(analyze[:len(analyze):len(analyze)], "--severities", "0"), "--severities 0"},
		{append(analyze[:len(analyze):len(analyze)], "--corruptions", "contrast,contrast"), "given twice"},
		{append(analyze[:len(analyze):len(analyze)], "--corruptions", "fog"), "fog"},
		{append(analyze[:len(analyze):len(analyze)], "--splits", "test,test"), "given twice"},
		{append(analyze[:len(analyze):len(analyze)], "--per-class", "-1"), "--per-class"},
		{append(analyze[:len(analyze):len(analyze)], "--maps-per-class", "-1"), "--maps-per-class"},
		{append(analyze[:len(analyze):len(analyze)], "--shard", "2/2"), "--shard"},
		{append(analyze[:len(analyze):len(analyze)], "--layers", "layer9"), "--layers"},
		{append(analyze[:len(analyze):len(analyze)], "--methods", "occlusion"), "--methods"},
		{append(analyze[:len(analyze):len(analyze)], "--select", "some"), "--select"},
		{[]string{"evaluate", "--data", data, "--model", model, "--splits", ""}, "--splits"},
		{[]string{"failure", "--boot", "-1"}, "--boot"},
		{[]string{"failure", "--coverage", "1.5"}, "--coverage"},
		{[]string{"failure", "--risk", "0"}, "--risk"},
		{[]string{"failure", "--risk", "1.2"}, "--risk"},
		{[]string{"failure", "--delta", "0"}, "--delta"},
		{[]string{"failure", "--delta", "1"}, "--delta"},
		{[]string{"failure", "--run", "fingerprint-000000000000"}, "fingerprint-000000000000"},
		{append(fingerprint[:len(fingerprint):len(fingerprint)], "--probes", "heavy"), "--probes"},
		{append(fingerprint[:len(fingerprint):len(fingerprint)], "--limit", "-1"), "--limit"},
		{append(fingerprint[:len(fingerprint):len(fingerprint)], "--splits", "test"), "--splits"},
		{append(fingerprint[:len(fingerprint):len(fingerprint)], "--batch", "0"), "--batch"},
		{append(fingerprint[:len(fingerprint):len(fingerprint)], "--chunk", "100000"), "--chunk"},
		{append(fingerprint[:len(fingerprint):len(fingerprint)], "--corruptions", "fog"), "fog"},
		{append(fingerprint[:len(fingerprint):len(fingerprint)], "--method", "occlusion"), "--method"},
		{[]string{"fingerprint", "--data", data, "--model", notNPZ}, notNPZ},
		{[]string{"report", "--method", "foo"}, "--method"},
		{[]string{"report", "--severity", "0"}, "--severity"},
		{[]string{"report", "--severity", "9"}, "--severity"},
		{[]string{"report", "--width", "1000000"}, "--width"},
		{[]string{"report", "--width", "-1"}, "--width"},
		{[]string{"report", "--width", "0"}, "--width"},
		{[]string{"report", "--image-id", "99999999"}, "--image-id 99999999"},
		{[]string{"flag", "--model", model, "--images", data}, "exactly one of --coverage"},
		{[]string{"flag", "--model", model, "--images", data, "--risk", "1"}, "--risk"},
		{[]string{"flag", "--model", model, "--images", data, "--risk", "0.2", "--delta", "0"}, "--delta"},
		{[]string{"flag", "--model", model, "--images", data, "--coverage", "0.8", "--delta", "0.1"}, "--delta"},
		{[]string{"flag", "--model", model, "--images", data, "--coverage", "0.8", "--resize", "stretch"}, "--resize"},
		{[]string{"datasets", "synth", "--out", filepath.Join(dir, "big.npz"), "--train", "1000000000"}, "synthetic"},
		{[]string{"bench", "--batch", "1000000000"}, "--batch"},
		{[]string{"bench", "--sizes", "28,28"}, "twice"},
		{[]string{"query", "--sql", "SELECT * FROM read_csv('/etc/passwd')"}, "disabled by configuration"},
		{[]string{"query", "--sql", "COPY (SELECT 1) TO '" + filepath.Join(dir, "leak.csv") + "'"}, "disabled by configuration"},
		{[]string{"query", "nope"}, "unknown query"},
		{[]string{"query", "layer_profile", "--param", "severity=three"}, "integer"},
		{[]string{"--log-format", "xml", "datasets", "list"}, "--log-format"},
		{[]string{"--progress", "bars", "version"}, "--progress"},
		// bad files
		{[]string{"train", "--data", notNPZ}, notNPZ},
		{[]string{"train", "--data", filepath.Join(dir, "missing.npz")}, "missing.npz"},
		{[]string{"analyze", "--data", data, "--model", notNPZ}, notNPZ},
		{[]string{"flag", "--model", model, "--images", pngDir, "--coverage", "0.8"}, "bad.png"},
		{[]string{"flag", "--model", model, "--images", emptyDir, "--coverage", "0.8"}, "no .png"},
		{[]string{"datasets", "verify", notNPZ}, "invalid"},
		{[]string{"study", filepath.Join(dir, "missing.yaml")}, "missing.yaml"},
	}
	for _, c := range cases {
		cmd := gpCmd(out, c.args...)
		var stdout, stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		err := cmd.Run()
		name := strings.Join(c.args, " ")
		var exit *exec.ExitError
		switch {
		case err == nil:
			t.Errorf("gradprint %s: exit 0, want an error", name)
		case !errorsAs(err, &exit):
			t.Errorf("gradprint %s: %v", name, err)
		case strings.Contains(stderr.String(), "panic") || strings.Contains(stderr.String(), "goroutine "):
			t.Errorf("gradprint %s panicked:\n%s", name, stderr.String())
		case !strings.Contains(stderr.String(), "gradprint: ") || !strings.Contains(stderr.String(), c.want):
			t.Errorf("gradprint %s: stderr %q, want an error naming %q", name, stderr.String(), c.want)
		case c.args[0] != "datasets" && stdout.Len() > 0:
			t.Errorf("gradprint %s: printed %q on stdout", name, stdout.String())
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "leak.csv")); err == nil {
		t.Error("a query wrote outside the warehouse")
	}
}

func errorsAs(err error, target **exec.ExitError) bool {
	e, ok := err.(*exec.ExitError)
	if ok {
		*target = e
	}
	return ok
}
