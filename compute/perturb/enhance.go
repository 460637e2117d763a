package perturb

import (
	"fmt"
	"math/rand/v2"
)

// Brightness raises the HSV value by c (ImageNet-C brightness): grey images
// get clip(x + c, 0, 1); RGB images go to HSV, V = clip(V + c, 0, 1), back.
//
// Changing only V keeps hue and saturation, and every RGB channel is linear
// in V for fixed H and S, so the round trip equals scaling the pixel by
// V'/V; that is what Apply computes, exactly and without trigonometry. A
// black pixel (V = 0, S = 0 by skimage's convention) becomes grey (c, c, c).
type Brightness struct {
	Shift  [Severities]float64
	Source string
}

func (Brightness) Name() string { return "brightness" }
func (b Brightness) Describe() string {
	return "HSV value + c (grey: x + c), x in [0,1], rounded; " + b.Source
}
func (b Brightness) Params(s int) string { return fmt.Sprintf("c=%g", b.Shift[s-1]) }
func (Brightness) Random() bool          { return false }

func (b Brightness) Apply(_ *Workspace, dst, src []uint8, h, w, c, severity int, _ *rand.Rand) {
	shift := b.Shift[severity-1]
	if c == 1 {
		var lut [256]uint8
		for x := range lut {
			lut[x] = toByte(float64(x)/255+shift, Round)
		}
		dst = dst[:len(src)]
		for i, x := range src {
			dst[i] = lut[x]
		}
		return
	}
	// scale[v] = V'/V for a pixel whose maximum channel is v; 256 divisions
	// per call instead of three per pixel.
	var scale [256]float64
	for v := 1; v < 256; v++ {
		old := float64(v) / 255
		scale[v] = min(old+shift, 1) / old
	}
	black := toByte(shift, Round)
	n := h * w
	dst = dst[:3*n]
	src = src[:3*n]
	for p := 0; p < 3*n; p += 3 {
		r, g, bl := src[p], src[p+1], src[p+2]
		mx := max(r, g, bl)
		if mx == 0 {
			dst[p], dst[p+1], dst[p+2] = black, black, black
			continue
		}
		s := scale[mx]
		dst[p] = roundByte(float64(r) * s)
		dst[p+1] = roundByte(float64(g) * s)
		dst[p+2] = roundByte(float64(bl) * s)
	}
}

// Contrast pulls every channel towards its own mean (ImageNet-C contrast):
// clip((x - mean_ch)*c + mean_ch, 0, 1), the mean over all pixels of that
// channel.
type Contrast struct {
	Factor [Severities]float64
	Source string
}

func (Contrast) Name() string { return "contrast" }
func (k Contrast) Describe() string {
	return "(x - mean_channel)*c + mean_channel, x in [0,1], rounded; " + k.Source
}
func (k Contrast) Params(s int) string { return fmt.Sprintf("c=%g", k.Factor[s-1]) }
func (Contrast) Random() bool          { return false }

func (k Contrast) Apply(_ *Workspace, dst, src []uint8, h, w, c, severity int, _ *rand.Rand) {
	f := k.Factor[severity-1]
	n := h * w
	var sum [3]float64
	for p := 0; p < n; p++ {
		for ch := 0; ch < c; ch++ {
			sum[ch] += float64(src[p*c+ch])
		}
	}
	// On the 0..255 scale the formula is the same affine map; the means stay
	// unrounded, as numpy's are.
	var mean [3]float64
	for ch := 0; ch < c; ch++ {
		mean[ch] = sum[ch] / float64(n)
	}
	dst = dst[:n*c]
	for p := 0; p < n; p++ {
		for ch := 0; ch < c; ch++ {
			i := p*c + ch
			dst[i] = roundByte((float64(src[i])-mean[ch])*f + mean[ch])
		}
	}
}

