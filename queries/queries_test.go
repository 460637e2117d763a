package queries_test

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/csv"
	"encoding/json"
	"io"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/gradprint/gradprint/queries"
	"github.com/gradprint/gradprint/warehouse"
	"github.com/gradprint/gradprint/warehouse/fixture"
	"github.com/gradprint/gradprint/warehouse/rows"
)

// fixtureWH is written once per test binary: two complete runs of two
// datasets and one unfinished run that must never show up.
type fixtureWH struct {
	root string
	r1   *fixture.Rows // breastmnist run r1
}

var (
	fixOnce sync.Once
	fix     fixtureWH
	fixErr  error
)

func getFixture(t *testing.T) fixtureWH {
	t.Helper()
	fixOnce.Do(func() {
		root, err := os.MkdirTemp("", "gradprint-queries-")
		if err != nil {
			fixErr = err
			return
		}
		fix.root = root
		w, err := warehouse.Open(root)
		if err != nil {
			fixErr = err
			return
		}
		fix.r1, fixErr = fixture.Write(w, fixture.Spec{Dataset: "breastmnist", RunID: "r1", Seed: 3, Images: 80, PerChunk: 30,
			Methods: []string{"gradcampp", "gradcam"}, Training: 4, Flags: true})
		if fixErr != nil {
			return
		}
		if _, fixErr = fixture.Write(w, fixture.Spec{Dataset: "retinamnist", RunID: "r2", Seed: 4, Images: 50,
			Classes: []string{"0", "1", "2", "3", "4"}}); fixErr != nil {
			return
		}
		_, fixErr = fixture.Write(w, fixture.Spec{Dataset: "breastmnist", RunID: "r3-unfinished", Seed: 5, Images: 20, Status: "running"})
	})
	if fixErr != nil {
		t.Fatal(fixErr)
	}
	return fix
}

func TestMain(m *testing.M) {
	code := m.Run()
	for _, dir := range []string{fix.root, bigRoot} {
		if dir != "" {
			os.RemoveAll(dir)
		}
	}
	os.Exit(code)
}

