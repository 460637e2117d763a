package scores

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

// allLogitScores computes every logit-only score, in a fixed order.
func allLogitScores(t *testing.T, z []float32, classes int, T float64) []Named {
	t.Helper()
	var out []Named
	for _, s := range logitScores {
		v, err := s.f(z, classes)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, Named{s.name, v})
	}
	v, err := TempMSP(z, classes, T)
	if err != nil {
		t.Fatal(err)
	}
	return append(out, Named{"TempMSP", v})
}

// REFERENCE 10: on a binary task every softmax score is increasing in
// |z1 - z0|, so they rank alike; Energy and MaxLogit depend on z1 + z0 too.
func TestGroupByRankingBinary(t *testing.T) {
	rng := rand.New(rand.NewPCG(27, 28))
	z := randLogits(rng, 500, 2, 3)
	g, err := GroupByRanking(allLogitScores(t, z, 2, 1.7))
	if err != nil {
		t.Fatal(err)
	}
	want := [][]string{{"MSP", "NegEntropy", "DOCTOR", "Margin", "TempMSP"}, {"MaxLogit"}, {"Energy"}}
	if !slices.EqualFunc(g, want, slices.Equal[[]string]) {
		t.Errorf("binary groups %v, want %v", g, want)
	}
}

// With three classes MSP, entropy, DOCTOR and margin weigh the other two
// probabilities differently, and temperature changes MSP's ranking: on
// random logits all seven orders differ.
func TestGroupByRankingThreeClasses(t *testing.T) {
	rng := rand.New(rand.NewPCG(29, 30))
	z := randLogits(rng, 500, 3, 3)
	g, err := GroupByRanking(allLogitScores(t, z, 3, 1.7))
	if err != nil {
		t.Fatal(err)
	}
	if len(g) != 7 {
		t.Errorf("3-class groups %v, want 7 singletons", g)
	}
}

func TestGroupByRankingTies(t *testing.T) {
	scores := []Named{
		{"a", []float64{1, 2, 2, 3}},
		{"c", []float64{1, 2, 2.5, 3}}, // breaks a's tie
		{"b", []float64{10, 20, 20, 30}},
		{"d", []float64{3, 2, 2, 1}}, // reversed
		{"e", []float64{-5, 5, 5, math.Inf(1)}},
	}
	g, err := GroupByRanking(scores)
	if err != nil {
		t.Fatal(err)
	}
	want := [][]string{{"a", "b", "e"}, {"c"}, {"d"}}
	if !slices.EqualFunc(g, want, slices.Equal[[]string]) {
		t.Errorf("groups %v, want %v", g, want)
	}
}

func TestGroupByRankingReject(t *testing.T) {
	cases := map[string][]Named{
		"empty":          nil,
		"duplicate name": {{"a", []float64{1}}, {"a", []float64{2}}},
		"lengths":        {{"a", []float64{1, 2}}, {"b", []float64{1}}},
		"NaN":            {{"a", []float64{1, math.NaN()}}},
	}
	for name, c := range cases {
		if _, err := GroupByRanking(c); err == nil {
			t.Errorf("%s accepted", name)
		}
	}
}
