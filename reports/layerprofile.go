package reports

import (
	"fmt"
	"github.com/gradprint/gradprint/queries"
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
func LayerProfile(rows []queries.LayerProfileRow, o LayerProfileOptions) (*Rendered, error) {
	sel := o.Selection
	if sel == "" {
		sel = "all"
	}
	keep, err := selectProfileRows(rows, o.Severity, sel)
	if err != nil {
		return nil, err
	}
	d, err := newProfileData(keep, o.Corruptions)
	if err != nil {
		return nil, err
	}
	tf, err := newTypeface()
	if err != nil {
		return nil, err
	}
	p := newPage(o.Options)
	g := profileGrid(d, o, sel)
	lay := g.layout(tf, p)
	ticks := make([]string, len(d.layers))
	for i, l := range d.layers {
		ticks[i] = l.tick()
	}
	xs := categoryAxis(tf, p, ticks, lay.Panels[0][0].Dx())
	ys := yScale(tf, p, 0, d.ymax, lay.Panels[0][0].Dy())
	width, dot := 3*p.tickPx/21, 4*p.tickPx/21
	return g.render(tf, p, lay, func(ri, ci int, r image.Rectangle) (image.Image, error) {
		series := d.series(d.runs[ri], d.cols[ci], width, dot)
		if len(series) == 0 {
			return nil, nil
		}
		img, err := renderChart(panelChart(tf, p, r.Dx(), r.Dy(), xs, ys, series))
		if err != nil {
			return nil, fmt.Errorf("layer profile %s %s: %w", g.RowLabels[ri], d.cols[ci], err)
		}
		return img, nil
	})
}

// selectProfileRows keeps the rows of one severity and selection; finding
// none names what the rows do have.
func selectProfileRows(rows []queries.LayerProfileRow, severity int, sel string) ([]queries.LayerProfileRow, error) {
	if len(rows) == 0 {
		return nil, fmt.Errorf("layer profile: no rows (did the layer_profile query match any run?)")
	}
	var keep []queries.LayerProfileRow
	var sevs []int
	var sels []string
	for _, r := range rows {
		sevs = append(sevs, r.Severity)
		sels = append(sels, r.Selection)
		if r.Severity == severity && r.Selection == sel {
			keep = append(keep, r)
		}
	}
	if len(keep) == 0 {
		return nil, fmt.Errorf("layer profile: no rows with severity %d and selection %q (rows have severities %s and selections %s)",
			severity, sel, joinInts(uniqueSorted(sevs)), strings.Join(uniqueSorted(sels), ", "))
	}
	return keep, nil
}

// profileKey is one point of a layer profile: a run's class at a layer
// under a corruption.
type profileKey struct {
	run        runKey
	corruption string
	label      int
	depth      int
}

// profileData is the rows of one layer-profile figure indexed by point,
// with the grid's rows, columns and x axis.
type profileData struct {
	cells   map[profileKey]queries.LayerProfileRow
	runs    []runKey    // grid rows
	cols    []string    // corruptions, grid columns
	layers  []layerInfo // x axis, shallow to deep
	labels  []int       // classes, one line each
	classes map[int]string
	names   map[string]map[int]string     // dataset -> label -> class name
	delta   map[runKey]map[string]float64 // the run's AUC drop per corruption
	ymax    float64
}

// newProfileData indexes rows of one severity and selection; cols fixes
// the columns, nil meaning those present.
func newProfileData(rows []queries.LayerProfileRow, cols []string) (*profileData, error) {
	d := &profileData{
		cells:   map[profileKey]queries.LayerProfileRow{},
		classes: map[int]string{},
		names:   map[string]map[int]string{},
		delta:   map[runKey]map[string]float64{},
	}
	var corrs []string
	var layers []layerInfo
	for _, r := range rows {
		if err := d.add(r); err != nil {
			return nil, err
		}
		corrs = append(corrs, r.Corruption)
		layers = append(layers, layerInfo{r.LayerDepth, r.Layer, r.LayerAlias})
	}
	d.runs = sortRunKeys(d.runs)
	if d.cols = cols; d.cols == nil {
		d.cols = sortCorruptions(corrs)
	}
	order, err := layerOrder(layers)
	if err != nil {
		return nil, fmt.Errorf("layer profile: %w", err)
	}
	d.layers = order
	for l := range d.classes {
		d.labels = append(d.labels, l)
	}
	d.labels = uniqueSorted(d.labels)
	return d, nil
}

// add indexes one row. Two rows for one point mean the query mixed splits
// or methods, which one line cannot show.
func (d *profileData) add(r queries.LayerProfileRow) error {
	rk := runKey{r.Dataset, r.Run}
	k := profileKey{rk, r.Corruption, r.Label, r.LayerDepth}
	if _, dup := d.cells[k]; dup {
		return fmt.Errorf("layer profile: two rows for %s/%s %s class %d layer %d: filter the query to one split and method",
			r.Dataset, r.Run, r.Corruption, r.Label, r.LayerDepth)
	}
	if !finite(r.MeanRMSE) {
		return fmt.Errorf("layer profile: %s/%s %s class %s layer %s: mean RMSE is %v", r.Dataset, r.Run, r.Corruption, r.ClassName, r.Layer, r.MeanRMSE)
	}
	d.cells[k] = r
	d.runs = append(d.runs, rk)
	d.classes[r.Label] = r.ClassName
	if d.names[r.Dataset] == nil {
		d.names[r.Dataset] = map[int]string{}
	}
	d.names[r.Dataset][r.Label] = r.ClassName
	if d.delta[rk] == nil {
		d.delta[rk] = map[string]float64{}
	}
	d.delta[rk][r.Corruption] = r.DeltaAUC
	d.ymax = math.Max(d.ymax, r.MeanRMSE)
	return nil
}

// panelTitles gives each panel with data its run's AUC drop under the
// panel's corruption; a panel has data exactly when the run has rows for
// that corruption.
func (d *profileData) panelTitles() [][]string {
	out := make([][]string, len(d.runs))
	for ri, rk := range d.runs {
		out[ri] = make([]string, len(d.cols))
		for ci, c := range d.cols {
			if v, ok := d.delta[rk][c]; ok {
				out[ri][ci] = "ΔAUC " + fmtDelta(v)
			}
		}
	}
	return out
}

func profileGrid(d *profileData, o LayerProfileOptions, sel string) grid {
	g := grid{
		Title:       o.Title,
		Subtitle:    fmt.Sprintf("severity %d · %s · lines: mean saliency RMSE per class · panel titles: AUC drop (clean − corrupted)", o.Severity, selectionText(sel)),
		RowLabels:   runLabels(d.runs),
		ColLabels:   d.cols,
		PanelTitles: d.panelTitles(),
		YTitle:      "mean saliency RMSE (0–255)",
		XTitle:      "layer (stage.block, ordered shallow to deep)",
		Aspect:      0.78,
		Rows:        len(d.runs),
		Cols:        len(d.cols),
	}
	if g.Title == "" {
		g.Title = fmt.Sprintf("Saliency change by layer and class — severity %d, %s images", o.Severity, sel)
	}
	g.Legend, g.LegendTitle = classLegend(d.names, swatchLine)
	return g
}

// series is one panel's lines: each class's mean RMSE at the layers it
// has rows for.
func (d *profileData) series(rk runKey, corr string, width, dot float64) []chart.Series {
	var out []chart.Series
	for _, l := range d.labels {
		var px, py []float64
		for li, layer := range d.layers {
			if r, ok := d.cells[profileKey{rk, corr, l, layer.Depth}]; ok {
				px = append(px, float64(li))
				py = append(py, r.MeanRMSE)
			}
		}
		if len(px) > 0 {
			out = append(out, lineSeries(d.classes[l], px, py, ClassColor(l), width, dot))
		}
	}
	return out
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
