// Package warehouse stores gradprint's results as Hive-partitioned Parquet
// and opens them in DuckDB. It implements the rows.Sink that compute
// writes through (one generic writer for every table's row type), keeps the
// run manifest, and owns the layout and the read side (Catalog, in
// catalog.go, the one file that knows the paths).
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
	"github.com/parquet-go/parquet-go/compress/zstd"
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
	"github.com/gradprint/gradprint/warehouse/rows"
)

// validName guards path components: run ids and dataset flags become
// directory names, and DuckDB parses them back from the path.
var validName = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]*$`)

// Warehouse is a directory of tables: the write side (runs and their
// chunks) over the Catalog that owns the layout and the read side.
type Warehouse struct {
	*Catalog
	// codec compresses every file this warehouse writes. One codec, and so
	// one pool of zstd encoders, serves them all: a codec per file left a
	// pool of megabyte encoders behind each file until the garbage
	// collector's next two cycles, and the heap of a long analyze grew
	// with its length (185 MB to 430 MB live over 1,000 images).
	codec *zstd.Codec
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
	return &Warehouse{Catalog: NewCatalog(root), codec: &zstd.Codec{Level: zstd.SpeedDefault}}, nil
}

// Run is one shard of a run being written. Chunks may be written from
// several goroutines at once (each ChunkWriter by one goroutine).
type Run struct {
	w  *Warehouse
	mu sync.Mutex // guards meta and the runs file
	// meta is the current runs row of this shard.
	meta rows.RunMeta
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

func (w *Warehouse) checkMeta(m *rows.RunMeta) error {
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
func (w *Warehouse) BeginRun(meta rows.RunMeta) (*Run, error) {
	if err := w.checkMeta(&meta); err != nil {
		return nil, err
	}
	path := w.runFile(metaRef(meta), int(meta.ShardIndex))
	if _, err := os.Stat(path); err == nil {
		return nil, fmt.Errorf("warehouse: run %s shard %d already exists at %s (resume it instead)", meta.RunID, meta.ShardIndex, path)
	}
	now := time.Now().UTC()
	if meta.StartedAt.IsZero() {
		meta.StartedAt = now
	}
	meta.UpdatedAt = now
	meta.Status = rows.StatusRunning
	meta.FinishedAt = nil
	meta.Error = ""
	if meta.GradprintVersion == "" && meta.GoVersion == "" {
		meta.GradprintVersion, meta.GoVersion = BuildInfo()
	}
	if meta.Host == "" {
		meta.Host, _ = os.Hostname()
	}
	lock, err := lockShard(w.lockFile(metaRef(meta), int(meta.ShardIndex)))
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
func (w *Warehouse) ResumeRun(meta rows.RunMeta) (*Run, error) {
	if err := w.checkMeta(&meta); err != nil {
		return nil, err
	}
	path := w.runFile(metaRef(meta), int(meta.ShardIndex))
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
	lock, err := lockShard(w.lockFile(metaRef(meta), int(meta.ShardIndex)))
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
	if stored.Status == rows.StatusComplete {
		return r, nil
	}
	r.meta.Status = rows.StatusRunning
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
func (w *Warehouse) BeginOrResume(meta rows.RunMeta) (r *Run, resumed bool, err error) {
	if err := w.checkMeta(&meta); err != nil {
		return nil, false, err
	}
	if err := w.sameShardCount(meta); err != nil {
		return nil, false, err
	}
	path := w.runFile(metaRef(meta), int(meta.ShardIndex))
	if _, err := os.Stat(path); err == nil {
		r, err := w.ResumeRun(meta)
		return r, true, err
	}
	r, err = w.BeginRun(meta)
	return r, false, err
}

// sameShardCount refuses a shard whose run already has shards of another
// count: the chunks are dealt out by the count, so mixing counts would
// write some chunks twice.
func (w *Warehouse) sameShardCount(meta rows.RunMeta) error {
	shards, err := w.Shards(meta.Dataset)
	if err != nil {
		return err
	}
	for _, s := range shards {
		if s.RunID == meta.RunID && s.ShardCount != meta.ShardCount {
			return fmt.Errorf("warehouse: run %s was started as %d shards (shard %d exists, %s); this is shard %d of %d. "+
				"Run every shard with --shard i/%d (or JOB_COMPLETIONS=%d), or delete the run to start over: rm -r %s",
				meta.RunID, s.ShardCount, s.ShardIndex, s.Status, meta.ShardIndex, meta.ShardCount, s.ShardCount, s.ShardCount,
				filepath.Join(w.Root(), "*", datasetKey+meta.Dataset, runKey+meta.RunID))
		}
	}
	return nil
}

// Meta returns a copy of the run shard's current runs row.
func (r *Run) Meta() rows.RunMeta {
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
func (r *Run) Update(change func(m *rows.RunMeta)) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	id, ds, shard, count := r.meta.RunID, r.meta.Dataset, r.meta.ShardIndex, r.meta.ShardCount
	change(&r.meta)
	// Identity fields locate the file; changing them would orphan it.
	r.meta.RunID, r.meta.Dataset, r.meta.ShardIndex, r.meta.ShardCount = id, ds, shard, count
	r.meta.UpdatedAt = time.Now().UTC()
	return r.writeMetaLocked()
}

// Finish records the final status (rows.StatusComplete or rows.StatusFailed) and, for
// failures, the error message.
func (r *Run) Finish(status string, runErr error) error {
	if status != rows.StatusComplete && status != rows.StatusFailed {
		return fmt.Errorf("warehouse: finish run %s: status %q, want %s or %s", r.meta.RunID, status, rows.StatusComplete, rows.StatusFailed)
	}
	err := r.Update(func(m *rows.RunMeta) {
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
	path := r.w.runFile(r.ref(), int(r.meta.ShardIndex))
	err := atomicfile.Write(path, func(f io.Writer) error {
		pw := parquet.NewGenericWriter[rows.RunMeta](f, r.w.writerOptions(rows.TableRuns)...)
		if _, err := pw.Write([]rows.RunMeta{r.meta}); err != nil {
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
	_, err := os.Stat(r.w.markerFile(r.ref(), int(r.meta.ShardIndex), idx))
	switch {
	case err == nil:
		return true, nil
	case errors.Is(err, os.ErrNotExist):
		return false, nil
	default:
		return false, fmt.Errorf("warehouse: chunk %d of run %s: %w", idx, r.meta.RunID, err)
	}
}

func (r *Run) countDone() (int, error) { return r.w.markers(r.ref(), int(r.meta.ShardIndex)) }

// ref names the run this shard belongs to.
func (r *Run) ref() RunRef { return RunRef{r.meta.Dataset, r.meta.RunID} }

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

func metaRef(m rows.RunMeta) RunRef { return RunRef{m.Dataset, m.RunID} }
