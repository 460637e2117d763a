package flag

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/gradprint/gradprint/compute/metrics"
	"github.com/gradprint/gradprint/compute/scores"
	"github.com/gradprint/gradprint/warehouse/rows"
)

// Regimes of the scores that learn from corrupted images: seen (fitted on
// clean and corrupted validation images of every corruption) and unseen
// (fitted without the corruption an image is tested under). Scores that
// learn nothing from corrupted images are the same in both.
const (
	RegimeSeen   = "seen"
	RegimeUnseen = "unseen"
)

// StudyOptions configure Study.
type StudyOptions struct {
	Fit        Options
	BootReps   int     // bootstrap resamples for every 95% interval
	Seed       uint64  // bootstrap and mix draws
	Coverage   float64 // the flag's default coverage: silent failures are counted there
	TargetRisk float64 // the guarantee evaluated on every setting
	Delta      float64
	MixShares  []float64 // degraded shares of the deployment mixes
}

// StudyOutcome is everything the failure study computed.
type StudyOutcome struct {
	Metrics     []rows.FailureMetric
	Degradation []rows.DegradationMetric
	Guarantees  []rows.Guarantee
	Scores      []rows.Score
	Flags       []rows.Flag // clean test, seen regime, at Coverage: the risk-coverage curves
	Deployed    *Deployed
	Notes       []string // what the study could not do as planned
}

// study holds what one Study shares between its parts.
type study struct {
	d      *StudyData
	o      StudyOptions
	runID  string
	base   *posthoc
	valPV  map[string][]float64 // post-hoc scores of d.Val, aligned with it
	models map[string]*learned  // "" = seen; else the corruption left out
	names  []string             // failure scores, in table order
	// test[regime][score] is aligned with d.Test.
	test map[string]map[string][]float64
	// cover and sgr are thresholds calibrated on the clean validation
	// split, per model ("" for every score; a corruption for the learned).
	cover map[string]map[string]float64
	sgr   map[string]map[string]metrics.SGRResult
	index map[*Sample]int
}

// Study runs the failure study of a fingerprint run: every score on every
// setting (i.i.d., corruption shift, deployment mixes) in both regimes,
// with bootstrap intervals; the degraded-input detection task; the risk
// guarantee promised on clean validation against what each setting
// delivers. Fitting and tuning use the validation split (and the train
// split's features) only.
func Study(runID string, d *StudyData, o StudyOptions) (*StudyOutcome, error) {
	if len(d.Test) == 0 || len(d.Val) == 0 {
		return nil, fmt.Errorf("failure study: need validation and test images, got %d and %d", len(d.Val), len(d.Test))
	}
	if len(d.Corruptions) < 2 {
		return nil, fmt.Errorf("failure study: the unseen regime fits each learned score without the corruption it is tested on, so it needs at least two corruptions, got %d %v", len(d.Corruptions), d.Corruptions)
	}
	s := &study{d: d, o: o, runID: runID, models: map[string]*learned{}, index: map[*Sample]int{}}
	var err error
	if s.base, err = fitPosthoc(d); err != nil {
		return nil, err
	}
	if s.valPV, err = s.base.values(d.Val); err != nil {
		return nil, err
	}
	for _, leave := range append([]string{""}, d.Corruptions...) {
		if s.models[leave], err = fitLearned(d, s.valPV, leave, o.Fit); err != nil {
			return nil, err
		}
	}
	for i, t := range d.Test {
		s.index[t] = i
	}
	if err := s.scoreTest(); err != nil {
		return nil, err
	}
	if err := s.calibrate(); err != nil {
		return nil, err
	}
	out := &StudyOutcome{}
	if s.base.note != "" {
		out.Notes = append(out.Notes, s.base.note)
	}
	settings := Settings(d.Test, d.Corruptions, d.Severities, o.MixShares, o.Seed)
	for _, st := range settings {
		ms, gs, err := s.setting(st)
		if err != nil {
			return nil, fmt.Errorf("failure study, setting %s: %w", st, err)
		}
		out.Metrics, out.Guarantees = append(out.Metrics, ms...), append(out.Guarantees, gs...)
	}
	if out.Degradation, err = s.degradation(settings); err != nil {
		return nil, err
	}
	out.Scores, out.Flags = s.scoreRows(), s.flagRows(settings[0])
	if out.Deployed, err = s.deploy(); err != nil {
		return nil, err
	}
	return out, nil
}

// modelOf is the model key of a sample in a regime.
func modelOf(regime string, sm *Sample) string {
	if regime == RegimeUnseen && sm.Degraded() {
		return sm.Corruption
	}
	return ""
}

