package flag

import (
	"errors"
	"fmt"
	"math"
	"slices"

	"github.com/gradprint/gradprint/compute/metrics"
	"github.com/gradprint/gradprint/compute/scores"
)

// Score names of the failure study, each oriented higher = more likely
// correct (and, as degradation scores, more like a clean acquisition).
const (
	ScoreMSP         = "msp"
	ScoreEntropy     = "entropy" // negative predictive entropy
	ScoreEnergy      = "energy"
	ScoreFlips       = "flips" // minus the probes that flip the prediction
	ScoreDetector    = "detector"
	ScoreDetectorMSP = "detector_msp"
	ScoreTempMSP     = "temp_msp"
	ScoreMaxLogit    = "max_logit"
	ScoreDOCTOR      = "doctor"
	ScoreMargin      = "margin"
	ScoreMahalanobis = "mahalanobis"
	ScoreKNN         = "knn"
	ScoreGradNorm    = "gradnorm"
	ScoreSIRC        = "sirc"
	// ScoreFPDistance is minus the Mahalanobis distance of an image's
	// fingerprint from the clean train images' fingerprints: fitted on
	// clean images only, it needs no corruption to have been seen.
	ScoreFPDistance = "fp_distance"
	// ScoreDegradation is the fingerprint's detector of degraded inputs,
	// P(clean), for the second task only.
	ScoreDegradation = "degradation"
)

// learnedScores are the scores fitted on (clean and corrupted) validation
// images: they have a seen and an unseen regime.
func learnedScores() []string { return []string{ScoreDetector, ScoreDetectorMSP} }

func isLearned(score string) bool {
	return slices.Contains(learnedScores(), score) || score == ScoreDegradation
}

// posthoc holds the scores that learn nothing from corrupted images:
// logit scores, temperature (fitted on the clean validation split),
// Mahalanobis and the kNN bank (train features), GradNorm, and flips.
type posthoc struct {
	classes, dim int
	T            float64
	maha         *scores.Mahalanobis
	knn          *scores.KNN
	k            int
	flips        int // index of the flips feature, -1 without probes
	fp           *fpDistance
	sirc         scores.SIRC // MSP with fp_distance as the secondary score
	note         string      // what fitting could not do as planned, for the study's notes
}

// fallbackK is kNN's k when clean validation has no failure to choose it
// by: the middle of scores.DefaultKCandidates.
const fallbackK = 10

func fitPosthoc(d *StudyData) (*posthoc, error) {
	p := &posthoc{classes: d.Classes, flips: slices.Index(d.FeatureNames, "flips")}
	clean := cleanOf(d.Val)
	if len(d.Train) == 0 || len(clean) == 0 {
		return nil, fmt.Errorf("failure study: need train and clean validation images, got %d and %d", len(d.Train), len(clean))
	}
	p.dim = len(d.Train[0].H)
	logits, labels := stack(clean, func(s *Sample) []float32 { return s.Logits }), labelsOf(clean)
	var err error
	if p.T, err = scores.FitTemperature(logits, d.Classes, labels); err != nil {
		return nil, fmt.Errorf("temperature on clean validation: %w", err)
	}
	trainH := stack(d.Train, func(s *Sample) []float32 { return s.H })
	if p.maha, err = scores.FitMahalanobis(trainH, p.dim, labelsOf(d.Train), d.Classes, scores.LedoitWolf); err != nil {
		return nil, fmt.Errorf("mahalanobis on train features: %w", err)
	}
	if p.knn, err = scores.FitKNN(trainH, p.dim); err != nil {
		return nil, fmt.Errorf("knn bank of train features: %w", err)
	}
	if p.fp, err = fitFPDistance(d.Train); err != nil {
		return nil, err
	}
	// SIRC's secondary-score statistics come from held-out clean images:
	// on the train images fp_distance is in-sample, hence too small.
	s2, err := p.fp.score(clean)
	if err != nil {
		return nil, err
	}
	if p.sirc, err = scores.FitSIRC(s2); err != nil {
		return nil, fmt.Errorf("sirc on clean validation: %w", err)
	}
	valH := stack(clean, func(s *Sample) []float32 { return s.H })
	p.k, _, err = p.knn.ChooseK(valH, wrongOf(clean), scores.DefaultKCandidates())
	if errors.Is(err, metrics.ErrSingleClass) {
		// Nothing to tune on: every clean validation prediction is right
		// (or every one wrong). The study says so in its notes.
		p.k, p.note = fallbackK, fmt.Sprintf("knn: k = %d untuned, the %d clean validation predictions are all right or all wrong", fallbackK, len(clean))
	} else if err != nil {
		return nil, fmt.Errorf("knn's k on clean validation: %w", err)
	}
	return p, nil
}

