package reports

import (
	"fmt"
	"image"
	"image/color"
	"math"
	"strconv"

	"github.com/wcharczuk/go-chart/v2"
	"github.com/wcharczuk/go-chart/v2/drawing"
)

// axisScale is a fixed axis: its range and ticks. Panels of one figure share
// scales so that they can be compared at a glance.
type axisScale struct {
	Min, Max float64
	Ticks    []chart.Tick
}

// niceScale covers [lo, hi] with at most n (and at least 3) ticks at round
// steps (1, 2, 2.5 or 5 times a power of ten), choosing the step that wastes
// the least of the axis.
func niceScale(lo, hi float64, n int) axisScale {
	if math.IsNaN(lo) || math.IsNaN(hi) || math.IsInf(lo, 0) || math.IsInf(hi, 0) {
		lo, hi = 0, 1
	}
	if lo > hi {
		lo, hi = hi, lo
	}
	if hi-lo < 1e-12 {
		pad := math.Max(math.Abs(lo)*0.1, 0.05)
		lo, hi = lo-pad, hi+pad
	}
	n = max(n, 3)
	base := math.Floor(math.Log10((hi - lo) / float64(n)))
	best := axisScale{}
	bestSpan, bestStep := math.Inf(1), 0.0
	for e := base - 1; e <= base+2; e++ {
		mag := math.Pow(10, e)
		for _, m := range []float64{1, 2, 2.5, 5} {
			step := m * mag
			min := math.Floor(lo/step+1e-9) * step
			max := math.Ceil(hi/step-1e-9) * step
			count := int(math.Round((max-min)/step)) + 1
			if count < 3 || count > n {
				continue
			}
			if span := max - min; span < bestSpan-1e-12 {
				best, bestSpan, bestStep = axisScale{Min: min, Max: max}, span, step
			}
		}
	}
	if bestStep == 0 { // cannot happen for n >= 3, but never loop forever
		bestStep = (hi - lo) / 2
		best = axisScale{Min: lo, Max: hi}
	}
	dec := max0(-int(math.Floor(math.Log10(bestStep) + 1e-9)))
	if r := bestStep / math.Pow(10, math.Floor(math.Log10(bestStep)+1e-9)); math.Abs(r-2.5) < 1e-9 {
		dec++
	}
	for v := best.Min; v <= best.Max+bestStep/2; v += bestStep {
		if math.Abs(v) < bestStep*1e-9 {
			v = 0 // avoid "-0.00"
		}
		best.Ticks = append(best.Ticks, chart.Tick{Value: v, Label: strconv.FormatFloat(v, 'f', dec, 64)})
	}
	return best
}

func max0(v int) int {
	if v < 0 {
		return 0
	}
	return v
}

// categoryScale places labels at 0..n-1 with half a step of room at both
// ends (unlabelled ticks), so the first and last points are not drawn on
// the panel's edge.
func categoryScale(labels []string) axisScale {
	s := axisScale{Min: -0.5, Max: float64(len(labels)) - 0.5}
	s.Ticks = append(s.Ticks, chart.Tick{Value: -0.5})
	for i, l := range labels {
		s.Ticks = append(s.Ticks, chart.Tick{Value: float64(i), Label: l})
	}
	s.Ticks = append(s.Ticks, chart.Tick{Value: float64(len(labels)) - 0.5})
	return s
}

// plotWidth estimates the width of a panel's plotting area: the panel less
// its y tick labels and padding.
func plotWidth(tf *typeface, p page, panelW int) int {
	return panelW - tf.width("−0.00", p.tickPx) - roundInt(p.tickPx*2.5)
}

// xScale is niceScale with as many ticks as fit side by side on a panel
// panelW wide, judged by the width of the labels themselves.
func xScale(tf *typeface, p page, lo, hi float64, panelW int) axisScale {
	room := plotWidth(tf, p, panelW)
	var s axisScale
	for n := 9; n >= 3; n-- {
		s = niceScale(lo, hi, n)
		need := 0
		for _, t := range s.Ticks {
			need += tf.width(t.Label, p.tickPx) + roundInt(p.tickPx)
		}
		if need <= room {
			return s
		}
	}
	return s
}

// yScale is niceScale with ticks at least two text lines apart.
func yScale(tf *typeface, p page, lo, hi float64, panelH int) axisScale {
	n := max(3, min(9, panelH/(2*tf.lineHeight(p.tickPx))))
	return niceScale(lo, hi, n)
}

