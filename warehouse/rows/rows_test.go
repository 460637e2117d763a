package rows

import (
	"errors"
	"reflect"
	"strings"
	"testing"
)

func TestTablesHaveDistinctRowTypes(t *testing.T) {
	seen := map[reflect.Type]string{}
	for _, tb := range Tables() {
		if prev, ok := seen[tb.Row]; ok {
			t.Errorf("tables %s and %s share row type %v", prev, tb.Name, tb.Row)
		}
		seen[tb.Row] = tb.Name
		if got, ok := TableByName(tb.Name); !ok || got.Row != tb.Row {
			t.Errorf("TableByName(%s) = %v, %v", tb.Name, got, ok)
		}
	}
	if tb, err := TableOf[Saliency](); err != nil || tb.Name != TableSaliency {
		t.Errorf("TableOf[Saliency] = %v, %v", tb.Name, err)
	}
	if _, err := TableOf[string](); err == nil {
		t.Error("TableOf[string] found a table")
	}
}

func TestWriteRejectsNonRowType(t *testing.T) {
	c, err := NewMemSink("r").Chunk(0)
	if err != nil {
		t.Fatal(err)
	}
	if err := Write(c, "a", "b"); err == nil || !strings.Contains(err.Error(), "not the row type") {
		t.Fatalf("Write of strings: %v", err)
	}
	if err := c.Append(Table{Name: TableFlags, Row: reflect.TypeFor[Flag]()}, []Metric{{}}); err == nil {
		t.Fatal("Append accepted metrics for the flags table")
	}
}

func TestMemSinkCommitsCopiesAndRefusesReopen(t *testing.T) {
	m := NewMemSink("r")
	buf := []Prediction{{ImageID: 1}, {ImageID: 2}}
	if err := WriteChunk(m, 3, func(c Chunk) error {
		if err := Write(c, buf...); err != nil {
			return err
		}
		return Write(c, Metric{Metric: "auc"})
	}); err != nil {
		t.Fatal(err)
	}
	buf[0].ImageID = 99 // the sink holds its own copy
	if err := WriteChunk(m, 1, func(c Chunk) error { return Write(c, Prediction{ImageID: 0}) }); err != nil {
		t.Fatal(err)
	}
	got := Collect[Prediction](m)
	if len(got) != 3 || got[0].ImageID != 0 || got[1].ImageID != 1 || got[2].ImageID != 2 {
		t.Fatalf("predictions in chunk order: %+v", got)
	}
	if got[0].RunID != "r" {
		t.Errorf("run id not set: %q", got[0].RunID)
	}
	if ms := Collect[Metric](m); len(ms) != 1 || ms[0].Metric != "auc" {
		t.Fatalf("metrics: %+v", ms)
	}
	if _, err := m.Chunk(3); !errors.Is(err, ErrChunkDone) {
		t.Fatalf("reopening a committed chunk: %v, want ErrChunkDone", err)
	}
	// WriteChunk skips a done chunk without calling fill.
	if err := WriteChunk(m, 3, func(Chunk) error { t.Fatal("fill called for a done chunk"); return nil }); err != nil {
		t.Fatal(err)
	}
	snap := m.Snapshot()
	if !reflect.DeepEqual(snap[TablePredictions], got) || len(snap) != 2 {
		t.Fatalf("snapshot %v", snap)
	}
}

func TestWriteChunkAbortsOnFillError(t *testing.T) {
	m := NewMemSink("r")
	boom := errors.New("boom")
	err := WriteChunk(m, 0, func(c Chunk) error {
		if err := Write(c, Flag{ImageID: 7}); err != nil {
			return err
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("got %v, want the fill error", err)
	}
	if done, _ := m.Done(0); done || len(Collect[Flag](m)) != 0 {
		t.Fatal("a failed chunk became visible")
	}
}

func TestShardHandsOutEveryNthChunk(t *testing.T) {
	m := NewMemSink("r")
	s, err := Shard(m, 1, 3)
	if err != nil {
		t.Fatal(err)
	}
	for chunk := 0; chunk < 7; chunk++ {
		done, err := s.Done(chunk)
		if err != nil {
			t.Fatal(err)
		}
		if mine := chunk%3 == 1; done == mine {
			t.Errorf("chunk %d: done = %v for shard 1/3", chunk, done)
		}
	}
	if _, err := s.Chunk(2); err == nil {
		t.Error("shard 1/3 opened chunk 2")
	}
	if err := WriteChunk(s, 4, func(c Chunk) error { return Write(c, Prediction{ImageID: 4}) }); err != nil {
		t.Fatal(err)
	}
	if done, _ := m.Done(4); !done {
		t.Error("chunk 4 not committed through the shard view")
	}
	for _, bad := range [][2]int{{3, 3}, {-1, 2}, {0, 0}} {
		if _, err := Shard(m, bad[0], bad[1]); err == nil {
			t.Errorf("Shard(%d, %d) accepted", bad[0], bad[1])
		}
	}
	if one, _ := Shard(m, 0, 1); one != Sink(m) {
		t.Error("shard 0/1 is not the sink itself")
	}
}
