package flag

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// simulate draws n rows of d features x_j ~ scale_j * N(0,1) + shift_j and
// wrong ~ Bernoulli(sigmoid(b + w . x)).
func simulate(rng *rand.Rand, n int, w []float64, b float64, scale, shift []float64) ([][]float64, []bool) {
	x := make([][]float64, n)
	wrong := make([]bool, n)
	for i := range x {
		x[i] = make([]float64, len(w))
		eta := b
		for j := range w {
			x[i][j] = scale[j]*rng.NormFloat64() + shift[j]
			eta += w[j] * x[i][j]
		}
		wrong[i] = rng.Float64() < sigmoid(eta)
	}
	return x, wrong
}

func names(d int) []string {
	out := make([]string, d)
	for j := range out {
		out[j] = string(rune('a' + j))
	}
	return out
}

func TestGradientAndHessianMatchFiniteDifferences(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 1))
	n, d := 30, 4
	z := make([]float64, n*d)
	y := make([]float64, n)
	for i := range z {
		z[i] = rng.NormFloat64()
	}
	for i := range y {
		if rng.IntN(2) == 0 {
			y[i] = 1
		}
	}
	theta := []float64{0.3, -1.2, 0.7, 2.1, -0.4}
	lambda := 0.37
	D := d + 1
	grad := make([]float64, D)
	hess := make([]float64, D*D)
	objective(z, y, d, lambda, theta, grad, hess)
	const h = 1e-6
	tp := make([]float64, D)
	g1, g2 := make([]float64, D), make([]float64, D)
	for j := range D {
		copy(tp, theta)
		tp[j] += h
		up := objective(z, y, d, lambda, tp, g1, nil)
		tp[j] -= 2 * h
		down := objective(z, y, d, lambda, tp, g2, nil)
		fd := (up - down) / (2 * h)
		if math.Abs(fd-grad[j]) > 1e-7 {
			t.Errorf("dL/dtheta[%d] = %v, finite difference %v", j, grad[j], fd)
		}
		for k := range D {
			fdh := (g1[k] - g2[k]) / (2 * h)
			if math.Abs(fdh-hess[k*D+j]) > 1e-6 {
				t.Errorf("H[%d][%d] = %v, finite difference of gradient %v", k, j, hess[k*D+j], fdh)
			}
		}
	}
}

func TestSoftplusSigmoidExtremes(t *testing.T) {
	if v := softplus(800); v != 800 {
		t.Errorf("softplus(800) = %v", v)
	}
	if v := softplus(-800); v != 0 {
		t.Errorf("softplus(-800) = %v", v)
	}
	if v := sigmoid(-800); v != 0 || math.IsNaN(v) {
		t.Errorf("sigmoid(-800) = %v", v)
	}
}

func TestWeightSigns(t *testing.T) {
	rng := rand.New(rand.NewPCG(2, 2))
	// feature a raises the failure rate, b lowers it, c is noise
	x, wrong := simulate(rng, 400, []float64{3, -3, 0}, -1, []float64{1, 1, 1}, []float64{0, 0, 0})
	m, err := Fit(names(3), x, wrong, Options{Seed: 7})
	if err != nil {
		t.Fatal(err)
	}
	if !(m.Weights[0] > 0.5 && m.Weights[1] < -0.5) {
		t.Errorf("weights %v: want a clearly positive, b clearly negative", m.Weights)
	}
	if math.Abs(m.Weights[2]) > math.Abs(m.Weights[0])/3 {
		t.Errorf("noise weight %v not small against %v", m.Weights[2], m.Weights[0])
	}
	pw, _ := m.PWrong([]float64{2, -2, 0})
	pr, _ := m.PWrong([]float64{-2, 2, 0})
	if !(pw > 0.9 && pr < 0.1) {
		t.Errorf("P(wrong) %v for a failure-like row and %v for a safe row", pw, pr)
	}
}

