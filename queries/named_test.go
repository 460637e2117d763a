package queries_test

import (
	"context"
	"math"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gradprint/gradprint/queries"
	"github.com/gradprint/gradprint/warehouse"
)

// checkTyped runs a typed query on the fixture with its defaults (after
// scope) and checks that its row type holds exactly the answer's columns,
// that every row decodes, and that the answer's Ref reruns to the same
// rows through the command-line path.
func checkTyped[P, R any](t *testing.T, db *warehouse.DB, q queries.Named[P, R], scope func(*P)) {
	t.Helper()
	p := q.Defaults()
	if scope != nil {
		scope(&p)
	}
	a, err := q.Run(context.Background(), db, p)
	if err != nil {
		t.Fatalf("%s: %v", q.Name(), err)
	}
	if len(a.Rows) == 0 {
		t.Fatalf("%s: no rows on the fixture", q.Name())
	}
	ref := a.Ref()
	raw, err := queries.Run(context.Background(), db, ref.Name, ref.Params)
	if err != nil {
		t.Fatalf("%s: rerunning %s: %v", q.Name(), ref.Command(), err)
	}
	if len(raw.Rows) != len(a.Rows) {
		t.Errorf("%s: %s gives %d rows, the typed run %d", q.Name(), ref.Command(), len(raw.Rows), len(a.Rows))
	}
	var fields []string
	rt := reflect.TypeFor[R]()
	for i := range rt.NumField() {
		if tag, ok := rt.Field(i).Tag.Lookup("col"); ok {
			fields = append(fields, tag)
		}
	}
	var cols []string
	for _, c := range raw.Columns {
		cols = append(cols, c.Name)
	}
	if !slices.Equal(fields, cols) {
		t.Errorf("%s: %s fields %v, answer columns %v", q.Name(), rt.Name(), fields, cols)
	}
}

func TestTypedQueriesMatchTheirFiles(t *testing.T) {
	db, _ := openFixture(t)
	r1 := func(ds, run *queries.Opt[string]) { *ds, *run = queries.Some("breastmnist"), queries.Some("r1") }
	checked := map[string]func(){
		"auc_acc_table": func() {
			checkTyped(t, db, queries.AUCACCTable(), func(p *queries.AUCACCParams) { r1(&p.Dataset, &p.Run) })
		},
		"delta_auc": func() { checkTyped(t, db, queries.DeltaAUC(), nil) },
		"failure_metrics": func() {
			checkTyped(t, db, queries.FailureMetrics(), func(p *queries.FailureMetricsParams) { p.Metric = queries.Some("auroc_f") })
		},
		"flip_rates": func() { checkTyped(t, db, queries.FlipRates(), nil) },
		"failure_by_severity": func() {
			checkTyped(t, db, queries.FailureBySeverity(), func(p *queries.FailureBySeverityParams) { r1(&p.Dataset, &p.Run) })
		},
		"silent_failures": func() {
			checkTyped(t, db, queries.SilentFailures(), func(p *queries.SettingParams) { p.Setting = queries.Some("shift") })
		},
		"risk_guarantee":           func() { checkTyped(t, db, queries.RiskGuarantee(), nil) },
		"degraded_input_detection": func() { checkTyped(t, db, queries.DegradedInputDetection(), nil) },
		"layer_profile": func() {
			checkTyped(t, db, queries.LayerProfile(), func(p *queries.LayerProfileParams) {
				r1(&p.Dataset, &p.Run)
				p.Severity, p.Selection = queries.Some(3), queries.Some("incorrect")
			})
		},
		"risk_coverage":        func() { checkTyped(t, db, queries.RiskCoverage(), nil) },
		"rmse_auc_correlation": func() { checkTyped(t, db, queries.RMSEAUCCorrelation(), nil) },
		"rmse_boxes": func() {
			checkTyped(t, db, queries.RMSEBoxes(), func(p *queries.RMSEBoxesParams) { p.Severity = queries.Some(5) })
		},
		"rmse_correct_vs_wrong": func() {
			checkTyped(t, db, queries.RMSECorrectVsWrong(), func(p *queries.RMSECorrectVsWrongParams) { p.Corruption = queries.Some("contrast") })
		},
		"runs": func() { checkTyped(t, db, queries.Runs(), nil) },
		"saliency_grid": func() {
			checkTyped(t, db, queries.SaliencyGrid(), func(p *queries.SaliencyGridParams) { p.ImageID = queries.Some(0) })
		},
		"training_curves": func() { checkTyped(t, db, queries.TrainingCurves(), nil) },
		"run_comparison": func() {
			checkTyped(t, db, queries.RunComparison(), func(p *queries.RunComparisonParams) {
				p.RunA, p.RunB = queries.Some("r1"), queries.Some("r2")
			})
		},
	}
	for _, q := range queries.List() {
		check, ok := checked[q.Name]
		if !ok {
			t.Errorf("query %s has no typed declaration in answers.go", q.Name)
			continue
		}
		t.Run(q.Name, func(t *testing.T) { check() })
	}
}

