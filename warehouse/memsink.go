package warehouse

import (
	"fmt"
	"slices"
	"sync"
)

// Rows holds rows of every table, as MemSink collects them.
type Rows struct {
	Training       []Training
	Predictions    []Prediction
	Saliency       []Saliency
	Metrics        []Metric
	Maps           []Map
	Flags          []Flag
	FailureMetrics []FailureMetric
}

func (r *Rows) append(o *Rows) {
	r.Training = append(r.Training, o.Training...)
	r.Predictions = append(r.Predictions, o.Predictions...)
	r.Saliency = append(r.Saliency, o.Saliency...)
	r.Metrics = append(r.Metrics, o.Metrics...)
	r.Maps = append(r.Maps, o.Maps...)
	r.Flags = append(r.Flags, o.Flags...)
	r.FailureMetrics = append(r.FailureMetrics, o.FailureMetrics...)
}

// MemSink is an in-memory Sink for tests of compute code: it has the same
// chunk semantics as a Run (rows count only once committed, a committed
// chunk cannot be reopened), without files.
type MemSink struct {
	runID string
	mu    sync.Mutex
	// chunks holds committed rows per chunk index.
	chunks map[int]*Rows
}

// NewMemSink returns an empty in-memory sink whose rows get run id runID.
func NewMemSink(runID string) *MemSink {
	return &MemSink{runID: runID, chunks: map[int]*Rows{}}
}

// Done implements Sink.
func (m *MemSink) Done(chunk int) (bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	_, ok := m.chunks[chunk]
	return ok, nil
}

// Chunk implements Sink.
func (m *MemSink) Chunk(chunk int) (ChunkSink, error) {
	if done, _ := m.Done(chunk); done {
		return nil, fmt.Errorf("warehouse: memory sink chunk %d: %w", chunk, ErrChunkDone)
	}
	return &memChunk{sink: m, idx: chunk}, nil
}

// Rows returns the committed rows of all chunks in chunk order.
func (m *MemSink) Rows() Rows {
	m.mu.Lock()
	defer m.mu.Unlock()
	idx := make([]int, 0, len(m.chunks))
	for i := range m.chunks {
		idx = append(idx, i)
	}
	slices.Sort(idx)
	var out Rows
	for _, i := range idx {
		out.append(m.chunks[i])
	}
	return out
}

type memChunk struct {
	sink *MemSink
	idx  int
	done bool
	rows Rows
}

func (c *memChunk) check() error {
	if c.done {
		return fmt.Errorf("warehouse: memory sink chunk %d: already committed or aborted", c.idx)
	}
	return nil
}

func stamp[T any](c *memChunk, dst *[]T, rows []T, set func(*T)) error {
	if err := c.check(); err != nil {
		return err
	}
	for i := range rows {
		set(&rows[i])
	}
	*dst = append(*dst, rows...)
	return nil
}

func (c *memChunk) WriteTraining(rows ...Training) error {
	return stamp(c, &c.rows.Training, rows, func(r *Training) { r.RunID = c.sink.runID })
}
func (c *memChunk) WritePredictions(rows ...Prediction) error {
	return stamp(c, &c.rows.Predictions, rows, func(r *Prediction) { r.RunID = c.sink.runID })
}
func (c *memChunk) WriteSaliency(rows ...Saliency) error {
	return stamp(c, &c.rows.Saliency, rows, func(r *Saliency) { r.RunID = c.sink.runID })
}
func (c *memChunk) WriteMetrics(rows ...Metric) error {
	return stamp(c, &c.rows.Metrics, rows, func(r *Metric) { r.RunID = c.sink.runID })
}
func (c *memChunk) WriteMaps(rows ...Map) error {
	return stamp(c, &c.rows.Maps, rows, func(r *Map) { r.RunID = c.sink.runID })
}
func (c *memChunk) WriteFlags(rows ...Flag) error {
	return stamp(c, &c.rows.Flags, rows, func(r *Flag) { r.RunID = c.sink.runID })
}
func (c *memChunk) WriteFailureMetrics(rows ...FailureMetric) error {
	return stamp(c, &c.rows.FailureMetrics, rows, func(r *FailureMetric) { r.RunID = c.sink.runID })
}

func (c *memChunk) Commit() error {
	if err := c.check(); err != nil {
		return err
	}
	c.done = true
	c.sink.mu.Lock()
	defer c.sink.mu.Unlock()
	if _, ok := c.sink.chunks[c.idx]; ok {
		return fmt.Errorf("warehouse: memory sink chunk %d: %w", c.idx, ErrChunkDone)
	}
	rows := c.rows
	c.sink.chunks[c.idx] = &rows
	return nil
}

func (c *memChunk) Abort() { c.done = true }