func TestRecoversKnownCoefficients(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 3))
	w := []float64{0.8, -0.5, 0.25}
	b := -0.7
	// Unequal scales and offsets exercise the mapping back to raw units.
	x, wrong := simulate(rng, 40000, w, b, []float64{1, 2, 4}, []float64{0.5, -1, 3})
	m, err := Fit(names(3), x, wrong, Options{Lambdas: []float64{1e-8}})
	if err != nil {
		t.Fatal(err)
	}
	rw, rb := m.RawCoefficients()
	for j := range w {
		if math.Abs(rw[j]-w[j]) > 0.05 {
			t.Errorf("raw weight %d = %v, true %v", j, rw[j], w[j])
		}
	}
	if math.Abs(rb-b) > 0.1 {
		t.Errorf("raw bias %v, true %v", rb, b)
	}
}

func TestStandardisationInvariance(t *testing.T) {
	rng := rand.New(rand.NewPCG(4, 4))
	x, wrong := simulate(rng, 300, []float64{1, -1, 0.5}, 0, []float64{1, 1, 1}, []float64{0, 0, 0})
	m1, err := Fit(names(3), x, wrong, Options{Seed: 9})
	if err != nil {
		t.Fatal(err)
	}
	// Rescale feature b by 1000 and shift feature c: standardisation must
	// undo both, leaving the chosen lambda and every prediction unchanged.
	x2 := make([][]float64, len(x))
	for i, r := range x {
		x2[i] = []float64{r[0], 1000 * r[1], r[2] - 50}
	}
	m2, err := Fit(names(3), x2, wrong, Options{Seed: 9})
	if err != nil {
		t.Fatal(err)
	}
	if m1.Lambda != m2.Lambda {
		t.Errorf("lambda %v became %v after rescaling", m1.Lambda, m2.Lambda)
	}
	for i := range x {
		p1, _ := m1.PWrong(x[i])
		p2, _ := m2.PWrong(x2[i])
		if math.Abs(p1-p2) > 1e-9 {
			t.Fatalf("row %d: P(wrong) %v vs %v after rescaling", i, p1, p2)
		}
	}
}

func TestConstantFeatureIgnored(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 5))
	x, wrong := simulate(rng, 200, []float64{2, 0}, 0, []float64{1, 0}, []float64{0, 3.3})
	m, err := Fit(names(2), x, wrong, Options{Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	if m.Std[1] != 0 || m.Weights[1] != 0 {
		t.Errorf("constant feature: std %v weight %v, want 0 and 0", m.Std[1], m.Weights[1])
	}
	p1, _ := m.PWrong([]float64{0.5, 3.3})
	p2, _ := m.PWrong([]float64{0.5, -100})
	if p1 != p2 {
		t.Errorf("constant feature changed the prediction: %v vs %v", p1, p2)
	}
}

func TestCrossValidationDeterministic(t *testing.T) {
	rng := rand.New(rand.NewPCG(6, 6))
	x, wrong := simulate(rng, 250, []float64{1.5, 0, 0, 0, 0}, -1, []float64{1, 1, 1, 1, 1}, make([]float64, 5))
	m1, err := Fit(names(5), x, wrong, Options{Seed: 11})
	if err != nil {
		t.Fatal(err)
	}
	m2, _ := Fit(names(5), x, wrong, Options{Seed: 11})
	if len(m1.CV) != len(DefaultLambdas()) {
		t.Fatalf("%d CV scores for %d lambdas", len(m1.CV), len(DefaultLambdas()))
	}
	best := m1.CV[0]
	for i, s := range m1.CV {
		if s != m2.CV[i] {
			t.Fatalf("same seed, different CV: %v vs %v", m1.CV, m2.CV)
		}
		if s.LogLoss < best.LogLoss {
			best = s
		}
	}
	if m1.Lambda != best.Lambda {
		t.Errorf("chose lambda %v, CV minimum at %v (%v)", m1.Lambda, best.Lambda, m1.CV)
	}
	// one informative feature: the largest penalty (weights ~ 0) must lose
	if m1.Lambda == 10 {
		t.Errorf("CV chose the strongest penalty on informative data: %v", m1.CV)
	}
	for j, w := range m1.Weights {
		if w != m2.Weights[j] {
			t.Fatalf("same seed, different weights")
		}
	}
}

func TestSaveLoadRoundTrip(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 7))
	x, wrong := simulate(rng, 120, []float64{1, -1}, 0, []float64{1, 1}, []float64{0, 0})
	m, err := Fit([]string{"rmse_mean", "flips"}, x, wrong, Options{Seed: 3})
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "sub", "detector.json")
	if err := m.Save(path); err != nil {
		t.Fatal(err)
	}
	got, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	for i := range x {
		a, _ := m.PWrong(x[i])
		b, _ := got.PWrong(x[i])
		if a != b {
			t.Fatalf("row %d: %v before save, %v after load", i, a, b)
		}
	}
	if got.Seed != 3 || got.Lambda != m.Lambda || got.Features[1] != "flips" {
		t.Errorf("metadata lost: %+v", got)
	}
	leftovers, _ := filepath.Glob(filepath.Join(filepath.Dir(path), ".*.tmp"))
	if len(leftovers) != 0 {
		t.Errorf("temporary files left: %v", leftovers)
	}
}

