package gemm

// scaleC computes C = beta*C with BLAS semantics: beta 0 overwrites, so
// uninitialised (even NaN) memory in C never leaks into the result.
func scaleC(m, n int, beta float32, c []float32, ldc int) {
	if beta == 1 {
		return
	}
	for i := 0; i < m; i++ {
		row := c[i*ldc : i*ldc+n]
		if beta == 0 {
			clear(row)
			continue
		}
		for j := range row {
			row[j] *= beta
		}
	}
}
