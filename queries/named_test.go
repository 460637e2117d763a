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
