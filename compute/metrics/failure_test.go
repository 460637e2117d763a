package metrics

import (
	"errors"
	"math"
	"math/rand/v2"
	"testing"
)

// Four predictions by descending confidence: right, wrong, right, wrong.
// Selective risks at k = 1..4: 0, 1/2, 1/3, 2/4.
var (
	fdConf  = []float64{0.9, 0.8, 0.7, 0.6}
	fdWrong = []bool{false, true, false, true}
)

func TestAURCHand(t *testing.T) {
	got, err := AURC(fdConf, fdWrong)
	if err != nil {
		t.Fatal(err)
	}
	near(t, "AURC", got, (0+0.5+1.0/3+0.5)/4, 1e-15)
	// oracle accepts both right ones first: risks 0, 0, 1/3, 2/4
	e, err := EAURC(fdConf, fdWrong)
	if err != nil {
		t.Fatal(err)
	}
	// (0 + 1/2 + 1/3 + 1/2)/4 - (0 + 0 + 1/3 + 1/2)/4 = (1/2)/4
	near(t, "e-AURC", e, 0.125, 1e-15)
}

func TestAURCTies(t *testing.T) {
	// a tied block of one right and one wrong at k = 2..3: expected failures
	// among the top 2 is 1/2, among the top 3 is 1. Risks 0, 1/4, 1/3.
	got, err := AURC([]float64{0.9, 0.5, 0.5}, []bool{false, true, false})
	if err != nil {
		t.Fatal(err)
	}
	near(t, "AURC with tie", got, (0+0.25+1.0/3)/3, 1e-15)
	// a constant score carries no ranking: AURC is the error rate
	got, _ = AURC([]float64{1, 1, 1, 1}, []bool{false, true, false, false})
	near(t, "AURC all tied", got, 0.25, 1e-15)
}

func TestEAURCPerfectRankingIsZero(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	n := 200
	conf := make([]float64, n)
	wrong := make([]bool, n)
	for i := range conf {
		wrong[i] = rng.IntN(4) == 0
		conf[i] = rng.Float64()
		if wrong[i] {
			conf[i] -= 2 // every wrong one below every right one
		}
	}
	e, err := EAURC(conf, wrong)
	if err != nil {
		t.Fatal(err)
	}
	near(t, "e-AURC of oracle ranking", e, 0, 1e-14)
}

func TestAUGRCHand(t *testing.T) {
	// failures accepted at k = 0..4: 0 0 1 1 2; trapezoid sum
	// (0+0)/2 + (0+1)/2 + (1+1)/2 + (1+2)/2 = 3, over N^2 = 16
	got, err := AUGRC(fdConf, fdWrong)
	if err != nil {
		t.Fatal(err)
	}
	near(t, "AUGRC", got, 3.0/16, 1e-15)
	// all right: nothing wrong is ever accepted; all wrong: (1/2) area
	got, _ = AUGRC([]float64{1, 2, 3}, []bool{false, false, false})
	near(t, "AUGRC all right", got, 0, 0)
	got, _ = AUGRC([]float64{1, 2, 3, 4}, []bool{true, true, true, true})
	near(t, "AUGRC all wrong", got, 0.5, 1e-15)
}

// AUGRC = (1 - AUROC_f) acc (1 - acc) + (1 - acc)^2 / 2 (Traub et al. 2024)
// holds exactly for every input, ties included, under our tie convention.
func TestAUGRCIdentity(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 10))
	for trial := range 200 {
		n := 2 + rng.IntN(80)
		conf := make([]float64, n)
		wrong := make([]bool, n)
		levels := 1 + rng.IntN(10)
		for i := range conf {
			conf[i] = float64(rng.IntN(levels))
			wrong[i] = rng.IntN(3) == 0
		}
		wrong[0], wrong[1] = true, false
		auroc, err := AUROCf(conf, wrong)
		if err != nil {
			t.Fatal(err)
		}
		nw := 0
		for _, w := range wrong {
			if w {
				nw++
			}
		}
		acc := 1 - float64(nw)/float64(n)
		want := (1-auroc)*acc*(1-acc) + (1-acc)*(1-acc)/2
		got, _ := AUGRC(conf, wrong)
		if math.Abs(got-want) > 1e-12 {
			t.Fatalf("trial %d: AUGRC %v, identity %v", trial, got, want)
		}
	}
}

