package reports

import (
	"cmp"
	"fmt"
	"image"
	"image/color"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/wcharczuk/go-chart/v2"
)

// Severity figures plot a statistic against corruption severity, one
// panel per corruption and one line per score (or score group), each with
// its 95 % interval as a translucent band. FailureBySeverity,
// SilentFailures and DegradedInputs differ only in their rows, so each
// reduces its rows to sevPoints and a sevSpec and shares the rest.

// maxSeverity is the highest corruption severity the study applies.
const maxSeverity = 5

// bandAlpha is the opacity of an interval band: light enough that lines
// and other bands show through, dark enough to see on white.
const bandAlpha = 0x48

// sevPoint is one row reduced to what a severity figure draws.
type sevPoint struct {
	Row        string // names the source row in errors
	Corruption string // the panel
	Severity   int
	Score      string
	// Line is the legend entry the point belongs to; Rank is Score's place
	// in it. Several scores may share a line (they rank the images alike,
	// so their values agree): the lowest rank is drawn.
	Line          string
	Rank          int
	Value, Lo, Hi float64 // Value NaN: no point; Lo and Hi NaN: no band
	Ref           float64 // the panel's reference line here (error rate); NaN for none
}

// sevSpec is what one kind of severity figure says around its points.
type sevSpec struct {
	what        string // names the figure in errors
	title       string // used when Options.Title is empty
	subtitle    string
	yTitle      string
	legendTitle string
	minSev      int       // 0 draws severity 0 as "clean"; 1 starts at severity 1
	unit        bool      // the statistic lies in 0..1: the y axis spans at least that
	rules       []float64 // dashed grey horizontal references in every panel
}

// sevKey is one line's point in one panel.
type sevKey struct {
	corr string
	sev  int
	line string
}

// sevData is the checked points of one severity figure, indexed by panel,
// severity and line.
type sevData struct {
	cells  map[sevKey]sevPoint
	refs   map[sevKey]float64 // line "" only
	corrs  []string           // panels, canonical order
	lines  []string           // legend order
	ylo    float64
	yhi    float64
	minSev int
}

// severityFigure draws checked-and-indexed points as small multiples.
func severityFigure(points []sevPoint, s sevSpec, o Options) (*Rendered, error) {
	d, err := newSevData(points, s)
	if err != nil {
		return nil, err
	}
	tf, err := newTypeface()
	if err != nil {
		return nil, err
	}
	p := newPage(o)
	g := d.grid(s, o.Title)
	lay := g.layout(tf, p)
	pr := lay.Panels[0][0]
	var ticks []string
	for sev := d.minSev; sev <= maxSeverity; sev++ {
		ticks = append(ticks, severityTick(sev))
	}
	xs := categoryAxis(tf, p, ticks, pr.Dx())
	ys := yScale(tf, p, d.ylo, d.yhi, pr.Dy())
	scale := p.tickPx / 21
	return g.render(tf, p, lay, func(ri, ci int, r image.Rectangle) (image.Image, error) {
		corr := d.corrs[ri*g.Cols+ci]
		series := d.series(corr, s.rules, scale)
		if series == nil {
			return nil, nil
		}
		img, err := renderChart(panelChart(tf, p, r.Dx(), r.Dy(), xs, ys, series))
		if err != nil {
			return nil, fmt.Errorf("%s %s: %w", s.what, corr, err)
		}
		return img, nil
	})
}

func severityTick(sev int) string {
	if sev == 0 {
		return "clean"
	}
	return strconv.Itoa(sev)
}

// newSevData checks every point and keeps, per line and place, the point
// of the line's first score.
func newSevData(points []sevPoint, s sevSpec) (*sevData, error) {
	if len(points) == 0 {
		return nil, fmt.Errorf("%s: no rows to draw", s.what)
	}
	d := &sevData{cells: map[sevKey]sevPoint{}, refs: map[sevKey]float64{}, minSev: s.minSev}
	seen := map[sevKey]bool{} // line = score: one row per score and place
	lead := map[string]sevPoint{}
	drawn := false
	for _, pt := range points {
		if err := checkSevPoint(s.what, pt, s.minSev); err != nil {
			return nil, err
		}
		sk := sevKey{pt.Corruption, pt.Severity, pt.Score}
		if seen[sk] {
			return nil, fmt.Errorf("%s: two rows for %s: filter the query to one run, regime and metric", s.what, pt.Row)
		}
		seen[sk] = true
		k := sevKey{pt.Corruption, pt.Severity, pt.Line}
		if prev, ok := d.cells[k]; !ok || pt.Rank < prev.Rank {
			d.cells[k] = pt
		}
		if l, ok := lead[pt.Line]; !ok || pt.Rank < l.Rank {
			lead[pt.Line] = pt
		}
		if finite(pt.Ref) {
			d.refs[sevKey{pt.Corruption, pt.Severity, ""}] = pt.Ref
		}
		d.corrs = append(d.corrs, pt.Corruption)
		d.extend(pt.Value, pt.Lo, pt.Hi, pt.Ref)
		drawn = drawn || finite(pt.Value)
	}
	d.corrs = sortCorruptions(d.corrs)
	for l := range lead {
		d.lines = append(d.lines, l)
	}
	// Baselines first, as in the failure-metric table, so a score keeps
	// its place (and colour) across the severity figures.
	slices.SortFunc(d.lines, func(a, b string) int {
		la, lb := lead[a].Score, lead[b].Score
		return cmp.Or(scoreRank(la)-scoreRank(lb), strings.Compare(la, lb), strings.Compare(a, b))
	})
	if !drawn {
		return nil, fmt.Errorf("%s: every value is NaN: nothing to draw", s.what)
	}
	d.extend(s.rules...)
	if s.unit {
		d.extend(0, 1)
	}
	return d, nil
}

