package flag

import (
	"fmt"
	"maps"
	"math"
	"slices"

	"github.com/gradprint/gradprint/compute/metrics"
	"github.com/gradprint/gradprint/compute/scores"
)

// Candidate is one score as the flag's choice weighed it on validation.
type Candidate struct {
	Score      string  `json:"score"`
	ValAURC    float64 `json:"val_aurc"` // on the validation mix; learned scores out of fold
	ValAUROCf  float64 `json:"val_auroc_f"`
	Spread     float64 `json:"spread"`     // standard deviation of the score on that set
	Degenerate bool    `json:"degenerate"` // a learned score that barely varies: it ranks by noise
}

// Deployed is what flag deploys: the seen-regime detectors, the fitted
// post-hoc parameters, and the score chosen by validated performance.
type Deployed struct {
	Detector, DetectorMSP, Degradation *Model
	Temperature                        float64
	K                                  int
	SIRC                               scores.SIRC
	Choice                             string
	Why                                string
	Candidates                         []Candidate
}

// degenerateSpread: a learned confidence whose standard deviation on
// validation is below this varies less than its own rounding noise would
// matter for ranking; a detector shrunk to its intercept looks like this.
const degenerateSpread = 1e-3

// deploy chooses the flag's score: the lowest AURC on a validation mix
// (every validation image once, half of them degraded at random), with the
// learned scores taken out of fold (grouped by image) so they are judged
// on images they were not fitted on. A degenerate learned score is never
// chosen.
func (s *study) deploy() (*Deployed, error) {
	seen := s.models[""]
	dep := &Deployed{Detector: seen.detector, DetectorMSP: seen.detectorMSP, Degradation: seen.degradation,
		Temperature: s.base.T, K: s.base.k, SIRC: s.base.sirc}
	vals, err := s.validationScores()
	if err != nil {
		return nil, err
	}
	mixSet := mix(byImage(s.d.Val), imageIDs(s.d.Val), s.d.Corruptions, s.d.Severities, 0.5, s.o.Seed)
	pos := map[*Sample]int{}
	for i, sm := range s.d.Val {
		pos[sm] = i
	}
	idx := make([]int, len(mixSet.Samples))
	for i, sm := range mixSet.Samples {
		idx[i] = pos[sm]
	}
	wrong := wrongOf(mixSet.Samples)
	best := -1
	for _, name := range s.names {
		v := metrics.Gather(nil, vals[name], idx)
		r, err := metrics.Failure(v, wrong)
		if err != nil {
			return nil, fmt.Errorf("validation %s: %w", name, err)
		}
		c := Candidate{Score: name, ValAURC: r.AURC, ValAUROCf: r.AUROCf, Spread: stddev(v)}
		c.Degenerate = isLearned(name) && c.Spread < degenerateSpread
		dep.Candidates = append(dep.Candidates, c)
		if !c.Degenerate && (best < 0 || c.ValAURC < dep.Candidates[best].ValAURC) {
			best = len(dep.Candidates) - 1
		}
	}
	if best < 0 {
		return nil, fmt.Errorf("failure study: no usable score on validation")
	}
	dep.Choice = dep.Candidates[best].Score
	msp := dep.Candidates[slices.IndexFunc(dep.Candidates, func(c Candidate) bool { return c.Score == ScoreMSP })]
	dep.Why = fmt.Sprintf("lowest AURC on the validation mix (each of %d validation images once, half degraded at random; learned scores out of fold): %s %.4f, msp %.4f",
		len(mixSet.Samples), dep.Choice, dep.Candidates[best].ValAURC, msp.ValAURC)
	return dep, nil
}

