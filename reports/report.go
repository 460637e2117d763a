package reports

import (
	"errors"
	"fmt"
	"github.com/gradprint/gradprint/queries"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"sync"
)

// Answer types of the named queries a report draws.
type (
	LayerProfileAnswer      = queries.Answer[queries.LayerProfileParams, queries.LayerProfileRow]
	BoxesAnswer             = queries.Answer[queries.RMSEBoxesParams, queries.RMSEBoxRow]
	SaliencyGridAnswer      = queries.Answer[queries.SaliencyGridParams, queries.SaliencyGridRow]
	TrainingAnswer          = queries.Answer[queries.TrainingCurvesParams, queries.TrainingCurveRow]
	AUCACCAnswer            = queries.Answer[queries.AUCACCParams, queries.AUCACCRow]
	RiskCoverageAnswer      = queries.Answer[queries.RiskCoverageParams, queries.RiskCoverageRow]
	FailureMetricsAnswer    = queries.Answer[queries.FailureMetricsParams, queries.FailureMetricRow]
	FailureBySeverityAnswer = queries.Answer[queries.FailureBySeverityParams, queries.FailureBySeverityRow]
	SilentFailuresAnswer    = queries.Answer[queries.SettingParams, queries.SilentFailureRow]
	DegradedInputAnswer     = queries.Answer[queries.DegradedInputParams, queries.DegradedInputRow]
	RiskGuaranteeAnswer     = queries.Answer[queries.SettingParams, queries.RiskGuaranteeRow]
	RunComparisonAnswer     = queries.Answer[queries.RunComparisonParams, queries.RunComparisonRow]
)

