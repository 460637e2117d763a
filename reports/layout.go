package reports

import (
	"image"
	"image/color"
	"image/draw"
	"math"
	"strconv"
)

// DefaultWidth is the width of every figure unless Options.Width says
// otherwise: 12 inches at 200 dpi, a printed page with margins.
const DefaultWidth = 2400

// minWidth keeps text and panels from collapsing; below it labels overlap.
const minWidth = 800

// Options are shared by every figure.
type Options struct {
	// Width of the image in pixels; 0 means DefaultWidth. Fonts and margins
	// scale with it, so a figure looks the same at any size.
	Width int
	// Title replaces the automatic title when not empty.
	Title string
}

// page holds the geometry of one figure, scaled from its width.
type page struct {
	width                   int
	margin, gap             int
	titlePx, notePx         float64
	headerPx, axisTitlePx   float64
	tickPx, panelTitlePx    float64
	legendPx, minPx, cellPx float64
}

func newPage(o Options) page {
	w := o.Width
	if w == 0 {
		w = DefaultWidth
	}
	if w < minWidth {
		w = minWidth
	}
	s := float64(w) / DefaultWidth
	px := func(v float64) float64 { return math.Round(v * s) }
	return page{
		width:        w,
		margin:       roundInt(28 * s),
		gap:          roundInt(14 * s),
		titlePx:      px(40),
		notePx:       px(26),
		headerPx:     px(30),
		axisTitlePx:  px(28),
		tickPx:       px(21),
		panelTitlePx: px(23),
		legendPx:     px(28),
		minPx:        px(16),
		cellPx:       px(26),
	}
}

// Text and rule colours shared by every figure; constants, so no figure
// can change another's look.
const (
	inkColor   = rgb(0x1a1a1a)
	mutedColor = rgb(0x5a5a5a)
	gridColor  = rgb(0xdddddd)
	emptyColor = rgb(0xf2f2f2)
)

// rgb is an opaque colour written as 0xRRGGBB; a named type so that the
// shared colours above can be constants.
type rgb uint32

// RGBA implements color.Color.
func (c rgb) RGBA() (r, g, b, a uint32) { return c.rgba().RGBA() }

func (c rgb) rgba() color.RGBA {
	return color.RGBA{uint8(c >> 16), uint8(c >> 8), uint8(c), 0xff}
}

// swatchKind is how a legend entry shows its colour.
type swatchKind int

const (
	swatchLine swatchKind = iota // a line with a dot, for line series
	swatchBox                    // a filled box, for boxes and heat maps
	swatchDot                    // a dot, for scatters
	swatchNone                   // no swatch: a group heading such as "breastmnist:"
)

// legendEntry is one label of a legend.
type legendEntry struct {
	Label string
	Color color.RGBA
	Kind  swatchKind
}

// LegendItem is a legend entry as placed on a figure.
type LegendItem struct {
	Label  string          // the entry's full label
	Shown  string          // the label as drawn: shortened with "…" if it could not fit
	Color  color.RGBA      // the swatch's colour; zero for a group heading
	Swatch image.Rectangle // empty for a group heading such as "breastmnist:"
	Text   image.Rectangle
	kind   swatchKind
}

