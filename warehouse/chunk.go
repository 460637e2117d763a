package warehouse

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/compress/zstd"

	"github.com/gradprint/gradprint/internal/atomicfile"
)

// RowWriter takes rows of every table. Write methods set RunID on the rows
// they are given (in place) to the run's id, so compute code need not know
// it.
type RowWriter interface {
	WriteTraining(rows ...Training) error
	WritePredictions(rows ...Prediction) error
	WriteSaliency(rows ...Saliency) error
	WriteMetrics(rows ...Metric) error
	WriteMaps(rows ...Map) error
	WriteFlags(rows ...Flag) error
	WriteFailureMetrics(rows ...FailureMetric) error
}

// ChunkSink receives the rows of one chunk; nothing is visible to Done until
// Commit returns nil. Abort discards the chunk.
type ChunkSink interface {
	RowWriter
	Commit() error
	Abort()
}

// Sink is what compute writes through: chunk by chunk, skipping chunks
// already done. *Run implements it for Parquet, *MemSink in memory.
type Sink interface {
	Done(chunk int) (bool, error)
	Chunk(chunk int) (ChunkSink, error)
}

var (
	_ Sink = (*Run)(nil)
	_ Sink = (*MemSink)(nil)
)

// rowGroupRows bounds a row group: big enough for zstd and dictionaries to
// pay off, small enough that DuckDB can scan one file's row groups in
// parallel and the writer's buffers stay modest.
const rowGroupRows = 256 * 1024

func writerOptions(table string) []parquet.WriterOption {
	version, _ := BuildInfo()
	return []parquet.WriterOption{
		parquet.Compression(&zstd.Codec{Level: zstd.SpeedDefault}),
		parquet.MaxRowsPerRowGroup(rowGroupRows),
		parquet.CreatedBy("gradprint", version, ""),
		parquet.KeyValueMetadata("gradprint.table", table),
	}
}

// tableWriter streams one table's rows of one chunk into a temporary file.
type tableWriter[T any] struct {
	file *atomicfile.File
	pw   *parquet.GenericWriter[T]
	rows int64
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

	training       tableWriter[Training]
	predictions    tableWriter[Prediction]
	saliency       tableWriter[Saliency]
	metrics        tableWriter[Metric]
	maps           tableWriter[Map]
	flags          tableWriter[Flag]
	failureMetrics tableWriter[FailureMetric]
}

// Chunk opens chunk idx of this shard for writing. Files left by an earlier,
// interrupted attempt at the same chunk (complete part files without a
// marker, or temporary files) are removed first, so the rewrite cannot
// duplicate or mix rows. A committed chunk returns ErrChunkDone.
func (r *Run) Chunk(idx int) (ChunkSink, error) { return r.OpenChunk(idx) }

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
		return nil, fmt.Errorf("warehouse: run %s shard %d chunk %d: %w", r.meta.RunID, r.meta.ShardIndex, idx, ErrChunkDone)
	}
	name := chunkFileName(int(r.meta.ShardIndex), idx)
	for _, t := range Tables() {
		if t.Name == TableRuns {
			continue
		}
		dir := r.w.PartitionDir(t.Name, r.meta.Dataset, r.meta.RunID)
		stale, _ := filepath.Glob(filepath.Join(dir, "."+name+".*.tmp"))
		stale = append(stale, filepath.Join(dir, name))
		for _, p := range stale {
			if err := os.Remove(p); err != nil && !errors.Is(err, os.ErrNotExist) {
				return nil, fmt.Errorf("warehouse: remove stale %s: %w", p, err)
			}
		}
	}
	return &ChunkWriter{run: r, idx: idx, start: time.Now()}, nil
}

func writeRows[T any](c *ChunkWriter, tw *tableWriter[T], table string, rows []T) error {
	if c.done {
		return fmt.Errorf("warehouse: write %s to chunk %d: chunk already committed or aborted", table, c.idx)
	}
	if c.err != nil {
		return c.err
	}
	if len(rows) == 0 {
		return nil
	}
	if tw.pw == nil {
		dest := filepath.Join(c.run.w.PartitionDir(table, c.run.meta.Dataset, c.run.meta.RunID), chunkFileName(int(c.run.meta.ShardIndex), c.idx))
		f, err := atomicfile.Create(dest)
		if err != nil {
			c.err = fmt.Errorf("warehouse: %w", err)
			return c.err
		}
		tw.file = f
		tw.pw = parquet.NewGenericWriter[T](f, writerOptions(table)...)
	}
	if _, err := tw.pw.Write(rows); err != nil {
		c.err = fmt.Errorf("warehouse: write %s rows to %s: %w", table, tw.file.Name(), err)
		return c.err
	}
	tw.rows += int64(len(rows))
	return nil
}

