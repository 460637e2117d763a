package warehouse

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
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
				if strings.HasPrefix(f, partPrefix) && strings.HasSuffix(f, partSuffix) {
					out = append(out, PartFile{filepath.Join(c.PartitionDir(table, ref), f), ref})
				}
			}
		}
	}
	return out, nil
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
// of one run, in file order.
func Read[T any](c *Catalog, ref RunRef) ([]T, error) {
	t, err := rows.TableOf[T]()
	if err != nil {
		return nil, err
	}
	files, err := readNames(c.PartitionDir(t.Name, ref))
	if err != nil {
		return nil, err
	}
	var out []T
	for _, name := range files {
		if !strings.HasPrefix(name, partPrefix) || !strings.HasSuffix(name, partSuffix) {
			continue
		}
		path := filepath.Join(c.PartitionDir(t.Name, ref), name)
		rs, err := parquet.ReadFile[T](path)
		if err != nil {
			return nil, fmt.Errorf("warehouse: read %s: %w", path, err)
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