// legendLayout flows the title and entries into centred rows no wider than
// width starting at top; it returns the placed entries, the title's box and
// the height used. The legend lives in its own strip below the panels, so
// even seven classes stay readable and never cover data.
func legendLayout(tf *typeface, title string, entries []legendEntry, left, top, width int, px float64) ([]LegendItem, image.Rectangle, int) {
	if len(entries) == 0 {
		return nil, image.Rectangle{}, 0
	}
	lh := tf.lineHeight(px)
	sw := roundInt(px * 1.6)
	pad := roundInt(px * 0.4)
	spacing := roundInt(px * 1.3)
	type cell struct {
		w     int
		title bool
		idx   int
	}
	var cells []cell
	if title != "" {
		cells = append(cells, cell{w: tf.width(title, px), title: true})
	}
	shown := make([]string, len(entries))
	for i, e := range entries {
		room := width - sw - pad
		if e.Kind == swatchNone {
			room = width
		}
		// A label wider than the whole strip is shortened, never cut.
		shown[i], _ = tf.fit(e.Label, room, px, px)
		w := sw + pad + tf.width(shown[i], px)
		if e.Kind == swatchNone {
			w = tf.width(shown[i], px)
		}
		cells = append(cells, cell{w: w, idx: i})
	}
	// Break into rows.
	var rows [][]cell
	var cur []cell
	curW := 0
	for _, c := range cells {
		add := c.w
		if len(cur) > 0 {
			add += spacing
		}
		if len(cur) > 0 && curW+add > width {
			rows = append(rows, cur)
			cur, curW = nil, 0
			add = c.w
		}
		cur = append(cur, c)
		curW += add
	}
	rows = append(rows, cur)

	items := make([]LegendItem, len(entries))
	var titleRect image.Rectangle
	rowGap := roundInt(px * 0.5)
	y := top
	for _, row := range rows {
		rw := 0
		for i, c := range row {
			if i > 0 {
				rw += spacing
			}
			rw += c.w
		}
		x := left + max(0, (width-rw)/2)
		for _, c := range row {
			if c.title {
				titleRect = image.Rect(x, y, x+c.w, y+lh)
			} else if entries[c.idx].Kind == swatchNone {
				items[c.idx] = placedEntry(entries[c.idx], shown[c.idx], image.Rectangle{}, image.Rect(x, y, x+c.w, y+lh))
			} else {
				sy := y + (lh-roundInt(px*0.7))/2
				items[c.idx] = placedEntry(entries[c.idx], shown[c.idx],
					image.Rect(x, sy, x+sw, sy+roundInt(px*0.7)), image.Rect(x+sw+pad, y, x+c.w, y+lh))
			}
			x += c.w + spacing
		}
		y += lh + rowGap
	}
	return items, titleRect, y - top - rowGap
}

func placedEntry(e legendEntry, shown string, swatch, text image.Rectangle) LegendItem {
	return LegendItem{Label: e.Label, Shown: shown, Color: e.Color, Swatch: swatch, Text: text, kind: e.Kind}
}

// drawLegend paints placed legend entries.
func drawLegend(dst draw.Image, tf *typeface, title string, titleRect image.Rectangle, items []LegendItem, px float64) {
	if title != "" {
		tf.text(dst, title, titleRect.Min.X, titleRect.Min.Y, px, inkColor, alignLeft)
	}
	for _, it := range items {
		s := it.Swatch
		c := it.Color
		switch it.kind {
		case swatchNone:
			tf.text(dst, it.Shown, it.Text.Min.X, it.Text.Min.Y, px, mutedColor, alignLeft)
			continue
		case swatchBox:
			fillRect(dst, s, withAlpha(c, 0x99))
			strokeRect(dst, s, max(1, s.Dy()/8), c)
		case swatchDot:
			fillCircle(dst, (s.Min.X+s.Max.X)/2, (s.Min.Y+s.Max.Y)/2, s.Dy()/2, c)
		default:
			th := max(2, s.Dy()/4)
			cy := (s.Min.Y + s.Max.Y) / 2
			fillRect(dst, image.Rect(s.Min.X, cy-th/2, s.Max.X, cy-th/2+th), c)
			fillCircle(dst, (s.Min.X+s.Max.X)/2, cy, s.Dy()/3, c)
		}
		tf.text(dst, it.Shown, it.Text.Min.X, it.Text.Min.Y, px, inkColor, alignLeft)
	}
}

// fillCircle paints a disc (no anti-aliasing; swatches are large enough).
func fillCircle(dst draw.Image, cx, cy, r int, c color.Color) {
	for y := -r; y <= r; y++ {
		for x := -r; x <= r; x++ {
			if x*x+y*y <= r*r {
				dst.Set(cx+x, cy+y, c)
			}
		}
	}
}

