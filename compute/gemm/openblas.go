//go:build cgo && !purego && !deterministic

package gemm

/*
#cgo LDFLAGS: -lopenblas
#include <cblas.h>

// openblas_set_num_threads is declared by OpenBLAS's cblas.h; wrap it so the
// Go side does not depend on the header's exact prototype.
static void gp_single_thread(void) { openblas_set_num_threads(1); }
static const char *gp_config(void) { return openblas_get_config(); }
static const char *gp_corename(void) { return openblas_get_corename(); }
*/
import "C"

import "unsafe"

const (
	backendName = "openblas"
	// pureKernel: OpenBLAS picks its kernels per CPU at load time.
	pureKernel = false
)

// library reads OpenBLAS's build configuration and the kernel set it picked
// for this CPU at load time (DYNAMIC_ARCH builds pick per CPU).
func library() (config, core string) {
	return C.GoString(C.gp_config()), C.GoString(C.gp_corename())
}

func init() {
	// Go parallelises across panels itself; one BLAS thread per call means no
	// OpenBLAS workers spinning while Go code runs between products.
	C.gp_single_thread()
}

// The unpacked AVX-512 kernel takes the products it was measured faster on
// (BenchmarkWinogradShapes, AMD EPYC, one goroutine): every depth up to 576
// at up to 3136 columns, 1.05-1.5x (the Winograd products of every ResNet18
// layer, 1x1 and 3x3 stride-2 convolutions), and the stem's depth 9 at
// 12544 columns, 2x. It lost with A transposed from depth 1152 (0.7-0.9x),
// where each step reads 8 floats of a new row of A, and at 16384 columns of
// depth 576 (0.89x), where both only stream B from memory.
const (
	unpackedMaxK     = 768
	unpackedMaxN     = 4096
	unpackedAnyNMaxK = 16
)

// kernel runs C = alpha op(A) op(B) + beta C on the unpacked AVX-512 kernel
// when the CPU has AVX-512 and the product is one it is faster on (alpha 1,
// beta 0, B not transposed, the shapes above), else on OpenBLAS.
func kernel(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	fits := k <= unpackedMaxK && (n <= unpackedMaxN || k <= unpackedAnyNMaxK)
	if !transB && alpha == 1 && beta == 0 && fits && unpacked(transA, m, n, k, a, lda, b, ldb, c, ldc) {
		return
	}
	libraryKernel(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
}

// libraryKernel is OpenBLAS's sgemm.
func libraryKernel(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	if k == 0 {
		// BLAS would still scale C by beta; keep that contract without
		// passing pointers to possibly empty A and B slices.
		scaleC(m, n, beta, c, ldc)
		return
	}
	ta, tb := C.enum_CBLAS_TRANSPOSE(C.CblasNoTrans), C.enum_CBLAS_TRANSPOSE(C.CblasNoTrans)
	if transA {
		ta = C.CblasTrans
	}
	if transB {
		tb = C.CblasTrans
	}
	C.cblas_sgemm(C.CblasRowMajor, ta, tb, C.blasint(m), C.blasint(n), C.blasint(k),
		C.float(alpha), (*C.float)(unsafe.Pointer(&a[0])), C.blasint(lda),
		(*C.float)(unsafe.Pointer(&b[0])), C.blasint(ldb),
		C.float(beta), (*C.float)(unsafe.Pointer(&c[0])), C.blasint(ldc))
}
