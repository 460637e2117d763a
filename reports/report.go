package reports

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
)

// ReportInput holds the rows of every named query a report draws. Empty
// fields skip their figures; a report needs at least one.
type ReportInput struct {
	LayerProfile   []LayerProfileRow  // layer_profile
	Boxes          []RMSEBoxRow       // rmse_boxes
	Maps           []MapCell          // saliency_grid, one image, every severity
	MapSeverity    int                // severity of the saliency grid; 0 means 3
	Training       []TrainingRow      // training_curves
	Metrics        []MetricCell       // auc_acc_table
	RiskCoverage   []RiskCoverage     // risk-coverage points per score
	FailureMetrics []FailureMetricRow // failure_metrics
}

// job renders one figure.
type job struct {
	fig    Figure
	render func() (*Rendered, error)
}

// WriteReport renders every figure the input allows into dir, then writes
// index.html last, so an interrupted or failed report never leaves an
// index that looks complete. Figures render on all cores; each figure
// builds its own fonts, so they share nothing.
func WriteReport(dir string, in ReportInput, o Options) ([]Figure, error) {
	// Each figure has its own title; a shared one would label all alike.
	o.Title = ""
	// An index from an earlier report would look complete over a mix of
	// old and new figures if this one fails, so it goes first.
	if err := os.Remove(filepath.Join(dir, "index.html")); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("report: remove the previous index: %w", err)
	}
	jobs, tables, err := plan(in, o)
	if err != nil {
		return nil, err
	}
	if len(jobs) == 0 && len(tables) == 0 {
		return nil, fmt.Errorf("report: the input holds no rows for any figure (is the run complete? try `gradprint query runs`)")
	}
	errs := make([]error, len(jobs))
	sem := make(chan struct{}, runtime.GOMAXPROCS(0))
	var wg sync.WaitGroup
	for i, j := range jobs {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			f, err := j.render()
			if err == nil {
				err = WritePNG(filepath.Join(dir, j.fig.File), f.Image)
			}
			if err != nil {
				errs[i] = fmt.Errorf("report figure %s: %w", j.fig.File, err)
			}
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}
	figs := make([]Figure, len(jobs))
	for i, j := range jobs {
		figs[i] = j.fig
	}
	if err := WriteIndex(dir, figs, tables...); err != nil {
		return nil, err
	}
	return figs, nil
}

// runParams are the query parameters that select the rows a figure drew:
// the run, and the split and method when the rows name them (a query's
// default might differ from what was drawn).
func runParams(dataset, run string, more ...string) map[string]string {
	m := map[string]string{"dataset": dataset, "run": run}
	for i := 0; i+1 < len(more); i += 2 {
		if more[i+1] != "" {
			m[more[i]] = more[i+1]
		}
	}
	return m
}

func withParam(m map[string]string, k, v string) map[string]string {
	out := map[string]string{k: v}
	for kk, vv := range m {
		out[kk] = vv
	}
	return out
}

