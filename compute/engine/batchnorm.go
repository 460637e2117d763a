package engine

import (
	"fmt"
	"math"

	"github.com/nlpodyssey/spago/ag"
	"github.com/nlpodyssey/spago/mat"
)

// BNStats are a batch-norm layer's running statistics, updated in place by
// training-mode forward passes exactly as PyTorch does (unbiased variance in
// the running estimate, biased variance to normalise).
type BNStats struct {
	Mean, Var []float32
	Momentum  float32 // PyTorch default 0.1
	Eps       float32 // PyTorch default 1e-5
	Batches   int64   // num_batches_tracked
}

// NewBNStats returns PyTorch's initial state for c channels: mean 0, var 1.
func NewBNStats(c int) *BNStats {
	v := make([]float32, c)
	for i := range v {
		v[i] = 1
	}
	return &BNStats{Mean: make([]float32, c), Var: v, Momentum: 0.1, Eps: 1e-5}
}

// BNSpec configures a batch norm y = relu?(gamma*xhat + beta + residual?).
type BNSpec struct {
	Gamma, Beta mat.Tensor // (C) each
	Stats       *BNStats
	Train       bool       // batch statistics and running update; else running statistics
	Residual    mat.Tensor // optional, same shape as x: the ResNet shortcut
	ReLU        bool
}

// BatchNorm returns the batch-norm node of x (shape s), with the residual
// add and ReLU of a ResNet block optionally fused into the same pass.
func BatchNorm(ar *Arena, x mat.Tensor, s Shape, spec BNSpec) (*ag.Operator, error) {
	if err := checkAct("batchnorm input", x, s); err != nil {
		return nil, err
	}
	if err := checkVector("batchnorm weight", spec.Gamma, s.C); err != nil {
		return nil, err
	}
	if err := checkVector("batchnorm bias", spec.Beta, s.C); err != nil {
		return nil, err
	}
	if spec.Stats == nil || len(spec.Stats.Mean) != s.C || len(spec.Stats.Var) != s.C {
		return nil, fmt.Errorf("batchnorm: running statistics missing or not of %d channels", s.C)
	}
	if spec.Residual != nil {
		if err := checkAct("batchnorm residual", spec.Residual, s); err != nil {
			return nil, err
		}
	}
	if spec.Train && s.Cols() < 2 {
		return nil, fmt.Errorf("batchnorm: training mode needs more than one value per channel, got shape %v", s)
	}
	return ag.NewOperator(&batchNorm{ar: ar, x: x, s: s, spec: spec}).Run(), nil
}

type batchNorm struct {
	output
	ar   *Arena
	x    mat.Tensor
	s    Shape
	spec BNSpec
	// Per channel: the statistics used to normalise, kept for backward.
	mean, invStd []float32
	y            []float32
}

func (b *batchNorm) Operands() []mat.Tensor {
	ops := []mat.Tensor{b.x, b.spec.Gamma, b.spec.Beta}
	if b.spec.Residual != nil {
		ops = append(ops, b.spec.Residual)
	}
	return ops
}

func (b *batchNorm) Forward() (mat.Tensor, error) {
	c, m := b.s.C, b.s.Cols()
	x, gamma, beta := Data(b.x), Data(b.spec.Gamma), Data(b.spec.Beta)
	var r []float32
	if b.spec.Residual != nil {
		r = Data(b.spec.Residual)
	}
	st := b.spec.Stats
	b.mean, b.invStd = make([]float32, c), make([]float32, c)
	y := b.ar.Alloc(c * m)
	parallelFor(c, 3*m, func(lo, hi int) {
		for ch := lo; ch < hi; ch++ {
			row := x[ch*m : (ch+1)*m]
			var mean, variance float64
			if b.spec.Train {
				mean, variance = bnMoments(row)
				mom := float64(st.Momentum)
				st.Mean[ch] = float32((1-mom)*float64(st.Mean[ch]) + mom*mean)
				st.Var[ch] = float32((1-mom)*float64(st.Var[ch]) + mom*variance*float64(m)/float64(m-1))
			} else {
				mean, variance = float64(st.Mean[ch]), float64(st.Var[ch])
			}
			inv := 1 / math.Sqrt(variance+float64(st.Eps))
			b.mean[ch], b.invStd[ch] = float32(mean), float32(inv)
			// y = a*x + d with a = gamma*invstd, d = beta - a*mean.
			a := gamma[ch] * float32(inv)
			var rr []float32
			if r != nil {
				rr = r[ch*m : (ch+1)*m]
			}
			bnApply(row, rr, y[ch*m:(ch+1)*m], a, beta[ch]-a*float32(mean), b.spec.ReLU)
		}
	})
	if b.spec.Train {
		st.Batches++
	}
	b.y = y
	return b.set(NewTensor(y, c, m)), nil
}