func TestDefaultsComeFromTheHeaders(t *testing.T) {
	lp := queries.LayerProfile().Defaults()
	if v, ok := lp.Split.Get(); !ok || v != "test" {
		t.Errorf("layer_profile split default %q %v", v, ok)
	}
	if v, ok := lp.Method.Get(); !ok || v != "gradcampp" {
		t.Errorf("layer_profile method default %q %v", v, ok)
	}
	if _, ok := lp.Severity.Get(); ok {
		t.Error("layer_profile severity default is set; its header says empty (every severity)")
	}
	if v, ok := queries.SaliencyGrid().Defaults().Severity.Get(); !ok || v != 3 {
		t.Errorf("saliency_grid severity default %d %v, want 3", v, ok)
	}
	if v, ok := queries.DeltaAUC().Defaults().ClassIndex.Get(); !ok || v != -1 {
		t.Errorf("delta_auc class_index default %d %v, want -1", v, ok)
	}
}

// A typed answer names every parameter it was run with; a NULL one whose
// header default is not NULL is spelled out as empty.
func TestAnswerRefSpellsOutItsParameters(t *testing.T) {
	db, _ := openFixture(t)
	p := queries.RMSEBoxes().Defaults()
	p.Split, p.Severity = queries.Opt[string]{}, queries.Some(2)
	a, err := queries.RMSEBoxes().Run(context.Background(), db, p)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"split": "", "method": "gradcampp", "severity": "2"}
	if got := a.Ref().Params; !reflect.DeepEqual(got, want) {
		t.Fatalf("ref params %v, want %v", got, want)
	}
	for _, r := range a.Rows {
		if r.Severity != 2 {
			t.Fatalf("row of severity %d in an answer for severity 2", r.Severity)
		}
	}
}

func TestQueryCommandQuoting(t *testing.T) {
	q := queries.Ref{Name: "layer_profile", Params: map[string]string{"run": "r 1", "dataset": "derma'mnist", "selection": "", "split": "test"}}
	want := `gradprint query layer_profile --param 'dataset=derma'\''mnist' --param 'run=r 1' --param 'selection=' --param split=test`
	if got := q.Command(); got != want {
		t.Errorf("command\n got %s\nwant %s", got, want)
	}
}

func TestDecodeRows(t *testing.T) {
	cols := []string{"dataset", "run_id", "split", "method", "corruption", "severity", "selection", "label", "label_name",
		"layer_depth", "layer", "layer_alias", "mean_rmse", "sd_rmse", "n", "delta_auc", "delta_auc_class", "extra"}
	rows := [][]any{
		{"dermamnist", "r1", "test", "gradcampp", "contrast", int64(3), "all", int32(2), "bkl", int64(0), "layer1.0", "1_2", 41.5, nil, int64(20), nil, 0.1, "ignored"},
	}
	got, err := queries.DecodeRows[queries.LayerProfileRow](cols, rows)
	if err != nil {
		t.Fatal(err)
	}
	r := got[0]
	if r.Severity != 3 || r.Label != 2 || r.ClassName != "bkl" || r.MeanRMSE != 41.5 || r.N != 20 || !math.IsNaN(r.DeltaAUC) || !math.IsNaN(r.SDRMSE) {
		t.Errorf("decoded %+v", r)
	}
	if _, err := queries.DecodeRows[queries.LayerProfileRow](cols[:12], [][]any{rows[0][:12]}); err == nil || !strings.Contains(err.Error(), `"mean_rmse" missing`) {
		t.Errorf("missing column: %v", err)
	}
	bad := slices.Clone(rows[0])
	bad[12] = "forty"
	if _, err := queries.DecodeRows[queries.LayerProfileRow](cols, [][]any{bad}); err == nil || !strings.Contains(err.Error(), "row 0, column mean_rmse") {
		t.Errorf("bad type: %v", err)
	}
	type mapRow struct {
		Map   []float32 `col:"map"`
		Image []uint8   `col:"image"`
		Seed  uint64    `col:"seed"`
		At    time.Time `col:"at"`
	}
	at := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	m, err := queries.DecodeRows[mapRow]([]string{"map", "image", "seed", "at"}, [][]any{{[]any{float32(0.25), 1.0}, []byte{7, 9}, uint64(1 << 63), at}})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(m[0].Map, []float32{0.25, 1}) || !slices.Equal(m[0].Image, []uint8{7, 9}) || m[0].Seed != 1<<63 || !m[0].At.Equal(at) {
		t.Errorf("decoded %+v", m[0])
	}
	if _, err := queries.DecodeRows[mapRow]([]string{"map", "image", "seed", "at"}, [][]any{{nil, nil, int64(-1), nil}}); err == nil {
		t.Error("a negative seed decoded into uint64")
	}
}