// pilBlend is PIL's ImagingBlend of a constant degenerate value d and x with
// factor a, to the bit: float32 arithmetic (PIL's alpha is a C float), the
// result truncated towards zero, clipped to 0..255 only when extrapolating
// (a outside [0,1]; inside, the result cannot leave the range).
func pilBlend(d, x uint8, a float32) uint8 {
	// The explicit float32 conversion forbids fusing into an FMA, which C's
	// separate multiply and add do not do either.
	t := float32(d) + float32(a*float32(int(x)-int(d)))
	if a >= 0 && a <= 1 {
		return uint8(t)
	}
	if t <= 0 {
		return 0
	}
	if t >= 255 {
		return 255
	}
	return uint8(t)
}

// PILBrightness is PIL's ImageEnhance.Brightness(img).enhance(f), which
// MedMNIST-C uses for brightness_up (f > 1) and brightness_down (f < 1): a
// blend with black, i.e. trunc(clip(f*x, 0, 255)) on every channel.
type PILBrightness struct {
	CorruptionName string // brightness_up or brightness_down
	Factor         [Severities]float64
	Source         string
}

func (b PILBrightness) Name() string { return b.CorruptionName }
func (b PILBrightness) Describe() string {
	return "PIL ImageEnhance.Brightness: trunc(clip(f*x, 0, 255)) per channel; " + b.Source
}
func (b PILBrightness) Params(s int) string { return fmt.Sprintf("factor=%g", b.Factor[s-1]) }
func (PILBrightness) Random() bool          { return false }

func (b PILBrightness) Apply(_ *Workspace, dst, src []uint8, h, w, c, severity int, _ *rand.Rand) {
	var lut [256]uint8
	a := float32(b.Factor[severity-1])
	for x := range lut {
		lut[x] = pilBlend(0, uint8(x), a)
	}
	dst = dst[:len(src)]
	for i, x := range src {
		dst[i] = lut[x]
	}
}

// PILContrast is PIL's ImageEnhance.Contrast(img).enhance(f), MedMNIST-C's
// contrast_down (f < 1) and contrast_up (f > 1): a blend with a flat grey
// image whose level is the rounded mean luminance, the same grey for every
// channel (unlike ImageNet-C's per-channel means). Luminance of RGB is PIL's
// "L" conversion, (19595 R + 38470 G + 7471 B + 32768) >> 16.
type PILContrast struct {
	CorruptionName string // contrast_down or contrast_up
	Factor         [Severities]float64
	Source         string
}

func (k PILContrast) Name() string { return k.CorruptionName }
func (k PILContrast) Describe() string {
	return "PIL ImageEnhance.Contrast: trunc(m + f*(x - m)), m = round(mean luminance); " + k.Source
}
func (k PILContrast) Params(s int) string { return fmt.Sprintf("factor=%g", k.Factor[s-1]) }
func (PILContrast) Random() bool          { return false }

func (k PILContrast) Apply(_ *Workspace, dst, src []uint8, h, w, c, severity int, _ *rand.Rand) {
	n := h * w
	mean := pilMeanGrey(src[:n*c], c)
	var lut [256]uint8
	a := float32(k.Factor[severity-1])
	for x := range lut {
		lut[x] = pilBlend(mean, uint8(x), a)
	}
	dst = dst[:n*c]
	for i, x := range src[:n*c] {
		dst[i] = lut[x]
	}
}

// pilMeanGrey is int(ImageStat.Stat(img.convert("L")).mean[0] + 0.5).
func pilMeanGrey(src []uint8, c int) uint8 {
	var sum uint64
	if c == 1 {
		for _, x := range src {
			sum += uint64(x)
		}
	} else {
		for p := 0; p+2 < len(src); p += 3 {
			sum += (uint64(src[p])*19595 + uint64(src[p+1])*38470 + uint64(src[p+2])*7471 + 0x8000) >> 16
		}
	}
	pixels := len(src) / c
	return uint8(float64(sum)/float64(pixels) + 0.5)
}