func TestLoadRejectsDamagedModels(t *testing.T) {
	dir := t.TempDir()
	cases := map[string]string{
		"not json":      `{"format": `,
		"wrong format":  `{"format":"other","features":["a"],"mean":[0],"std":[1],"weights":[1],"bias":0}`,
		"short weights": `{"format":"` + Format + `","features":["a","b"],"mean":[0,0],"std":[1,1],"weights":[1],"bias":0}`,
		"negative std":  `{"format":"` + Format + `","features":["a"],"mean":[0],"std":[-1],"weights":[1],"bias":0}`,
		"unknown field": `{"format":"` + Format + `","features":["a"],"mean":[0],"std":[1],"weights":[1],"bias":0,"extra":1}`,
		"no features":   `{"format":"` + Format + `","features":[],"mean":[],"std":[],"weights":[],"bias":0}`,
	}
	for name, body := range cases {
		p := filepath.Join(dir, strings.ReplaceAll(name, " ", "_")+".json")
		os.WriteFile(p, []byte(body), 0o644)
		if _, err := Load(p); err == nil {
			t.Errorf("%s: loaded without error", name)
		} else if !strings.Contains(err.Error(), p) {
			t.Errorf("%s: error %q does not name the file", name, err)
		}
	}
	if _, err := Load(filepath.Join(dir, "missing.json")); err == nil {
		t.Error("missing file loaded")
	}
}

func TestFitRejectsBadInput(t *testing.T) {
	x := [][]float64{{1, 2}, {2, 1}, {3, 3}, {0, 1}}
	wrong := []bool{true, false, true, false}
	one := Options{Lambdas: []float64{1}}
	if _, err := Fit([]string{"a", "b"}, x, wrong[:3], one); err == nil {
		t.Error("row/residual mismatch accepted")
	}
	if _, err := Fit([]string{"a"}, x, wrong, one); err == nil {
		t.Error("row width mismatch accepted")
	}
	if _, err := Fit([]string{"a", "a"}, x, wrong, one); err == nil {
		t.Error("duplicate feature name accepted")
	}
	bad := [][]float64{{1, 2}, {2, math.NaN()}, {3, 3}, {0, 1}}
	if _, err := Fit([]string{"a", "b"}, bad, wrong, one); err == nil || !strings.Contains(err.Error(), `"b"`) {
		t.Errorf("NaN feature: err %v, want one naming feature b", err)
	}
	if _, err := Fit([]string{"a", "b"}, x, []bool{false, false, false, false}, one); err == nil {
		t.Error("no wrong predictions accepted")
	}
	if _, err := Fit([]string{"a", "b"}, x, wrong, Options{Lambdas: []float64{0}}); err == nil {
		t.Error("lambda 0 accepted")
	}
	if _, err := Fit([]string{"a", "b"}, x, []bool{true, false, false, false}, Options{}); err == nil {
		t.Error("cross-validation with a single wrong prediction accepted")
	}
	m, err := Fit([]string{"a", "b"}, x, wrong, one)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := m.PWrong([]float64{1}); err == nil {
		t.Error("short feature vector accepted")
	}
}

