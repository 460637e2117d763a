package profile

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestStartCPUWritesAProfile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "cpu.pprof")
	stop, err := StartCPU("--cpuprofile", path)
	if err != nil {
		t.Fatal(err)
	}
	x := 0.0
	for i := range 2_000_000 {
		x += float64(i) * 1e-9
	}
	_ = x
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	isProfile(t, path)
	if _, err := StartCPU("--cpuprofile", filepath.Join(t.TempDir(), "no", "such", "dir", "p")); err == nil || !strings.Contains(err.Error(), "--cpuprofile") {
		t.Fatalf("unwritable path: error %v, want one naming the flag", err)
	}
}

func TestWriteHeapWritesAProfile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "heap.pprof")
	if err := WriteHeap("--memprofile", path); err != nil {
		t.Fatal(err)
	}
	isProfile(t, path)
	if err := WriteHeap("--memprofile", filepath.Join(t.TempDir(), "no", "dir", "p")); err == nil || !strings.Contains(err.Error(), "--memprofile") {
		t.Fatalf("unwritable path: error %v, want one naming the flag", err)
	}
}

// isProfile fails unless path holds a pprof profile: gzip-compressed
// protocol buffers.
func isProfile(t *testing.T, path string) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(b) < 2 || b[0] != 0x1f || b[1] != 0x8b {
		t.Fatalf("%s: %d bytes, not gzip", path, len(b))
	}
}
