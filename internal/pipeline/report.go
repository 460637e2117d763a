package pipeline

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"slices"

	"github.com/gradprint/gradprint/ingest"
	"github.com/gradprint/gradprint/queries"
	"github.com/gradprint/gradprint/reports"
	"github.com/gradprint/gradprint/warehouse"
	"github.com/gradprint/gradprint/warehouse/rows"
)

// ReportOptions configure Report. An empty Run takes the newest complete
// analyze run (of Dataset, when given); an empty Dir writes <out>/report;
// a negative ImageID takes the first stored image.
type ReportOptions struct {
	Dataset  string
	Run      string
	Dir      string
	Method   string
	Severity int // severity of the saliency grid; one the run lacks falls back to the middle one stored
	ImageID  int
	Width    int // figure width in pixels, MinReportPx to MaxReportPx
	// Compare, an analyze run id, adds the run comparison: this run as a,
	// Compare as b.
	Compare string
}

// DefaultReportOptions draws Grad-CAM++, and the saliency grid at the
// severity saliency_grid.sql declares as its default.
func DefaultReportOptions() ReportOptions {
	p := queries.SaliencyGrid().Defaults()
	sev, _ := p.Severity.Get()
	method, _ := p.Method.Get()
	return ReportOptions{Method: method, Severity: sev, ImageID: -1, Width: reports.DefaultWidth}
}

// ReportResult says what Report wrote.
type ReportResult struct {
	AnalyzeRun, Dataset, Index string
	Figures                    int
}

func (*ReportResult) StepName() string { return "report" }

// Report runs the named queries over the warehouse and draws the figures
// and index.html of one analyze run, with its training curves and failure
// comparison when those runs exist. It reads only the warehouse.
func Report(ctx context.Context, e Env, o ReportOptions) (*ReportResult, error) {
	if err := o.validate(); err != nil {
		return nil, err
	}
	wh, err := e.openWarehouse()
	if err != nil {
		return nil, err
	}
	an, err := wh.Latest(warehouse.RunQuery{Kind: "analyze", Dataset: o.Dataset, RunID: o.Run})
	if errors.Is(err, warehouse.ErrNoRun) {
		which := ""
		if o.Run != "" {
			which = " " + o.Run
		}
		return nil, fmt.Errorf("no complete analyze run%s in %s: run `gradprint analyze` first", which, wh.Root())
	}
	if err != nil {
		return nil, err
	}
	if err := checkLineage(wh, an); err != nil {
		return nil, err
	}
	db, err := queries.Open(ctx, wh.Root(), warehouse.DBOptions{})
	if err != nil {
		return nil, err
	}
	defer db.Close()
	in, err := reportInput(ctx, db, wh, an, o)
	if err != nil {
		return nil, err
	}
	dir := o.Dir
	if dir == "" {
		dir = filepath.Join(e.Out, "report")
	}
	figs, err := reports.WriteReport(dir, in, reports.Options{Width: o.Width})
	if err != nil {
		return nil, err
	}
	return &ReportResult{AnalyzeRun: an.RunID, Dataset: an.Dataset, Index: filepath.Join(dir, "index.html"), Figures: len(figs)}, nil
}