func plan(in ReportInput, o Options) ([]job, []Table, error) {
	var jobs []job
	if len(in.LayerProfile) > 0 {
		r0 := in.LayerProfile[0]
		type sk struct {
			sev int
			sel string
		}
		seen := map[sk]bool{}
		var keys []sk
		for _, r := range in.LayerProfile {
			k := sk{r.Severity, r.Selection}
			if !seen[k] {
				seen[k] = true
				keys = append(keys, k)
			}
		}
		selRank := func(s string) int {
			if i := slices.Index([]string{"all", "correct", "incorrect"}, s); i >= 0 {
				return i
			}
			return 3
		}
		slices.SortFunc(keys, func(a, b sk) int {
			if a.sev != b.sev {
				return a.sev - b.sev
			}
			if d := selRank(a.sel) - selRank(b.sel); d != 0 {
				return d
			}
			return strings.Compare(a.sel, b.sel)
		})
		for _, k := range keys {
			opt := LayerProfileOptions{Options: o, Severity: k.sev, Selection: k.sel}
			jobs = append(jobs, job{
				fig: Figure{
					File:    fmt.Sprintf("layer_profile_s%d_%s.png", k.sev, k.sel),
					Title:   fmt.Sprintf("Layer profile, severity %d, %s images", k.sev, k.sel),
					Caption: "Mean saliency RMSE (0–255) between the clean and the corrupted image's map, per class, at each layer in depth order (thesis Figure 3.1); panel titles give the run's AUC drop. " + selectionText(k.sel) + ".",
					Queries: []QueryRef{{"layer_profile", withParam(runParams(r0.Dataset, r0.Run, "split", r0.Split, "method", r0.Method), "selection", k.sel)}},
				},
				render: func() (*Rendered, error) { return LayerProfile(in.LayerProfile, opt) },
			})
		}
	}
	if len(in.Boxes) > 0 {
		r0 := in.Boxes[0]
		q := []QueryRef{{"rmse_boxes", runParams(r0.Dataset, r0.Run, "split", r0.Split, "method", r0.Method)}}
		jobs = append(jobs,
			job{Figure{"delta_auc_boxes_by_severity.png", "AUC drop against saliency change, by severity",
				"Per severity (rows) and layer (columns), one horizontal box of per-image RMSE per class and corruption (colour), placed at the class's one-vs-rest AUC drop (thesis Figures 3.3–3.11). Whiskers 5–95 %, box 25–75 %, tick at the median.", q},
				func() (*Rendered, error) { return DeltaAUCBoxes(in.Boxes, DeltaAUCOptions{Options: o}) }},
			job{Figure{"delta_auc_boxes_by_corruption.png", "AUC drop against saliency change, by corruption",
				"As above with rows = corruption and colour = severity.", q},
				func() (*Rendered, error) {
					return DeltaAUCBoxes(in.Boxes, DeltaAUCOptions{Options: o, Rows: RowsByCorruption})
				}},
			job{Figure{"delta_auc_scatter.png", "AUC drop against mean saliency change",
				"One point per class and corruption at its mean per-image RMSE, by severity and layer.", q},
				func() (*Rendered, error) { return DeltaAUCScatter(in.Boxes, DeltaAUCOptions{Options: o}) }},
		)
	}
	if len(in.Maps) > 0 {
		m0 := in.Maps[0]
		sev := in.MapSeverity
		if sev == 0 {
			sev = 3
		}
		params := withParam(runParams(m0.Dataset, m0.Run, "split", m0.Split, "method", m0.Method), "image_id", strconv.Itoa(m0.ImageID))
		jobs = append(jobs,
			job{Figure{"montage.png", "Corruptions by severity",
				"One test image under each corruption (columns) at each severity (rows) (thesis Figure 2.3).",
				[]QueryRef{{"saliency_grid", withParam(params, "severity", "")}}},
				func() (*Rendered, error) { return Montage(montageFromMaps(in.Maps), MontageOptions{Options: o}) }},
			job{Figure{fmt.Sprintf("saliency_grid_s%d.png", sev), fmt.Sprintf("Saliency maps by layer, severity %d", sev),
				"The stored saliency map of each layer over the clean and each corrupted copy of one test image, with the prediction and its confidence per row (thesis Figure 2.6).",
				[]QueryRef{{"saliency_grid", withParam(params, "severity", strconv.Itoa(sev))}}},
				func() (*Rendered, error) { return SaliencyGrid(in.Maps, SaliencyOptions{Options: o, Severity: sev}) }},
		)
	}
	if len(in.Training) > 0 {
		r0 := in.Training[0]
		jobs = append(jobs, job{Figure{"training_curves.png", "Training curves",
			"Training and validation loss, validation AUC and accuracy per epoch; the dashed line marks the kept epoch.",
			[]QueryRef{{"training_curves", runParams(r0.Dataset, r0.Run)}}},
			func() (*Rendered, error) { return TrainingCurves(in.Training, o) }})
	}
	if len(in.Metrics) > 0 {
		r0 := in.Metrics[0]
		jobs = append(jobs, job{Figure{"auc_acc_heatmap.png", "AUC and accuracy by corruption and severity",
			"Test AUC and accuracy of the clean split and each corrupted copy.",
			[]QueryRef{{"auc_acc_table", runParams(r0.Dataset, r0.Run)}}},
			func() (*Rendered, error) { return MetricHeatmap(in.Metrics, o) }})
	}
	var tables []Table
	if len(in.FailureMetrics) > 0 {
		r0 := in.FailureMetrics[0]
		q := []QueryRef{{"failure_metrics", runParams(r0.Dataset, r0.Run)}}
		if len(in.RiskCoverage) > 0 {
			jobs = append(jobs, job{Figure{"risk_coverage.png", "Risk–coverage curves",
				"Selective risk against coverage for each failure score; lower is better. AURC is the area under each curve.",
				[]QueryRef{{"risk_coverage", runParams(r0.Dataset, r0.Run)}}},
				func() (*Rendered, error) { return RiskCoverageCurves(in.RiskCoverage, o) }})
		}
		jobs = append(jobs, job{Figure{"failure_metrics.png", "Failure scores compared",
			"AUROC_f, AURC, e-AURC, AUGRC and FPR@95TPR of each score with bootstrap 95 % intervals; the best score per metric is shaded.", q},
			func() (*Rendered, error) { return FailureMetricsTable(in.FailureMetrics, o) }})
		html, err := FailureMetricsHTML(in.FailureMetrics)
		if err != nil {
			return nil, nil, err
		}
		tables = append(tables, Table{Title: "Failure scores compared", Caption: "Value with bootstrap 95 % interval; bold: best score per metric.", Queries: q, HTML: html})
	} else if len(in.RiskCoverage) > 0 {
		return nil, nil, fmt.Errorf("report: risk-coverage curves without failure metrics: the curves need the metrics' run to be named")
	}
	return jobs, tables, nil
}

// montageFromMaps takes the input images of the stored maps (one per
// variant; every layer carries the same image) for the montage.
func montageFromMaps(cells []MapCell) []MontageImage {
	type key struct {
		corr string
		sev  int
	}
	seen := map[key]bool{}
	var out []MontageImage
	for _, c := range cells {
		k := key{c.Corruption, c.Severity}
		if c.Corruption == "clean" {
			k.sev = 0
		}
		if seen[k] {
			continue
		}
		seen[k] = true
		out = append(out, MontageImage{Corruption: c.Corruption, Severity: k.sev, Pixels: c.Image, H: c.H, W: c.W, C: c.C})
	}
	return out
}
