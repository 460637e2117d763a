package scores

import (
	"math"
	"math/rand/v2"
	"testing"
)

func TestGradNormHand(t *testing.T) {
	// Row 1: z = (0, ln 3), p = (1/4, 3/4): ||p - 1/2||_1 = 1/2, and
	// ||(1, -2, 0.5)||_1 = 3.5, so 1.75. Row 2: equal logits, p uniform: 0.
	logits := []float32{0, float32(math.Log(3)), 4, 4}
	h := []float32{1, -2, 0.5, 7, 7, 7}
	got, err := GradNorm(logits, 2, h, 3)
	if err != nil {
		t.Fatal(err)
	}
	nearAll(t, "GradNorm", got, []float64{1.75, 0}, 1e-7)
}

// klUniform is KL(uniform || softmax(W h + b)) = -ln C - (1/C) sum_k ln p_k,
// the loss whose weight gradient GradNorm measures.
func klUniform(w, b, h []float64, classes int) float64 {
	z := make([]float64, classes)
	m := math.Inf(-1)
	for k := range z {
		z[k] = b[k]
		for j, v := range h {
			z[k] += w[k*len(h)+j] * v
		}
		m = max(m, z[k])
	}
	s := 0.0
	for _, v := range z {
		s += math.Exp(v - m)
	}
	kl := -math.Log(float64(classes))
	for _, v := range z {
		kl -= (v - m - math.Log(s)) / float64(classes)
	}
	return kl
}

// The closed form against a central finite-difference gradient of the KL
// with respect to every weight: entrywise (p_k - 1/C) h_j, and in L1 norm
// the GradNorm score.
func TestGradNormFiniteDifference(t *testing.T) {
	rng := rand.New(rand.NewPCG(23, 24))
	const classes, d, eps = 3, 4, 1e-5
	for trial := range 5 {
		w, b, h := make([]float64, classes*d), make([]float64, classes), make([]float64, d)
		for i := range w {
			w[i] = rng.NormFloat64()
		}
		for i := range b {
			b[i] = rng.NormFloat64()
		}
		for i := range h {
			h[i] = float64(float32(2 * rng.NormFloat64())) // exact in float32
		}
		z32 := make([]float32, classes)
		for k := range z32 {
			z := b[k]
			for j := range h {
				z += w[k*d+j] * h[j]
			}
			z32[k] = float32(z)
		}
		h32 := make([]float32, d)
		for j, v := range h {
			h32[j] = float32(v)
		}
		p := make([]float64, classes)
		for k := range p {
			p[k] = 1 / (1 + sumExpDiff(z32, k))
		}
		l1 := 0.0
		for i := range w {
			orig := w[i]
			w[i] = orig + eps
			up := klUniform(w, b, h, classes)
			w[i] = orig - eps
			down := klUniform(w, b, h, classes)
			w[i] = orig
			g := (up - down) / (2 * eps)
			near(t, "dKL/dW", g, (p[i/d]-1.0/classes)*h[i%d], 1e-6)
			l1 += math.Abs(g)
		}
		got, err := GradNorm(z32, classes, h32, d)
		if err != nil {
			t.Fatal(err)
		}
		if math.Abs(got[0]-l1) > 1e-5*l1 {
			t.Errorf("trial %d: GradNorm %v, L1 norm of the numerical gradient %v", trial, got[0], l1)
		}
	}
}

// sumExpDiff is sum_{j != k} exp(z_j - z_k), so p_k = 1/(1 + it).
func sumExpDiff(z []float32, k int) float64 {
	s := 0.0
	for j, v := range z {
		if j != k {
			s += math.Exp(float64(v) - float64(z[k]))
		}
	}
	return s
}

func TestGradNormReject(t *testing.T) {
	if _, err := GradNorm([]float32{0, 1, 1, 0}, 2, []float32{1, 2, 3}, 3); err == nil {
		t.Error("2 rows of logits with 1 row of features accepted")
	}
	if _, err := GradNorm([]float32{0, 1}, 2, []float32{1, float32(math.NaN())}, 2); err == nil {
		t.Error("NaN feature accepted")
	}
}
