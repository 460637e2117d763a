package metrics

import (
	"errors"
	"math"
	"math/rand/v2"
	"testing"
)

// binomCDFSum is P(Bin(m, b) <= w) summed term by term in log space, an
// oracle independent of the incomplete beta function.
func binomCDFSum(w, m int, b float64) float64 {
	lm, _ := math.Lgamma(float64(m + 1))
	logs := make([]float64, w+1)
	top := math.Inf(-1)
	for k := 0; k <= w; k++ {
		lk, _ := math.Lgamma(float64(k + 1))
		lr, _ := math.Lgamma(float64(m - k + 1))
		logs[k] = lm - lk - lr + float64(k)*math.Log(b) + float64(m-k)*math.Log1p(-b)
		top = max(top, logs[k])
	}
	s := 0.0
	for _, l := range logs {
		s += math.Exp(l - top)
	}
	return math.Exp(top) * s
}

func TestClopperPearsonUpperClosedForms(t *testing.T) {
	// P(Bin(m, b) <= 0) = (1-b)^m and P(Bin(m, b) <= m-1) = 1 - b^m, so the
	// bounds are 1 - delta^(1/m) and (1 - delta)^(1/m).
	for _, m := range []int{1, 2, 10, 100, 1000, 100000} {
		for _, delta := range []float64{0.5, 0.05, 0.01, 1e-6} {
			fm := float64(m)
			w0 := 1 - math.Pow(delta, 1/fm)
			near(t, "w = 0", ClopperPearsonUpper(0, m, delta), w0, 1e-9*w0)
			wm1 := math.Pow(1-delta, 1/fm)
			near(t, "w = m-1", ClopperPearsonUpper(m-1, m, delta), wm1, 1e-12)
			near(t, "w = m", ClopperPearsonUpper(m, m, delta), 1, 0)
		}
	}
	// rule of three: no failure in 100 trials bounds the rate by ~3/100
	near(t, "0 of 100 at 5%", ClopperPearsonUpper(0, 100, 0.05), 0.029513049607039932, 1e-12)
	near(t, "no trials", ClopperPearsonUpper(0, 0, 0.05), 1, 0)
}

// The bound against its definition, with the CDF from the oracle: the CDF
// at the bound is delta, and just above the bound it is below delta.
func TestClopperPearsonUpperDefinition(t *testing.T) {
	cases := []struct{ w, m int }{
		{1, 2}, {3, 10}, {10, 100}, {57, 500}, {250, 1000}, {5000, 100000}, {50000, 100000}, {99990, 100000},
	}
	for _, c := range cases {
		for _, delta := range []float64{0.05, 0.005, 1e-4} {
			b := ClopperPearsonUpper(c.w, c.m, delta)
			if cdf := binomCDFSum(c.w, c.m, b); math.Abs(cdf-delta) > 1e-7*delta {
				t.Errorf("w=%d m=%d delta=%g: bound %.12g has CDF %.12g", c.w, c.m, delta, b, cdf)
			}
			if up := b * (1 + 1e-6); up < 1 && binomCDFSum(c.w, c.m, up) >= delta {
				t.Errorf("w=%d m=%d delta=%g: %.12g above the bound still has CDF >= delta", c.w, c.m, delta, up)
			}
		}
	}
}

func TestClopperPearsonUpperTable(t *testing.T) {
	// 10 failures in 100: the exact two-sided 95% interval is
	// (0.0490, 0.1762), whose upper end is the one-sided bound at 2.5%;
	// the one-sided 95% bound is 0.1637 (e.g. R's binom.test).
	near(t, "10/100 at 2.5%", ClopperPearsonUpper(10, 100, 0.025), 0.1762226, 5e-7)
	near(t, "10/100 at 5%", ClopperPearsonUpper(10, 100, 0.05), 0.1637176, 5e-7)
	// half of 100,000 at 5%: the normal approximation 0.5 + 1.645 sqrt(1/4/m)
	// is good to a few 1e-6 this far out.
	near(t, "50000/100000 at 5%", ClopperPearsonUpper(50000, 100000, 0.05), 0.5+1.6448536*math.Sqrt(0.25/1e5), 1e-5)
}

func TestClopperPearsonUpperMonotone(t *testing.T) {
	const m = 300
	prev := 0.0
	for w := 0; w <= m; w++ { // more failures, higher bound
		b := ClopperPearsonUpper(w, m, 0.05)
		if !(b > prev) && w < m {
			t.Fatalf("bound(w=%d) = %g not above bound(w=%d) = %g", w, b, w-1, prev)
		}
		prev = b
	}
	prev = 1
	for m := 11; m <= 2000; m += 37 { // more trials at the same count, lower bound
		b := ClopperPearsonUpper(10, m, 0.05)
		if !(b < prev) {
			t.Fatalf("bound(m=%d) = %g not below the previous %g", m, b, prev)
		}
		prev = b
	}
	prev = 0
	for _, delta := range []float64{0.5, 0.2, 0.05, 0.01, 1e-3, 1e-6} { // more confidence, higher bound
		b := ClopperPearsonUpper(10, 100, delta)
		if !(b > prev) {
			t.Fatalf("bound(delta=%g) = %g not above the previous %g", delta, b, prev)
		}
		prev = b
	}
}

