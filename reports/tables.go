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

// MetricHeatmap draws the corruption × severity table of AUC and accuracy
// as two heat maps side by side, each cell printed with its value. Clean is
// the first row, one value across all severities.
func MetricHeatmap(cells []queries.AUCACCRow, o Options) (*Rendered, error) {
	if len(cells) == 0 {
		return nil, fmt.Errorf("AUC/ACC heat map: no rows (did the auc_acc_table query match a run?)")
	}
	var runs []runKey
	type key struct {
		corr string
		sev  int
	}
	byKey := map[key]queries.AUCACCRow{}
	var corrs []string
	var sevs []int
	var clean *queries.AUCACCRow
	for i, c := range cells {
		runs = append(runs, runKey{c.Dataset, c.Run})
		if c.Corruption == "clean" {
			clean = &cells[i]
			continue
		}
		byKey[key{c.Corruption, c.Severity}] = c
		corrs = append(corrs, c.Corruption)
		sevs = append(sevs, c.Severity)
	}
	runs = sortRunKeys(runs)
	if len(runs) > 1 {
		return nil, fmt.Errorf("AUC/ACC heat map: rows from %d runs: pass one run to the auc_acc_table query", len(runs))
	}
	rowNames := sortCorruptions(corrs)
	if clean != nil {
		rowNames = append([]string{"clean"}, rowNames...)
	}
	sevList := uniqueSorted(sevs)
	if len(sevList) == 0 {
		sevList = []int{1}
	}
	tf, err := newTypeface()
	if err != nil {
		return nil, err
	}
	p := newPage(o)
	title := o.Title
	if title == "" {
		title = "AUC and accuracy under each corruption and severity"
	}
	lh := tf.lineHeight(p.cellPx)
	cellH := roundInt(float64(lh) * 1.7)
	nameW := 0
	for _, n := range rowNames {
		nameW = max(nameW, tf.width(n, p.cellPx))
	}
	sw := roundInt(p.cellPx * 0.8)
	nameW += sw + p.gap*2
	tableGap := p.gap * 4
	tableW := (p.width - 2*p.margin - tableGap) / 2
	cellW := (tableW - nameW) / len(sevList)
	top := p.margin + tf.lineHeight(p.titlePx) + p.gap + tf.lineHeight(p.notePx) + p.gap*2
	headH := tf.lineHeight(p.headerPx) + p.gap + tf.lineHeight(p.tickPx) + p.gap/2
	height := top + headH + cellH*len(rowNames) + p.gap*2 + p.margin
	img := newCanvas(p.width, height)
	tf.text(img, title, p.width/2, p.margin, p.titlePx, inkColor, alignCenter)
	sub := joinParts(runText(runs[0]), "colour: Viridis over each table's range, dark = low", "clean: no corruption")
	sub, size := tf.fit(sub, p.width-2*p.margin, p.notePx, p.minPx)
	tf.text(img, sub, p.width/2, p.margin+tf.lineHeight(p.titlePx)+p.gap, size, mutedColor, alignCenter)

	out := &Rendered{Image: img}
	for ti, metric := range []string{"AUC", "accuracy"} {
		get := func(c queries.AUCACCRow) float64 {
			if ti == 0 {
				return c.AUC
			}
			return c.ACC
		}
		lo, hi := math.Inf(1), math.Inf(-1)
		for _, c := range cells {
			if v := get(c); finite(v) {
				lo, hi = math.Min(lo, v), math.Max(hi, v)
			}
		}
		left := p.margin + ti*(tableW+tableGap)
		gridLeft := left + nameW
		tf.text(img, metric, gridLeft+cellW*len(sevList)/2, top, p.headerPx, inkColor, alignCenter)
		hy := top + tf.lineHeight(p.headerPx) + p.gap
		for si, s := range sevList {
			tf.text(img, "severity "+strconv.Itoa(s), gridLeft+si*cellW+cellW/2, hy, p.tickPx, mutedColor, alignCenter)
		}
		y := top + headH
		for _, name := range rowNames {
			sy := y + (cellH-sw)/2
			fillRect(img, image.Rect(left, sy, left+sw, sy+sw), CorruptionColor(name))
			tf.text(img, name, left+sw+p.gap, y+(cellH-lh)/2, p.cellPx, inkColor, alignLeft)
			if name == "clean" {
				r := image.Rect(gridLeft, y, gridLeft+cellW*len(sevList), y+cellH)
				heatCell(img, tf, p, r, get(*clean), lo, hi)
				out.Panels = append(out.Panels, r)
			} else {
				for si, s := range sevList {
					r := image.Rect(gridLeft+si*cellW, y, gridLeft+(si+1)*cellW, y+cellH)
					c, ok := byKey[key{name, s}]
					if !ok {
						fillRect(img, r.Inset(1), emptyColor)
						tf.text(img, "—", (r.Min.X+r.Max.X)/2, r.Min.Y+(cellH-lh)/2, p.cellPx, mutedColor, alignCenter)
						out.Empty = append(out.Empty, r)
						continue
					}
					heatCell(img, tf, p, r, get(c), lo, hi)
					out.Panels = append(out.Panels, r)
				}
			}
			y += cellH
		}
	}
	return out, nil
}

