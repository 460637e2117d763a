package reports

import (
	"fmt"
	"github.com/gradprint/gradprint/queries"
	"image"
	"image/color"
	"math"
	"strconv"
	"strings"
)

// MontageOptions configure the corruption montage.
type MontageOptions struct {
	Options
	Corruptions []string // column order; nil means those present
}

// Montage draws the thesis's Figure 2.3: rows are severities, columns the
// clean image then each corruption, scaled up with nearest-neighbour
// sampling so that pixels stay pixels.
func Montage(images []MontageImage, o MontageOptions) (*Rendered, error) {
	if len(images) == 0 {
		return nil, fmt.Errorf("montage: no images")
	}
	var clean *MontageImage
	type key struct {
		corr string
		sev  int
	}
	byKey := map[key]MontageImage{}
	var corrs []string
	var sevs []int
	for i, im := range images {
		if err := checkPixels(im.Pixels, im.H, im.W, im.C); err != nil {
			return nil, fmt.Errorf("montage: image %d (%s severity %d): %w", i, im.Corruption, im.Severity, err)
		}
		if im.Corruption == "clean" {
			clean = &images[i]
			continue
		}
		byKey[key{im.Corruption, im.Severity}] = im
		corrs = append(corrs, im.Corruption)
		sevs = append(sevs, im.Severity)
	}
	if clean == nil {
		return nil, fmt.Errorf("montage: no clean image (corruption \"clean\") among %d images", len(images))
	}
	if len(byKey) == 0 {
		return nil, fmt.Errorf("montage: only the clean image, no corrupted ones")
	}
	cols := o.Corruptions
	if cols == nil {
		cols = sortCorruptions(corrs)
	}
	sevList := uniqueSorted(sevs)
	tf, err := newTypeface()
	if err != nil {
		return nil, err
	}
	p := newPage(o.Options)
	g := grid{
		Title:     o.Title,
		Subtitle:  fmt.Sprintf("one test image (%d×%d px, shown enlarged with nearest-neighbour sampling); the clean column repeats the unmodified image", clean.W, clean.H),
		ColLabels: append([]string{"clean"}, cols...),
		Aspect:    float64(clean.H) / float64(clean.W),
		Rows:      len(sevList),
		Cols:      len(cols) + 1,
	}
	if g.Title == "" {
		g.Title = "Corruptions by severity"
	}
	for _, s := range sevList {
		g.RowLabels = append(g.RowLabels, "severity "+strconv.Itoa(s))
	}
	return g.render(tf, p, g.layout(tf, p), func(ri, ci int, r image.Rectangle) (image.Image, error) {
		im := *clean
		if ci > 0 {
			var ok bool
			if im, ok = byKey[key{cols[ci-1], sevList[ri]}]; !ok {
				return nil, nil
			}
		}
		return scaledPicture(im.Pixels, im.H, im.W, im.C, nil, 0, r.Dx(), r.Dy()), nil
	})
}

// SaliencyOptions configure the saliency grid.
type SaliencyOptions struct {
	Options
	Severity    int      // severity of the corrupted rows
	Corruptions []string // row order after clean; nil means those present
	// ColorMap draws the saliency; nil means Turbo.
	ColorMap ColorMap
	// Alpha is the weight of the colour map over the image, in (0, 1];
	// 0 means 0.5, as pytorch-grad-cam's show_cam_on_image uses.
	Alpha float64
}

// SaliencyGrid draws the thesis's Figure 2.6 for one image: rows are the
// clean image and each corruption at one severity, columns the input and
// then each layer's map blended over the input, with the prediction and
// its confidence per row and a colour bar.
func SaliencyGrid(cells []queries.SaliencyGridRow, o SaliencyOptions) (*Rendered, error) {
	if len(cells) == 0 {
		return nil, fmt.Errorf("saliency grid: no maps (does the run store maps? analyze keeps the first K images per class)")
	}
	cmap, alpha, err := saliencyStyle(o)
	if err != nil {
		return nil, err
	}
	d, err := newMapData(cells, o.Severity, o.Corruptions)
	if err != nil {
		return nil, err
	}
	tf, err := newTypeface()
	if err != nil {
		return nil, err
	}
	p := newPage(o.Options)
	g := saliencyGrid(d, o, cmap, alpha)
	table := lut(cmap)
	return g.render(tf, p, g.layout(tf, p), func(ri, ci int, r image.Rectangle) (image.Image, error) {
		return d.panel(ri, ci, r, &table, alpha), nil
	})
}

