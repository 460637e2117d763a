package reports

import (
	"github.com/gradprint/gradprint/queries"
	"math"
	"math/rand/v2"
	"strings"
)

// Fixtures are synthetic, seeded and shaped like the named queries' answers.

var (
	dermaClasses  = []string{"akiec", "bcc", "bkl", "df", "mel", "nv", "vasc"}
	breastClasses = []string{"malignant", "normal+benign"}
	fiveCorrs     = []string{"gaussian_noise", "speckle_noise", "motion_blur", "contrast", "brightness"}
	layerNames    = []layerInfo{
		{0, "layer1.0", "1_2"}, {1, "layer1.1", "1_1"}, {2, "layer2.0", "2_2"}, {3, "layer2.1", "2_1"},
		{4, "layer3.0", "3_2"}, {5, "layer3.1", "3_1"}, {6, "layer4.0", "4_2"}, {7, "layer4.1", "4_1"},
	}
)

func corrStrength(i int) float64 { return []float64{1.4, 1.1, 0.9, 0.7, 0.4, 0.6, 0.8, 1.0}[i%8] }

func fixtureLayerProfile(dataset string, runs []string, classes []string, seed uint64) []queries.LayerProfileRow {
	rng := rand.New(rand.NewPCG(seed, 1))
	var out []queries.LayerProfileRow
	for _, run := range runs {
		for ci, c := range fiveCorrs {
			for sev := 1; sev <= 5; sev++ {
				d := 0.015 * float64(sev) * corrStrength(ci)
				for _, sel := range []string{"all", "correct", "incorrect"} {
					for k, cls := range classes {
						for _, l := range layerNames {
							base := 20 + 9*float64(l.Depth) + float64(sev)*6*corrStrength(ci) + 4*float64(k)
							if sel == "incorrect" {
								base += 12
							}
							out = append(out, queries.LayerProfileRow{
								Dataset: dataset, Run: run, Split: "test", Method: "gradcampp", Corruption: c, Severity: sev, Selection: sel,
								Label: k, ClassName: cls, LayerDepth: l.Depth, Layer: l.Layer, LayerAlias: l.Alias,
								MeanRMSE: base + rng.NormFloat64()*2, N: 20, DeltaAUC: d,
							})
						}
					}
				}
			}
		}
	}
	return out
}

func fixtureBoxes(classes []string, corrs []string, seed uint64) []queries.RMSEBoxRow {
	rng := rand.New(rand.NewPCG(seed, 2))
	var out []queries.RMSEBoxRow
	for _, l := range layerNames {
		for ci, c := range corrs {
			for sev := 1; sev <= 5; sev++ {
				for k, cls := range classes {
					m := 15 + 8*float64(l.Depth) + float64(sev)*7*corrStrength(ci) + 3*float64(k) + rng.NormFloat64()*3
					s := 4 + 0.8*float64(sev)
					out = append(out, queries.RMSEBoxRow{
						Dataset: "dermamnist", Run: "r1", LayerDepth: l.Depth, Layer: l.Layer, LayerAlias: l.Alias,
						Corruption: c, Severity: sev, Label: k, ClassName: cls, N: 30, MeanRMSE: m,
						Q05: math.Max(0, m-2*s), Q25: m - 0.7*s, Median: m, Q75: m + 0.7*s, Q95: m + 2.2*s,
						DeltaAUC: 0.012*float64(sev)*corrStrength(ci) + 0.01*rng.NormFloat64(),
					})
				}
			}
		}
	}
	return out
}

// fixtureImage is a grey or RGB test picture: a bright disc on a gradient,
// with a darker lesion-like blob, so corruptions show.
func fixtureImage(h, w, c int) []uint8 {
	px := make([]uint8, h*w*c)
	for y := range h {
		for x := range w {
			dx, dy := float64(x)-float64(w)/2, float64(y)-float64(h)/2
			v := 60 + 100*float64(x)/float64(w)
			if dx*dx+dy*dy < float64(h*h)/9 {
				v += 80
			}
			if (dx-3)*(dx-3)+(dy+2)*(dy+2) < float64(h*h)/60 {
				v -= 120
			}
			for ch := range c {
				px[(y*w+x)*c+ch] = uint8(math.Max(0, math.Min(255, v*(1-0.2*float64(ch)))))
			}
		}
	}
	return px
}

// corruptFixture imitates a corruption enough to look different per severity.
func corruptFixture(px []uint8, corr string, sev int, seed uint64) []uint8 {
	rng := rand.New(rand.NewPCG(seed, uint64(sev)))
	out := make([]uint8, len(px))
	for i, v := range px {
		f := float64(v)
		switch corr {
		case "gaussian_noise", "speckle_noise":
			f += rng.NormFloat64() * 12 * float64(sev)
		case "contrast":
			f = (f-128)*(1-0.18*float64(sev)) + 128
		case "brightness":
			f += 25 * float64(sev)
		case "motion_blur":
			if i >= 3*sev {
				f = (f + float64(px[i-3*sev])) / 2
			}
		default:
			f = 255 - f
		}
		out[i] = uint8(math.Max(0, math.Min(255, f)))
	}
	return out
}

