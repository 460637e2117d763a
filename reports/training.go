package reports

import (
	"fmt"
	"github.com/gradprint/gradprint/queries"
	"image"
	"math"
	"slices"
	"strconv"

	"github.com/wcharczuk/go-chart/v2"
)

// Curve colours of the training figure (Okabe-Ito; none is a corruption's
// meaning here, the legend names them).
const (
	trainLossColor = rgb(0x0072b2)
	valLossColor   = rgb(0xd55e00)
	valAUCColor    = rgb(0x009e73)
	valACCColor    = rgb(0xcc79a7)
)

// TrainingCurves draws, per run, the training and validation loss and the
// validation AUC and accuracy against the epoch, with the kept (best
// validation AUC) epoch marked.
func TrainingCurves(rows []queries.TrainingCurveRow, o Options) (*Rendered, error) {
	d, err := newTrainingData(rows)
	if err != nil {
		return nil, err
	}
	tf, err := newTypeface()
	if err != nil {
		return nil, err
	}
	p := newPage(o)
	labels := runLabels(d.runs)
	g := trainingGrid(d, labels, o.Title)
	lay := g.layout(tf, p)
	pr := lay.Panels[0][0]
	xs := xScale(tf, p, 0, float64(d.epMax), pr.Dx())
	ys := [2]axisScale{
		yScale(tf, p, 0, d.lossMax, pr.Dy()),
		yScale(tf, p, math.Min(d.metMin, 0.5), 1, pr.Dy()),
	}
	scale := p.tickPx / 21
	return g.render(tf, p, lay, func(ri, ci int, r image.Rectangle) (image.Image, error) {
		rs := d.byRun[d.runs[ri]]
		series := trainingSeries(rs, trainingPanels()[ci], keptEpoch(rs), scale)
		if series == nil {
			return nil, nil
		}
		img, err := renderChart(panelChart(tf, p, r.Dx(), r.Dy(), xs, ys[ci], series))
		if err != nil {
			return nil, fmt.Errorf("training curves %s: %w", labels[ri], err)
		}
		return img, nil
	})
}

// trainingData is training rows grouped by run, with the axes' ranges.
type trainingData struct {
	runs            []runKey
	byRun           map[runKey][]queries.TrainingCurveRow
	lossMax, metMin float64
	epMax           int
}

func newTrainingData(rows []queries.TrainingCurveRow) (*trainingData, error) {
	if len(rows) == 0 {
		return nil, fmt.Errorf("training curves: no rows (is the run a training run? try the runs query)")
	}
	d := &trainingData{byRun: map[runKey][]queries.TrainingCurveRow{}, metMin: 1, epMax: 1}
	for _, r := range rows {
		k := runKey{r.Dataset, r.Run}
		d.byRun[k] = append(d.byRun[k], r)
		d.runs = append(d.runs, k)
		for _, v := range []float64{r.TrainLoss, r.ValLoss} {
			if finite(v) {
				d.lossMax = math.Max(d.lossMax, v)
			}
		}
		for _, v := range []float64{r.ValAUC, r.ValACC} {
			if finite(v) {
				d.metMin = math.Min(d.metMin, v)
			}
		}
		d.epMax = max(d.epMax, r.Epoch)
	}
	d.runs = sortRunKeys(d.runs)
	return d, nil
}

// trainingGrid is a row per run, labelled with its kept epoch, and the
// loss and metric panels side by side.
func trainingGrid(d *trainingData, labels []string, title string) grid {
	g := grid{
		Title:     title,
		Subtitle:  "dashed line: the epoch whose model was kept (best validation AUC)",
		ColLabels: []string{"loss (cross-entropy)", "validation AUC and accuracy (0–1)"},
		RowLabels: slices.Clone(labels),
		XTitle:    "epoch",
		Aspect:    0.55,
		Rows:      len(d.runs),
		Cols:      2,
		Legend: []legendEntry{
			{Label: "training loss", Color: trainLossColor.rgba()},
			{Label: "validation loss", Color: valLossColor.rgba()},
			{Label: "validation AUC", Color: valAUCColor.rgba()},
			{Label: "validation accuracy", Color: valACCColor.rgba()},
		},
	}
	if g.Title == "" {
		g.Title = "Training curves"
	}
	for ri, k := range d.runs {
		if best := keptEpoch(d.byRun[k]); best >= 0 {
			g.RowLabels[ri] += " · kept epoch " + strconv.Itoa(best)
		}
	}
	return g
}

// keptEpoch is the epoch flagged best, or -1 if none is.
func keptEpoch(rs []queries.TrainingCurveRow) int {
	best := -1
	for _, r := range rs {
		if r.IsBest {
			best = r.Epoch
		}
	}
	return best
}

// trainingCurve is one curve of a training panel.
type trainingCurve struct {
	name   string
	colour rgb
	get    func(queries.TrainingCurveRow) float64
}

// trainingPanels are the curves of the two panels of a run: the losses,
// then the validation metrics.
func trainingPanels() [2][]trainingCurve {
	return [2][]trainingCurve{
		{{"train", trainLossColor, func(r queries.TrainingCurveRow) float64 { return r.TrainLoss }},
			{"val", valLossColor, func(r queries.TrainingCurveRow) float64 { return r.ValLoss }}},
		{{"auc", valAUCColor, func(r queries.TrainingCurveRow) float64 { return r.ValAUC }},
			{"acc", valACCColor, func(r queries.TrainingCurveRow) float64 { return r.ValACC }}},
	}
}

// trainingSeries draws the curves of one panel over the kept epoch's rule
// (best < 0: none), or returns nil when no curve has a finite value: a
// rule alone is no data.
func trainingSeries(rs []queries.TrainingCurveRow, curves []trainingCurve, best int, scale float64) []chart.Series {
	var lines []chart.Series
	for _, c := range curves {
		var xs, ys []float64
		for _, r := range rs {
			if v := c.get(r); finite(v) {
				xs, ys = append(xs, float64(r.Epoch)), append(ys, v)
			}
		}
		if len(xs) == 0 {
			continue
		}
		// Dots help read a short run; on a long one they merge into a
		// thick line.
		dot := 0.0
		if len(xs) < 30 {
			dot = 3 * scale
		}
		lines = append(lines, lineSeries(c.name, xs, ys, c.colour.rgba(), 3*scale, dot))
	}
	if len(lines) == 0 {
		return nil
	}
	if best < 0 {
		return lines
	}
	rule := vRule{X: float64(best), Color: mutedColor.rgba(), Width: 1.5 * scale, Dash: []float64{6 * scale, 4 * scale}}
	return append([]chart.Series{rule}, lines...)
}
