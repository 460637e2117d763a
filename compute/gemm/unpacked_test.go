//go:build cgo && !purego && !deterministic

package gemm

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// The unpacked kernel against the naive triple loop in float64, over shapes
// that hit every edge: rows not a multiple of 8, columns not a multiple of
// 32 or of 16, strides wider than the matrices, and both layouts of A.
func TestUnpackedMatchesNaive(t *testing.T) {
	if !unpackedOK {
		t.Skip("this CPU has no AVX-512: the unpacked kernel cannot run (OpenBLAS serves every product)")
	}
	r := rand.New(rand.NewPCG(3, 4))
	for _, s := range []struct{ m, n, k int }{{1, 1, 1}, {8, 32, 5}, {9, 33, 7}, {7, 15, 3}, {17, 48, 64}, {64, 100, 64}, {24, 16, 1}} {
		for _, transA := range []bool{false, true} {
			lda, ldb, ldc := s.k+3, s.n+5, s.n+2
			if transA {
				lda = s.m + 3
			}
			ar := s.m
			if transA {
				ar = s.k
			}
			a, b := randSlice(r, ar*lda), randSlice(r, s.k*ldb)
			c := randSlice(r, s.m*ldc) // beta 0: old contents must not leak in
			sentinel := append([]float32(nil), c...)
			if !unpacked(transA, s.m, s.n, s.k, a, lda, b, ldb, c, ldc) {
				t.Fatal("unpacked declined on a CPU with AVX-512")
			}
			for i := 0; i < s.m; i++ {
				for j := 0; j < ldc; j++ {
					if j >= s.n {
						if c[i*ldc+j] != sentinel[i*ldc+j] {
							t.Fatalf("%v transA=%v: wrote C[%d][%d] past n", s, transA, i, j)
						}
						continue
					}
					var want float64
					for p := 0; p < s.k; p++ {
						ai := i*lda + p
						if transA {
							ai = p*lda + i
						}
						av := a[ai]
						want += float64(av) * float64(b[p*ldb+j])
					}
					if got := float64(c[i*ldc+j]); math.Abs(got-want) > 1e-5*(1+math.Abs(want))*float64(s.k) {
						t.Fatalf("%v transA=%v: C[%d][%d] = %v, want %v", s, transA, i, j, got, want)
					}
				}
			}
		}
	}
}

// BenchmarkWinogradShapes compares the unpacked kernel with OpenBLAS, one
// goroutine, on the Winograd products of ResNet18 (forward M = U V,
// backward dV = Uᵀ dM) at 28 and 64 px, and on the im2col products (stem,
// 1x1 and 3x3 stride-2 convolutions) and deeper or wider shapes that set
// the routing limits in openblas.go:
//
//	go test -run '^$' -bench WinogradShapes ./compute/gemm/
func BenchmarkWinogradShapes(b *testing.B) {
	r := rand.New(rand.NewPCG(1, 2))
	for _, s := range []struct{ m, n, k int }{{64, 784, 64}, {128, 512, 128}, {256, 128, 256}, {512, 32, 512}, {64, 1024, 64}, {512, 128, 512}, {64, 12544, 9}, {128, 3136, 576}, {128, 3136, 64}, {512, 256, 1152}, {512, 256, 2304}, {512, 512, 4608}, {128, 16384, 576}, {512, 1024, 512}, {128, 6272, 576}, {256, 1568, 1152}, {512, 512, 2304}} {
		for _, transA := range []bool{false, true} {
			a, bb, c := randSlice(r, s.m*s.k), randSlice(r, s.k*s.n), make([]float32, s.m*s.n)
			lda := s.k
			if transA {
				lda = s.m
			}
			flops := 2 * float64(s.m*s.n*s.k)
			for _, impl := range []string{"openblas", "unpacked"} {
				b.Run(fmt.Sprintf("%dx%dx%d/transA=%v/%s", s.m, s.n, s.k, transA, impl), func(b *testing.B) {
					for b.Loop() {
						if impl == "openblas" || !unpacked(transA, s.m, s.n, s.k, a, lda, bb, s.n, c, s.n) {
							libraryKernel(transA, false, s.m, s.n, s.k, 1, a, lda, bb, s.n, 0, c, s.n)
						}
					}
					b.ReportMetric(flops*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOPS")
				})
			}
		}
	}
}
