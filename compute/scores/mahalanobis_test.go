package scores

import (
	"math"
	"math/rand/v2"
	"strings"
	"testing"
)

// Two classes of four 2-D points, each a cross around its mean:
// class 0 around (0, 0), class 1 around (10, 0), arms (+-1, 0) and
// (0, +-2). Centred, both give S = diag(0.5, 2) exactly.
var (
	crossH = []float32{
		1, 0, -1, 0, 0, 2, 0, -2,
		11, 0, 9, 0, 10, 2, 10, -2,
	}
	crossY = []int{0, 0, 0, 0, 1, 1, 1, 1}
)

func TestMahalanobisHand(t *testing.T) {
	m, err := FitMahalanobis(crossH, 2, crossY, 2, FixedShrinkage(0))
	if err != nil {
		t.Fatal(err)
	}
	// h = (1, 1): S^-1 = diag(2, 0.5), so the squared distances are
	// 2*1 + 0.5*1 = 2.5 to (0, 0) and 2*81 + 0.5*1 = 162.5 to (10, 0).
	h := []float32{1, 1}
	d := make([]float64, 2)
	if err := m.SqDistances(d, h); err != nil {
		t.Fatal(err)
	}
	nearAll(t, "squared distances", d, []float64{2.5, 162.5}, 1e-12)
	s, err := m.Score(h)
	if err != nil {
		t.Fatal(err)
	}
	near(t, "best class", s[0], -2.5, 1e-12)
	s, err = m.ScorePredicted(h, []int{1})
	if err != nil {
		t.Fatal(err)
	}
	near(t, "predicted class 1", s[0], -162.5, 1e-12)
}

// Ledoit-Wolf on the crosses by hand: mu = tr(S)/2 = 1.25,
// delta = ((0.5-1.25)^2 + (2-1.25)^2)/2 = 0.5625; each of the 8 centred
// points has x x^T - S = diag(+-0.5, -+2), of squared norm 4.25, so
// beta = 8 * 4.25 / (2 * 64) = 0.265625 and a = beta/delta = 17/36. Then
// S_a = (19/36) S + (17/36) 1.25 I = diag(123/144, 237/144).
func TestLedoitWolfHand(t *testing.T) {
	m, err := FitMahalanobis(crossH, 2, crossY, 2, LedoitWolf)
	if err != nil {
		t.Fatal(err)
	}
	near(t, "a", m.Shrinkage(), 17.0/36, 1e-15)
	d := make([]float64, 2)
	if err := m.SqDistances(d, []float32{1, 1}); err != nil {
		t.Fatal(err)
	}
	nearAll(t, "shrunk distances", d, []float64{144.0/123 + 144.0/237, 81*144.0/123 + 144.0/237}, 1e-12)
}

// LedoitWolf's shortcut sum ||x||^4 - n ||S||^2 against the definition
// sum_i ||x_i x_i^T - S||_F^2, built entry by entry.
func TestLedoitWolfAgainstDefinition(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 10))
	const n, d = 30, 6
	x := make([]float64, n*d)
	for i := range x {
		x[i] = rng.NormFloat64() * float64(1+i%d) // unequal variances
	}
	s := covariance(x, n, d)
	mu, delta, beta := 0.0, 0.0, 0.0
	for j := range d {
		mu += s[j*d+j] / d
	}
	for j := range d {
		for k := range d {
			e := s[j*d+k]
			if j == k {
				e -= mu
			}
			delta += e * e / d
			for i := range n {
				f := x[i*d+j]*x[i*d+k] - s[j*d+k]
				beta += f * f / (d * n * n)
			}
		}
	}
	near(t, "Ledoit-Wolf a", LedoitWolf(x, n, d, s), min(beta, delta)/delta, 1e-12)
}

// drawGaussian2 draws n points per class from N(mean_c, sigma) in 2-D,
// sigma = [[2, 0.6], [0.6, 0.5]] through its Cholesky factor.
func drawGaussian2(rng *rand.Rand, n int, means [][2]float64) ([]float32, []int) {
	l11, l21 := math.Sqrt(2), 0.6/math.Sqrt(2)
	l22 := math.Sqrt(0.5 - l21*l21)
	var h []float32
	var y []int
	for c, mu := range means {
		for range n {
			e1, e2 := rng.NormFloat64(), rng.NormFloat64()
			h = append(h, float32(mu[0]+l11*e1), float32(mu[1]+l21*e1+l22*e2))
			y = append(y, c)
		}
	}
	return h, y
}

