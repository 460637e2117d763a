package gemm

import (
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"strings"
	"testing"
	"time"
)

// refGemm is the textbook triple loop in float64.
func refGemm(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) []float32 {
	out := append([]float32(nil), c...)
	for i := 0; i < m; i++ {
		for j := 0; j < n; j++ {
			var s float64
			for p := 0; p < k; p++ {
				var av, bv float32
				if transA {
					av = a[p*lda+i]
				} else {
					av = a[i*lda+p]
				}
				if transB {
					bv = b[j*ldb+p]
				} else {
					bv = b[p*ldb+j]
				}
				s += float64(av) * float64(bv)
			}
			v := float64(alpha) * s
			if beta != 0 {
				v += float64(beta) * float64(c[i*ldc+j])
			}
			out[i*ldc+j] = float32(v)
		}
	}
	return out
}

func randSlice(r *rand.Rand, n int) []float32 {
	s := make([]float32, n)
	for i := range s {
		s[i] = float32(r.NormFloat64())
	}
	return s
}

func TestSgemmMatchesReference(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	// Sizes straddle the block sizes and the split threshold; pads exercise
	// leading dimensions larger than the logical width.
	sizes := [][3]int{{1, 1, 1}, {3, 5, 7}, {17, 1, 33}, {64, 300, 129}, {300, 64, 200}, {129, 257, 130}, {5, 0, 3}, {4, 6, 0},
		// Thin products big enough to be split into row or column panels.
		{2048, 400, 3}, {400, 2048, 3}}
	for _, sz := range sizes {
		m, n, k := sz[0], sz[1], sz[2]
		for _, ta := range []bool{false, true} {
			for _, tb := range []bool{false, true} {
				for _, ab := range [][2]float32{{1, 0}, {0.5, 1}, {-2, 0.25}} {
					name := fmt.Sprintf("%dx%dx%d/tA=%v/tB=%v/alpha=%v/beta=%v", m, n, k, ta, tb, ab[0], ab[1])
					pad := 3
					ar, ac := m, k
					if ta {
						ar, ac = k, m
					}
					br, bc := k, n
					if tb {
						br, bc = n, k
					}
					lda, ldb, ldc := ac+pad, bc+pad, n+pad
					a := randSlice(r, max(1, ar*lda))
					b := randSlice(r, max(1, br*ldb))
					c := randSlice(r, max(1, m*ldc))
					if ab[1] == 0 {
						for i := range c {
							c[i] = float32(math.NaN()) // beta=0 must overwrite, not multiply
						}
					}
					want := refGemm(ta, tb, m, n, k, ab[0], a, lda, b, ldb, ab[1], c, ldc)
					got := append([]float32(nil), c...)
					Sgemm(ta, tb, m, n, k, ab[0], a, lda, b, ldb, ab[1], got, ldc)
					serial := append([]float32(nil), c...)
					SgemmSerial(ta, tb, m, n, k, ab[0], a, lda, b, ldb, ab[1], serial, ldc)
					for i := range serial {
						if serial[i] != got[i] && !(serial[i] != serial[i] && got[i] != got[i]) {
							// Panels compute each entry with the same kernel
							// and k-order, so the results agree bit for bit.
							if math.Abs(float64(serial[i]-got[i])) > 1e-4*(1+math.Abs(float64(got[i]))) {
								t.Fatalf("%s: serial and parallel differ at %d: %v vs %v", name, i, serial[i], got[i])
							}
						}
					}
					for i := 0; i < m; i++ {
						for j := 0; j < n; j++ {
							g, w := got[i*ldc+j], want[i*ldc+j]
							if math.Abs(float64(g-w)) > 1e-4*math.Sqrt(float64(k+1))*(1+math.Abs(float64(w))) {
								t.Fatalf("%s: C[%d,%d] = %v, want %v", name, i, j, g, w)
							}
						}
						// The padding of C belongs to the caller and must be untouched.
						for j := n; j < ldc && i*ldc+j < len(c); j++ {
							if g, w := got[i*ldc+j], c[i*ldc+j]; !(g == w || (g != g && w != w)) {
								t.Fatalf("%s: padding C[%d,%d] changed from %v to %v", name, i, j, w, g)
							}
						}
					}
				}
			}
		}
	}
}

func TestSgemmPanicsOnShortSlice(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Fatal("Sgemm accepted a 2x2 C for a 3x3 product")
		}
	}()
	a := make([]float32, 9)
	Sgemm(false, false, 3, 3, 3, 1, a, 3, a, 3, 0, make([]float32, 4), 3)
}

// timedRate is an independent measurement of what Peak reports: the best
// GFLOPS over batches of size^3 products. Each batch runs for at least
// 2 ms, so that a coarse clock cannot make a batch take "0 s", and the
// best batch is kept, so that a batch interrupted by another process on a
// shared machine does not decide the result.
func timedRate(size, batches int) float64 {
	a := make([]float32, size*size)
	b := make([]float32, size*size)
	c := make([]float32, size*size)
	for i := range a {
		a[i], b[i] = float32(i%3), float32(i%4)
	}
	flops := 2 * float64(size) * float64(size) * float64(size)
	Sgemm(false, false, size, size, size, 1, a, size, b, size, 0, c, size)
	best := 0.0
	for range batches {
		calls, start := 0, time.Now()
		for ; calls < 1 || time.Since(start) < 2*time.Millisecond; calls++ {
			Sgemm(false, false, size, size, size, 1, a, size, b, size, 0, c, size)
		}
		best = max(best, float64(calls)*flops/time.Since(start).Seconds()/1e9)
	}
	return best
}

