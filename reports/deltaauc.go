package reports

import (
	"fmt"
	"github.com/gradprint/gradprint/queries"
	"image"
	"image/color"
	"math"
	"strconv"
	"strings"

	"github.com/wcharczuk/go-chart/v2"
)

// DeltaAUCRows chooses what the rows of a delta-AUC grid are; the colour
// encodes the other one.
type DeltaAUCRows int

const (
	// RowsBySeverity: rows are severities 1..5, colour is the corruption
	// (the thesis's Figures 3.3 to 3.11).
	RowsBySeverity DeltaAUCRows = iota
	// RowsByCorruption: rows are corruptions, colour is the severity.
	RowsByCorruption
)

// DeltaAUCOptions configure the delta-AUC-against-RMSE grids.
type DeltaAUCOptions struct {
	Options
	Rows DeltaAUCRows
	// Corruptions selects and orders corruptions; nil means all present.
	Corruptions []string
}

// DeltaAUCBoxes draws, per severity (or corruption) and layer, one
// horizontal box of per-image RMSE (whiskers 5-95 %, box 25-75 %, median
// tick) for each class and corruption (or severity), placed at the height
// of that class's AUC drop.
func DeltaAUCBoxes(rows []queries.RMSEBoxRow, o DeltaAUCOptions) (*Rendered, error) {
	return deltaAUC(rows, o, false)
}

// DeltaAUCScatter is DeltaAUCBoxes with one point per group at its mean
// RMSE: less detail, but readable when boxes pile up.
func DeltaAUCScatter(rows []queries.RMSEBoxRow, o DeltaAUCOptions) (*Rendered, error) {
	return deltaAUC(rows, o, true)
}

func deltaAUC(rows []queries.RMSEBoxRow, o DeltaAUCOptions, scatter bool) (*Rendered, error) {
	d, err := newBoxData(rows, o, scatter)
	if err != nil {
		return nil, err
	}
	tf, err := newTypeface()
	if err != nil {
		return nil, err
	}
	p := newPage(o.Options)
	enc := newBoxEncoding(d, o.Rows, scatter)
	g := deltaAUCGrid(d, enc, o.Title, scatter)
	lay := g.layout(tf, p)
	pr := lay.Panels[0][0]
	xs := xScale(tf, p, 0, d.xmax, pr.Dx())
	pad := 0.04 * math.Max(d.ymax-d.ymin, 1e-3)
	ys := yScale(tf, p, d.ymin-pad, d.ymax+pad, pr.Dy())
	cells := d.cells(enc)
	scale := p.tickPx / 21
	return g.render(tf, p, lay, func(ri, ci int, r image.Rectangle) (image.Image, error) {
		cell := cells[[2]int{ri, ci}]
		if len(cell) == 0 {
			return nil, nil
		}
		img, err := renderChart(panelChart(tf, p, r.Dx(), r.Dy(), xs, ys, boxSeries(cell, enc.colour, scatter, scale)))
		if err != nil {
			return nil, fmt.Errorf("%s %s %s: %w", d.what, g.RowLabels[ri], g.ColLabels[ci], err)
		}
		return img, nil
	})
}

// boxData is the checked rows of one delta-AUC figure and what its grid
// and axes need.
type boxData struct {
	what             string               // the figure's name, for errors
	keep             []queries.RMSEBoxRow // the rows drawn
	run              runKey
	layers           []layerInfo // columns, shallow to deep
	corrs            []string    // corruptions in figure order
	sevs             []int
	classes          int // classes of the dataset with the most
	skipped          int // rows left out for want of a delta AUC
	xmax, ymin, ymax float64
}