// values computes every post-hoc score of ss.
func (p *posthoc) values(ss []*Sample) (map[string][]float64, error) {
	logits := stack(ss, func(s *Sample) []float32 { return s.Logits })
	h := stack(ss, func(s *Sample) []float32 { return s.H })
	out := map[string][]float64{}
	for _, f := range []struct {
		name string
		fn   func([]float32, int) ([]float64, error)
	}{
		{ScoreMSP, scores.MSP}, {ScoreMaxLogit, scores.MaxLogit}, {ScoreEnergy, scores.Energy},
		{ScoreEntropy, scores.NegEntropy}, {ScoreDOCTOR, scores.DOCTOR}, {ScoreMargin, scores.Margin},
	} {
		v, err := f.fn(logits, p.classes)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", f.name, err)
		}
		out[f.name] = v
	}
	var err error
	if out[ScoreTempMSP], err = scores.TempMSP(logits, p.classes, p.T); err != nil {
		return nil, err
	}
	if out[ScoreMahalanobis], err = p.maha.Score(h); err != nil {
		return nil, err
	}
	if out[ScoreKNN], err = p.knn.Score(h, p.k); err != nil {
		return nil, err
	}
	if out[ScoreGradNorm], err = scores.GradNorm(logits, p.classes, h, p.dim); err != nil {
		return nil, err
	}
	if out[ScoreFPDistance], err = p.fp.score(ss); err != nil {
		return nil, err
	}
	if out[ScoreSIRC], err = p.sirc.LogScore(out[ScoreMSP], out[ScoreFPDistance]); err != nil {
		return nil, err
	}
	if p.flips >= 0 {
		v := make([]float64, len(ss))
		for i, s := range ss {
			v[i] = -float64(s.Features[p.flips])
		}
		out[ScoreFlips] = v
	}
	return out, nil
}

// fpDistance is the Mahalanobis distance of standardised fingerprints to
// their clean train mean under a Ledoit-Wolf shrunk covariance. Features
// are standardised first because the shrinkage target (a scaled identity)
// is not scale-free; a feature constant on train keeps unit scale.
type fpDistance struct {
	mean, std []float64
	maha      *scores.Mahalanobis
}

func fitFPDistance(train []*Sample) (*fpDistance, error) {
	x := features(train)
	d := len(x[0])
	f := &fpDistance{mean: make([]float64, d), std: make([]float64, d)}
	for _, r := range x {
		for j, v := range r {
			f.mean[j] += v / float64(len(x))
		}
	}
	for _, r := range x {
		for j, v := range r {
			f.std[j] += (v - f.mean[j]) * (v - f.mean[j]) / float64(len(x))
		}
	}
	for j := range f.std {
		if f.std[j] = math.Sqrt(f.std[j]); f.std[j] < 1e-12 {
			f.std[j] = 1
		}
	}
	var err error
	if f.maha, err = scores.FitMahalanobis(f.standardise(x), d, make([]int, len(x)), 1, scores.LedoitWolf); err != nil {
		return nil, fmt.Errorf("fingerprint distance on train fingerprints: %w", err)
	}
	return f, nil
}

func (f *fpDistance) standardise(x [][]float64) []float32 {
	out := make([]float32, 0, len(x)*len(f.mean))
	for _, r := range x {
		for j, v := range r {
			out = append(out, float32((v-f.mean[j])/f.std[j]))
		}
	}
	return out
}

func (f *fpDistance) score(ss []*Sample) ([]float64, error) {
	return f.maha.Score(f.standardise(features(ss)))
}

// learned holds the detectors fitted on the validation images of every
// corruption but one (none left out: the seen regime).
type learned struct {
	leaveOut    string
	detector    *Model // failure from the fingerprint
	detectorMSP *Model // failure from the fingerprint and the clean confidences
	degradation *Model // degraded input from the fingerprint
}

