package pipeline

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strconv"

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
	Severity int // severity of the saliency grid
	ImageID  int
	Width    int // figure width in pixels; 0 = reports.DefaultWidth
}

// DefaultReportOptions draws Grad-CAM++ at severity 3.
func DefaultReportOptions() ReportOptions {
	return ReportOptions{Method: "gradcampp", Severity: 3, ImageID: -1}
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
	db, err := warehouse.OpenDB(ctx, wh.Root(), warehouse.DBOptions{})
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

func reportInput(ctx context.Context, db *warehouse.DB, wh *warehouse.Warehouse, an rows.RunMeta, o ReportOptions) (reports.ReportInput, error) {
	var in reports.ReportInput
	p := map[string]string{"dataset": an.Dataset, "run": an.RunID}
	with := func(kv ...string) map[string]string {
		out := map[string]string{}
		for k, v := range p {
			out[k] = v
		}
		for i := 0; i+1 < len(kv); i += 2 {
			out[kv[i]] = kv[i+1]
		}
		return out
	}
	var err error
	if in.LayerProfile, err = query[reports.LayerProfileRow](ctx, db, "layer_profile", with("method", o.Method, "severity", "", "selection", "")); err != nil {
		return in, err
	}
	if in.Boxes, err = query[reports.RMSEBoxRow](ctx, db, "rmse_boxes", with("method", o.Method, "severity", "")); err != nil {
		return in, err
	}
	if in.Metrics, err = query[reports.MetricCell](ctx, db, "auc_acc_table", with()); err != nil {
		return in, err
	}
	img := ""
	if o.ImageID >= 0 {
		img = strconv.Itoa(o.ImageID)
	} else if first, err := queries.Run(ctx, db, "saliency_grid", with("method", o.Method, "severity", "")); err != nil {
		return in, err
	} else if len(first.Rows) > 0 {
		for i, c := range first.Columns {
			if c.Name == "image_id" {
				img = fmt.Sprint(first.Rows[0][i])
			}
		}
	}
	if img != "" {
		if in.Maps, err = query[reports.MapCell](ctx, db, "saliency_grid", with("method", o.Method, "severity", "", "image_id", img)); err != nil {
			return in, err
		}
	}
	in.MapSeverity = availableSeverity(in.Maps, o.Severity)
	if tr, err := wh.Latest(warehouse.RunQuery{Kind: "train", RunID: an.ParentRunID}); err == nil && an.ParentRunID != "" {
		if in.Training, err = query[reports.TrainingRow](ctx, db, "training_curves", map[string]string{"dataset": tr.Dataset, "run": tr.RunID}); err != nil {
			return in, err
		}
	}
	if fl, err := wh.Latest(warehouse.RunQuery{Kind: "failure", Parent: an.RunID}); err == nil {
		fp := map[string]string{"dataset": fl.Dataset, "run": fl.RunID}
		if in.FailureMetrics, err = query[reports.FailureMetricRow](ctx, db, "failure_metrics", fp); err != nil {
			return in, err
		}
		res, err := queries.Run(ctx, db, "risk_coverage", fp)
		if err != nil {
			return in, err
		}
		in.RiskCoverage = riskCurves(res)
	}
	return in, nil
}

func query[T any](ctx context.Context, db *warehouse.DB, name string, params map[string]string) ([]T, error) {
	res, err := queries.Run(ctx, db, name, params)
	if err != nil {
		return nil, fmt.Errorf("query %s: %w", name, err)
	}
	cols := make([]string, len(res.Columns))
	for i, c := range res.Columns {
		cols[i] = c.Name
	}
	out, err := reports.DecodeRows[T](cols, res.Rows)
	if err != nil {
		return nil, fmt.Errorf("query %s: %w", name, err)
	}
	return out, nil
}

// riskCurves groups risk_coverage rows into one curve per score.
func riskCurves(res *queries.Result) []reports.RiskCoverage {
	idx := map[string]int{}
	for i, c := range res.Columns {
		idx[c.Name] = i
	}
	var out []reports.RiskCoverage
	pos := map[string]int{}
	for _, r := range res.Rows {
		s := fmt.Sprint(r[idx["score_name"]])
		i, ok := pos[s]
		if !ok {
			i = len(out)
			pos[s] = i
			out = append(out, reports.RiskCoverage{Score: s})
		}
		cv, _ := r[idx["coverage"]].(float64)
		rk, _ := r[idx["risk"]].(float64)
		out[i].Coverage = append(out[i].Coverage, cv)
		out[i].Risk = append(out[i].Risk, rk)
	}
	return out
}

// availableSeverity keeps the asked severity when maps exist for it, else
// takes the middle one of those stored (a run may analyse only some).
func availableSeverity(maps []reports.MapCell, want int) int {
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