// With n >> D the sample covariance is good and Ledoit-Wolf barely
// shrinks it; the scores then match the true distances with
// sigma^-1 = [[0.5, -0.6], [-0.6, 2]] / 0.64, and the fitted model's own
// distances match a brute-force 2 x 2 inverse of its covariance.
func TestMahalanobisGaussianManySamples(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 12))
	means := [][2]float64{{0, 0}, {3, 1}}
	h, y := drawGaussian2(rng, 10000, means)
	m, err := FitMahalanobis(h, 2, y, 2, LedoitWolf)
	if err != nil {
		t.Fatal(err)
	}
	if a := m.Shrinkage(); a > 0.01 {
		t.Errorf("Ledoit-Wolf a = %v with 20,000 samples in 2-D, want near 0", a)
	}
	trueSq := func(p [2]float64, mu [2]float64) float64 {
		u, v := p[0]-mu[0], p[1]-mu[1]
		return (0.5*u*u - 1.2*u*v + 2*v*v) / 0.64
	}
	points := [][2]float64{{0, 0}, {1, -1}, {3, 1}, {1.5, 0.5}, {-2, 2}}
	d := make([]float64, 2)
	for _, p := range points {
		if err := m.SqDistances(d, []float32{float32(p[0]), float32(p[1])}); err != nil {
			t.Fatal(err)
		}
		for c, mu := range means {
			want := trueSq(p, mu)
			// Sampling error: the covariance's small eigenvalue (0.29) and
			// the means are estimated to about 1%, which moves distances
			// along that direction by up to a few percent.
			near(t, "distance to a true mean", d[c], want, 0.06*want+0.05)
		}
	}
	checkAgainstInverse(t, m, h, y, points)
}

// checkAgainstInverse recomputes the fitted 2-D model by brute force: means,
// pooled covariance, shrinkage as fitted, the explicit 2 x 2 inverse.
func checkAgainstInverse(t *testing.T, m *Mahalanobis, h []float32, y []int, points [][2]float64) {
	t.Helper()
	var mu [2][2]float64
	var cnt [2]float64
	for i, c := range y {
		mu[c][0] += float64(h[2*i])
		mu[c][1] += float64(h[2*i+1])
		cnt[c]++
	}
	for c := range mu {
		mu[c][0] /= cnt[c]
		mu[c][1] /= cnt[c]
	}
	var sxx, sxy, syy float64
	for i, c := range y {
		u, v := float64(h[2*i])-mu[c][0], float64(h[2*i+1])-mu[c][1]
		sxx, sxy, syy = sxx+u*u, sxy+u*v, syy+v*v
	}
	n := float64(len(y))
	a := m.Shrinkage()
	tr := (sxx + syy) / n / 2
	sxx, sxy, syy = (1-a)*sxx/n+a*tr, (1-a)*sxy/n, (1-a)*syy/n+a*tr
	det := sxx*syy - sxy*sxy
	d := make([]float64, 2)
	for _, p := range points {
		if err := m.SqDistances(d, []float32{float32(p[0]), float32(p[1])}); err != nil {
			t.Fatal(err)
		}
		for c := range mu {
			u, v := float64(float32(p[0]))-mu[c][0], float64(float32(p[1]))-mu[c][1]
			want := (syy*u*u - 2*sxy*u*v + sxx*v*v) / det
			near(t, "distance against the explicit inverse", d[c], want, 1e-9*want+1e-12)
		}
	}
}

// Fewer images than dimensions: S has rank at most n - C < D, so without
// shrinkage the fit must refuse, and with Ledoit-Wolf it must work.
func TestMahalanobisSingular(t *testing.T) {
	rng := rand.New(rand.NewPCG(13, 14))
	const n, d = 20, 50
	h := make([]float32, n*d)
	y := make([]int, n)
	for i := range h {
		h[i] = float32(rng.NormFloat64())
	}
	for i := range y {
		y[i] = i % 2
	}
	if _, err := FitMahalanobis(h, d, y, 2, FixedShrinkage(0)); err == nil || !strings.Contains(err.Error(), "not positive definite") {
		t.Errorf("singular covariance without shrinkage: error %v, want not positive definite", err)
	}
	m, err := FitMahalanobis(h, d, y, 2, LedoitWolf)
	if err != nil {
		t.Fatal(err)
	}
	if a := m.Shrinkage(); !(a > 0 && a <= 1) {
		t.Errorf("Ledoit-Wolf a = %v for n < D, want in (0, 1]", a)
	}
	test := make([]float32, 5*d)
	for i := range test {
		test[i] = float32(3 * rng.NormFloat64())
	}
	for _, score := range []func([]float32) ([]float64, error){m.Score, func(f []float32) ([]float64, error) {
		return m.ScorePredicted(f, []int{0, 1, 0, 1, 1})
	}} {
		s, err := score(test)
		if err != nil {
			t.Fatal(err)
		}
		for i, v := range s {
			if math.IsNaN(v) || math.IsInf(v, 0) || v > 0 {
				t.Errorf("score %d = %v, want finite and <= 0", i, v)
			}
		}
	}
}