// validationScores computes every failure score of every validation
// sample: post-hoc as they are, learned out of fold.
func (s *study) validationScores() (map[string][]float64, error) {
	pv := maps.Clone(s.valPV) // the learned scores join it below
	var err error
	opt := s.o.Fit
	opt.Groups = make([]int, len(s.d.Val))
	for i, sm := range s.d.Val {
		opt.Groups[i] = sm.ImageID
	}
	names, x := withFP(s.d.FeatureNames, features(s.d.Val), pv)
	wrong := wrongOf(s.d.Val)
	if pv[ScoreDetector], err = OutOfFold(names, x, wrong, opt); err != nil {
		return nil, fmt.Errorf("detector out of fold: %w", err)
	}
	namesC, xc := withConfidences(names, x, pv)
	if pv[ScoreDetectorMSP], err = OutOfFold(namesC, xc, wrong, opt); err != nil {
		return nil, fmt.Errorf("detector_msp out of fold: %w", err)
	}
	return pv, nil
}

func byImage(ss []*Sample) map[int][]*Sample {
	out := map[int][]*Sample{}
	for _, s := range ss {
		out[s.ImageID] = append(out[s.ImageID], s)
	}
	return out
}

func imageIDs(ss []*Sample) []int {
	var ids []int
	for _, s := range ss {
		if !slices.Contains(ids, s.ImageID) {
			ids = append(ids, s.ImageID)
		}
	}
	slices.Sort(ids)
	return ids
}

func stddev(v []float64) float64 {
	var m float64
	for _, x := range v {
		m += x
	}
	m /= float64(len(v))
	var ss float64
	for _, x := range v {
		ss += (x - m) * (x - m)
	}
	return math.Sqrt(ss / float64(len(v)))
}

// Deployment scores new incoming images exactly as the failure study
// scored its test images in the seen regime: the post-hoc scores refitted
// from the same train features, the temperature and k the study chose, the
// detectors it saved.
type Deployment struct {
	base *posthoc
	seen *learned
}

// NewDeployment rebuilds the study's scorer from its fingerprint run's
// train samples and what it deployed.
func NewDeployment(d *StudyData, dep *Deployed) (*Deployment, error) {
	if len(d.Train) == 0 {
		return nil, fmt.Errorf("deployment: no train images to fit the feature-distance scores on")
	}
	p := &posthoc{classes: d.Classes, flips: slices.Index(d.FeatureNames, "flips"), T: dep.Temperature, k: dep.K, dim: len(d.Train[0].H)}
	trainH := stack(d.Train, func(s *Sample) []float32 { return s.H })
	var err error
	if p.maha, err = scores.FitMahalanobis(trainH, p.dim, labelsOf(d.Train), d.Classes, scores.LedoitWolf); err != nil {
		return nil, fmt.Errorf("mahalanobis on train features: %w", err)
	}
	if p.knn, err = scores.FitKNN(trainH, p.dim); err != nil {
		return nil, err
	}
	if p.fp, err = fitFPDistance(d.Train); err != nil {
		return nil, err
	}
	for _, m := range []*Model{dep.Detector, dep.DetectorMSP, dep.Degradation} {
		if m == nil {
			return nil, fmt.Errorf("deployment: a detector is missing")
		}
	}
	if want, _ := withFP(d.FeatureNames, nil, nil); !slices.Equal(dep.Detector.Features, want) {
		return nil, fmt.Errorf("deployment: the detector reads features %v, the fingerprint run gives %v", dep.Detector.Features, want)
	}
	p.sirc = dep.SIRC
	return &Deployment{base: p, seen: &learned{detector: dep.Detector, detectorMSP: dep.DetectorMSP, degradation: dep.Degradation}}, nil
}

// Scores computes every failure score and the degradation score of ss.
func (dp *Deployment) Scores(ss []*Sample) (map[string][]float64, error) {
	pv, err := dp.base.values(ss)
	if err != nil {
		return nil, err
	}
	lv, err := dp.seen.values(ss, pv)
	if err != nil {
		return nil, err
	}
	for k, v := range lv {
		pv[k] = v
	}
	return pv, nil
}
