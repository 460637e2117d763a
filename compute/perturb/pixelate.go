package perturb

import (
	"fmt"
	"math"
	"math/rand/v2"
)

// Pixelate is MedMNIST-C's pixelate: PIL resize to (int(w*f), int(h*f)) with
// the BOX filter, then back to (w, h) with BOX.
//
// The resampling reproduces Pillow's Resample.c for 8-bit images: box
// weights (a source pixel counts when its centre lies in (-0.5, 0.5] of the
// output pixel's footprint), coefficients normalised then converted to
// 22-bit fixed point, a horizontal pass rounded to bytes, then a vertical
// pass.
type Pixelate struct {
	Factor [Severities]float64
	Source string
}

func (Pixelate) Name() string { return "pixelate" }
func (p Pixelate) Describe() string {
	return "PIL BOX resize down by factor f then back up; " + p.Source
}
func (p Pixelate) Params(s int) string { return fmt.Sprintf("factor=%g", p.Factor[s-1]) }
func (Pixelate) Random() bool          { return false }

func (p Pixelate) checkSize(h, w, severity int) error {
	f := p.Factor[severity-1]
	if int(float64(w)*f) < 1 || int(float64(h)*f) < 1 {
		return fmt.Errorf("pixelate severity %d: factor %g shrinks a %dx%d image below one pixel", severity, f, h, w)
	}
	return nil
}

func (p Pixelate) Apply(ws *Workspace, dst, src []uint8, h, w, c, severity int, _ *rand.Rand) {
	f := p.Factor[severity-1]
	// Python's int() truncates, as the conversion here does.
	sw, sh := int(float64(w)*f), int(float64(h)*f)
	buf := ws.bytes(sh*sw*c + h*sw*c)
	small, tmp := buf[:sh*sw*c], buf[sh*sw*c:]
	pilResize(ws, small, src, h, w, sh, sw, c, tmp[:h*sw*c])
	pilResize(ws, dst, small, sh, sw, h, w, c, tmp[:sh*w*c])
}

// Pillow's fixed-point precision for 8-bit resampling.
const pilPrecisionBits = 32 - 8 - 2

// pilResize resizes src (ih x iw) to dst (oh x ow) with Pillow's BOX filter;
// tmp must hold ih*ow*c bytes for the horizontal pass.
func pilResize(ws *Workspace, dst, src []uint8, ih, iw, oh, ow, c int, tmp []uint8) {
	needH, needV := ow != iw, oh != ih
	switch {
	case needH && needV:
		pilPass(ws, tmp, src, ih, iw, ow, c, true)
		pilPass(ws, dst, tmp, oh, ih, ow, c, false)
	case needH:
		pilPass(ws, dst, src, ih, iw, ow, c, true)
	case needV:
		pilPass(ws, dst, src, oh, ih, iw, c, false)
	default:
		copy(dst, src)
	}
}

// pilPass resamples along one axis, as Pillow's ImagingResampleHorizontal
// and ImagingResampleVertical do. Horizontal: src is a rows of inSize
// pixels, dst a rows of b pixels. Vertical: src is inSize rows of b pixels,
// dst a rows of b pixels.
func pilPass(ws *Workspace, dst, src []uint8, a, inSize, b, c int, horizontal bool) {
	var outSize, other int
	if horizontal {
		// a rows, inSize -> b columns.
		outSize, other = b, a
	} else {
		// inSize -> a rows, b columns.
		outSize, other = a, b
	}
	scale := float64(inSize) / float64(outSize)
	filterscale := max(scale, 1)
	support := 0.5 * filterscale
	ksize := int(math.Ceil(support))*2 + 1
	kk := ws.ints(outSize*ksize + 2*outSize)
	bounds := kk[outSize*ksize:]
	kk = kk[:outSize*ksize]
	taps := ws.taps(ksize)
	for xx := 0; xx < outSize; xx++ {
		center := (float64(xx) + 0.5) * scale
		ss := 1 / filterscale
		xmin := max(int(center-support+0.5), 0)
		xmax := min(int(center+support+0.5), inSize) - xmin
		var ww float64
		for x := 0; x < xmax; x++ {
			t := (float64(x+xmin) - center + 0.5) * ss
			wgt := 0.0
			if t > -0.5 && t <= 0.5 {
				wgt = 1
			}
			taps[x] = wgt
			ww += wgt
		}
		for x := 0; x < ksize; x++ {
			v := 0.0
			if x < xmax && ww != 0 {
				v = taps[x] / ww
			}
			kk[xx*ksize+x] = int(0.5 + v*(1<<pilPrecisionBits))
		}
		bounds[2*xx], bounds[2*xx+1] = xmin, xmax
	}
	const half = 1 << (pilPrecisionBits - 1)
	clip := func(v int) uint8 {
		v >>= pilPrecisionBits
		if v < 0 {
			return 0
		}
		if v > 255 {
			return 255
		}
		return uint8(v)
	}
	if horizontal {
		for y := 0; y < other; y++ {
			in := src[y*inSize*c : (y+1)*inSize*c]
			out := dst[y*outSize*c : (y+1)*outSize*c]
			for xx := 0; xx < outSize; xx++ {
				xmin, xmax := bounds[2*xx], bounds[2*xx+1]
				k := kk[xx*ksize:]
				for ch := 0; ch < c; ch++ {
					ss := half
					for x := 0; x < xmax; x++ {
						ss += int(in[(x+xmin)*c+ch]) * k[x]
					}
					out[xx*c+ch] = clip(ss)
				}
			}
		}
		return
	}
	row := other * c
	for yy := 0; yy < outSize; yy++ {
		ymin, ymax := bounds[2*yy], bounds[2*yy+1]
		k := kk[yy*ksize:]
		out := dst[yy*row : (yy+1)*row]
		for i := 0; i < row; i++ {
			ss := half
			for y := 0; y < ymax; y++ {
				ss += int(src[(y+ymin)*row+i]) * k[y]
			}
			out[i] = clip(ss)
		}
	}
}
