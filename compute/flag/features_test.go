package flag

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/gradprint/gradprint/warehouse/rows"
)

// fixture builds rows for n images, 2 layers, corruptions a/b at severities
// 1/2. Wrong images get saliency RMSE around 60, right ones around 20, and
// an MSP that carries no signal, so a fingerprint detector must beat MSP.
func fixture(split string, n int, seed uint64) ([]rows.Prediction, []rows.Saliency) {
	rng := rand.New(rand.NewPCG(seed, 1))
	var preds []rows.Prediction
	var sal []rows.Saliency
	for i := 0; i < n; i++ {
		wrong := i%4 == 0
		label := int32(i % 2)
		pred := label
		if wrong {
			pred = 1 - label
		}
		conf := float32(0.6 + 0.3*rng.Float64())
		preds = append(preds, rows.Prediction{Split: split, ImageID: int32(i), Label: label, Corruption: "clean",
			Predicted: pred, Correct: !wrong, Confidence: conf, Entropy: 0.5, Energy: 1, Scores: []float32{1 - conf, conf}})
		for _, c := range []string{"a", "b"} {
			for _, s := range []int32{1, 2} {
				preds = append(preds, rows.Prediction{Split: split, ImageID: int32(i), Label: label, Corruption: c, Severity: s,
					Predicted: pred, Scores: []float32{0.5, 0.5}})
				for d, alias := range []string{"1_2", "1_1"} {
					base := 20.0
					if wrong {
						base = 60
					}
					sal = append(sal, rows.Saliency{Split: split, ImageID: int32(i), Corruption: c, Severity: s,
						LayerAlias: alias, LayerDepth: int32(d), Method: "gradcampp", RMSE: float32(base + 10*rng.NormFloat64())})
				}
			}
		}
	}
	return preds, sal
}

func TestCompactFeaturesByHand(t *testing.T) {
	preds := []rows.Prediction{
		{Split: "test", ImageID: 0, Corruption: "clean", Predicted: 1, Label: 1, Correct: true, Confidence: 0.8, Entropy: 0.3, Energy: 2, Scores: []float32{0.2, 0.8}},
		{Split: "test", ImageID: 0, Corruption: "a", Severity: 1, Predicted: 0, Scores: []float32{0.6, 0.4}},
		{Split: "test", ImageID: 0, Corruption: "a", Severity: 2, Predicted: 1, Scores: []float32{0.3, 0.7}},
	}
	sal := []rows.Saliency{
		{Split: "test", ImageID: 0, Corruption: "a", Severity: 1, LayerAlias: "x", LayerDepth: 0, Method: "m", RMSE: 10},
		{Split: "test", ImageID: 0, Corruption: "a", Severity: 2, LayerAlias: "x", LayerDepth: 0, Method: "m", RMSE: 30},
		{Split: "test", ImageID: 0, Corruption: "a", Severity: 1, LayerAlias: "y", LayerDepth: 1, Method: "m", RMSE: 50},
		{Split: "test", ImageID: 0, Corruption: "a", Severity: 2, LayerAlias: "y", LayerDepth: 1, Method: "m", RMSE: 70},
		{Split: "test", ImageID: 0, Corruption: "a", Severity: 2, LayerAlias: "y", LayerDepth: 1, Method: "other", RMSE: 999},
	}
	m, err := BuildFeatures("test", preds, sal, "m", Compact)
	if err != nil {
		t.Fatal(err)
	}
	wantNames := []string{"rmse_layer_x", "rmse_layer_y", "rmse_a", "rmse_severity_1", "rmse_severity_2", "flips", "confidence_drop_mean", "confidence_drop_max"}
	// layer x: (10+30)/2, y: (50+70)/2; corruption a: 40; sev 1: 30, sev 2: 50;
	// one flip; drops of p(class 1): 0.8-0.4 = 0.4 and 0.8-0.7 = 0.1.
	want := []float64{20, 60, 40, 30, 50, 1, 0.25, 0.4}
	if len(m.Names) != len(wantNames) {
		t.Fatalf("names %v, want %v", m.Names, wantNames)
	}
	for i := range want {
		if m.Names[i] != wantNames[i] || math.Abs(m.X[0][i]-want[i]) > 1e-6 {
			t.Fatalf("feature %s = %g, want %s = %g", m.Names[i], m.X[0][i], wantNames[i], want[i])
		}
	}
	if m.NegFlips[0] != -1 || m.MSP[0] != float64(float32(0.8)) || m.NegEntropy[0] != -float64(float32(0.3)) {
		t.Fatalf("baselines %v %v %v", m.NegFlips, m.MSP, m.NegEntropy)
	}
	full, err := BuildFeatures("test", preds, sal, "m", Full)
	if err != nil || len(full.Names) != 2*2+3 {
		t.Fatalf("full features %v, %v", full.Names, err)
	}
}

