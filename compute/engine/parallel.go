package engine

import (
	"runtime"
	"sync"
	"sync/atomic"
)

// parallelFor runs fn over [0, n) split into contiguous ranges that the
// calling goroutine and one goroutine per further core take in turn, so
// that a core that starts late (a goroutine wakes some tens of
// microseconds after it is started, longer when the machine's other
// tenants hold the core) leaves its share to the others instead of
// holding everyone up. fn must treat every index independently: the
// ranges and the goroutine that runs each are not fixed. work is the
// approximate cost of one index in elementary operations; small loops stay
// on the calling goroutine, where the hand-off would cost more than it
// saves.
func parallelFor(n, work int, fn func(lo, hi int)) {
	workers := min(runtime.GOMAXPROCS(0), n)
	if workers < 2 || n*work < 1<<15 {
		fn(0, n)
		return
	}
	pieces := min(n, workers*rangesPerCore)
	var next atomic.Int64
	take := func() {
		for {
			p := int(next.Add(1)) - 1
			if p >= pieces {
				return
			}
			fn(n*p/pieces, n*(p+1)/pieces)
		}
	}
	var wg sync.WaitGroup
	for w := 1; w < workers; w++ {
		wg.Go(take)
	}
	take()
	wg.Wait()
}

// rangesPerCore is how many ranges parallelFor cuts per core: enough that
// the last one taken is short beside a goroutine's wake-up, few enough
// that each still runs the kernels over many channels at once.
const rangesPerCore = 8

// workers is the number of goroutines compute loops split into.
func workers() int { return max(1, runtime.GOMAXPROCS(0)) }

// reduceWorkers is the number of partial sums a reduction over the batch
// (a weight gradient summed over chunks of images) is split into: one per
// core, or reduceSplit when the build fixes it so the rounding does not
// depend on the core count.
func reduceWorkers() int {
	if reduceSplit > 0 {
		return reduceSplit
	}
	return workers()
}

// forChunks runs fn on every chunk [n0, n1), the chunks shared out in
// contiguous runs over one goroutine per core.
func forChunks(chunks [][2]int, fn func(n0, n1 int)) {
	forChunksW(chunks, min(workers(), len(chunks)), func(_, _, n0, n1 int) { fn(n0, n1) })
}

// forChunksW is forChunks with nw goroutines; fn also receives the worker
// index and the first image of the worker's run (to tell its first chunk).
func forChunksW(chunks [][2]int, nw int, fn func(worker, first, n0, n1 int)) {
	run := func(wk int) {
		lo, hi := len(chunks)*wk/nw, len(chunks)*(wk+1)/nw
		for _, ch := range chunks[lo:hi] {
			fn(wk, chunks[lo][0], ch[0], ch[1])
		}
	}
	if nw <= 1 {
		run(0)
		return
	}
	var wg sync.WaitGroup
	for wk := 1; wk < nw; wk++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			run(wk)
		}()
	}
	run(0)
	wg.Wait()
}