func fixtureMontage(h, w, c int, corrs []string) []MontageImage {
	clean := fixtureImage(h, w, c)
	out := []MontageImage{{Corruption: "clean", Pixels: clean, H: h, W: w, C: c}}
	for _, corr := range corrs {
		for sev := 1; sev <= 5; sev++ {
			out = append(out, MontageImage{Corruption: corr, Severity: sev, Pixels: corruptFixture(clean, corr, sev, 7), H: h, W: w, C: c})
		}
	}
	return out
}

func fixtureMaps(h, w, c, sev int, corrs []string) []queries.SaliencyGridRow {
	clean := fixtureImage(h, w, c)
	var out []queries.SaliencyGridRow
	variants := append([]string{"clean"}, corrs...)
	for vi, v := range variants {
		img := clean
		s := 0
		if v != "clean" {
			img, s = corruptFixture(clean, v, sev, 3), sev
		}
		for _, l := range layerNames {
			m := make([]float32, h*w)
			cx := float64(w)/2 + float64(vi)*1.5 - 4
			cy := float64(h)/2 - float64(l.Depth)
			sig := 2 + float64(l.Depth)*0.9
			for y := range h {
				for x := range w {
					d := (float64(x)-cx)*(float64(x)-cx) + (float64(y)-cy)*(float64(y)-cy)
					m[y*w+x] = float32(math.Exp(-d / (2 * sig * sig)))
				}
			}
			pred, conf := "nv", 0.93-0.1*float64(vi)
			if vi%3 == 2 {
				pred = "mel"
			}
			out = append(out, queries.SaliencyGridRow{
				Dataset: "dermamnist", Run: "r1", ImageID: 12, ClassName: "nv", Corruption: v, Severity: s,
				LayerDepth: l.Depth, Layer: l.Layer, LayerAlias: l.Alias, Method: "gradcampp", Predicted: pred, Confidence: conf,
				H: h, W: w, C: c, Map: m, Image: img,
			})
		}
	}
	return out
}

func fixtureTraining(runs []string, epochs int) []queries.TrainingCurveRow {
	var out []queries.TrainingCurveRow
	for ri, run := range runs {
		best := 0
		bestAUC := -1.0
		for e := 1; e <= epochs; e++ {
			x := float64(e)
			auc := 0.95 - 0.35*math.Exp(-x/6) - 0.0008*x + 0.01*float64(ri)
			if auc > bestAUC {
				bestAUC, best = auc, e
			}
			out = append(out, queries.TrainingCurveRow{Dataset: "breastmnist", Run: run, Epoch: e,
				TrainLoss: 0.15 + 0.6*math.Exp(-x/5), ValLoss: 0.3 + 0.5*math.Exp(-x/5) + 0.004*x,
				ValAUC: auc, ValACC: auc - 0.07})
		}
		for i := range out {
			if out[i].Run == run && out[i].Epoch == best {
				out[i].IsBest = true
			}
		}
	}
	return out
}

func fixtureMetricCells(corrs []string) []queries.AUCACCRow {
	out := []queries.AUCACCRow{{Dataset: "dermamnist", Run: "r1", Corruption: "clean", AUC: 0.917, ACC: 0.735}}
	for ci, c := range corrs {
		for sev := 1; sev <= 5; sev++ {
			d := 0.015 * float64(sev) * corrStrength(ci)
			out = append(out, queries.AUCACCRow{Dataset: "dermamnist", Run: "r1", Corruption: c, Severity: sev, AUC: 0.917 - d, ACC: 0.735 - 2*d})
		}
	}
	return out
}

func fixtureRiskCoverage(n int) []RiskCoverage {
	scores := []string{"msp", "entropy", "energy", "flips", "detector", "detector_msp"}
	var out []RiskCoverage
	for si, s := range scores {
		rc := RiskCoverage{Score: s}
		for k := 1; k <= n; k++ {
			cov := float64(k) / float64(n)
			rc.Coverage = append(rc.Coverage, cov)
			rc.Risk = append(rc.Risk, 0.2*math.Pow(cov, 1.5+0.3*float64(si%3))+0.01*float64(si))
		}
		out = append(out, rc)
	}
	return out
}

func fixtureFailureMetrics() []queries.FailureMetricRow {
	scores := []string{"msp", "entropy", "energy", "flips", "detector", "detector_msp"}
	var out []queries.FailureMetricRow
	for si, s := range scores {
		f := float64(si)
		out = append(out,
			queries.FailureMetricRow{Metric: "auroc_f", Score: s, Value: 0.80 - 0.02*f, Lo: 0.75 - 0.02*f, Hi: 0.85 - 0.02*f, N: 156},
			queries.FailureMetricRow{Metric: "aurc", Score: s, Value: 60 + 5*f, Lo: 45 + 5*f, Hi: 75 + 5*f, N: 156},
			queries.FailureMetricRow{Metric: "eaurc", Score: s, Value: 30 + 4*f, Lo: 20 + 4*f, Hi: 40 + 4*f, N: 156},
			queries.FailureMetricRow{Metric: "augrc", Score: s, Value: 40 + 3*f, Lo: 30 + 3*f, Hi: 50 + 3*f, N: 156},
			queries.FailureMetricRow{Metric: "fpr95", Score: s, Value: 0.6 + 0.03*f, Lo: 0.5 + 0.03*f, Hi: 0.7 + 0.03*f, N: 156},
		)
	}
	return out
}

