package warehouse

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"time"

	"github.com/parquet-go/parquet-go"

	"github.com/gradprint/gradprint/warehouse/rows"
)

// This file holds every path the warehouse writes or reads, and the read
// side built on them. The layout, for a run ref {dataset, run}:
//
//	<root>/<table>/dataset=<flag>/run=<id>/part-<shard>-<chunk>.parquet  a chunk's rows of one table
//	<root>/runs/dataset=<flag>/run=<id>/part-<shard>.parquet              the run row of one shard
//	<root>/runs/dataset=<flag>/run=<id>/_chunks/<shard>-<chunk>.done      a committed chunk's marker
//	<root>/runs/dataset=<flag>/run=<id>/_chunks/<shard>.lock              a shard's writer lock
//
// with shard as 5 digits and chunk as 6. Temporary files start with "."
// and never match a listing. Listings read directories rather than
// expanding glob patterns, so a root whose name holds '*' or '[' lists
// only its own files.

// RunRef names one run: the dataset partition it lives in and its id.
type RunRef struct{ Dataset, RunID string }

func (r RunRef) String() string { return r.Dataset + "/" + r.RunID }

const (
	datasetKey = "dataset="
	runKey     = "run="
	partPrefix = "part-"
	partSuffix = ".parquet"
	chunksDir  = "_chunks"
)

// Catalog is the read side of a warehouse directory: it lists runs, finds
// a run by id, kind or parent, reads a run's rows of a table, and waits for
// the shards of a run. It never writes.
type Catalog struct {
	root string
}

// NewCatalog returns the catalog of the warehouse rooted at root; the
// directory need not exist yet (it then holds no runs).
func NewCatalog(root string) *Catalog { return &Catalog{root: root} }

// Root is the warehouse directory.
func (c *Catalog) Root() string { return c.root }

// PartitionDir is the directory of one run's files of one table.
func (c *Catalog) PartitionDir(table string, ref RunRef) string {
	return filepath.Join(c.root, table, datasetKey+ref.Dataset, runKey+ref.RunID)
}

func chunkFileName(shard, chunk int) string {
	return fmt.Sprintf("%s%05d-%06d%s", partPrefix, shard, chunk, partSuffix)
}

func runFileName(shard int) string { return fmt.Sprintf("%s%05d%s", partPrefix, shard, partSuffix) }

func (c *Catalog) chunkFile(table string, ref RunRef, shard, chunk int) string {
	return filepath.Join(c.PartitionDir(table, ref), chunkFileName(shard, chunk))
}

func (c *Catalog) runFile(ref RunRef, shard int) string {
	return filepath.Join(c.PartitionDir(rows.TableRuns, ref), runFileName(shard))
}

func (c *Catalog) markerDir(ref RunRef) string {
	return filepath.Join(c.PartitionDir(rows.TableRuns, ref), chunksDir)
}

func (c *Catalog) markerFile(ref RunRef, shard, chunk int) string {
	return filepath.Join(c.markerDir(ref), fmt.Sprintf("%05d-%06d.done", shard, chunk))
}

func (c *Catalog) lockFile(ref RunRef, shard int) string {
	return filepath.Join(c.markerDir(ref), fmt.Sprintf("%05d.lock", shard))
}

// markerFile is the content of a .done file: what the chunk committed, so
// a reader can check a run's files against it.
type markerFile struct {
	Run       string           `json:"run"`
	Shard     int              `json:"shard"`
	Chunk     int              `json:"chunk"`
	Rows      map[string]int64 `json:"rows"`
	Committed time.Time        `json:"committed"`
	Seconds   float64          `json:"seconds"`
}

// markers counts the committed chunks of one shard of a run.
func (c *Catalog) markers(ref RunRef, shard int) (int, error) {
	names, err := readNames(c.markerDir(ref))
	if err != nil {
		return 0, err
	}
	prefix := fmt.Sprintf("%05d-", shard)
	n := 0
	for _, name := range names {
		if strings.HasPrefix(name, prefix) && strings.HasSuffix(name, ".done") {
			n++
		}
	}
	return n, nil
}

