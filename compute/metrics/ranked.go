package metrics

import (
	"cmp"
	"math"
	"slices"
)

// Ranked is a set of scored predictions sorted once by confidence, so that
// each bootstrap resample of it is scored in O(n), without sorting again: a
// resample only changes how often each prediction counts, never the order.
type Ranked struct {
	order []int // prediction indices by confidence, descending
	start []int // tied block b is order[start[b]:start[b+1]]
	conf  []float64
	wrong []bool
	gs    []group // Report's scratch: a Ranked serves one goroutine
}

// Rank sorts conf (one confidence per prediction, wrong[i] its residual)
// for Report. It keeps conf and wrong, which must not change afterwards.
func Rank(conf []float64, wrong []bool) (*Ranked, error) {
	if err := checkLen("failure metrics", "confidences", len(conf), "residuals", len(wrong)); err != nil {
		return nil, err
	}
	if err := checkScores("failure metrics", conf); err != nil {
		return nil, err
	}
	r := &Ranked{order: make([]int, len(conf)), conf: conf, wrong: wrong}
	for i := range r.order {
		r.order[i] = i
	}
	slices.SortFunc(r.order, func(a, b int) int { return cmp.Compare(conf[b], conf[a]) })
	for i := range r.order {
		if i == 0 || conf[r.order[i]] != conf[r.order[i-1]] {
			r.start = append(r.start, i)
		}
	}
	r.start = append(r.start, len(r.order))
	return r, nil
}

// Len is the number of predictions.
func (r *Ranked) Len() int { return len(r.order) }

// Report is Failure of the resample in which prediction i appears counts[i]
// times (counts nil: each once), without sorting: the same numbers as
// Failure on the gathered resample.
func (r *Ranked) Report(counts []int) FailureReport {
	gs := r.gs[:0]
	k, w := 0, 0
	for b := 0; b+1 < len(r.start); b++ {
		g := group{conf: r.conf[r.order[r.start[b]]]}
		for _, i := range r.order[r.start[b]:r.start[b+1]] {
			c := 1
			if counts != nil {
				c = counts[i]
			}
			g.size += c
			if r.wrong[i] {
				g.wrong += c
			}
		}
		if g.size == 0 {
			continue
		}
		k, w = k+g.size, w+g.wrong
		g.k, g.w = k, w
		gs = append(gs, g)
	}
	r.gs = gs
	return fromGroups(gs, k, w)
}

// AUROC is Report(counts).AUROCf alone, without building the blocks: the
// ROC AUC of the confidences separating right from wrong (ties 1/2), NaN
// when the resample holds only one of the two.
func (r *Ranked) AUROC(counts []int) float64 {
	var pairs2 int64
	correctAbove, nWrong := 0, 0
	for b := 0; b+1 < len(r.start); b++ {
		c, w := 0, 0
		for _, i := range r.order[r.start[b]:r.start[b+1]] {
			m := 1
			if counts != nil {
				m = counts[i]
			}
			if r.wrong[i] {
				w += m
			} else {
				c += m
			}
		}
		pairs2 += int64(2*correctAbove+c) * int64(w)
		correctAbove += c
		nWrong += w
	}
	if correctAbove == 0 || nWrong == 0 {
		return math.NaN()
	}
	return float64(pairs2) / (2 * float64(correctAbove) * float64(nWrong))
}

// Counts turns bootstrap indices (values in 0..n-1) into multiplicities,
// reusing dst.
func Counts(dst []int, idx []int, n int) []int {
	dst = slices.Grow(dst[:0], n)[:n]
	clear(dst)
	for _, i := range idx {
		dst[i]++
	}
	return dst
}
