package metrics

import (
	"math"
	"math/rand/v2"
	"testing"
)

// A resample scored through Ranked must give exactly what Failure gives on
// the gathered resample, ties and empty blocks included.
func TestRankedReportEqualsFailureOfTheResample(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for trial := range 200 {
		n := 1 + rng.IntN(60)
		conf, wrong := make([]float64, n), make([]bool, n)
		for i := range conf {
			conf[i] = float64(rng.IntN(8)) / 8 // many ties
			wrong[i] = rng.Float64() < 0.3
		}
		r, err := Rank(conf, wrong)
		if err != nil {
			t.Fatal(err)
		}
		idx := make([]int, n)
		for i := range idx {
			idx[i] = rng.IntN(n)
		}
		want, err := Failure(Gather(nil, conf, idx), Gather(nil, wrong, idx))
		if err != nil {
			t.Fatal(err)
		}
		got := r.Report(Counts(nil, idx, n))
		if !sameReport(got, want) {
			t.Fatalf("trial %d: Ranked %+v, Failure %+v", trial, got, want)
		}
		if a := r.AUROC(Counts(nil, idx, n)); a != got.AUROCf && !(math.IsNaN(a) && math.IsNaN(got.AUROCf)) {
			t.Fatalf("trial %d: AUROC %v, Report's %v", trial, a, got.AUROCf)
		}
		if whole, _ := Failure(conf, wrong); !sameReport(r.Report(nil), whole) {
			t.Fatalf("trial %d: Report(nil) %+v, Failure %+v", trial, r.Report(nil), whole)
		}
	}
}

// Failure's AUROC_f comes from its tie blocks; it must equal the
// Mann-Whitney count of AUROCf.
func TestFailureAUROCMatchesROCAUC(t *testing.T) {
	conf := []float64{0.9, 0.9, 0.8, 0.7, 0.7, 0.7, 0.2}
	wrong := []bool{false, true, false, true, false, true, true}
	r, err := Failure(conf, wrong)
	if err != nil {
		t.Fatal(err)
	}
	a, err := AUROCf(conf, wrong)
	if err != nil {
		t.Fatal(err)
	}
	// By hand: correct {0.9, 0.8, 0.7} against wrong {0.9, 0.7, 0.7, 0.2}:
	// 0.9 beats three and ties one (3.5), 0.8 beats three, 0.7 ties two and
	// beats one (2): 8.5 of 12.
	if r.AUROCf != a || math.Abs(a-8.5/12) > 1e-15 {
		t.Fatalf("Failure AUROC_f %v, AUROCf %v, by hand %v", r.AUROCf, a, 8.5/12)
	}
}

func sameReport(a, b FailureReport) bool {
	eq := func(x, y float64) bool { return x == y || (math.IsNaN(x) && math.IsNaN(y)) || math.Abs(x-y) < 1e-12 }
	return a.N == b.N && a.NWrong == b.NWrong && eq(a.AUROCf, b.AUROCf) && eq(a.AURC, b.AURC) &&
		eq(a.EAURC, b.EAURC) && eq(a.AUGRC, b.AUGRC) && eq(a.FPR95TPR, b.FPR95TPR)
}
