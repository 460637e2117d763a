package scores

import (
	"fmt"
	"math"
)

// Dense symmetric linear algebra on flat row-major d x d float64 slices,
// only as much as the Mahalanobis score needs: a Cholesky factorisation and
// a forward substitution. Both loop over contiguous row prefixes, so the
// inner loops are plain dot products.

// cholesky overwrites the symmetric positive definite d x d matrix a (only
// its lower triangle is read) with its lower-triangular factor L, a = L L^T,
// and zeroes the strict upper triangle. It fails at the first pivot that is
// not positive relative to its diagonal entry: a matrix that singular would
// factor into a garbage inverse rather than an error.
func cholesky(a []float64, d int) error {
	// A pivot is the diagonal entry minus what the earlier columns explain;
	// d * eps of the entry is the rounding noise of that subtraction.
	tiny := float64(d) * 0x1p-52
	for j := range d {
		rowj := a[j*d : j*d+j+1]
		ajj := rowj[j]
		piv := ajj - dot(rowj[:j], rowj[:j])
		if !(piv > tiny*ajj) {
			return fmt.Errorf("cholesky: matrix not positive definite: pivot %d is %.3g of its diagonal entry %.3g", j, piv, ajj)
		}
		ljj := math.Sqrt(piv)
		rowj[j] = ljj
		for i := j + 1; i < d; i++ {
			rowi := a[i*d : i*d+j+1]
			rowi[j] = (rowi[j] - dot(rowi[:j], rowj[:j])) / ljj
		}
	}
	for i := range d {
		clear(a[i*d+i+1 : (i+1)*d])
	}
	return nil
}

// forwardSolve writes y = L^-1 b for the lower-triangular d x d factor L.
// y and b may be the same slice.
func forwardSolve(y []float64, l []float64, d int, b []float64) {
	for i := range d {
		row := l[i*d : i*d+i+1]
		y[i] = (b[i] - dot(row[:i], y[:i])) / row[i]
	}
}

// dot is sum_k a_k b_k over len(a) terms; b must be at least as long.
func dot(a, b []float64) float64 {
	b = b[:len(a)]
	// Four partial sums break the dependency chain of a single
	// accumulator, which would otherwise bound the speed by the latency
	// of one addition per term.
	var s0, s1, s2, s3 float64
	k := 0
	for ; k+4 <= len(a); k += 4 {
		s0 += a[k] * b[k]
		s1 += a[k+1] * b[k+1]
		s2 += a[k+2] * b[k+2]
		s3 += a[k+3] * b[k+3]
	}
	for ; k < len(a); k++ {
		s0 += a[k] * b[k]
	}
	return (s0 + s1) + (s2 + s3)
}
