package engine

import "sync"

// Arena hands out float32 buffers for one step (forward and backward) and
// takes them all back at Reset. After the first step of a given shape it
// holds one slab big enough for the whole step, so later steps allocate
// nothing. It also pools scratch buffers (im2col columns) that live only
// inside one operator call. An Arena is safe for concurrent use; a nil
// *Arena allocates from the heap.
type Arena struct {
	mu       sync.Mutex
	slab     []float32
	off      int
	overflow int
	scratch  [][]float32
}

// Alloc returns n float32s with unspecified contents, valid until Reset.
func (a *Arena) Alloc(n int) []float32 {
	if a == nil {
		return make([]float32, n)
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.off+n <= len(a.slab) {
		s := a.slab[a.off : a.off+n : a.off+n]
		a.off += n
		return s
	}
	a.overflow += n
	return make([]float32, n)
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
		a.slab = make([]float32, a.off+a.overflow)
	}
	a.off, a.overflow = 0, 0
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
	n := len(a.slab)
	for _, s := range a.scratch {
		n += cap(s)
	}
	return 4 * n
}
