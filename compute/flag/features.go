package flag

import (
	"cmp"
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
	type img struct {
		clean    *rows.Prediction
		variants []*rows.Prediction
		rmse     map[string]map[variantKey]float64 // layer alias -> variant -> rmse
	}
	imgs := map[int32]*img{}
	get := func(id int32) *img {
		if imgs[id] == nil {
			imgs[id] = &img{rmse: map[string]map[variantKey]float64{}}
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
	layerDepth := map[string]int32{}
	variantSet := map[variantKey]bool{}
	for i := range sal {
		s := &sal[i]
		if s.Split != split || s.Method != method {
			continue
		}
		m := get(s.ImageID)
		if m.rmse[s.LayerAlias] == nil {
			m.rmse[s.LayerAlias] = map[variantKey]float64{}
		}
		k := variantKey{s.Corruption, s.Severity}
		m.rmse[s.LayerAlias][k] = float64(s.RMSE)
		layerDepth[s.LayerAlias] = s.LayerDepth
		variantSet[k] = true
	}
	if len(layerDepth) == 0 {
		return nil, fmt.Errorf("features: split %s has no saliency rows for method %s: run analyze with --select all on this split", split, method)
	}
	layers := sortedKeys(layerDepth, func(a, b string) int { return cmp.Compare(layerDepth[a], layerDepth[b]) })
	variants := sortedKeys(variantSet, func(a, b variantKey) int {
		return cmp.Or(cmp.Compare(a.corruption, b.corruption), cmp.Compare(a.severity, b.severity))
	})
	var corrs []string
	var sevs []int32
	for _, v := range variants {
		if !slices.Contains(corrs, v.corruption) {
			corrs = append(corrs, v.corruption)
		}
		if !slices.Contains(sevs, v.severity) {
			sevs = append(sevs, v.severity)
		}
	}
	slices.Sort(sevs)

	out := &Matrix{Split: split}
	switch set {
	case Full:
		for _, l := range layers {
			for _, v := range variants {
				out.Names = append(out.Names, fmt.Sprintf("rmse_%s_%s_%d", l, v.corruption, v.severity))
			}
		}
	case Compact:
		for _, l := range layers {
			out.Names = append(out.Names, "rmse_layer_"+l)
		}
		for _, c := range corrs {
			out.Names = append(out.Names, "rmse_"+c)
		}
		for _, s := range sevs {
			out.Names = append(out.Names, "rmse_severity_"+strconv.Itoa(int(s)))
		}
	}
	out.Names = append(out.Names, "flips", "confidence_drop_mean", "confidence_drop_max")

	ids := sortedKeys(imgs, cmp.Compare[int32])
	for _, id := range ids {
		m := imgs[id]
		if m.clean == nil {
			return nil, fmt.Errorf("features: %s image %d has no clean prediction", split, id)
		}
		if len(m.rmse) != len(layers) {
			return nil, fmt.Errorf("features: %s image %d has saliency rows for %d of %d layers: run analyze with --select all on this split", split, id, len(m.rmse), len(layers))
		}
		var x []float64
		at := func(l string, v variantKey) (float64, error) {
			r, ok := m.rmse[l][v]
			if !ok {
				return 0, fmt.Errorf("features: %s image %d lacks the RMSE of layer %s %s/%d", split, id, l, v.corruption, v.severity)
			}
			return r, nil
		}
		switch set {
		case Full:
			for _, l := range layers {
				for _, v := range variants {
					r, err := at(l, v)
					if err != nil {
						return nil, err
					}
					x = append(x, r)
				}
			}
		case Compact:
			byLayer := make([]float64, len(layers))
			byCorr := make([]float64, len(corrs))
			bySev := make([]float64, len(sevs))
			for li, l := range layers {
				for _, v := range variants {
					r, err := at(l, v)
					if err != nil {
						return nil, err
					}
					byLayer[li] += r / float64(len(variants))
					byCorr[slices.Index(corrs, v.corruption)] += r
					bySev[slices.Index(sevs, v.severity)] += r
				}
			}
			x = append(x, byLayer...)
			for i := range byCorr {
				x = append(x, byCorr[i]/float64(len(layers)*len(sevs)))
			}
			for i := range bySev {
				x = append(x, bySev[i]/float64(len(layers)*len(corrs)))
			}
		}
		cp := int(m.clean.Predicted)
		flips, dropSum, dropMax := 0.0, 0.0, math.Inf(-1)
		for _, v := range m.variants {
			if v.Predicted != m.clean.Predicted {
				flips++
			}
			if cp >= len(v.Scores) {
				return nil, fmt.Errorf("features: %s image %d %s/%d has %d scores, clean prediction is class %d", split, id, v.Corruption, v.Severity, len(v.Scores), cp)
			}
			d := float64(m.clean.Confidence - v.Scores[cp])
			dropSum += d
			dropMax = max(dropMax, d)
		}
		if len(m.variants) == 0 {
			dropMax = 0
		}
		x = append(x, flips, dropSum/float64(max(1, len(m.variants))), dropMax)
		out.ImageIDs = append(out.ImageIDs, id)
		out.X = append(out.X, x)
		out.Pred = append(out.Pred, m.clean.Predicted)
		out.Label = append(out.Label, m.clean.Label)
		out.Wrong = append(out.Wrong, !m.clean.Correct)
		out.MSP = append(out.MSP, float64(m.clean.Confidence))
		out.NegEntropy = append(out.NegEntropy, -float64(m.clean.Entropy))
		out.Energy = append(out.Energy, float64(m.clean.Energy))
		out.NegFlips = append(out.NegFlips, -flips)
	}
	return out, nil
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