// saliencyStyle is the colour map and its weight, defaults filled in.
func saliencyStyle(o SaliencyOptions) (ColorMap, float64, error) {
	cmap := o.ColorMap
	if cmap == nil {
		cmap = Turbo
	}
	alpha := o.Alpha
	if alpha == 0 {
		alpha = 0.5
	}
	if alpha < 0 || alpha > 1 {
		return nil, 0, fmt.Errorf("saliency grid: alpha %g outside (0, 1]", alpha)
	}
	return cmap, alpha, nil
}

// mapKey is one map of the grid: a variant at a layer.
type mapKey struct {
	corr  string
	depth int
}

// mapData is the maps of one image at one severity, indexed by variant
// and layer.
type mapData struct {
	byKey    map[mapKey]queries.SaliencyGridRow
	layers   []layerInfo             // columns after the input, shallow to deep
	rows     []string                // "clean", then the corruptions
	first    queries.SaliencyGridRow // the first map kept, which names the image
	severity int
}

// newMapData checks and indexes the maps of the clean image and of the
// corruptions at severity; corrs fixes the row order, nil meaning those
// present. Maps at other severities are skipped unchecked.
func newMapData(cells []queries.SaliencyGridRow, severity int, corrs []string) (*mapData, error) {
	d := &mapData{byKey: map[mapKey]queries.SaliencyGridRow{}, severity: severity}
	type imgKey struct {
		run runKey
		id  int
	}
	var ids []string
	seen := map[imgKey]bool{}
	var present []string
	var sevs []int
	var layers []layerInfo
	for i, c := range cells {
		if k := (imgKey{runKey{c.Dataset, c.Run}, c.ImageID}); !seen[k] {
			seen[k] = true
			ids = append(ids, fmt.Sprintf("%s/%s image %d", c.Dataset, c.Run, c.ImageID))
		}
		if c.Corruption != "clean" {
			sevs = append(sevs, c.Severity)
			if c.Severity != severity {
				continue
			}
			present = append(present, c.Corruption)
		}
		if err := checkMap(i, c); err != nil {
			return nil, err
		}
		if len(d.byKey) == 0 {
			d.first = c
		}
		d.byKey[mapKey{c.Corruption, c.LayerDepth}] = c
		layers = append(layers, layerInfo{c.LayerDepth, c.Layer, c.LayerAlias})
	}
	if len(seen) > 1 {
		return nil, fmt.Errorf("saliency grid: maps of %d images (%s): pass one image_id to the saliency_grid query", len(seen), strings.Join(ids, ", "))
	}
	if len(present) == 0 {
		return nil, fmt.Errorf("saliency grid: no corrupted maps at severity %d (maps have severities %s)", severity, joinInts(uniqueSorted(sevs)))
	}
	order, err := layerOrder(layers)
	if err != nil {
		return nil, fmt.Errorf("saliency grid: %w", err)
	}
	d.layers = order
	if corrs == nil {
		corrs = sortCorruptions(present)
	}
	d.rows = append([]string{"clean"}, corrs...)
	return d, nil
}

// checkMap rejects a row whose image or map does not match its size.
func checkMap(i int, c queries.SaliencyGridRow) error {
	if err := checkPixels(c.Image, c.H, c.W, c.C); err != nil {
		return fmt.Errorf("saliency grid: row %d (%s, %s): image: %w", i, c.Corruption, c.Layer, err)
	}
	if len(c.Map) != c.H*c.W {
		return fmt.Errorf("saliency grid: row %d (%s, %s): map has %d values, want height×width = %d", i, c.Corruption, c.Layer, len(c.Map), c.H*c.W)
	}
	return nil
}

// input is a variant's shallowest map, which carries its input image and
// prediction (the same at every layer).
func (d *mapData) input(corr string) (queries.SaliencyGridRow, bool) {
	for _, l := range d.layers {
		if m, ok := d.byKey[mapKey{corr, l.Depth}]; ok {
			return m, true
		}
	}
	return queries.SaliencyGridRow{}, false
}

func saliencyGrid(d *mapData, o SaliencyOptions, cmap ColorMap, alpha float64) grid {
	first := d.first
	g := grid{
		Title: o.Title,
		Subtitle: joinParts(runText(runKey{first.Dataset, first.Run}),
			fmt.Sprintf("test image %d, true class %s", first.ImageID, first.ClassName),
			fmt.Sprintf("%s map per layer over the input (weight %.2g)", methodName(first.Method), alpha),
			fmt.Sprintf("severity %d", o.Severity), "red: prediction differs from the true class"),
		ColLabels:     []string{"input"},
		Aspect:        float64(first.H) / float64(first.W),
		Rows:          len(d.rows),
		Cols:          len(d.layers) + 1,
		ColorBar:      cmap,
		ColorBarLabel: "saliency (each map min–max scaled to 0–1)",
		RowNotes:      d.rowNotes(),
	}
	if g.Title == "" {
		g.Title = "Saliency maps by layer, clean and corrupted"
	}
	for _, l := range d.layers {
		g.ColLabels = append(g.ColLabels, l.header())
	}
	return g
}

