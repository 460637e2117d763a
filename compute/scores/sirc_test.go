package scores

import (
	"math"
	"math/rand/v2"
	"testing"
)

func TestFitSIRCHand(t *testing.T) {
	// mean 2.5, population variance (2.25 + 0.25 + 0.25 + 2.25)/4 = 1.25
	s, err := FitSIRC([]float64{1, 2, 3, 4})
	if err != nil {
		t.Fatal(err)
	}
	sd := math.Sqrt(1.25)
	near(t, "A", s.A, 2.5-3*sd, 1e-15)
	near(t, "B", s.B, 1/sd, 1e-15)
}

func TestSIRCScoreHand(t *testing.T) {
	s := SIRC{A: 0, B: 1}
	s1 := []float64{0.9, 0.9, 1, 0.9}
	s2 := []float64{0, math.Log(3), -5, -1000}
	got, err := s.Score(s1, s2)
	if err != nil {
		t.Fatal(err)
	}
	// -(0.1)(1 + e^0) = -0.2; -(0.1)(1 + 1/3); S1 = 1 gives 0; e^1000
	// overflows to -Inf.
	want := []float64{-0.2, -0.1 * 4 / 3, 0, math.Inf(-1)}
	for i := range want {
		if got[i] != want[i] && math.Abs(got[i]-want[i]) > 1e-15 {
			t.Errorf("Score[%d] = %v, want %v", i, got[i], want[i])
		}
	}
	lg, err := s.LogScore(s1, s2)
	if err != nil {
		t.Fatal(err)
	}
	// -ln(0.1) - softplus(0) = ln 10 - ln 2; -ln 0.1 - ln(4/3); +Inf;
	// ln 10 - 1000 - ln(1 + e^-1000), finite where Score overflowed.
	wantLog := []float64{math.Log(10) - math.Ln2, math.Log(10) - math.Log(4.0/3), math.Inf(1), math.Log(10) - 1000}
	for i := range wantLog {
		if lg[i] != wantLog[i] && math.Abs(lg[i]-wantLog[i]) > 1e-12 {
			t.Errorf("LogScore[%d] = %v, want %v", i, lg[i], wantLog[i])
		}
	}
}

// LogScore is an increasing function of Score, so where Score does not
// overflow the two rank images identically.
func TestSIRCLogScoreRanksAlike(t *testing.T) {
	rng := rand.New(rand.NewPCG(25, 26))
	s1, s2 := make([]float64, 400), make([]float64, 400)
	for i := range s1 {
		s1[i] = 0.5 + 0.5*rng.Float64()
		s2[i] = 10 * rng.NormFloat64()
	}
	s := SIRC{A: -3, B: 0.5}
	a, _ := s.Score(s1, s2)
	b, _ := s.LogScore(s1, s2)
	g, err := GroupByRanking([]Named{{"sirc", a}, {"sirc_log", b}, {"s1", s1}})
	if err != nil {
		t.Fatal(err)
	}
	if len(g) != 2 || len(g[0]) != 2 {
		t.Errorf("groups %v, want [[sirc sirc_log] [s1]]", g)
	}
}

func TestSIRCReject(t *testing.T) {
	for _, bad := range [][]float64{{1}, {1, math.NaN()}, {2, 2, 2}, {1, math.Inf(1)}} {
		if _, err := FitSIRC(bad); err == nil {
			t.Errorf("FitSIRC(%v) accepted", bad)
		}
	}
	s := SIRC{A: 0, B: 1}
	cases := []struct{ s1, s2 []float64 }{
		{[]float64{1.1}, []float64{0}},
		{[]float64{math.NaN()}, []float64{0}},
		{[]float64{0.5}, []float64{math.Inf(-1)}},
		{[]float64{0.5, 0.6}, []float64{0}},
	}
	for _, c := range cases {
		if _, err := s.Score(c.s1, c.s2); err == nil {
			t.Errorf("Score(%v, %v) accepted", c.s1, c.s2)
		}
		if _, err := s.LogScore(c.s1, c.s2); err == nil {
			t.Errorf("LogScore(%v, %v) accepted", c.s1, c.s2)
		}
	}
}