// categoryAxis is categoryScale for a panel panelW wide: when the labels
// would touch, only every k-th is written (the grid lines stay), so labels
// never overlap on narrow figures.
func categoryAxis(tf *typeface, p page, labels []string, panelW int) axisScale {
	slot := float64(plotWidth(tf, p, panelW)) / float64(len(labels))
	widest := 0
	for _, l := range labels {
		widest = max(widest, tf.width(l, p.tickPx))
	}
	k := 1
	for float64(widest)+p.tickPx*0.25 > slot*float64(k) && k < len(labels) {
		k++
	}
	shown := make([]string, len(labels))
	for i, l := range labels {
		if i%k == 0 {
			shown[i] = l
		}
	}
	return categoryScale(shown)
}

// dc converts a colour for go-chart, which wants straight (not
// premultiplied) alpha.
func dc(c color.RGBA, alpha uint8) drawing.Color {
	return drawing.Color{R: c.R, G: c.G, B: c.B, A: alpha}
}

// panelChart sets up a go-chart chart with fixed scales and its y axis on
// the left. go-chart draws its primary y axis on the right, so series use
// the secondary axis; the primary keeps the same ticks (hidden) because
// go-chart reads the secondary range from the primary's ticks.
func panelChart(tf *typeface, p page, w, h int, x, y axisScale, series []chart.Series) chart.Chart {
	axisStyle := chart.Style{
		FontSize:    p.tickPx,
		FontColor:   dc(mutedColor.rgba(), 0xff),
		StrokeColor: dc(mutedColor.rgba(), 0xff),
		StrokeWidth: 1,
	}
	grid := chart.Style{StrokeColor: dc(gridColor.rgba(), 0xff), StrokeWidth: 1}
	pad := roundInt(p.tickPx * 0.6)
	return chart.Chart{
		Width:  w,
		Height: h,
		DPI:    72, // font sizes are then pixels, like the text drawn around panels
		Font:   tf.font,
		Background: chart.Style{
			Padding: chart.Box{Top: pad, Left: pad / 2, Right: pad + roundInt(p.tickPx), Bottom: pad / 2},
		},
		XAxis: chart.XAxis{
			Style:          axisStyle,
			Range:          &chart.ContinuousRange{Min: x.Min, Max: x.Max},
			Ticks:          x.Ticks,
			GridMajorStyle: grid,
			GridMinorStyle: grid, // go-chart alternates major and minor lines
		},
		YAxis: chart.YAxis{
			Style: chart.Hidden(),
			Range: &chart.ContinuousRange{Min: y.Min, Max: y.Max},
			Ticks: y.Ticks,
		},
		YAxisSecondary: chart.YAxis{
			Style:          axisStyle,
			Range:          &chart.ContinuousRange{Min: y.Min, Max: y.Max},
			Ticks:          y.Ticks,
			GridMajorStyle: grid,
			GridMinorStyle: grid, // go-chart alternates major and minor lines
		},
		Series: series,
	}
}

// renderChart draws a chart into memory; go-chart hands the raster over
// directly through chart.ImageWriter, skipping a PNG round trip.
func renderChart(c chart.Chart) (image.Image, error) {
	var w chart.ImageWriter
	if err := c.Render(chart.PNG, &w); err != nil {
		return nil, fmt.Errorf("render panel: %w", err)
	}
	img, err := w.Image()
	if err != nil {
		return nil, fmt.Errorf("render panel: %w", err)
	}
	return img, nil
}

// lineSeries is a polyline with dots at the data points.
func lineSeries(name string, xs, ys []float64, c color.RGBA, width float64, dot float64) chart.Series {
	return chart.ContinuousSeries{
		Name:    name,
		XValues: xs,
		YValues: ys,
		YAxis:   chart.YAxisSecondary,
		Style: chart.Style{
			StrokeColor: dc(c, 0xff),
			StrokeWidth: width,
			DotColor:    dc(c, 0xff),
			DotWidth:    dot,
		},
	}
}

// scatterSeries is dots only, translucent so that overlaps show.
func scatterSeries(name string, xs, ys []float64, c color.RGBA, dot float64) chart.Series {
	return chart.ContinuousSeries{
		Name:    name,
		XValues: xs,
		YValues: ys,
		YAxis:   chart.YAxisSecondary,
		Style: chart.Style{
			StrokeWidth: chart.Disabled,
			DotColor:    dc(c, 0xcc),
			StrokeColor: dc(c, 0xff),
			DotWidth:    dot,
		},
	}
}

// hRule is a horizontal reference line across the panel (delta AUC = 0).
type hRule struct {
	Y     float64
	Color color.RGBA
	Width float64
	Dash  []float64
}

