//go:build purego || !cgo

package gemm

const (
	backendName = "purego"
	// pureKernel: every kernel is Go code compiled into the binary, with
	// the split of sums fixed (see engine's reduceSplit).
	pureKernel = true
)

func library() (config, core string) { return "pure Go blocked kernel", "generic" }

// libraryKernel is kernel: this build has no other.
func libraryKernel(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	kernel(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
}

func kernel(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	blockedKernel(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
}
