package resnet

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"flag"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/gradprint/gradprint/compute/weights"
)

var updateCorpus = flag.Bool("update-corpus", false, "rewrite the named seeds of testdata/fuzz from the test cases")

// fixture is a tiny ResNet18 (1 channel, 3 classes, width 1/64: stages of
// 1, 2, 4 and 8 channels) laid out as PyTorch writes a state dict: F32
// parameters in name order, then int64 num_batches_tracked counters. Its
// data section is fixed; tests and the fuzzer vary the header over it.
type fixture struct {
	entries []fixtureEntry
	data    []byte
	meta    Meta
}

type fixtureEntry struct {
	name, dtype string
	shape       []int
	begin, end  int64
}

func fixtureConfig() Config {
	cfg := MedMNISTConfig(1, 3)
	cfg.Width = 1.0 / 64
	return cfg
}

func newFixture(t testing.TB) *fixture {
	m, err := New(fixtureConfig(), 7)
	if err != nil {
		t.Fatal(err)
	}
	fx := &fixture{meta: Meta{Config: fixtureConfig(), Dataset: "fuzz", Classes: []string{"a", "b", "c"}, Size: 28, Seed: 7}}
	params := m.Params()
	sort.Slice(params, func(i, j int) bool { return params[i].Name < params[j].Name })
	for _, p := range params {
		e := fixtureEntry{name: p.Name, dtype: "F32", shape: p.Shape, begin: int64(len(fx.data))}
		for _, v := range p.Data {
			fx.data = binary.LittleEndian.AppendUint32(fx.data, math.Float32bits(v))
		}
		e.end = int64(len(fx.data))
		fx.entries = append(fx.entries, e)
	}
	for i, c := range m.convs {
		e := fixtureEntry{name: c.bn + ".num_batches_tracked", dtype: "I64", shape: []int{}, begin: int64(len(fx.data))}
		fx.data = binary.LittleEndian.AppendUint64(fx.data, uint64(100+i))
		e.end = int64(len(fx.data))
		fx.entries = append(fx.entries, e)
	}
	return fx
}

// header is the fixture's header JSON with gradprint metadata meta (none
// if meta is empty) and one edit: entry, raw JSON spliced in verbatim,
// replaces or adds tensor name, or an empty entry deletes it.
func (fx *fixture) header(meta, name, entry string) []byte {
	var b strings.Builder
	b.WriteString("{")
	for _, e := range fx.entries {
		if name != "" && e.name == name {
			continue
		}
		fmt.Fprintf(&b, `%q:{"dtype":%q,"shape":%s,"data_offsets":[%d,%d]},`, e.name, e.dtype, jsonInts(e.shape), e.begin, e.end)
	}
	if name != "" && entry != "" {
		nj, _ := json.Marshal(name)
		fmt.Fprintf(&b, "%s:%s,", nj, entry)
	}
	md := map[string]string{"format": "pt"}
	if meta != "" {
		md[metaKey] = meta
	}
	mj, _ := json.Marshal(md)
	fmt.Fprintf(&b, `"__metadata__":%s}`, mj)
	return []byte(b.String())
}

func jsonInts(v []int) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// metaJSON is the fixture's Meta after edit, as the gradprint metadata.
func (fx *fixture) metaJSON(edit func(*Meta)) string {
	meta := fx.meta
	meta.Classes = slices.Clone(meta.Classes)
	meta.Config = fixtureConfig()
	if edit != nil {
		edit(&meta)
	}
	b, _ := json.Marshal(meta)
	return string(b)
}

// file is header over the first n bytes of the fixture's data.
func (fx *fixture) file(header []byte, n uint32) []byte {
	b := binary.LittleEndian.AppendUint64(nil, uint64(len(header)))
	b = append(b, header...)
	return append(b, fx.data[:min(int(n), len(fx.data))]...)
}

