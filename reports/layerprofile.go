package reports

import (
	"fmt"
	"image"
	"maps"
	"math"
	"strings"

	"github.com/wcharczuk/go-chart/v2"
)

// LayerProfileOptions choose one figure of the layer profile: one severity
// and one selection of images.
type LayerProfileOptions struct {
	Options
	Severity  int    // 1..5
	Selection string // all, correct or incorrect; "" means all
	// Corruptions fixes the column order; nil means the corruptions present,
	// in the canonical order.
	Corruptions []string
}

// LayerProfile draws the thesis's Figure 3.1: rows are runs, columns are
// corruptions; each panel plots the mean saliency RMSE of each class
// against the layers in depth order, titled with the AUC drop.
func LayerProfile(rows []LayerProfileRow, o LayerProfileOptions) (image.Image, error) {
	f, err := layerProfile(rows, o)
	if err != nil {
		return nil, err
	}
	return f.Image, nil
}

func layerProfile(rows []LayerProfileRow, o LayerProfileOptions) (*rendered, error) {
	if len(rows) == 0 {
		return nil, fmt.Errorf("layer profile: no rows (did the layer_profile query match any run?)")
	}
	sel := o.Selection
	if sel == "" {
		sel = "all"
	}
	var keep []LayerProfileRow
	var sevs []int
	var sels []string
	for _, r := range rows {
		sevs = append(sevs, r.Severity)
		sels = append(sels, r.Selection)
		if r.Severity == o.Severity && r.Selection == sel {
			keep = append(keep, r)
		}
	}
	if len(keep) == 0 {
		return nil, fmt.Errorf("layer profile: no rows with severity %d and selection %q (rows have severities %s and selections %s)",
			o.Severity, sel, joinInts(uniqueSorted(sevs)), strings.Join(uniqueSorted(sels), ", "))
	}

	type key struct {
		run        runKey
		corruption string
		label      int
		depth      int
	}
	cells := map[key]LayerProfileRow{}
	var runs []runKey
	var corrs []string
	var layers []layerInfo
	classes := map[int]string{}
	names := map[string]map[int]string{} // dataset -> label -> class name
	delta := map[runKey]map[string]float64{}
	ymax := 0.0
	for _, r := range keep {
		rk := runKey{r.Dataset, r.Run}
		k := key{rk, r.Corruption, r.Label, r.LayerDepth}
		if _, dup := cells[k]; dup {
			return nil, fmt.Errorf("layer profile: two rows for %s/%s %s class %d layer %d: filter the query to one split and method",
				r.Dataset, r.Run, r.Corruption, r.Label, r.LayerDepth)
		}
		if !finite(r.MeanRMSE) {
			return nil, fmt.Errorf("layer profile: %s/%s %s class %s layer %s: mean RMSE is %v", r.Dataset, r.Run, r.Corruption, r.ClassName, r.Layer, r.MeanRMSE)
		}
		cells[k] = r
		runs = append(runs, rk)
		corrs = append(corrs, r.Corruption)
		layers = append(layers, layerInfo{r.LayerDepth, r.Layer, r.LayerAlias})
		classes[r.Label] = r.ClassName
		if names[r.Dataset] == nil {
			names[r.Dataset] = map[int]string{}
		}
		names[r.Dataset][r.Label] = r.ClassName
		if delta[rk] == nil {
			delta[rk] = map[string]float64{}
		}
		delta[rk][r.Corruption] = r.DeltaAUC
		ymax = math.Max(ymax, r.MeanRMSE)
	}
	runs = sortRunKeys(runs)
	cols := o.Corruptions
	if cols == nil {
		cols = sortCorruptions(corrs)
	}
	order, err := layerOrder(layers)
	if err != nil {
		return nil, fmt.Errorf("layer profile: %w", err)
	}
	var labels []int
	for l := range classes {
		labels = append(labels, l)
	}
	labels = uniqueSorted(labels)

	tf, err := newTypeface()
	if err != nil {
		return nil, err
	}
	p := newPage(o.Options)
	g := grid{
		Title:       o.Title,
		Subtitle:    fmt.Sprintf("severity %d · %s · lines: mean saliency RMSE per class · panel titles: AUC drop (clean − corrupted)", o.Severity, selectionText(sel)),
		RowLabels:   runLabels(runs),
		ColLabels:   cols,
		PanelTitles: make([][]string, len(runs)),
		YTitle:      "mean saliency RMSE (0–255)",
		XTitle:      "layer (stage.block, ordered shallow to deep)",
		Aspect:      0.78,
		Rows:        len(runs),
		Cols:        len(cols),
	}
	if g.Title == "" {
		g.Title = fmt.Sprintf("Saliency change by layer and class — severity %d, %s images", o.Severity, sel)
	}
	g.Legend, g.LegendTitle = classLegend(names, swatchLine)
	ticks := make([]string, len(order))
	for i, l := range order {
		ticks[i] = l.tick()
	}
	lay := g.layout(tf, p)
	xs := categoryAxis(tf, p, ticks, lay.Panels[0][0].Dx())
	ys := yScale(tf, p, 0, ymax, lay.Panels[0][0].Dy())

	out := &rendered{}
	panels := make([][]image.Image, len(runs))
	for ri, rk := range runs {
		g.PanelTitles[ri] = make([]string, len(cols))
		panels[ri] = make([]image.Image, len(cols))
		for ci, c := range cols {
			var series []chart.Series
			for _, l := range labels {
				var px, py []float64
				for li, layer := range order {
					if r, ok := cells[key{rk, c, l, layer.Depth}]; ok {
						px = append(px, float64(li))
						py = append(py, r.MeanRMSE)
					}
				}
				if len(px) > 0 {
					series = append(series, lineSeries(classes[l], px, py, ClassColor(l), 3*p.tickPx/21, 4*p.tickPx/21))
				}
			}
			rect := lay.Panels[ri][ci]
			if len(series) == 0 {
				out.Empty = append(out.Empty, rect)
				continue
			}
			g.PanelTitles[ri][ci] = "ΔAUC " + fmtDelta(delta[rk][c])
			img, err := renderChart(panelChart(tf, p, rect.Dx(), rect.Dy(), xs, ys, series))
			if err != nil {
				return nil, fmt.Errorf("layer profile %s %s: %w", g.RowLabels[ri], c, err)
			}
			panels[ri][ci] = img
			out.Panels = append(out.Panels, rect)
		}
	}
	out.Image = g.compose(tf, p, lay, panels)
	out.Legend = lay.LegendItems
	return out, nil
}