// readNames lists a directory's entry names, sorted; a missing directory
// has none.
func readNames(dir string) ([]string, error) {
	ents, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("warehouse: list %s: %w", dir, err)
	}
	names := make([]string, 0, len(ents))
	for _, e := range ents {
		names = append(names, e.Name())
	}
	return names, nil
}

// PartFile is one committed Parquet file of a table and the run it belongs to.
type PartFile struct {
	Path string
	Ref  RunRef
}

// partFiles lists the committed part files of table, in path order, for
// every run of the dataset partition (every dataset when dataset is "").
func (c *Catalog) partFiles(table, dataset string) ([]PartFile, error) {
	var out []PartFile
	dsNames, err := readNames(filepath.Join(c.root, table))
	if err != nil {
		return nil, err
	}
	for _, ds := range dsNames {
		flag, ok := strings.CutPrefix(ds, datasetKey)
		if !ok || (dataset != "" && flag != dataset) {
			continue
		}
		runNames, err := readNames(filepath.Join(c.root, table, ds))
		if err != nil {
			return nil, err
		}
		for _, rn := range runNames {
			id, ok := strings.CutPrefix(rn, runKey)
			if !ok {
				continue
			}
			ref := RunRef{flag, id}
			files, err := readNames(c.PartitionDir(table, ref))
			if err != nil {
				return nil, err
			}
			for _, f := range files {
				if isPartFile(table, f) {
					out = append(out, PartFile{filepath.Join(c.PartitionDir(table, ref), f), ref})
				}
			}
		}
	}
	return out, nil
}

// isPartFile says whether name is a committed file of table: a run row
// (part-<shard>.parquet) in the runs table, a chunk's rows elsewhere.
func isPartFile(table, name string) bool {
	mid, ok := strings.CutPrefix(name, partPrefix)
	if !ok {
		return false
	}
	if mid, ok = strings.CutSuffix(mid, partSuffix); !ok {
		return false
	}
	digits := func(s string, n int) bool {
		return len(s) == n && strings.Trim(s, "0123456789") == ""
	}
	if table == rows.TableRuns {
		return digits(mid, 5)
	}
	shard, chunk, ok := strings.Cut(mid, "-")
	return ok && digits(shard, 5) && digits(chunk, 6)
}

// Shards returns every runs row (one per run and shard) of the dataset
// partition (every dataset when dataset is ""), with Dataset filled in
// from the path.
func (c *Catalog) Shards(dataset string) ([]rows.RunMeta, error) {
	files, err := c.partFiles(rows.TableRuns, dataset)
	if err != nil {
		return nil, err
	}
	var out []rows.RunMeta
	for _, f := range files {
		m, err := readRunFile(f.Path)
		if err != nil {
			return nil, err
		}
		m.Dataset = f.Ref.Dataset
		out = append(out, m)
	}
	return out, nil
}

// Complete lists the complete runs of the dataset partition (every dataset
// when dataset is ""), newest first. A run is complete when every shard
// 0..shard_count-1 has a row and every row says complete; the row of shard
// 0 stands for the run.
func (c *Catalog) Complete(dataset string) ([]rows.RunMeta, error) {
	shards, err := c.Shards(dataset)
	if err != nil {
		return nil, err
	}
	type state struct {
		head     *rows.RunMeta
		seen     map[int32]bool
		complete bool
		count    int32
		updated  time.Time
	}
	runs := map[RunRef]*state{}
	var order []RunRef
	for i := range shards {
		m := &shards[i]
		ref := RunRef{m.Dataset, m.RunID}
		st := runs[ref]
		if st == nil {
			st = &state{seen: map[int32]bool{}, complete: true}
			runs[ref] = st
			order = append(order, ref)
		}
		st.seen[m.ShardIndex] = true
		st.complete = st.complete && m.Status == rows.StatusComplete
		st.count = max(st.count, m.ShardCount)
		if m.ShardIndex == 0 {
			st.head = m
		}
		if m.UpdatedAt.After(st.updated) {
			st.updated = m.UpdatedAt
		}
	}
	var out []rows.RunMeta
	for _, ref := range order {
		st := runs[ref]
		if st.complete && st.head != nil && int32(len(st.seen)) == st.count {
			head := *st.head
			head.UpdatedAt = st.updated
			out = append(out, head)
		}
	}
	slices.SortStableFunc(out, func(a, b rows.RunMeta) int { return b.UpdatedAt.Compare(a.UpdatedAt) })
	return out, nil
}

