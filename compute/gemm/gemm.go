// Package gemm is the single-precision matrix multiply every convolution and
// linear layer of gradprint runs on. The default backend is OpenBLAS through
// cgo; the build tag purego (or building without cgo) selects a blocked
// pure-Go kernel so the module still builds where OpenBLAS is absent, and
// the tag deterministic the same kernel in C, vectorised but rounding as
// the Go one does, for results that do not depend on the CPU.
//
// Parallelism is owned by Go, not by the BLAS: OpenBLAS is pinned to one
// thread and Sgemm splits large products into as many column (or row) panels
// as GOMAXPROCS and runs them in goroutines. OpenBLAS's own worker threads
// busy-wait between calls and were measured to steal the cores from the Go
// code (im2col, batch norm, pooling) that runs between GEMMs.
package gemm

import (
	"fmt"
	"runtime"
	"sync"
	"time"
)

// splitFlops is the product size under which one goroutine is faster than
// two: below it the goroutine hand-off costs more than the work saved.
const splitFlops = 4 << 20

// Backend names the kernel compiled in ("openblas" or "purego").
func Backend() string { return backendName }

// Library describes the GEMM library as it runs: its build configuration
// (for OpenBLAS the version and build options, e.g. "OpenBLAS 0.3.21
// DYNAMIC_ARCH NO_AFFINITY Haswell MAX_THREADS=64") and the kernel set in use
// on this CPU (OpenBLAS's core type, e.g. "Haswell" or "SkylakeX"). Two
// machines with different core types round sums differently, so the same
// seed can train a different model.
func Library() (config, core string) { return library() }

// Deterministic reports whether this build trains bit-identical weights on
// every x86-64 CPU and at every GOMAXPROCS: the purego or deterministic
// build (the blocked kernel, in Go or in C without FMA contraction, and
// engine's kernels, which round alike in Go and C, with every batch sum
// split into a fixed number of parts), compiled for GOARCH=amd64 at
// GOAMD64 v1 or v2, so the Go compiler fuses no product into an FMA. The OpenBLAS build is not: its kernels, and
// so the order its sums round in, depend on the CPU, and its batch splits
// on the core count.
func Deterministic() bool { return pureKernel && !compilerFuses }

// Sgemm computes C = alpha*op(A)*op(B) + beta*C on row-major matrices, where
// op(X) is X or its transpose, op(A) is m x k, op(B) is k x n and C is m x n.
// lda, ldb and ldc are the row strides of A, B and C as stored. When beta is
// 0, C need not be initialised (NaNs in it are overwritten, as in BLAS).
//
// Sgemm panics if a slice is too short for its dimensions: the callers in
// gradprint validate shapes before they multiply, so a short slice is a bug.
func Sgemm(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	sgemmWith(kernel, transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
}

// kernelFunc is the signature of kernel and libraryKernel.
type kernelFunc func(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int)

// sgemmWith is Sgemm on kern.
func sgemmWith(kern kernelFunc, transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	if err := check(transA, transB, m, n, k, a, lda, b, ldb, c, ldc); err != nil {
		panic(err)
	}
	if m == 0 || n == 0 {
		return
	}
	workers := runtime.GOMAXPROCS(0)
	if workers < 2 || 2*m*n*k < splitFlops {
		kern(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
		return
	}
	var wg sync.WaitGroup
	if n >= m {
		// Column panels: C[:, j0:j1] = op(A) * op(B)[:, j0:j1].
		for w := 0; w < workers; w++ {
			j0, j1 := n*w/workers, n*(w+1)/workers
			if j0 == j1 {
				continue
			}
			var bj []float32
			if transB {
				bj = b[j0*ldb:]
			} else {
				bj = b[j0:]
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				kern(transA, transB, m, j1-j0, k, alpha, a, lda, bj, ldb, beta, c[j0:], ldc)
			}()
		}
	} else {
		// Row panels: C[i0:i1, :] = op(A)[i0:i1, :] * op(B).
		for w := 0; w < workers; w++ {
			i0, i1 := m*w/workers, m*(w+1)/workers
			if i0 == i1 {
				continue
			}
			var ai []float32
			if transA {
				ai = a[i0:]
			} else {
				ai = a[i0*lda:]
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				kern(transA, transB, i1-i0, n, k, alpha, ai, lda, b, ldb, beta, c[i0*ldc:], ldc)
			}()
		}
	}
	wg.Wait()
}

// SgemmSerial is Sgemm on the calling goroutine only, for callers that
// already run one product per core.
func SgemmSerial(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	if err := check(transA, transB, m, n, k, a, lda, b, ldb, c, ldc); err != nil {
		panic(err)
	}
	if m == 0 || n == 0 {
		return
	}
	kernel(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
}

// need returns the minimum slice length of a rows x cols row-major matrix
// with row stride ld.
func need(rows, cols, ld int) int {
	if rows == 0 || cols == 0 {
		return 0
	}
	return (rows-1)*ld + cols
}

func check(transA, transB bool, m, n, k int, a []float32, lda int, b []float32, ldb int, c []float32, ldc int) error {
	if m < 0 || n < 0 || k < 0 {
		return fmt.Errorf("gemm: negative dimension m=%d n=%d k=%d", m, n, k)
	}
	ar, ac := m, k
	if transA {
		ar, ac = k, m
	}
	br, bc := k, n
	if transB {
		br, bc = n, k
	}
	if lda < max(1, ac) || ldb < max(1, bc) || ldc < max(1, n) {
		return fmt.Errorf("gemm: leading dimension too small: lda=%d (cols %d) ldb=%d (cols %d) ldc=%d (cols %d)", lda, ac, ldb, bc, ldc, n)
	}
	if len(a) < need(ar, ac, lda) {
		return fmt.Errorf("gemm: A has %d elements, need %d for %dx%d with lda %d", len(a), need(ar, ac, lda), ar, ac, lda)
	}
	if len(b) < need(br, bc, ldb) {
		return fmt.Errorf("gemm: B has %d elements, need %d for %dx%d with ldb %d", len(b), need(br, bc, ldb), br, bc, ldb)
	}
	if len(c) < need(m, n, ldc) {
		return fmt.Errorf("gemm: C has %d elements, need %d for %dx%d with ldc %d", len(c), need(m, n, ldc), m, n, ldc)
	}
	return nil
}

// Peak measures this machine's Sgemm throughput in GFLOPS on square
// size x size products, running for at least minTime (and at least 3
// products) and reporting the best rate seen, as the bench CLI's yardstick
// for "fraction of peak".
func Peak(size int, minTime time.Duration) float64 {
	if size <= 0 {
		return 0
	}
	a := make([]float32, size*size)
	b := make([]float32, size*size)
	c := make([]float32, size*size)
	for i := range a {
		a[i] = float32(i%7) * 0.25
		b[i] = float32(i%5) * 0.5
	}
	flops := 2 * float64(size) * float64(size) * float64(size)
	// The library's own kernel, not the unpacked one Sgemm routes some
	// shapes to: the peak is the reference the passes are measured against.
	peak := func() { sgemmWith(libraryKernel, false, false, size, size, size, 1, a, size, b, size, 0, c, size) }
	peak() // warm up caches and OpenBLAS buffers
	best := 0.0
	start := time.Now()
	for reps := 0; reps < 3 || time.Since(start) < minTime; reps++ {
		t := time.Now()
		peak()
		if g := flops / time.Since(t).Seconds() / 1e9; g > best {
			best = g
		}
	}
	return best
}