func TestClopperPearsonUpperInvalid(t *testing.T) {
	for _, c := range []struct {
		w, m  int
		delta float64
	}{{-1, 10, 0.05}, {11, 10, 0.05}, {0, -1, 0.05}, {1, 10, 0}, {1, 10, 1}, {1, 10, math.NaN()}, {1, 10, -0.1}} {
		if b := ClopperPearsonUpper(c.w, c.m, c.delta); !math.IsNaN(b) {
			t.Errorf("ClopperPearsonUpper(%d, %d, %v) = %v, want NaN", c.w, c.m, c.delta, b)
		}
	}
}

// 90 correct predictions at distinct confidences above 10 wrong ones tied
// at the bottom: 91 blocks, so k = ceil(log2 92) = 7 bounds at delta/7. The
// search passes blocks 45, 68, 79, 85, 88, 89 (all correct, risk 0) and
// fails the tied block (10 wrong of 100), so it stops at 90 accepted with
// bound 1 - (delta/7)^(1/90).
func TestSGRHand(t *testing.T) {
	conf := make([]float64, 100)
	wrong := make([]bool, 100)
	for i := range 90 {
		conf[i] = 1 - float64(i)/100
	}
	for i := 90; i < 100; i++ {
		conf[i], wrong[i] = 0.05, true
	}
	r, err := SGR(conf, wrong, 0.15, 0.05)
	if err != nil {
		t.Fatal(err)
	}
	if r.Accepted != 90 || r.N != 100 || r.Tests != 7 || r.Risk != 0 {
		t.Errorf("accepted %d of %d with risk %v over %d tests, want 90 of 100, risk 0, 7 tests", r.Accepted, r.N, r.Risk, r.Tests)
	}
	near(t, "threshold", r.Threshold, conf[89], 0)
	near(t, "coverage", r.Coverage, 0.9, 1e-15)
	near(t, "bound", r.Bound, 1-math.Pow(0.05/7, 1.0/90), 1e-12)

	// Without the failures everything is accepted: 90 blocks, k = 7 still.
	r, err = SGR(conf[:90], wrong[:90], 0.15, 0.05)
	if err != nil {
		t.Fatal(err)
	}
	if r.Accepted != 90 || r.Coverage != 1 {
		t.Errorf("all correct: accepted %d, coverage %v, want all", r.Accepted, r.Coverage)
	}
}

func TestSGRTiedBlocksMoveTogether(t *testing.T) {
	// Two blocks of 50 tied confidences: the threshold accepts 50 or 100,
	// never a part of a block. The upper block has 1 failure in 50.
	conf := make([]float64, 100)
	wrong := make([]bool, 100)
	for i := range conf {
		conf[i] = 0.9
		if i >= 50 {
			conf[i], wrong[i] = 0.4, i%2 == 0
		}
	}
	wrong[0] = true
	r, err := SGR(conf, wrong, 0.2, 0.05)
	if err != nil {
		t.Fatal(err)
	}
	// 2 blocks, k = 2: block 0 at delta/2: B(1, 50, 0.025) ~ 0.106 < 0.2;
	// block 1: 26 of 100 wrong, far above 0.2.
	if r.Accepted != 50 || r.Threshold != 0.9 || r.Tests != 2 {
		t.Errorf("accepted %d at threshold %v over %d tests, want the upper block of 50 at 0.9 over 2", r.Accepted, r.Threshold, r.Tests)
	}
	near(t, "bound", r.Bound, ClopperPearsonUpper(1, 50, 0.025), 0)
}

func TestSGRUnattainable(t *testing.T) {
	conf := []float64{0.9, 0.8, 0.7, 0.6}
	_, err := SGR(conf, []bool{true, false, true, false}, 0.1, 0.05)
	if !errors.Is(err, ErrRiskUnattainable) {
		t.Errorf("half wrong at the top: error %v, want ErrRiskUnattainable", err)
	}
	// Four correct predictions cannot bound the risk below 0.1 at 95%:
	// 1 - (0.05/3)^(1/4) = 0.64.
	_, err = SGR(conf, []bool{false, false, false, false}, 0.1, 0.05)
	if !errors.Is(err, ErrRiskUnattainable) {
		t.Errorf("too few predictions: error %v, want ErrRiskUnattainable", err)
	}
}

