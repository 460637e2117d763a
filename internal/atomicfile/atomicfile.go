// Package atomicfile writes files so that readers see either nothing or the
// complete file: data goes to a temporary file in the same directory, is
// synced, and is renamed over the destination only on success.
package atomicfile

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// File is a pending write. Commit makes it visible; Abort discards it.
type File struct {
	*os.File
	dest string
	done bool
}

// Create opens a temporary file next to dest. The temporary name starts
// with "." and ends with ".tmp" so directory scanners can ignore it.
func Create(dest string) (*File, error) {
	dir := filepath.Dir(dest)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("create directory for %s: %w", dest, err)
	}
	f, err := os.CreateTemp(dir, "."+filepath.Base(dest)+".*.tmp")
	if err != nil {
		return nil, fmt.Errorf("create temporary file for %s: %w", dest, err)
	}
	return &File{File: f, dest: dest}, nil
}

// Temporaries lists the temporary files that Create made for dest and
// that were never committed or removed (a process killed mid-write leaves
// them), so a rewrite of dest can clean them up. It reads the directory
// rather than expanding a glob, so dest may contain any characters.
func Temporaries(dest string) []string {
	dir, base := filepath.Dir(dest), filepath.Base(dest)
	ents, err := os.ReadDir(dir)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	var out []string
	for _, e := range ents {
		if n := e.Name(); strings.HasPrefix(n, "."+base+".") && strings.HasSuffix(n, ".tmp") {
			out = append(out, filepath.Join(dir, n))
		}
	}
	return out
}

// Commit syncs, closes and renames the temporary file to its destination.
func (f *File) Commit() error {
	if f.done {
		return fmt.Errorf("commit %s: already finished", f.dest)
	}
	f.done = true
	if err := f.Sync(); err != nil {
		f.cleanup()
		return fmt.Errorf("sync %s: %w", f.Name(), err)
	}
	if err := f.Close(); err != nil {
		os.Remove(f.Name())
		return fmt.Errorf("close %s: %w", f.Name(), err)
	}
	if err := os.Rename(f.Name(), f.dest); err != nil {
		os.Remove(f.Name())
		return fmt.Errorf("rename %s to %s: %w", f.Name(), f.dest, err)
	}
	return nil
}

// Abort removes the temporary file. It is safe to call after Commit, so
// `defer f.Abort()` is the idiom.
func (f *File) Abort() {
	if f.done {
		return
	}
	f.done = true
	f.cleanup()
}

func (f *File) cleanup() {
	f.Close()
	os.Remove(f.Name())
}

// WriteFile writes data to dest atomically.
func WriteFile(dest string, data []byte) error {
	return Write(dest, func(w io.Writer) error {
		_, err := w.Write(data)
		return err
	})
}

// Write calls fill with a writer on a temporary file and commits it if fill
// succeeds; on error nothing appears at dest.
func Write(dest string, fill func(io.Writer) error) error {
	f, err := Create(dest)
	if err != nil {
		return err
	}
	defer f.Abort()
	if err := fill(f); err != nil {
		return fmt.Errorf("write %s: %w", dest, err)
	}
	return f.Commit()
}
