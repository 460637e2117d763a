package flag

import (
	"fmt"
	"math"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"
)

// synthStudy builds a binary study whose failures come from a hidden
// difficulty: degradation (corruption "a" strongly, "b" mildly) raises it,
// the logits' margin shrinks with it, the fingerprint feature "f" reads it
// with noise, "g" says how degraded the image is, and "flips" counts.
func synthStudy(seed uint64) *StudyData {
	rng := rand.New(rand.NewPCG(seed, 1))
	d := &StudyData{Classes: 2, FeatureNames: []string{"f", "g", "flips"}, Corruptions: []string{"a", "b"}, Severities: []int{1, 3}}
	strength := map[string]float64{Clean: 0, "a": 0.25, "b": 0.1}
	sample := func(split string, id int, corr string, sev int, base float64, label int) *Sample {
		diff := base + strength[corr]*float64(sev) + 0.1*rng.NormFloat64()
		margin := (2*float64(label) - 1) * (2.5 - 4*diff + 0.5*rng.NormFloat64())
		pred := label
		if margin*(2*float64(label)-1) < 0 {
			pred = 1 - label
		}
		g := strength[corr]*float64(sev) + 0.05*rng.NormFloat64()
		h := []float32{float32(label) + float32(rng.NormFloat64()), float32(rng.NormFloat64()), float32(g * 3), float32(diff)}
		return &Sample{Split: split, ImageID: id, Corruption: corr, Severity: sev, Label: label, Pred: pred,
			Logits:   []float32{0, float32(margin)},
			Features: []float32{float32(diff + 0.15*rng.NormFloat64()), float32(g), float32(math.Round(3 * math.Max(0, diff)))},
			H:        h}
	}
	for i := 0; i < 80; i++ {
		d.Train = append(d.Train, sample("train", i, Clean, 0, 0.2*rng.Float64(), i%2))
	}
	for _, part := range []struct {
		split string
		n     int
	}{{"val", 60}, {"test", 80}} {
		split := part.split
		for i := 0; i < part.n; i++ {
			base, label := 0.5*rng.Float64(), i%2
			for _, v := range []struct {
				c string
				s int
			}{{Clean, 0}, {"a", 1}, {"a", 3}, {"b", 1}, {"b", 3}} {
				s := sample(split, i, v.c, v.s, base, label)
				if split == "val" {
					d.Val = append(d.Val, s)
				} else {
					d.Test = append(d.Test, s)
				}
			}
		}
	}
	return d
}

func studyOptions() StudyOptions {
	return StudyOptions{Fit: Options{Seed: 3}, BootReps: 50, Seed: 4, Coverage: 0.8, TargetRisk: 0.2, Delta: 0.1, MixShares: []float64{0.5}}
}

func TestStudyCoversEverySettingRegimeAndScore(t *testing.T) {
	d := synthStudy(1)
	out, err := Study("f1", d, studyOptions())
	if err != nil {
		t.Fatal(err)
	}
	// iid + 2x2 shift + 3 pooled + 1 mix = 9 settings; 15 scores (flips
	// and fp_distance from the fingerprint); 6 metrics; 2 regimes.
	if got, want := len(out.Metrics), 9*15*6*2; got != want {
		t.Fatalf("%d metric rows, want %d", got, want)
	}
	seen := map[string]int{}
	for _, m := range out.Metrics {
		seen[m.Setting+" "+m.Corruption]++
		if m.Metric == "silent_failure" && (m.Value < 0 || m.Value > 1) {
			t.Errorf("%s silent failure %v", m.ScoreName, m.Value)
		}
		if m.Metric == "auroc_f" && !(m.CILo <= m.Value && m.Value <= m.CIHi) {
			t.Errorf("%s %s %s: AUROC_f %v outside its interval [%v, %v]", m.Setting, m.Corruption, m.ScoreName, m.Value, m.CILo, m.CIHi)
		}
	}
	for _, k := range []string{"iid clean", "shift a", "shift all", "mix mix50"} {
		if seen[k] == 0 {
			t.Errorf("no rows for setting %s", k)
		}
	}
	// Binary: the softmax-monotone scores rank alike and say so.
	for _, m := range out.Metrics {
		if m.Setting == "iid" && m.ScoreName == ScoreMSP && m.Metric == "auroc_f" && !strings.Contains(m.Group, ScoreEntropy) {
			t.Errorf("msp's group %q lacks entropy on a binary task", m.Group)
		}
	}
	if len(out.Guarantees) != 9*15*2 || len(out.Scores) != len(d.Test)*16*2 || len(out.Flags) != 80*15 {
		t.Fatalf("%d guarantees, %d scores, %d flags", len(out.Guarantees), len(out.Scores), len(out.Flags))
	}
}

