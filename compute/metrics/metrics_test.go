package metrics

import (
	"errors"
	"math"
	"math/rand/v2"
	"testing"
)

func near(t *testing.T, name string, got, want, tol float64) {
	t.Helper()
	if math.IsNaN(got) || math.Abs(got-want) > tol {
		t.Errorf("%s = %.17g, want %.17g (tol %g)", name, got, want, tol)
	}
}

func TestROCAUCHand(t *testing.T) {
	cases := []struct {
		name   string
		scores []float64
		pos    []bool
		want   float64
	}{
		// pairs (pos, neg): (.35,.1)=1 (.35,.4)=0 (.8,.1)=1 (.8,.4)=1 -> 3/4
		{"sklearn doc example", []float64{0.1, 0.4, 0.35, 0.8}, []bool{false, false, true, true}, 0.75},
		{"all tied", []float64{0.5, 0.5, 0.5, 0.5}, []bool{false, true, false, true}, 0.5},
		// (.5,.1)=1 (.5,.5)=1/2 (.9,.1)=1 (.9,.5)=1 -> 3.5/4
		{"one tie across classes", []float64{0.1, 0.5, 0.5, 0.9}, []bool{false, false, true, true}, 0.875},
		{"reversed", []float64{3, 2, 1}, []bool{false, true, true}, 0},
		{"infinite scores rank", []float64{math.Inf(-1), 0, math.Inf(1)}, []bool{false, true, true}, 1},
	}
	for _, c := range cases {
		got, err := ROCAUC(c.scores, c.pos)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		near(t, c.name, got, c.want, 0)
	}
}

func TestROCAUCErrors(t *testing.T) {
	if _, err := ROCAUC([]float64{0.1, 0.2}, []bool{true}); err == nil {
		t.Error("length mismatch accepted")
	}
	if _, err := ROCAUC(nil, nil); err == nil {
		t.Error("empty input accepted")
	}
	if _, err := ROCAUC([]float64{0.1, math.NaN()}, []bool{true, false}); err == nil {
		t.Error("NaN score accepted")
	}
	a, err := ROCAUC([]float64{0.1, 0.2}, []bool{true, true})
	if !errors.Is(err, ErrSingleClass) || !math.IsNaN(a) {
		t.Errorf("single class: got %v, %v; want NaN, ErrSingleClass", a, err)
	}
}

// bruteAUC counts every positive/negative pair: the definition itself.
func bruteAUC(s []float64, pos []bool) float64 {
	var num, den float64
	for i := range s {
		if !pos[i] {
			continue
		}
		for j := range s {
			if pos[j] {
				continue
			}
			den++
			switch {
			case s[i] > s[j]:
				num++
			case s[i] == s[j]:
				num += 0.5
			}
		}
	}
	return num / den
}

func TestROCAUCMatchesPairwiseCount(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for trial := range 300 {
		n := 2 + rng.IntN(60)
		s := make([]float64, n)
		pos := make([]bool, n)
		levels := 1 + rng.IntN(12) // few levels force many ties
		for i := range s {
			s[i] = float64(rng.IntN(levels)) / 7
			pos[i] = rng.IntN(3) == 0
		}
		pos[0], pos[1] = true, false
		got, err := ROCAUC(s, pos)
		if err != nil {
			t.Fatal(err)
		}
		want := bruteAUC(s, pos)
		if math.Abs(got-want) > 1e-12 {
			t.Fatalf("trial %d: AUC %v, pairwise %v (scores %v labels %v)", trial, got, want, s, pos)
		}
	}
}

// Three classes, four samples; one-vs-rest AUCs worked out by hand:
// class 0: positive .7 above negatives .2 .3 .4 -> 1
// class 1: positives .5, .25 vs negatives .2, .3 -> 3 of 4 pairs -> .75
// class 2: positive .4 above negatives .1 .3 .35 -> 1
var (
	mcProbs = []float64{
		0.7, 0.2, 0.1,
		0.2, 0.5, 0.3,
		0.3, 0.3, 0.4,
		0.4, 0.25, 0.35,
	}
	mcLabels = []int{0, 1, 2, 1}
)

