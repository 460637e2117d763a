package engine

import (
	"testing"
	"unsafe"

	"github.com/nlpodyssey/spago/ag"
	"github.com/nlpodyssey/spago/mat"
)

// A freed buffer comes back from the next Alloc that fits it: the
// smallest freed buffer of n to 2n floats, its first n.
func TestArenaFreeReuses(t *testing.T) {
	ar := &Arena{}
	a := ar.Alloc(100)
	ar.Free(a)
	if b := ar.Alloc(101); &b[0] == &a[0] {
		t.Fatal("a freed buffer of 100 was handed out for 101")
	}
	if b := ar.Alloc(49); &b[0] == &a[0] {
		t.Fatal("a freed buffer of 100 was handed out for 49 (more than twice the request)")
	}
	c := ar.Alloc(60)
	if &c[0] != &a[0] || len(c) != 60 || cap(c) != 60 {
		t.Fatalf("the freed buffer of 100 was not reused for Alloc(60) (len %d cap %d)", len(c), cap(c))
	}
	small, big := ar.Alloc(70), ar.Alloc(90)
	ar.Free(big)
	ar.Free(small)
	if d := ar.Alloc(65); &d[0] != &small[0] {
		t.Fatal("Alloc(65) did not take the smallest freed buffer that fits (70, not 90)")
	}
	ar.Reset()
	d := ar.Alloc(100)
	e := ar.Alloc(100)
	if &d[0] == &e[0] {
		t.Fatal("Reset left a freed buffer on the free list: handed out twice")
	}
}

// The first step overflows; Reset maps one slab of the step's size, and
// a step of the same shape then fits it exactly.
func TestArenaGrowsToTheStep(t *testing.T) {
	ar := &Arena{}
	step := func() (x, y []float32) {
		ar.Reset()
		x = ar.Alloc(3000)
		y = ar.Alloc(5000)
		x[0], y[4999] = 1, 2 // the memory is writable
		return x, y
	}
	step()
	if got := ar.Bytes(); got != 0 {
		t.Fatalf("after the first step the slab holds %d bytes, want 0 (everything overflowed)", got)
	}
	x, y := step()
	if got := ar.Bytes(); got != 4*8000 {
		t.Fatalf("slab %d bytes after growing, want %d", got, 4*8000)
	}
	if uintptr(unsafe.Pointer(&y[0]))-uintptr(unsafe.Pointer(&x[0])) != 4*3000 {
		t.Fatal("second step's buffers are not consecutive in the slab")
	}
	if ar.overflow != 0 {
		t.Fatalf("a step of the same shape overflowed by %d floats", ar.overflow)
	}
}

// The backward pass of a chain of k ReLUs holds only the gradients in
// flight: the arena ends up far below the 2k activations-and-gradients a
// bump allocator needs, a kept gradient survives, and every other
// intermediate gradient is gone after the pass.
func TestBackwardReleasesDeadGradients(t *testing.T) {
	const n, k, keep = 4096, 12, 5
	ar := &Arena{}
	data := make([]float32, n)
	for i := range data {
		data[i] = float32(i%7) - 3
	}
	run := func() (*Tensor, []*ag.Operator) {
		ar.Reset()
		x := NewParam(append([]float32(nil), data...), 1, n)
		var h mat.Tensor = x
		ops := make([]*ag.Operator, k)
		for i := range ops {
			op, err := ReLU(ar, h)
			if err != nil {
				t.Fatal(err)
			}
			ops[i], h = op, op
		}
		KeepGrad(ops[keep])
		seed := ar.Alloc(n)
		for i := range seed {
			seed[i] = 1
		}
		ops[k-1].AccGrad(ar.gradTensor(seed, 1, n))
		if err := ag.Backward(ops[k-1]); err != nil {
			t.Fatal(err)
		}
		return x, ops
	}
	run()
	x, ops := run() // the slab now has the size a step needs
	// k outputs + seed + at most two gradients alive at once, plus slack.
	if limit := 4 * n * (k + 4); ar.Bytes() > limit {
		t.Errorf("arena holds %d bytes for a chain of %d ReLUs over %d floats, want at most %d (a bump allocator needs %d)",
			ar.Bytes(), k, n, limit, 4*n*(2*k+1))
	}
	for i, op := range ops {
		if got := op.HasGrad(); got != (i == keep) {
			t.Errorf("ReLU %d has a gradient after the pass: %v, want %v", i, got, i == keep)
		}
	}
	g := GradData(ops[keep])
	for i, v := range data {
		want := float32(0)
		if v > 0 {
			want = 1
		}
		if g[i] != want || x.GradRaw()[i] != want {
			t.Fatalf("gradient at %d: kept %v, input %v, want %v", i, g[i], x.GradRaw()[i], want)
		}
	}
}