// reportInput asks every named query a report draws, each with the
// parameter values its figure is captioned with.
func reportInput(ctx context.Context, db *warehouse.DB, wh *warehouse.Warehouse, an rows.RunMeta, o ReportOptions) (reports.ReportInput, error) {
	var in reports.ReportInput
	ds, run := queries.Some(an.Dataset), queries.Some(an.RunID)
	cfg, err := decodeConfig[AnalyzeConfig](an)
	if err != nil {
		return in, err
	}
	for _, sev := range slices.Sorted(slices.Values(cfg.Severities)) {
		for _, sel := range []ingest.SelectMode{ingest.SelectAll, ingest.SelectCorrect, ingest.SelectIncorrect} {
			p := queries.LayerProfile().Defaults()
			p.Dataset, p.Run, p.Method, p.Severity, p.Selection = ds, run, queries.Some(o.Method), queries.Some(sev), queries.Some(string(sel))
			a, err := queries.LayerProfile().Run(ctx, db, p)
			if err != nil {
				return in, err
			}
			in.LayerProfiles = append(in.LayerProfiles, a)
		}
	}
	bp := queries.RMSEBoxes().Defaults()
	bp.Dataset, bp.Run, bp.Method = ds, run, queries.Some(o.Method)
	if in.Boxes, err = queries.RMSEBoxes().Run(ctx, db, bp); err != nil {
		return in, err
	}
	mp := queries.AUCACCTable().Defaults()
	mp.Dataset, mp.Run = ds, run
	if in.Metrics, err = queries.AUCACCTable().Run(ctx, db, mp); err != nil {
		return in, err
	}
	if in.Montage, in.Grid, err = mapAnswers(ctx, db, an, o); err != nil {
		return in, err
	}
	if tr, err := wh.Parent(an); err == nil && tr.Kind == "train" {
		tp := queries.TrainingCurvesParams{Dataset: queries.Some(tr.Dataset), Run: queries.Some(tr.RunID)}
		if in.Training, err = queries.TrainingCurves().Run(ctx, db, tp); err != nil {
			return in, err
		}
	}
	if err := comparisonAnswer(ctx, db, wh, an, o, &in); err != nil {
		return in, err
	}
	fl, err := failureRunOf(wh, an)
	if errors.Is(err, warehouse.ErrNoRun) {
		return in, nil
	}
	if err != nil {
		return in, err
	}
	return in, failureAnswers(ctx, db, fl, &in)
}

// comparisonAnswer asks run_comparison of the analyze run against
// o.Compare, which must be another complete analyze run.
func comparisonAnswer(ctx context.Context, db *warehouse.DB, wh *warehouse.Warehouse, an rows.RunMeta, o ReportOptions, in *reports.ReportInput) error {
	if o.Compare == "" {
		return nil
	}
	other, err := wh.Run(o.Compare)
	if err != nil {
		return fmt.Errorf("--compare %s: %w", o.Compare, err)
	}
	if other.Kind != "analyze" || other.Status != rows.StatusComplete {
		return fmt.Errorf("--compare %s: a %s %s run; want a complete analyze run", o.Compare, other.Status, other.Kind)
	}
	if other.RunID == an.RunID {
		return fmt.Errorf("--compare %s: the run the report is of; want another analyze run", o.Compare)
	}
	p := queries.RunComparison().Defaults()
	p.RunA, p.RunB, p.Method = queries.Some(an.RunID), queries.Some(other.RunID), queries.Some(o.Method)
	if in.Comparison, err = queries.RunComparison().Run(ctx, db, p); err != nil {
		return err
	}
	in.ComparisonSeverity = o.Severity
	return nil
}

// failureAnswers asks the failure study's queries of failure run fl.
func failureAnswers(ctx context.Context, db *warehouse.DB, fl rows.RunMeta, in *reports.ReportInput) error {
	ds, run := queries.Some(fl.Dataset), queries.Some(fl.RunID)
	var err error
	fp := queries.FailureMetrics().Defaults()
	fp.Dataset, fp.Run = ds, run
	if in.FailureMetrics, err = queries.FailureMetrics().Run(ctx, db, fp); err != nil {
		return err
	}
	rp := queries.RiskCoverage().Defaults()
	rp.Dataset, rp.Run = ds, run
	if in.RiskCoverage, err = queries.RiskCoverage().Run(ctx, db, rp); err != nil {
		return err
	}
	bp := queries.FailureBySeverity().Defaults()
	bp.Dataset, bp.Run = ds, run
	if in.FailureBySeverity, err = queries.FailureBySeverity().Run(ctx, db, bp); err != nil {
		return err
	}
	sp := queries.SilentFailures().Defaults()
	sp.Dataset, sp.Run = ds, run
	if in.SilentFailures, err = queries.SilentFailures().Run(ctx, db, sp); err != nil {
		return err
	}
	dp := queries.DegradedInputDetection().Defaults()
	dp.Dataset, dp.Run = ds, run
	if in.DegradedInputs, err = queries.DegradedInputDetection().Run(ctx, db, dp); err != nil {
		return err
	}
	gp := queries.RiskGuarantee().Defaults()
	gp.Dataset, gp.Run = ds, run
	in.Guarantees, err = queries.RiskGuarantee().Run(ctx, db, gp)
	return err
}

