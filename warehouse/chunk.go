package warehouse

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"time"

	"github.com/parquet-go/parquet-go"

	"github.com/gradprint/gradprint/internal/atomicfile"
	"github.com/gradprint/gradprint/warehouse/rows"
)

var (
	_ rows.Sink  = (*Run)(nil)
	_ rows.Chunk = (*ChunkWriter)(nil)
)

// rowGroupRows bounds a row group: big enough for zstd and dictionaries to
// pay off, small enough that DuckDB can scan one file's row groups in
// parallel and the writer's buffers stay modest.
const rowGroupRows = 256 * 1024

func (w *Warehouse) writerOptions(table string) []parquet.WriterOption {
	version, _ := BuildInfo()
	return []parquet.WriterOption{
		parquet.Compression(w.codec),
		parquet.MaxRowsPerRowGroup(rowGroupRows),
		parquet.CreatedBy("gradprint", version, ""),
		parquet.KeyValueMetadata("gradprint.table", table),
	}
}

// part streams one table's rows of one chunk into a temporary file.
type part interface {
	write(rows any) error
	// finish writes the footer; the file is then ready to commit.
	finish() error
	file() *atomicfile.File
	count() int64
}

// typedPart is the part of a table whose rows are T: parquet-go's
// GenericWriter maps T's fields straight onto column buffers.
type typedPart[T any] struct {
	f  *atomicfile.File
	pw *parquet.GenericWriter[T]
	n  int64
}

func openPart[T any](f *atomicfile.File, opts []parquet.WriterOption) part {
	return &typedPart[T]{f: f, pw: parquet.NewGenericWriter[T](f, opts...)}
}

func (p *typedPart[T]) write(rs any) error {
	r, ok := rs.([]T)
	if !ok {
		return fmt.Errorf("rows of type %T, want %T", rs, r)
	}
	if _, err := p.pw.Write(r); err != nil {
		return err
	}
	p.n += int64(len(r))
	return nil
}

func (p *typedPart[T]) finish() error          { return p.pw.Close() }
func (p *typedPart[T]) file() *atomicfile.File { return p.f }
func (p *typedPart[T]) count() int64           { return p.n }

// partOpener is the one list that pairs each row type with its typed
// writer: Go cannot make a GenericWriter[T] from a reflect.Type, so every
// table written in chunks is named here once.
func partOpener(t rows.Table) (func(*atomicfile.File, []parquet.WriterOption) part, bool) {
	open, ok := map[reflect.Type]func(*atomicfile.File, []parquet.WriterOption) part{
		reflect.TypeFor[rows.Training]():          openPart[rows.Training],
		reflect.TypeFor[rows.Prediction]():        openPart[rows.Prediction],
		reflect.TypeFor[rows.Saliency]():          openPart[rows.Saliency],
		reflect.TypeFor[rows.Metric]():            openPart[rows.Metric],
		reflect.TypeFor[rows.Map]():               openPart[rows.Map],
		reflect.TypeFor[rows.Fingerprint]():       openPart[rows.Fingerprint],
		reflect.TypeFor[rows.Embedding]():         openPart[rows.Embedding],
		reflect.TypeFor[rows.Flag]():              openPart[rows.Flag],
		reflect.TypeFor[rows.FailureMetric]():     openPart[rows.FailureMetric],
		reflect.TypeFor[rows.Score]():             openPart[rows.Score],
		reflect.TypeFor[rows.DegradationMetric](): openPart[rows.DegradationMetric],
		reflect.TypeFor[rows.Guarantee]():         openPart[rows.Guarantee],
	}[t.Row]
	return open, ok
}

// ChunkWriter writes one chunk of one run shard: one part file per table
// that receives rows. It is not safe for concurrent use; use one per
// goroutine.
type ChunkWriter struct {
	run   *Run
	idx   int
	done  bool
	err   error // first write error; Commit refuses after one
	start time.Time
	parts map[string]part
	order []string // tables in the order they received rows
}

// Chunk opens chunk idx of this shard for writing. Files left by an earlier,
// interrupted attempt at the same chunk (complete part files without a
// marker, or temporary files) are removed first, so the rewrite cannot
// duplicate or mix rows. A committed chunk returns rows.ErrChunkDone.
func (r *Run) Chunk(idx int) (rows.Chunk, error) { return r.OpenChunk(idx) }