func TestFailureMetricsOrderIndependent(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 12))
	n := 60
	conf := make([]float64, n)
	wrong := make([]bool, n)
	for i := range conf {
		conf[i] = float64(rng.IntN(5)) // heavy ties
		wrong[i] = rng.IntN(3) == 0
	}
	wrong[0], wrong[1] = true, false
	base, err := Failure(conf, wrong)
	if err != nil {
		t.Fatal(err)
	}
	for range 20 {
		rng.Shuffle(n, func(i, j int) {
			conf[i], conf[j] = conf[j], conf[i]
			wrong[i], wrong[j] = wrong[j], wrong[i]
		})
		r, _ := Failure(conf, wrong)
		for _, p := range [][2]float64{{r.AURC, base.AURC}, {r.EAURC, base.EAURC}, {r.AUGRC, base.AUGRC}, {r.AUROCf, base.AUROCf}, {r.FPR95TPR, base.FPR95TPR}} {
			if math.Abs(p[0]-p[1]) > 1e-12 {
				t.Fatalf("shuffling changed a metric: %+v vs %+v", r, base)
			}
		}
	}
}

func TestAUROCfHand(t *testing.T) {
	// right: .9 .7, wrong: .8 .6 -> (.9>.8) (.9>.6) (.7>.6), (.7<.8) -> 3/4
	got, err := AUROCf(fdConf, fdWrong)
	if err != nil {
		t.Fatal(err)
	}
	near(t, "AUROC_f", got, 0.75, 0)
	if _, err := AUROCf([]float64{1, 2}, []bool{false, false}); !errors.Is(err, ErrSingleClass) {
		t.Errorf("all right: err %v, want ErrSingleClass", err)
	}
}

func TestFPRAt95TPRHand(t *testing.T) {
	// 20 right scored 1..20 and 4 wrong scored .5 1.5 2.5 25. 95% of 20 is
	// 19, first reached at threshold 2 (accepting 2..20); wrong ones at or
	// above 2: 2.5 and 25 -> FPR 2/4.
	var conf []float64
	var wrong []bool
	for i := 1; i <= 20; i++ {
		conf = append(conf, float64(i))
		wrong = append(wrong, false)
	}
	for _, s := range []float64{0.5, 1.5, 2.5, 25} {
		conf = append(conf, s)
		wrong = append(wrong, true)
	}
	got, err := FPRAt95TPR(conf, wrong)
	if err != nil {
		t.Fatal(err)
	}
	near(t, "FPR@95TPR", got, 0.5, 0)
	got, _ = FPRAt95TPR(fdConf, fdWrong) // needs both right ones: threshold .7 accepts .8
	near(t, "FPR@95TPR small", got, 0.5, 0)
	if _, err := FPRAt95TPR([]float64{1}, []bool{true}); !errors.Is(err, ErrSingleClass) {
		t.Errorf("all wrong: err %v, want ErrSingleClass", err)
	}
}

func TestRiskCoverageCurve(t *testing.T) {
	pts, err := RiskCoverage([]float64{0.9, 0.5, 0.5, 0.2}, []bool{false, true, false, true})
	if err != nil {
		t.Fatal(err)
	}
	want := []RCPoint{
		{Threshold: 0.9, Coverage: 0.25, Risk: 0, GenRisk: 0, Accepted: 1, WrongAccept: 0},
		{Threshold: 0.5, Coverage: 0.75, Risk: 1.0 / 3, GenRisk: 0.25, Accepted: 3, WrongAccept: 1},
		{Threshold: 0.2, Coverage: 1, Risk: 0.5, GenRisk: 0.5, Accepted: 4, WrongAccept: 2},
	}
	if len(pts) != len(want) {
		t.Fatalf("%d points, want %d: %+v", len(pts), len(want), pts)
	}
	for i := range want {
		if pts[i] != want[i] {
			t.Errorf("point %d = %+v, want %+v", i, pts[i], want[i])
		}
	}
}

func TestFailureBadInput(t *testing.T) {
	if _, err := AURC([]float64{1, 2}, []bool{true}); err == nil {
		t.Error("length mismatch accepted")
	}
	if _, err := AUGRC(nil, nil); err == nil {
		t.Error("empty input accepted")
	}
	if _, err := EAURC([]float64{math.NaN()}, []bool{true}); err == nil {
		t.Error("NaN confidence accepted")
	}
	r, err := Failure([]float64{1, 2}, []bool{false, false})
	if err != nil || !math.IsNaN(r.AUROCf) || !math.IsNaN(r.FPR95TPR) || r.AURC != 0 {
		t.Errorf("all right: %+v, %v; want NaN AUROC_f and FPR, AURC 0", r, err)
	}
}

