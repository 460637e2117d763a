package reports

import (
	"hash/fnv"
	"image/color"
	"math"
)

// Corruption colours follow the Okabe-Ito set where possible (readable for
// the common colour-vision deficiencies). Names that never occur in the same
// preset (brightness and brightness_up, contrast and contrast_down) share a
// hue family, so every preset still gets distinct colours.
func corruptionColors() map[string]color.RGBA {
	return map[string]color.RGBA{
		"clean":            {0x22, 0x22, 0x22, 0xff},
		"gaussian_noise":   {0x00, 0x72, 0xb2, 0xff},
		"speckle_noise":    {0x00, 0x9e, 0x73, 0xff},
		"motion_blur":      {0xd5, 0x5e, 0x00, 0xff},
		"contrast":         {0xcc, 0x79, 0xa7, 0xff},
		"brightness":       {0xe6, 0x9f, 0x00, 0xff},
		"brightness_up":    {0xe6, 0x9f, 0x00, 0xff},
		"brightness_down":  {0x8c, 0x56, 0x4b, 0xff},
		"contrast_down":    {0xcc, 0x79, 0xa7, 0xff},
		"pixelate":         {0x99, 0x99, 0x33, 0xff},
		"jpeg_compression": {0x88, 0x22, 0x55, 0xff},
		"defocus_blur":     {0x56, 0xb4, 0xe9, 0xff},
	}
}

// fallbackColors serve corruptions added after this palette was written;
// they avoid the hues above so a new name is not mistaken for a known one.
func fallbackColors() []color.RGBA {
	return []color.RGBA{
		{0x33, 0x22, 0x88, 0xff}, {0x11, 0x77, 0x33, 0xff}, {0xaa, 0x44, 0x99, 0xff},
		{0x44, 0xaa, 0x99, 0xff}, {0x66, 0x66, 0x66, 0xff}, {0xdd, 0xcc, 0x77, 0xff},
		{0x99, 0x44, 0x55, 0xff}, {0x6c, 0x5b, 0xa8, 0xff},
	}
}

// CorruptionColor returns the colour of a corruption in every figure. Unknown
// names get a colour from a fallback set chosen by a hash of the name, so the
// same unknown name is always drawn the same way.
func CorruptionColor(name string) color.RGBA {
	if c, ok := corruptionColors()[name]; ok {
		return c
	}
	h := fnv.New32a()
	h.Write([]byte(name))
	fb := fallbackColors()
	return fb[h.Sum32()%uint32(len(fb))]
}

// SeverityColor returns the colour of a severity: a light-to-dark ramp
// (ColorBrewer YlOrRd without its two lightest steps, which vanish on white)
// so that darker always means more severe. Severity 0 is clean (dark grey);
// values past 5 clamp to the darkest step.
func SeverityColor(severity int) color.RGBA {
	ramp := [5]color.RGBA{
		{0xfe, 0xb2, 0x4c, 0xff}, {0xfd, 0x8d, 0x3c, 0xff}, {0xfc, 0x4e, 0x2a, 0xff},
		{0xe3, 0x1a, 0x1c, 0xff}, {0xb1, 0x00, 0x26, 0xff},
	}
	switch {
	case severity <= 0:
		return color.RGBA{0x55, 0x55, 0x55, 0xff}
	case severity > len(ramp):
		return ramp[len(ramp)-1]
	}
	return ramp[severity-1]
}

// ClassColor returns the colour of a class by its index (label): Matplotlib's
// tab10, which keeps seven DermaMNIST classes apart. Indices past 9 wrap.
func ClassColor(index int) color.RGBA {
	tab10 := [10]color.RGBA{
		{0x1f, 0x77, 0xb4, 0xff}, {0xff, 0x7f, 0x0e, 0xff}, {0x2c, 0xa0, 0x2c, 0xff},
		{0xd6, 0x27, 0x28, 0xff}, {0x94, 0x67, 0xbd, 0xff}, {0x8c, 0x56, 0x4b, 0xff},
		{0xe3, 0x77, 0xc2, 0xff}, {0x7f, 0x7f, 0x7f, 0xff}, {0xbc, 0xbd, 0x22, 0xff},
		{0x17, 0xbe, 0xcf, 0xff},
	}
	if index < 0 {
		index = -index
	}
	return tab10[index%len(tab10)]
}

// ScoreColor returns the colour of a failure score in risk-coverage plots.
// Baselines keep one colour each; other scores fall back to a hash.
func ScoreColor(score string) color.RGBA {
	known := map[string]color.RGBA{
		"msp":          {0x00, 0x72, 0xb2, 0xff},
		"entropy":      {0x00, 0x9e, 0x73, 0xff},
		"energy":       {0xe6, 0x9f, 0x00, 0xff},
		"flips":        {0x8c, 0x56, 0x4b, 0xff},
		"detector":     {0xd5, 0x5e, 0x00, 0xff},
		"detector_msp": {0xcc, 0x79, 0xa7, 0xff},
		"knn":          {0x56, 0xb4, 0xe9, 0xff},
		"mahalanobis":  {0x33, 0x33, 0x99, 0xff},
		"fp_distance":  {0xa0, 0x1c, 0x2c, 0xff},
		"sirc":         {0x44, 0xaa, 0x44, 0xff},
		"oracle":       {0x88, 0x88, 0x88, 0xff},
		"random":       {0xbb, 0xbb, 0xbb, 0xff},
	}
	if c, ok := known[score]; ok {
		return c
	}
	return CorruptionColor("score:" + score)
}