// RunQuery picks runs: every non-empty field must match.
type RunQuery struct {
	Kind    string
	Dataset string
	RunID   string
	Parent  string // the run's parent_run_id
}

func (q RunQuery) String() string {
	var parts []string
	for _, kv := range [][2]string{{"kind", q.Kind}, {"dataset", q.Dataset}, {"id", q.RunID}, {"parent", q.Parent}} {
		if kv[1] != "" {
			parts = append(parts, kv[0]+" "+kv[1])
		}
	}
	return strings.Join(parts, ", ")
}

// ErrNoRun is returned by Latest when no complete run matches.
var ErrNoRun = errors.New("no complete run")

// Latest returns the newest complete run matching q; the error wraps
// ErrNoRun when there is none.
func (c *Catalog) Latest(q RunQuery) (rows.RunMeta, error) {
	runs, err := c.Complete(q.Dataset)
	if err != nil {
		return rows.RunMeta{}, err
	}
	for _, r := range runs {
		if (q.Kind == "" || r.Kind == q.Kind) && (q.RunID == "" || r.RunID == q.RunID) && (q.Parent == "" || r.ParentRunID == q.Parent) {
			return r, nil
		}
	}
	return rows.RunMeta{}, fmt.Errorf("%w (%s) in %s", ErrNoRun, q, c.root)
}

// Run finds the run called id in any dataset partition, complete or not,
// and returns the row of its shard 0 (or of its lowest shard seen).
func (c *Catalog) Run(id string) (rows.RunMeta, error) {
	shards, err := c.Shards("")
	if err != nil {
		return rows.RunMeta{}, err
	}
	var found *rows.RunMeta
	for i := range shards {
		if shards[i].RunID == id && (found == nil || shards[i].ShardIndex < found.ShardIndex) {
			found = &shards[i]
		}
	}
	if found == nil {
		return rows.RunMeta{}, fmt.Errorf("run %s not found under %s", id, filepath.Join(c.root, rows.TableRuns))
	}
	return *found, nil
}

// Parent returns the complete run that r builds on (its parent_run_id),
// wrapping ErrNoRun when r has none or it is not complete.
func (c *Catalog) Parent(r rows.RunMeta) (rows.RunMeta, error) {
	if r.ParentRunID == "" {
		return rows.RunMeta{}, fmt.Errorf("%w: run %s has no parent", ErrNoRun, r.RunID)
	}
	return c.Latest(RunQuery{RunID: r.ParentRunID})
}

// Read returns every committed row of one table (chosen by the row type T)
// of one run, in file order: the files its chunk markers name, each
// checked against its marker (rows and columns). Files no marker names are
// skipped; a missing or disagreeing file is an error wrapping ErrDamaged.
func Read[T any](c *Catalog, ref RunRef) ([]T, error) {
	t, err := rows.TableOf[T]()
	if err != nil {
		return nil, err
	}
	rf, err := c.Files(ref)
	if err != nil {
		return nil, err
	}
	if m := rf.Missing[t.Name]; len(m) > 0 {
		return nil, fmt.Errorf("warehouse: run %s: %w: %s: missing (a chunk marker records it)", ref, ErrDamaged, m[0])
	}
	var out []T
	for _, f := range rf.Committed[t.Name] {
		if err := checkPart(f, t); err != nil {
			return nil, fmt.Errorf("warehouse: run %s: %w: %w", ref, ErrDamaged, err)
		}
		rs, err := parquet.ReadFile[T](f.Path)
		if err != nil {
			return nil, fmt.Errorf("warehouse: read %s: %w", f.Path, err)
		}
		out = append(out, rs...)
	}
	return out, nil
}