// heatCell fills one cell with the colour of v on [lo, hi] and prints v in
// black or white, whichever reads better on that colour.
func heatCell(img *image.RGBA, tf *typeface, p page, r image.Rectangle, v, lo, hi float64) {
	lh := tf.lineHeight(p.cellPx)
	if !finite(v) {
		fillRect(img, r.Inset(1), emptyColor)
		tf.text(img, "n/a", (r.Min.X+r.Max.X)/2, r.Min.Y+(r.Dy()-lh)/2, p.cellPx, mutedColor, alignCenter)
		return
	}
	t := 0.5
	if hi > lo {
		t = (v - lo) / (hi - lo)
	}
	// Keep the darkest and lightest ends of Viridis out so text stays legible.
	c := Viridis(0.1 + 0.85*t)
	fillRect(img, r.Inset(1), c)
	ink := inkColor
	if luminance(c) < 0.5 {
		ink = rgb(0xffffff)
	}
	tf.text(img, strconv.FormatFloat(v, 'f', 3, 64), (r.Min.X+r.Max.X)/2, r.Min.Y+(r.Dy()-lh)/2, p.cellPx, ink, alignCenter)
}

// RiskCoverageCurves draws selective risk against coverage, one line per
// failure score (REFERENCE section 9): lower is better at every coverage.
func RiskCoverageCurves(curves []RiskCoverage, o Options) (*Rendered, error) {
	if len(curves) == 0 {
		return nil, fmt.Errorf("risk-coverage: no curves (were failure scores computed for this run?)")
	}
	rmax := 0.0
	for _, c := range curves {
		if len(c.Coverage) != len(c.Risk) {
			return nil, fmt.Errorf("risk-coverage: score %s: %d coverages but %d risks", c.Score, len(c.Coverage), len(c.Risk))
		}
		if len(c.Coverage) == 0 {
			return nil, fmt.Errorf("risk-coverage: score %s: empty curve", c.Score)
		}
		for i := range c.Risk {
			if !finite(c.Coverage[i], c.Risk[i]) || c.Coverage[i] < 0 || c.Coverage[i] > 1 || c.Risk[i] < 0 || c.Risk[i] > 1 {
				return nil, fmt.Errorf("risk-coverage: score %s point %d: coverage %g, risk %g; both must lie in 0..1", c.Score, i, c.Coverage[i], c.Risk[i])
			}
			rmax = math.Max(rmax, c.Risk[i])
		}
	}
	tf, err := newTypeface()
	if err != nil {
		return nil, err
	}
	p := newPage(o)
	g := grid{
		Title:       o.Title,
		Subtitle:    "images sorted by confidence score; at each coverage, the share of wrong predictions among those kept (lower is better)",
		YTitle:      "selective risk (share wrong, 0–1)",
		XTitle:      "coverage (share of images kept, 0–1)",
		LegendTitle: "score:",
		Aspect:      0.5,
		Rows:        1,
		Cols:        1,
	}
	if g.Title == "" {
		g.Title = "Risk–coverage curves of the failure scores"
	}
	scale := p.tickPx / 21
	var series []chart.Series
	for _, c := range curves {
		series = append(series, lineSeries(c.Score, c.Coverage, c.Risk, ScoreColor(c.Score), 3.5*scale, 0))
		g.Legend = append(g.Legend, legendEntry{Label: c.Score, Color: ScoreColor(c.Score), Kind: swatchLine})
	}
	lay := g.layout(tf, p)
	pr := lay.Panels[0][0]
	xs := xScale(tf, p, 0, 1, pr.Dx())
	ys := yScale(tf, p, 0, rmax, pr.Dy())
	img, err := renderChart(panelChart(tf, p, pr.Dx(), pr.Dy(), xs, ys, series))
	if err != nil {
		return nil, fmt.Errorf("risk-coverage: %w", err)
	}
	out := &Rendered{Panels: []image.Rectangle{pr}, Legend: lay.LegendItems}
	out.Image = g.compose(tf, p, lay, [][]image.Image{{img}})
	return out, nil
}

