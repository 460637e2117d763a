// Package warehouse stores gradprint's results as Hive-partitioned Parquet
// and opens them in DuckDB.
//
// Layout, for every table:
//
//	<root>/<table>/dataset=<flag>/run=<run_id>/part-<shard>-<chunk>.parquet
//
// Work is done in numbered chunks. A chunk's files in every table are written
// to temporary names (".<name>.*.tmp", ignored by readers), synced and
// renamed; then a marker runs/dataset=<flag>/run=<run_id>/_chunks/
// <shard>-<chunk>.done is written last. A rerun asks Done(chunk), skips
// finished chunks and rewrites unfinished ones under the same file names, so
// rows are never duplicated. The runs table holds one row per run and shard
// (file part-<shard>.parquet), rewritten atomically on every status change;
// DuckDB views hide runs that are not complete in every shard.
//
// The package knows nothing of how rows were computed.
package warehouse

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"runtime/debug"
	"sync"
	"time"

	"github.com/parquet-go/parquet-go"

	"github.com/gradprint/gradprint/internal/atomicfile"
)

// Run statuses.
const (
	StatusRunning  = "running"
	StatusComplete = "complete"
	StatusFailed   = "failed"
)

// ErrChunkDone is returned when a committed chunk is opened for writing again.
var ErrChunkDone = errors.New("chunk already committed")

