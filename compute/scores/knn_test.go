package scores

import (
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
)

func TestKNNHand(t *testing.T) {
	// Bank (5, 0), (0, 1), (-1, 0) normalises to the unit vectors e1, e2,
	// -e1. Query (2, 0) is e1: distances 0, sqrt 2, 2. The zero query stays
	// 0: distance 1 to each.
	m, err := FitKNN([]float32{5, 0, 0, 1, -1, 0}, 2)
	if err != nil {
		t.Fatal(err)
	}
	queries := []float32{2, 0, 0, 0}
	for k, want := range map[int][]float64{1: {0, -1}, 2: {-math.Sqrt2, -1}, 3: {-2, -1}} {
		got, err := m.Score(queries, k)
		if err != nil {
			t.Fatal(err)
		}
		nearAll(t, "kNN", got, want, 1e-15)
	}
}

// Against brute force: normalise, every distance by its definition,
// sort, take the k-th.
func TestKNNBruteForce(t *testing.T) {
	rng := rand.New(rand.NewPCG(17, 18))
	const nb, nq, d = 60, 21, 9 // 21 queries: two full blocks and a partial one
	bank, queries := make([]float32, nb*d), make([]float32, nq*d)
	for i := range bank {
		bank[i] = float32(rng.NormFloat64())
	}
	for i := range queries {
		queries[i] = float32(rng.NormFloat64() * 3)
	}
	m, err := FitKNN(bank, d)
	if err != nil {
		t.Fatal(err)
	}
	unit := func(v []float32) []float64 {
		n := 0.0
		for _, x := range v {
			n += float64(x) * float64(x)
		}
		u := make([]float64, len(v))
		for j, x := range v {
			u[j] = float64(x) / math.Sqrt(n)
		}
		return u
	}
	for _, k := range []int{1, 3, 17, nb} {
		got, err := m.Score(queries, k)
		if err != nil {
			t.Fatal(err)
		}
		for i := range nq {
			uq := unit(queries[i*d : (i+1)*d])
			dist := make([]float64, nb)
			for b := range nb {
				ub := unit(bank[b*d : (b+1)*d])
				s := 0.0
				for j := range d {
					s += (uq[j] - ub[j]) * (uq[j] - ub[j])
				}
				dist[b] = math.Sqrt(s)
			}
			slices.Sort(dist)
			near(t, "kNN score", got[i], -dist[k-1], 1e-13)
		}
	}
}

// A validation set built so that k = 1 is the worst choice: the bank has
// three tight clusters of 10 and 5 isolated points; correct predictions sit
// near the clusters, wrong ones exactly on the isolated points. At k = 1 a
// wrong image finds itself (distance 0) and looks most in-distribution;
// from k = 5 on, its neighbours are far and the clusters' are near, until
// k exceeds the cluster size. 5 and 10 separate perfectly; the tie goes to
// 5.
func TestKNNChooseK(t *testing.T) {
	rng := rand.New(rand.NewPCG(19, 20))
	const d = 6
	var bank, val []float32
	var wrong []bool
	jitter := func(c int, s float64) []float32 {
		v := make([]float32, d)
		for j := range v {
			v[j] = float32(s * rng.NormFloat64())
		}
		v[c] += 1
		return v
	}
	for c := range 3 {
		for range 10 {
			bank = append(bank, jitter(c, 0.01)...)
		}
		for range 4 {
			val, wrong = append(val, jitter(c, 0.01)...), append(wrong, false)
		}
	}
	for i := range 5 {
		p := jitter(3+i%3, 0.3)
		p[3+i%3] *= -1 // away from every cluster and from each other
		bank, val, wrong = append(bank, p...), append(val, p...), append(wrong, true)
	}
	m, err := FitKNN(bank, d)
	if err != nil {
		t.Fatal(err)
	}
	k, trials, err := m.ChooseK(val, wrong, DefaultKCandidates())
	if err != nil {
		t.Fatal(err)
	}
	if k != 5 {
		t.Errorf("chose k = %d, want 5; trials %v", k, trials)
	}
	ks := make([]int, len(trials))
	for i, tr := range trials {
		ks[i] = tr.K
	}
	if !slices.Equal(ks, []int{1, 5, 10, 20, 35}) { // 50 capped at the bank's 35
		t.Errorf("tried k = %v, want 1 5 10 20 35", ks)
	}
	if trials[0].AUROCf > 0.5 || trials[1].AUROCf != 1 || trials[2].AUROCf != 1 {
		t.Errorf("AUROC_f at k = 1, 5, 10: %v %v %v, want < 0.5, 1, 1", trials[0].AUROCf, trials[1].AUROCf, trials[2].AUROCf)
	}
}

func TestKNNReject(t *testing.T) {
	m, err := FitKNN([]float32{1, 0, 0, 1, 1, 1}, 2)
	if err != nil {
		t.Fatal(err)
	}
	q := []float32{1, 0, 0, 1}
	for _, k := range []int{0, 4} {
		if _, err := m.Score(q, k); err == nil || !strings.Contains(err.Error(), "bank size") {
			t.Errorf("k = %d: error %v, want outside the bank size", k, err)
		}
	}
	if _, _, err := m.ChooseK(q, []bool{true}, []int{1}); err == nil {
		t.Error("ChooseK: 1 flag for 2 images accepted")
	}
	if _, _, err := m.ChooseK(q, []bool{false, false}, []int{1}); err == nil {
		t.Error("ChooseK: no wrong prediction accepted (AUROC_f undefined)")
	}
	if _, _, err := m.ChooseK(q, []bool{false, true}, []int{0}); err == nil {
		t.Error("ChooseK: candidate k = 0 accepted")
	}
	if _, _, err := m.ChooseK(q, []bool{false, true}, nil); err == nil {
		t.Error("ChooseK: no candidates accepted")
	}
	if _, err := FitKNN([]float32{1, float32(math.Inf(-1))}, 2); err == nil {
		t.Error("FitKNN: infinite feature accepted")
	}
	if _, err := m.Score([]float32{1, 2, 3}, 1); err == nil {
		t.Error("Score: ragged features accepted")
	}
}

// Unfitted models (zero values) error rather than divide by zero or
// dereference nil.
func TestUnfittedModels(t *testing.T) {
	var m KNN
	if m.Len() != 0 {
		t.Errorf("zero KNN has %d bank entries", m.Len())
	}
	if _, err := m.Score([]float32{1, 0}, 1); err == nil {
		t.Error("zero KNN scored")
	}
	if _, _, err := m.ChooseK([]float32{1, 0}, []bool{true}, []int{1}); err == nil {
		t.Error("zero KNN chose a k")
	}
	var mh Mahalanobis
	if _, err := mh.Score([]float32{1, 0}); err == nil {
		t.Error("zero Mahalanobis scored")
	}
	var rm RelativeMahalanobis
	if _, err := rm.Score([]float32{1, 0}); err == nil {
		t.Error("zero RelativeMahalanobis scored")
	}
}
