package scores

import (
	"fmt"
	"math"
)

// Mahalanobis scores an image by how close its features are to the
// training features of a class (Lee et al. 2018): class means mu_c and one
// covariance S shared by all classes, fitted on the training split, and
//
//	Score(h) = max_c -(h - mu_c)^T S^-1 (h - mu_c),
//
// the best class, as Lee et al. do; ScorePredicted uses the predicted
// class instead, as FD-Shifts' maha does.
//
// S is the covariance of the class-centred training features with the
// maximum-likelihood 1/n. With a few hundred training images and D = 512
// features S is singular, so it is shrunk towards a multiple of the
// identity, S_a = (1 - a) S + a (tr(S)/D) I, with a chosen by a Shrinker:
// LedoitWolf, the one to use unless there is a reason not to, estimates a
// from the data; FixedShrinkage sets it. S_a is factored once,
// S_a = L L^T, and the class means are kept whitened, L^-1 mu_c, so a
// score costs one triangular solve (D^2/2 multiply-adds) plus C Euclidean
// distances. Score (best class) is the default; ScorePredicted is the
// variant FD-Shifts reports.
type Mahalanobis struct {
	classes int
	g       sharedGaussian
}

// A Shrinker returns the shrinkage intensity a in [0, 1] for the covariance
// s = X^T X / n (d x d) of the centred n x d samples x, both row-major.
type Shrinker func(x []float64, n, d int, s []float64) float64

// LedoitWolf is the Ledoit and Wolf (2004) estimate of the shrinkage
// intensity towards mu I, mu = tr(S)/d, that minimises the expected
// Frobenius error of S_a, as sklearn.covariance.ledoit_wolf_shrinkage
// computes it:
//
//	delta = ||S - mu I||_F^2 / d
//	beta  = sum_i ||x_i x_i^T - S||_F^2 / (d n^2)
//	a     = min(beta, delta) / delta
//
// using sum_i ||x_i x_i^T - S||_F^2 = sum_i ||x_i||^4 - n ||S||_F^2. It
// makes no distributional assumption (OAS, its rival, assumes Gaussian
// samples, which pooled ReLU features are not). With x centred by class
// means rather than one mean it ignores the C degrees of freedom the means
// used, a bias of order C/n. a is 0 when S is already a multiple of I.
func LedoitWolf(x []float64, n, d int, s []float64) float64 {
	trace, frob2 := 0.0, 0.0
	for j := range d {
		trace += s[j*d+j]
		frob2 += dot(s[j*d:(j+1)*d], s[j*d:(j+1)*d])
	}
	fourth := 0.0
	for i := range n {
		xi := x[i*d : (i+1)*d]
		sq := dot(xi, xi)
		fourth += sq * sq
	}
	delta := (frob2 - trace*trace/float64(d)) / float64(d)
	beta := max(fourth/float64(n)-frob2, 0) / (float64(d) * float64(n))
	if !(delta > 0) {
		return 0
	}
	return min(beta, delta) / delta
}

// FixedShrinkage returns a Shrinker that always answers a, for a fixed
// regularisation (a = 0: the plain covariance, which must then be
// positive definite, so n > D at the very least).
func FixedShrinkage(a float64) Shrinker {
	return func([]float64, int, int, []float64) float64 { return a }
}

// FitMahalanobis fits class means and the shared shrunk covariance on the
// training split: features n x dim, labels in 0..classes-1, every class
// present. It fails if S_a is not positive definite (only possible with a
// shrinkage near 0 or features that never vary).
func FitMahalanobis(features []float32, dim int, labels []int, classes int, shrink Shrinker) (*Mahalanobis, error) {
	const name = "FitMahalanobis"
	means, err := classMeans(name, features, dim, labels, classes)
	if err != nil {
		return nil, err
	}
	x := make([]float64, len(features))
	for i, y := range labels {
		for j := range dim {
			x[i*dim+j] = float64(features[i*dim+j]) - means[y*dim+j]
		}
	}
	g, err := fitSharedGaussian(x, len(labels), dim, means, shrink)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return &Mahalanobis{classes: classes, g: g}, nil
}

// Shrinkage is the a the fit used.
func (m *Mahalanobis) Shrinkage() float64 { return m.g.a }

// Dim is the feature dimension D the fit expects.
func (m *Mahalanobis) Dim() int { return m.g.dim }

// SqDistances writes the squared Mahalanobis distance of one feature
// vector h (length D) to each class mean into dst (length C).
func (m *Mahalanobis) SqDistances(dst []float64, h []float32) error {
	if len(h) != m.g.dim || len(dst) != m.classes {
		return fmt.Errorf("Mahalanobis.SqDistances: need %d features and %d outputs, got %d and %d", m.g.dim, m.classes, len(h), len(dst))
	}
	if err := checkFinite("Mahalanobis.SqDistances", "feature", h, m.g.dim); err != nil {
		return err
	}
	m.g.sqDistances(dst, make([]float64, m.g.dim), h)
	return nil
}

