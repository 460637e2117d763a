//go:build !unix

package warehouse

import "os"

// lockShard is a no-op where flock is unavailable: there, running one
// process per run shard is up to the user.
func lockShard(path string) (*os.File, error) { return nil, nil }

func unlockShard(f *os.File) {}