// grid describes a small-multiple figure: a title, rows and columns of
// panels with shared axis titles, and a legend strip below.
type grid struct {
	Title       string
	Subtitle    string
	RowLabels   []string   // one per row, drawn rotated at the left; nil for none
	ColLabels   []string   // one per column, drawn above the first row
	PanelTitles [][]string // [row][col], drawn above each panel; nil for none
	YTitle      string     // shared y-axis title, drawn once per row
	XTitle      string     // shared x-axis title, drawn once below the grid
	LegendTitle string
	Legend      []legendEntry
	Aspect      float64 // panel height / width; 0 means 0.8
	Rows, Cols  int
	// Cells is how many cells hold a panel, row by row; 0 means all. The
	// rest of the last row stays blank rather than "no data", so small
	// multiples of a list (one panel per corruption) can wrap.
	Cells int
	// RowNotes are short horizontal lines of text left of each row (the
	// prediction per variant), for labels too long to rotate.
	RowNotes [][]noteLine
	// ColorBar, when set, draws a horizontal colour bar labelled
	// ColorBarLabel below the grid.
	ColorBar      ColorMap
	ColorBarLabel string
}

// noteLine is one line of a row note.
type noteLine struct {
	Text  string
	Color rgb
}

// gridLayout is where a grid's parts land on the image.
type gridLayout struct {
	Width, Height int
	Panels        [][]image.Rectangle // [row][col]
	PanelTitles   [][]image.Rectangle
	LegendItems   []LegendItem
	legendTitle   image.Rectangle
	titleTop      int
	subtitleTop   int
	colLabelTop   int
	rowLabelX     int
	yTitleX       int
	xTitleTop     int
	noteX, noteW  int
	ColorBar      image.Rectangle
}

// layout decides every position before any panel is drawn, so panels can
// be rendered at exactly the size they will occupy.
func (g grid) layout(tf *typeface, p page) gridLayout {
	var l gridLayout
	l.Width = p.width
	aspect := g.Aspect
	if aspect == 0 {
		aspect = 0.8
	}
	x := p.margin
	if g.RowNotes != nil {
		l.noteX = x
		for _, lines := range g.RowNotes {
			for _, ln := range lines {
				l.noteW = max(l.noteW, tf.width(ln.Text, p.headerPx))
			}
		}
		l.noteW = min(l.noteW, p.width/4)
		x += l.noteW + p.gap
	}
	if g.RowLabels != nil {
		l.rowLabelX = x + tf.lineHeight(p.headerPx)/2
		x += tf.lineHeight(p.headerPx) + p.gap
	}
	if g.YTitle != "" {
		l.yTitleX = x + tf.lineHeight(p.axisTitlePx)/2
		x += tf.lineHeight(p.axisTitlePx) + p.gap/2
	}
	gridLeft := x
	panelW := (p.width - p.margin - gridLeft - (g.Cols-1)*p.gap) / g.Cols
	panelH := roundInt(float64(panelW) * aspect)

	y := p.margin
	l.titleTop = y
	y += tf.lineHeight(p.titlePx) + p.gap/2
	if g.Subtitle != "" {
		l.subtitleTop = y
		y += tf.lineHeight(p.notePx) + p.gap/2
	}
	y += p.gap / 2
	if g.ColLabels != nil {
		l.colLabelTop = y
		y += tf.lineHeight(p.headerPx) + p.gap/2
	}
	ptH := 0
	if g.PanelTitles != nil {
		ptH = tf.lineHeight(p.panelTitlePx) + p.gap/3
	}
	l.Panels = make([][]image.Rectangle, g.Rows)
	l.PanelTitles = make([][]image.Rectangle, g.Rows)
	for r := range g.Rows {
		l.Panels[r] = make([]image.Rectangle, g.Cols)
		l.PanelTitles[r] = make([]image.Rectangle, g.Cols)
		for c := range g.Cols {
			px := gridLeft + c*(panelW+p.gap)
			l.PanelTitles[r][c] = image.Rect(px, y, px+panelW, y+ptH)
			l.Panels[r][c] = image.Rect(px, y+ptH, px+panelW, y+ptH+panelH)
		}
		y += ptH + panelH + p.gap
	}
	if g.XTitle != "" {
		l.xTitleTop = y
		y += tf.lineHeight(p.axisTitlePx) + p.gap
	}
	if g.ColorBar != nil {
		y += p.gap / 2
		bw := min(p.width/2, p.width-2*p.margin)
		bh := roundInt(p.legendPx)
		l.ColorBar = image.Rect((p.width-bw)/2, y, (p.width+bw)/2, y+bh)
		// ticks below the bar, then its label
		y += bh + p.gap/2 + 2*tf.lineHeight(p.tickPx) + p.gap
	}
	if len(g.Legend) > 0 {
		y += p.gap / 2
		items, tr, h := legendLayout(tf, g.LegendTitle, g.Legend, p.margin, y, p.width-2*p.margin, p.legendPx)
		l.LegendItems, l.legendTitle = items, tr
		y += h + p.gap
	}
	l.Height = y + p.margin
	return l
}

