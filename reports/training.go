package reports

import (
	"fmt"
	"image"
	"math"
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
func TrainingCurves(rows []TrainingRow, o Options) (image.Image, error) {
	f, err := trainingCurves(rows, o)
	if err != nil {
		return nil, err
	}
	return f.Image, nil
}

func trainingCurves(rows []TrainingRow, o Options) (*rendered, error) {
	if len(rows) == 0 {
		return nil, fmt.Errorf("training curves: no rows (is the run a training run? try the runs query)")
	}
	byRun := map[runKey][]TrainingRow{}
	var runs []runKey
	lossMax, metMin, epMax := 0.0, 1.0, 1
	for _, r := range rows {
		k := runKey{r.Dataset, r.Run}
		byRun[k] = append(byRun[k], r)
		runs = append(runs, k)
		for _, v := range []float64{r.TrainLoss, r.ValLoss} {
			if finite(v) {
				lossMax = math.Max(lossMax, v)
			}
		}
		for _, v := range []float64{r.ValAUC, r.ValACC} {
			if finite(v) {
				metMin = math.Min(metMin, v)
			}
		}
		epMax = max(epMax, r.Epoch)
	}
	runs = sortRunKeys(runs)
	tf, err := newTypeface()
	if err != nil {
		return nil, err
	}
	p := newPage(o)
	g := grid{
		Title:     o.Title,
		Subtitle:  "dashed line: the epoch whose model was kept (best validation AUC)",
		ColLabels: []string{"loss (cross-entropy)", "validation AUC and accuracy (0–1)"},
		RowLabels: runLabels(runs),
		XTitle:    "epoch",
		Aspect:    0.55,
		Rows:      len(runs),
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
	lay := g.layout(tf, p)
	pr := lay.Panels[0][0]
	xs := xScale(tf, p, 0, float64(epMax), pr.Dx())
	lossScale := yScale(tf, p, 0, lossMax, pr.Dy())
	metScale := yScale(tf, p, math.Min(metMin, 0.5), 1, pr.Dy())
	scale := p.tickPx / 21
	out := &rendered{}
	panels := make([][]image.Image, len(runs))
	for ri, k := range runs {
		rs := byRun[k]
		panels[ri] = make([]image.Image, 2)
		ep := make([]float64, len(rs))
		best := -1
		for i, r := range rs {
			ep[i] = float64(r.Epoch)
			if r.IsBest {
				best = r.Epoch
			}
		}
		col := func(get func(TrainingRow) float64) ([]float64, []float64) {
			var xs, ys []float64
			for i, r := range rs {
				if v := get(r); finite(v) {
					xs, ys = append(xs, ep[i]), append(ys, v)
				}
			}
			return xs, ys
		}
		mk := func(name string, c rgb, get func(TrainingRow) float64) chart.Series {
			x, y := col(get)
			if len(x) == 0 {
				return nil
			}
			dot := 0.0
			if len(x) < 30 {
				dot = 3 * scale
			}
			return lineSeries(name, x, y, c.rgba(), 3*scale, dot)
		}
		for ci, spec := range [][]chart.Series{
			{mk("train", trainLossColor, func(r TrainingRow) float64 { return r.TrainLoss }),
				mk("val", valLossColor, func(r TrainingRow) float64 { return r.ValLoss })},
			{mk("auc", valAUCColor, func(r TrainingRow) float64 { return r.ValAUC }),
				mk("acc", valACCColor, func(r TrainingRow) float64 { return r.ValACC })},
		} {
			var series []chart.Series
			if best >= 0 {
				series = append(series, vRule{X: float64(best), Color: mutedColor.rgba(), Width: 1.5 * scale, Dash: []float64{6 * scale, 4 * scale}})
			}
			for _, s := range spec {
				if s != nil {
					series = append(series, s)
				}
			}
			rect := lay.Panels[ri][ci]
			if len(series) == 0 || (best >= 0 && len(series) == 1) {
				out.Empty = append(out.Empty, rect)
				continue
			}
			ys := lossScale
			if ci == 1 {
				ys = metScale
			}
			img, err := renderChart(panelChart(tf, p, rect.Dx(), rect.Dy(), xs, ys, series))
			if err != nil {
				return nil, fmt.Errorf("training curves %s: %w", g.RowLabels[ri], err)
			}
			panels[ri][ci] = img
			out.Panels = append(out.Panels, rect)
		}
		if best >= 0 {
			g.RowLabels[ri] += " · kept epoch " + strconv.Itoa(best)
		}
	}
	out.Image = g.compose(tf, p, lay, panels)
	out.Legend = lay.LegendItems
	return out, nil
}