func TestSGRInvalid(t *testing.T) {
	conf, wrong := []float64{0.9, 0.1}, []bool{false, true}
	cases := []struct {
		name        string
		conf        []float64
		wrong       []bool
		risk, delta float64
	}{
		{"risk 0", conf, wrong, 0, 0.05},
		{"risk above 1", conf, wrong, 1.5, 0.05},
		{"risk NaN", conf, wrong, math.NaN(), 0.05},
		{"delta 0", conf, wrong, 0.1, 0},
		{"delta 1", conf, wrong, 0.1, 1},
		{"length mismatch", conf, wrong[:1], 0.1, 0.05},
		{"empty", nil, nil, 0.1, 0.05},
		{"NaN confidence", []float64{math.NaN(), 0.1}, wrong, 0.1, 0.05},
	}
	for _, c := range cases {
		if _, err := SGR(c.conf, c.wrong, c.risk, c.delta); err == nil || errors.Is(err, ErrRiskUnattainable) {
			t.Errorf("%s: error %v, want an input error", c.name, err)
		}
	}
}

// The guarantee itself. Calibration sets of m = 2000 from a known model:
// conf ~ U(0, 1), P(wrong | conf) = 0.4 (1 - conf). Accepting conf >= t
// has true selective risk
//
//	int_t^1 0.4 (1 - c) dc / (1 - t) = 0.2 (1 - t),
//
// so a returned threshold violates the target 0.1 exactly when t < 0.5.
// Over 1000 independent sets the violation rate must be at most delta,
// plus three binomial standard errors sqrt(delta (1 - delta) / 1000) =
// 0.0069 for Monte-Carlo noise: a correct SGR fails this with probability
// about 0.1%, and being deterministic (seeded) it either always passes or
// never. An abstention (ErrRiskUnattainable) is no violation, so the test
// also demands SGR be useful: it must return a threshold in most sets and
// cover a fair share: with m = 500 it abstains on about two sets in three
// for this target (never violating), hence the larger sets. As a control,
// the naive rule (largest coverage whose empirical risk is <= 0.1, no
// bound) violates the target in a large fraction of the first 200 sets:
// the simulation can see a violation.
func TestSGRGuaranteeSimulation(t *testing.T) {
	const (
		sets   = 1000
		m      = 2000
		target = 0.1
		delta  = 0.05
		// the control needs far fewer sets to show its violation rate
		naiveSets = 200
	)
	rng := rand.New(rand.NewPCG(2017, 12))
	conf := make([]float64, m)
	wrong := make([]bool, m)
	violations, naiveViolations, abstained := 0, 0, 0
	coverage := 0.0
	for set := range sets {
		for i := range conf {
			conf[i] = rng.Float64()
			wrong[i] = rng.Float64() < 0.4*(1-conf[i])
		}
		r, err := SGR(conf, wrong, target, delta)
		switch {
		case errors.Is(err, ErrRiskUnattainable):
			abstained++
		case err != nil:
			t.Fatal(err)
		default:
			checkSGRResult(t, conf, wrong, r)
			coverage += r.Coverage
			if 0.2*(1-r.Threshold) > target {
				violations++
			}
		}
		if set < naiveSets && 0.2*(1-naiveThreshold(t, conf, wrong, target)) > target {
			naiveViolations++
		}
	}
	rate := float64(violations) / sets
	slack := 3 * math.Sqrt(delta*(1-delta)/sets)
	t.Logf("violation rate %.3f (bound %.3f), naive %.3f, abstained %d, mean coverage %.3f (optimum 0.5)",
		rate, delta+slack, float64(naiveViolations)/naiveSets, abstained, coverage/float64(sets-abstained))
	if rate > delta+slack {
		t.Errorf("violation rate %.3f exceeds delta %.2f + %.4f", rate, delta, slack)
	}
	if abstained > sets/10 {
		t.Errorf("SGR abstained on %d of %d sets", abstained, sets)
	}
	if c := coverage / float64(sets-abstained); c < 0.15 {
		t.Errorf("mean coverage %.3f: SGR is uselessly conservative", c)
	}
	if naiveViolations < naiveSets/4 {
		t.Errorf("naive rule violated only %d times: the simulation cannot see violations", naiveViolations)
	}
}

// checkSGRResult recounts a result from the data: what conf >= Threshold
// accepts, and the bound at delta/Tests.
func checkSGRResult(t *testing.T, conf []float64, wrong []bool, r SGRResult) {
	t.Helper()
	acc, w := 0, 0
	for i, c := range conf {
		if c >= r.Threshold {
			acc++
			if wrong[i] {
				w++
			}
		}
	}
	b := ClopperPearsonUpper(w, acc, r.Delta/float64(r.Tests))
	if acc != r.Accepted || float64(w)/float64(acc) != r.Risk || b != r.Bound || r.Bound >= 0.1 {
		t.Fatalf("result %+v, recounted %d accepted, %d wrong, bound %v", r, acc, w, b)
	}
}

// naiveThreshold is the largest-coverage threshold whose empirical risk is
// at most target (compute/flag.CalibrateRisk's rule), or 1 if none.
func naiveThreshold(t *testing.T, conf []float64, wrong []bool, target float64) float64 {
	pts, err := RiskCoverage(conf, wrong)
	if err != nil {
		t.Fatal(err)
	}
	th := 1.0
	for _, p := range pts {
		if float64(p.WrongAccept) <= target*float64(p.Accepted) {
			th = p.Threshold
		}
	}
	return th
}