// Relative Mahalanobis on the crosses without shrinkage: the background
// Gaussian has mean (5, 0) and covariance diag(25.5, 2) (x spread by the
// two class means), so for h = (1, 1) MD_0 = 16/25.5 + 1/2 and the score is
// MD_0 - min_c MD_c = 16/25.5 + 0.5 - 2.5.
func TestRelativeMahalanobisHand(t *testing.T) {
	r, err := FitRelativeMahalanobis(crossH, 2, crossY, 2, FixedShrinkage(0))
	if err != nil {
		t.Fatal(err)
	}
	s, err := r.Score([]float32{1, 1})
	if err != nil {
		t.Fatal(err)
	}
	near(t, "relative Mahalanobis", s[0], 16/25.5+0.5-2.5, 1e-12)
	if ac, ab := r.Shrinkage(); ac != 0 || ab != 0 {
		t.Errorf("shrinkage %v, %v, want the fixed 0, 0", ac, ab)
	}
}

func TestMahalanobisReject(t *testing.T) {
	cases := []struct {
		name   string
		h      []float32
		dim    int
		y      []int
		shrink Shrinker
		msg    string
	}{
		{"class without images", crossH, 2, crossY, LedoitWolf, "class 2 has no training features"},
		{"label out of range", crossH, 2, []int{0, 0, 0, 0, 1, 1, 1, 3}, LedoitWolf, "label 3 of image 7"},
		{"label count", crossH, 2, crossY[:7], LedoitWolf, "8 rows of features but 7 labels"},
		{"ragged", crossH[:15], 2, crossY, LedoitWolf, "whole number of rows"},
		{"NaN feature", append([]float32{float32(math.NaN())}, crossH[1:]...), 2, crossY, LedoitWolf, "image 0, column 0, is NaN"},
		{"no shrinker", crossH, 2, crossY, nil, "no Shrinker"},
		{"shrinkage above 1", crossH, 2, crossY, FixedShrinkage(1.5), "outside [0, 1]"},
		{"constant features", make([]float32, 16), 2, crossY, LedoitWolf, "not positive definite"},
	}
	for _, c := range cases {
		classes := 2
		if c.name == "class without images" {
			classes = 3
		}
		_, err := FitMahalanobis(c.h, c.dim, c.y, classes, c.shrink)
		if err == nil || !strings.Contains(err.Error(), c.msg) {
			t.Errorf("%s: error %v, want %q", c.name, err, c.msg)
		}
	}
	m, err := FitMahalanobis(crossH, 2, crossY, 2, LedoitWolf)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := m.Score([]float32{1, 2, 3}); err == nil {
		t.Error("Score: 3 values for D = 2 accepted")
	}
	if _, err := m.ScorePredicted([]float32{1, 2}, []int{2}); err == nil {
		t.Error("ScorePredicted: predicted class 2 of 2 accepted")
	}
	if err := m.SqDistances(make([]float64, 1), []float32{1, 2}); err == nil {
		t.Error("SqDistances: 1 output for 2 classes accepted")
	}
}

func TestCholesky(t *testing.T) {
	rng := rand.New(rand.NewPCG(15, 16))
	const d = 40
	// A = B B^T + I is symmetric positive definite.
	b := make([]float64, d*d)
	for i := range b {
		b[i] = rng.NormFloat64()
	}
	a := make([]float64, d*d)
	for i := range d {
		for j := range d {
			a[i*d+j] = dot(b[i*d:(i+1)*d], b[j*d:(j+1)*d])
		}
		a[i*d+i]++
	}
	l := append([]float64(nil), a...)
	if err := cholesky(l, d); err != nil {
		t.Fatal(err)
	}
	for i := range d {
		for j := range d {
			if j > i && l[i*d+j] != 0 {
				t.Fatalf("L[%d][%d] = %v above the diagonal", i, j, l[i*d+j])
			}
			// (L L^T)_ij = row i . row j
			near(t, "L L^T", dot(l[i*d:(i+1)*d], l[j*d:(j+1)*d]), a[i*d+j], 1e-10*math.Abs(a[i*d+i]))
		}
	}
	// forwardSolve: L y = r recovers y
	want := make([]float64, d)
	for i := range want {
		want[i] = rng.NormFloat64()
	}
	r := make([]float64, d)
	for i := range d {
		r[i] = dot(l[i*d:i*d+i+1], want)
	}
	got := make([]float64, d)
	forwardSolve(got, l, d, r)
	nearAll(t, "forward solve", got, want, 1e-10)

	// [[1, 2], [2, 1]] has eigenvalues 3 and -1.
	if err := cholesky([]float64{1, 2, 2, 1}, 2); err == nil {
		t.Error("indefinite matrix factored")
	}
}