func TestCalibrateCoverageHand(t *testing.T) {
	conf := []float64{0.95, 0.9, 0.9, 0.8, 0.7, 0.6, 0.5, 0.4, 0.3, 0.2}
	wrong := []bool{false, false, true, false, false, true, false, true, true, true}
	// 50% of 10 = 5 rows: accept down to 0.7 (rows 0..4), one wrong of 5
	th, err := CalibrateCoverage(conf, wrong, 0.5)
	if err != nil {
		t.Fatal(err)
	}
	if th.Threshold != 0.7 || th.Accepted != 5 || th.Risk != 0.2 || th.Coverage != 0.5 {
		t.Errorf("coverage 0.5: %+v", th)
	}
	// 20% = 2 rows, but the tie at 0.9 forces 3 together
	th, _ = CalibrateCoverage(conf, wrong, 0.2)
	if th.Threshold != 0.9 || th.Accepted != 3 || th.Coverage != 0.3 {
		t.Errorf("coverage 0.2 with tie: %+v", th)
	}
	// 0.9 x 10 must mean 9 rows despite rounding
	th, _ = CalibrateCoverage(conf, wrong, 0.9)
	if th.Accepted != 9 || th.Threshold != 0.3 {
		t.Errorf("coverage 0.9: %+v", th)
	}
	if !th.Accept(0.3) || th.Accept(0.29) {
		t.Error("Accept must be conf >= threshold")
	}
	if _, err := CalibrateCoverage(conf, wrong, 0); err == nil {
		t.Error("coverage 0 accepted")
	}
	if _, err := CalibrateCoverage(conf, wrong[:3], 0.5); err == nil {
		t.Error("length mismatch accepted")
	}
}

func TestCalibrateRiskHand(t *testing.T) {
	conf := []float64{0.95, 0.9, 0.9, 0.8, 0.7, 0.6, 0.5, 0.4, 0.3, 0.2}
	wrong := []bool{false, false, true, false, false, true, false, true, true, true}
	// risks at the distinct thresholds: k=1: 0, k=3: 1/3, k=4: 1/4,
	// k=5: 1/5, k=6: 2/6, k=7: 2/7, k=8: 3/8, k=9: 4/9, k=10: 5/10
	th, err := CalibrateRisk(conf, wrong, 0.3)
	if err != nil {
		t.Fatal(err)
	}
	// largest coverage with risk <= .3 is k = 7 (2/7 = .286); k = 6 is not,
	// showing risk is not monotone and every threshold is checked
	if th.Accepted != 7 || th.Threshold != 0.5 {
		t.Errorf("risk 0.3: %+v", th)
	}
	th, _ = CalibrateRisk(conf, wrong, 0.2) // exactly 1/5 at k = 5
	if th.Accepted != 5 || th.Threshold != 0.7 {
		t.Errorf("risk 0.2: %+v", th)
	}
	th, _ = CalibrateRisk(conf, wrong, 0)
	if th.Accepted != 1 || th.Threshold != 0.95 {
		t.Errorf("risk 0: %+v", th)
	}
	_, err = CalibrateRisk([]float64{0.9, 0.8}, []bool{true, false}, 0.1)
	if !errors.Is(err, ErrRiskUnattainable) {
		t.Errorf("unattainable risk: err %v", err)
	}
}

func BenchmarkFit(b *testing.B) {
	rng := rand.New(rand.NewPCG(8, 8))
	d := 60
	w := make([]float64, d)
	scale := make([]float64, d)
	for j := range w {
		w[j] = rng.NormFloat64() * 0.3
		scale[j] = 1
	}
	x, wrong := simulate(rng, 500, w, -1.5, scale, make([]float64, d))
	for b.Loop() {
		if _, err := Fit(names(d), x, wrong, Options{Seed: 1}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkFitWide is the size of the real problem: ~200 RMSE-profile
// features on a DermaMNIST-sized validation split.
func BenchmarkFitWide(b *testing.B) {
	rng := rand.New(rand.NewPCG(9, 9))
	d := 200
	w := make([]float64, d)
	scale := make([]float64, d)
	nm := make([]string, d)
	for j := range w {
		w[j] = rng.NormFloat64() * 0.1
		scale[j] = 1
		nm[j] = fmt.Sprintf("f%03d", j)
	}
	x, wrong := simulate(rng, 1000, w, -1.5, scale, make([]float64, d))
	for b.Loop() {
		if _, err := Fit(nm, x, wrong, Options{Seed: 1}); err != nil {
			b.Fatal(err)
		}
	}
}