// Score is max_c -(h - mu_c)^T S_a^-1 (h - mu_c) per image of the n x D
// features: minus the squared distance to the nearest class mean.
func (m *Mahalanobis) Score(features []float32) ([]float64, error) {
	d := make([]float64, m.classes)
	return m.g.scoreRows("Mahalanobis.Score", features, func(_ int, y []float64, h []float32) float64 {
		m.g.sqDistances(d, y, h)
		best := math.Inf(1)
		for _, v := range d {
			best = min(best, v)
		}
		return -best
	})
}

// ScorePredicted is -(h - mu_p)^T S_a^-1 (h - mu_p) with p = pred[i], the
// model's predicted class for image i (FD-Shifts' variant).
func (m *Mahalanobis) ScorePredicted(features []float32, pred []int) ([]float64, error) {
	const name = "Mahalanobis.ScorePredicted"
	n, err := rows(name, "features", len(features), m.g.dim)
	if err != nil {
		return nil, err
	}
	if n != len(pred) {
		return nil, fmt.Errorf("%s: %d rows of features but %d predictions", name, n, len(pred))
	}
	if err := checkLabels(name, pred, m.classes); err != nil {
		return nil, err
	}
	d := make([]float64, m.classes)
	return m.g.scoreRows(name, features, func(i int, y []float64, h []float32) float64 {
		m.g.sqDistances(d, y, h)
		return -d[pred[i]]
	})
}

// RelativeMahalanobis is the Relative Mahalanobis score (Ren et al. 2021):
// the class-conditional distances minus the distance to one class-agnostic
// Gaussian fitted to all training features (its own mean, covariance and
// shrinkage), so that directions in which every class varies alike stop
// dominating:
//
//	Score(h) = -min_c [MD_c(h) - MD_0(h)].
type RelativeMahalanobis struct {
	class      *Mahalanobis
	background sharedGaussian
}

// FitRelativeMahalanobis fits the class-conditional model as FitMahalanobis
// does and the background Gaussian on the same training features, each
// covariance shrunk with its own a from shrink.
func FitRelativeMahalanobis(features []float32, dim int, labels []int, classes int, shrink Shrinker) (*RelativeMahalanobis, error) {
	const name = "FitRelativeMahalanobis"
	class, err := FitMahalanobis(features, dim, labels, classes, shrink)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	n := len(labels)
	mean := make([]float64, dim)
	for i := range n {
		for j := range dim {
			mean[j] += float64(features[i*dim+j])
		}
	}
	for j := range mean {
		mean[j] /= float64(n)
	}
	x := make([]float64, len(features))
	for i, v := range features {
		x[i] = float64(v) - mean[i%dim]
	}
	bg, err := fitSharedGaussian(x, n, dim, mean, shrink)
	if err != nil {
		return nil, fmt.Errorf("%s: background Gaussian: %w", name, err)
	}
	return &RelativeMahalanobis{class: class, background: bg}, nil
}

// Shrinkage returns the a of the class-conditional and of the background
// covariance.
func (r *RelativeMahalanobis) Shrinkage() (class, background float64) {
	if r.class == nil {
		return math.NaN(), math.NaN()
	}
	return r.class.g.a, r.background.a
}

// Score is -min_c [MD_c(h) - MD_0(h)] per image of the n x D features.
func (r *RelativeMahalanobis) Score(features []float32) ([]float64, error) {
	if r.class == nil {
		return nil, fmt.Errorf("RelativeMahalanobis.Score: not fitted (use FitRelativeMahalanobis)")
	}
	d := make([]float64, r.class.classes)
	var d0 [1]float64
	return r.class.g.scoreRows("RelativeMahalanobis.Score", features, func(_ int, y []float64, h []float32) float64 {
		r.class.g.sqDistances(d, y, h)
		r.background.sqDistances(d0[:], y, h) // y is scratch, free again
		best := math.Inf(1)
		for _, v := range d {
			best = min(best, v)
		}
		return d0[0] - best
	})
}

// sharedGaussian is a set of means with one shared covariance, kept as the
// Cholesky factor L of the shrunk covariance and the means whitened by
// L^-1: then (h - mu)^T S_a^-1 (h - mu) = ||L^-1 h - L^-1 mu||^2.
type sharedGaussian struct {
	dim   int
	a     float64   // shrinkage intensity used
	chol  []float64 // dim x dim, lower triangular
	white []float64 // one row of L^-1 mu per mean
}