// rowNotes name each row's variant and its prediction, red when wrong.
func (d *mapData) rowNotes() [][]noteLine {
	var out [][]noteLine
	for _, c := range d.rows {
		lines := []noteLine{{Text: c, Color: inkColor}}
		if c != "clean" {
			lines[0].Text += " s" + strconv.Itoa(d.severity)
		}
		if m, ok := d.input(c); ok {
			col := inkColor
			if m.Predicted != m.ClassName {
				col = wrongColor
			}
			lines = append(lines, noteLine{Text: fmt.Sprintf("pred %s %.2f", m.Predicted, m.Confidence), Color: col})
		}
		out = append(out, lines)
	}
	return out
}

// panel is the input image (column 0) or a layer's map blended over it,
// or nil for "no data". A variant without any map has no input to show
// either.
func (d *mapData) panel(ri, ci int, r image.Rectangle, table *[256]color.RGBA, alpha float64) image.Image {
	c := d.rows[ri]
	input, ok := d.input(c)
	if !ok {
		return nil
	}
	if ci == 0 {
		return scaledPicture(input.Image, input.H, input.W, input.C, nil, 0, r.Dx(), r.Dy())
	}
	m, ok := d.byKey[mapKey{c, d.layers[ci-1].Depth}]
	if !ok {
		return nil
	}
	over := func(i int) color.RGBA { return table[int(math.Round(clamp01(float64(m.Map[i]))*255))] }
	return scaledPicture(m.Image, m.H, m.W, m.C, over, alpha, r.Dx(), r.Dy())
}

// wrongColor marks a prediction that differs from the true class.
const wrongColor = rgb(0xc0392b)

func checkPixels(px []uint8, h, w, c int) error {
	if h <= 0 || w <= 0 {
		return fmt.Errorf("size %d×%d is empty", h, w)
	}
	if c != 1 && c != 3 {
		return fmt.Errorf("%d channels, want 1 (grey) or 3 (RGB)", c)
	}
	if len(px) != h*w*c {
		return fmt.Errorf("%d pixel values, want height×width×channels = %d×%d×%d = %d", len(px), h, w, c, h*w*c)
	}
	return nil
}

// scaledPicture draws an image (and optionally a colour overlay per source
// pixel blended with weight alpha) scaled to fit boxW×boxH, centred, on
// white. Enlargement is by a whole factor with nearest-neighbour sampling,
// so each source pixel becomes a crisp square.
func scaledPicture(px []uint8, h, w, c int, over func(i int) color.RGBA, alpha float64, boxW, boxH int) *image.RGBA {
	dst := newCanvas(boxW, boxH)
	s := math.Min(float64(boxW)/float64(w), float64(boxH)/float64(h))
	if s >= 1 {
		s = math.Floor(s)
	}
	tw, th := max(1, int(float64(w)*s)), max(1, int(float64(h)*s))
	ox, oy := (boxW-tw)/2, (boxH-th)/2
	for y := range th {
		sy := min(h-1, int(float64(y)/s))
		for x := range tw {
			sx := min(w-1, int(float64(x)/s))
			i := sy*w + sx
			var r, g, b float64
			if c == 1 {
				r = float64(px[i])
				g, b = r, r
			} else {
				r, g, b = float64(px[3*i]), float64(px[3*i+1]), float64(px[3*i+2])
			}
			if over != nil {
				m := over(i)
				r = (1-alpha)*r + alpha*float64(m.R)
				g = (1-alpha)*g + alpha*float64(m.G)
				b = (1-alpha)*b + alpha*float64(m.B)
			}
			dst.SetRGBA(ox+x, oy+y, color.RGBA{uint8(r + 0.5), uint8(g + 0.5), uint8(b + 0.5), 0xff})
		}
	}
	return dst
}

// methodName spells a saliency method as papers do.
func methodName(m string) string {
	switch strings.ToLower(m) {
	case "gradcampp", "gradcam++", "":
		return "Grad-CAM++"
	case "gradcam":
		return "Grad-CAM"
	case "layercam":
		return "LayerCAM"
	}
	return m
}
