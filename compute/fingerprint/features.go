package fingerprint

import (
	"fmt"
	"math"

	"github.com/gradprint/gradprint/compute/analysis"
	"github.com/gradprint/gradprint/compute/metrics"
	"github.com/gradprint/gradprint/compute/perturb"
	"github.com/gradprint/gradprint/compute/saliency"
)

// Config says how fingerprints are taken.
type Config struct {
	Layers  []analysis.Layer // in depth order
	Method  saliency.Method
	Probes  []Probe
	Perturb *perturb.Preset // constants of the probes' corruptions
	Seed    uint64          // the probes' random draws derive from it
}

// Validate checks the configuration before any image is read.
func (c Config) Validate() error {
	if len(c.Layers) == 0 || c.Method == nil {
		return fmt.Errorf("fingerprint: need at least one layer and a saliency method")
	}
	if len(c.Probes) > 0 && c.Perturb == nil {
		return fmt.Errorf("fingerprint: probes need a corruption preset")
	}
	if err := checkProbes(c.Probes); err != nil {
		return err
	}
	for _, p := range c.Probes {
		if _, err := c.Perturb.Corruption(p.Corruption); err != nil {
			return fmt.Errorf("fingerprint: probe %s: %w", p, err)
		}
	}
	return nil
}

// mapStats names the per-layer statistics of the incoming image's own
// map, in the order features hold them.
func mapStats() []string { return []string{"mass", "peak", "entropy", "zero", "gradnorm"} }

// Names lists the fingerprint's features in the order Compute writes them:
// for each layer mass_, peak_, entropy_, zero_ and gradnorm_<alias>; then,
// with probes, rmse_<alias> per layer (mean over probes), rmse_<probe> per
// probe (mean over layers), flips, conf_drop_mean and conf_drop_max, and
// per probe kl_<probe> and shift_<probe>: how far the probe moves the
// prediction and the penultimate features.
func (c Config) Names() []string {
	var out []string
	for _, l := range c.Layers {
		for _, s := range mapStats() {
			out = append(out, s+"_"+l.Alias)
		}
	}
	if len(c.Probes) == 0 {
		return out
	}
	for _, l := range c.Layers {
		out = append(out, "rmse_"+l.Alias)
	}
	for _, p := range c.Probes {
		out = append(out, "rmse_"+p.String())
	}
	out = append(out, "flips", "conf_drop_mean", "conf_drop_max")
	for _, p := range c.Probes {
		out = append(out, "kl_"+p.String(), "shift_"+p.String())
	}
	return out
}

// tiny keeps logarithms of zero maps and gradients finite.
const tiny = 1e-12

// ownMapStats returns mass, peak, entropy and zero share of one raw
// (ReLU'd, un-normalised) map:
//
//	mass    = log10(tiny + mean m)
//	peak    = log10(1 + max m / (mean m + tiny))   how concentrated the map is
//	entropy = H(m / sum m) / log(len m) in [0, 1]  0 for a zero map
//	zero    = share of pixels where m = 0
func ownMapStats(m []float32) (mass, peak, entropy, zero float64) {
	var sum, hi float64
	zeros := 0
	for _, v := range m {
		x := float64(v)
		sum += x
		hi = math.Max(hi, x)
		if v == 0 {
			zeros++
		}
	}
	n := float64(len(m))
	mean := sum / n
	mass = math.Log10(tiny + mean)
	peak = math.Log10(1 + hi/(mean+tiny))
	zero = float64(zeros) / n
	if sum > 0 && len(m) > 1 {
		for _, v := range m {
			if v > 0 {
				q := float64(v) / sum
				entropy -= q * math.Log(q)
			}
		}
		entropy /= math.Log(n)
	}
	return mass, peak, entropy, zero
}

// gradNorm is log10 of the root mean square gradient of image n at a layer.
func gradNorm(g saliency.Planes, n int) float64 {
	var ss float64
	for c := 0; c < g.C; c++ {
		for _, v := range g.Plane(n, c) {
			ss += float64(v) * float64(v)
		}
	}
	return math.Log10(tiny + math.Sqrt(ss/float64(g.C*g.H*g.W)))
}

// probeStats fills the probe part of one image's features from its
// verdicts, the per-probe, per-layer RMSE between normalised maps
// (rmse[p][l]) and the penultimate features of the image and its probes
// (h[0], h[1+p]): the layout Names gives. A probe that changes an image
// little says the image already looks like the probe's corruption (a
// blurred scan barely changes under more blur), so the per-probe
// prediction and feature shifts carry what the pooled drops average away:
//
//	kl_p    = KL(p_image || p_probe)         in nats
//	shift_p = log10(tiny + |h_probe - h_image| / (|h_image| + tiny))
func probeStats(dst []float32, rmse [][]float64, pred int, probs [][]float64, h [][]float32) {
	nl, np := len(rmse[0]), len(rmse)
	for l := 0; l < nl; l++ {
		var s float64
		for p := 0; p < np; p++ {
			s += rmse[p][l]
		}
		dst[l] = float32(s / float64(np))
	}
	for p := 0; p < np; p++ {
		var s float64
		for l := 0; l < nl; l++ {
			s += rmse[p][l]
		}
		dst[nl+p] = float32(s / float64(nl))
	}
	var flips, dropSum float64
	dropMax := math.Inf(-1)
	for p := 1; p < len(probs); p++ {
		if argmax(probs[p]) != pred {
			flips++
		}
		d := probs[0][pred] - probs[p][pred]
		dropSum += d
		dropMax = math.Max(dropMax, d)
	}
	k := nl + np
	dst[k], dst[k+1], dst[k+2] = float32(flips), float32(dropSum/float64(np)), float32(dropMax)
	for p := 0; p < np; p++ {
		dst[k+3+2*p] = float32(kl(probs[0], probs[1+p]))
		dst[k+4+2*p] = float32(math.Log10(tiny + dist(h[0], h[1+p])/(norm(h[0])+tiny)))
	}
}

// kl is KL(p || q) in nats; q's zeros are floored at tiny.
func kl(p, q []float64) float64 {
	var s float64
	for i, v := range p {
		if v > 0 {
			s += v * math.Log(v/math.Max(q[i], tiny))
		}
	}
	return math.Max(s, 0)
}

func dist(a, b []float32) float64 {
	var s float64
	for i, v := range a {
		d := float64(v) - float64(b[i])
		s += d * d
	}
	return math.Sqrt(s)
}

func norm(a []float32) float64 {
	var s float64
	for _, v := range a {
		s += float64(v) * float64(v)
	}
	return math.Sqrt(s)
}

func argmax[F float32 | float64](x []F) int {
	best := 0
	for i, v := range x {
		if v > x[best] {
			best = i
		}
	}
	return best
}

// softmax returns the class probabilities of one logit row.
func softmax(z []float32) ([]float64, error) {
	p := make([]float64, len(z))
	return p, metrics.Softmax(p, z)
}