// The failure study's fixtures: two corruptions and three score groups,
// msp and temp_msp ranking alike (temperature scaling keeps a binary
// model's ranking), with the groups far enough apart that their bands do
// not overlap.
var (
	twoCorrs       = []string{"gaussian_noise", "motion_blur"}
	severityGroups = [][]string{{"msp", "temp_msp"}, {"entropy"}, {"detector"}}
)

func fixtureFailureBySeverity(corrs []string, groups [][]string) []queries.FailureBySeverityRow {
	var out []queries.FailureBySeverityRow
	for ci, c := range corrs {
		for sev := 0; sev <= 5; sev++ {
			for gi, g := range groups {
				v := 0.86 - 0.36*float64(gi)/float64(max(1, len(groups)-1)) - 0.05*float64(sev)*corrStrength(ci)
				half := 0.03 + 0.005*float64(sev)
				for _, s := range g {
					out = append(out, queries.FailureBySeverityRow{Dataset: "dermamnist", Run: "f1", Corruption: c, Severity: sev,
						Regime: "unseen", Metric: "auroc_f", Score: s, Group: strings.Join(g, " = "), Value: v, Lo: v - half, Hi: v + half, N: 400})
				}
			}
		}
	}
	return out
}

// fixtureSilentFailures has every setting the query returns: iid, shift
// per severity, shift pooled over severities (severity 0) and a mix; the
// figure draws the first two.
func fixtureSilentFailures(corrs []string, groups [][]string) []queries.SilentFailureRow {
	var out []queries.SilentFailureRow
	add := func(setting, corr string, sev int, errRate float64) {
		for gi, g := range groups {
			v := errRate * (0.2 + 0.2*float64(gi))
			for _, s := range g {
				out = append(out, queries.SilentFailureRow{Dataset: "dermamnist", Run: "f1", Setting: setting, Corruption: corr, Severity: sev,
					Regime: "unseen", Score: s, Group: strings.Join(g, " = "), Silent: v, Lo: 0.75 * v, Hi: 1.25 * v, ErrorRate: errRate, N: 400})
			}
		}
	}
	add("iid", "clean", 0, 0.2)
	for ci, c := range corrs {
		add("shift", c, 0, 0.35)
		for sev := 1; sev <= 5; sev++ {
			add("shift", c, sev, 0.2+0.06*float64(sev)*corrStrength(ci))
		}
	}
	add("mix", "all", 0, math.NaN())
	return out
}

func fixtureDegradedInputs(corrs []string, scores []string) []queries.DegradedInputRow {
	var out []queries.DegradedInputRow
	for ci, c := range corrs {
		for sev := 1; sev <= 5; sev++ {
			for si, s := range scores {
				v := 0.5 + (0.45-0.15*float64(si))*(1-math.Exp(-float64(sev)*corrStrength(ci)/2))
				out = append(out, queries.DegradedInputRow{Dataset: "dermamnist", Run: "f1", Corruption: c, Severity: sev, Regime: "unseen",
					Score: s, AUROC: v, Lo: v - 0.04, Hi: math.Min(1, v+0.04), NClean: 400, NDegraded: 400})
			}
		}
	}
	return out
}

// fixtureGuarantees has, per score, the settings pooled over severities
// and one single-severity row (test risk 0.777) the table leaves out;
// detector breaks its promise under the pooled shift.
func fixtureGuarantees(scores ...string) []queries.RiskGuaranteeRow {
	var out []queries.RiskGuaranteeRow
	for si, s := range scores {
		for _, st := range []struct {
			setting, corr string
			sev           int
			risk          float64
		}{{"mix", "all", 0, 0.08}, {"shift", "gaussian_noise", 3, 0.777}, {"shift", "gaussian_noise", 0, 0.09}, {"iid", "clean", 0, 0.05}, {"shift", "all", 0, 0.07}} {
			r := queries.RiskGuaranteeRow{Dataset: "dermamnist", Run: "f1", Setting: st.setting, Corruption: st.corr, Severity: st.sev, Regime: "unseen",
				Score: s, TargetRisk: 0.1, Delta: 0.001, Bound: 0.095, CalCoverage: 0.62 - 0.1*float64(si), CalRisk: 0.04,
				TestCoverage: 0.6 - 0.1*float64(si), TestRisk: st.risk, N: 400}
			if s == "detector" && st.setting == "shift" && st.corr == "all" {
				r.TestRisk = 0.14
			}
			r.Holds = r.TestRisk <= r.TargetRisk
			out = append(out, r)
		}
	}
	return out
}