// FuzzLoadModel varies a checkpoint over the fixture's fixed data
// section: the gradprint metadata (meta, none if empty), one header entry
// (entry, raw JSON, replaces or adds tensor name; empty deletes it) and the
// length of the data section kept (n). It loads the result as resnet.Load
// does. Beyond not panicking: allocation stays a small multiple of the
// file, and a model that loads has valid metadata and exactly the file's
// tensors as its parameters and counters.
func FuzzLoadModel(f *testing.F) {
	fx := newFixture(f)
	f.Add(fx.metaJSON(nil), "", "", uint32(len(fx.data)))
	f.Fuzz(func(t *testing.T, meta, name, entry string, n uint32) {
		b := fx.file(fx.header(meta, name, entry), n)
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		ts, md, err := weights.Read(bytes.NewReader(b), int64(len(b)), "fuzz.safetensors")
		if err != nil {
			return // FuzzLoad (compute/weights) checks the errors of weights
		}
		m, loaded, err := fromTensors(ts, md)
		runtime.ReadMemStats(&after)
		if grew, bound := after.TotalAlloc-before.TotalAlloc, uint64(4<<20+64*len(b)); grew > bound {
			t.Fatalf("loading %d bytes allocated %d bytes (bound %d)", len(b), grew, bound)
		}
		if err != nil {
			return
		}
		checkLoaded(t, m, loaded, ts)
	})
}

// checkLoaded asserts that m is exactly the state dict ts.
func checkLoaded(t *testing.T, m *Model, meta Meta, ts map[string]weights.Tensor) {
	t.Helper()
	if err := meta.validate(); err != nil {
		t.Fatalf("loaded a model with invalid metadata: %v", err)
	}
	if !reflect.DeepEqual(m.Config(), meta.Config) {
		t.Fatalf("model config %+v, meta says %+v", m.Config(), meta.Config)
	}
	params := map[string]bool{}
	for _, p := range m.Params() {
		params[p.Name] = true
		tn, ok := ts[p.Name]
		if !ok || !slices.Equal(tn.Shape, p.Shape) {
			t.Fatalf("parameter %s %v loaded from tensor shaped %v (present %v)", p.Name, p.Shape, tn.Shape, ok)
		}
		for i := range p.Data {
			if math.Float32bits(p.Data[i]) != math.Float32bits(tn.Data[i]) {
				t.Fatalf("parameter %s[%d] = %v, file has %v", p.Name, i, p.Data[i], tn.Data[i])
			}
		}
	}
	for name, tn := range ts {
		if params[name] {
			continue
		}
		bn, ok := strings.CutSuffix(name, ".num_batches_tracked")
		got, err := m.BatchesTracked(bn)
		if !ok || err != nil || float32(got) != tn.Data[0] {
			t.Fatalf("tensor %s (%v) loaded as %d, %v", name, tn.Data, got, err)
		}
	}
}

// TestFuzzLoadModelCorpus keeps testdata/fuzz/FuzzLoadModel holding every hostile
// model case (go test runs them through FuzzLoadModel); -update-corpus
// rewrites them.
func TestFuzzLoadModelCorpus(t *testing.T) {
	fx := newFixture(t)
	for _, c := range modelCases(fx) {
		want := corpusFile(c.meta, c.tensor, c.entry, uint32(len(fx.data)))
		checkCorpusFile(t, filepath.Join("testdata", "fuzz", "FuzzLoadModel", c.name), want)
	}
}

// corpusFile encodes one fuzz input in the "go test fuzz v1" format.
func corpusFile(args ...any) []byte {
	var b bytes.Buffer
	b.WriteString("go test fuzz v1\n")
	for _, a := range args {
		switch a := a.(type) {
		case string:
			fmt.Fprintf(&b, "string(%q)\n", a)
		default:
			fmt.Fprintf(&b, "%T(%v)\n", a, a)
		}
	}
	return b.Bytes()
}

func checkCorpusFile(t *testing.T, path string, want []byte) {
	t.Helper()
	if *updateCorpus {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, want, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	got, err := os.ReadFile(path)
	if err != nil || !bytes.Equal(got, want) {
		t.Errorf("seed corpus file %s is missing or stale (%v): run go test -run TestFuzz ./compute/resnet/ -update-corpus", path, err)
	}
}
