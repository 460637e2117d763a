// Package flag is gradprint's failure study and what flag deploys from it.
//
// It scores each incoming image (a Sample: the model's logits, penultimate
// features and gradient fingerprint of the image as received) with the
// post-hoc scores of package scores, the fingerprint distance to the clean
// train fingerprints, SIRC and two learned detectors: an L2-regularised
// logistic regression on the fingerprint (detector) and on the fingerprint
// with the confidences (detector_msp). Study evaluates every score in the
// i.i.d., corruption-shift and deployment-mix settings, learned scores in a
// seen and a leave-one-corruption-out unseen regime, fitting on validation
// only; it also measures degraded-input detection and what an SGR risk
// guarantee delivers. NewDeployment fits what flag uses, choosing the score
// by validated AURC and refusing a degenerate detector.
//
// The fit is deterministic: Newton's method with a backtracking line search
// from zero (warm-started along the regularisation path), the regularisation
// strength picked by stratified k-fold cross-validation whose fold split is
// drawn from an explicit seed.
package flag

import (
	"errors"
	"fmt"
	"math"
)

// objective is the penalised mean log-loss of the logistic model on
// standardised features z (n rows of d, flat), residuals y (1 = wrong) and
// parameters theta = (w_1..w_d, b):
//
//	L = (1/n) sum_i [softplus(eta_i) - y_i eta_i] + (lambda/2) |w|^2
//
// The mean (not the sum) keeps lambda comparable across fit-set sizes, and
// the bias is not penalised so the base failure rate is free. If grad is not
// nil it receives dL/dtheta; if hess is not nil it receives the full
// symmetric (d+1) x (d+1) Hessian (hess requires grad).
func objective(z []float64, y []float64, d int, lambda float64, theta, grad, hess []float64) float64 {
	n := len(y)
	D := d + 1
	if grad != nil {
		clear(grad)
	}
	if hess != nil {
		clear(hess)
	}
	loss := 0.0
	for i := range n {
		row := z[i*d : (i+1)*d]
		eta := theta[d]
		for j, v := range row {
			eta += theta[j] * v
		}
		loss += softplus(eta) - y[i]*eta
		if grad == nil {
			continue
		}
		p := sigmoid(eta)
		r := p - y[i]
		for j, v := range row {
			grad[j] += r * v
		}
		grad[d] += r
		if hess == nil {
			continue
		}
		h := p * (1 - p)
		for a, va := range row {
			ha := h * va
			hr := hess[a*D : (a+1)*D]
			for b := a; b < d; b++ {
				hr[b] += ha * row[b]
			}
			hr[d] += ha
		}
		hess[d*D+d] += h
	}
	inv := 1 / float64(n)
	pen := 0.0
	for j := range d {
		pen += theta[j] * theta[j]
	}
	loss = loss*inv + 0.5*lambda*pen
	if grad != nil {
		for j := range grad {
			grad[j] *= inv
		}
		for j := range d {
			grad[j] += lambda * theta[j]
		}
	}
	if hess != nil {
		for a := range D {
			for b := a; b < D; b++ {
				hess[a*D+b] *= inv
				hess[b*D+a] = hess[a*D+b]
			}
		}
		for j := range d {
			hess[j*D+j] += lambda
		}
	}
	return loss
}

// softplus(x) = log(1 + e^x) without overflow for large |x|.
func softplus(x float64) float64 {
	if x > 0 {
		return x + math.Log1p(math.Exp(-x))
	}
	return math.Log1p(math.Exp(x))
}

func sigmoid(x float64) float64 {
	if x >= 0 {
		return 1 / (1 + math.Exp(-x))
	}
	e := math.Exp(x)
	return e / (1 + e)
}

// logLoss is the unpenalised mean log-loss of theta on (z, y): the
// cross-validation criterion.
func logLoss(z, y []float64, d int, theta []float64) float64 {
	return objective(z, y, d, 0, theta, nil, nil) // lambda 0: no penalty
}

// newton minimises objective from theta (updated in place). The problem is
// strictly convex for lambda > 0 when both classes are present, so Newton
// with Armijo backtracking converges from any start; we stop on the
// gradient's max-norm, which is scale-free because features are
// standardised.
func newton(z, y []float64, d int, lambda float64, theta []float64, maxIter int, tol float64) (int, error) {
	D := d + 1
	grad := make([]float64, D)
	hess := make([]float64, D*D)
	step := make([]float64, D)
	trial := make([]float64, D)
	for it := 0; it < maxIter; it++ {
		loss := objective(z, y, d, lambda, theta, grad, hess)
		if maxAbs(grad) < tol {
			return it, nil
		}
		if err := cholSolve(hess, D, grad, step); err != nil {
			return it, fmt.Errorf("newton step %d: %w", it, err)
		}
		slope := 0.0 // directional derivative along -step, negative
		for j := range D {
			slope -= grad[j] * step[j]
		}
		t := 1.0
		for range 60 {
			for j := range D {
				trial[j] = theta[j] - t*step[j]
			}
			if objective(z, y, d, lambda, trial, nil, nil) <= loss+1e-4*t*slope {
				break
			}
			t /= 2
		}
		copy(theta, trial)
		if t*maxAbs(step) < 1e-15*(1+maxAbs(theta)) {
			// No representable progress left: accept if the gradient is
			// already tiny relative to its scale.
			objective(z, y, d, lambda, theta, grad, nil)
			if maxAbs(grad) < 1e3*tol {
				return it + 1, nil
			}
			return it + 1, fmt.Errorf("newton stalled with gradient %.3g", maxAbs(grad))
		}
	}
	objective(z, y, d, lambda, theta, grad, nil)
	if maxAbs(grad) < tol {
		return maxIter, nil
	}
	return maxIter, fmt.Errorf("no convergence in %d Newton iterations (gradient %.3g, lambda %g)", maxIter, maxAbs(grad), lambda)
}

func maxAbs(v []float64) float64 {
	m := 0.0
	for _, x := range v {
		m = max(m, math.Abs(x))
	}
	return m
}

var errNotPD = errors.New("Hessian is not positive definite")

// cholSolve solves A x = b for symmetric positive-definite A (n x n, flat),
// factorising a copy in place so A can be reused by the caller.
func cholSolve(a []float64, n int, b, x []float64) error {
	l := make([]float64, n*n)
	for i := range n {
		for j := 0; j <= i; j++ {
			s := a[i*n+j]
			for k := range j {
				s -= l[i*n+k] * l[j*n+k]
			}
			if i == j {
				if !(s > 0) {
					return fmt.Errorf("%w (pivot %d is %g)", errNotPD, i, s)
				}
				l[i*n+i] = math.Sqrt(s)
			} else {
				l[i*n+j] = s / l[j*n+j]
			}
		}
	}
	for i := range n {
		s := b[i]
		for k := range i {
			s -= l[i*n+k] * x[k]
		}
		x[i] = s / l[i*n+i]
	}
	for i := n - 1; i >= 0; i-- {
		s := x[i]
		for k := i + 1; k < n; k++ {
			s -= l[k*n+i] * x[k]
		}
		x[i] = s / l[i*n+i]
	}
	return nil
}