func (h hRule) GetName() string           { return "rule" }
func (h hRule) GetYAxis() chart.YAxisType { return chart.YAxisSecondary }
func (h hRule) GetStyle() chart.Style     { return chart.Style{} }
func (h hRule) Validate() error           { return nil }
func (h hRule) Render(r chart.Renderer, box chart.Box, _, yr chart.Range, _ chart.Style) {
	if h.Y < yr.GetMin() || h.Y > yr.GetMax() {
		return
	}
	y := box.Bottom - yr.Translate(h.Y)
	r.SetStrokeColor(dc(h.Color, 0xff))
	r.SetStrokeWidth(h.Width)
	r.SetStrokeDashArray(h.Dash)
	r.MoveTo(box.Left, y)
	r.LineTo(box.Right, y)
	r.Stroke()
	r.SetStrokeDashArray(nil)
}

// vRule is a vertical reference line (the kept epoch).
type vRule struct {
	X     float64
	Color color.RGBA
	Width float64
	Dash  []float64
}

func (v vRule) GetName() string           { return "rule" }
func (v vRule) GetYAxis() chart.YAxisType { return chart.YAxisSecondary }
func (v vRule) GetStyle() chart.Style     { return chart.Style{} }
func (v vRule) Validate() error           { return nil }
func (v vRule) Render(r chart.Renderer, box chart.Box, xr, _ chart.Range, _ chart.Style) {
	if v.X < xr.GetMin() || v.X > xr.GetMax() {
		return
	}
	x := box.Left + xr.Translate(v.X)
	r.SetStrokeColor(dc(v.Color, 0xff))
	r.SetStrokeWidth(v.Width)
	r.SetStrokeDashArray(v.Dash)
	r.MoveTo(x, box.Top)
	r.LineTo(x, box.Bottom)
	r.Stroke()
	r.SetStrokeDashArray(nil)
}

// hBox is one horizontal box of a distribution placed at height Y.
type hBox struct {
	Y                      float64
	Lo, Q1, Median, Q3, Hi float64
	Color                  color.RGBA
}

// hBoxSeries draws horizontal box plots: a whisker from Lo to Hi, a box
// from Q1 to Q3 and a median tick. go-chart has no box series.
type hBoxSeries struct {
	Boxes     []hBox
	Thickness float64 // box height in pixels
	Width     float64 // stroke width in pixels
}

func (b hBoxSeries) GetName() string           { return "boxes" }
func (b hBoxSeries) GetYAxis() chart.YAxisType { return chart.YAxisSecondary }
func (b hBoxSeries) GetStyle() chart.Style     { return chart.Style{} }

func (b hBoxSeries) Validate() error {
	for i, x := range b.Boxes {
		if !(x.Lo <= x.Q1 && x.Q1 <= x.Median && x.Median <= x.Q3 && x.Q3 <= x.Hi) {
			return fmt.Errorf("box %d: quantiles out of order (%g, %g, %g, %g, %g)", i, x.Lo, x.Q1, x.Median, x.Q3, x.Hi)
		}
	}
	return nil
}

func (b hBoxSeries) Render(r chart.Renderer, box chart.Box, xr, yr chart.Range, _ chart.Style) {
	half := int(math.Max(b.Thickness/2, 1))
	xpix := func(v float64) int {
		v = math.Max(xr.GetMin(), math.Min(xr.GetMax(), v))
		return box.Left + xr.Translate(v)
	}
	for _, x := range b.Boxes {
		y := box.Bottom - yr.Translate(x.Y)
		r.SetStrokeDashArray(nil)
		r.SetStrokeWidth(b.Width)
		r.SetStrokeColor(dc(x.Color, 0xff))
		// whisker with end caps
		r.MoveTo(xpix(x.Lo), y)
		r.LineTo(xpix(x.Hi), y)
		r.Stroke()
		for _, v := range []float64{x.Lo, x.Hi} {
			r.MoveTo(xpix(v), y-half/2)
			r.LineTo(xpix(v), y+half/2)
			r.Stroke()
		}
		// box
		l, rr := xpix(x.Q1), xpix(x.Q3)
		if rr-l < 2 {
			rr = l + 2
		}
		r.SetFillColor(dc(x.Color, 0x55))
		r.MoveTo(l, y-half)
		r.LineTo(rr, y-half)
		r.LineTo(rr, y+half)
		r.LineTo(l, y+half)
		r.LineTo(l, y-half)
		r.Close()
		r.FillStroke()
		// median
		m := xpix(x.Median)
		r.SetStrokeWidth(b.Width * 1.8)
		r.SetStrokeColor(dc(x.Color, 0xff))
		r.MoveTo(m, y-half-2)
		r.LineTo(m, y+half+2)
		r.Stroke()
	}
}
