package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/parquet-go/parquet-go"

	"github.com/gradprint/gradprint/warehouse"
)

// parseShard reads "i/n", or Kubernetes Indexed Job's JOB_COMPLETION_INDEX
// and JOB_COMPLETIONS when the flag is empty.
func parseShard(spec string) (int, int, error) {
	if spec == "" {
		idx, cnt := os.Getenv("JOB_COMPLETION_INDEX"), os.Getenv("JOB_COMPLETIONS")
		if idx == "" {
			return 0, 1, nil
		}
		if cnt == "" {
			return 0, 0, fmt.Errorf("JOB_COMPLETION_INDEX=%s is set but JOB_COMPLETIONS is not: set it to the Job's completions", idx)
		}
		spec = idx + "/" + cnt
	}
	a, b, ok := strings.Cut(spec, "/")
	i, err1 := strconv.Atoi(a)
	n, err2 := strconv.Atoi(b)
	if !ok || err1 != nil || err2 != nil || n < 1 || i < 0 || i >= n {
		return 0, 0, fmt.Errorf("--shard %q: want i/n with 0 <= i < n", spec)
	}
	return i, n, nil
}

// shardSink hands a shard only its own chunks (every n-th from i); the
// others count as done, so each shard writes disjoint files.
type shardSink struct {
	warehouse.Sink
	i, n int
}

func (s shardSink) Done(chunk int) (bool, error) {
	if chunk%s.n != s.i {
		return true, nil
	}
	return s.Sink.Done(chunk)
}

// waitForShards blocks until shards 1..n-1 of the run are complete.
func waitForShards(ctx context.Context, wh *warehouse.Warehouse, dataset, run string, n int) error {
	dir := wh.PartitionDir(warehouse.TableRuns, dataset, run)
	for k := 1; k < n; k++ {
		path := filepath.Join(dir, fmt.Sprintf("part-%05d.parquet", k))
		for {
			rows, err := parquet.ReadFile[warehouse.RunMeta](path)
			if err == nil && len(rows) == 1 && rows[0].Status == warehouse.StatusComplete {
				break
			}
			if err == nil && len(rows) == 1 && rows[0].Status == warehouse.StatusFailed {
				return fmt.Errorf("shard %d of run %s failed (%s): rerun it, then rerun shard 0", k, run, rows[0].Error)
			}
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-time.After(500 * time.Millisecond):
			}
		}
	}
	return nil
}
