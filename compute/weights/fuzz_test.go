package weights

import (
	"bytes"
	"encoding/binary"
	"flag"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

var updateCorpus = flag.Bool("update-corpus", false, "rewrite the named seeds of testdata/fuzz from the test cases")

// FuzzLoad feeds arbitrary bytes as a whole file to Read (Load without the
// file). Beyond not panicking, Read must name the file in every error,
// allocate no more than a small multiple of the input, and on success
// return tensors whose shapes account exactly for their data.
func FuzzLoad(f *testing.F) {
	f.Fuzz(func(t *testing.T, b []byte) {
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		ts, _, err := Read(bytes.NewReader(b), int64(len(b)), "fuzz.safetensors")
		runtime.ReadMemStats(&after)
		// Decoded data is at most 4 bytes per input byte; JSON decoding of
		// the header a few times the header; 1 MB covers the constants.
		if grew, bound := after.TotalAlloc-before.TotalAlloc, uint64(1<<20+64*len(b)); grew > bound {
			t.Fatalf("Read of %d bytes allocated %d bytes (bound %d)", len(b), grew, bound)
		}
		if err != nil {
			if !strings.HasPrefix(err.Error(), "load weights fuzz.safetensors: ") {
				t.Fatalf("error does not name the file: %v", err)
			}
			return
		}
		elems := 0
		for name, tn := range ts {
			if tn.Name != name || name == "__metadata__" {
				t.Fatalf("tensor %q keyed as %q", tn.Name, name)
			}
			n, ok := numel(tn.Shape)
			if !ok || n != len(tn.Data) {
				t.Fatalf("tensor %q: shape %v for %d values", name, tn.Shape, len(tn.Data))
			}
			elems += n
		}
		if elems > len(b) {
			t.Fatalf("%d values from a %d-byte file: tensors overlap", elems, len(b))
		}
	})
}

// seeds are FuzzLoad's named seed corpus: every hostile case and a few
// valid files.
func seeds(t *testing.T) map[string][]byte {
	out := map[string][]byte{}
	for _, c := range hostileCases() {
		out[c.name] = c.file
	}
	dir := t.TempDir()
	save := func(name string, ts []Tensor, md map[string]string) {
		p := filepath.Join(dir, name)
		if err := Save(p, ts, md); err != nil {
			t.Fatal(err)
		}
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		out[name] = b
	}
	small := []Tensor{
		{Name: "fc.weight", Shape: []int{2, 3}, Data: []float32{1, -2, 3.5, 0, 1e-7, -1e9}},
		{Name: "fc.bias", Shape: []int{2}, Data: []float32{0.25, -0.5}},
		{Name: "bn1.num_batches_tracked", Shape: []int{}, Data: []float32{7}},
	}
	save("valid-small", small, map[string]string{"format": "pt"})
	// Reproducer 3 is valid here: its metadata is resnet's to refuse.
	save("repro3-metadata-classes", small, map[string]string{"gradprint": `{"config":{"InChannels":1,"Classes":1000000000000,` +
		`"Width":1,"Stem":"small","Mean":[0.5],"Std":[0.5]}}`})
	var data []byte
	data = binary.LittleEndian.AppendUint64(data, 12345)
	data = binary.LittleEndian.AppendUint16(data, 0x3c00)
	data = binary.LittleEndian.AppendUint16(data, 0x3f80)
	data = binary.LittleEndian.AppendUint64(data, math.Float64bits(0.5))
	data = append(data, 0xff, 1, 2, 3)
	out["valid-foreign-dtypes"] = file(`{"n":{"dtype":"I64","shape":[],"data_offsets":[0,8]},`+
		`"h":{"dtype":"F16","shape":[1],"data_offsets":[8,10]},"bf":{"dtype":"BF16","shape":[1,1],"data_offsets":[10,12]},`+
		`"d":{"dtype":"F64","shape":[1],"data_offsets":[12,20]},"i8":{"dtype":"I8","shape":[2],"data_offsets":[20,22]},`+
		`"u8":{"dtype":"U8","shape":[1],"data_offsets":[22,23]},"b":{"dtype":"BOOL","shape":[1],"data_offsets":[23,24]}}`, data)
	return out
}

// TestFuzzLoadCorpus keeps testdata/fuzz/FuzzLoad holding every seed
// (go test runs them through FuzzLoad); -update-corpus rewrites them.
func TestFuzzLoadCorpus(t *testing.T) {
	for name, b := range seeds(t) {
		checkCorpusFile(t, filepath.Join("testdata", "fuzz", "FuzzLoad", name), corpusFile(b))
	}
}

// corpusFile encodes one fuzz input in the "go test fuzz v1" format.
func corpusFile(args ...any) []byte {
	var b bytes.Buffer
	b.WriteString("go test fuzz v1\n")
	for _, a := range args {
		switch a := a.(type) {
		case []byte:
			fmt.Fprintf(&b, "[]byte(%q)\n", a)
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
		t.Errorf("seed corpus file %s is missing or stale (%v): run go test -run TestFuzz ./compute/weights/ -update-corpus", path, err)
	}
}
