package atomicfile

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"
)

func TestWriteCommits(t *testing.T) {
	dest := filepath.Join(t.TempDir(), "sub", "out.bin")
	if err := WriteFile(dest, []byte("hello")); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(dest)
	if err != nil || string(b) != "hello" {
		t.Fatalf("read back %q, %v", b, err)
	}
	assertOnly(t, filepath.Dir(dest), "out.bin")
}

func TestFailedWriteLeavesNothing(t *testing.T) {
	dir := t.TempDir()
	dest := filepath.Join(dir, "out.bin")
	boom := errors.New("boom")
	err := Write(dest, func(w io.Writer) error {
		w.Write([]byte("partial"))
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("err = %v, want boom", err)
	}
	assertOnly(t, dir)
}

func TestFailedWriteKeepsOldFile(t *testing.T) {
	dir := t.TempDir()
	dest := filepath.Join(dir, "out.bin")
	if err := WriteFile(dest, []byte("old")); err != nil {
		t.Fatal(err)
	}
	_ = Write(dest, func(w io.Writer) error { return errors.New("fail") })
	b, _ := os.ReadFile(dest)
	if string(b) != "old" {
		t.Fatalf("old file replaced by %q", b)
	}
}

func assertOnly(t *testing.T, dir string, names ...string) {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(ents) != len(names) {
		var got []string
		for _, e := range ents {
			got = append(got, e.Name())
		}
		t.Fatalf("dir has %v, want %v", got, names)
	}
	for i, e := range ents {
		if e.Name() != names[i] {
			t.Fatalf("dir entry %q, want %q", e.Name(), names[i])
		}
	}
}

func TestTemporariesFindsUncommittedFiles(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "w[1]*")
	dest := filepath.Join(dir, "part-1.parquet")
	f, err := Create(dest)
	if err != nil {
		t.Fatal(err)
	}
	other, err := Create(filepath.Join(dir, "part-10.parquet"))
	if err != nil {
		t.Fatal(err)
	}
	defer other.Abort()
	got := Temporaries(dest)
	if len(got) != 1 || got[0] != f.Name() {
		t.Fatalf("Temporaries = %v, want [%s]", got, f.Name())
	}
	f.Abort()
	if got := Temporaries(dest); len(got) != 0 {
		t.Fatalf("after Abort: %v", got)
	}
	if got := Temporaries(filepath.Join(t.TempDir(), "missing", "x")); got != nil {
		t.Fatalf("missing folder: %v", got)
	}
}
