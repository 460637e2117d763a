package engine

import (
	"fmt"
	"sync"
	"testing"
)

func TestParallelForCoversEveryIndexOnce(t *testing.T) {
	for _, c := range []struct{ n, work int }{
		{1, 1 << 20}, {2, 1 << 20}, {3, 1 << 20}, {15, 1 << 20}, {16, 1 << 20}, {17, 1 << 20}, {1000, 1 << 10},
		{10, 1}, // too small to split: runs on the caller
	} {
		t.Run(fmt.Sprintf("n=%d", c.n), func(t *testing.T) {
			var mu sync.Mutex
			seen := make([]int, c.n)
			parallelFor(c.n, c.work, func(lo, hi int) {
				if lo >= hi {
					t.Errorf("empty range [%d, %d)", lo, hi)
				}
				mu.Lock()
				defer mu.Unlock()
				for i := lo; i < hi; i++ {
					seen[i]++
				}
			})
			for i, k := range seen {
				if k != 1 {
					t.Fatalf("index %d ran %d times, want once", i, k)
				}
			}
		})
	}
}