// WaitForShards blocks until shards 1..n-1 of a run are complete, polling
// their runs rows; a failed shard ends the wait with its error.
func (c *Catalog) WaitForShards(ctx context.Context, ref RunRef, n int, poll time.Duration) error {
	for k := 1; k < n; k++ {
		path := c.runFile(ref, k)
		for {
			m, err := readRunFile(path)
			if err == nil && m.Status == rows.StatusComplete {
				break
			}
			if err == nil && m.Status == rows.StatusFailed {
				return fmt.Errorf("shard %d of run %s failed (%s): rerun it, then rerun shard 0", k, ref.RunID, m.Error)
			}
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-time.After(poll):
			}
		}
	}
	return nil
}

// readRunFile reads the one row of a shard's runs file.
func readRunFile(path string) (rows.RunMeta, error) {
	f, err := os.Open(path)
	if err != nil {
		return rows.RunMeta{}, fmt.Errorf("warehouse: read run: %w", err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return rows.RunMeta{}, fmt.Errorf("warehouse: read run %s: %w", path, err)
	}
	pf, err := parquet.OpenFile(f, st.Size())
	if err != nil {
		return rows.RunMeta{}, fmt.Errorf("warehouse: read run %s: %w", path, err)
	}
	rd := parquet.NewGenericReader[rows.RunMeta](pf)
	defer rd.Close()
	buf := make([]rows.RunMeta, 2)
	n, err := rd.Read(buf)
	if n != 1 {
		return rows.RunMeta{}, fmt.Errorf("warehouse: read run %s: %d rows, want 1 (%v)", path, n, err)
	}
	return buf[0], nil
}

// ErrDamaged marks a complete run whose files disagree with its chunk
// markers: a file a marker names is missing, holds another row count, or
// has another table's columns.
var ErrDamaged = errors.New("damaged run")

// RunFiles is a run's part files held against its chunk markers.
type RunFiles struct {
	// Committed lists, per table, the present files that a marker names,
	// in path order, with the rows the marker records for each.
	Committed map[string][]CommittedFile
	// Missing lists, per table, files a marker names that are not there.
	Missing map[string][]string
	// Ignored lists part files no marker names (left by an interrupted
	// attempt, or put there by hand); readers skip them.
	Ignored []string
}

// CommittedFile is one part file and the row count its marker records.
type CommittedFile struct {
	Path string
	Rows int64
}

// Files reads a run's chunk markers and lists its part files against them.
// It reads directories and markers only, not the Parquet files.
func (c *Catalog) Files(ref RunRef) (RunFiles, error) {
	rf := RunFiles{Committed: map[string][]CommittedFile{}, Missing: map[string][]string{}}
	want, err := c.markedFiles(ref)
	if err != nil {
		return rf, err
	}
	for _, t := range rows.Tables() {
		if t.Name == rows.TableRuns {
			continue
		}
		dir := c.PartitionDir(t.Name, ref)
		names, err := readNames(dir)
		if err != nil {
			return rf, err
		}
		present := map[string]bool{}
		for _, n := range names {
			if isPartFile(t.Name, n) {
				present[n] = true
				if _, ok := want[t.Name][n]; !ok {
					rf.Ignored = append(rf.Ignored, filepath.Join(dir, n))
				}
			}
		}
		for _, n := range slices.Sorted(maps.Keys(want[t.Name])) {
			if !present[n] {
				rf.Missing[t.Name] = append(rf.Missing[t.Name], filepath.Join(dir, n))
				continue
			}
			rf.Committed[t.Name] = append(rf.Committed[t.Name], CommittedFile{filepath.Join(dir, n), want[t.Name][n]})
		}
	}
	return rf, nil
}

// markedFiles maps table -> file name -> rows, from every marker of a run.
func (c *Catalog) markedFiles(ref RunRef) (map[string]map[string]int64, error) {
	names, err := readNames(c.markerDir(ref))
	if err != nil {
		return nil, err
	}
	want := map[string]map[string]int64{}
	for _, n := range names {
		if !strings.HasSuffix(n, ".done") || strings.HasPrefix(n, ".") {
			continue
		}
		path := filepath.Join(c.markerDir(ref), n)
		b, err := os.ReadFile(path)
		if err != nil {
			return nil, fmt.Errorf("warehouse: read marker: %w", err)
		}
		var m markerFile
		if err := json.Unmarshal(b, &m); err != nil {
			return nil, fmt.Errorf("warehouse: marker %s: %w (want the JSON a commit writes)", path, err)
		}
		if m.Run != ref.RunID || n != fmt.Sprintf("%05d-%06d.done", m.Shard, m.Chunk) {
			return nil, fmt.Errorf("warehouse: marker %s names run %s shard %d chunk %d: not this file's", path, m.Run, m.Shard, m.Chunk)
		}
		for table, rows := range m.Rows {
			if want[table] == nil {
				want[table] = map[string]int64{}
			}
			want[table][chunkFileName(m.Shard, m.Chunk)] = rows
		}
	}
	return want, nil
}

// Check verifies a run's files against its markers from the Parquet
// footers: every file a marker names exists, holds the rows the marker
// records and has its table's columns. It returns the part files no marker
// names, which readers ignore. A problem is an error wrapping ErrDamaged
// that names the file, what the marker records and what was found.
func (c *Catalog) Check(ref RunRef) (ignored []string, err error) {
	rf, err := c.Files(ref)
	if err != nil {
		return nil, err
	}
	var problems []error
	for _, table := range slices.Sorted(maps.Keys(rf.Missing)) {
		for _, m := range rf.Missing[table] {
			problems = append(problems, fmt.Errorf("%s: missing (a chunk marker records it)", m))
		}
	}
	for table, files := range rf.Committed {
		t, _ := rows.TableByName(table)
		for _, f := range files {
			if err := checkPart(f, t); err != nil {
				problems = append(problems, err)
			}
		}
	}
	if len(problems) > 0 {
		return rf.Ignored, fmt.Errorf("warehouse: run %s: %w: %w", ref, ErrDamaged, errors.Join(problems...))
	}
	return rf.Ignored, nil
}

// checkPart compares one file's footer with its marker and table.
func checkPart(f CommittedFile, t rows.Table) (err error) {
	defer func() {
		if r := recover(); r != nil { // parquet-go panics on some malformed footers
			err = fmt.Errorf("%s: unreadable footer: %v", f.Path, r)
		}
	}()
	fh, err := os.Open(f.Path)
	if err != nil {
		return err
	}
	defer fh.Close()
	st, err := fh.Stat()
	if err != nil {
		return err
	}
	pf, err := parquet.OpenFile(fh, st.Size(), parquet.SkipPageIndex(true), parquet.SkipBloomFilters(true))
	if err != nil {
		return fmt.Errorf("%s: unreadable footer: %w", f.Path, err)
	}
	if pf.NumRows() != f.Rows {
		return fmt.Errorf("%s: %d rows, its chunk marker records %d", f.Path, pf.NumRows(), f.Rows)
	}
	got, want := pf.Schema(), parquet.SchemaOf(reflect.New(t.Row).Interface())
	if !earlierSchema(got, want) {
		return fmt.Errorf("%s: columns are not the %s table's:\n%s\nwant\n%s", f.Path, t.Name, got, want)
	}
	return nil
}

// earlierSchema reports whether a file's schema is the table's, or the
// table's as an earlier gradprint wrote it: tables only ever gain columns
// at the end (the views read them as NULL in older files), so the file's
// columns must be the table's first ones, each with the same name, type
// and repetition.
func earlierSchema(file, table *parquet.Schema) bool {
	ff, tf := file.Fields(), table.Fields()
	if len(ff) == 0 || len(ff) > len(tf) {
		return false
	}
	for i, f := range ff {
		if fieldText(f) != fieldText(tf[i]) {
			return false
		}
	}
	return true
}

// fieldText prints one column (with its nested fields) as a schema does.
func fieldText(f parquet.Field) string {
	return parquet.NewSchema("column", parquet.Group{f.Name(): f}).String()
}
