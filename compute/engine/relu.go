package engine

import (
	"fmt"

	"github.com/nlpodyssey/spago/ag"
	"github.com/nlpodyssey/spago/mat"
)

// ReLU returns max(x, 0) elementwise. The model fuses ReLU into convolution
// and batch norm; this standalone form is for networks that do not.
func ReLU(ar *Arena, x mat.Tensor) (*ag.Operator, error) {
	if x == nil || len(x.Shape()) != 2 {
		return nil, fmt.Errorf("relu: want a 2-D input")
	}
	return ag.NewOperator(&relu{ar: ar, x: x}).Run(), nil
}

type relu struct {
	output
	ar   *Arena
	x    mat.Tensor
	y    []float32
	r, c int
}

func (o *relu) Operands() []mat.Tensor { return []mat.Tensor{o.x} }

func (o *relu) Forward() (mat.Tensor, error) {
	x := Data(o.x)
	o.r, o.c = o.x.Shape()[0], o.x.Shape()[1]
	o.y = o.ar.Alloc(len(x))
	parallelFor(len(x), 1, func(lo, hi int) {
		for i := lo; i < hi; i++ {
			o.y[i] = max(x[i], 0)
		}
	})
	return o.set(NewTensor(o.y, o.r, o.c)), nil
}

// Backward: dx = g where y > 0.
func (o *relu) Backward(gyT mat.Tensor) error {
	defer o.release()
	if !o.x.RequiresGrad() {
		return nil
	}
	gy := Data(gyT)
	dx := o.ar.Alloc(len(gy))
	parallelFor(len(gy), 1, func(lo, hi int) { reluMask(gy[lo:hi], o.y[lo:hi], dx[lo:hi]) })
	o.x.AccGrad(o.ar.gradTensor(dx, o.r, o.c))
	return nil
}

// reluMaskGo writes out = g where y > 0, else 0: the purego kernel and the
// reference for the C one.
func reluMaskGo(g, y, out []float32) {
	y, out = y[:len(g)], out[:len(g)]
	for i, v := range g {
		if y[i] > 0 {
			out[i] = v
		} else {
			out[i] = 0
		}
	}
}