// compose draws the grid's text and legend and copies the panels in. A nil
// panel is drawn as a grey "no data" box, so a missing combination is
// visible rather than silently blank.
func (g grid) compose(tf *typeface, p page, l gridLayout, panels [][]image.Image) *image.RGBA {
	img := newCanvas(l.Width, l.Height)
	title, size := tf.fit(g.Title, l.Width-2*p.margin, p.titlePx, p.minPx)
	tf.text(img, title, l.Width/2, l.titleTop, size, inkColor, alignCenter)
	if g.Subtitle != "" {
		sub, size := tf.fit(g.Subtitle, l.Width-2*p.margin, p.notePx, p.minPx)
		tf.text(img, sub, l.Width/2, l.subtitleTop, size, mutedColor, alignCenter)
	}
	for c, lab := range g.ColLabels {
		r := l.Panels[0][c]
		s, size := tf.fit(lab, r.Dx(), p.headerPx, p.minPx)
		tf.text(img, s, (r.Min.X+r.Max.X)/2, l.colLabelTop, size, inkColor, alignCenter)
	}
	for r := range g.Rows {
		first := l.Panels[r][0]
		top := l.PanelTitles[r][0].Min.Y
		cy := (top + first.Max.Y) / 2
		if g.RowLabels != nil {
			s, size := tf.fit(g.RowLabels[r], first.Max.Y-top, p.headerPx, p.minPx)
			tf.textUp(img, s, l.rowLabelX, cy, size, inkColor)
		}
		for c := range g.Cols {
			if !g.inUse(r, c) {
				continue
			}
			pr := l.Panels[r][c]
			if g.PanelTitles != nil && g.PanelTitles[r][c] != "" {
				tr := l.PanelTitles[r][c]
				s, size := tf.fit(g.PanelTitles[r][c], tr.Dx(), p.panelTitlePx, p.minPx)
				tf.text(img, s, (tr.Min.X+tr.Max.X)/2, tr.Min.Y, size, inkColor, alignCenter)
			}
			var pi image.Image
			if r < len(panels) && c < len(panels[r]) {
				pi = panels[r][c]
			}
			if pi == nil {
				drawNoData(img, tf, pr, p)
				continue
			}
			draw.Draw(img, pr, pi, pi.Bounds().Min, draw.Src)
		}
	}
	if g.YTitle != "" {
		// One title for the whole grid: the panels share their y scale.
		top, bottom := l.Panels[0][0].Min.Y, l.Panels[g.Rows-1][0].Max.Y
		s, size := tf.fit(g.YTitle, bottom-top, p.axisTitlePx, p.minPx)
		tf.textUp(img, s, l.yTitleX, (top+bottom)/2, size, mutedColor)
	}
	if g.XTitle != "" {
		left := l.Panels[0][0].Min.X
		right := l.Panels[0][g.Cols-1].Max.X
		s, size := tf.fit(g.XTitle, right-left, p.axisTitlePx, p.minPx)
		tf.text(img, s, (left+right)/2, l.xTitleTop, size, mutedColor, alignCenter)
	}
	if g.RowNotes != nil {
		for r, lines := range g.RowNotes {
			pr := l.Panels[r][0]
			lh := tf.lineHeight(p.headerPx)
			y := (pr.Min.Y+pr.Max.Y)/2 - len(lines)*lh/2
			for _, ln := range lines {
				s, size := tf.fit(ln.Text, l.noteW, p.headerPx, p.minPx)
				tf.text(img, s, l.noteX+l.noteW, y, size, ln.Color, alignRight)
				y += lh
			}
		}
	}
	if g.ColorBar != nil {
		drawColorBar(img, tf, p, l.ColorBar, g.ColorBar, g.ColorBarLabel)
	}
	drawLegend(img, tf, g.LegendTitle, l.legendTitle, l.LegendItems, p.legendPx)
	return img
}