// extend grows the y range to hold the finite values, always from 0 or
// below, since the statistics are rates and areas.
func (d *sevData) extend(vs ...float64) {
	for _, v := range vs {
		if finite(v) {
			d.ylo, d.yhi = math.Min(d.ylo, v), math.Max(d.yhi, v)
		}
	}
}

// checkSevPoint rejects a row whose mark would mislead: a severity the
// axis lacks, a missing value with an interval, or an inverted interval.
func checkSevPoint(what string, p sevPoint, minSev int) error {
	if p.Severity < minSev || p.Severity > maxSeverity {
		return fmt.Errorf("%s: %s: severity %d is not one of %d..%d", what, p.Row, p.Severity, minSev, maxSeverity)
	}
	loNaN, hiNaN := math.IsNaN(p.Lo), math.IsNaN(p.Hi)
	switch {
	case math.IsInf(p.Value, 0) || math.IsInf(p.Lo, 0) || math.IsInf(p.Hi, 0):
		return fmt.Errorf("%s: %s: value %g with interval [%g, %g] is infinite", what, p.Row, p.Value, p.Lo, p.Hi)
	case math.IsNaN(p.Value) && !(loNaN && hiNaN):
		return fmt.Errorf("%s: %s: value is NaN but its interval is [%g, %g]", what, p.Row, p.Lo, p.Hi)
	case loNaN != hiNaN:
		return fmt.Errorf("%s: %s: interval [%g, %g] has one end missing", what, p.Row, p.Lo, p.Hi)
	case p.Lo > p.Hi:
		return fmt.Errorf("%s: %s: interval [%g, %g] has its low end above its high end", what, p.Row, p.Lo, p.Hi)
	}
	return nil
}

// grid lays the panels out in rows of at most five, so that eleven
// corruptions still get panels wide enough to read.
func (d *sevData) grid(s sevSpec, title string) grid {
	n := len(d.corrs)
	rows := (n + 4) / 5
	cols := (n + rows - 1) / rows
	g := grid{
		Title:       cmp.Or(title, s.title),
		Subtitle:    s.subtitle,
		YTitle:      s.yTitle,
		XTitle:      "corruption severity",
		LegendTitle: s.legendTitle,
		Aspect:      0.75,
		Rows:        rows,
		Cols:        cols,
		Cells:       n,
		PanelTitles: make([][]string, rows),
	}
	if d.minSev == 0 {
		g.XTitle = "corruption severity (clean: the clean test split)"
	}
	for r := range rows {
		g.PanelTitles[r] = make([]string, cols)
		for c := range cols {
			if i := r*cols + c; i < n {
				g.PanelTitles[r][c] = d.corrs[i]
			}
		}
	}
	for i, l := range d.lines {
		g.Legend = append(g.Legend, legendEntry{Label: l, Color: SeriesColor(i), Kind: swatchLine})
	}
	return g
}

// series is one panel: the reference rules and line, then every band
// under every line, so no band hides a line. nil when no line has a value
// in the panel.
func (d *sevData) series(corr string, rules []float64, scale float64) []chart.Series {
	dash := []float64{6 * scale, 4 * scale}
	var refs, bands, lines []chart.Series
	for _, y := range rules {
		refs = append(refs, hRule{Y: y, Color: mutedColor.rgba(), Width: 1.5 * scale, Dash: dash})
	}
	var rx, ry []float64
	for sev := d.minSev; sev <= maxSeverity; sev++ {
		if v, ok := d.refs[sevKey{corr, sev, ""}]; ok {
			rx, ry = append(rx, float64(sev-d.minSev)), append(ry, v)
		}
	}
	if len(rx) > 0 {
		refs = append(refs, dashedSeries(rx, ry, mutedColor.rgba(), 2*scale, dash))
	}
	for i, l := range d.lines {
		c := SeriesColor(i)
		var xs, vs, los, his []float64
		for sev := d.minSev; sev <= maxSeverity; sev++ {
			pt, ok := d.cells[sevKey{corr, sev, l}]
			if !ok {
				pt.Value, pt.Lo, pt.Hi = math.NaN(), math.NaN(), math.NaN()
			}
			xs, vs = append(xs, float64(sev-d.minSev)), append(vs, pt.Value)
			los, his = append(los, pt.Lo), append(his, pt.Hi)
		}
		for _, sp := range finiteSpans(los) {
			bands = append(bands, bandSeries{XValues: xs[sp[0]:sp[1]], Lo: los[sp[0]:sp[1]], Hi: his[sp[0]:sp[1]], Color: c, Width: 8 * scale})
		}
		// A missing severity breaks the line rather than bridging it.
		for _, sp := range finiteSpans(vs) {
			lines = append(lines, lineSeries(l, xs[sp[0]:sp[1]], vs[sp[0]:sp[1]], c, 3*scale, 4*scale))
		}
	}
	if len(lines) == 0 {
		return nil
	}
	return slices.Concat(refs, bands, lines)
}