// scoreTest computes every score of every test sample in both regimes.
func (s *study) scoreTest() error {
	pv, err := s.base.values(s.d.Test)
	if err != nil {
		return err
	}
	s.names = nil
	for _, n := range []string{ScoreMSP, ScoreTempMSP, ScoreEntropy, ScoreDOCTOR, ScoreMargin, ScoreMaxLogit, ScoreEnergy,
		ScoreMahalanobis, ScoreKNN, ScoreGradNorm, ScoreFlips, ScoreFPDistance, ScoreDetector, ScoreDetectorMSP, ScoreSIRC} {
		if _, ok := pv[n]; ok || isLearned(n) {
			s.names = append(s.names, n)
		}
	}
	s.test = map[string]map[string][]float64{}
	for _, regime := range []string{RegimeSeen, RegimeUnseen} {
		vals := map[string][]float64{}
		for k, v := range pv {
			vals[k] = v
		}
		for _, name := range append(learnedScores(), ScoreDegradation) {
			vals[name] = make([]float64, len(s.d.Test))
		}
		byModel := map[string][]int{}
		for i, sm := range s.d.Test {
			byModel[modelOf(regime, sm)] = append(byModel[modelOf(regime, sm)], i)
		}
		for key, idx := range byModel {
			sub := make([]*Sample, len(idx))
			for j, i := range idx {
				sub[j] = s.d.Test[i]
			}
			pvs := gatherAll(pv, idx)
			lv, err := s.models[key].values(sub, pvs)
			if err != nil {
				return err
			}
			for k, v := range lv {
				for j, i := range idx {
					vals[k][i] = v[j]
				}
			}
		}
		s.test[regime] = vals
	}
	return nil
}

// calibrate computes, on the clean validation split, each score's threshold
// at the default coverage and its SGR threshold for the target risk, per
// model for the learned scores.
func (s *study) calibrate() error {
	var idx []int
	for i, sm := range s.d.Val {
		if !sm.Degraded() {
			idx = append(idx, i)
		}
	}
	clean := metrics.Gather(nil, s.d.Val, idx)
	wrong := wrongOf(clean)
	pv := gatherAll(s.valPV, idx)
	s.cover, s.sgr = map[string]map[string]float64{}, map[string]map[string]metrics.SGRResult{}
	for key, m := range s.models {
		lv, err := m.values(clean, pv)
		if err != nil {
			return err
		}
		s.cover[key], s.sgr[key] = map[string]float64{}, map[string]metrics.SGRResult{}
		for _, name := range s.names {
			v := pv[name]
			if isLearned(name) {
				v = lv[name]
			} else if key != "" {
				continue
			}
			th, err := CalibrateCoverage(v, wrong, s.o.Coverage)
			if err != nil {
				return fmt.Errorf("calibrate %s: %w", name, err)
			}
			s.cover[key][name] = th.Threshold
			r, err := metrics.SGR(v, wrong, s.o.TargetRisk, s.o.Delta)
			if err != nil && !errors.Is(err, metrics.ErrRiskUnattainable) {
				return fmt.Errorf("sgr %s: %w", name, err)
			}
			if err != nil {
				r = metrics.SGRResult{Threshold: math.Inf(1), Bound: math.NaN(), N: len(v)}
			}
			s.sgr[key][name] = r
		}
	}
	return nil
}

// threshold is the calibrated threshold a sample is held to.
func (s *study) threshold(table map[string]map[string]float64, regime, name string, sm *Sample) float64 {
	if !isLearned(name) {
		return table[""][name]
	}
	return table[modelOf(regime, sm)][name]
}

// setting computes one setting's metrics and guarantees, both regimes.
func (s *study) setting(st Setting) ([]rows.FailureMetric, []rows.Guarantee, error) {
	if len(st.Samples) == 0 {
		return nil, nil, nil
	}
	idx := make([]int, len(st.Samples))
	for i, sm := range st.Samples {
		idx[i] = s.index[sm]
	}
	wrong := wrongOf(st.Samples)
	var ms []rows.FailureMetric
	var gs []rows.Guarantee
	// A score that learns nothing from corrupted images has the same
	// values, hence the same rows, in both regimes: computed once.
	seenRows := map[string][]rows.FailureMetric{}
	seenGuarantee := map[string]rows.Guarantee{}
	for _, regime := range []string{RegimeSeen, RegimeUnseen} {
		groups, err := s.groups(regime, idx)
		if err != nil {
			return nil, nil, err
		}
		for _, name := range s.names {
			if regime == RegimeUnseen && !isLearned(name) {
				rs, g := slices.Clone(seenRows[name]), seenGuarantee[name]
				for i := range rs {
					rs[i].Regime, rs[i].Group = regime, groups[name]
				}
				g.Regime = regime
				ms, gs = append(ms, rs...), append(gs, g)
				continue
			}
			conf := metrics.Gather(nil, s.test[regime][name], idx)
			accepted := make([]bool, len(conf))
			sgrOK := make([]bool, len(conf))
			for i, sm := range st.Samples {
				accepted[i] = conf[i] >= s.threshold(s.cover, regime, name, sm)
				sgrOK[i] = conf[i] >= s.sgrThreshold(regime, name, sm)
			}
			rs, err := s.metricRows(st, regime, name, groups[name], conf, wrong, accepted)
			if err != nil {
				return nil, nil, err
			}
			g := s.guarantee(st, regime, name, wrong, sgrOK)
			seenRows[name], seenGuarantee[name] = rs, g
			ms, gs = append(ms, rs...), append(gs, g)
		}
	}
	return ms, gs, nil
}