// OpenChunk is Chunk returning the concrete type.
func (r *Run) OpenChunk(idx int) (*ChunkWriter, error) {
	if idx < 0 || idx > 999999 {
		return nil, fmt.Errorf("warehouse: run %s: chunk %d out of range 0..999999", r.meta.RunID, idx)
	}
	done, err := r.Done(idx)
	if err != nil {
		return nil, err
	}
	if done {
		return nil, fmt.Errorf("warehouse: run %s shard %d chunk %d: %w", r.meta.RunID, r.meta.ShardIndex, idx, rows.ErrChunkDone)
	}
	for _, t := range rows.Tables() {
		if t.Name == rows.TableRuns {
			continue
		}
		dest := r.w.chunkFile(t.Name, r.ref(), int(r.meta.ShardIndex), idx)
		stale := append(atomicfile.Temporaries(dest), dest)
		for _, p := range stale {
			if err := os.Remove(p); err != nil && !errors.Is(err, os.ErrNotExist) {
				return nil, fmt.Errorf("warehouse: remove stale %s: %w", p, err)
			}
		}
	}
	return &ChunkWriter{run: r, idx: idx, start: time.Now(), parts: map[string]part{}}, nil
}

// Append implements rows.Chunk: it streams rows into the chunk's part file
// of table t, creating the file on the table's first rows.
func (c *ChunkWriter) Append(t rows.Table, rs any) error {
	if c.done {
		return fmt.Errorf("warehouse: write %s to chunk %d: chunk already committed or aborted", t.Name, c.idx)
	}
	if c.err != nil {
		return c.err
	}
	p, ok := c.parts[t.Name]
	if !ok {
		open, known := partOpener(t)
		if !known {
			return fmt.Errorf("warehouse: table %s is not written in chunks", t.Name)
		}
		f, err := atomicfile.Create(c.run.w.chunkFile(t.Name, c.run.ref(), int(c.run.meta.ShardIndex), c.idx))
		if err != nil {
			c.err = fmt.Errorf("warehouse: %w", err)
			return c.err
		}
		p = open(f, c.run.w.writerOptions(t.Name))
		c.parts[t.Name] = p
		c.order = append(c.order, t.Name)
	}
	if err := rows.SetRunID(rs, c.run.meta.RunID); err != nil {
		return fmt.Errorf("warehouse: %w", err)
	}
	if err := p.write(rs); err != nil {
		c.err = fmt.Errorf("warehouse: write %s rows to %s: %w", t.Name, p.file().Name(), err)
		return c.err
	}
	return nil
}

// Commit makes the chunk's part files visible (each synced and renamed into
// place) and then writes the chunk's marker. If the process dies before the
// marker exists the chunk counts as not done and is rewritten on resume.
func (c *ChunkWriter) Commit() error {
	if c.done {
		return fmt.Errorf("warehouse: commit chunk %d: already committed or aborted", c.idx)
	}
	if c.err != nil {
		c.Abort()
		return fmt.Errorf("warehouse: commit chunk %d: earlier write failed: %w", c.idx, c.err)
	}
	c.done = true
	marker := markerFile{Run: c.run.meta.RunID, Shard: int(c.run.meta.ShardIndex), Chunk: c.idx, Rows: map[string]int64{}}
	dirs := map[string]bool{}
	for i, table := range c.order {
		p := c.parts[table]
		err := p.finish()
		if err == nil {
			err = p.file().Commit()
		} else {
			err = fmt.Errorf("warehouse: finish %s: %w", p.file().Name(), err)
		}
		if err != nil {
			for _, rest := range c.order[i:] {
				c.parts[rest].file().Abort()
			}
			return fmt.Errorf("warehouse: commit chunk %d of run %s: %w", c.idx, c.run.meta.RunID, err)
		}
		marker.Rows[table] = p.count()
		dirs[filepath.Dir(p.file().Name())] = true
	}
	// The renames must be durable before the marker claims the chunk.
	for d := range dirs {
		if err := syncDir(d); err != nil {
			return err
		}
	}
	marker.Committed = time.Now().UTC()
	marker.Seconds = time.Since(c.start).Seconds()
	data, err := json.MarshalIndent(marker, "", "  ")
	if err != nil {
		return fmt.Errorf("warehouse: marker of chunk %d: %w", c.idx, err)
	}
	path := c.run.w.markerFile(c.run.ref(), int(c.run.meta.ShardIndex), c.idx)
	if err := atomicfile.WriteFile(path, append(data, '\n')); err != nil {
		return fmt.Errorf("warehouse: commit chunk %d: %w", c.idx, err)
	}
	if err := syncDir(filepath.Dir(path)); err != nil {
		return err
	}
	// Refresh the runs row so chunks_done and updated_at show progress
	// (and liveness) to anyone listing runs while this one writes.
	c.run.mu.Lock()
	defer c.run.mu.Unlock()
	c.run.chunksDone++
	c.run.meta.UpdatedAt = time.Now().UTC()
	return c.run.writeMetaLocked()
}

// Abort discards the chunk's temporary files. Safe after Commit.
func (c *ChunkWriter) Abort() {
	if c.done {
		return
	}
	c.done = true
	for _, table := range c.order {
		c.parts[table].file().Abort()
	}
}

// Rows reports how many rows of each table the chunk has received.
func (c *ChunkWriter) Rows() map[string]int64 {
	out := map[string]int64{}
	for table, p := range c.parts {
		out[table] = p.count()
	}
	return out
}
