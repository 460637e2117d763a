package engine

import (
	"fmt"
	"math"

	"github.com/nlpodyssey/spago/ag"
	"github.com/nlpodyssey/spago/mat"
)

// MaxPool2d returns the k x k max pool with the given stride and padding
// (padding never wins, as PyTorch pads with -inf) and its output shape.
func MaxPool2d(ar *Arena, x mat.Tensor, in Shape, k, stride, pad int) (*ag.Operator, Shape, error) {
	if k <= 0 || stride <= 0 || pad < 0 || 2*pad > k {
		return nil, Shape{}, fmt.Errorf("maxpool: bad kernel %d stride %d pad %d (pad at most half the kernel)", k, stride, pad)
	}
	out, err := ConvOutShape(in, in.C, k, k, stride, pad)
	if err != nil {
		return nil, Shape{}, fmt.Errorf("maxpool: %w", err)
	}
	if err := checkAct("maxpool input", x, in); err != nil {
		return nil, Shape{}, err
	}
	return ag.NewOperator(&maxPool{ar: ar, x: x, in: in, out: out, k: k, stride: stride, pad: pad}).Run(), out, nil
}

type maxPool struct {
	output
	ar             *Arena
	x              mat.Tensor
	in, out        Shape
	k, stride, pad int
	arg            []int32 // per output, the index of the winner within its input channel row
}

func (o *maxPool) Operands() []mat.Tensor { return []mat.Tensor{o.x} }

func (o *maxPool) Forward() (mat.Tensor, error) {
	in, out := o.in, o.out
	x := Data(o.x)
	y := o.ar.Alloc(out.Size())
	o.arg = make([]int32, out.Size())
	parallelFor(in.C, in.Cols()*o.k, func(lo, hi int) {
		for c := lo; c < hi; c++ {
			for n := 0; n < in.N; n++ {
				base := n * in.H * in.W
				for oy := 0; oy < out.H; oy++ {
					for ox := 0; ox < out.W; ox++ {
						best, at := float32(math.Inf(-1)), int32(-1)
						for ky := 0; ky < o.k; ky++ {
							iy := oy*o.stride - o.pad + ky
							if iy < 0 || iy >= in.H {
								continue
							}
							for kx := 0; kx < o.k; kx++ {
								ix := ox*o.stride - o.pad + kx
								if ix < 0 || ix >= in.W {
									continue
								}
								if v := x[c*in.Cols()+base+iy*in.W+ix]; at < 0 || v > best {
									best, at = v, int32(base+iy*in.W+ix)
								}
							}
						}
						i := c*out.Cols() + n*out.H*out.W + oy*out.W + ox
						y[i], o.arg[i] = best, at
					}
				}
			}
		}
	})
	return o.set(NewTensor(y, out.C, out.Cols())), nil
}

// Backward routes each output gradient to the input that won the max.
func (o *maxPool) Backward(gyT mat.Tensor) error {
	defer o.release()
	if !o.x.RequiresGrad() {
		return nil
	}
	gy := Data(gyT)
	dx := o.ar.AllocZero(o.in.Size())
	inC, outC := o.in.Cols(), o.out.Cols()
	parallelFor(o.in.C, outC, func(lo, hi int) {
		for c := lo; c < hi; c++ {
			for j := 0; j < outC; j++ {
				dx[c*inC+int(o.arg[c*outC+j])] += gy[c*outC+j]
			}
		}
	})
	o.x.AccGrad(o.ar.gradTensor(dx, o.in.C, inC))
	return nil
}

// GlobalAvgPool returns the (N, C) matrix of per-image channel means: the
// layout a linear head consumes.
func GlobalAvgPool(ar *Arena, x mat.Tensor, in Shape) (*ag.Operator, error) {
	if err := checkAct("avgpool input", x, in); err != nil {
		return nil, err
	}
	return ag.NewOperator(&avgPool{ar: ar, x: x, in: in}).Run(), nil
}

type avgPool struct {
	output
	ar *Arena
	x  mat.Tensor
	in Shape
}

func (o *avgPool) Operands() []mat.Tensor { return []mat.Tensor{o.x} }

func (o *avgPool) Forward() (mat.Tensor, error) {
	in := o.in
	hw := in.H * in.W
	x := Data(o.x)
	y := o.ar.Alloc(in.N * in.C)
	for c := 0; c < in.C; c++ {
		for n := 0; n < in.N; n++ {
			var s float32
			for _, v := range x[c*in.Cols()+n*hw : c*in.Cols()+(n+1)*hw] {
				s += v
			}
			y[n*in.C+c] = s / float32(hw)
		}
	}
	return o.set(NewTensor(y, in.N, in.C)), nil
}

// Backward spreads g[n, c]/(H*W) over the pixels of channel c of image n.
func (o *avgPool) Backward(gyT mat.Tensor) error {
	defer o.release()
	if !o.x.RequiresGrad() {
		return nil
	}
	in := o.in
	hw := in.H * in.W
	gy := Data(gyT)
	dx := o.ar.Alloc(in.Size())
	for c := 0; c < in.C; c++ {
		for n := 0; n < in.N; n++ {
			v := gy[n*in.C+c] / float32(hw)
			d := dx[c*in.Cols()+n*hw : c*in.Cols()+(n+1)*hw]
			for i := range d {
				d[i] = v
			}
		}
	}
	o.x.AccGrad(o.ar.gradTensor(dx, in.C, in.Cols()))
	return nil
}
