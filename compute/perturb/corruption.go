package perturb

import (
	"math/rand/v2"
)

// Severities is the number of severity levels; severities run 1..Severities.
const Severities = 5

// Corruption is one kind of image damage with constants for five severities.
//
// Apply writes the corrupted src into dst. It assumes validated arguments
// (use Preset.Apply, which checks them): len(src) = len(dst) = h*w*c, c is 1
// or 3, 1 <= severity <= 5, dst and src do not overlap, and rng is non-nil
// when Random reports true.
type Corruption interface {
	Name() string
	// Describe is one line: the formula and where the constants come from.
	Describe() string
	// Params renders the constants of one severity, e.g. "sigma=0.08".
	Params(severity int) string
	// Random reports whether Apply draws from rng.
	Random() bool
	Apply(ws *Workspace, dst, src []uint8, h, w, c, severity int, rng *rand.Rand)
}

// sizeChecker is implemented by corruptions that cannot handle every image
// size at every severity (pixelate cannot shrink below one pixel).
type sizeChecker interface {
	checkSize(h, w, severity int) error
}

// Quantize says how a corrupted intensity in [0,1] becomes a byte again.
type Quantize uint8

const (
	// Round maps v to round(clip(v,0,1)*255), halves away from zero. The
	// unbiased choice, used by gradprint's own ImageNet-C and CIFAR-C presets.
	Round Quantize = iota
	// Truncate maps v to floor(clip(v,0,1)*255), what numpy's
	// (x*255).astype(np.uint8) does in MedMNIST-C's noise functions; it
	// darkens by half a grey level on average, kept for fidelity to that
	// benchmark.
	Truncate
)

func (q Quantize) String() string {
	if q == Truncate {
		return "truncate"
	}
	return "round"
}

// toByte quantises v, an intensity on the [0,1] scale.
func toByte(v float64, q Quantize) uint8 {
	if !(v > 0) { // also catches NaN
		return 0
	}
	if v >= 1 {
		return 255
	}
	if q == Truncate {
		return uint8(v * 255)
	}
	return uint8(v*255 + 0.5)
}

// roundByte rounds v, already on the 0..255 scale, with clipping.
func roundByte(v float64) uint8 {
	if !(v > 0) {
		return 0
	}
	if v >= 255 {
		return 255
	}
	return uint8(v + 0.5)
}
