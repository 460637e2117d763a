//go:build unix

package resnet

import (
	"runtime"
	"testing"
)

// TestEvalCachesLiveOffTheHeap: the folded eval weights and their Winograd
// transforms (5x the weights) are mapped outside the Go heap, so the
// collector's headroom, a fraction of the live heap, does not grow with
// them (issue 16: memory flat in image count).
func TestEvalCachesLiveOffTheHeap(t *testing.T) {
	m := tiny(t, 1, 2, SmallStem, 0.5, 3)
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	m.ensureEval()
	runtime.GC()
	runtime.ReadMemStats(&after)
	cache := 0
	for _, c := range m.convs {
		cache += 4 * (len(c.foldW.Raw()) + len(c.evalU))
	}
	if grew := int64(after.HeapAlloc) - int64(before.HeapAlloc); grew > int64(cache/8) {
		t.Fatalf("live heap grew %d bytes building %d bytes of eval caches: they are on the heap", grew, cache)
	}
	runtime.KeepAlive(m)
}