func (s *study) sgrThreshold(regime, name string, sm *Sample) float64 {
	key := ""
	if isLearned(name) {
		key = modelOf(regime, sm)
	}
	return s.sgr[key][name].Threshold
}

// groups labels each score with the scores that rank the setting's images
// identically.
func (s *study) groups(regime string, idx []int) (map[string]string, error) {
	var named []scores.Named
	for _, name := range s.names {
		named = append(named, scores.Named{Name: name, Scores: metrics.Gather(nil, s.test[regime][name], idx)})
	}
	gs, err := scores.GroupByRanking(named)
	if err != nil {
		return nil, err
	}
	out := map[string]string{}
	for _, g := range gs {
		for _, n := range g {
			out[n] = strings.Join(g, " = ")
		}
	}
	return out, nil
}

// metricNames are the failure metrics of a score, in the order metricRows
// computes them.
func metricNames() []string {
	return []string{"auroc_f", "aurc", "eaurc", "augrc", "fpr95", "silent_failure"}
}

// metricRows computes a score's failure metrics with bootstrap intervals,
// silent failures (wrong yet accepted, over all images) among them.
func (s *study) metricRows(st Setting, regime, name, group string, conf []float64, wrong, accepted []bool) ([]rows.FailureMetric, error) {
	ranked, err := metrics.Rank(conf, wrong)
	if err != nil {
		return nil, err
	}
	var counts []int
	all := func(idx []int, out []float64) {
		if idx != nil {
			counts = metrics.Counts(counts, idx, len(conf))
		}
		r := ranked.Report(counts)
		silent := 0
		for i := range conf {
			if wrong[i] && accepted[i] {
				if counts == nil {
					silent++
				} else {
					silent += counts[i]
				}
			}
		}
		out[0], out[1], out[2], out[3], out[4] = r.AUROCf, r.AURC, r.EAURC, r.AUGRC, r.FPR95TPR
		out[5] = float64(silent) / float64(len(conf))
	}
	k := len(metricNames())
	point := make([]float64, k)
	all(nil, point)
	lo, hi := make([]float64, k), make([]float64, k)
	for i := range lo {
		lo[i], hi[i] = math.NaN(), math.NaN()
	}
	if s.o.BootReps > 0 {
		var err error
		if lo, hi, err = metrics.BootstrapMany(len(conf), s.o.BootReps, k, s.o.Seed, all); err != nil {
			return nil, err
		}
	}
	out := make([]rows.FailureMetric, k)
	for i, m := range metricNames() {
		out[i] = rows.FailureMetric{RunID: s.runID, Split: "test", ScoreName: name, Metric: m, Value: point[i], CILo: lo[i], CIHi: hi[i],
			N: int32(len(conf)), NBoot: int32(s.o.BootReps), Setting: st.Kind, Corruption: st.Corruption, Severity: int32(st.Severity),
			Regime: regime, Group: group}
	}
	return out, nil
}

// guarantee is the SGR promise of one score against one setting.
func (s *study) guarantee(st Setting, regime, name string, wrong, ok []bool) rows.Guarantee {
	g := rows.Guarantee{RunID: s.runID, Setting: st.Kind, Corruption: st.Corruption, Severity: int32(st.Severity), Regime: regime,
		ScoreName: name, TargetRisk: s.o.TargetRisk, Delta: s.o.Delta, N: int32(len(wrong))}
	keys := map[string]bool{}
	for _, sm := range st.Samples {
		if isLearned(name) {
			keys[modelOf(regime, sm)] = true
		} else {
			keys[""] = true
		}
	}
	// A setting drawing on several models promises the weakest bound.
	g.Bound, g.CalCoverage, g.CalRisk = math.Inf(-1), math.Inf(1), math.Inf(-1)
	for key := range keys {
		r := s.sgr[key][name]
		g.Bound, g.CalCoverage, g.CalRisk = max(g.Bound, r.Bound), min(g.CalCoverage, r.Coverage), max(g.CalRisk, r.Risk)
	}
	accepted, wrongAccepted := 0, 0
	for i := range ok {
		if ok[i] {
			accepted++
			if wrong[i] {
				wrongAccepted++
			}
		}
	}
	g.TestCoverage = float64(accepted) / float64(len(ok))
	g.TestRisk = math.NaN()
	if accepted > 0 {
		g.TestRisk = float64(wrongAccepted) / float64(accepted)
	}
	return g
}

