// Package shareddata locates the folders that sit beside the repository in
// ../shared (the real MedMNIST files in ../shared/medmnist, the PyTorch peers
// in ../shared/peers), each overridable by an environment variable, for
// tests, benchmarks and the bench command. They are never part of the
// repository.
package shareddata

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// medmnistEnv names the variable that overrides ../shared/medmnist.
const medmnistEnv = "GRADPRINT_SHARED_MEDMNIST"

// SiblingDir returns the shared folder called name: the value of the
// environment variable env when it is set and non-empty (it must then be a
// folder, else an error naming the variable), otherwise ../shared/<name>
// beside the module root, found by walking up from the working directory to
// the first folder holding go.mod. env "" disables the override. name must
// be a single path element. The error says where it looked and which
// variable would override it.
func SiblingDir(env, name string) (string, error) {
	if name == "" || name == "." || name == ".." || strings.ContainsAny(name, `/\`) {
		return "", fmt.Errorf("shared folder name %q: want a single folder name like \"peers\"", name)
	}
	hint := ""
	if env != "" {
		if d := os.Getenv(env); d != "" {
			st, err := os.Stat(d)
			if err != nil {
				return "", fmt.Errorf("%s=%s is not a folder: %w", env, d, err)
			}
			if !st.IsDir() {
				return "", fmt.Errorf("%s=%s is not a folder", env, d)
			}
			return d, nil
		}
		hint = " (set " + env + ")"
	}
	wd, err := os.Getwd()
	if err != nil {
		return "", fmt.Errorf("locating ../shared/%s: %w", name, err)
	}
	for d := wd; ; d = filepath.Dir(d) {
		if _, err := os.Stat(filepath.Join(d, "go.mod")); err == nil {
			p := filepath.Join(filepath.Dir(d), "shared", name)
			if st, err := os.Stat(p); err == nil && st.IsDir() {
				return p, nil
			}
			return "", fmt.Errorf("no shared %s folder at %s%s", name, p, hint)
		}
		if filepath.Dir(d) == d {
			return "", fmt.Errorf("no go.mod above %s to locate ../shared/%s%s", wd, name, hint)
		}
	}
}

// Dir returns the folder of the shared MedMNIST files
// (GRADPRINT_SHARED_MEDMNIST, else ../shared/medmnist), or an error saying
// where it looked.
func Dir() (string, error) {
	return SiblingDir(medmnistEnv, "medmnist")
}

// File returns the path of a shared file, or skips tb with a message naming
// what is missing, so a run without the shared folder says why it skipped.
func File(tb testing.TB, name string) string {
	tb.Helper()
	dir, err := Dir()
	if err != nil {
		tb.Skipf("real MedMNIST data unavailable (%v); skipping test that needs %s", err, name)
	}
	p := filepath.Join(dir, name)
	if _, err := os.Stat(p); err != nil {
		tb.Skipf("real MedMNIST file %s absent (%v); skipping", p, err)
	}
	return p
}