// TestPeakAgreesWithTimedSgemm checks that Peak measures what it claims,
// GFLOPS of size^3 Sgemm calls, not that the machine is fast: a wrong flop
// count, a unit slip (MFLOPS, ns) or a clock reading of 0 (+Inf) puts it
// far outside the bounds, while any speed of this machine passes.
func TestPeakAgreesWithTimedSgemm(t *testing.T) {
	const size = 64
	peak := Peak(size, time.Millisecond)
	if math.IsNaN(peak) || math.IsInf(peak, 0) || peak <= 0 {
		t.Fatalf("Peak(%d) = %v GFLOPS, want finite and positive", size, peak)
	}
	// Physical ceiling: 64 single-precision FLOP per cycle per core (two
	// 16-lane FMA units, the most any current x86 or ARM core's vector
	// units issue) at 6 GHz (above any sustained clock), on every core
	// Sgemm may use (it splits over GOMAXPROCS). A unit slip to MFLOPS
	// lands 1000x above it.
	cores := min(runtime.GOMAXPROCS(0), runtime.NumCPU())
	if ceiling := 64 * 6.0 * float64(cores); peak > ceiling {
		t.Fatalf("Peak(%d) = %.1f GFLOPS exceeds the %d-core ceiling of %.0f GFLOPS", size, peak, cores, ceiling)
	}
	// Peak keeps its best single product and timedRate its best batch, so
	// the two agree to well within 5x unless the machine is starved for
	// the whole of one measurement; the factor only tolerates that noise.
	rate := timedRate(size, 3)
	if r := peak / rate; r < 0.2 || r > 5 {
		t.Fatalf("Peak(%d) = %.2f GFLOPS, timed Sgemm %.2f GFLOPS: ratio %.2f, want 0.2..5", size, peak, rate, r)
	}
}

func BenchmarkSgemm(b *testing.B) {
	// The shapes of ResNet18's convolutions at 28 px, batch 32 (layer1 and
	// layer4 forward products) plus a square reference.
	shapes := []struct {
		name    string
		m, n, k int
	}{
		{"square512", 512, 512, 512},
		{"layer1_fwd_64x25088x576", 64, 25088, 576},
		{"layer4_fwd_512x512x4608", 512, 512, 4608},
	}
	for _, s := range shapes {
		b.Run(s.name, func(b *testing.B) {
			r := rand.New(rand.NewPCG(3, 4))
			a, bb, c := randSlice(r, s.m*s.k), randSlice(r, s.k*s.n), make([]float32, s.m*s.n)
			b.ResetTimer()
			for b.Loop() {
				Sgemm(false, false, s.m, s.n, s.k, 1, a, s.k, bb, s.n, 0, c, s.n)
			}
			sec := b.Elapsed().Seconds() / float64(b.N)
			b.ReportMetric(2*float64(s.m)*float64(s.n)*float64(s.k)/sec/1e9, "GFLOPS")
		})
	}
}

func TestLibraryNamesItsKernels(t *testing.T) {
	config, core := Library()
	if config == "" || core == "" {
		t.Fatalf("Library() = %q, %q: want the configuration and the core type", config, core)
	}
	if Backend() == "openblas" && !strings.Contains(config, "OpenBLAS") {
		t.Errorf("OpenBLAS configuration %q does not name OpenBLAS", config)
	}
}

func TestKnownCore(t *testing.T) {
	for _, c := range []struct {
		picked          string
		avx512, avx2fma bool
		want            string
		ok              bool
	}{
		{"Prescott", true, true, "SkylakeX", true},
		{"Prescott", false, true, "Haswell", true},
		{"Prescott", false, false, "", false},
		// OpenBLAS knew the CPU: its pick stands, whatever the features.
		{"SkylakeX", true, true, "", false},
		{"Cooperlake", true, true, "", false},
		{"Haswell", false, true, "", false},
		{"generic", true, true, "", false},
	} {
		got, ok := knownCore(c.picked, c.avx512, c.avx2fma)
		if got != c.want || ok != c.ok {
			t.Errorf("knownCore(%q, avx512 %v, avx2fma %v) = %q, %v; want %q, %v", c.picked, c.avx512, c.avx2fma, got, ok, c.want, c.ok)
		}
	}
}

func TestWiderCore(t *testing.T) {
	for _, c := range []struct {
		running         string
		avx512, avx2fma bool
		want            string
		ok              bool
	}{
		// The AMD EPYC case: Haswell forced on a CPU with AVX-512.
		{"Haswell", true, true, "SkylakeX", true},
		{"Zen", true, true, "SkylakeX", true},
		{"Prescott", true, true, "SkylakeX", true},
		{"Prescott", false, true, "Haswell", true},
		{"Sandybridge", false, true, "Haswell", true},
		// Already on the widest units the CPU has.
		{"Cooperlake", true, true, "", false},
		{"SkylakeX", true, true, "", false},
		{"Haswell", false, true, "", false},
		{"Zen", false, true, "", false},
		{"Prescott", false, false, "", false},
	} {
		got, ok := widerCore(c.running, c.avx512, c.avx2fma)
		if got != c.want || ok != c.ok {
			t.Errorf("widerCore(%q, avx512 %v, avx2fma %v) = %q, %v; want %q, %v", c.running, c.avx512, c.avx2fma, got, ok, c.want, c.ok)
		}
	}
}