// metricInfo orders the failure metrics and says which way is better.
func metricInfo(m string) (rank int, higherBetter bool, label string) {
	switch m {
	case "auroc_f":
		return 0, true, "AUROC_f"
	case "aurc":
		return 1, false, "AURC"
	case "eaurc":
		return 2, false, "e-AURC"
	case "augrc":
		return 3, false, "AUGRC"
	case "fpr95":
		return 4, false, "FPR@95TPR"
	case "silent_failure":
		return 5, false, "silent failures"
	}
	return 6, false, m
}

// failureTable arranges failure metric rows as a score × metric table and
// finds the best score per metric.
type failureTable struct {
	Scores, Metrics []string
	Cells           map[[2]string]queries.FailureMetricRow // {score, metric}
	Best            map[string]string                      // metric -> best score
}

func newFailureTable(rows []queries.FailureMetricRow) (*failureTable, error) {
	if len(rows) == 0 {
		return nil, fmt.Errorf("failure metrics: no rows (did the failure_metrics query match a run?)")
	}
	t := &failureTable{Cells: map[[2]string]queries.FailureMetricRow{}, Best: map[string]string{}}
	var runs []runKey
	for _, r := range rows {
		runs = append(runs, runKey{r.Dataset, r.Run})
		k := [2]string{r.Score, r.Metric}
		if _, dup := t.Cells[k]; dup {
			return nil, fmt.Errorf("failure metrics: two rows for score %s, metric %s: filter the query to one run and split", r.Score, r.Metric)
		}
		t.Cells[k] = r
		t.Scores = append(t.Scores, r.Score)
		t.Metrics = append(t.Metrics, r.Metric)
	}
	if runs = sortRunKeys(runs); len(runs) > 1 {
		return nil, fmt.Errorf("failure metrics: rows from %d runs: pass one run to the failure_metrics query", len(runs))
	}
	t.Scores = uniqueSorted(t.Scores)
	slices.SortStableFunc(t.Scores, func(a, b string) int { return scoreRank(a) - scoreRank(b) })
	t.Metrics = uniqueSorted(t.Metrics)
	slices.SortStableFunc(t.Metrics, func(a, b string) int {
		ra, _, _ := metricInfo(a)
		rb, _, _ := metricInfo(b)
		return ra - rb
	})
	for _, m := range t.Metrics {
		_, up, _ := metricInfo(m)
		best, bv := "", math.NaN()
		for _, s := range t.Scores {
			c, ok := t.Cells[[2]string{s, m}]
			if !ok || !finite(c.Value) {
				continue
			}
			if math.IsNaN(bv) || (up && c.Value > bv) || (!up && c.Value < bv) {
				best, bv = s, c.Value
			}
		}
		t.Best[m] = best
	}
	return t, nil
}

// fmtMetric prints three significant figures of v without exponents.
func fmtMetric(v float64) string { return fmtDecimals(v, metricDecimals(v)) }

// metricDecimals is the number of decimals fmtMetric uses for v; interval
// bounds reuse their value's, so "60.0 [45.0, 100.0]" lines up.
func metricDecimals(v float64) int {
	switch a := math.Abs(v); {
	case a >= 100:
		return 0
	case a >= 10:
		return 1
	}
	return 3
}

func fmtDecimals(v float64, dec int) string {
	if !finite(v) {
		return "n/a"
	}
	return strconv.FormatFloat(v, 'f', dec, 64)
}

func (t *failureTable) cellText(score, metric string) (value, interval string) {
	c, ok := t.Cells[[2]string{score, metric}]
	if !ok {
		return "—", ""
	}
	if !finite(c.Lo, c.Hi) {
		return fmtMetric(c.Value), ""
	}
	d := metricDecimals(c.Value)
	return fmtMetric(c.Value), "[" + fmtDecimals(c.Lo, d) + ", " + fmtDecimals(c.Hi, d) + "]"
}

