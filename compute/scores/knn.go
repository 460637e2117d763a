package scores

import (
	"fmt"
	"math"
	"slices"

	"github.com/gradprint/gradprint/compute/metrics"
)

// KNN is the deep nearest-neighbour score of Sun et al. (ICML 2022): with
// u = h / ||h||_2,
//
//	Score(h) = -||u - u_(k)||_2,
//
// u_(k) the k-th nearest normalised training feature. The bank is the
// training split; k is a hyperparameter to choose on the validation split
// (ChooseK). Sun et al. use k = 50 among 50,000 CIFAR training images; with
// a few hundred MedMNIST images a smaller k is usually better, hence the
// search.
//
// A zero feature vector (possible after a ReLU) has no direction; it is
// left at 0, so its distance to every unit-length bank entry is 1 (Sun et
// al.'s code, which divides by ||h|| + 1e-10, gives the same). A query that
// is itself in the bank finds itself at distance 0: score the training
// split with care. Scoring costs n_bank x D multiply-adds per image.
type KNN struct {
	dim  int
	bank []float64 // n x dim, normalised rows
}

// FitKNN keeps the normalised n x dim training features as the bank.
func FitKNN(features []float32, dim int) (*KNN, error) {
	const name = "FitKNN"
	n, err := rows(name, "features", len(features), dim)
	if err != nil {
		return nil, err
	}
	if err := checkFinite(name, "feature", features, dim); err != nil {
		return nil, err
	}
	bank := make([]float64, n*dim)
	for i := range n {
		normalise(bank[i*dim:(i+1)*dim], features[i*dim:(i+1)*dim])
	}
	return &KNN{dim: dim, bank: bank}, nil
}

// Len is the number of training features in the bank, the largest usable k.
func (m *KNN) Len() int {
	if m.dim == 0 { // the zero KNN, never fitted
		return 0
	}
	return len(m.bank) / m.dim
}

// Score is -||u - u_(k)|| per image of the n x D features, k in 1..Len().
func (m *KNN) Score(features []float32, k int) ([]float64, error) {
	s, err := m.kthScores("KNN.Score", features, []int{k})
	if err != nil {
		return nil, err
	}
	return s[0], nil
}

// KTrial is one candidate k of ChooseK and the validation AUROC_f its
// score reached.
type KTrial struct {
	K      int
	AUROCf float64
}

// DefaultKCandidates are the k ChooseK tries unless told otherwise: 1 (the
// nearest neighbour) up to Sun et al.'s 50.
func DefaultKCandidates() []int { return []int{1, 5, 10, 20, 50} }

// ChooseK scores the n x D features at every candidate k and returns the k
// whose score best separates correct from wrong predictions (the highest
// metrics.AUROCf against wrong), ties going to the smaller k, with every
// trial in increasing k. Candidates above Len() are capped at Len() (and
// duplicates dropped). The features and flags must come from the
// validation split: choosing k on the test split would report a tuned
// score as if it were not.
func (m *KNN) ChooseK(features []float32, wrong []bool, candidates []int) (int, []KTrial, error) {
	const name = "KNN.ChooseK"
	if len(candidates) == 0 {
		return 0, nil, fmt.Errorf("%s: no candidate k", name)
	}
	ks := make([]int, 0, len(candidates))
	for _, k := range candidates {
		if k < 1 {
			return 0, nil, fmt.Errorf("%s: candidate k = %d, need k >= 1", name, k)
		}
		ks = append(ks, min(k, m.Len()))
	}
	slices.Sort(ks)
	ks = slices.Compact(ks)
	n, err := rows(name, "features", len(features), m.dim)
	if err != nil {
		return 0, nil, err
	}
	if n != len(wrong) {
		return 0, nil, fmt.Errorf("%s: %d rows of validation features but %d wrong/correct flags", name, n, len(wrong))
	}
	scores, err := m.kthScores(name, features, ks)
	if err != nil {
		return 0, nil, err
	}
	trials := make([]KTrial, len(ks))
	best := 0
	for j, k := range ks {
		a, err := metrics.AUROCf(scores[j], wrong)
		if err != nil {
			return 0, nil, fmt.Errorf("%s: k = %d: %w", name, k, err)
		}
		trials[j] = KTrial{K: k, AUROCf: a}
		if a > trials[best].AUROCf {
			best = j
		}
	}
	return trials[best].K, trials, nil
}

// queryBlock is how many queries share one pass over the bank: each bank
// row is read from memory once per block, not once per query. With D = 512
// and a DermaMNIST-sized bank (7,000 rows, 28 MB) one query per pass is
// bound by memory bandwidth.
const queryBlock = 8

// kthScores returns, for each k of ks, the score -||u - u_(k)|| of every
// image: all bank distances of an image are computed once and sorted, and
// each k reads its order statistic.
func (m *KNN) kthScores(name string, features []float32, ks []int) ([][]float64, error) {
	n, err := rows(name, "features", len(features), m.dim)
	if err != nil {
		return nil, err
	}
	if err := checkFinite(name, "feature", features, m.dim); err != nil {
		return nil, err
	}
	for _, k := range ks {
		if k < 1 || k > m.Len() {
			return nil, fmt.Errorf("%s: k = %d outside 1..%d (the bank size)", name, k, m.Len())
		}
	}
	out := make([][]float64, len(ks))
	for j := range out {
		out[j] = make([]float64, n)
	}
	nb, d := m.Len(), m.dim
	u := make([]float64, queryBlock*d)
	d2 := make([]float64, queryBlock*nb)
	for i0 := 0; i0 < n; i0 += queryBlock {
		q := min(queryBlock, n-i0)
		for r := range q {
			normalise(u[r*d:(r+1)*d], features[(i0+r)*d:(i0+r+1)*d])
		}
		for b := range nb {
			row := m.bank[b*d : (b+1)*d]
			for r := range q {
				d2[r*nb+b] = sqDist(u[r*d:(r+1)*d], row)
			}
		}
		for r := range q {
			dist := d2[r*nb : (r+1)*nb]
			slices.Sort(dist)
			for j, k := range ks {
				// 0 - sqrt, not -sqrt: an exact match scores +0, not -0
				out[j][i0+r] = 0 - math.Sqrt(dist[k-1])
			}
		}
	}
	return out, nil
}

// normalise writes h / ||h||_2 into u, or zeros for a zero h.
func normalise(u []float64, h []float32) {
	s := 0.0
	for j, v := range h {
		u[j] = float64(v)
		s += u[j] * u[j]
	}
	if s == 0 {
		return
	}
	inv := 1 / math.Sqrt(s)
	for j := range u {
		u[j] *= inv
	}
}

// sqDist is ||a - b||^2, summed directly rather than as 2 - 2 a.b: for
// near neighbours the dot-product form cancels to rounding noise. Four
// partial sums, as in dot.
func sqDist(a, b []float64) float64 {
	b = b[:len(a)]
	var s0, s1, s2, s3 float64
	k := 0
	for ; k+4 <= len(a); k += 4 {
		e0, e1, e2, e3 := a[k]-b[k], a[k+1]-b[k+1], a[k+2]-b[k+2], a[k+3]-b[k+3]
		s0 += e0 * e0
		s1 += e1 * e1
		s2 += e2 * e2
		s3 += e3 * e3
	}
	for ; k < len(a); k++ {
		e := a[k] - b[k]
		s0 += e * e
	}
	return (s0 + s1) + (s2 + s3)
}