// WriteTraining implements RowWriter.
func (c *ChunkWriter) WriteTraining(rows ...Training) error {
	for i := range rows {
		rows[i].RunID = c.run.meta.RunID
	}
	return writeRows(c, &c.training, TableTraining, rows)
}

// WritePredictions implements RowWriter.
func (c *ChunkWriter) WritePredictions(rows ...Prediction) error {
	for i := range rows {
		rows[i].RunID = c.run.meta.RunID
	}
	return writeRows(c, &c.predictions, TablePredictions, rows)
}

// WriteSaliency implements RowWriter.
func (c *ChunkWriter) WriteSaliency(rows ...Saliency) error {
	for i := range rows {
		rows[i].RunID = c.run.meta.RunID
	}
	return writeRows(c, &c.saliency, TableSaliency, rows)
}

// WriteMetrics implements RowWriter.
func (c *ChunkWriter) WriteMetrics(rows ...Metric) error {
	for i := range rows {
		rows[i].RunID = c.run.meta.RunID
	}
	return writeRows(c, &c.metrics, TableMetrics, rows)
}

// WriteMaps implements RowWriter.
func (c *ChunkWriter) WriteMaps(rows ...Map) error {
	for i := range rows {
		rows[i].RunID = c.run.meta.RunID
	}
	return writeRows(c, &c.maps, TableMaps, rows)
}

// WriteFlags implements RowWriter.
func (c *ChunkWriter) WriteFlags(rows ...Flag) error {
	for i := range rows {
		rows[i].RunID = c.run.meta.RunID
	}
	return writeRows(c, &c.flags, TableFlags, rows)
}

// WriteFailureMetrics implements RowWriter.
func (c *ChunkWriter) WriteFailureMetrics(rows ...FailureMetric) error {
	for i := range rows {
		rows[i].RunID = c.run.meta.RunID
	}
	return writeRows(c, &c.failureMetrics, TableFailureMetrics, rows)
}

// closer finishes one table's file: footer, sync, rename.
type closer struct {
	table string
	rows  int64
	close func() error // writes the footer
	file  *atomicfile.File
}

func closerOf[T any](table string, tw *tableWriter[T]) *closer {
	if tw.pw == nil {
		return nil
	}
	return &closer{table: table, rows: tw.rows, close: tw.pw.Close, file: tw.file}
}

func (c *ChunkWriter) closers() []*closer {
	var out []*closer
	for _, cl := range []*closer{
		closerOf(TableTraining, &c.training),
		closerOf(TablePredictions, &c.predictions),
		closerOf(TableSaliency, &c.saliency),
		closerOf(TableMetrics, &c.metrics),
		closerOf(TableMaps, &c.maps),
		closerOf(TableFlags, &c.flags),
		closerOf(TableFailureMetrics, &c.failureMetrics),
	} {
		if cl != nil {
			out = append(out, cl)
		}
	}
	return out
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
	cls := c.closers()
	marker := markerFile{Run: c.run.meta.RunID, Shard: int(c.run.meta.ShardIndex), Chunk: c.idx, Rows: map[string]int64{}}
	dirs := map[string]bool{}
	for i, cl := range cls {
		err := cl.close()
		if err == nil {
			err = cl.file.Commit()
		} else {
			err = fmt.Errorf("warehouse: finish %s: %w", cl.file.Name(), err)
		}
		if err != nil {
			for _, rest := range cls[i:] {
				rest.file.Abort()
			}
			return fmt.Errorf("warehouse: commit chunk %d of run %s: %w", c.idx, c.run.meta.RunID, err)
		}
		marker.Rows[cl.table] = cl.rows
		dirs[filepath.Dir(cl.file.Name())] = true
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
	path := c.run.w.chunkMarker(c.run.meta.Dataset, c.run.meta.RunID, int(c.run.meta.ShardIndex), c.idx)
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
	for _, cl := range c.closers() {
		cl.file.Abort()
	}
}

// Rows reports how many rows of each table the chunk has received.
func (c *ChunkWriter) Rows() map[string]int64 {
	out := map[string]int64{}
	for _, cl := range c.closers() {
		out[cl.table] = cl.rows
	}
	return out
}
