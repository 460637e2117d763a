package engine

import (
	"fmt"

	"github.com/gradprint/gradprint/compute/gemm"
	"github.com/nlpodyssey/spago/ag"
	"github.com/nlpodyssey/spago/mat"
)

// Linear returns y = x W^T + b for x (N, In), W (Out, In) as torch.nn.Linear
// stores it, and b (Out).
func Linear(ar *Arena, x, w, b mat.Tensor) (*ag.Operator, error) {
	xs, ws := x.Shape(), w.Shape()
	if len(xs) != 2 || len(ws) != 2 || xs[1] != ws[1] {
		return nil, fmt.Errorf("linear: input %v and weight %v do not match (want (N, In) and (Out, In))", xs, ws)
	}
	if err := checkVector("linear bias", b, ws[0]); err != nil {
		return nil, err
	}
	return ag.NewOperator(&linear{ar: ar, x: x, w: w, b: b, n: xs[0], in: xs[1], out: ws[0]}).Run(), nil
}

type linear struct {
	output
	ar         *Arena
	x, w, b    mat.Tensor
	n, in, out int
}

func (o *linear) Operands() []mat.Tensor { return []mat.Tensor{o.x, o.w, o.b} }

func (o *linear) Forward() (mat.Tensor, error) {
	y := o.ar.Alloc(o.n * o.out)
	b := Data(o.b)
	for i := 0; i < o.n; i++ {
		copy(y[i*o.out:(i+1)*o.out], b)
	}
	gemm.Sgemm(false, true, o.n, o.out, o.in, 1, Data(o.x), o.in, Data(o.w), o.in, 1, y, o.out)
	return o.set(NewTensor(y, o.n, o.out)), nil
}

// Backward: dx = G W, dW = G^T x, db = column sums of G.
func (o *linear) Backward(gyT mat.Tensor) error {
	defer o.release()
	g := Data(gyT)
	if o.x.RequiresGrad() {
		dx := o.ar.Alloc(o.n * o.in)
		gemm.Sgemm(false, false, o.n, o.in, o.out, 1, g, o.out, Data(o.w), o.in, 0, dx, o.in)
		o.x.AccGrad(o.ar.gradTensor(dx, o.n, o.in))
	}
	if o.w.RequiresGrad() {
		dw := o.ar.Alloc(o.out * o.in)
		gemm.Sgemm(true, false, o.out, o.in, o.n, 1, g, o.out, Data(o.x), o.in, 0, dw, o.in)
		o.w.AccGrad(o.ar.gradTensor(dw, o.out, o.in))
	}
	if o.b.RequiresGrad() {
		db := o.ar.AllocZero(o.out)
		for i := 0; i < o.n; i++ {
			for j, v := range g[i*o.out : (i+1)*o.out] {
				db[j] += v
			}
		}
		o.b.AccGrad(o.ar.gradTensor(db, o.b.Shape()[0], o.b.Shape()[1]))
	}
	return nil
}
