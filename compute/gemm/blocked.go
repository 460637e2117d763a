package gemm

// Block sizes keep a kb x nb panel of op(B) (64 KiB) and one row of C in L2.
const (
	kb = 128
	nb = 128
)

// blockedKernel is a blocked, single-goroutine product; Sgemm runs one per
// core. It is the pure-Go build's kernel and the reference the
// deterministic build's C kernel must reproduce bit for bit: every element
// of C is summed over k in the same order whatever the panel split, which
// is what makes the pure-Go build independent of the core count.
// op(A) and op(B) are packed into contiguous row-major blocks so the inner
// loop is a unit-stride multiply-add over a row of C regardless of the
// transposes.
func blockedKernel(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	scaleC(m, n, beta, c, ldc)
	if k == 0 || alpha == 0 {
		return
	}
	bp := make([]float32, kb*nb)
	ap := make([]float32, kb)
	for j0 := 0; j0 < n; j0 += nb {
		jn := min(nb, n-j0)
		for p0 := 0; p0 < k; p0 += kb {
			pn := min(kb, k-p0)
			// Pack op(B)[p0:p0+pn, j0:j0+jn].
			for p := 0; p < pn; p++ {
				dst := bp[p*jn : p*jn+jn]
				if transB {
					for j := range dst {
						dst[j] = b[(j0+j)*ldb+p0+p]
					}
				} else {
					copy(dst, b[(p0+p)*ldb+j0:])
				}
			}
			for i := 0; i < m; i++ {
				for p := 0; p < pn; p++ {
					if transA {
						ap[p] = alpha * a[(p0+p)*lda+i]
					} else {
						ap[p] = alpha * a[i*lda+p0+p]
					}
				}
				crow := c[i*ldc+j0 : i*ldc+j0+jn]
				p := 0
				for ; p+4 <= pn; p += 4 {
					a0, a1, a2, a3 := ap[p], ap[p+1], ap[p+2], ap[p+3]
					b0 := bp[p*jn : p*jn+jn]
					b1 := bp[(p+1)*jn : (p+1)*jn+jn]
					b2 := bp[(p+2)*jn : (p+2)*jn+jn]
					b3 := bp[(p+3)*jn : (p+3)*jn+jn]
					for j := range crow {
						crow[j] += a0*b0[j] + a1*b1[j] + a2*b2[j] + a3*b3[j]
					}
				}
				for ; p < pn; p++ {
					av := ap[p]
					bq := bp[p*jn : p*jn+jn]
					for j := range crow {
						crow[j] += av * bq[j]
					}
				}
			}
		}
	}
}
