package fingerprint

import (
	"fmt"

	"github.com/gradprint/gradprint/compute/metrics"
	"github.com/gradprint/gradprint/compute/perturb"
	"github.com/gradprint/gradprint/compute/saliency"
)

// Model is what fingerprints need from a classifier: one saliency pass
// that also returns the penultimate features. Images are uint8 HWC; the
// model applies its own normalisation.
type Model interface {
	NumClasses() int
	// Saliency runs one eval-mode forward and one backward of the sum
	// over images of the target-class logit; target picks each image's
	// class from the batch's logits.
	Saliency(images []uint8, n, h, w, c int, layers []string, target func(logits []float32) []int) (Taps, error)
}

// Taps are the results of one saliency pass. Their planes may be the
// model's own buffers: they are read before the model's next call.
type Taps interface {
	Logits() []float32   // n x classes
	Features() []float32 // n x D
	Layer(name string) (act, grad saliency.Planes, err error)
}

// Image is one incoming image and the seed key its probes draw from.
type Image struct {
	Pixels []uint8 // h x w x c
	// Key makes the probes' random draws this image's own: the driver
	// derives it from (split, image, variant), so a rerun draws the same.
	Key uint64
}

// Result is the fingerprint of one incoming image.
type Result struct {
	Logits    []float32 // classes
	Embedding []float32 // D penultimate features
	Features  []float32 // as Config.Names lists them
}

// Compute takes the fingerprints of images (all h x w x c) in one saliency
// pass over them and their probes. ws may be nil.
func (c Config) Compute(m Model, images []Image, h, w, ch int, ws *perturb.Workspace) ([]Result, error) {
	group := 1 + len(c.Probes)
	isz := h * w * ch
	batch := make([]uint8, len(images)*group*isz)
	for i, im := range images {
		if len(im.Pixels) != isz {
			return nil, fmt.Errorf("fingerprint: image %d has %d bytes, want %dx%dx%d", i, len(im.Pixels), h, w, ch)
		}
		base := batch[i*group*isz:]
		copy(base, im.Pixels)
		for p, pr := range c.Probes {
			dst := base[(1+p)*isz : (2+p)*isz]
			if err := c.Perturb.Apply(ws, dst, im.Pixels, h, w, ch, pr.Corruption, pr.Severity, perturb.DeriveSeed(im.Key, int64(p), pr.Corruption, pr.Severity)); err != nil {
				return nil, fmt.Errorf("fingerprint: probe %s: %w", pr, err)
			}
		}
	}
	n := len(images) * group
	layers := make([]string, len(c.Layers))
	for i, l := range c.Layers {
		layers[i] = l.Name
	}
	// Every map of a group explains the class predicted on its first
	// image, the incoming one.
	target := func(logits []float32) []int {
		k := len(logits) / n
		t := make([]int, n)
		for i := range t {
			g := i / group * group
			t[i] = argmax(logits[g*k : (g+1)*k])
		}
		return t
	}
	taps, err := m.Saliency(batch, n, h, w, ch, layers, target)
	if err != nil {
		return nil, err
	}
	return c.results(taps, len(images), m.NumClasses(), target(taps.Logits()))
}

// results turns one pass's taps into per-image fingerprints.
func (c Config) results(taps Taps, images, classes int, targets []int) ([]Result, error) {
	group := 1 + len(c.Probes)
	logits, feats := taps.Logits(), taps.Features()
	d := len(feats) / (images * group)
	out := make([]Result, images)
	probs := make([][]float64, images*group)
	for i := range probs {
		var err error
		if probs[i], err = softmax(logits[i*classes : (i+1)*classes]); err != nil {
			return nil, fmt.Errorf("fingerprint: logits of image %d: %w", i/group, err)
		}
	}
	names := len(c.Names())
	for i := range out {
		g := i * group
		out[i] = Result{
			Logits:    append([]float32(nil), logits[g*classes:(g+1)*classes]...),
			Embedding: append([]float32(nil), feats[g*d:(g+1)*d]...),
			Features:  make([]float32, names),
		}
	}
	rmse := make([][][]float64, images) // image -> probe -> layer
	for i := range rmse {
		rmse[i] = make([][]float64, len(c.Probes))
		for p := range rmse[i] {
			rmse[i][p] = make([]float64, len(c.Layers))
		}
	}
	for li, l := range c.Layers {
		if err := c.layerFeatures(taps, li, l.Name, out, rmse); err != nil {
			return nil, err
		}
	}
	if len(c.Probes) > 0 {
		off := len(c.Layers) * len(mapStats())
		h := make([][]float32, group)
		for i := range out {
			for j := range h {
				h[j] = feats[(i*group+j)*d : (i*group+j+1)*d]
			}
			probeStats(out[i].Features[off:], rmse[i], targets[i*group], probs[i*group:(i+1)*group], h)
		}
	}
	return out, nil
}

// layerFeatures writes one layer's map statistics into each image's
// features and its probes' map RMSE into rmse[image][probe][li].
func (c Config) layerFeatures(taps Taps, li int, name string, out []Result, rmse [][][]float64) error {
	act, grad, err := taps.Layer(name)
	if err != nil {
		return err
	}
	hw := act.H * act.W
	raw := make([]float32, act.N*hw)
	if err := saliency.Maps(c.Method, raw, act, grad); err != nil {
		return fmt.Errorf("fingerprint: layer %s: %w", name, err)
	}
	group := 1 + len(c.Probes)
	stats := len(mapStats())
	// One pair of buffers for the layer: normalised copies of an image's
	// own map and of one probe's map.
	norm, probe := make([]float32, hw), make([]float32, hw)
	for i := range out {
		g := i * group
		own := raw[g*hw : (g+1)*hw]
		mass, peak, ent, zero := ownMapStats(own)
		f := out[i].Features[li*stats:]
		f[0], f[1], f[2], f[3], f[4] = float32(mass), float32(peak), float32(ent), float32(zero), float32(gradNorm(grad, g))
		if len(c.Probes) == 0 {
			continue
		}
		copy(norm, own)
		saliency.Normalize(norm)
		for p := range c.Probes {
			copy(probe, raw[(g+1+p)*hw:(g+2+p)*hw])
			saliency.Normalize(probe)
			if rmse[i][p][li], err = metrics.RMSE(norm, probe); err != nil {
				return fmt.Errorf("fingerprint: layer %s probe %s: %w", name, c.Probes[p], err)
			}
		}
	}
	return nil
}