// The unseen regime's detectors never saw the corruption they are tested
// on, and the seen regime's saw all of them.
func TestUnseenDetectorsLeaveTheirCorruptionOut(t *testing.T) {
	d := synthStudy(2)
	base, err := fitPosthoc(d)
	if err != nil {
		t.Fatal(err)
	}
	pv, err := base.values(d.Val)
	if err != nil {
		t.Fatal(err)
	}
	all, err := fitLearned(d, pv, "", Options{Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	noA, err := fitLearned(d, pv, "a", Options{Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	if all.detector.NFit != len(d.Val) || noA.detector.NFit != len(d.Val)-2*60 {
		t.Fatalf("fitted on %d and %d rows, want %d (every corruption) and %d (without a)", all.detector.NFit, noA.detector.NFit, len(d.Val), len(d.Val)-120)
	}
}

// Degradation is found by the detector of degraded inputs, and the study
// reports it per corruption; the guarantee holds on i.i.d. data here.
func TestStudyFindsDegradedInputs(t *testing.T) {
	out, err := Study("f1", synthStudy(3), studyOptions())
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, m := range out.Degradation {
		if m.ScoreName == ScoreDegradation && m.Corruption == "a" && m.Severity == 3 && m.Regime == RegimeSeen {
			found = true
			if m.Value < 0.95 {
				t.Errorf("degradation detector AUROC %v on strongly degraded images", m.Value)
			}
		}
	}
	if !found {
		t.Fatal("no degradation row for a at severity 3")
	}
	if out.Deployed.Choice == "" || out.Deployed.Why == "" {
		t.Fatalf("no deployment choice: %+v", out.Deployed)
	}
	for _, c := range out.Deployed.Candidates {
		if c.Score == out.Deployed.Choice && c.Degenerate {
			t.Fatalf("chose degenerate %s", c.Score)
		}
	}
}

func TestStudyIsDeterministic(t *testing.T) {
	a, err := Study("f1", synthStudy(5), studyOptions())
	if err != nil {
		t.Fatal(err)
	}
	b, err := Study("f1", synthStudy(5), studyOptions())
	if err != nil {
		t.Fatal(err)
	}
	// Printed, so that NaN (an undefined metric) equals NaN.
	if fmt.Sprint(a.Metrics) != fmt.Sprint(b.Metrics) || fmt.Sprint(a.Guarantees) != fmt.Sprint(b.Guarantees) || !reflect.DeepEqual(a.Scores, b.Scores) {
		t.Fatal("the same study gave different results")
	}
}

// The deployment mixes hold every test image once, degraded at about the
// share asked.
func TestMixHoldsEveryImageOnce(t *testing.T) {
	d := synthStudy(6)
	st := Settings(d.Test, d.Corruptions, d.Severities, []float64{0.5, 0.1}, 9)
	for _, s := range st[len(st)-2:] {
		ids := map[int]bool{}
		degraded := 0
		for _, sm := range s.Samples {
			if ids[sm.ImageID] {
				t.Fatalf("%s holds image %d twice", s, sm.ImageID)
			}
			ids[sm.ImageID] = true
			if sm.Degraded() {
				degraded++
			}
		}
		share := map[string]float64{"mix50": 0.5, "mix10": 0.1}[s.Corruption]
		if len(ids) != 80 || math.Abs(float64(degraded)/80-share) > 0.15 {
			t.Fatalf("%s: %d images, %d degraded (share %v)", s, len(ids), degraded, share)
		}
	}
}

// A model that makes no mistake on clean validation leaves kNN's k nothing
// to be tuned on: the study goes on with the fallback and says so.
func TestStudyWithoutCleanValidationFailuresSaysSo(t *testing.T) {
	d := synthStudy(2)
	for _, s := range d.Val {
		if !s.Degraded() {
			s.Pred = s.Label
		}
	}
	out, err := Study("f1", d, studyOptions())
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Notes) != 1 || !strings.Contains(out.Notes[0], "untuned") {
		t.Fatalf("notes %q, want one saying k is untuned", out.Notes)
	}
}

// With one corruption, leaving it out leaves no degraded image to fit on:
// the study says why instead of failing inside a fit.
func TestStudyNeedsTwoCorruptions(t *testing.T) {
	d := synthStudy(2)
	d.Corruptions = d.Corruptions[:1]
	if _, err := Study("f1", d, studyOptions()); err == nil || !strings.Contains(err.Error(), "at least two corruptions") {
		t.Fatalf("one corruption: %v", err)
	}
}
