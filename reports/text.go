package reports

import (
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"math"

	"github.com/golang/freetype/truetype"
	"github.com/wcharczuk/go-chart/v2/roboto"
	"golang.org/x/image/font"
	"golang.org/x/image/math/fixed"
)

// typeface draws text in go-chart's Roboto so that labels drawn here match
// the tick labels go-chart draws inside panels. Faces cache glyphs and are
// not safe for concurrent use, so each figure builds its own typeface.
type typeface struct {
	font  *truetype.Font
	faces map[float64]font.Face
}

func newTypeface() (*typeface, error) {
	f, err := truetype.Parse(roboto.Roboto)
	if err != nil {
		return nil, fmt.Errorf("parse the Roboto font: %w", err)
	}
	return &typeface{font: f, faces: map[float64]font.Face{}}, nil
}

// face returns the face for a size in pixels (DPI 72 makes points pixels).
func (t *typeface) face(px float64) font.Face {
	if f, ok := t.faces[px]; ok {
		return f
	}
	f := truetype.NewFace(t.font, &truetype.Options{Size: px, DPI: 72, Hinting: font.HintingFull})
	t.faces[px] = f
	return f
}

// width is the advance width of s in pixels.
func (t *typeface) width(s string, px float64) int {
	return font.MeasureString(t.face(px), s).Ceil()
}

// ascent and descent of a face, so boxes hold the full glyph extent
// (descenders of "p", "g" included).
func (t *typeface) metrics(px float64) (ascent, descent int) {
	m := t.face(px).Metrics()
	return m.Ascent.Ceil(), m.Descent.Ceil()
}

// lineHeight is the vertical space one line of text needs.
func (t *typeface) lineHeight(px float64) int {
	a, d := t.metrics(px)
	return a + d
}

// align is a horizontal text alignment.
type align int

const (
	alignLeft align = iota
	alignCenter
	alignRight
)

// text draws s with its box's top edge at top; x is the left edge, centre
// or right edge according to al. It returns the rectangle the text covers.
func (t *typeface) text(dst draw.Image, s string, x, top int, px float64, col color.Color, al align) image.Rectangle {
	w := t.width(s, px)
	switch al {
	case alignCenter:
		x -= w / 2
	case alignRight:
		x -= w
	}
	a, d := t.metrics(px)
	dr := font.Drawer{Dst: dst, Src: image.NewUniform(col), Face: t.face(px), Dot: fixed.P(x, top+a)}
	dr.DrawString(s)
	return image.Rect(x, top, x+w, top+a+d)
}

// textUp draws s rotated 90 degrees counter-clockwise (reading bottom to
// top, as y-axis titles do), centred on (cx, cy).
func (t *typeface) textUp(dst draw.Image, s string, cx, cy int, px float64, col color.Color) image.Rectangle {
	w, h := t.width(s, px), t.lineHeight(px)
	if w == 0 {
		return image.Rectangle{}
	}
	tmp := image.NewRGBA(image.Rect(0, 0, w, h))
	t.text(tmp, s, 0, 0, px, col, alignLeft)
	rot := image.NewRGBA(image.Rect(0, 0, h, w))
	for y := range h {
		for x := range w {
			// (x, y) -> (y, w-1-x) turns the text counter-clockwise.
			rot.SetRGBA(y, w-1-x, tmp.RGBAAt(x, y))
		}
	}
	r := image.Rect(cx-h/2, cy-w/2, cx-h/2+h, cy-w/2+w)
	draw.Draw(dst, r, rot, image.Point{}, draw.Over)
	return r
}

// fit returns the largest size no bigger than px at which s fits in
// maxWidth, down to minPx; below that it shortens s with an ellipsis, so
// that no label is ever cut off at an image or panel edge.
func (t *typeface) fit(s string, maxWidth int, px, minPx float64) (string, float64) {
	for size := px; size >= minPx; size-- {
		if t.width(s, size) <= maxWidth {
			return s, size
		}
	}
	r := []rune(s)
	for n := len(r) - 1; n > 0; n-- {
		e := string(r[:n]) + "…"
		if t.width(e, minPx) <= maxWidth {
			return e, minPx
		}
	}
	return "", minPx
}

// fillRect paints r with c (opaque or blended by c's alpha).
func fillRect(dst draw.Image, r image.Rectangle, c color.Color) {
	draw.Draw(dst, r, image.NewUniform(c), image.Point{}, draw.Over)
}

// strokeRect draws a 1-pixel-wide outline of r, width w.
func strokeRect(dst draw.Image, r image.Rectangle, w int, c color.Color) {
	fillRect(dst, image.Rect(r.Min.X, r.Min.Y, r.Max.X, r.Min.Y+w), c)
	fillRect(dst, image.Rect(r.Min.X, r.Max.Y-w, r.Max.X, r.Max.Y), c)
	fillRect(dst, image.Rect(r.Min.X, r.Min.Y, r.Min.X+w, r.Max.Y), c)
	fillRect(dst, image.Rect(r.Max.X-w, r.Min.Y, r.Max.X, r.Max.Y), c)
}

// newCanvas returns a white image.
func newCanvas(w, h int) *image.RGBA {
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	draw.Draw(img, img.Bounds(), image.White, image.Point{}, draw.Src)
	return img
}

func roundInt(v float64) int { return int(math.Round(v)) }