// fitSharedGaussian shrinks and factors the covariance of the centred n x
// dim samples x, and whitens the means (a flat list of dim-vectors).
func fitSharedGaussian(x []float64, n, dim int, means []float64, shrink Shrinker) (sharedGaussian, error) {
	if shrink == nil {
		return sharedGaussian{}, fmt.Errorf("no Shrinker (use LedoitWolf or FixedShrinkage)")
	}
	s := covariance(x, n, dim)
	a := shrink(x, n, dim, s)
	if !(a >= 0 && a <= 1) {
		return sharedGaussian{}, fmt.Errorf("shrinkage intensity %v outside [0, 1]", a)
	}
	mu := 0.0
	for j := range dim {
		mu += s[j*dim+j]
	}
	mu /= float64(dim)
	for i := range s {
		s[i] *= 1 - a
	}
	for j := range dim {
		s[j*dim+j] += a * mu
	}
	if err := cholesky(s, dim); err != nil {
		return sharedGaussian{}, fmt.Errorf("covariance shrunk with a = %.3g: %w", a, err)
	}
	white := make([]float64, len(means))
	for c := 0; c < len(means); c += dim {
		forwardSolve(white[c:c+dim], s, dim, means[c:c+dim])
	}
	return sharedGaussian{dim: dim, a: a, chol: s, white: white}, nil
}

// covariance returns X^T X / n for the n x d rows x. Samples are added to
// the lower triangle four at a time, one contiguous row prefix at a time:
// with d = 512 the triangle (1 MB) does not stay in cache, and four rank-1
// updates per sweep cut the memory traffic fourfold. The upper triangle is
// mirrored at the end.
func covariance(x []float64, n, d int) []float64 {
	s := make([]float64, d*d)
	i := 0
	for ; i+4 <= n; i += 4 {
		x0, x1, x2, x3 := x[i*d:(i+1)*d], x[(i+1)*d:(i+2)*d], x[(i+2)*d:(i+3)*d], x[(i+3)*d:(i+4)*d]
		for j := range d {
			row := s[j*d : j*d+j+1]
			a0, a1, a2, a3 := x0[:len(row)], x1[:len(row)], x2[:len(row)], x3[:len(row)]
			v0, v1, v2, v3 := x0[j], x1[j], x2[j], x3[j]
			for k := range row {
				row[k] += v0*a0[k] + v1*a1[k] + v2*a2[k] + v3*a3[k]
			}
		}
	}
	for ; i < n; i++ {
		xi := x[i*d : (i+1)*d]
		for j, v := range xi {
			row := s[j*d : j*d+j+1]
			for k := range row {
				row[k] += v * xi[k]
			}
		}
	}
	inv := 1 / float64(n)
	for j := range d {
		for k := 0; k <= j; k++ {
			s[j*d+k] *= inv
			s[k*d+j] = s[j*d+k]
		}
	}
	return s
}

// sqDistances writes ||L^-1 h - L^-1 mu_c||^2 for every mean c into dst,
// using y (length dim) as scratch.
func (g *sharedGaussian) sqDistances(dst, y []float64, h []float32) {
	for j, v := range h {
		y[j] = float64(v)
	}
	forwardSolve(y, g.chol, g.dim, y)
	for c := range dst {
		w := g.white[c*g.dim : (c+1)*g.dim]
		s := 0.0
		for j, v := range y {
			e := v - w[j]
			s += e * e
		}
		dst[c] = s
	}
}

// scoreRows validates n x dim features and applies score to each row, with
// a scratch vector of length dim.
func (g *sharedGaussian) scoreRows(name string, features []float32, score func(i int, y []float64, h []float32) float64) ([]float64, error) {
	n, err := rows(name, "features", len(features), g.dim)
	if err != nil {
		return nil, err
	}
	if err := checkFinite(name, "feature", features, g.dim); err != nil {
		return nil, err
	}
	y := make([]float64, g.dim)
	out := make([]float64, n)
	for i := range out {
		out[i] = score(i, y, features[i*g.dim:(i+1)*g.dim])
	}
	return out, nil
}

// classMeans validates labelled n x dim training features and returns the
// classes x dim means; a class without a training image has no mean, and
// is an error.
func classMeans(name string, features []float32, dim int, labels []int, classes int) ([]float64, error) {
	n, err := rows(name, "features", len(features), dim)
	if err != nil {
		return nil, err
	}
	if classes < 1 {
		return nil, fmt.Errorf("%s: need at least 1 class, got %d", name, classes)
	}
	if len(labels) != n {
		return nil, fmt.Errorf("%s: %d rows of features but %d labels", name, n, len(labels))
	}
	if err := checkLabels(name, labels, classes); err != nil {
		return nil, err
	}
	if err := checkFinite(name, "feature", features, dim); err != nil {
		return nil, err
	}
	means := make([]float64, classes*dim)
	count := make([]int, classes)
	for i, y := range labels {
		count[y]++
		mu := means[y*dim : (y+1)*dim]
		for j, v := range features[i*dim : (i+1)*dim] {
			mu[j] += float64(v)
		}
	}
	for c, k := range count {
		if k == 0 {
			return nil, fmt.Errorf("%s: class %d has no training features", name, c)
		}
		for j := range dim {
			means[c*dim+j] /= float64(k)
		}
	}
	return means, nil
}
