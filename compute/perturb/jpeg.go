package perturb

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"math/rand/v2"
)

// JPEGCompression is MedMNIST-C's jpeg_compression: encode at a quality,
// decode. It uses Go's image/jpeg, which shares libjpeg's (IJG) quality
// scaling, standard quantisation tables and 4:2:0 chroma subsampling with
// Pillow's defaults, so the quantisation that causes the damage is the same;
// the decoder's IDCT rounding and chroma upsampling (nearest, not libjpeg's
// "fancy" upsampling) differ, so bytes can differ from Pillow's by a few grey
// levels. Unlike the other corruptions this one allocates (the decoder builds
// a new image per call).
type JPEGCompression struct {
	Quality [Severities]int
	Source  string
}

func (JPEGCompression) Name() string { return "jpeg_compression" }
func (j JPEGCompression) Describe() string {
	return "JPEG encode at quality q and decode (Go image/jpeg, 4:2:0); " + j.Source
}
func (j JPEGCompression) Params(s int) string { return fmt.Sprintf("quality=%d", j.Quality[s-1]) }
func (JPEGCompression) Random() bool          { return false }

func (j JPEGCompression) Apply(ws *Workspace, dst, src []uint8, h, w, c, severity int, _ *rand.Rand) {
	var img image.Image
	rect := image.Rect(0, 0, w, h)
	if c == 1 {
		img = &image.Gray{Pix: src[:h*w], Stride: w, Rect: rect}
	} else {
		rgba := ws.bytes(4 * h * w)
		for p := 0; p < h*w; p++ {
			rgba[4*p], rgba[4*p+1], rgba[4*p+2], rgba[4*p+3] = src[3*p], src[3*p+1], src[3*p+2], 255
		}
		img = &image.RGBA{Pix: rgba, Stride: 4 * w, Rect: rect}
	}
	var buf bytes.Buffer
	// Encoding into memory and decoding our own output cannot fail; if it
	// ever did, copying src keeps dst a valid image rather than garbage.
	if err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: j.Quality[severity-1]}); err != nil {
		copy(dst, src)
		return
	}
	out, err := jpeg.Decode(&buf)
	if err != nil {
		copy(dst, src)
		return
	}
	switch m := out.(type) {
	case *image.Gray:
		if c == 1 {
			for y := 0; y < h; y++ {
				copy(dst[y*w:(y+1)*w], m.Pix[y*m.Stride:y*m.Stride+w])
			}
			return
		}
	case *image.YCbCr:
		if c == 3 {
			for y := 0; y < h; y++ {
				for x := 0; x < w; x++ {
					yy := m.Y[m.YOffset(x, y)]
					ci := m.COffset(x, y)
					r, g, b := color.YCbCrToRGB(yy, m.Cb[ci], m.Cr[ci])
					i := 3 * (y*w + x)
					dst[i], dst[i+1], dst[i+2] = r, g, b
				}
			}
			return
		}
	}
	// Any other decoded model: go through the generic colour conversion.
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			i := (y*w + x) * c
			if c == 1 {
				dst[i] = color.GrayModel.Convert(out.At(x, y)).(color.Gray).Y
				continue
			}
			r, g, b, _ := out.At(x, y).RGBA()
			dst[i], dst[i+1], dst[i+2] = uint8(r>>8), uint8(g>>8), uint8(b>>8)
		}
	}
}
