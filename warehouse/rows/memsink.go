package rows

import (
	"fmt"
	"reflect"
	"slices"
	"sync"
)

// MemSink is a Sink that keeps rows in memory, with the same chunk
// semantics as the warehouse (rows count only once committed, a committed
// chunk cannot be reopened). Tests of compute code use it, and flag uses
// it for rows that are scored but not stored.
type MemSink struct {
	runID string
	mu    sync.Mutex
	// chunks holds the committed rows per chunk index: table name ->
	// []T of that table's row type.
	chunks map[int]map[string]reflect.Value
}

// NewMemSink returns an empty in-memory sink whose rows get run id runID.
func NewMemSink(runID string) *MemSink {
	return &MemSink{runID: runID, chunks: map[int]map[string]reflect.Value{}}
}

// Done implements Sink.
func (m *MemSink) Done(chunk int) (bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	_, ok := m.chunks[chunk]
	return ok, nil
}

// Chunk implements Sink.
func (m *MemSink) Chunk(chunk int) (Chunk, error) {
	if done, _ := m.Done(chunk); done {
		return nil, fmt.Errorf("rows: memory sink chunk %d: %w", chunk, ErrChunkDone)
	}
	return &memChunk{sink: m, idx: chunk, tables: map[string]reflect.Value{}}, nil
}

// Collect returns the committed rows of type T of every chunk, in chunk
// order.
func Collect[T any](m *MemSink) []T {
	t, err := TableOf[T]()
	if err != nil {
		return nil
	}
	var out []T
	for _, rows := range m.committed() {
		if v, ok := rows[t.Name]; ok {
			out = append(out, v.Interface().([]T)...)
		}
	}
	return out
}

// Snapshot returns every committed row, per table name, in chunk order:
// a []T per table, comparable with reflect.DeepEqual.
func (m *MemSink) Snapshot() map[string]any {
	all := map[string]reflect.Value{}
	for _, rows := range m.committed() {
		for name, v := range rows {
			if prev, ok := all[name]; ok {
				v = reflect.AppendSlice(prev, v)
			}
			all[name] = v
		}
	}
	out := make(map[string]any, len(all))
	for name, v := range all {
		out[name] = v.Interface()
	}
	return out
}

// committed lists the chunks' rows in chunk order.
func (m *MemSink) committed() []map[string]reflect.Value {
	m.mu.Lock()
	defer m.mu.Unlock()
	idx := make([]int, 0, len(m.chunks))
	for i := range m.chunks {
		idx = append(idx, i)
	}
	slices.Sort(idx)
	out := make([]map[string]reflect.Value, len(idx))
	for k, i := range idx {
		out[k] = m.chunks[i]
	}
	return out
}

type memChunk struct {
	sink   *MemSink
	idx    int
	done   bool
	tables map[string]reflect.Value
}

func (c *memChunk) Append(t Table, rows any) error {
	if c.done {
		return fmt.Errorf("rows: memory sink chunk %d: already committed or aborted", c.idx)
	}
	v := reflect.ValueOf(rows)
	if v.Kind() != reflect.Slice || v.Type().Elem() != t.Row {
		return fmt.Errorf("rows: memory sink chunk %d: table %s takes []%v, got %T", c.idx, t.Name, t.Row, rows)
	}
	own := reflect.MakeSlice(v.Type(), v.Len(), v.Len())
	reflect.Copy(own, v)
	if err := SetRunID(own.Interface(), c.sink.runID); err != nil {
		return err
	}
	if prev, ok := c.tables[t.Name]; ok {
		own = reflect.AppendSlice(prev, own)
	}
	c.tables[t.Name] = own
	return nil
}

func (c *memChunk) Commit() error {
	if c.done {
		return fmt.Errorf("rows: memory sink chunk %d: already committed or aborted", c.idx)
	}
	c.done = true
	c.sink.mu.Lock()
	defer c.sink.mu.Unlock()
	if _, ok := c.sink.chunks[c.idx]; ok {
		return fmt.Errorf("rows: memory sink chunk %d: %w", c.idx, ErrChunkDone)
	}
	c.sink.chunks[c.idx] = c.tables
	return nil
}

func (c *memChunk) Abort() { c.done = true }