// finiteSpans are the maximal runs [start, end) of finite values.
func finiteSpans(vs []float64) [][2]int {
	var out [][2]int
	start := -1
	for i, v := range append(slices.Clone(vs), math.NaN()) {
		switch {
		case finite(v) && start < 0:
			start = i
		case !finite(v) && start >= 0:
			out = append(out, [2]int{start, i})
			start = -1
		}
	}
	return out
}

// dashedSeries is a dashed polyline without dots, for reference values
// that change along the x axis.
func dashedSeries(xs, ys []float64, c color.RGBA, width float64, dash []float64) chart.Series {
	return chart.ContinuousSeries{
		XValues: xs,
		YValues: ys,
		YAxis:   chart.YAxisSecondary,
		Style:   chart.Style{StrokeColor: dc(c, 0xff), StrokeWidth: width, StrokeDashArray: dash},
	}
}

// bandSeries fills the area between Lo and Hi over XValues in Color at
// bandAlpha, with go-chart's bounded-series drawing (as its Bollinger
// bands). A lone point has no width to fill, so it gets a bar Width
// pixels wide.
type bandSeries struct {
	XValues, Lo, Hi []float64
	Color           color.RGBA
	Width           float64
}

func (b bandSeries) GetName() string           { return "band" }
func (b bandSeries) GetYAxis() chart.YAxisType { return chart.YAxisSecondary }
func (b bandSeries) GetStyle() chart.Style     { return chart.Style{} }
func (b bandSeries) Len() int                  { return len(b.XValues) }

// GetBoundedValues makes the band a chart.BoundedValuesProvider.
func (b bandSeries) GetBoundedValues(i int) (x, y1, y2 float64) {
	return b.XValues[i], b.Lo[i], b.Hi[i]
}

func (b bandSeries) Validate() error {
	if len(b.XValues) == 0 || len(b.Lo) != len(b.XValues) || len(b.Hi) != len(b.XValues) {
		return fmt.Errorf("band: %d x values, %d low and %d high ends", len(b.XValues), len(b.Lo), len(b.Hi))
	}
	return nil
}

func (b bandSeries) Render(r chart.Renderer, box chart.Box, xr, yr chart.Range, _ chart.Style) {
	// The outline is as translucent as the fill: an opaque edge would read
	// as two more lines.
	style := chart.Style{FillColor: dc(b.Color, bandAlpha), StrokeColor: dc(b.Color, 0), StrokeWidth: 1}
	if b.Len() > 1 {
		chart.Draw.BoundedSeries(r, box, xr, yr, style, b)
		return
	}
	x := box.Left + xr.Translate(b.XValues[0])
	half := max(1, roundInt(b.Width/2))
	lo, hi := box.Bottom-yr.Translate(b.Lo[0]), box.Bottom-yr.Translate(b.Hi[0])
	style.GetFillAndStrokeOptions().WriteToRenderer(r)
	r.MoveTo(x-half, lo)
	r.LineTo(x+half, lo)
	r.LineTo(x+half, hi)
	r.LineTo(x-half, hi)
	r.Close()
	r.Fill()
}

// scoreLine is the line a score is drawn on.
type scoreLine struct {
	label string // the members joined by " = ", as the queries write groups
	rank  int    // the score's place among the members
}

// scoreLines gives each score the line of the scores grouped with it (the
// same ranking of the images) in every setting its rows cover. Groups are
// found per setting, so two scores may tie at one severity only; drawing
// them as one line there and two elsewhere would break both lines.
// scores[i] and groups[i] are one row's; an empty group is the score alone.
func scoreLines(scores, groups []string) map[string]scoreLine {
	common := map[string][]string{}
	for i, s := range scores {
		g := strings.Split(groups[i], " = ")
		if !slices.Contains(g, s) {
			g = []string{s}
		}
		if prev, ok := common[s]; ok {
			g = slices.DeleteFunc(slices.Clone(prev), func(m string) bool { return !slices.Contains(g, m) })
		}
		common[s] = g
	}
	out := map[string]scoreLine{}
	for s, m := range common {
		out[s] = scoreLine{label: strings.Join(m, " = "), rank: slices.Index(m, s)}
	}
	return out
}

// rowName names a row in errors: "setting iid, clean severity 0, score msp".
func rowName(setting, corr string, sev int, score string) string {
	s := fmt.Sprintf("%s severity %d, score %s", corr, sev, score)
	if setting != "" {
		s = "setting " + setting + ", " + s
	}
	return s
}
