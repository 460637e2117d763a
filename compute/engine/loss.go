package engine

import (
	"fmt"
	"math"

	"github.com/nlpodyssey/spago/ag"
	"github.com/nlpodyssey/spago/mat"

	"github.com/gradprint/gradprint/compute/portmath"
)

// SoftmaxCrossEntropy returns the mean over the batch of -log softmax(z)[label]
// for logits z (N, K), as torch.nn.functional.cross_entropy.
func SoftmaxCrossEntropy(ar *Arena, logits mat.Tensor, labels []int) (*ag.Operator, error) {
	sh := logits.Shape()
	if len(sh) != 2 || sh[0] != len(labels) || sh[0] == 0 {
		return nil, fmt.Errorf("cross-entropy: logits %v for %d labels (want (N, K) with N = labels > 0)", sh, len(labels))
	}
	for i, l := range labels {
		if l < 0 || l >= sh[1] {
			return nil, fmt.Errorf("cross-entropy: label %d of image %d outside [0, %d)", l, i, sh[1])
		}
	}
	return ag.NewOperator(&softmaxCE{ar: ar, z: logits, labels: labels, n: sh[0], k: sh[1]}).Run(), nil
}

type softmaxCE struct {
	output
	ar     *Arena
	z      mat.Tensor
	labels []int
	n, k   int
	p      []float32 // softmax probabilities, for backward
}

func (o *softmaxCE) Operands() []mat.Tensor { return []mat.Tensor{o.z} }

func (o *softmaxCE) Forward() (mat.Tensor, error) {
	z := Data(o.z)
	o.p = o.ar.Alloc(o.n * o.k)
	var loss float64
	for i := 0; i < o.n; i++ {
		row, p := z[i*o.k:(i+1)*o.k], o.p[i*o.k:(i+1)*o.k]
		lse := Softmax(p, row)
		loss += lse - float64(row[o.labels[i]])
	}
	return o.set(NewTensor([]float32{float32(loss / float64(o.n))}, 1, 1)), nil
}

// Backward: dz = (softmax(z) - onehot(label)) / N, times the upstream scalar.
func (o *softmaxCE) Backward(gyT mat.Tensor) error {
	defer o.release()
	if !o.z.RequiresGrad() {
		return nil
	}
	g := Data(gyT)[0] / float32(o.n)
	dz := o.ar.Alloc(o.n * o.k)
	for i := 0; i < o.n; i++ {
		for j := 0; j < o.k; j++ {
			v := o.p[i*o.k+j]
			if j == o.labels[i] {
				v--
			}
			dz[i*o.k+j] = g * v
		}
	}
	o.z.AccGrad(o.ar.gradTensor(dz, o.n, o.k))
	return nil
}

// SelectSum returns sum_i z[i, target[i]] for logits z (N, K): the score
// whose gradient Grad-CAM-style saliency methods read, one target class per
// image, summed so one backward serves the whole batch (images do not couple
// in eval mode).
func SelectSum(ar *Arena, logits mat.Tensor, target []int) (*ag.Operator, error) {
	sh := logits.Shape()
	if len(sh) != 2 || sh[0] != len(target) {
		return nil, fmt.Errorf("select-sum: logits %v for %d targets", sh, len(target))
	}
	for i, t := range target {
		if t < 0 || t >= sh[1] {
			return nil, fmt.Errorf("select-sum: target %d of image %d outside [0, %d)", t, i, sh[1])
		}
	}
	return ag.NewOperator(&selectSum{ar: ar, z: logits, target: target, n: sh[0], k: sh[1]}).Run(), nil
}

type selectSum struct {
	output
	ar     *Arena
	z      mat.Tensor
	target []int
	n, k   int
}

func (o *selectSum) Operands() []mat.Tensor { return []mat.Tensor{o.z} }

func (o *selectSum) Forward() (mat.Tensor, error) {
	z := Data(o.z)
	var s float32
	for i, t := range o.target {
		s += z[i*o.k+t]
	}
	return o.set(NewTensor([]float32{s}, 1, 1)), nil
}

func (o *selectSum) Backward(gyT mat.Tensor) error {
	defer o.release()
	if !o.z.RequiresGrad() {
		return nil
	}
	g := Data(gyT)[0]
	dz := o.ar.AllocZero(o.n * o.k)
	for i, t := range o.target {
		dz[i*o.k+t] = g
	}
	o.z.AccGrad(o.ar.gradTensor(dz, o.n, o.k))
	return nil
}

// Softmax writes softmax(z) into p (same length; p may alias z) and returns
// logsumexp(z). The maximum is subtracted first so large logits cannot
// overflow.
func Softmax(p, z []float32) float64 {
	m := z[0]
	for _, v := range z {
		m = max(m, v)
	}
	var s float64
	for j, v := range z {
		e := portmath.Exp(float64(v - m))
		p[j] = float32(e)
		s += e
	}
	for j := range p {
		p[j] = float32(float64(p[j]) / s)
	}
	return math.Log(s) + float64(m)
}