func TestMultiClassAUC(t *testing.T) {
	per, err := PerClassAUC(mcProbs, 3, mcLabels)
	if err != nil {
		t.Fatal(err)
	}
	for c, want := range []float64{1, 0.75, 1} {
		near(t, "per-class AUC", per[c], want, 0)
	}
	auc, err := AUC(mcProbs, 3, mcLabels)
	if err != nil {
		t.Fatal(err)
	}
	near(t, "mean OvR AUC", auc, 2.75/3, 1e-15)
}

func TestBinaryAUCUsesClassOne(t *testing.T) {
	// p1 column: .3 .6 .6 .9 with labels 0 0 1 1 -> (.6,.3)=1 (.6,.6)=.5
	// (.9,.3)=1 (.9,.6)=1 -> .875; the p0 column must be ignored even if it
	// does not sum to one with p1.
	probs := []float64{0.9, 0.3, 0.1, 0.6, 0.0, 0.6, 0.5, 0.9}
	labels := []int{0, 0, 1, 1}
	auc, err := AUC(probs, 2, labels)
	if err != nil {
		t.Fatal(err)
	}
	near(t, "binary AUC", auc, 0.875, 0)
	auc2, err := BinaryAUC([]float64{0.3, 0.6, 0.6, 0.9}, labels)
	if err != nil || auc2 != auc {
		t.Errorf("BinaryAUC = %v, %v; want %v", auc2, err, auc)
	}
}

func TestAUCAbsentClass(t *testing.T) {
	labels := []int{0, 1, 0, 1} // class 2 never occurs
	_, err := AUC(mcProbs, 3, labels)
	if !errors.Is(err, ErrSingleClass) {
		t.Fatalf("absent class: err = %v, want ErrSingleClass", err)
	}
	per, err := PerClassAUC(mcProbs, 3, labels)
	if err != nil {
		t.Fatal(err)
	}
	if !math.IsNaN(per[2]) || math.IsNaN(per[0]) {
		t.Errorf("per-class AUC with class 2 absent = %v, want NaN only for class 2", per)
	}
	ev, err := Evaluate(mcProbs, 3, labels)
	if err != nil {
		t.Fatal(err)
	}
	if !math.IsNaN(ev.AUC) || ev.MissingAUCReason == "" {
		t.Errorf("Evaluate with absent class: AUC %v reason %q", ev.AUC, ev.MissingAUCReason)
	}
}

func TestAUCBadInput(t *testing.T) {
	if _, err := AUC(mcProbs, 3, []int{0, 1, 2}); err == nil {
		t.Error("probability/label count mismatch accepted")
	}
	if _, err := AUC(mcProbs, 3, []int{0, 1, 3, 1}); err == nil {
		t.Error("label out of range accepted")
	}
	bad := append([]float64(nil), mcProbs...)
	bad[4] = math.NaN()
	if _, err := AUC(bad, 3, mcLabels); err == nil {
		t.Error("NaN probability accepted")
	}
	if _, err := AUC([]float64{1, 1}, 1, []int{0, 0}); err == nil {
		t.Error("one class accepted")
	}
}

func TestAccuracyThresholdEdge(t *testing.T) {
	// MedMNIST predicts class 1 only when p1 > 0.5 strictly.
	probs := []float64{0.5, 0.5, 0.4999, 0.5001, 0.5, 0.5}
	pred, err := Predict(probs, 2)
	if err != nil {
		t.Fatal(err)
	}
	if pred[0] != 0 || pred[1] != 1 || pred[2] != 0 {
		t.Errorf("predictions %v, want [0 1 0]", pred)
	}
	acc, err := Accuracy(probs, 2, []int{0, 1, 1})
	if err != nil {
		t.Fatal(err)
	}
	near(t, "ACC", acc, 2.0/3, 1e-15)
}

