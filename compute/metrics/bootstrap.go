package metrics

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
)

// bootstrapStream fixes the PCG stream so that the seed alone determines
// the draws; recording the seed is enough to reproduce an interval.
const bootstrapStream = 0x9e3779b97f4a7c15

// Bootstrap returns the 95% percentile interval of stat over reps resamples
// (with replacement) of the indices 0..n-1, drawn from a PCG generator
// seeded with seed: the same arguments give the same interval.
//
// stat receives a buffer of n indices that is reused between calls; it must
// not keep it. A replicate for which stat returns NaN (say, a resample with
// no failures, where AUROC_f is undefined) is dropped, as FD-Shifts-style
// evaluations do; if more than half are dropped the interval would describe
// a different population, so Bootstrap returns an error. Percentiles
// interpolate linearly between order statistics (numpy's default).
func Bootstrap(n, reps int, seed uint64, stat func(idx []int) float64) (lo, hi float64, err error) {
	if n <= 0 {
		return 0, 0, fmt.Errorf("bootstrap: need at least one sample, got n = %d", n)
	}
	if reps < 2 {
		return 0, 0, fmt.Errorf("bootstrap: need at least 2 replicates, got %d", reps)
	}
	if stat == nil {
		return 0, 0, fmt.Errorf("bootstrap: nil statistic")
	}
	rng := rand.New(rand.NewPCG(seed, bootstrapStream))
	idx := make([]int, n)
	vals := make([]float64, 0, reps)
	for range reps {
		for i := range idx {
			idx[i] = rng.IntN(n)
		}
		if v := stat(idx); !math.IsNaN(v) {
			vals = append(vals, v)
		}
	}
	if 2*len(vals) < reps {
		return math.NaN(), math.NaN(), fmt.Errorf("bootstrap: statistic undefined (NaN) in %d of %d replicates", reps-len(vals), reps)
	}
	slices.Sort(vals)
	return quantile(vals, 0.025), quantile(vals, 0.975), nil
}

// quantile of sorted xs with linear interpolation between order statistics.
func quantile(xs []float64, q float64) float64 {
	h := float64(len(xs)-1) * q
	i := int(math.Floor(h))
	if i+1 >= len(xs) {
		return xs[len(xs)-1]
	}
	return xs[i] + (h-float64(i))*(xs[i+1]-xs[i])
}

// Gather copies src[idx[i]] into dst (resized as needed) and returns it:
// the usual first step of a bootstrap statistic, kept allocation-free across
// replicates when the caller passes the previous dst back.
func Gather[T any](dst []T, src []T, idx []int) []T {
	dst = slices.Grow(dst[:0], len(idx))[:len(idx)]
	for i, j := range idx {
		dst[i] = src[j]
	}
	return dst
}

// BootstrapMany is Bootstrap for k statistics of the same resamples: stat
// fills out (length k) from one resample, so work they share (a sort) is
// done once. Each statistic's interval is what Bootstrap gives it with the
// same n, reps and seed; a statistic undefined in more than half of the
// replicates gets NaN bounds (the others are still returned).
func BootstrapMany(n, reps, k int, seed uint64, stat func(idx []int, out []float64)) (lo, hi []float64, err error) {
	if n <= 0 {
		return nil, nil, fmt.Errorf("bootstrap: need at least one sample, got n = %d", n)
	}
	if reps < 2 || k < 1 || stat == nil {
		return nil, nil, fmt.Errorf("bootstrap: need at least 2 replicates, 1 statistic and a function (got %d, %d)", reps, k)
	}
	rng := rand.New(rand.NewPCG(seed, bootstrapStream))
	idx := make([]int, n)
	vals := make([][]float64, k)
	out := make([]float64, k)
	for range reps {
		for i := range idx {
			idx[i] = rng.IntN(n)
		}
		stat(idx, out)
		for j, v := range out {
			if !math.IsNaN(v) {
				vals[j] = append(vals[j], v)
			}
		}
	}
	lo, hi = make([]float64, k), make([]float64, k)
	for j, vs := range vals {
		if 2*len(vs) < reps {
			lo[j], hi[j] = math.NaN(), math.NaN()
			continue
		}
		slices.Sort(vs)
		lo[j], hi[j] = quantile(vs, 0.025), quantile(vs, 0.975)
	}
	return lo, hi, nil
}