// FailureMetricsTable draws the comparison of failure scores as an image:
// one row per score, one column per metric with its 95 % interval, the
// best score per metric shaded.
func FailureMetricsTable(rows []queries.FailureMetricRow, o Options) (*Rendered, error) {
	t, err := newFailureTable(rows)
	if err != nil {
		return nil, err
	}
	tf, err := newTypeface()
	if err != nil {
		return nil, err
	}
	p := newPage(o)
	title := o.Title
	if title == "" {
		title = "Failure detection: scores compared"
	}
	lh := tf.lineHeight(p.cellPx)
	small := tf.lineHeight(p.tickPx)
	cellH := lh + small + p.gap
	nameW := 0
	for _, s := range t.Scores {
		nameW = max(nameW, tf.width(s, p.cellPx))
	}
	nameW += 2 * p.gap
	cellW := (p.width - 2*p.margin - nameW) / len(t.Metrics)
	top := p.margin + tf.lineHeight(p.titlePx) + p.gap + tf.lineHeight(p.notePx) + p.gap*2
	headH := tf.lineHeight(p.headerPx) + small + p.gap
	height := top + headH + cellH*len(t.Scores) + p.gap + p.margin
	img := newCanvas(p.width, height)
	tf.text(img, title, p.width/2, p.margin, p.titlePx, inkColor, alignCenter)
	r0 := rows[0]
	sub := joinParts(runText(runKey{r0.Dataset, r0.Run}), fmt.Sprintf("n = %d test images", r0.N), "value [bootstrap 95 % interval]", "shaded: best score per metric")
	sub, size := tf.fit(sub, p.width-2*p.margin, p.notePx, p.minPx)
	tf.text(img, sub, p.width/2, p.margin+tf.lineHeight(p.titlePx)+p.gap, size, mutedColor, alignCenter)
	left := p.margin + nameW
	out := &Rendered{Image: img}
	for mi, m := range t.Metrics {
		_, up, label := metricInfo(m)
		cx := left + mi*cellW + cellW/2
		tf.text(img, label, cx, top, p.headerPx, inkColor, alignCenter)
		dir := "lower is better"
		if up {
			dir = "higher is better"
		}
		tf.text(img, dir, cx, top+tf.lineHeight(p.headerPx), p.tickPx, mutedColor, alignCenter)
	}
	y := top + headH
	fillRect(img, image.Rect(p.margin, y-2, p.width-p.margin, y), mutedColor)
	for si, s := range t.Scores {
		if si%2 == 1 {
			fillRect(img, image.Rect(p.margin, y, p.width-p.margin, y+cellH), rgb(0xf7f7f7))
		}
		tf.text(img, s, p.margin+p.gap, y+(cellH-lh)/2, p.cellPx, inkColor, alignLeft)
		for mi, m := range t.Metrics {
			r := image.Rect(left+mi*cellW, y, left+(mi+1)*cellW, y+cellH)
			if t.Best[m] == s {
				fillRect(img, r.Inset(2), rgb(0xd9f0d3))
			}
			v, ci := t.cellText(s, m)
			ty := y + (cellH-lh-small)/2
			tf.text(img, v, (r.Min.X+r.Max.X)/2, ty, p.cellPx, inkColor, alignCenter)
			if ci != "" {
				tf.text(img, ci, (r.Min.X+r.Max.X)/2, ty+lh, p.tickPx, mutedColor, alignCenter)
			}
			out.Panels = append(out.Panels, r)
		}
		y += cellH
	}
	fillRect(img, image.Rect(p.margin, y, p.width-p.margin, y+2), mutedColor)
	return out, nil
}

// scoreRank puts the confidence baselines first, in the order REFERENCE
// section 10 lists them, then the feature distances, then the fingerprint
// scores; other scores follow.
func scoreRank(s string) int {
	order := []string{"msp", "temp_msp", "max_logit", "energy", "entropy", "doctor", "margin",
		"mahalanobis", "knn", "gradnorm", "flips", "fp_distance", "detector", "detector_msp", "sirc", "degradation"}
	if i := slices.Index(order, s); i >= 0 {
		return i
	}
	return 100
}