// ReportInput holds the answers of the named queries a report draws. Each
// figure is drawn from one answer, and its title, caption and rerun
// command come from that answer's query and parameter values. An answer
// without rows skips its figures; a report needs at least one.
type ReportInput struct {
	// LayerProfiles has one answer per figure, each with a severity and a
	// selection set, in the order the figures appear.
	LayerProfiles  []LayerProfileAnswer
	Boxes          BoxesAnswer
	Montage        SaliencyGridAnswer // one image, every severity (Severity unset)
	Grid           SaliencyGridAnswer // the same image at one severity
	Training       TrainingAnswer
	Metrics        AUCACCAnswer
	RiskCoverage   RiskCoverageAnswer
	FailureMetrics FailureMetricsAnswer
	// The failure study against severity: one metric and regime each (the
	// queries' defaults), drawn per corruption.
	FailureBySeverity FailureBySeverityAnswer
	SilentFailures    SilentFailuresAnswer
	DegradedInputs    DegradedInputAnswer
	// Guarantees is one regime's risk guarantee; the index shows its rows
	// pooled over severities.
	Guarantees RiskGuaranteeAnswer
	// Comparison puts this analyze run beside another (report --compare);
	// its layer figure is drawn at ComparisonSeverity.
	Comparison         RunComparisonAnswer
	ComparisonSeverity int
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

func plan(in ReportInput, o Options) ([]job, []Table, error) {
	var jobs []job
	for _, a := range in.LayerProfiles {
		j, err := layerProfileJob(a, o)
		if err != nil {
			return nil, nil, err
		}
		jobs = append(jobs, j...)
	}
	jobs = append(jobs, boxJobs(in.Boxes, o)...)
	maps, err := mapJobs(in.Montage, in.Grid, o)
	if err != nil {
		return nil, nil, err
	}
	jobs = append(jobs, maps...)
	if len(in.Training.Rows) > 0 {
		jobs = append(jobs, job{Figure{"training_curves.png", "Training curves",
			"Training and validation loss, validation AUC and accuracy per epoch; the dashed line marks the kept epoch.",
			[]queries.Ref{in.Training.Ref()}},
			func() (*Rendered, error) { return TrainingCurves(in.Training.Rows, o) }})
	}
	if len(in.Metrics.Rows) > 0 {
		jobs = append(jobs, job{Figure{"auc_acc_heatmap.png", "AUC and accuracy by corruption and severity",
			"Test AUC and accuracy of the clean split and each corrupted copy.",
			[]queries.Ref{in.Metrics.Ref()}},
			func() (*Rendered, error) { return MetricHeatmap(in.Metrics.Rows, o) }})
	}
	failure, tables, err := failureJobs(in.FailureMetrics, in.RiskCoverage, o)
	if err != nil {
		return nil, nil, err
	}
	jobs = append(jobs, failure...)
	jobs = append(jobs, severityJobs(in, o)...)
	jobs = append(jobs, comparisonJobs(in.Comparison, in.ComparisonSeverity, o)...)
	guarantees, err := guaranteeTables(in.Guarantees)
	if err != nil {
		return nil, nil, err
	}
	return jobs, append(tables, guarantees...), nil
}

// severityJobs are the failure study's figures against severity, each
// titled with the metric and regime its answer asked for (or, when the
// parameter was left open, the one its rows hold); an answer without rows
// skips its figure.
func severityJobs(in ReportInput, o Options) []job {
	fb, sf, di := in.FailureBySeverity, in.SilentFailures, in.DegradedInputs
	metric := paramText(fb.Params.Metric, column(fb.Rows, func(r queries.FailureBySeverityRow) string { return r.Metric }))
	label, _, _ := failureMetricAxis(metric)
	fbRegime := paramText(fb.Params.Regime, column(fb.Rows, func(r queries.FailureBySeverityRow) string { return r.Regime }))
	sfRegime := paramText(sf.Params.Regime, column(sf.Rows, func(r queries.SilentFailureRow) string { return r.Regime }))
	diRegime := paramText(di.Params.Regime, column(di.Rows, func(r queries.DegradedInputRow) string { return r.Regime }))
	figs := []struct {
		rows   int
		fig    Figure
		render func() (*Rendered, error)
	}{
		{len(fb.Rows), Figure{"failure_by_severity.png", failureBySeverityTitle(metric, fbRegime),
			label + " of each failure score against corruption severity, one panel per corruption; severity 0 is the clean test split. Scores that rank the images identically share a line; bands are bootstrap 95 % intervals." + regimeText(fbRegime),
			[]queries.Ref{fb.Ref()}},
			func() (*Rendered, error) { return FailureBySeverity(fb.Rows, o) }},
		{len(sf.Rows), Figure{"silent_failures.png", silentFailuresTitle(sfRegime),
			"Share of test images wrong yet accepted by each score's flag at the default coverage (threshold calibrated on clean validation), one panel per corruption against severity; clean is the i.i.d. test split. The dashed grey line is the error rate, the silent failures of accepting every image; bands are bootstrap 95 % intervals." + regimeText(sfRegime),
			[]queries.Ref{sf.Ref()}},
			func() (*Rendered, error) { return SilentFailures(sf.Rows, o) }},
		{len(di.Rows), Figure{"degraded_inputs.png", degradedInputsTitle(diRegime),
			"AUROC of each score telling clean test images (positive) from their corrupted copies, one panel per corruption against severity, with bootstrap 95 % intervals; dashed lines at 0.5 (blind) and 0.9." + regimeText(diRegime),
			[]queries.Ref{di.Ref()}},
			func() (*Rendered, error) { return DegradedInputs(di.Rows, o) }},
	}
	var jobs []job
	for _, f := range figs {
		if f.rows > 0 {
			jobs = append(jobs, job{f.fig, f.render})
		}
	}
	return jobs
}

// comparisonJobs are the two figures of a run comparison, or none without
// rows.
func comparisonJobs(c RunComparisonAnswer, severity int, o Options) []job {
	if len(c.Rows) == 0 {
		return nil
	}
	return []job{
		{Figure{"run_comparison_delta_auc.png", "AUC drop, two models side by side",
			"AUC of the clean test split minus AUC of each corrupted copy for analyze run a and run b (for example a plain model and one trained with corruption augmentation: the thesis's Figures 3.1 and 3.2), one panel per corruption against severity.",
			[]queries.Ref{c.Ref()}},
			func() (*Rendered, error) { return RunComparisonDeltaAUC(c.Rows, o) }},
		{Figure{"run_comparison_layers.png", fmt.Sprintf("Saliency change by layer, two models side by side (severity %d)", severity),
			fmt.Sprintf("Mean saliency RMSE over all test images per layer at severity %d, a row of panels per analyze run and a column per corruption, each panel titled with its AUC drop (the thesis's Figures 3.3 and 3.4).", severity),
			[]queries.Ref{c.Ref()}},
			func() (*Rendered, error) { return RunComparisonLayers(c.Rows, severity, o) }},
	}
}

// column is one string column of rows.
func column[R any](rows []R, get func(R) string) []string {
	out := make([]string, len(rows))
	for i, r := range rows {
		out[i] = get(r)
	}
	return out
}

// guaranteeTables is the risk-guarantee table, or none without rows.
func guaranteeTables(a RiskGuaranteeAnswer) ([]Table, error) {
	if len(a.Rows) == 0 {
		return nil, nil
	}
	html, err := GuaranteesHTML(a.Rows)
	if err != nil {
		return nil, fmt.Errorf("report: %w", err)
	}
	regime := paramText(a.Params.Regime, column(a.Rows, func(r queries.RiskGuaranteeRow) string { return r.Regime }))
	title := withRegime("Risk guarantee: promised on clean validation, delivered on test", regime)
	return []Table{{Title: title,
		Caption: "For each score, the selective-risk threshold chosen on clean validation for the target risk (bound: the risk guaranteed there at confidence 1 − δ, n/a when no threshold reaches the target) and the risk and coverage it gives on each test setting, pooled over severities. holds is false where the test risk exceeds the target.",
		Queries: []queries.Ref{a.Ref()}, HTML: html}}, nil
}

// paramText is a string parameter as the answer set it, else the one
// value its rows hold in that column; "" when neither says.
func paramText(p queries.Opt[string], vals []string) string {
	if v, ok := p.Get(); ok && v != "" {
		return v
	}
	if u := uniqueSorted(vals); len(u) == 1 {
		return u[0]
	}
	return ""
}

// regimeText is the sentence a caption ends with to explain a regime,
// with its leading space; "" for none.
func regimeText(regime string) string {
	switch regime {
	case "unseen":
		return " Unseen regime: learned scores were fitted without the corruption they are tested on."
	case "seen":
		return " Seen regime: learned scores were fitted with every corruption, the tested one included."
	case "":
		return ""
	}
	return " Regime " + regime + "."
}

// layerProfileJob is the figure of one layer_profile answer, which names
// its severity and selection.
func layerProfileJob(a LayerProfileAnswer, o Options) ([]job, error) {
	if len(a.Rows) == 0 {
		return nil, nil
	}
	sev, ok := a.Params.Severity.Get()
	sel, ok2 := a.Params.Selection.Get()
	if !ok || !ok2 {
		return nil, fmt.Errorf("report: a layer profile answer needs its severity and selection set (got %s)", a.Ref().Command())
	}
	opt := LayerProfileOptions{Options: o, Severity: sev, Selection: sel}
	return []job{{
		fig: Figure{
			File:    fmt.Sprintf("layer_profile_s%d_%s.png", sev, sel),
			Title:   fmt.Sprintf("Layer profile, severity %d, %s images", sev, sel),
			Caption: "Mean saliency RMSE (0–255) between the clean and the corrupted image's map, per class, at each layer in depth order (thesis Figure 3.1); panel titles give the run's AUC drop. " + selectionText(sel) + ".",
			Queries: []queries.Ref{a.Ref()},
		},
		render: func() (*Rendered, error) { return LayerProfile(a.Rows, opt) },
	}}, nil
}

func boxJobs(a BoxesAnswer, o Options) []job {
	if len(a.Rows) == 0 {
		return nil
	}
	q := []queries.Ref{a.Ref()}
	return []job{
		{Figure{"delta_auc_boxes_by_severity.png", "AUC drop against saliency change, by severity",
			"Per severity (rows) and layer (columns), one horizontal box of per-image RMSE per class and corruption (colour), placed at the class's one-vs-rest AUC drop (thesis Figures 3.3–3.11). Whiskers 5–95 %, box 25–75 %, tick at the median.", q},
			func() (*Rendered, error) { return DeltaAUCBoxes(a.Rows, DeltaAUCOptions{Options: o}) }},
		{Figure{"delta_auc_boxes_by_corruption.png", "AUC drop against saliency change, by corruption",
			"As above with rows = corruption and colour = severity.", q},
			func() (*Rendered, error) {
				return DeltaAUCBoxes(a.Rows, DeltaAUCOptions{Options: o, Rows: RowsByCorruption})
			}},
		{Figure{"delta_auc_scatter.png", "AUC drop against mean saliency change",
			"One point per class and corruption at its mean per-image RMSE, by severity and layer.", q},
			func() (*Rendered, error) { return DeltaAUCScatter(a.Rows, DeltaAUCOptions{Options: o}) }},
	}
}

// mapJobs are the montage (every severity of one image) and the saliency
// grid (that image at the grid answer's severity).
func mapJobs(montage, grid SaliencyGridAnswer, o Options) ([]job, error) {
	var jobs []job
	if len(montage.Rows) > 0 {
		jobs = append(jobs, job{Figure{"montage.png", "Corruptions by severity",
			"One test image under each corruption (columns) at each severity (rows) (thesis Figure 2.3).",
			[]queries.Ref{montage.Ref()}},
			func() (*Rendered, error) { return Montage(montageFromMaps(montage.Rows), MontageOptions{Options: o}) }})
	}
	if len(grid.Rows) > 0 {
		sev, ok := grid.Params.Severity.Get()
		if !ok {
			return nil, fmt.Errorf("report: the saliency grid answer needs its severity set (got %s)", grid.Ref().Command())
		}
		jobs = append(jobs, job{Figure{fmt.Sprintf("saliency_grid_s%d.png", sev), fmt.Sprintf("Saliency maps by layer, severity %d", sev),
			"The stored saliency map of each layer over the clean and each corrupted copy of one test image, with the prediction and its confidence per row (thesis Figure 2.6).",
			[]queries.Ref{grid.Ref()}},
			func() (*Rendered, error) { return SaliencyGrid(grid.Rows, SaliencyOptions{Options: o, Severity: sev}) }})
	}
	return jobs, nil
}

// failureJobs are the risk-coverage curves, the failure-metric table as a
// figure, and the same table in HTML.
func failureJobs(fm FailureMetricsAnswer, rc RiskCoverageAnswer, o Options) ([]job, []Table, error) {
	if len(fm.Rows) == 0 {
		if len(rc.Rows) > 0 {
			return nil, nil, fmt.Errorf("report: risk-coverage curves without failure metrics: the curves need the metrics' run to be named")
		}
		return nil, nil, nil
	}
	var jobs []job
	q := []queries.Ref{fm.Ref()}
	if len(rc.Rows) > 0 {
		curves := RiskCurves(rc.Rows)
		jobs = append(jobs, job{Figure{"risk_coverage.png", "Risk–coverage curves",
			"Selective risk against coverage for each failure score; lower is better. AURC is the area under each curve.",
			[]queries.Ref{rc.Ref()}},
			func() (*Rendered, error) { return RiskCoverageCurves(curves, o) }})
	}
	jobs = append(jobs, job{Figure{"failure_metrics.png", "Failure scores compared",
		"AUROC_f, AURC, e-AURC, AUGRC and FPR@95TPR of each score with bootstrap 95 % intervals; the best score per metric is shaded.", q},
		func() (*Rendered, error) { return FailureMetricsTable(fm.Rows, o) }})
	html, err := FailureMetricsHTML(fm.Rows)
	if err != nil {
		return nil, nil, err
	}
	return jobs, []Table{{Title: "Failure scores compared", Caption: "Value with bootstrap 95 % interval; bold: best score per metric.", Queries: q, HTML: html}}, nil
}

// RiskCurves groups risk_coverage rows into one curve per score, in the
// order the scores first appear.
func RiskCurves(rows []queries.RiskCoverageRow) []RiskCoverage {
	var out []RiskCoverage
	pos := map[string]int{}
	for _, r := range rows {
		i, ok := pos[r.Score]
		if !ok {
			i = len(out)
			pos[r.Score] = i
			out = append(out, RiskCoverage{Score: r.Score})
		}
		out[i].Coverage = append(out[i].Coverage, r.Coverage)
		out[i].Risk = append(out[i].Risk, r.Risk)
	}
	return out
}

// montageFromMaps takes the input images of the stored maps (one per
// variant; every layer carries the same image) for the montage.
func montageFromMaps(cells []queries.SaliencyGridRow) []MontageImage {
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
