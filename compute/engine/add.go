package engine

import (
	"fmt"

	"github.com/nlpodyssey/spago/ag"
	"github.com/nlpodyssey/spago/mat"
)

// Add returns a + b (same shape): the residual connection when it is not
// fused into batch norm.
func Add(ar *Arena, a, b mat.Tensor) (*ag.Operator, error) {
	sa, sb := a.Shape(), b.Shape()
	if len(sa) != 2 || len(sb) != 2 || sa[0] != sb[0] || sa[1] != sb[1] {
		return nil, fmt.Errorf("add: shapes %v and %v differ", sa, sb)
	}
	return ag.NewOperator(&add{ar: ar, a: a, b: b}).Run(), nil
}

type add struct {
	output
	ar   *Arena
	a, b mat.Tensor
}

func (o *add) Operands() []mat.Tensor { return []mat.Tensor{o.a, o.b} }

func (o *add) Forward() (mat.Tensor, error) {
	a, b := Data(o.a), Data(o.b)
	y := o.ar.Alloc(len(a))
	parallelFor(len(a), 1, func(lo, hi int) {
		for i := lo; i < hi; i++ {
			y[i] = a[i] + b[i]
		}
	})
	return o.set(NewTensor(y, o.a.Shape()[0], o.a.Shape()[1])), nil
}

// Backward: da = db = g. Each operand gets its own copy because a gradient
// handed over is owned (and may be added into) by its receiver.
func (o *add) Backward(gyT mat.Tensor) error {
	defer o.release()
	gy := Data(gyT)
	for _, t := range []mat.Tensor{o.a, o.b} {
		if !t.RequiresGrad() {
			continue
		}
		d := o.ar.Alloc(len(gy))
		copy(d, gy)
		t.AccGrad(o.ar.gradTensor(d, t.Shape()[0], t.Shape()[1]))
	}
	return nil
}