// fitLearned fits the detectors on the validation samples whose corruption
// is not leaveOut (clean ones always), grouping an image's copies in one
// cross-validation fold. valPV are the post-hoc scores of d.Val, aligned
// with it. Every detector reads the fingerprint and its distance from the
// clean train fingerprints (fp_distance).
func fitLearned(d *StudyData, valPV map[string][]float64, leaveOut string, opt Options) (*learned, error) {
	var fit []*Sample
	var keep []int
	for i, s := range d.Val {
		if s.Corruption != leaveOut {
			fit, keep = append(fit, s), append(keep, i)
		}
	}
	pv := gatherAll(valPV, keep)
	var err error
	opt.Groups = make([]int, len(fit))
	for i, s := range fit {
		opt.Groups[i] = s.ImageID
	}
	l := &learned{leaveOut: leaveOut}
	names, x := withFP(d.FeatureNames, features(fit), pv)
	if l.detector, err = Fit(names, x, wrongOf(fit), opt); err != nil {
		return nil, fmt.Errorf("detector without %s: %w", leaveOut, err)
	}
	namesC, xc := withConfidences(names, x, pv)
	if l.detectorMSP, err = Fit(namesC, xc, wrongOf(fit), opt); err != nil {
		return nil, fmt.Errorf("detector_msp without %s: %w", leaveOut, err)
	}
	if l.degradation, err = Fit(names, x, degradedOf(fit), opt); err != nil {
		return nil, fmt.Errorf("degradation detector without %s: %w", leaveOut, err)
	}
	return l, nil
}

// values computes the learned scores of ss, given their post-hoc ones.
func (l *learned) values(ss []*Sample, pv map[string][]float64) (map[string][]float64, error) {
	_, x := withFP(nil, features(ss), pv)
	out := map[string][]float64{}
	var err error
	if out[ScoreDetector], err = l.detector.Confidences(x); err != nil {
		return nil, err
	}
	_, xc := withConfidences(nil, x, pv)
	if out[ScoreDetectorMSP], err = l.detectorMSP.Confidences(xc); err != nil {
		return nil, err
	}
	if out[ScoreDegradation], err = l.degradation.Confidences(x); err != nil {
		return nil, err
	}
	return out, nil
}

// withFP appends each sample's fp_distance to its fingerprint features.
func withFP(names []string, x [][]float64, pv map[string][]float64) ([]string, [][]float64) {
	out := make([][]float64, len(x))
	for i, r := range x {
		out[i] = append(slices.Clone(r), pv[ScoreFPDistance][i])
	}
	return append(slices.Clone(names), ScoreFPDistance), out
}

// withConfidences appends the clean confidences (MSP, negative entropy,
// energy) to each row of fingerprint features.
func withConfidences(names []string, x [][]float64, pv map[string][]float64) ([]string, [][]float64) {
	out := make([][]float64, len(x))
	for i, r := range x {
		out[i] = append(slices.Clone(r), pv[ScoreMSP][i], pv[ScoreEntropy][i], pv[ScoreEnergy][i])
	}
	return append(slices.Clone(names), "msp", "neg_entropy", "energy"), out
}

// gatherAll picks the samples idx of every score.
func gatherAll(vals map[string][]float64, idx []int) map[string][]float64 {
	out := make(map[string][]float64, len(vals))
	for k, v := range vals {
		out[k] = metrics.Gather(nil, v, idx)
	}
	return out
}

func stack(ss []*Sample, field func(*Sample) []float32) []float32 {
	var out []float32
	for _, s := range ss {
		out = append(out, field(s)...)
	}
	return out
}

func features(ss []*Sample) [][]float64 {
	out := make([][]float64, len(ss))
	for i, s := range ss {
		out[i] = make([]float64, len(s.Features))
		for j, v := range s.Features {
			out[i][j] = float64(v)
		}
	}
	return out
}

func labelsOf(ss []*Sample) []int {
	out := make([]int, len(ss))
	for i, s := range ss {
		out[i] = s.Label
	}
	return out
}

func wrongOf(ss []*Sample) []bool {
	out := make([]bool, len(ss))
	for i, s := range ss {
		out[i] = s.Wrong()
	}
	return out
}

func degradedOf(ss []*Sample) []bool {
	out := make([]bool, len(ss))
	for i, s := range ss {
		out[i] = s.Degraded()
	}
	return out
}

func cleanOf(ss []*Sample) []*Sample {
	var out []*Sample
	for _, s := range ss {
		if !s.Degraded() {
			out = append(out, s)
		}
	}
	return out
}