func TestBootstrap(t *testing.T) {
	rng := rand.New(rand.NewPCG(13, 14))
	n := 300
	conf := make([]float64, n)
	wrong := make([]bool, n)
	for i := range conf {
		wrong[i] = rng.IntN(5) == 0
		conf[i] = rng.NormFloat64()
		if !wrong[i] {
			conf[i] += 1
		}
	}
	point, err := AUROCf(conf, wrong)
	if err != nil {
		t.Fatal(err)
	}
	var c []float64
	var w []bool
	stat := func(idx []int) float64 {
		c, w = Gather(c, conf, idx), Gather(w, wrong, idx)
		a, err := AUROCf(c, w)
		if err != nil {
			return math.NaN()
		}
		return a
	}
	lo, hi, err := Bootstrap(n, 500, 42, stat)
	if err != nil {
		t.Fatal(err)
	}
	if !(lo < point && point < hi) || hi-lo > 0.3 {
		t.Errorf("interval [%v, %v] does not bracket %v tightly", lo, hi, point)
	}
	lo2, hi2, _ := Bootstrap(n, 500, 42, stat)
	if lo2 != lo || hi2 != hi {
		t.Errorf("same seed gave [%v,%v] then [%v,%v]", lo, hi, lo2, hi2)
	}
	lo3, hi3, _ := Bootstrap(n, 500, 43, stat)
	if lo3 == lo && hi3 == hi {
		t.Errorf("different seeds gave the identical interval [%v,%v]", lo, hi)
	}
	if _, _, err := Bootstrap(0, 10, 1, stat); err == nil {
		t.Error("n = 0 accepted")
	}
	if _, _, err := Bootstrap(10, 1, 1, stat); err == nil {
		t.Error("1 replicate accepted")
	}
	if _, _, err := Bootstrap(10, 10, 1, func([]int) float64 { return math.NaN() }); err == nil {
		t.Error("all-NaN statistic accepted")
	}
}

func TestQuantileInterpolates(t *testing.T) {
	xs := []float64{0, 10, 20, 30, 40}
	near(t, "q.5", quantile(xs, 0.5), 20, 0)
	near(t, "q.025", quantile(xs, 0.025), 1, 1e-12) // h = 0.1
	near(t, "q.975", quantile(xs, 0.975), 39, 1e-12)
}

func TestConfidences(t *testing.T) {
	c, err := Confidences([]float64{0, 0})
	if err != nil {
		t.Fatal(err)
	}
	near(t, "MSP", c.MSP, 0.5, 1e-15)
	near(t, "-H", c.NegEntropy, -math.Ln2, 1e-15)
	near(t, "energy", c.Energy, math.Ln2, 1e-15)

	l := []float32{1, 2, 3}
	c, err = Confidences(l)
	if err != nil {
		t.Fatal(err)
	}
	z := math.Exp(1) + math.Exp(2) + math.Exp(3)
	p := []float64{math.Exp(1) / z, math.Exp(2) / z, math.Exp(3) / z}
	h := 0.0
	for _, v := range p {
		h -= v * math.Log(v)
	}
	near(t, "MSP", c.MSP, p[2], 1e-15)
	near(t, "-H", c.NegEntropy, -h, 1e-14)
	near(t, "energy", c.Energy, math.Log(z), 1e-14)
	if c.Pred != 2 {
		t.Errorf("pred %d, want 2", c.Pred)
	}
	// huge logits must not overflow
	c, err = Confidences([]float64{1000, 0, -1000})
	if err != nil {
		t.Fatal(err)
	}
	near(t, "MSP big", c.MSP, 1, 1e-15)
	near(t, "energy big", c.Energy, 1000, 1e-12)
	near(t, "-H big", c.NegEntropy, 0, 1e-12)
	if _, err := Confidences([]float64{1, math.NaN()}); err == nil {
		t.Error("NaN logit accepted")
	}
	dst := make([]float64, 3)
	if err := Softmax(dst, l); err != nil {
		t.Fatal(err)
	}
	for i := range p {
		near(t, "softmax", dst[i], p[i], 1e-15)
	}
}

func TestAURCContinuousHand(t *testing.T) {
	// failure counts at k = 1..4: 0 1 1 2. Segments of the integral of
	// W(k)/k: [0,1]: 0; [1,2]: 1 - ln 2; [2,3]: ln(3/2); [3,4]: 1 - 2 ln(4/3).
	got, err := AURCContinuous(fdConf, fdWrong)
	if err != nil {
		t.Fatal(err)
	}
	want := (2 - math.Ln2 + math.Log(1.5) - 2*math.Log(4.0/3)) / 4
	near(t, "continuous AURC", got, want, 1e-15)
	e, _ := EAURCContinuous(fdConf, fdWrong)
	near(t, "continuous e-AURC", e, want-(0.5+0.5*math.Log(0.5)), 1e-15)

	// The analytic optimum is exactly the continuous AURC of a perfect
	// ranking with one point per sample.
	conf := []float64{9, 8, 7, 6, 5, 4, 3, 2, 1, 0}
	wrong := []bool{false, false, false, false, false, false, false, true, true, true}
	e, _ = EAURCContinuous(conf, wrong)
	near(t, "continuous e-AURC of a perfect ranking", e, 0, 1e-15)
	// all wrong: risk 1 everywhere, optimum 1
	e, _ = EAURCContinuous([]float64{1, 2}, []bool{true, true})
	near(t, "continuous e-AURC all wrong", e, 0, 1e-15)
}
