package engine

import (
	"runtime"
	"sync"
)

// Arena hands out float32 buffers for one step (forward and backward) and
// takes them all back at Reset. After the first step of a given shape it
// holds one slab big enough for the whole step, so later steps allocate
// nothing. It also pools scratch buffers (im2col columns) that live only
// inside one operator call. An Arena is safe for concurrent use; a nil
// *Arena allocates from the heap.
//
// Buffers given back with Free before Reset are handed out again by later
// Alloc calls of half their length up to theirs, so a backward pass whose
// gradients die as soon as they have been propagated needs room only for
// the live ones.
//
// Step memory is mapped outside the Go heap (on Unix): a slab of a
// gigabyte would otherwise let the collector leave as much garbage
// uncollected (its goal is twice the live heap), and a grown slab would
// sit beside the old one and the first step's allocations until the
// scavenger returned them. Here Reset unmaps what it replaces at once, and
// the mappings of an arena nobody references are unmapped by a cleanup.
type Arena struct {
	mu       sync.Mutex
	maps     *arenaMaps
	off      int
	overflow int
	scratch  [][]float32
	free     map[int][][]float32 // freed step buffers by length, reused by Alloc
}

// arenaMaps holds an arena's mappings. It is its own heap object so that a
// cleanup can unmap them once the arena (usually part of a model) is
// unreachable; the cleanup's argument, the regions, does not reference it.
type arenaMaps struct{ r *regions }

type regions struct {
	slab  []float32   // the step's memory once its size is known
	extra [][]float32 // what this step took beyond the slab
}

func (r *regions) unmap() {
	unmapFloats(r.slab)
	for _, e := range r.extra {
		unmapFloats(e)
	}
	r.slab, r.extra = nil, nil
}

// mapped returns the arena's regions, creating them (and the cleanup that
// unmaps them) on first use. Callers hold a.mu.
func (a *Arena) mapped() *regions {
	if a.maps == nil {
		a.maps = &arenaMaps{r: &regions{}}
		runtime.AddCleanup(a.maps, (*regions).unmap, a.maps.r)
	}
	return a.maps.r
}

// Alloc returns n float32s with unspecified contents, valid until Reset.
func (a *Arena) Alloc(n int) []float32 {
	if a == nil {
		return make([]float32, n)
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	if s, ok := a.reuse(n); ok {
		return s
	}
	r := a.mapped()
	if a.off+n <= len(r.slab) {
		s := r.slab[a.off : a.off+n : a.off+n]
		a.off += n
		return s
	}
	a.overflow += n
	e := mapFloats(n)
	r.extra = append(r.extra, e)
	return e[:n:n]
}

// reuse takes the smallest freed buffer of at least n and at most 2n
// floats (the bound keeps a small request from pinning a large buffer),
// and returns its first n. Callers hold a.mu.
func (a *Arena) reuse(n int) ([]float32, bool) {
	best := 0
	for size, fl := range a.free {
		if len(fl) > 0 && size >= n && size <= 2*n && (best == 0 || size < best) {
			best = size
		}
	}
	if best == 0 {
		return nil, false
	}
	fl := a.free[best]
	s := fl[len(fl)-1]
	a.free[best] = fl[:len(fl)-1]
	return s[:n:n], true
}

// Free gives back a buffer Alloc returned, before Reset, once nothing
// reads or writes it any more; a later Alloc of its length or down to half
// of it may return it (its first n floats; the rest waits for Reset). A nil
// arena ignores it.
func (a *Arena) Free(s []float32) {
	if a == nil || len(s) == 0 {
		return
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.free == nil {
		a.free = map[int][][]float32{}
	}
	a.free[len(s)] = append(a.free[len(s)], s[:len(s):len(s)])
}

// AllocZero returns n zeroed float32s, valid until Reset.
func (a *Arena) AllocZero(n int) []float32 {
	s := a.Alloc(n)
	clear(s)
	return s
}

// Reset reclaims every buffer handed out by Alloc. Callers must have copied
// out anything they return to users. When the last step overflowed the slab,
// the slab grows to the whole step's size so the next step fits.
func (a *Arena) Reset() {
	if a == nil {
		return
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.overflow > 0 {
		r := a.mapped()
		size := a.off + a.overflow
		r.unmap()
		r.slab = mapFloats(size)
	}
	a.off, a.overflow = 0, 0
	clear(a.free)
}

// Scratch returns a buffer of n float32s (unspecified contents) to be given
// back with Release before the operator call returns.
func (a *Arena) Scratch(n int) []float32 {
	if a == nil {
		return make([]float32, n)
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	best := -1
	for i, s := range a.scratch {
		if cap(s) >= n && (best < 0 || cap(s) < cap(a.scratch[best])) {
			best = i
		}
	}
	if best < 0 {
		return make([]float32, n)
	}
	s := a.scratch[best]
	a.scratch = append(a.scratch[:best], a.scratch[best+1:]...)
	return s[:n]
}

// Release returns a Scratch buffer to the pool.
func (a *Arena) Release(s []float32) {
	if a == nil || s == nil {
		return
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	a.scratch = append(a.scratch, s[:cap(s)])
}

// Bytes reports the memory the arena holds (slab and scratch pool).
func (a *Arena) Bytes() int {
	if a == nil {
		return 0
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	n := 0
	if a.maps != nil {
		n = len(a.maps.r.slab)
	}
	for _, s := range a.scratch {
		n += cap(s)
	}
	return 4 * n
}
