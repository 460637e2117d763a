//go:build cgo && deterministic && !purego

package gemm

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestDeterministicKernelIsTheGoKernel holds the deterministic build's
// contract: its C kernel computes every element bit for bit as the pure-Go
// blockedKernel does, across transposes, strides, alpha and beta, and sizes
// that cross the 128-wide blocks and the 4-wide unrolling.
func TestDeterministicKernelIsTheGoKernel(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 3))
	for _, sh := range [][3]int{{1, 1, 1}, {3, 5, 7}, {17, 130, 259}, {64, 257, 131}, {130, 33, 4}, {9, 200, 513}} {
		m, n, k := sh[0], sh[1], sh[2]
		for _, ta := range []bool{false, true} {
			for _, tb := range []bool{false, true} {
				for _, ab := range [][2]float32{{1, 0}, {0.5, 1}, {-1.25, 0.75}} {
					lda, ldb, ldc := k+3, n+1, n+2
					if ta {
						lda = m + 3
					}
					if tb {
						ldb = k + 1
					}
					a, b := randSlice(r, need(rows(ta, m, k), cols(ta, m, k), lda)), randSlice(r, need(rows(tb, k, n), cols(tb, k, n), ldb))
					c0 := randSlice(r, need(m, n, ldc))
					got, want := append([]float32(nil), c0...), append([]float32(nil), c0...)
					kernel(ta, tb, m, n, k, ab[0], a, lda, b, ldb, ab[1], got, ldc)
					blockedKernel(ta, tb, m, n, k, ab[0], a, lda, b, ldb, ab[1], want, ldc)
					for i := range want {
						if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
							t.Fatalf("%dx%dx%d ta=%v tb=%v alpha,beta=%v: C[%d] = %v, Go kernel %v", m, n, k, ta, tb, ab, i, got[i], want[i])
						}
					}
				}
			}
		}
	}
}

func rows(trans bool, r, c int) int {
	if trans {
		return c
	}
	return r
}

func cols(trans bool, r, c int) int {
	if trans {
		return r
	}
	return c
}
