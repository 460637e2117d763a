package rows

import (
	"errors"
	"fmt"
	"reflect"
)

// ErrChunkDone is returned when a committed chunk is opened for writing again.
var ErrChunkDone = errors.New("chunk already committed")

// Sink receives a step's rows chunk by chunk. A chunk is the unit of
// resume: once committed it is never written again, so a rerun that skips
// done chunks cannot duplicate rows. The warehouse implements Sink with
// Parquet files; MemSink keeps the rows in memory.
type Sink interface {
	// Done reports whether chunk was committed.
	Done(chunk int) (bool, error)
	// Chunk opens chunk for writing; a committed chunk gives ErrChunkDone.
	Chunk(chunk int) (Chunk, error)
}

// Chunk receives the rows of one chunk. Nothing is visible to Done until
// Commit returns nil; Abort discards the chunk and is safe after Commit.
// A Chunk is used by one goroutine. The sink sets every row's RunID to the
// id of the run it writes, so a file read alone still says where it came
// from and compute code need not carry the id.
type Chunk interface {
	// Append adds rows of table t: a non-empty []T of t's row type. The
	// chunk copies what it keeps, so the caller may reuse the slice.
	Append(t Table, rows any) error
	Commit() error
	Abort()
}

// Write appends rows of one table, the table chosen by the row type.
func Write[T any](c Chunk, rows ...T) error {
	t, err := TableOf[T]()
	if err != nil {
		return err
	}
	if len(rows) == 0 {
		return nil
	}
	return c.Append(t, rows)
}

// SetRunID sets the RunID field of every row of rs, a []T of a table's row
// type, in place. Every row type has RunID as a string field.
func SetRunID(rs any, id string) error {
	v := reflect.ValueOf(rs)
	if v.Kind() != reflect.Slice {
		return fmt.Errorf("rows: set run id on %T, want a slice of rows", rs)
	}
	f, ok := v.Type().Elem().FieldByName("RunID")
	if !ok || f.Type.Kind() != reflect.String {
		return fmt.Errorf("rows: %v has no RunID string field", v.Type().Elem())
	}
	for i := 0; i < v.Len(); i++ {
		v.Index(i).FieldByIndex(f.Index).SetString(id)
	}
	return nil
}

// WriteChunk is the lifecycle of one chunk: skip it when already done,
// else open it, let fill write its rows and commit them. A fill error
// aborts the chunk, so nothing of it becomes visible.
func WriteChunk(s Sink, chunk int, fill func(Chunk) error) error {
	done, err := s.Done(chunk)
	if err != nil || done {
		return err
	}
	c, err := s.Chunk(chunk)
	if err != nil {
		return err
	}
	defer c.Abort()
	if err := fill(c); err != nil {
		return err
	}
	return c.Commit()
}

// Shard returns a view of s for shard i of n: it hands out every n-th
// chunk starting at i and reports the others as done, so shards running as
// separate processes write disjoint chunks of one run.
func Shard(s Sink, i, n int) (Sink, error) {
	if n < 1 || i < 0 || i >= n {
		return nil, fmt.Errorf("rows: shard %d of %d: want 0 <= shard < count", i, n)
	}
	if n == 1 {
		return s, nil
	}
	return shardSink{s, i, n}, nil
}

type shardSink struct {
	Sink
	i, n int
}

func (s shardSink) Done(chunk int) (bool, error) {
	if chunk%s.n != s.i {
		return true, nil
	}
	return s.Sink.Done(chunk)
}

func (s shardSink) Chunk(chunk int) (Chunk, error) {
	if chunk%s.n != s.i {
		return nil, fmt.Errorf("rows: chunk %d belongs to shard %d of %d, not %d", chunk, chunk%s.n, s.n, s.i)
	}
	return s.Sink.Chunk(chunk)
}