// render draws a laid-out grid's panels row by row and composes the page.
// panel returns a panel's image, or nil for a "no data" box; the result
// records which panels are which, in that order, and the placed legend.
func (g grid) render(tf *typeface, p page, l gridLayout, panel func(row, col int, r image.Rectangle) (image.Image, error)) (*Rendered, error) {
	out := &Rendered{Legend: l.LegendItems}
	panels := make([][]image.Image, g.Rows)
	for ri := range g.Rows {
		panels[ri] = make([]image.Image, g.Cols)
		for ci := range g.Cols {
			if !g.inUse(ri, ci) {
				continue
			}
			r := l.Panels[ri][ci]
			img, err := panel(ri, ci, r)
			if err != nil {
				return nil, err
			}
			if img == nil {
				out.Empty = append(out.Empty, r)
				continue
			}
			panels[ri][ci] = img
			out.Panels = append(out.Panels, r)
		}
	}
	out.Image = g.compose(tf, p, l, panels)
	return out, nil
}

// inUse reports whether the cell at row r, column c holds a panel.
func (g grid) inUse(r, c int) bool {
	return g.Cells == 0 || r*g.Cols+c < g.Cells
}

func drawNoData(img draw.Image, tf *typeface, r image.Rectangle, p page) {
	inner := r.Inset(p.gap)
	fillRect(img, inner, emptyColor)
	tf.text(img, "no data", (inner.Min.X+inner.Max.X)/2, (inner.Min.Y+inner.Max.Y)/2-tf.lineHeight(p.tickPx)/2, p.tickPx, mutedColor, alignCenter)
}

// drawColorBar paints the map from 0 (left) to 1 (right) with ticks at
// quarters and its label below.
func drawColorBar(img *image.RGBA, tf *typeface, p page, r image.Rectangle, m ColorMap, label string) {
	for x := r.Min.X; x < r.Max.X; x++ {
		c := m(float64(x-r.Min.X) / float64(r.Dx()-1))
		fillRect(img, image.Rect(x, r.Min.Y, x+1, r.Max.Y), c)
	}
	strokeRect(img, r, 1, mutedColor)
	ty := r.Max.Y + p.gap/2
	for i := 0; i <= 4; i++ {
		x := r.Min.X + i*(r.Dx()-1)/4
		fillRect(img, image.Rect(x, r.Max.Y, x+2, r.Max.Y+p.gap/3), mutedColor)
		tf.text(img, strconv.FormatFloat(float64(i)/4, 'f', -1, 64), x, ty, p.tickPx, mutedColor, alignCenter)
	}
	tf.text(img, label, (r.Min.X+r.Max.X)/2, ty+tf.lineHeight(p.tickPx), p.tickPx, inkColor, alignCenter)
}
