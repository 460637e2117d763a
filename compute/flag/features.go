package flag

import (
	"cmp"
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"

	"github.com/gradprint/gradprint/warehouse/rows"
)

// FeatureSet chooses how the RMSE profile enters the detector.
type FeatureSet string

const (
	// Compact summarises the profile by layer, by corruption and by
	// severity: few features, safe on validation splits of a few hundred
	// images.
	Compact FeatureSet = "compact"
	// Full keeps every layer x corruption x severity RMSE.
	Full FeatureSet = "full"
)

// Matrix holds the per-image features of one split, one row per image in
// image-id order, with the clean prediction and the baseline scores.
type Matrix struct {
	Split    string
	Names    []string // fingerprint feature names (columns of X)
	ImageIDs []int32
	X        [][]float64
	Pred     []int32
	Label    []int32
	Wrong    []bool
	// Baselines, each oriented higher = more likely correct.
	MSP, NegEntropy, Energy, NegFlips []float64
}

type variantKey struct {
	corruption string
	severity   int32
}

// BuildFeatures turns the prediction and saliency rows of one split into
// the detector's inputs: the RMSE profile of the given saliency method,
// prediction flips across the variants, the confidence drop under
// corruption, and the clean image's MSP, entropy and energy. Every image of
// the split needs saliency rows (analyze with selection "all").
func BuildFeatures(split string, preds []rows.Prediction, sal []rows.Saliency, method string, set FeatureSet) (*Matrix, error) {
	if set != Compact && set != Full {
		return nil, fmt.Errorf("features: set %q: want compact or full", set)
	}
	p, err := newProfile(split, method, sal)
	if err != nil {
		return nil, err
	}
	imgs := groupImages(split, method, preds, sal)
	out := &Matrix{Split: split, Names: p.names(set)}
	for _, id := range sortedKeys(imgs, cmp.Compare[int32]) {
		x, flips, err := p.features(imgs[id], set)
		if err != nil {
			return nil, fmt.Errorf("features: %s image %d %w", split, id, err)
		}
		out.add(id, x, imgs[id].clean, flips)
	}
	return out, nil
}

// image gathers the rows of one image of the split.
type image struct {
	clean    *rows.Prediction
	variants []*rows.Prediction                // in row order
	rmse     map[string]map[variantKey]float64 // layer alias -> variant -> rmse
}

// groupImages collects the split's predictions and the method's saliency
// rows per image id. An image that has saliency rows but no prediction is
// kept, so that its missing clean prediction is reported rather than the
// image silently dropped.
func groupImages(split, method string, preds []rows.Prediction, sal []rows.Saliency) map[int32]*image {
	imgs := map[int32]*image{}
	get := func(id int32) *image {
		if imgs[id] == nil {
			imgs[id] = &image{rmse: map[string]map[variantKey]float64{}}
		}
		return imgs[id]
	}
	for i := range preds {
		p := &preds[i]
		if p.Split != split {
			continue
		}
		m := get(p.ImageID)
		if p.Corruption == "clean" {
			m.clean = p
		} else {
			m.variants = append(m.variants, p)
		}
	}
	for i := range sal {
		s := &sal[i]
		if s.Split != split || s.Method != method {
			continue
		}
		m := get(s.ImageID)
		if m.rmse[s.LayerAlias] == nil {
			m.rmse[s.LayerAlias] = map[variantKey]float64{}
		}
		m.rmse[s.LayerAlias][variantKey{s.Corruption, s.Severity}] = float64(s.RMSE)
	}
	return imgs
}

// profile is what the split's saliency rows cover, in feature order: the
// layers by depth, the variants by corruption then severity, and the
// distinct corruptions and severities, both sorted.
type profile struct {
	layers   []string
	variants []variantKey
	corrs    []string
	sevs     []int32
}

// newProfile collects the layers and variants of the method's saliency rows
// in the split. Every image must then cover all of them, so that feature
// columns mean the same thing in every row.
func newProfile(split, method string, sal []rows.Saliency) (*profile, error) {
	layerDepth := map[string]int32{}
	variantSet := map[variantKey]bool{}
	for i := range sal {
		s := &sal[i]
		if s.Split != split || s.Method != method {
			continue
		}
		layerDepth[s.LayerAlias] = s.LayerDepth
		variantSet[variantKey{s.Corruption, s.Severity}] = true
	}
	if len(layerDepth) == 0 {
		return nil, fmt.Errorf("features: split %s has no saliency rows for method %s: run analyze with --select all on this split", split, method)
	}
	p := &profile{
		layers: sortedKeys(layerDepth, func(a, b string) int { return cmp.Compare(layerDepth[a], layerDepth[b]) }),
		variants: sortedKeys(variantSet, func(a, b variantKey) int {
			return cmp.Or(cmp.Compare(a.corruption, b.corruption), cmp.Compare(a.severity, b.severity))
		}),
	}
	for _, v := range p.variants {
		if !slices.Contains(p.corrs, v.corruption) {
			p.corrs = append(p.corrs, v.corruption)
		}
		if !slices.Contains(p.sevs, v.severity) {
			p.sevs = append(p.sevs, v.severity)
		}
	}
	slices.Sort(p.sevs)
	return p, nil
}