// newBoxData keeps the rows of the chosen corruptions that have a delta
// AUC. Rows without one are counted, not fatal: a class missing from the
// per-class metrics should not cost the whole figure.
func newBoxData(rows []queries.RMSEBoxRow, o DeltaAUCOptions, scatter bool) (*boxData, error) {
	d := &boxData{what: "delta AUC boxes"}
	if scatter {
		d.what = "delta AUC scatter"
	}
	if len(rows) == 0 {
		return nil, fmt.Errorf("%s: no rows (did the rmse_boxes query match any run?)", d.what)
	}
	want := map[string]bool{}
	for _, c := range o.Corruptions {
		want[c] = true
	}
	var runs []runKey
	var corrs []string
	var sevs []int
	var layers []layerInfo
	labels := map[string]map[int]bool{} // dataset -> labels
	for _, r := range rows {
		runs = append(runs, runKey{r.Dataset, r.Run})
		if len(want) > 0 && !want[r.Corruption] {
			continue
		}
		if !finite(r.DeltaAUC) {
			d.skipped++
			continue
		}
		if err := checkBox(d.what, r); err != nil {
			return nil, err
		}
		d.keep = append(d.keep, r)
		corrs = append(corrs, r.Corruption)
		sevs = append(sevs, r.Severity)
		layers = append(layers, layerInfo{r.LayerDepth, r.Layer, r.LayerAlias})
		if labels[r.Dataset] == nil {
			labels[r.Dataset] = map[int]bool{}
		}
		labels[r.Dataset][r.Label] = true
		d.extend(r, scatter)
	}
	runs = sortRunKeys(runs)
	if err := d.checkKept(runs, rows, o.Corruptions); err != nil {
		return nil, err
	}
	order, err := layerOrder(layers)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", d.what, err)
	}
	d.run, d.layers, d.sevs = runs[0], order, uniqueSorted(sevs)
	if d.corrs = o.Corruptions; d.corrs == nil {
		d.corrs = sortCorruptions(corrs)
	}
	for _, m := range labels {
		d.classes = max(d.classes, len(m))
	}
	return d, nil
}

// checkBox rejects statistics that would draw a nonsense box.
func checkBox(what string, r queries.RMSEBoxRow) error {
	if !finite(r.Q05, r.Q25, r.Median, r.Q75, r.Q95, r.MeanRMSE) {
		return fmt.Errorf("%s: %s severity %d class %s layer %s: RMSE statistics are not numbers", what, r.Corruption, r.Severity, r.ClassName, r.Layer)
	}
	if !(r.Q05 <= r.Q25 && r.Q25 <= r.Median && r.Median <= r.Q75 && r.Q75 <= r.Q95) {
		return fmt.Errorf("%s: %s severity %d class %s layer %s: quantiles out of order (%g, %g, %g, %g, %g)",
			what, r.Corruption, r.Severity, r.ClassName, r.Layer, r.Q05, r.Q25, r.Median, r.Q75, r.Q95)
	}
	return nil
}

// extend grows the axes' ranges to hold r's mark: the box's right
// whisker, or the scatter's point.
func (d *boxData) extend(r queries.RMSEBoxRow, scatter bool) {
	hi := r.Q95
	if scatter {
		hi = r.MeanRMSE
	}
	d.xmax = math.Max(d.xmax, hi)
	d.ymin = math.Min(d.ymin, r.DeltaAUC)
	d.ymax = math.Max(d.ymax, r.DeltaAUC)
}

// checkKept says why there is nothing to draw, or that rows of several
// runs would mix in one panel; runs is sorted and deduplicated.
func (d *boxData) checkKept(runs []runKey, rows []queries.RMSEBoxRow, asked []string) error {
	if len(runs) > 1 {
		var s []string
		for _, k := range runs {
			s = append(s, k.Dataset+"/"+k.Run)
		}
		return fmt.Errorf("%s: rows from %d runs (%s): pass one run (--run) to the rmse_boxes query", d.what, len(runs), strings.Join(s, ", "))
	}
	if len(d.keep) > 0 {
		return nil
	}
	if d.skipped > 0 {
		return fmt.Errorf("%s: all %d rows lack a delta AUC (no per-class AUC in metrics?)", d.what, d.skipped)
	}
	return fmt.Errorf("%s: no rows for corruptions %s (rows have %s)", d.what, strings.Join(asked, ", "), strings.Join(sortCorruptions(uniqueCorrs(rows)), ", "))
}

// cells groups the drawn rows by grid cell {row, column}.
func (d *boxData) cells(e boxEncoding) map[[2]int][]queries.RMSEBoxRow {
	depths := layerDepths(d.layers)
	out := map[[2]int][]queries.RMSEBoxRow{}
	for _, r := range d.keep {
		ri, ci := e.row(r), indexOf(depths, r.LayerDepth)
		if ri < 0 || ci < 0 {
			continue
		}
		out[[2]int{ri, ci}] = append(out[[2]int{ri, ci}], r)
	}
	return out
}

// boxEncoding is what a delta-AUC grid's rows and colours stand for: one
// of severity and corruption each.
type boxEncoding struct {
	rowsAre, colourIs string
	rowLabels         []string
	legendTitle       string
	legend            []legendEntry
	row               func(queries.RMSEBoxRow) int // the grid row of a row; -1 for none
	colour            func(queries.RMSEBoxRow) color.RGBA
}