func selectionText(sel string) string {
	switch sel {
	case "correct":
		return "images the model classified correctly when clean"
	case "incorrect":
		return "images the model misclassified when clean"
	case "all":
		return "all images"
	}
	return "selection " + sel
}

func className(name string, label int) string {
	if name == "" {
		return fmt.Sprintf("class %d", label)
	}
	return name
}

// classLegend lists classes by label. Datasets whose labels name different
// classes (breastmnist's 0 is malignant, dermamnist's 0 is akiec) get a
// group each, since colour follows the label index.
func classLegend(names map[string]map[int]string, kind swatchKind) ([]legendEntry, string) {
	var datasets []string
	for d := range names {
		datasets = append(datasets, d)
	}
	datasets = uniqueSorted(datasets)
	same := true
	for _, d := range datasets[1:] {
		if !maps.Equal(names[d], names[datasets[0]]) {
			same = false
		}
	}
	group := func(m map[int]string) []legendEntry {
		var labels []int
		for l := range m {
			labels = append(labels, l)
		}
		var out []legendEntry
		for _, l := range uniqueSorted(labels) {
			out = append(out, legendEntry{Label: className(m[l], l), Color: ClassColor(l), Kind: kind})
		}
		return out
	}
	if same {
		return group(names[datasets[0]]), "class:"
	}
	var out []legendEntry
	for _, d := range datasets {
		out = append(out, legendEntry{Label: d + ":", Kind: swatchNone})
		out = append(out, group(names[d])...)
	}
	return out, ""
}
