//go:build unix

package warehouse

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
)

// lockShard takes an exclusive, non-blocking flock on the shard's lock file,
// so that two processes cannot write (and delete each other's unfinished
// chunk files of) the same shard. The kernel drops the lock when the
// process dies, even by kill -9, so a rerun after a crash is never blocked.
func lockShard(path string) (*os.File, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return nil, fmt.Errorf("warehouse: lock %s: %w", path, err)
	}
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, fmt.Errorf("warehouse: lock %s: %w", path, err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		holder, _ := os.ReadFile(path)
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, fmt.Errorf("warehouse: %s is held by another writer (%s): one process per run shard", path, strings.TrimSpace(string(holder)))
		}
		return nil, fmt.Errorf("warehouse: lock %s: %w", path, err)
	}
	// Who holds it, for the error message above; informational only.
	f.Truncate(0)
	f.WriteAt([]byte("pid "+strconv.Itoa(os.Getpid())+"\n"), 0)
	return f, nil
}

func unlockShard(f *os.File) {
	if f != nil {
		syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
		f.Close()
	}
}