// Backward, with g = dL/dy masked by the ReLU and xhat = (x-mean)*invstd:
//
//	dbeta = sum g, dgamma = sum g*xhat, dresidual = g,
//	train: dx = gamma*invstd/M * (M*g - dbeta - xhat*dgamma)
//	eval:  dx = gamma*invstd * g
func (b *batchNorm) Backward(gyT mat.Tensor) error {
	defer b.release()
	c, m := b.s.C, b.s.Cols()
	gy := Data(gyT)
	x, gamma := Data(b.x), Data(b.spec.Gamma)
	needX, needG, needB, needR := requiresGrad(b.x), requiresGrad(b.spec.Gamma), requiresGrad(b.spec.Beta), requiresGrad(b.spec.Residual)
	var dx, dr []float32
	if needX {
		dx = b.ar.Alloc(c * m)
	}
	if needR {
		dr = b.ar.Alloc(c * m)
	}
	relu := b.spec.ReLU
	if !b.spec.Train && !needG && !needB {
		b.evalGrads(gy, dx, dr)
		b.accInputs(dx, dr)
		return nil
	}
	dgamma, dbeta := b.ar.Alloc(c), b.ar.Alloc(c)
	parallelFor(c, 3*m, func(lo, hi int) {
		for ch := lo; ch < hi; ch++ {
			g, y, row := gy[ch*m:(ch+1)*m], b.y[ch*m:(ch+1)*m], x[ch*m:(ch+1)*m]
			mean, inv := b.mean[ch], b.invStd[ch]
			var gm []float32
			if dr != nil {
				gm = dr[ch*m : (ch+1)*m]
			}
			sg, sgc := bnGradSums(g, y, row, mean, relu, gm)
			sgx := sgc * float64(inv)
			dbeta[ch], dgamma[ch] = float32(sg), float32(sgx)
			if dx == nil {
				continue
			}
			a := gamma[ch] * inv
			var c1, c0 float32
			if b.spec.Train {
				// dx = a*(g - mean(g) - xhat*mean(g*xhat)), xhat = (x-mean)*inv,
				// = a*g + c1*x + c0.
				mb, k := float32(sg/float64(m)), inv*float32(sgx/float64(m))
				c1, c0 = -a*k, a*(k*mean-mb)
			}
			bnGradX(g, y, row, relu, a, c1, c0, dx[ch*m:(ch+1)*m])
		}
	})
	if needG {
		b.spec.Gamma.AccGrad(b.ar.gradTensor(dgamma, c, 1))
	}
	if needB {
		b.spec.Beta.AccGrad(b.ar.gradTensor(dbeta, c, 1))
	}
	b.accInputs(dx, dr)
	return nil
}

// evalGrads is Backward's pass in eval mode with no gradient wanted for
// gamma and beta: the layer is then y = ReLU(a x + d + r) with constant a
// and d, so dr = g masked by the ReLU and dx = a dr, in one read of g and
// y and none of x.
func (b *batchNorm) evalGrads(gy, dx, dr []float32) {
	c, m := b.s.C, b.s.Cols()
	gamma := Data(b.spec.Gamma)
	parallelFor(c, 2*m, func(lo, hi int) {
		for ch := lo; ch < hi; ch++ {
			var gm, out []float32
			if dr != nil {
				gm = dr[ch*m : (ch+1)*m]
			}
			if dx != nil {
				out = dx[ch*m : (ch+1)*m]
			}
			bnGradEval(gy[ch*m:(ch+1)*m], b.y[ch*m:(ch+1)*m], b.spec.ReLU, gamma[ch]*b.invStd[ch], gm, out)
		}
	})
}

// accInputs hands the input's and the residual's gradients (nil when not
// wanted) to their tensors.
func (b *batchNorm) accInputs(dx, dr []float32) {
	c, m := b.s.C, b.s.Cols()
	if dr != nil {
		b.spec.Residual.AccGrad(b.ar.gradTensor(dr, c, m))
	}
	if dx != nil {
		b.x.AccGrad(b.ar.gradTensor(dx, c, m))
	}
}