// degradation scores the second task: clean against degraded test images,
// per shift setting, every score and the degradation detector.
func (s *study) degradation(settings []Setting) ([]rows.DegradationMetric, error) {
	clean := settings[0].Samples
	var out []rows.DegradationMetric
	for _, st := range settings {
		if st.Kind != "shift" || len(st.Samples) == 0 {
			continue
		}
		both := append(slices.Clone(clean), st.Samples...)
		idx := make([]int, len(both))
		positive := make([]bool, len(both))
		for i, sm := range both {
			idx[i], positive[i] = s.index[sm], !sm.Degraded()
		}
		seen := map[string]rows.DegradationMetric{}
		for _, regime := range []string{RegimeSeen, RegimeUnseen} {
			for _, name := range append(slices.Clone(s.names), ScoreDegradation) {
				if row, ok := seen[name]; ok && !isLearned(name) {
					row.Regime = regime
					out = append(out, row)
					continue
				}
				v := metrics.Gather(nil, s.test[regime][name], idx)
				row, err := s.aurocRow(st, regime, name, v, positive, len(clean))
				if err != nil {
					return nil, err
				}
				seen[name] = row
				out = append(out, row)
			}
		}
	}
	return out, nil
}

func (s *study) aurocRow(st Setting, regime, name string, v []float64, positive []bool, nClean int) (rows.DegradationMetric, error) {
	// ROC AUC of v separating clean (positive) from degraded images is the
	// AUROC_f of v with the degraded images as the "failures".
	degraded := make([]bool, len(positive))
	for i, p := range positive {
		degraded[i] = !p
	}
	ranked, err := metrics.Rank(v, degraded)
	if err != nil {
		return rows.DegradationMetric{}, fmt.Errorf("degradation %s %s: %w", name, st, err)
	}
	auc := ranked.AUROC(nil)
	lo, hi := math.NaN(), math.NaN()
	if s.o.BootReps > 0 {
		var counts []int
		lo, hi, _ = metrics.Bootstrap(len(v), s.o.BootReps, s.o.Seed, func(idx []int) float64 {
			counts = metrics.Counts(counts, idx, len(v))
			return ranked.AUROC(counts)
		})
	}
	return rows.DegradationMetric{RunID: s.runID, Split: "test", Corruption: st.Corruption, Severity: int32(st.Severity), ScoreName: name,
		Regime: regime, Value: auc, CILo: lo, CIHi: hi, NClean: int32(nClean), NDegraded: int32(len(v) - nClean), NBoot: int32(s.o.BootReps)}, nil
}

// scoreRows writes every test sample's scores, both regimes.
func (s *study) scoreRows() []rows.Score {
	var out []rows.Score
	for _, regime := range []string{RegimeSeen, RegimeUnseen} {
		for _, name := range append(slices.Clone(s.names), ScoreDegradation) {
			for i, sm := range s.d.Test {
				out = append(out, rows.Score{RunID: s.runID, Split: sm.Split, ImageID: int32(sm.ImageID), Corruption: sm.Corruption,
					Severity: int32(sm.Severity), ScoreName: name, Regime: regime, Value: s.test[regime][name][i], Wrong: sm.Wrong()})
			}
		}
	}
	return out
}

// flagRows are the clean test images' flags at the default coverage, seen
// regime: the rows the risk-coverage curves read.
func (s *study) flagRows(iid Setting) []rows.Flag {
	var out []rows.Flag
	for _, name := range s.names {
		th := s.cover[""][name]
		for _, sm := range iid.Samples {
			v := s.test[RegimeSeen][name][s.index[sm]]
			out = append(out, rows.Flag{RunID: s.runID, Split: "test", ImageID: int32(sm.ImageID), ScoreName: name, Score: v,
				Predicted: int32(sm.Pred), Label: int32(sm.Label), Correct: !sm.Wrong(), Threshold: th, Flagged: v < th})
		}
	}
	return out
}