// names returns the feature names of set, the columns features fills.
func (p *profile) names(set FeatureSet) []string {
	var names []string
	switch set {
	case Full:
		for _, l := range p.layers {
			for _, v := range p.variants {
				names = append(names, fmt.Sprintf("rmse_%s_%s_%d", l, v.corruption, v.severity))
			}
		}
	case Compact:
		for _, l := range p.layers {
			names = append(names, "rmse_layer_"+l)
		}
		for _, c := range p.corrs {
			names = append(names, "rmse_"+c)
		}
		for _, s := range p.sevs {
			names = append(names, "rmse_severity_"+strconv.Itoa(int(s)))
		}
	}
	return append(names, "flips", "confidence_drop_mean", "confidence_drop_max")
}

// features returns one image's feature row, in the order of names, and its
// flip count. Errors name what the image lacks; the caller adds which image.
func (p *profile) features(m *image, set FeatureSet) (x []float64, flips float64, err error) {
	if m.clean == nil {
		return nil, 0, errors.New("has no clean prediction")
	}
	t, err := p.rmseTable(m)
	if err != nil {
		return nil, 0, err
	}
	switch set {
	case Full:
		for _, r := range t {
			x = append(x, r...)
		}
	case Compact:
		x = p.compactRMSE(t)
	}
	flips, dropMean, dropMax, err := flipFeatures(m)
	if err != nil {
		return nil, 0, err
	}
	return append(x, flips, dropMean, dropMax), flips, nil
}

// rmseTable returns the image's RMSE for every layer (rows) and variant
// (columns) of p, failing on the first one missing.
func (p *profile) rmseTable(m *image) ([][]float64, error) {
	if len(m.rmse) != len(p.layers) {
		return nil, fmt.Errorf("has saliency rows for %d of %d layers: run analyze with --select all on this split", len(m.rmse), len(p.layers))
	}
	t := make([][]float64, len(p.layers))
	for li, l := range p.layers {
		t[li] = make([]float64, len(p.variants))
		for vi, v := range p.variants {
			r, ok := m.rmse[l][v]
			if !ok {
				return nil, fmt.Errorf("lacks the RMSE of layer %s %s/%d", l, v.corruption, v.severity)
			}
			t[li][vi] = r
		}
	}
	return t, nil
}

// compactRMSE averages the table by layer, by corruption and by severity.
// The sums run in the same layer-major order as the Full columns, so the
// rounding does not depend on the feature set.
func (p *profile) compactRMSE(t [][]float64) []float64 {
	byLayer := make([]float64, len(p.layers))
	byCorr := make([]float64, len(p.corrs))
	bySev := make([]float64, len(p.sevs))
	for li := range p.layers {
		for vi, v := range p.variants {
			r := t[li][vi]
			byLayer[li] += r / float64(len(p.variants))
			byCorr[slices.Index(p.corrs, v.corruption)] += r
			bySev[slices.Index(p.sevs, v.severity)] += r
		}
	}
	x := byLayer
	for i := range byCorr {
		x = append(x, byCorr[i]/float64(len(p.layers)*len(p.sevs)))
	}
	for i := range bySev {
		x = append(x, bySev[i]/float64(len(p.layers)*len(p.corrs)))
	}
	return x
}

// flipFeatures counts the variants whose prediction differs from the clean
// one and measures how far the clean class's score falls under them (mean
// and max; both 0 without variants). The drop is in the clean prediction's
// class whatever the variant predicts, so a flip shows as a large drop.
func flipFeatures(m *image) (flips, dropMean, dropMax float64, err error) {
	cp := int(m.clean.Predicted)
	dropSum := 0.0
	dropMax = math.Inf(-1)
	for _, v := range m.variants {
		if v.Predicted != m.clean.Predicted {
			flips++
		}
		if cp >= len(v.Scores) {
			return 0, 0, 0, fmt.Errorf("%s/%d has %d scores, clean prediction is class %d", v.Corruption, v.Severity, len(v.Scores), cp)
		}
		d := float64(m.clean.Confidence - v.Scores[cp])
		dropSum += d
		dropMax = max(dropMax, d)
	}
	if len(m.variants) == 0 {
		dropMax = 0
	}
	return flips, dropSum / float64(max(1, len(m.variants))), dropMax, nil
}

// add appends one image's row and its clean prediction's baselines.
func (m *Matrix) add(id int32, x []float64, clean *rows.Prediction, flips float64) {
	m.ImageIDs = append(m.ImageIDs, id)
	m.X = append(m.X, x)
	m.Pred = append(m.Pred, clean.Predicted)
	m.Label = append(m.Label, clean.Label)
	m.Wrong = append(m.Wrong, !clean.Correct)
	m.MSP = append(m.MSP, float64(clean.Confidence))
	m.NegEntropy = append(m.NegEntropy, -float64(clean.Entropy))
	m.Energy = append(m.Energy, float64(clean.Energy))
	m.NegFlips = append(m.NegFlips, -flips)
}

// WithConfidence returns the feature names and rows extended by the clean
// image's MSP, negative entropy and energy: the detector + MSP variant.
func (m *Matrix) WithConfidence() ([]string, [][]float64) {
	names := append(slices.Clone(m.Names), "msp", "neg_entropy", "energy")
	x := make([][]float64, len(m.X))
	for i, r := range m.X {
		x[i] = append(slices.Clone(r), m.MSP[i], m.NegEntropy[i], m.Energy[i])
	}
	return names, x
}

func sortedKeys[K comparable, V any](m map[K]V, less func(a, b K) int) []K {
	out := make([]K, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.SortFunc(out, less)
	return out
}
