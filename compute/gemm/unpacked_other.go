//go:build cgo && !purego && !deterministic && !amd64

package gemm

// unpackedOK: the unpacked kernel is AVX-512 and exists only on amd64.
const unpackedOK = false

// unpacked declines every product off amd64: OpenBLAS runs them all.
func unpacked(transA bool, m, n, k int, a []float32, lda int, b []float32, ldb int, c []float32, ldc int) bool {
	return false
}
