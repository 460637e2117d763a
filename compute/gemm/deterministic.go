//go:build cgo && deterministic && !purego

package gemm

/*
#cgo CFLAGS: -O3 -std=c11

// blockedKernel (blocked.go) in C, so the compiler vectorises its inner loop
// over a row of C: the same products added in the same order as the Go
// kernel, element by element. ISO C mode (-std=c11) turns gcc's default
// -ffp-contract=fast off: no multiply and add are fused into an FMA (which
// rounds once instead of twice), so the AVX-512, AVX2 and SSE2 clones, one
// of which the loader picks per CPU, all round alike (cgo refuses
// -ffp-contract itself as a flag).
#define GP_KB 128
#define GP_NB 128

#if defined(__x86_64__) && defined(__GNUC__)
#define GP_CLONES __attribute__((target_clones("avx512f", "avx2", "default")))
#else
#define GP_CLONES
#endif

GP_CLONES static void gp_det_gemm(int ta, int tb, long m, long n, long k, float alpha,
		const float *a, long lda, const float *b, long ldb, float beta, float *c, long ldc) {
	float bp[GP_KB * GP_NB], ap[GP_KB], ar[4][GP_KB];
	if (beta != 1)
		for (long i = 0; i < m; i++)
			for (long j = 0; j < n; j++) c[i * ldc + j] = beta == 0 ? 0 : c[i * ldc + j] * beta;
	if (k == 0 || alpha == 0) return;
	for (long j0 = 0; j0 < n; j0 += GP_NB) {
		long jn = n - j0 < GP_NB ? n - j0 : GP_NB;
		for (long p0 = 0; p0 < k; p0 += GP_KB) {
			long pn = k - p0 < GP_KB ? k - p0 : GP_KB;
			for (long p = 0; p < pn; p++)
				for (long j = 0; j < jn; j++)
					bp[p * jn + j] = tb ? b[(j0 + j) * ldb + p0 + p] : b[(p0 + p) * ldb + j0 + j];
			// Four rows of C at a time share each load of the B panel; every
			// element is still summed in the Go kernel's order.
			long i = 0;
			for (; i + 4 <= m; i += 4) {
				for (int r = 0; r < 4; r++)
					for (long p = 0; p < pn; p++)
						ar[r][p] = alpha * (ta ? a[(p0 + p) * lda + i + r] : a[(i + r) * lda + p0 + p]);
				float *restrict c0 = c + i * ldc + j0, *restrict c1 = c0 + ldc, *restrict c2 = c1 + ldc, *restrict c3 = c2 + ldc;
				long p = 0;
				for (; p + 4 <= pn; p += 4) {
					const float *restrict b0 = bp + p * jn, *restrict b1 = b0 + jn, *restrict b2 = b1 + jn, *restrict b3 = b2 + jn;
#define GP_ROW(cr, r) do { \
		const float x0 = ar[r][p], x1 = ar[r][p + 1], x2 = ar[r][p + 2], x3 = ar[r][p + 3]; \
		for (long j = 0; j < jn; j++) cr[j] += x0 * b0[j] + x1 * b1[j] + x2 * b2[j] + x3 * b3[j]; \
	} while (0)
					GP_ROW(c0, 0);
					GP_ROW(c1, 1);
					GP_ROW(c2, 2);
					GP_ROW(c3, 3);
#undef GP_ROW
				}
				for (; p < pn; p++) {
					const float *restrict bq = bp + p * jn;
					const float v0 = ar[0][p], v1 = ar[1][p], v2 = ar[2][p], v3 = ar[3][p];
					for (long j = 0; j < jn; j++) {
						c0[j] += v0 * bq[j];
						c1[j] += v1 * bq[j];
						c2[j] += v2 * bq[j];
						c3[j] += v3 * bq[j];
					}
				}
			}
			for (; i < m; i++) {
				for (long p = 0; p < pn; p++) ap[p] = alpha * (ta ? a[(p0 + p) * lda + i] : a[i * lda + p0 + p]);
				float *restrict crow = c + i * ldc + j0;
				long p = 0;
				for (; p + 4 <= pn; p += 4) {
					const float a0 = ap[p], a1 = ap[p + 1], a2 = ap[p + 2], a3 = ap[p + 3];
					const float *restrict b0 = bp + p * jn, *restrict b1 = b0 + jn, *restrict b2 = b1 + jn, *restrict b3 = b2 + jn;
					for (long j = 0; j < jn; j++) crow[j] += a0 * b0[j] + a1 * b1[j] + a2 * b2[j] + a3 * b3[j];
				}
				for (; p < pn; p++) {
					const float av = ap[p];
					const float *restrict bq = bp + p * jn;
					for (long j = 0; j < jn; j++) crow[j] += av * bq[j];
				}
			}
		}
	}
}
*/
import "C"

import "unsafe"

const (
	backendName = "deterministic"
	// pureKernel: the kernel rounds as the pure-Go one does on every CPU,
	// and the split of sums is fixed (see engine's reduceSplit).
	pureKernel = true
)

func library() (config, core string) {
	return "blocked C kernel, no FMA contraction (bit-identical to the pure-Go kernel)", "generic"
}

// libraryKernel is kernel: this build has no other.
func libraryKernel(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	kernel(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
}

func kernel(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	C.gp_det_gemm(cbool(transA), cbool(transB), C.long(m), C.long(n), C.long(k), C.float(alpha),
		fp(a), C.long(lda), fp(b), C.long(ldb), C.float(beta), fp(c), C.long(ldc))
}

func cbool(b bool) C.int {
	if b {
		return 1
	}
	return 0
}

// fp is the address of s's first element, or nil for an empty slice (a
// zero-sized operand the kernel does not read).
func fp(s []float32) *C.float {
	if len(s) == 0 {
		return nil
	}
	return (*C.float)(unsafe.Pointer(unsafe.SliceData(s)))
}