// run_comparison puts each run's own delta_auc and layer means side by
// side: its columns equal what delta_auc and a plain average give per run,
// and difference is b - a.
func TestRunComparisonSidesAreEachRunsOwn(t *testing.T) {
	db, _ := openFixture(t)
	ctx := context.Background()
	p := queries.RunComparison().Defaults()
	p.RunA, p.RunB = queries.Some("r1"), queries.Some("r2")
	cmp, err := queries.RunComparison().Run(ctx, db, p)
	if err != nil {
		t.Fatal(err)
	}
	drops := map[string]map[[2]any]float64{}
	for _, run := range []string{"r1", "r2"} {
		dp := queries.DeltaAUC().Defaults()
		dp.Run = queries.Some(run)
		d, err := queries.DeltaAUC().Run(ctx, db, dp)
		if err != nil {
			t.Fatal(err)
		}
		drops[run] = map[[2]any]float64{}
		for _, r := range d.Rows {
			drops[run][[2]any{r.Corruption, r.Severity}] = r.DeltaAUC
		}
	}
	var nDrop, nRMSE int
	for _, r := range cmp.Rows {
		if r.RunA != "r1" || r.RunB != "r2" || r.AugmentA != "none" || r.AugmentB != "none" {
			t.Fatalf("row %+v: want runs r1, r2 and augmentation none", r)
		}
		if math.Abs(r.Difference-(r.B-r.A)) > 1e-12 {
			t.Fatalf("row %+v: difference is not b - a", r)
		}
		switch r.Measure {
		case "delta_auc":
			nDrop++
			k := [2]any{r.Corruption, r.Severity}
			if r.A != drops["r1"][k] || r.B != drops["r2"][k] || r.LayerDepth != -1 {
				t.Fatalf("delta_auc %v: %g / %g, delta_auc query %g / %g", k, r.A, r.B, drops["r1"][k], drops["r2"][k])
			}
		case "mean_rmse":
			nRMSE++
			if r.Layer == "" || r.NA == 0 || r.NB == 0 {
				t.Fatalf("mean_rmse row %+v lacks a layer or a side", r)
			}
		default:
			t.Fatalf("measure %q", r.Measure)
		}
	}
	if nDrop == 0 || nRMSE == 0 {
		t.Fatalf("%d delta_auc and %d mean_rmse rows: want both", nDrop, nRMSE)
	}
	// One layer mean, against the saliency rows themselves.
	last := cmp.Rows[len(cmp.Rows)-1]
	var want float64
	if err := db.QueryRowContext(ctx, `SELECT avg(rmse::DOUBLE) FROM saliency WHERE run_id = 'r2' AND split = 'test'
		AND method = 'gradcampp' AND corruption = ? AND severity = ? AND layer = ?`, last.Corruption, last.Severity, last.Layer).Scan(&want); err != nil {
		t.Fatal(err)
	}
	if last.Measure != "mean_rmse" || math.Abs(last.B-want) > 1e-12 {
		t.Fatalf("last row %+v: run b mean %g, saliency rows give %g", last, last.B, want)
	}
}