func openFixture(t *testing.T) (*warehouse.DB, fixtureWH) {
	t.Helper()
	f := getFixture(t)
	db, err := queries.Open(context.Background(), f.root, warehouse.DBOptions{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db, f
}

func col(t *testing.T, r *queries.Result, name string) int {
	t.Helper()
	for i, c := range r.Columns {
		if c.Name == name {
			return i
		}
	}
	t.Fatalf("no column %s in %v", name, r.Columns)
	return -1
}

func num(v any) float64 {
	switch x := v.(type) {
	case float64:
		return x
	case float32:
		return float64(x)
	case int32:
		return float64(x)
	case int64:
		return float64(x)
	case nil:
		return math.NaN()
	}
	panic("not a number")
}

func run(t *testing.T, db *warehouse.DB, name string, params map[string]string) *queries.Result {
	t.Helper()
	r, err := queries.Run(context.Background(), db, name, params)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

var paramRE = regexp.MustCompile(`\$([a-z_]+)`)

func TestHeadersDeclareExactlyTheParametersUsed(t *testing.T) {
	qs := queries.List()
	if len(qs) < 10 {
		t.Fatalf("only %d queries", len(qs))
	}
	for _, q := range qs {
		if strings.HasPrefix(q.Description, "BROKEN") || len(q.Description) < 40 {
			t.Errorf("%s: description %q", q.Name, q.Description)
		}
		used := map[string]bool{}
		for _, m := range paramRE.FindAllStringSubmatch(q.SQL, -1) {
			used[m[1]] = true
		}
		declared := map[string]bool{}
		for _, p := range q.Params {
			declared[p.Name] = true
			if !used[p.Name] {
				t.Errorf("%s declares $%s but does not use it", q.Name, p.Name)
			}
			if p.Description == "" {
				t.Errorf("%s: $%s has no description", q.Name, p.Name)
			}
		}
		for u := range used {
			if !declared[u] {
				t.Errorf("%s uses $%s without declaring it", q.Name, u)
			}
		}
	}
}

// fixtureParams are the parameters of queries whose required parameters
// have no default (run_comparison's two runs).
var fixtureParams = map[string]map[string]string{"run_comparison": {"run_a": "r1", "run_b": "r2"}}

func TestEveryQueryRunsOnFixture(t *testing.T) {
	db, _ := openFixture(t)
	for _, q := range queries.List() {
		r := run(t, db, q.Name, fixtureParams[q.Name])
		if len(r.Rows) == 0 {
			t.Errorf("%s: no rows on the fixture", q.Name)
			continue
		}
		// The unfinished run never appears.
		for _, c := range r.Columns {
			if c.Name != "run_id" {
				continue
			}
			for _, row := range r.Rows {
				if row[col(t, r, "run_id")] == "r3-unfinished" && q.Name != "runs" {
					t.Errorf("%s shows the unfinished run", q.Name)
					break
				}
			}
		}
	}
}

func TestLayerProfileMatchesHandComputation(t *testing.T) {
	db, f := openFixture(t)
	r := run(t, db, "layer_profile", map[string]string{"run": "r1", "selection": "incorrect"})
	// By hand: motion_blur severity 4, class 1, layer depth 5, clean prediction wrong.
	var sum float64
	var n int
	for _, s := range f.r1.Saliency {
		if s.Method == "gradcampp" && s.Corruption == "motion_blur" && s.Severity == 4 && s.Label == 1 && s.LayerDepth == 5 && !s.CorrectClean {
			sum += float64(s.RMSE)
			n++
		}
	}
	if n == 0 {
		t.Fatal("fixture has no wrong clean predictions of class 1")
	}
	found := false
	for _, row := range r.Rows {
		if row[col(t, r, "selection")] != "incorrect" {
			t.Fatalf("selection=incorrect returned %v", row[col(t, r, "selection")])
		}
		if row[col(t, r, "corruption")] == "motion_blur" && num(row[col(t, r, "severity")]) == 4 &&
			num(row[col(t, r, "label")]) == 1 && num(row[col(t, r, "layer_depth")]) == 5 {
			found = true
			if got, want := num(row[col(t, r, "mean_rmse")]), sum/float64(n); math.Abs(got-want) > 1e-4 {
				t.Errorf("mean_rmse %v, by hand %v", got, want)
			}
			if got := num(row[col(t, r, "n")]); int(got) != n {
				t.Errorf("n %v, by hand %d", got, n)
			}
			if row[col(t, r, "layer_alias")] != "3_1" || row[col(t, r, "label_name")] != "normal_benign" {
				t.Errorf("layer_alias %v label_name %v", row[col(t, r, "layer_alias")], row[col(t, r, "label_name")])
			}
			if math.IsNaN(num(row[col(t, r, "delta_auc")])) {
				t.Error("delta_auc missing")
			}
		}
	}
	if !found {
		t.Fatal("group not in the answer")
	}
	// all = correct + incorrect, per group.
	all := run(t, db, "layer_profile", map[string]string{"run": "r1"})
	counts := map[string]float64{}
	for _, row := range all.Rows {
		key := row[col(t, all, "corruption")].(string) + string(rune('0'+int(num(row[col(t, all, "severity")])))) +
			string(rune('0'+int(num(row[col(t, all, "label")])))) + string(rune('0'+int(num(row[col(t, all, "layer_depth")]))))
		if row[col(t, all, "selection")] == "all" {
			counts[key] += num(row[col(t, all, "n")])
		} else {
			counts[key] -= num(row[col(t, all, "n")])
		}
	}
	for k, v := range counts {
		if v != 0 {
			t.Errorf("group %s: all - correct - incorrect = %v", k, v)
		}
	}
}

func pearson(x, y []float64) float64 {
	var mx, my float64
	for i := range x {
		mx += x[i]
		my += y[i]
	}
	mx /= float64(len(x))
	my /= float64(len(y))
	var sxy, sxx, syy float64
	for i := range x {
		sxy += (x[i] - mx) * (y[i] - my)
		sxx += (x[i] - mx) * (x[i] - mx)
		syy += (y[i] - my) * (y[i] - my)
	}
	return sxy / math.Sqrt(sxx*syy)
}

// avgRanks gives tied values their mean 1-based rank.
func avgRanks(x []float64) []float64 {
	idx := make([]int, len(x))
	for i := range idx {
		idx[i] = i
	}
	sort.Slice(idx, func(a, b int) bool { return x[idx[a]] < x[idx[b]] })
	r := make([]float64, len(x))
	for a := 0; a < len(idx); {
		b := a
		for b < len(idx) && x[idx[b]] == x[idx[a]] {
			b++
		}
		for k := a; k < b; k++ {
			r[idx[k]] = float64(a+b+1) / 2
		}
		a = b
	}
	return r
}

// A tiny warehouse whose correlation is known: one layer, one corruption,
// two classes x three severities = 6 points.
func TestCorrelationOnTinyFixture(t *testing.T) {
	root := t.TempDir()
	w, _ := warehouse.Open(root)
	run0, err := w.BeginRun(rows.RunMeta{RunID: "tiny", Dataset: "d", Kind: "analyze"})
	if err != nil {
		t.Fatal(err)
	}
	c, _ := run0.OpenChunk(0)
	rmse := []float64{1, 2, 3, 4, 5, 6} // mean RMSE per point
	delta := []float64{0.1, 0.3, 0.3, 0.5, 0.4, 0.6}
	var sal []rows.Saliency
	var met []rows.Metric
	for p := 0; p < 6; p++ {
		label, sev := int32(p/3), int32(p%3+1)
		// Two images per point whose RMSE average to rmse[p].
		for k, off := range []float64{-0.5, 0.5} {
			sal = append(sal, rows.Saliency{Split: "test", ImageID: int32(p*2 + k), Label: label, Corruption: "contrast", Severity: sev,
				Layer: "layer1.0.conv2", LayerAlias: "1_2", Method: "gradcampp", RMSE: float32(rmse[p] + off)})
		}
		met = append(met, rows.Metric{Split: "test", Corruption: "contrast", Severity: sev, ClassIndex: label, Metric: "auc", Value: 0.9 - delta[p], DeltaVsClean: delta[p]})
	}
	if err := rows.Write(c, sal...); err != nil {
		t.Fatal(err)
	}
	rows.Write(c, met...)
	if err := c.Commit(); err != nil {
		t.Fatal(err)
	}
	run0.Finish(rows.StatusComplete, nil)
	db, err := queries.Open(context.Background(), root, warehouse.DBOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	r := run(t, db, "rmse_auc_correlation", nil)
	if len(r.Rows) != 2 {
		t.Fatalf("%d rows, want contrast and all", len(r.Rows))
	}
	wantP := pearson(delta, rmse)
	wantS := pearson(avgRanks(delta), avgRanks(rmse))
	// By hand: ranks of delta are 1, 2.5, 2.5, 5, 4, 6 against 1..6; both
	// means 3.5, sum of products of deviations 16, sums of squares 17.5 and
	// 17, so Spearman = 16 / sqrt(17.5 * 17).
	if math.Abs(wantS-16/math.Sqrt(17.5*17)) > 1e-12 {
		t.Fatalf("test's own Spearman %v is off", wantS)
	}
	for _, row := range r.Rows {
		if got := num(row[col(t, r, "pearson")]); math.Abs(got-wantP) > 1e-6 {
			t.Errorf("%v pearson %v, want %v", row[col(t, r, "corruption")], got, wantP)
		}
		if got := num(row[col(t, r, "spearman")]); math.Abs(got-wantS) > 1e-6 {
			t.Errorf("%v spearman %v, want %v", row[col(t, r, "corruption")], got, wantS)
		}
		if n := num(row[col(t, r, "n")]); n != 6 {
			t.Errorf("n = %v, want 6", n)
		}
	}
}

func TestFlipRatesMatchHandComputation(t *testing.T) {
	db, f := openFixture(t)
	r := run(t, db, "flip_rates", map[string]string{"run": "r1"})
	clean := map[int32]int32{}
	for _, p := range f.r1.Predictions {
		if p.Corruption == "clean" {
			clean[p.ImageID] = p.Predicted
		}
	}
	flips, n := 0, 0
	for _, p := range f.r1.Predictions {
		if p.Corruption == "gaussian_noise" && p.Severity == 5 {
			n++
			if p.Predicted != clean[p.ImageID] {
				flips++
			}
		}
	}
	for _, row := range r.Rows {
		if row[col(t, r, "corruption")] == "gaussian_noise" && num(row[col(t, r, "severity")]) == 5 && row[col(t, r, "label_name")] == "all" {
			if got, want := num(row[col(t, r, "flip_rate")]), float64(flips)/float64(n); math.Abs(got-want) > 1e-9 {
				t.Errorf("flip_rate %v, by hand %v", got, want)
			}
			return
		}
	}
	t.Fatal("no all-classes row for gaussian_noise 5")
}

func TestRMSECorrectVsWrongMedian(t *testing.T) {
	db, f := openFixture(t)
	r := run(t, db, "rmse_correct_vs_wrong", map[string]string{"run": "r1", "severity": "2"})
	var vals []float64
	for _, s := range f.r1.Saliency {
		if s.Method == "gradcampp" && s.Severity == 2 && s.LayerDepth == 0 && s.CorrectClean {
			vals = append(vals, float64(s.RMSE))
		}
	}
	slices.Sort(vals)
	// quantile_cont: linear interpolation at (n-1)/2.
	pos := float64(len(vals)-1) / 2
	want := vals[int(pos)] + (pos-math.Floor(pos))*(vals[int(math.Ceil(pos))]-vals[int(pos)])
	for _, row := range r.Rows {
		if num(row[col(t, r, "layer_depth")]) == 0 && row[col(t, r, "outcome")] == "correct" {
			if got := num(row[col(t, r, "median")]); math.Abs(got-want) > 1e-4 {
				t.Errorf("median %v, by hand %v", got, want)
			}
			if q05, q95 := num(row[col(t, r, "q05")]), num(row[col(t, r, "q95")]); !(q05 <= want && want <= q95) {
				t.Errorf("quantiles out of order: %v %v %v", q05, want, q95)
			}
			return
		}
	}
	t.Fatal("no row for layer 0, correct")
}

func TestDeltaAUCAndTables(t *testing.T) {
	db, _ := openFixture(t)
	d := run(t, db, "delta_auc", map[string]string{"dataset": "breastmnist"})
	if len(d.Rows) != 25 {
		t.Errorf("delta_auc: %d rows, want 25 (5 corruptions x 5 severities, class -1)", len(d.Rows))
	}
	for _, row := range d.Rows {
		got := num(row[col(t, d, "delta_auc")])
		want := num(row[col(t, d, "auc_clean")]) - num(row[col(t, d, "auc")])
		if math.Abs(got-want) > 1e-9 {
			t.Errorf("delta_auc %v != auc_clean - auc %v", got, want)
		}
	}
	all := run(t, db, "delta_auc", map[string]string{"class_index": "", "dataset": "retinamnist"})
	if len(all.Rows) != 25*6 {
		t.Errorf("delta_auc every class: %d rows, want 150", len(all.Rows))
	}
	a := run(t, db, "auc_acc_table", map[string]string{"run": "r1"})
	if len(a.Rows) != 26 || a.Rows[0][col(t, a, "corruption")] != "clean" || num(a.Rows[0][col(t, a, "delta_auc")]) != 0 {
		t.Errorf("auc_acc_table: %d rows, first %v", len(a.Rows), a.Rows[0])
	}
	tc := run(t, db, "training_curves", map[string]string{"run": "r1"})
	if len(tc.Rows) != 4 || tc.Rows[3][col(t, tc, "is_best")] != true {
		t.Errorf("training_curves: %v", tc.Rows)
	}
	runs := run(t, db, "runs", nil)
	status := map[string]string{}
	for _, row := range runs.Rows {
		status[row[col(t, runs, "run_id")].(string)] = row[col(t, runs, "status")].(string) + "/" + map[bool]string{true: "visible", false: "hidden"}[row[col(t, runs, "visible")].(bool)]
	}
	if status["r1"] != "complete/visible" || status["r3-unfinished"] != "running/hidden" {
		t.Errorf("runs: %v", status)
	}
}

func TestParamsAreBoundNotSpliced(t *testing.T) {
	db, _ := openFixture(t)
	r := run(t, db, "layer_profile", map[string]string{"dataset": "retinamnist"})
	for _, row := range r.Rows {
		if row[col(t, r, "dataset")] != "retinamnist" {
			t.Fatalf("dataset filter ignored: %v", row[col(t, r, "dataset")])
		}
	}
	if len(r.Rows) == 0 {
		t.Fatal("no rows for retinamnist")
	}
	// A classic injection is just a run id that matches nothing.
	r = run(t, db, "layer_profile", map[string]string{"run": "x' OR '1'='1"})
	if len(r.Rows) != 0 {
		t.Errorf("injected text matched %d rows", len(r.Rows))
	}
	_, err := queries.Run(context.Background(), db, "layer_profile", map[string]string{"sevrity": "3"})
	if err == nil || !strings.Contains(err.Error(), `unknown parameter "sevrity"`) {
		t.Errorf("unknown parameter: %v", err)
	}
	_, err = queries.Run(context.Background(), db, "rmse_correct_vs_wrong", map[string]string{"severity": "high"})
	if err == nil || !strings.Contains(err.Error(), "severity") {
		t.Errorf("bad int parameter: %v", err)
	}
	if _, err := queries.Run(context.Background(), db, "no_such_query", nil); err == nil || !strings.Contains(err.Error(), "layer_profile") {
		t.Errorf("unknown query: %v", err)
	}
}

func TestAdHocSQL(t *testing.T) {
	db, f := openFixture(t)
	ctx := context.Background()
	st, err := queries.BindSQL(ctx, db, "SELECT count(*) AS n FROM saliency WHERE run_id = $run AND severity = $sev", map[string]string{"run": "r1", "sev": "3"})
	if err != nil {
		t.Fatal(err)
	}
	res, err := st.Query(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	want := 0
	for _, s := range f.r1.Saliency {
		if s.Severity == 3 {
			want++
		}
	}
	if got := num(res.Rows[0][0]); int(got) != want {
		t.Errorf("count %v, want %d", got, want)
	}
	if _, err := queries.BindSQL(ctx, db, "SELECT 1 WHERE $a = 1", map[string]string{"a": "1", "b": "2"}); err == nil || !strings.Contains(err.Error(), `"b"`) {
		t.Errorf("unknown ad-hoc parameter: %v", err)
	}
	if _, err := queries.BindSQL(ctx, db, "SELECT 1 WHERE $a = 1", nil); err == nil || !strings.Contains(err.Error(), "$a") {
		t.Errorf("missing ad-hoc parameter: %v", err)
	}
	_, err = queries.BindSQL(ctx, db, "SELEC count(*) FROM saliency", nil)
	if err == nil || !strings.Contains(err.Error(), "Parser Error") {
		t.Errorf("bad SQL: %v", err)
	}
	st, _ = queries.BindSQL(ctx, db, "SELECT no_such_column FROM saliency", nil)
	if _, err := st.Query(ctx, db); err == nil || !strings.Contains(err.Error(), "no_such_column") {
		t.Errorf("binder error: %v", err)
	}
}

func TestFormats(t *testing.T) {
	db, _ := openFixture(t)
	ctx := context.Background()
	q, _ := queries.Get("delta_auc")
	st, err := q.Bind(map[string]string{"run": "r1"})
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := st.Write(ctx, db, "csv", &buf); err != nil {
		t.Fatal(err)
	}
	recs, err := csv.NewReader(&buf).ReadAll()
	if err != nil || len(recs) != 26 || recs[0][0] != "dataset" {
		t.Fatalf("csv: %d records, %v", len(recs), err)
	}
	buf.Reset()
	if err := st.Write(ctx, db, "jsonl", &buf); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	var obj map[string]any
	if len(lines) != 25 || json.Unmarshal([]byte(lines[0]), &obj) != nil || obj["run_id"] != "r1" {
		t.Fatalf("jsonl: %d lines, first %q", len(lines), lines[0])
	}
	buf.Reset()
	if err := st.Write(ctx, db, "table", &buf); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(buf.String(), "(25 rows)") || !strings.HasPrefix(buf.String(), "dataset") {
		t.Errorf("table output:\n%s", buf.String())
	}
	// Parquet: DuckDB reads it back with the same rows and a list column.
	pq := filepath.Join(t.TempDir(), "out.parquet")
	gst, _ := func() (queries.Statement, error) {
		q, _ := queries.Get("saliency_grid")
		return q.Bind(map[string]string{"run": "r1"})
	}()
	fh, _ := os.Create(pq)
	if err := gst.Write(ctx, db, "parquet", fh); err != nil {
		t.Fatal(err)
	}
	fh.Close()
	var n int
	var typ string
	// The query database may not read outside its warehouse: a notebook's
	// DuckDB reads the export.
	raw, err := sql.Open("duckdb", "")
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	if err := raw.QueryRow("SELECT count(*), any_value(typeof(map)) FROM read_parquet('"+pq+"')").Scan(&n, &typ); err != nil {
		t.Fatal(err)
	}
	gres, _ := gst.Query(ctx, db)
	if n != len(gres.Rows) || n == 0 || typ != "FLOAT[]" {
		t.Errorf("parquet: %d rows (want %d), map type %s", n, len(gres.Rows), typ)
	}
}

func TestExportFailsCleanly(t *testing.T) {
	db, _ := openFixture(t)
	ctx := context.Background()
	st, err := queries.BindSQL(ctx, db, "SELECT 1/0 AS x, error('boom on purpose') AS y FROM saliency", nil)
	if err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "answer.csv")
	for _, format := range queries.Formats() {
		var stdout bytes.Buffer
		if err := queries.Export(ctx, db, st, format, "", &stdout); err == nil || !strings.Contains(err.Error(), "boom on purpose") {
			t.Errorf("%s: error %v, want DuckDB's message", format, err)
		}
		if stdout.Len() != 0 {
			t.Errorf("%s: failing query wrote %d bytes to stdout", format, stdout.Len())
		}
		if err := queries.Export(ctx, db, st, format, out, &stdout); err == nil {
			t.Errorf("%s: no error writing to a file", format)
		}
		if _, err := os.Stat(out); !os.IsNotExist(err) {
			t.Errorf("%s: failing query left %s", format, out)
		}
	}
	ok, _ := queries.BindSQL(ctx, db, "SELECT 42 AS answer", nil)
	if err := queries.Export(ctx, db, ok, "jsonl", out, nil); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(out); string(b) != "{\"answer\":42}\n" {
		t.Errorf("file has %q", b)
	}
}

// Analysts load answers into pandas and polars: HUGEINT and DECIMAL (what
// DuckDB's sum() of integers returns) come out as objects there.
func TestAnswerTypesAreNotebookFriendly(t *testing.T) {
	db, _ := openFixture(t)
	for _, q := range queries.List() {
		r := run(t, db, q.Name, fixtureParams[q.Name])
		for _, c := range r.Columns {
			if c.Type == "HUGEINT" || strings.HasPrefix(c.Type, "DECIMAL") {
				t.Errorf("%s.%s is %s; cast it to BIGINT or DOUBLE", q.Name, c.Name, c.Type)
			}
		}
	}
}

// TestDriverBindsUnknownNamesByPosition pins the duckdb-go behaviour that
// BindSQL guards against: a named argument whose name matches no parameter
// is bound by position to whichever parameter is unmatched, silently. If
// this test starts failing, the driver changed and BindSQL's checks may be
// relaxed, not removed.
func TestDriverBindsUnknownNamesByPosition(t *testing.T) {
	db, _ := openFixture(t)
	var got int
	err := db.QueryRow("SELECT $a::INTEGER", sql.Named("not_a", 7)).Scan(&got)
	if err != nil || got != 7 {
		t.Fatalf("driver: got %d, %v; expected the positional fallback to bind 7", got, err)
	}
}

// Several statements run once, as a whole: preparing them must not run
// the first ones a second time.
func TestAdHocMultiStatementRunsOnce(t *testing.T) {
	db, _ := openFixture(t)
	ctx := context.Background()
	st, err := queries.BindSQL(ctx, db, "CREATE TABLE IF NOT EXISTS once_t(a INT); INSERT INTO once_t VALUES (1); SELECT count(*) AS n FROM once_t", nil)
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	if err := queries.Export(ctx, db, st, "csv", "", &out); err != nil {
		t.Fatal(err)
	}
	if out.String() != "n\n1\n" {
		t.Fatalf("answer %q, want one row inserted once", out.String())
	}
	if _, err := queries.BindSQL(ctx, db, "SELECT 1; SELECT $x", map[string]string{"x": "1"}); err == nil || !strings.Contains(err.Error(), "single statement") {
		t.Fatalf("parameters with several statements: %v", err)
	}
	if err := queries.Export(ctx, db, st, "parquet", filepath.Join(t.TempDir(), "x.parquet"), &out); err == nil || !strings.Contains(err.Error(), "single statement") {
		t.Fatalf("parquet of several statements: %v", err)
	}
}

// Queries reach only the warehouse: no other file can be read, written or
// attached, and no statement can lift the limit. ExternalAccess lifts it.
func TestQueriesAreSandboxedToTheWarehouse(t *testing.T) {
	db, f := openFixture(t)
	ctx := context.Background()
	outside := filepath.Join(t.TempDir(), "leak.csv")
	for _, q := range []string{
		"SELECT * FROM read_csv('/etc/passwd')",
		"COPY (SELECT 1 AS a) TO '" + outside + "'",
		"ATTACH '" + filepath.Join(t.TempDir(), "x.db") + "'",
		"SET enable_external_access = true",
		"INSTALL httpfs",
	} {
		if _, err := db.ExecContext(ctx, q); err == nil {
			t.Errorf("%s: allowed", q)
		}
	}
	if _, err := os.Stat(outside); err == nil {
		t.Fatal("COPY wrote outside the warehouse")
	}
	// What the views and exports need still works.
	var n int
	if err := db.QueryRowContext(ctx, "SELECT count(*) FROM read_parquet('"+f.root+"/predictions/*/*/*.parquet')").Scan(&n); err != nil || n == 0 {
		t.Fatalf("reading the warehouse itself: %d, %v", n, err)
	}
	if err := queries.Export(ctx, db, queries.Statement{Name: "sql", SQL: "SELECT 1 AS a"}, "parquet", filepath.Join(t.TempDir(), "a.parquet"), io.Discard); err != nil {
		t.Fatalf("parquet export under the sandbox: %v", err)
	}
	open, err := queries.Open(ctx, f.root, warehouse.DBOptions{ExternalAccess: true})
	if err != nil {
		t.Fatal(err)
	}
	defer open.Close()
	if _, err := open.ExecContext(ctx, "COPY (SELECT 1 AS a) TO '"+outside+"'"); err != nil {
		t.Fatalf("with ExternalAccess: %v", err)
	}
}

func TestRequiredParameterMustBeGiven(t *testing.T) {
	db, _ := openFixture(t)
	_, err := queries.Run(context.Background(), db, "run_comparison", map[string]string{"run_a": "r1"})
	if err == nil || !strings.Contains(err.Error(), "parameter run_b is required") || !strings.Contains(err.Error(), "--param run_b=") {
		t.Fatalf("run_comparison without run_b: %v", err)
	}
}
