//go:build cgo && !purego && !deterministic

package gemm

/*
#cgo CFLAGS: -O3 -std=c11
#include <immintrin.h>
#include <stdlib.h>
#include <string.h>

// C = op(A) B for row-major A (M x K, or K x M when transA) and B (K x N),
// with AVX-512 and no packing of A: 8 rows of C times 32 columns per step,
// each 32-column panel of B copied once and read by every row block, A read
// in place. OpenBLAS copies both operands into its panel layout first,
// which is a third of its time on the Winograd products of small images
// (K = 64 channels, or N = 32 tiles).
#define GP_MR 8

__attribute__((target("avx512f,fma"), always_inline)) static inline void gp_np_block(int transA, long K,
		const float *restrict A, long lda, const float *restrict B, long ldb, float *restrict C, long ldc,
		long i0, long jb, long j0, __mmask16 m0, __mmask16 m1) {
	__m512 c0[GP_MR], c1[GP_MR];
#pragma GCC unroll 8
	for (int r = 0; r < GP_MR; r++) c0[r] = c1[r] = _mm512_setzero_ps();
	const float *b = B + jb;
	for (long k = 0; k < K; k++, b += ldb) {
		__m512 b0 = _mm512_maskz_loadu_ps(m0, b), b1 = _mm512_maskz_loadu_ps(m1, b + 16);
#pragma GCC unroll 8
		for (int r = 0; r < GP_MR; r++) {
			__m512 a = _mm512_set1_ps(transA ? A[k * lda + i0 + r] : A[(i0 + r) * lda + k]);
			c0[r] = _mm512_fmadd_ps(a, b0, c0[r]);
			c1[r] = _mm512_fmadd_ps(a, b1, c1[r]);
		}
	}
#pragma GCC unroll 8
	for (int r = 0; r < GP_MR; r++) {
		_mm512_mask_storeu_ps(C + (i0 + r) * ldc + j0, m0, c0[r]);
		_mm512_mask_storeu_ps(C + (i0 + r) * ldc + j0 + 16, m1, c1[r]);
	}
}

__attribute__((target("avx512f,fma"), always_inline)) static inline void gp_np_row(int transA, long K,
		const float *restrict A, long lda, const float *restrict B, long ldb, float *restrict C, long ldc,
		long i, long jb, long j0, __mmask16 m0, __mmask16 m1) {
	__m512 c0 = _mm512_setzero_ps(), c1 = _mm512_setzero_ps();
	const float *b = B + jb;
	for (long k = 0; k < K; k++, b += ldb) {
		__m512 a = _mm512_set1_ps(transA ? A[k * lda + i] : A[i * lda + k]);
		c0 = _mm512_fmadd_ps(a, _mm512_maskz_loadu_ps(m0, b), c0);
		c1 = _mm512_fmadd_ps(a, _mm512_maskz_loadu_ps(m1, b + 16), c1);
	}
	_mm512_mask_storeu_ps(C + i * ldc + j0, m0, c0);
	_mm512_mask_storeu_ps(C + i * ldc + j0 + 16, m1, c1);
}

// The 32-column panel of B is copied to a contiguous buffer first: read in
// place, its rows sit ldb apart, and at a power-of-two ldb (1024 Winograd
// tiles, 16384 im2col columns) they all fall in a few cache sets and
// evict each other before the next 8 rows of C come back for them.
__attribute__((target("avx512f,fma"), always_inline)) static inline void gp_np_gemm(int transA, long M, long N, long K,
		const float *A, long lda, const float *B, long ldb, float *C, long ldc, float *restrict panel) {
	for (long j0 = 0; j0 < N; j0 += 32) {
		long nr = N - j0 < 32 ? N - j0 : 32;
		__mmask16 m0 = nr >= 16 ? 0xFFFF : (__mmask16)((1u << nr) - 1);
		__mmask16 m1 = nr <= 16 ? 0 : nr >= 32 ? 0xFFFF : (__mmask16)((1u << (nr - 16)) - 1);
		for (long k = 0; k < K; k++) {
			_mm512_store_ps(panel + 32 * k, _mm512_maskz_loadu_ps(m0, B + k * ldb + j0));
			_mm512_store_ps(panel + 32 * k + 16, _mm512_maskz_loadu_ps(m1, B + k * ldb + j0 + 16));
		}
		long i0 = 0;
		for (; i0 + GP_MR <= M; i0 += GP_MR) gp_np_block(transA, K, A, lda, panel, 32, C, ldc, i0, 0, j0, m0, m1);
		for (; i0 < M; i0++) gp_np_row(transA, K, A, lda, panel, 32, C, ldc, i0, 0, j0, m0, m1);
	}
}

// One copy per transA, so the choice is made once, outside the loops.
// It returns 0, or -1 when the panel buffer could not be allocated.
__attribute__((target("avx512f,fma"))) static int gp_unpacked(int transA, long M, long N, long K,
		const float *A, long lda, const float *B, long ldb, float *C, long ldc) {
	float *panel = aligned_alloc(64, 32 * K * sizeof(float));
	if (!panel) return -1;
	if (transA)
		gp_np_gemm(1, M, N, K, A, lda, B, ldb, C, ldc, panel);
	else
		gp_np_gemm(0, M, N, K, A, lda, B, ldb, C, ldc, panel);
	free(panel);
	return 0;
}
*/
import "C"

import (
	"unsafe"

	"golang.org/x/sys/cpu"
)

// unpackedOK: the CPU runs the AVX-512 kernel (F is all it uses).
var unpackedOK = cpu.X86.HasAVX512F

// unpacked computes C = op(A) B (alpha 1, beta 0, B not transposed) with
// the kernel above and reports true, or does nothing and reports false when
// the CPU lacks AVX-512. Callers have checked the shapes.
func unpacked(transA bool, m, n, k int, a []float32, lda int, b []float32, ldb int, c []float32, ldc int) bool {
	if !unpackedOK || m == 0 || n == 0 || k == 0 {
		return false
	}
	ta := C.int(0)
	if transA {
		ta = 1
	}
	// Out of memory for a panel of at most 96 KiB: OpenBLAS then reports
	// it its own way.
	return C.gp_unpacked(ta, C.long(m), C.long(n), C.long(k), (*C.float)(unsafe.Pointer(&a[0])), C.long(lda),
		(*C.float)(unsafe.Pointer(&b[0])), C.long(ldb), (*C.float)(unsafe.Pointer(&c[0])), C.long(ldc)) == 0
}