// ColorMap maps t in [0, 1] to a colour; values outside are clamped.
type ColorMap func(t float64) color.RGBA

// Turbo is Google's improved rainbow map: vivid for reading saliency
// peaks, without jet's false bands. It interpolates the published 256-entry
// table linearly.
func Turbo(t float64) color.RGBA {
	tab := turboTable()
	x := clamp01(t) * 255
	i := min(int(x), 254)
	f := x - float64(i)
	var out [3]uint8
	for ch := range 3 {
		a, b := float64(tab[i][ch]), float64(tab[i+1][ch])
		out[ch] = uint8(math.Round(a + f*(b-a)))
	}
	return color.RGBA{out[0], out[1], out[2], 0xff}
}

// Viridis is Matplotlib's perceptually uniform map, as a degree-6
// polynomial fit (after Matt Zucker's shadertoy fit; error well under one
// 8-bit step on most of the range).
func Viridis(t float64) color.RGBA {
	t = clamp01(t)
	c := [7][3]float64{
		{0.2777273272234177, 0.005407344544966578, 0.3340998053353061},
		{0.1050930431085774, 1.404613529898575, 1.384590162594685},
		{-0.3308618287255563, 0.214847559468213, 0.09509516302823659},
		{-4.634230498983486, -5.799100973351585, -19.33244095627987},
		{6.228269936347081, 14.17993336680509, 56.69055260068105},
		{4.776384997670288, -13.74514537774601, -65.35303263337234},
		{-5.435455855934631, 4.645852612178535, 26.3124352495832},
	}
	var out [3]float64
	for ch := range 3 {
		v := c[6][ch]
		for i := 5; i >= 0; i-- {
			v = c[i][ch] + t*v
		}
		out[ch] = v
	}
	return color.RGBA{unit8(out[0]), unit8(out[1]), unit8(out[2]), 0xff}
}

// lut samples a colour map at 256 points so per-pixel work is a lookup.
func lut(m ColorMap) [256]color.RGBA {
	var l [256]color.RGBA
	for i := range l {
		l[i] = m(float64(i) / 255)
	}
	return l
}

func clamp01(t float64) float64 {
	if math.IsNaN(t) || t < 0 {
		return 0
	}
	if t > 1 {
		return 1
	}
	return t
}

func unit8(v float64) uint8 {
	return uint8(math.Round(clamp01(v) * 255))
}

// luminance is the relative luminance (sRGB weights, no linearisation:
// it only picks black or white text over a cell).
func luminance(c color.RGBA) float64 {
	return (0.2126*float64(c.R) + 0.7152*float64(c.G) + 0.0722*float64(c.B)) / 255
}

// withAlpha returns c with alpha a (0..255), premultiplied as color.RGBA
// requires.
func withAlpha(c color.RGBA, a uint8) color.RGBA {
	f := float64(a) / 255
	return color.RGBA{uint8(float64(c.R) * f), uint8(float64(c.G) * f), uint8(float64(c.B) * f), a}
}

// seriesColors colour lines that stand for no fixed name, such as score
// groups, whose membership changes with the run: Okabe-Ito without its
// yellow (too light on white), then Paul Tol's darker hues. Greys are left
// out because reference lines are grey.
func seriesColors() []color.RGBA {
	return []color.RGBA{
		{0x00, 0x72, 0xb2, 0xff}, {0xd5, 0x5e, 0x00, 0xff}, {0x00, 0x9e, 0x73, 0xff},
		{0xcc, 0x79, 0xa7, 0xff}, {0xe6, 0x9f, 0x00, 0xff}, {0x56, 0xb4, 0xe9, 0xff},
		{0x88, 0x22, 0x55, 0xff}, {0x33, 0x22, 0x88, 0xff}, {0x99, 0x99, 0x33, 0xff},
		{0x44, 0xaa, 0x99, 0xff}, {0x8c, 0x56, 0x4b, 0xff}, {0xaa, 0x44, 0x99, 0xff},
		{0x11, 0x77, 0x33, 0xff}, {0x22, 0x22, 0x22, 0xff}, {0x99, 0x00, 0x00, 0xff},
		{0x00, 0x66, 0x77, 0xff},
	}
}

// SeriesColor returns the colour of the i-th line of a figure whose lines
// have no colour of their own (score groups), in legend order. Sixteen
// lines (the failure study's fifteen scores and one more) get distinct
// colours; past that they repeat.
func SeriesColor(i int) color.RGBA {
	c := seriesColors()
	if i < 0 {
		i = -i
	}
	return c[i%len(c)]
}
