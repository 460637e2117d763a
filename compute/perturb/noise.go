package perturb

import (
	"fmt"
	"math/rand/v2"
)

// GaussianNoise adds independent N(0, sigma) noise to every element:
// clip(x + N(0, sigma), 0, 1) with x = byte/255 (ImageNet-C gaussian_noise).
type GaussianNoise struct {
	Sigma    [Severities]float64
	Quantize Quantize
	Source   string
}

func (GaussianNoise) Name() string { return "gaussian_noise" }
func (g GaussianNoise) Describe() string {
	return "x + N(0, sigma) per element, x in [0,1], quantised by " + g.Quantize.String() + "; " + g.Source
}
func (g GaussianNoise) Params(s int) string { return fmt.Sprintf("sigma=%g", g.Sigma[s-1]) }
func (GaussianNoise) Random() bool          { return true }

func (g GaussianNoise) Apply(_ *Workspace, dst, src []uint8, h, w, c, severity int, rng *rand.Rand) {
	sigma := g.Sigma[severity-1]
	dst = dst[:len(src)]
	// Draws follow HWC element order, as numpy's normal(size=img.shape) does.
	for i, x := range src {
		dst[i] = toByte(float64(x)/255+sigma*rng.NormFloat64(), g.Quantize)
	}
}

// SpeckleNoise multiplies every element by 1 + N(0, sigma):
// clip(x + x*N(0, sigma), 0, 1) (ImageNet-C speckle_noise). Black stays black.
type SpeckleNoise struct {
	Sigma    [Severities]float64
	Quantize Quantize
	Source   string
}

func (SpeckleNoise) Name() string { return "speckle_noise" }
func (s SpeckleNoise) Describe() string {
	return "x + x*N(0, sigma) per element, x in [0,1], quantised by " + s.Quantize.String() + "; " + s.Source
}
func (s SpeckleNoise) Params(sev int) string { return fmt.Sprintf("sigma=%g", s.Sigma[sev-1]) }
func (SpeckleNoise) Random() bool            { return true }

func (s SpeckleNoise) Apply(_ *Workspace, dst, src []uint8, h, w, c, severity int, rng *rand.Rand) {
	sigma := s.Sigma[severity-1]
	dst = dst[:len(src)]
	for i, x := range src {
		v := float64(x) / 255
		dst[i] = toByte(v+v*sigma*rng.NormFloat64(), s.Quantize)
	}
}
