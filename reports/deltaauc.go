package reports

import (
	"fmt"
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
func DeltaAUCBoxes(rows []RMSEBoxRow, o DeltaAUCOptions) (image.Image, error) {
	f, err := deltaAUC(rows, o, false)
	if err != nil {
		return nil, err
	}
	return f.Image, nil
}

// DeltaAUCScatter is DeltaAUCBoxes with one point per group at its mean
// RMSE: less detail, but readable when boxes pile up.
func DeltaAUCScatter(rows []RMSEBoxRow, o DeltaAUCOptions) (image.Image, error) {
	f, err := deltaAUC(rows, o, true)
	if err != nil {
		return nil, err
	}
	return f.Image, nil
}

func deltaAUC(rows []RMSEBoxRow, o DeltaAUCOptions, scatter bool) (*rendered, error) {
	what := "delta AUC boxes"
	if scatter {
		what = "delta AUC scatter"
	}
	if len(rows) == 0 {
		return nil, fmt.Errorf("%s: no rows (did the rmse_boxes query match any run?)", what)
	}
	want := map[string]bool{}
	for _, c := range o.Corruptions {
		want[c] = true
	}
	var runs []runKey
	var keep []RMSEBoxRow
	var corrs []string
	var sevs []int
	var layers []layerInfo
	names := map[string]map[int]string{}
	skipped := 0
	xmax, ymin, ymax := 0.0, 0.0, 0.0
	for _, r := range rows {
		runs = append(runs, runKey{r.Dataset, r.Run})
		if len(want) > 0 && !want[r.Corruption] {
			continue
		}
		if !finite(r.DeltaAUC) {
			skipped++
			continue
		}
		if !finite(r.Q05, r.Q25, r.Median, r.Q75, r.Q95, r.MeanRMSE) {
			return nil, fmt.Errorf("%s: %s severity %d class %s layer %s: RMSE statistics are not numbers", what, r.Corruption, r.Severity, r.ClassName, r.Layer)
		}
		if !(r.Q05 <= r.Q25 && r.Q25 <= r.Median && r.Median <= r.Q75 && r.Q75 <= r.Q95) {
			return nil, fmt.Errorf("%s: %s severity %d class %s layer %s: quantiles out of order (%g, %g, %g, %g, %g)",
				what, r.Corruption, r.Severity, r.ClassName, r.Layer, r.Q05, r.Q25, r.Median, r.Q75, r.Q95)
		}
		keep = append(keep, r)
		corrs = append(corrs, r.Corruption)
		sevs = append(sevs, r.Severity)
		layers = append(layers, layerInfo{r.LayerDepth, r.Layer, r.LayerAlias})
		if names[r.Dataset] == nil {
			names[r.Dataset] = map[int]string{}
		}
		names[r.Dataset][r.Label] = r.ClassName
		hi := r.Q95
		if scatter {
			hi = r.MeanRMSE
		}
		xmax = math.Max(xmax, hi)
		ymin = math.Min(ymin, r.DeltaAUC)
		ymax = math.Max(ymax, r.DeltaAUC)
	}
	runs = sortRunKeys(runs)
	if len(runs) > 1 {
		var s []string
		for _, k := range runs {
			s = append(s, k.Dataset+"/"+k.Run)
		}
		return nil, fmt.Errorf("%s: rows from %d runs (%s): pass one run (--run) to the rmse_boxes query", what, len(runs), strings.Join(s, ", "))
	}
	if len(keep) == 0 {
		if skipped > 0 {
			return nil, fmt.Errorf("%s: all %d rows lack a delta AUC (no per-class AUC in metrics?)", what, skipped)
		}
		return nil, fmt.Errorf("%s: no rows for corruptions %s (rows have %s)", what, strings.Join(o.Corruptions, ", "), strings.Join(sortCorruptions(uniqueCorrs(rows)), ", "))
	}
	order, err := layerOrder(layers)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	corrList := o.Corruptions
	if corrList == nil {
		corrList = sortCorruptions(corrs)
	}
	sevList := uniqueSorted(sevs)

	tf, err := newTypeface()
	if err != nil {
		return nil, err
	}
	p := newPage(o.Options)
	g := grid{
		YTitle: "ΔAUC of the class, one-vs-rest (clean − corrupted)",
		XTitle: "per-image saliency RMSE (0–255)",
		Aspect: 1,
		Cols:   len(order),
	}
	for _, l := range order {
		g.ColLabels = append(g.ColLabels, l.header())
	}
	rowOf := func(r RMSEBoxRow) int { return indexOf(sevList, r.Severity) }
	colour := func(r RMSEBoxRow) color.RGBA { return CorruptionColor(r.Corruption) }
	var legend []legendEntry
	kind := swatchBox
	if scatter {
		kind = swatchDot
	}
	if o.Rows == RowsByCorruption {
		g.Rows = len(corrList)
		for _, c := range corrList {
			g.RowLabels = append(g.RowLabels, c)
		}
		rowOf = func(r RMSEBoxRow) int { return indexOf(corrList, r.Corruption) }
		colour = func(r RMSEBoxRow) color.RGBA { return SeverityColor(r.Severity) }
		for _, s := range sevList {
			legend = append(legend, legendEntry{Label: strconv.Itoa(s), Color: SeverityColor(s), Kind: kind})
		}
		g.LegendTitle = "severity:"
	} else {
		g.Rows = len(sevList)
		for _, s := range sevList {
			g.RowLabels = append(g.RowLabels, "severity "+strconv.Itoa(s))
		}
		for _, c := range corrList {
			legend = append(legend, legendEntry{Label: c, Color: CorruptionColor(c), Kind: kind})
		}
		g.LegendTitle = "corruption:"
	}
	g.Legend = legend
	classes := 0
	for _, m := range names {
		classes = max(classes, len(m))
	}
	shape := "boxes: per-image RMSE, whiskers 5–95 %, box 25–75 %, tick = median"
	if scatter {
		shape = "points: mean per-image RMSE"
	}
	g.Subtitle = joinParts(runText(runs[0]), fmt.Sprintf("one mark per class (%d) × %s", classes,
		map[bool]string{true: "severity", false: "corruption"}[o.Rows == RowsByCorruption]), shape)
	if scatter {
		g.XTitle = "mean per-image saliency RMSE (0–255)"
	}
	if skipped > 0 {
		g.Subtitle += fmt.Sprintf(" · %d groups without ΔAUC left out", skipped)
	}
	g.Title = o.Title
	if g.Title == "" {
		by := "severity"
		if o.Rows == RowsByCorruption {
			by = "corruption"
		}
		g.Title = fmt.Sprintf("AUC drop against saliency change, by %s and layer", by)
	}

	lay := g.layout(tf, p)
	pr := lay.Panels[0][0]
	xs := xScale(tf, p, 0, xmax, pr.Dx())
	pad := 0.04 * math.Max(ymax-ymin, 1e-3)
	ys := yScale(tf, p, ymin-pad, ymax+pad, pr.Dy())

	type cellKey struct{ row, col int }
	byCell := map[cellKey][]RMSEBoxRow{}
	for _, r := range keep {
		ri, ci := rowOf(r), indexOf(layerDepths(order), r.LayerDepth)
		if ri < 0 || ci < 0 {
			continue
		}
		byCell[cellKey{ri, ci}] = append(byCell[cellKey{ri, ci}], r)
	}
	out := &rendered{}
	panels := make([][]image.Image, g.Rows)
	scale := p.tickPx / 21
	for ri := range g.Rows {
		panels[ri] = make([]image.Image, g.Cols)
		for ci := range g.Cols {
			rect := lay.Panels[ri][ci]
			cell := byCell[cellKey{ri, ci}]
			if len(cell) == 0 {
				out.Empty = append(out.Empty, rect)
				continue
			}
			series := []chart.Series{hRule{Y: 0, Color: mutedColor.rgba(), Width: 1.5 * scale, Dash: []float64{6 * scale, 4 * scale}}}
			if scatter {
				for _, r := range cell {
					series = append(series, scatterSeries("", []float64{r.MeanRMSE}, []float64{r.DeltaAUC}, colour(r), 5*scale))
				}
			} else {
				var boxes []hBox
				for _, r := range cell {
					boxes = append(boxes, hBox{Y: r.DeltaAUC, Lo: r.Q05, Q1: r.Q25, Median: r.Median, Q3: r.Q75, Hi: r.Q95, Color: colour(r)})
				}
				series = append(series, hBoxSeries{Boxes: boxes, Thickness: 7 * scale, Width: 1.5 * scale})
			}
			img, err := renderChart(panelChart(tf, p, rect.Dx(), rect.Dy(), xs, ys, series))
			if err != nil {
				return nil, fmt.Errorf("%s %s %s: %w", what, g.RowLabels[ri], g.ColLabels[ci], err)
			}
			panels[ri][ci] = img
			out.Panels = append(out.Panels, rect)
		}
	}
	out.Image = g.compose(tf, p, lay, panels)
	out.Legend = lay.LegendItems
	return out, nil
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

func uniqueCorrs(rows []RMSEBoxRow) []string {
	var out []string
	for _, r := range rows {
		out = append(out, r.Corruption)
	}
	return out
}