// validName guards path components: run ids and dataset flags become
// directory names, and DuckDB parses them back from the path.
var validName = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]*$`)

// Warehouse is a directory of tables.
type Warehouse struct {
	root string
}

// Open returns the warehouse rooted at root, creating the directory if
// needed.
func Open(root string) (*Warehouse, error) {
	if root == "" {
		return nil, errors.New("warehouse: empty root directory")
	}
	if err := os.MkdirAll(root, 0o755); err != nil {
		return nil, fmt.Errorf("warehouse: create %s: %w", root, err)
	}
	return &Warehouse{root: root}, nil
}

// Root is the warehouse directory.
func (w *Warehouse) Root() string { return w.root }

// PartitionDir is the directory of one run's files of one table.
func (w *Warehouse) PartitionDir(table, dataset, runID string) string {
	return filepath.Join(w.root, table, "dataset="+dataset, "run="+runID)
}

func (w *Warehouse) chunkMarker(dataset, runID string, shard, chunk int) string {
	return filepath.Join(w.PartitionDir(TableRuns, dataset, runID), "_chunks", fmt.Sprintf("%05d-%06d.done", shard, chunk))
}

func (w *Warehouse) lockPath(dataset, runID string, shard int) string {
	return filepath.Join(w.PartitionDir(TableRuns, dataset, runID), "_chunks", fmt.Sprintf("%05d.lock", shard))
}

func runFileName(shard int) string { return fmt.Sprintf("part-%05d.parquet", shard) }

func chunkFileName(shard, chunk int) string {
	return fmt.Sprintf("part-%05d-%06d.parquet", shard, chunk)
}

// Run is one shard of a run being written. Chunks may be written from
// several goroutines at once (each ChunkWriter by one goroutine).
type Run struct {
	w  *Warehouse
	mu sync.Mutex // guards meta and the runs file
	// meta is the current runs row of this shard.
	meta RunMeta
	// chunksDone counts chunks committed, including those found on resume.
	chunksDone int
	// lock is held from Begin/Resume until Finish or Close.
	lock *os.File
}

// BuildInfo returns the gradprint and Go versions recorded with runs.
func BuildInfo() (gradprintVersion, goVersion string) {
	gradprintVersion = "devel"
	if bi, ok := debug.ReadBuildInfo(); ok {
		if v := bi.Main.Version; v != "" && v != "(devel)" {
			gradprintVersion = v
		}
		for _, s := range bi.Settings {
			if s.Key == "vcs.revision" && len(s.Value) >= 12 {
				gradprintVersion += "+" + s.Value[:12]
			}
		}
	}
	return gradprintVersion, runtime.Version()
}

func (w *Warehouse) checkMeta(m *RunMeta) error {
	if !validName.MatchString(m.RunID) {
		return fmt.Errorf("warehouse: run id %q: want letters, digits, '.', '_' or '-'", m.RunID)
	}
	if !validName.MatchString(m.Dataset) {
		return fmt.Errorf("warehouse: run %s: dataset %q: want letters, digits, '.', '_' or '-'", m.RunID, m.Dataset)
	}
	if m.ShardCount == 0 {
		m.ShardCount = 1
	}
	if m.ShardIndex < 0 || m.ShardIndex >= m.ShardCount {
		return fmt.Errorf("warehouse: run %s: shard %d of %d out of range", m.RunID, m.ShardIndex, m.ShardCount)
	}
	return nil
}

// BeginRun starts a new run shard and writes its runs row with status
// running. It fails if the shard's row already exists; use ResumeRun or
// BeginOrResume for reruns.
func (w *Warehouse) BeginRun(meta RunMeta) (*Run, error) {
	if err := w.checkMeta(&meta); err != nil {
		return nil, err
	}
	path := filepath.Join(w.PartitionDir(TableRuns, meta.Dataset, meta.RunID), runFileName(int(meta.ShardIndex)))
	if _, err := os.Stat(path); err == nil {
		return nil, fmt.Errorf("warehouse: run %s shard %d already exists at %s (resume it instead)", meta.RunID, meta.ShardIndex, path)
	}
	now := time.Now().UTC()
	if meta.StartedAt.IsZero() {
		meta.StartedAt = now
	}
	meta.UpdatedAt = now
	meta.Status = StatusRunning
	meta.FinishedAt = nil
	meta.Error = ""
	if meta.GradprintVersion == "" && meta.GoVersion == "" {
		meta.GradprintVersion, meta.GoVersion = BuildInfo()
	}
	if meta.Host == "" {
		meta.Host, _ = os.Hostname()
	}
	lock, err := lockShard(w.lockPath(meta.Dataset, meta.RunID, int(meta.ShardIndex)))
	if err != nil {
		return nil, err
	}
	// Checked again under the lock: another process may have begun it.
	if _, err := os.Stat(path); err == nil {
		unlockShard(lock)
		return nil, fmt.Errorf("warehouse: run %s shard %d already exists at %s (resume it instead)", meta.RunID, meta.ShardIndex, path)
	}
	r := &Run{w: w, meta: meta, lock: lock}
	if err := r.writeMeta(); err != nil {
		unlockShard(lock)
		return nil, err
	}
	return r, nil
}

// ResumeRun reopens an existing run shard: it reads the stored runs row,
// checks that the configuration matches (when meta.ConfigJSON is set), marks
// it running again and counts the committed chunks. A complete run is
// returned as is, so callers can skip it.
func (w *Warehouse) ResumeRun(meta RunMeta) (*Run, error) {
	if err := w.checkMeta(&meta); err != nil {
		return nil, err
	}
	path := filepath.Join(w.PartitionDir(TableRuns, meta.Dataset, meta.RunID), runFileName(int(meta.ShardIndex)))
	stored, err := readRunFile(path)
	if err != nil {
		return nil, err
	}
	stored.Dataset = meta.Dataset
	if meta.ConfigJSON != "" && stored.ConfigJSON != meta.ConfigJSON {
		return nil, fmt.Errorf("warehouse: resume run %s: configuration differs from the one stored in %s; use a new run id", meta.RunID, path)
	}
	if stored.ShardCount != meta.ShardCount {
		return nil, fmt.Errorf("warehouse: resume run %s: stored shard_count %d in %s, asked %d", meta.RunID, stored.ShardCount, path, meta.ShardCount)
	}
	lock, err := lockShard(w.lockPath(meta.Dataset, meta.RunID, int(meta.ShardIndex)))
	if err != nil {
		return nil, err
	}
	r := &Run{w: w, meta: stored, lock: lock}
	n, err := r.countDone()
	if err != nil {
		r.Close()
		return nil, err
	}
	r.chunksDone = n
	if stored.Status == StatusComplete {
		return r, nil
	}
	r.meta.Status = StatusRunning
	r.meta.FinishedAt = nil
	r.meta.Error = ""
	r.meta.UpdatedAt = time.Now().UTC()
	if err := r.writeMeta(); err != nil {
		r.Close()
		return nil, err
	}
	return r, nil
}

// Close releases the shard's writer lock without changing its status (a
// run left running can be resumed later). Finish calls it.
func (r *Run) Close() {
	r.mu.Lock()
	defer r.mu.Unlock()
	unlockShard(r.lock)
	r.lock = nil
}

// BeginOrResume resumes the shard if it exists and begins it otherwise.
func (w *Warehouse) BeginOrResume(meta RunMeta) (r *Run, resumed bool, err error) {
	if err := w.checkMeta(&meta); err != nil {
		return nil, false, err
	}
	path := filepath.Join(w.PartitionDir(TableRuns, meta.Dataset, meta.RunID), runFileName(int(meta.ShardIndex)))
	if _, err := os.Stat(path); err == nil {
		r, err := w.ResumeRun(meta)
		return r, true, err
	}
	r, err = w.BeginRun(meta)
	return r, false, err
}

func readRunFile(path string) (RunMeta, error) {
	f, err := os.Open(path)
	if err != nil {
		return RunMeta{}, fmt.Errorf("warehouse: read run: %w", err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return RunMeta{}, fmt.Errorf("warehouse: read run %s: %w", path, err)
	}
	pf, err := parquet.OpenFile(f, st.Size())
	if err != nil {
		return RunMeta{}, fmt.Errorf("warehouse: read run %s: %w", path, err)
	}
	rd := parquet.NewGenericReader[RunMeta](pf)
	defer rd.Close()
	rows := make([]RunMeta, 2)
	n, err := rd.Read(rows)
	if n != 1 {
		return RunMeta{}, fmt.Errorf("warehouse: read run %s: %d rows, want 1 (%v)", path, n, err)
	}
	return rows[0], nil
}

// Meta returns a copy of the run shard's current runs row.
func (r *Run) Meta() RunMeta {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.meta
}

// ID is the run id.
func (r *Run) ID() string { return r.meta.RunID }

// Shard is the shard index this Run writes.
func (r *Run) Shard() int { return int(r.meta.ShardIndex) }

// Update changes the runs row (for example timings or the model checksum)
// and rewrites it atomically.
func (r *Run) Update(change func(m *RunMeta)) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	id, ds, shard, count := r.meta.RunID, r.meta.Dataset, r.meta.ShardIndex, r.meta.ShardCount
	change(&r.meta)
	// Identity fields locate the file; changing them would orphan it.
	r.meta.RunID, r.meta.Dataset, r.meta.ShardIndex, r.meta.ShardCount = id, ds, shard, count
	r.meta.UpdatedAt = time.Now().UTC()
	return r.writeMetaLocked()
}

// Finish records the final status (StatusComplete or StatusFailed) and, for
// failures, the error message.
func (r *Run) Finish(status string, runErr error) error {
	if status != StatusComplete && status != StatusFailed {
		return fmt.Errorf("warehouse: finish run %s: status %q, want %s or %s", r.meta.RunID, status, StatusComplete, StatusFailed)
	}
	err := r.Update(func(m *RunMeta) {
		now := time.Now().UTC()
		m.Status = status
		m.FinishedAt = &now
		m.Error = ""
		if runErr != nil {
			m.Error = runErr.Error()
		}
	})
	r.Close()
	return err
}

func (r *Run) writeMeta() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.writeMetaLocked()
}

func (r *Run) writeMetaLocked() error {
	r.meta.ChunksDone = int32(r.chunksDone)
	path := filepath.Join(r.w.PartitionDir(TableRuns, r.meta.Dataset, r.meta.RunID), runFileName(int(r.meta.ShardIndex)))
	err := atomicfile.Write(path, func(f io.Writer) error {
		pw := parquet.NewGenericWriter[RunMeta](f, writerOptions(TableRuns)...)
		if _, err := pw.Write([]RunMeta{r.meta}); err != nil {
			return err
		}
		return pw.Close()
	})
	if err != nil {
		return fmt.Errorf("warehouse: write run row: %w", err)
	}
	return syncDir(filepath.Dir(path))
}

// Done reports whether chunk idx of this shard was committed.
func (r *Run) Done(idx int) (bool, error) {
	_, err := os.Stat(r.w.chunkMarker(r.meta.Dataset, r.meta.RunID, int(r.meta.ShardIndex), idx))
	switch {
	case err == nil:
		return true, nil
	case errors.Is(err, os.ErrNotExist):
		return false, nil
	default:
		return false, fmt.Errorf("warehouse: chunk %d of run %s: %w", idx, r.meta.RunID, err)
	}
}

func (r *Run) countDone() (int, error) {
	pattern := filepath.Join(filepath.Dir(r.w.chunkMarker(r.meta.Dataset, r.meta.RunID, 0, 0)), fmt.Sprintf("%05d-*.done", r.meta.ShardIndex))
	m, err := filepath.Glob(pattern)
	if err != nil {
		return 0, fmt.Errorf("warehouse: list chunks %s: %w", pattern, err)
	}
	return len(m), nil
}

// ChunksDone is the number of chunks of this shard committed so far.
func (r *Run) ChunksDone() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.chunksDone
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("warehouse: sync %s: %w", dir, err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("warehouse: sync %s: %w", dir, err)
	}
	return nil
}
