package engine

import (
	"fmt"
	"sync"

	"github.com/nlpodyssey/spago/ag"
	"github.com/nlpodyssey/spago/mat"
)

// Tensor is a float32 matrix whose gradient is adopted rather than cloned.
//
// spago's Dense.AccGrad clones the first gradient it receives; for the
// megabyte activations of a CNN that copy was a measurable part of a step.
// Tensor.AccGrad takes ownership of a *Tensor gradient instead. This is safe
// because every operator in this package allocates a fresh buffer for each
// gradient it propagates and never touches it again; gradients of any other
// type (spago's seed scalar, a caller's matrix) are still copied.
type Tensor struct {
	*mat.Dense[float32]
	data []float32

	mu   sync.Mutex
	grad *Tensor

	ar   *Arena // the arena data came from, when it is a gradient that may be freed
	keep bool   // the gradient is read after the backward pass (KeepGrad)
}

// gradTensor wraps data, allocated from a, as a gradient a operator hands
// over: its receiver may give the buffer back to a once it is dead.
func (a *Arena) gradTensor(data []float32, rows, cols int) *Tensor {
	t := NewTensor(data, rows, cols)
	t.ar = a
	return t
}

// KeepGrad marks the output of an operator of this package (or a Tensor)
// whose gradient the caller reads after the backward pass: a saliency
// layer. Every other operator output's gradient is given back to the arena
// as soon as the operator has propagated it, so that the backward pass
// holds only the gradients still in flight.
func KeepGrad(t mat.Tensor) {
	if op, ok := t.(*ag.Operator); ok {
		t = op.Value()
	}
	if tt, ok := t.(*Tensor); ok {
		tt.mu.Lock()
		tt.keep = true
		tt.mu.Unlock()
	}
}

// output remembers an operator's output so that its Backward can give the
// output's gradient back to the arena once it has propagated it.
type output struct{ out *Tensor }

// set records t as the output and returns it.
func (o *output) set(t *Tensor) *Tensor {
	o.out = t
	return t
}

// release drops the output's gradient and returns its buffer to the arena
// it came from; call it when Backward is done. A kept output (KeepGrad)
// and a gradient no arena owns (a caller's seed) are left as they are.
func (o *output) release() {
	t := o.out
	if t == nil {
		return
	}
	t.mu.Lock()
	g := t.grad
	if t.keep || g == nil || g.ar == nil {
		t.mu.Unlock()
		return
	}
	t.grad = nil
	t.mu.Unlock()
	g.ar.Free(g.data)
}

// NewTensor wraps data (not copied) as a rows x cols matrix.
func NewTensor(data []float32, rows, cols int) *Tensor {
	if rows*cols != len(data) {
		panic(fmt.Sprintf("engine: NewTensor %dx%d over %d values", rows, cols, len(data)))
	}
	return &Tensor{Dense: mat.NewDense[float32](mat.WithBacking(data), mat.WithShape(rows, cols)), data: data}
}

// NewParam wraps data as a rows x cols leaf that requires gradients.
func NewParam(data []float32, rows, cols int) *Tensor {
	t := NewTensor(data, rows, cols)
	t.SetRequiresGrad(true)
	return t
}

// Value returns t itself, so that spago's operators route gradient calls
// through Tensor's methods rather than the embedded Dense's.
func (t *Tensor) Value() mat.Tensor { return t }

// Raw returns the backing slice (shared, not copied).
func (t *Tensor) Raw() []float32 { return t.data }

// Grad returns the accumulated gradient, or nil.
func (t *Tensor) Grad() mat.Tensor {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.grad == nil {
		return nil // an untyped nil: spago tests grads against nil
	}
	return t.grad
}

// GradRaw returns the accumulated gradient's backing slice, or nil.
func (t *Tensor) GradRaw() []float32 {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.grad == nil {
		return nil
	}
	return t.grad.data
}

// HasGrad reports whether a gradient has been accumulated.
func (t *Tensor) HasGrad() bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.grad != nil
}

// ZeroGrad drops the gradient (its buffer belongs to the arena or the GC).
func (t *Tensor) ZeroGrad() {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.grad = nil
}

// AccGrad adds g to the gradient. The first *Tensor received is adopted
// without a copy (the sender must not reuse it); later ones are added into it.
func (t *Tensor) AccGrad(g mat.Tensor) {
	gd := Data(g)
	if len(gd) != len(t.data) {
		panic(fmt.Sprintf("engine: gradient of %d values for a tensor of %d", len(gd), len(t.data)))
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.grad == nil {
		if gt, ok := g.(*Tensor); ok {
			t.grad = gt
			return
		}
		t.grad = NewTensor(append([]float32(nil), gd...), t.Dense.Shape()[0], t.Dense.Shape()[1])
		return
	}
	dst := t.grad.data
	for i, v := range gd {
		dst[i] += v
	}
	// Added in, the sender's buffer is dead (a gradient handed over is
	// owned by its receiver).
	if gt, ok := g.(*Tensor); ok && gt.ar != nil {
		gt.ar.Free(gt.data)
	}
}

// Data returns the float32 values of a tensor: the backing slice of a Tensor
// or of an operator's Tensor value, a converted copy otherwise.
func Data(t mat.Tensor) []float32 {
	switch v := t.(type) {
	case *Tensor:
		return v.data
	case *ag.Operator:
		return Data(v.Value())
	}
	return t.Data().F32()
}

// GradData returns the gradient values of a tensor or operator, or nil.
func GradData(t mat.Tensor) []float32 {
	g := t.Grad()
	if g == nil {
		return nil
	}
	if gt, ok := g.(*Tensor); ok && gt == nil {
		return nil
	}
	return Data(g)
}

// requiresGrad is RequiresGrad tolerant of absent optional operands.
func requiresGrad(t mat.Tensor) bool { return t != nil && t.RequiresGrad() }