// failureRunOf is the newest complete failure run on the model an
// analyze run explains: a failure run reads a fingerprint run, which
// records the model it fingerprinted. The error wraps ErrNoRun when there
// is none.
func failureRunOf(wh *warehouse.Warehouse, an rows.RunMeta) (rows.RunMeta, error) {
	runs, err := wh.Complete(an.Dataset)
	if err != nil {
		return rows.RunMeta{}, err
	}
	for _, r := range runs {
		if r.Kind != "failure" {
			continue
		}
		fp, err := wh.Parent(r)
		if err == nil && fp.Kind == "fingerprint" && fp.ModelSHA256 != "" && fp.ModelSHA256 == an.ModelSHA256 {
			return r, nil
		}
	}
	return rows.RunMeta{}, fmt.Errorf("%w: no failure run on the model of %s", warehouse.ErrNoRun, an.RunID)
}

// mapAnswers picks the image of the montage and saliency grid (the asked
// one, else the first stored), reads its maps at every severity for the
// montage, and at the asked severity (else the middle one stored) for the
// grid.
func mapAnswers(ctx context.Context, db *warehouse.DB, an rows.RunMeta, o ReportOptions) (montage, grid reports.SaliencyGridAnswer, err error) {
	p := queries.SaliencyGrid().Defaults()
	p.Dataset, p.Run, p.Method, p.Severity = queries.Some(an.Dataset), queries.Some(an.RunID), queries.Some(o.Method), queries.Opt[int]{}
	if o.ImageID >= 0 {
		p.ImageID = queries.Some(o.ImageID)
	}
	if montage, err = queries.SaliencyGrid().Run(ctx, db, p); err != nil {
		return montage, grid, err
	}
	if len(montage.Rows) == 0 {
		if o.ImageID >= 0 {
			return montage, grid, fmt.Errorf("--image-id %d: run %s stores no maps of that image (analyze stores the first --maps-per-class selected images of each class; `gradprint query saliency_grid --param run=%s` lists them)", o.ImageID, an.RunID, an.RunID)
		}
		return montage, grid, nil
	}
	if _, set := p.ImageID.Get(); !set {
		p.ImageID = queries.Some(montage.Rows[0].ImageID)
		var one []queries.SaliencyGridRow
		for _, r := range montage.Rows {
			if r.ImageID == montage.Rows[0].ImageID {
				one = append(one, r)
			}
		}
		montage.Params, montage.Rows = p, one
	}
	p.Severity = queries.Some(availableSeverity(montage.Rows, o.Severity))
	grid, err = queries.SaliencyGrid().Run(ctx, db, p)
	return montage, grid, err
}

// availableSeverity keeps the asked severity when maps exist for it, else
// takes the middle one of those stored (a run may analyse only some).
func availableSeverity(maps []queries.SaliencyGridRow, want int) int {
	var have []int
	for _, m := range maps {
		if m.Severity > 0 && !slices.Contains(have, m.Severity) {
			have = append(have, m.Severity)
		}
	}
	if len(have) == 0 || slices.Contains(have, want) {
		return want
	}
	slices.Sort(have)
	return have[(len(have)-1)/2]
}

// checkLineage checks the files of the analyze run a report draws, and of
// its train and failure runs, against their chunk markers, so a damaged
// run is refused rather than drawn from part of its rows.
func checkLineage(wh *warehouse.Warehouse, an rows.RunMeta) error {
	refs := []warehouse.RunRef{{Dataset: an.Dataset, RunID: an.RunID}}
	if tr, err := wh.Parent(an); err == nil {
		refs = append(refs, warehouse.RunRef{Dataset: tr.Dataset, RunID: tr.RunID})
	}
	if fl, err := failureRunOf(wh, an); err == nil {
		refs = append(refs, warehouse.RunRef{Dataset: fl.Dataset, RunID: fl.RunID})
		if fp, err := wh.Parent(fl); err == nil {
			refs = append(refs, warehouse.RunRef{Dataset: fp.Dataset, RunID: fp.RunID})
		}
	}
	for _, ref := range refs {
		if _, err := wh.Check(ref); err != nil {
			return err
		}
	}
	return nil
}