func newBoxEncoding(d *boxData, rows DeltaAUCRows, scatter bool) boxEncoding {
	kind := swatchBox
	if scatter {
		kind = swatchDot
	}
	if rows == RowsByCorruption {
		e := boxEncoding{
			rowsAre: "corruption", colourIs: "severity", legendTitle: "severity:",
			row:    func(r queries.RMSEBoxRow) int { return indexOf(d.corrs, r.Corruption) },
			colour: func(r queries.RMSEBoxRow) color.RGBA { return SeverityColor(r.Severity) },
		}
		e.rowLabels = append(e.rowLabels, d.corrs...)
		for _, s := range d.sevs {
			e.legend = append(e.legend, legendEntry{Label: strconv.Itoa(s), Color: SeverityColor(s), Kind: kind})
		}
		return e
	}
	e := boxEncoding{
		rowsAre: "severity", colourIs: "corruption", legendTitle: "corruption:",
		row:    func(r queries.RMSEBoxRow) int { return indexOf(d.sevs, r.Severity) },
		colour: func(r queries.RMSEBoxRow) color.RGBA { return CorruptionColor(r.Corruption) },
	}
	for _, s := range d.sevs {
		e.rowLabels = append(e.rowLabels, "severity "+strconv.Itoa(s))
	}
	for _, c := range d.corrs {
		e.legend = append(e.legend, legendEntry{Label: c, Color: CorruptionColor(c), Kind: kind})
	}
	return e
}

// deltaAUCGrid is the page around the panels: a column per layer, rows and
// legend as the encoding says; title "" means the automatic one.
func deltaAUCGrid(d *boxData, e boxEncoding, title string, scatter bool) grid {
	g := grid{
		Title:       title,
		YTitle:      "ΔAUC of the class, one-vs-rest (clean − corrupted)",
		XTitle:      "per-image saliency RMSE (0–255)",
		Aspect:      1,
		Rows:        len(e.rowLabels),
		Cols:        len(d.layers),
		RowLabels:   e.rowLabels,
		Legend:      e.legend,
		LegendTitle: e.legendTitle,
	}
	for _, l := range d.layers {
		g.ColLabels = append(g.ColLabels, l.header())
	}
	shape := "boxes: per-image RMSE, whiskers 5–95 %, box 25–75 %, tick = median"
	if scatter {
		shape = "points: mean per-image RMSE"
		g.XTitle = "mean per-image saliency RMSE (0–255)"
	}
	g.Subtitle = joinParts(runText(d.run), fmt.Sprintf("one mark per class (%d) × %s", d.classes, e.colourIs), shape)
	if d.skipped > 0 {
		g.Subtitle += fmt.Sprintf(" · %d groups without ΔAUC left out", d.skipped)
	}
	if g.Title == "" {
		g.Title = fmt.Sprintf("AUC drop against saliency change, by %s and layer", e.rowsAre)
	}
	return g
}

// boxSeries is one panel's marks over a dashed zero line: a box per row,
// or a point at its mean RMSE.
func boxSeries(cell []queries.RMSEBoxRow, colour func(queries.RMSEBoxRow) color.RGBA, scatter bool, scale float64) []chart.Series {
	series := []chart.Series{hRule{Y: 0, Color: mutedColor.rgba(), Width: 1.5 * scale, Dash: []float64{6 * scale, 4 * scale}}}
	if scatter {
		for _, r := range cell {
			series = append(series, scatterSeries("", []float64{r.MeanRMSE}, []float64{r.DeltaAUC}, colour(r), 5*scale))
		}
		return series
	}
	var boxes []hBox
	for _, r := range cell {
		boxes = append(boxes, hBox{Y: r.DeltaAUC, Lo: r.Q05, Q1: r.Q25, Median: r.Median, Q3: r.Q75, Hi: r.Q95, Color: colour(r)})
	}
	return append(series, hBoxSeries{Boxes: boxes, Thickness: 7 * scale, Width: 1.5 * scale})
}

func indexOf[T comparable](xs []T, v T) int {
	for i, x := range xs {
		if x == v {
			return i
		}
	}
	return -1
}

func layerDepths(ls []layerInfo) []int {
	out := make([]int, len(ls))
	for i, l := range ls {
		out[i] = l.Depth
	}
	return out
}

func uniqueCorrs(rows []queries.RMSEBoxRow) []string {
	var out []string
	for _, r := range rows {
		out = append(out, r.Corruption)
	}
	return out
}
