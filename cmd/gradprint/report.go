package main

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"strconv"

	"github.com/spf13/cobra"

	"github.com/gradprint/gradprint/queries"
	"github.com/gradprint/gradprint/reports"
	"github.com/gradprint/gradprint/warehouse"
	"github.com/gradprint/gradprint/warehouse/rows"
)

func newReportCmd(g *globals) *cobra.Command {
	var (
		dataset, run, dir, method string
		severity, imageID, width  int
	)
	cmd := &cobra.Command{
		Use:   "report",
		Short: "Render the thesis's figures and the failure comparison from the warehouse (no model needed)",
		Long: `report runs the named queries over the warehouse and draws PNG figures plus an
index.html that names the query behind each figure. It reads only the
warehouse: rerun it after any query change.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			wh, err := warehouse.Open(warehouseDir(g))
			if err != nil {
				return err
			}
			runs, err := completeRuns(wh, dataset)
			if err != nil {
				return err
			}
			an := pickRun(runs, "analyze", run, "")
			if an == nil {
				return fmt.Errorf("no complete analyze run%s in %s: run `gradprint analyze` first", map[bool]string{true: " " + run, false: ""}[run != ""], wh.Root())
			}
			tr := pickRun(runs, "train", an.ParentRunID, "")
			fl := pickRun(runs, "failure", "", an.RunID)
			db, err := warehouse.OpenDB(ctx, wh.Root(), warehouse.DBOptions{})
			if err != nil {
				return err
			}
			defer db.Close()
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
			var in reports.ReportInput
			in.MapSeverity = severity
			if in.LayerProfile, err = query[reports.LayerProfileRow](ctx, db, "layer_profile", with("method", method, "severity", "", "selection", "")); err != nil {
				return err
			}
			if in.Boxes, err = query[reports.RMSEBoxRow](ctx, db, "rmse_boxes", with("method", method, "severity", "")); err != nil {
				return err
			}
			if in.Metrics, err = query[reports.MetricCell](ctx, db, "auc_acc_table", with()); err != nil {
				return err
			}
			img := ""
			if imageID >= 0 {
				img = strconv.Itoa(imageID)
			} else if first, err := queries.Run(ctx, db, "saliency_grid", with("method", method, "severity", "")); err != nil {
				return err
			} else if len(first.Rows) > 0 {
				for i, c := range first.Columns {
					if c.Name == "image_id" {
						img = fmt.Sprint(first.Rows[0][i])
					}
				}
			}
			if img != "" {
				if in.Maps, err = query[reports.MapCell](ctx, db, "saliency_grid", with("method", method, "severity", "", "image_id", img)); err != nil {
					return err
				}
			}
			in.MapSeverity = availableSeverity(in.Maps, severity)
			if tr != nil {
				if in.Training, err = query[reports.TrainingRow](ctx, db, "training_curves", map[string]string{"dataset": tr.Dataset, "run": tr.RunID}); err != nil {
					return err
				}
			}
			if fl != nil {
				fp := map[string]string{"dataset": fl.Dataset, "run": fl.RunID}
				if in.FailureMetrics, err = query[reports.FailureMetricRow](ctx, db, "failure_metrics", fp); err != nil {
					return err
				}
				res, err := queries.Run(ctx, db, "risk_coverage", fp)
				if err != nil {
					return err
				}
				in.RiskCoverage = riskCurves(res)
			}
			if dir == "" {
				dir = filepath.Join(g.out, "report")
			}
			figs, err := reports.WriteReport(dir, in, reports.Options{Width: width})
			if err != nil {
				return err
			}
			fmt.Fprintf(g.stdout, "report of run %s (%s): %d figures in %s\n", an.RunID, an.Dataset, len(figs), filepath.Join(dir, "index.html"))
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&dataset, "dataset", "", "dataset partition to report on (default: any)")
	f.StringVar(&run, "run", "", "analyze run id (default: the newest complete analyze run)")
	f.StringVar(&dir, "report-dir", "", "output folder (default <out>/report)")
	f.StringVar(&method, "method", "gradcampp", "saliency method to draw")
	f.IntVar(&severity, "severity", 3, "severity of the saliency grid")
	f.IntVar(&imageID, "image-id", -1, "test image of the montage and saliency grid (default: the first stored one)")
	f.IntVar(&width, "width", 0, "figure width in pixels (default 2400)")
	return cmd
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
	rows, err := reports.DecodeRows[T](cols, res.Rows)
	if err != nil {
		return nil, fmt.Errorf("query %s: %w", name, err)
	}
	return rows, nil
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

// completeRuns lists the complete runs of a dataset (all when empty),
// newest first.
func completeRuns(wh *warehouse.Warehouse, dataset string) ([]rows.RunMeta, error) {
	return wh.Complete(dataset)
}

// pickRun returns the newest run of a kind, by id when given, or whose
// parent is parent when given.
func pickRun(runs []rows.RunMeta, kind, id, parent string) *rows.RunMeta {
	for i, r := range runs {
		if r.Kind == kind && (id == "" || r.RunID == id) && (parent == "" || r.ParentRunID == parent) {
			return &runs[i]
		}
	}
	return nil
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