func TestFeaturesNeedSaliencyForEveryImage(t *testing.T) {
	preds, sal := fixture("val", 8, 1)
	preds = append(preds, rows.Prediction{Split: "val", ImageID: 99, Corruption: "clean", Scores: []float32{1, 0}})
	if _, err := BuildFeatures("val", preds, sal, "gradcampp", Compact); err == nil {
		t.Fatal("image without saliency rows accepted")
	}
	if _, err := BuildFeatures("val", preds, sal, "layercam", Compact); err == nil {
		t.Fatal("method without rows accepted")
	}
}

func TestEvaluateDetectorBeatsUninformativeMSP(t *testing.T) {
	vp, vs := fixture("val", 120, 2)
	tp, ts := fixture("test", 200, 3)
	val, err := BuildFeatures("val", vp, vs, "gradcampp", Compact)
	if err != nil {
		t.Fatal(err)
	}
	test, err := BuildFeatures("test", tp, ts, "gradcampp", Compact)
	if err != nil {
		t.Fatal(err)
	}
	out, err := Evaluate("r", val, test, EvalOptions{Fit: Options{Seed: 1}, BootReps: 200, Seed: 5, Coverage: 0.75})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Flags) != 6*200 || len(out.Metrics) != 6*5 {
		t.Fatalf("%d flags, %d metrics; want 1200 and 30", len(out.Flags), len(out.Metrics))
	}
	get := func(score, metric string) rows.FailureMetric {
		for _, m := range out.Metrics {
			if m.ScoreName == score && m.Metric == metric {
				return m
			}
		}
		t.Fatalf("no %s %s", score, metric)
		return rows.FailureMetric{}
	}
	det, msp := get(ScoreDetector, "auroc_f"), get(ScoreMSP, "auroc_f")
	if det.Value < 0.95 || msp.Value > 0.7 {
		t.Fatalf("detector AUROC_f %.3f, MSP %.3f: want the fingerprint to separate and MSP not", det.Value, msp.Value)
	}
	if !(det.CILo <= det.Value && det.Value <= det.CIHi) {
		t.Fatalf("interval [%g, %g] misses %g", det.CILo, det.CIHi, det.Value)
	}
	// The detector's flags at 75% validation coverage catch most wrong ones.
	caught, wrong := 0, 0
	for _, f := range out.Flags {
		if f.ScoreName == ScoreDetector && !f.Correct {
			wrong++
			if f.Flagged {
				caught++
			}
		}
	}
	if wrong != 50 || caught < 40 {
		t.Fatalf("detector flagged %d of %d wrong predictions", caught, wrong)
	}
}

// orderRows is one image whose rows arrive out of feature order: layer "b"
// is shallower than "a", and the variants come scrambled, so the columns
// must follow depth and (corruption, severity), not names or row order.
//
//	RMSE     m/1  m/2  z/1  z/2
//	b (d0)   10   20   30   40
//	a (d1)   50   60   70   80
func orderRows() ([]rows.Prediction, []rows.Saliency) {
	preds := []rows.Prediction{
		{Split: "test", ImageID: 0, Corruption: "z", Severity: 1, Predicted: 0, Scores: []float32{0.6, 0.4}},
		{Split: "test", ImageID: 0, Corruption: "clean", Predicted: 1, Label: 1, Correct: true, Confidence: 0.8, Scores: []float32{0.2, 0.8}},
		{Split: "test", ImageID: 0, Corruption: "m", Severity: 2, Predicted: 1, Scores: []float32{0.3, 0.7}},
	}
	var sal []rows.Saliency
	for _, l := range []struct {
		alias string
		depth int32
		rmse  [4]float32 // z/2, m/1, z/1, m/2: the row order
	}{{"a", 1, [4]float32{80, 50, 70, 60}}, {"b", 0, [4]float32{40, 10, 30, 20}}} {
		for i, v := range []variantKey{{"z", 2}, {"m", 1}, {"z", 1}, {"m", 2}} {
			sal = append(sal, rows.Saliency{Split: "test", ImageID: 0, Corruption: v.corruption, Severity: v.severity,
				LayerAlias: l.alias, LayerDepth: l.depth, Method: "m", RMSE: l.rmse[i]})
		}
	}
	return preds, sal
}

