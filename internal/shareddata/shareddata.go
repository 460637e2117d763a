// Package shareddata locates the real MedMNIST files that sit beside the
// repository in ../shared/medmnist (or GRADPRINT_SHARED_MEDMNIST), for tests
// and benchmarks. They are never part of the repository.
package shareddata

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"
)

// Dir returns the folder of the shared MedMNIST files, or an error saying
// where it looked.
func Dir() (string, error) {
	if d := os.Getenv("GRADPRINT_SHARED_MEDMNIST"); d != "" {
		if st, err := os.Stat(d); err == nil && st.IsDir() {
			return d, nil
		}
		return "", fmt.Errorf("GRADPRINT_SHARED_MEDMNIST=%s is not a folder", d)
	}
	wd, err := os.Getwd()
	if err != nil {
		return "", err
	}
	// Walk up to the module root (the folder with go.mod), then ../shared.
	for d := wd; ; d = filepath.Dir(d) {
		if _, err := os.Stat(filepath.Join(d, "go.mod")); err == nil {
			p := filepath.Join(filepath.Dir(d), "shared", "medmnist")
			if st, err := os.Stat(p); err == nil && st.IsDir() {
				return p, nil
			}
			return "", fmt.Errorf("no shared MedMNIST folder at %s", p)
		}
		if filepath.Dir(d) == d {
			return "", fmt.Errorf("no go.mod above %s", wd)
		}
	}
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