func TestMultiClassAccuracyAndBalanced(t *testing.T) {
	// argmax: 0 1 2 0 against labels 0 1 2 1
	ev, err := Evaluate(mcProbs, 3, mcLabels)
	if err != nil {
		t.Fatal(err)
	}
	near(t, "ACC", ev.ACC, 0.75, 0)
	near(t, "balanced ACC", ev.BalancedACC, (1+0.5+1)/3.0, 1e-15)
	near(t, "AUC", ev.AUC, 2.75/3, 1e-15)
	want := [][]int{{1, 0, 0}, {1, 1, 0}, {0, 0, 1}}
	for i := range want {
		for j := range want[i] {
			if ev.Confusion[i][j] != want[i][j] {
				t.Fatalf("confusion %v, want %v", ev.Confusion, want)
			}
		}
	}
	// argmax ties go to the first class, like numpy.
	pred, _ := Predict([]float64{0.4, 0.4, 0.2}, 3)
	if pred[0] != 0 {
		t.Errorf("argmax tie went to class %d, want 0", pred[0])
	}
}

func TestBalancedAccuracyImbalanced(t *testing.T) {
	// 8 of class 0, 2 of class 1; the always-0 predictor has ACC .8 but
	// balanced accuracy (1 + 0) / 2.
	labels := []int{0, 0, 0, 0, 0, 0, 0, 0, 1, 1}
	pred := make([]int, 10)
	ba, err := BalancedAccuracy(pred, labels, 2)
	if err != nil {
		t.Fatal(err)
	}
	near(t, "balanced accuracy", ba, 0.5, 0)
	// one minority hit: (8/8 + 1/2) / 2
	pred[9] = 1
	ba, _ = BalancedAccuracy(pred, labels, 2)
	near(t, "balanced accuracy", ba, 0.75, 0)
	// a class absent from labels is left out of the mean, not counted 0
	ba, _ = BalancedAccuracy([]int{0, 2, 1}, []int{0, 1, 1}, 3)
	near(t, "balanced accuracy, class 2 absent", ba, (1+0.5)/2, 0)
	if _, err := BalancedAccuracy([]int{0}, []int{0, 1}, 2); err == nil {
		t.Error("length mismatch accepted")
	}
	if _, err := BalancedAccuracy([]int{0, 5}, []int{0, 1}, 2); err == nil {
		t.Error("prediction out of range accepted")
	}
}

func TestDeltaAUC(t *testing.T) {
	labels := []int{0, 0, 1, 1}
	clean := []float64{0.9, 0.1, 0.6, 0.4, 0.4, 0.6, 0.1, 0.9} // AUC 1
	pert := []float64{0.9, 0.1, 0.6, 0.4, 0.5, 0.5, 0.6, 0.4}  // p1 .1 .4 .5 .4 -> (.5>.1,.5>.4,.4>.1,.4=.4) 3.5/4
	d, err := DeltaAUC(clean, pert, 2, labels)
	if err != nil {
		t.Fatal(err)
	}
	near(t, "delta AUC", d, 1-0.875, 1e-15)
}

// Many statistics of one set of resamples get the intervals Bootstrap
// gives each alone.
func TestBootstrapManyMatchesBootstrap(t *testing.T) {
	x := []float64{3, 1, 4, 1, 5, 9, 2, 6, 5, 3, 5}
	mean := func(idx []int) float64 {
		s := 0.0
		for _, i := range idx {
			s += x[i]
		}
		return s / float64(len(idx))
	}
	maxOf := func(idx []int) float64 {
		m := math.Inf(-1)
		for _, i := range idx {
			m = math.Max(m, x[i])
		}
		return m
	}
	lo, hi, err := BootstrapMany(len(x), 500, 2, 9, func(idx []int, out []float64) { out[0], out[1] = mean(idx), maxOf(idx) })
	if err != nil {
		t.Fatal(err)
	}
	for j, f := range []func([]int) float64{mean, maxOf} {
		l, h, err := Bootstrap(len(x), 500, 9, f)
		if err != nil || l != lo[j] || h != hi[j] {
			t.Errorf("statistic %d: [%v, %v] alone, [%v, %v] together (%v)", j, l, h, lo[j], hi[j], err)
		}
	}
}