func TestFeatureNamesAndOrder(t *testing.T) {
	// Flip features: one flip (z/1); drops of p(class 1) 0.8-0.4 and 0.8-0.7.
	tail := []string{"flips", "confidence_drop_mean", "confidence_drop_max"}
	tailX := []float64{1, 0.25, 0.4}
	for _, tc := range []struct {
		set   FeatureSet
		names []string
		x     []float64
	}{
		// Layer-major, variants sorted inside each layer.
		{Full, []string{
			"rmse_b_m_1", "rmse_b_m_2", "rmse_b_z_1", "rmse_b_z_2",
			"rmse_a_m_1", "rmse_a_m_2", "rmse_a_z_1", "rmse_a_z_2",
		}, []float64{10, 20, 30, 40, 50, 60, 70, 80}},
		// Means of the table's rows (b, a), of its m and z columns
		// ((10+20+50+60)/4, (30+40+70+80)/4) and of its severity 1 and 2
		// columns ((10+30+50+70)/4, (20+40+60+80)/4).
		{Compact, []string{
			"rmse_layer_b", "rmse_layer_a", "rmse_m", "rmse_z", "rmse_severity_1", "rmse_severity_2",
		}, []float64{25, 65, 35, 55, 40, 50}},
	} {
		preds, sal := orderRows()
		m, err := BuildFeatures("test", preds, sal, "m", tc.set)
		if err != nil {
			t.Fatalf("%s: %v", tc.set, err)
		}
		names := slices.Concat(tc.names, tail)
		x := slices.Concat(tc.x, tailX)
		if len(m.Names) != len(names) || len(m.X) != 1 || len(m.X[0]) != len(x) {
			t.Fatalf("%s: names %v, rows %v; want names %v", tc.set, m.Names, m.X, names)
		}
		for i := range names {
			if m.Names[i] != names[i] || math.Abs(m.X[0][i]-x[i]) > 1e-6 {
				t.Fatalf("%s: column %d is %s = %g, want %s = %g", tc.set, i, m.Names[i], m.X[0][i], names[i], x[i])
			}
		}
	}
}

func TestFeatureErrors(t *testing.T) {
	type damage func(p []rows.Prediction, s []rows.Saliency) ([]rows.Prediction, []rows.Saliency)
	for _, tc := range []struct {
		name   string
		set    FeatureSet
		damage damage
		want   string
	}{
		{"unknown set", "mean",
			func(p []rows.Prediction, s []rows.Saliency) ([]rows.Prediction, []rows.Saliency) { return p, s },
			`features: set "mean": want compact or full`},
		{"no rows for the method", Full,
			func(p []rows.Prediction, s []rows.Saliency) ([]rows.Prediction, []rows.Saliency) { return p, nil },
			"features: split test has no saliency rows for method m: run analyze with --select all on this split"},
		{"one layer x variant missing", Full,
			func(p []rows.Prediction, s []rows.Saliency) ([]rows.Prediction, []rows.Saliency) { return p, s[1:] },
			"features: test image 0 lacks the RMSE of layer a z/2"},
		{"one layer x variant missing, compact", Compact,
			func(p []rows.Prediction, s []rows.Saliency) ([]rows.Prediction, []rows.Saliency) { return p, s[1:] },
			"features: test image 0 lacks the RMSE of layer a z/2"},
		{"a whole layer missing", Compact,
			func(p []rows.Prediction, s []rows.Saliency) ([]rows.Prediction, []rows.Saliency) {
				clean := rows.Prediction{Split: "test", ImageID: 1, Corruption: "clean", Scores: []float32{1, 0}}
				extra := rows.Saliency{Split: "test", ImageID: 1, Corruption: "m", Severity: 2, LayerAlias: "b", Method: "m"}
				return append(p, clean), append(s, extra)
			},
			"features: test image 1 has saliency rows for 1 of 2 layers: run analyze with --select all on this split"},
		{"no clean prediction", Full,
			func(p []rows.Prediction, s []rows.Saliency) ([]rows.Prediction, []rows.Saliency) {
				return []rows.Prediction{p[0], p[2]}, s
			},
			"features: test image 0 has no clean prediction"},
		{"variant lacks the clean class's score", Compact,
			func(p []rows.Prediction, s []rows.Saliency) ([]rows.Prediction, []rows.Saliency) {
				p[0].Scores = []float32{1}
				return p, s
			},
			"features: test image 0 z/1 has 1 scores, clean prediction is class 1"},
	} {
		preds, sal := tc.damage(orderRows())
		m, err := BuildFeatures("test", preds, sal, "m", tc.set)
		if err == nil {
			t.Errorf("%s: accepted, features %v", tc.name, m.Names)
			continue
		}
		if err.Error() != tc.want {
			t.Errorf("%s: error %q, want %q", tc.name, err, tc.want)
		}
	}
}
