package weights

import (
	"bytes"
	"encoding/binary"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// file lays out a safetensors file by hand: header JSON as given (no
// padding, so byte-exact reproducers stay byte-exact), then data.
func file(header string, data []byte) []byte {
	b := binary.LittleEndian.AppendUint64(nil, uint64(len(header)))
	return append(append(b, header...), data...)
}

// hostileCase is one input from the hostile-input campaign, or a relative,
// and the exact error it must get from Read(..., "hostile.safetensors").
type hostileCase struct {
	name string // also the seed corpus file name under testdata/fuzz/FuzzLoad
	file []byte
	err  string
}

func hostileCases() []hostileCase {
	const p = "load weights hostile.safetensors: "
	f32 := func(name, shape, offsets string) string {
		return `"` + name + `":{"dtype":"F32","shape":` + shape + `,"data_offsets":` + offsets + `}`
	}
	ok := f32("fc.bias", "[2]", "[0,8]")
	return []hostileCase{
		// Reproducer 1: panicked with slice bounds out of range although
		// no model uses the tensor.
		{"repro1-negative-dim", file(`{`+ok+`,`+f32("unused", "[-1]", "[8,4]")+`}`, make([]byte, 8)),
			p + `tensor "unused": shape [-1]: dimension 0 is -1, want a size >= 0`},
		// Reproducer 2: panicked in makeslice (element count overflow).
		{"repro2-numel-overflow", file(`{`+f32("fc.weight", "[4611686018427387904,64]", "[0,0]")+`}`, nil),
			p + `tensor "fc.weight": shape [4611686018427387904 64] of F32: byte size overflows 64 bits (the data section has 0 bytes)`},
		{"overflow-by-width", file(`{`+f32("w", "[2305843009213693952]", "[0,0]")+`}`, nil),
			p + `tensor "w": shape [2305843009213693952] of F32: byte size overflows 64 bits (the data section has 0 bytes)`},
		{"begin-after-end", file(`{`+f32("w", "[1]", "[8,4]")+`}`, make([]byte, 8)),
			p + `tensor "w": data_offsets [8 4]: want 0 <= begin <= end`},
		{"negative-begin", file(`{`+f32("w", "[1]", "[-4,0]")+`}`, make([]byte, 8)),
			p + `tensor "w": data_offsets [-4 0]: want 0 <= begin <= end`},
		{"end-past-data", file(`{`+f32("w", "[2]", "[0,8]")+`}`, make([]byte, 4)),
			p + `tensor "w": data_offsets [0 8]: end is past the 4-byte data section`},
		{"span-mismatch", file(`{`+f32("w", "[4]", "[0,8]")+`}`, make([]byte, 8)),
			p + `tensor "w": data_offsets [0 8] span 8 bytes, want 16 for shape [4] of F32`},
		{"huge-claim-small-file", file(`{`+f32("w", "[1000000000]", "[0,4000000000]")+`}`, make([]byte, 8)),
			p + `tensor "w": data_offsets [0 4000000000]: end is past the 8-byte data section`},
		{"overlap", file(`{`+f32("a", "[2]", "[0,8]")+`,`+f32("b", "[2]", "[4,12]")+`}`, make([]byte, 12)),
			p + `tensors "a" (data_offsets [0 8]) and "b" (data_offsets [4 12]) overlap`},
		{"duplicate-tensor", file(`{`+f32("w", "[1]", "[0,4]")+`,`+f32("w", "[2]", "[0,8]")+`}`, make([]byte, 8)),
			p + `header: duplicate key "w"`},
		{"duplicate-field", file(`{"w":{"dtype":"F32","dtype":"I64","shape":[1],"data_offsets":[0,4]}}`, make([]byte, 8)),
			p + `tensor "w": duplicate key "dtype"`},
		{"field-case", file(`{"w":{"DType":"I64","dtype":"F32","shape":[1],"data_offsets":[0,4]}}`, make([]byte, 4)),
			p + `tensor "w": unknown field "DType", want only dtype, shape and data_offsets`},
		{"missing-offsets", file(`{"w":{"dtype":"F32","shape":[0]}}`, nil),
			p + `tensor "w": data_offsets missing: want [begin, end], two byte offsets`},
		{"three-offsets", file(`{"w":{"dtype":"F32","shape":[1],"data_offsets":[0,4,8]}}`, make([]byte, 8)),
			p + `tensor "w": data_offsets has 3 values, want [begin, end], two byte offsets`},
		{"null-shape", file(`{"w":{"dtype":"F32","shape":null,"data_offsets":[0,4]}}`, make([]byte, 4)),
			p + `tensor "w": shape: null is not an array (want an array of dimension sizes)`},
		{"fractional-dim", file(`{"w":{"dtype":"F32","shape":[1.5],"data_offsets":[0,4]}}`, make([]byte, 4)),
			p + `tensor "w": shape: element 1.5 is not an integer (want an array of dimension sizes)`},
		{"unknown-dtype", file(`{"w":{"dtype":"C64","shape":[1],"data_offsets":[0,8]}}`, make([]byte, 8)),
			p + `tensor "w": dtype "C64": want one of BF16, BOOL, F16, F32, F64, I16, I32, I64, I8, U8`},
		{"dtype-not-string", file(`{"w":{"dtype":["F32"],"shape":[1],"data_offsets":[0,4]}}`, make([]byte, 4)),
			p + `tensor "w": dtype '[': want one of BF16, BOOL, F16, F32, F64, I16, I32, I64, I8, U8`},
		{"missing-dtype", file(`{"w":{"shape":[1],"data_offsets":[0,4]}}`, make([]byte, 4)),
			p + `tensor "w": dtype missing: want one of BF16, BOOL, F16, F32, F64, I16, I32, I64, I8, U8`},
		{"offset-beyond-int64", file(`{"w":{"dtype":"F32","shape":[1],"data_offsets":[0,9223372036854775808]}}`, make([]byte, 4)),
			p + `tensor "w": data_offsets: element 9223372036854775808 is not an integer (want [begin, end], two byte offsets)`},
		{"entry-not-object", file(`{"w":[1,2]}`, nil),
			p + `tensor "w": want a JSON object {dtype, shape, data_offsets}, got '['`},
		{"metadata-not-strings", file(`{"__metadata__":{"format":1}}`, nil),
			p + `__metadata__: key "format": 1 is not a string`},
		{"metadata-duplicate", file(`{"__metadata__":{"gradprint":"{}","gradprint":"{\"x\":1}"}}`, nil),
			p + `__metadata__: duplicate key "gradprint"`},
		{"header-array", file(`[]`, nil), p + `header: want a JSON object, got '['`},
		{"header-null", file(`null`, nil), p + `header: want a JSON object, got null`},
		{"header-empty", file(``, nil), p + `header: empty, want a JSON object`},
		{"header-trailing", file(`{} {}`, nil), p + `header: data after the JSON object`},
		{"header-not-utf8", file("{\"\xff\":{}}", nil), p + `header is not UTF-8 JSON`},
		{"header-length-past-file", binary.LittleEndian.AppendUint64(nil, 100), p +
			`header length 100 does not fit a 8-byte file (at most 0 header bytes): not a safetensors file`},
		{"short-file", []byte{1, 2, 3}, p + `header length: file too short (3 bytes) for safetensors`},
	}
}

func TestReadRefusesHostileHeaders(t *testing.T) {
	for _, c := range hostileCases() {
		t.Run(c.name, func(t *testing.T) {
			ts, _, err := Read(bytes.NewReader(c.file), int64(len(c.file)), "hostile.safetensors")
			if err == nil {
				t.Fatalf("accepted, %d tensors", len(ts))
			}
			if err.Error() != c.err {
				t.Fatalf("error\n  %s\nwant\n  %s", err, c.err)
			}
		})
	}
}

// The reproducers go through Load too, which names the file on disk.
func TestLoadRefusesReproducers(t *testing.T) {
	for _, c := range hostileCases()[:2] {
		path := filepath.Join(t.TempDir(), c.name+".safetensors")
		if err := os.WriteFile(path, c.file, 0o644); err != nil {
			t.Fatal(err)
		}
		_, _, err := Load(path)
		want := strings.Replace(c.err, "hostile.safetensors", path, 1)
		if err == nil || err.Error() != want {
			t.Fatalf("%s: error %v, want %s", c.name, err, want)
		}
	}
}

// Empty tensors share no byte with anything, a zero dimension makes a
// tensor empty however large the others are, and null metadata is none.
func TestReadAcceptsEmptyTensors(t *testing.T) {
	b := file(`{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},`+
		`"e":{"dtype":"F32","shape":[0],"data_offsets":[4,4]},`+
		`"z":{"dtype":"I64","shape":[4611686018427387904,0],"data_offsets":[8,8]},"__metadata__":null}`, make([]byte, 8))
	ts, md, err := Read(bytes.NewReader(b), int64(len(b)), "empty.safetensors")
	if err != nil || md != nil {
		t.Fatalf("metadata %v, err %v", md, err)
	}
	if len(ts["e"].Data) != 0 || len(ts["z"].Data) != 0 || len(ts["a"].Data) != 2 {
		t.Fatalf("tensors %+v", ts)
	}
}

// A tensor spanning several read chunks decodes whole, and a file that is
// shorter than its size claims fails instead of returning zeros.
func TestReadChunksAndShortReader(t *testing.T) {
	const n = 50000 // 200 kB: four chunks
	data := make([]byte, 4*n)
	for i := range n {
		binary.LittleEndian.PutUint32(data[4*i:], uint32(i))
	}
	b := file(`{"w":{"dtype":"I32","shape":[50000],"data_offsets":[0,200000]}}`, data)
	ts, _, err := Read(bytes.NewReader(b), int64(len(b)), "big.safetensors")
	if err != nil {
		t.Fatal(err)
	}
	for i, v := range ts["w"].Data {
		if v != float32(i) {
			t.Fatalf("w[%d] = %v", i, v)
		}
	}
	_, _, err = Read(bytes.NewReader(b[:len(b)-1]), int64(len(b)), "short.safetensors")
	if err == nil || !strings.Contains(err.Error(), `load weights short.safetensors: tensor "w": data: unexpected EOF`) {
		t.Fatalf("short reader: err = %v", err)
	}
}

func TestSaveRefusesBadShapes(t *testing.T) {
	for _, shape := range [][]int{{-1, -1}, {1 << 62, 1 << 62, 0, -1}, {1 << 32, 1 << 32}} {
		err := Save(filepath.Join(t.TempDir(), "x.safetensors"), []Tensor{{Name: "a", Shape: shape, Data: []float32{1}}}, nil)
		if err == nil || !strings.Contains(err.Error(), `tensor "a"`) {
			t.Fatalf("shape %v: err = %v", shape, err)
		}
	}
}

func TestUnmarshalStrict(t *testing.T) {
	type inner struct{ Classes int }
	type outer struct {
		Config inner    `json:"config"`
		List   []inner  `json:"list"`
		Names  []string `json:"names"`
	}
	bad := map[string]string{
		`{"config":{"Classes":3,"Classes":4}}`:               `duplicate key "Classes" in object "config"`,
		`{"config":{"Classes":3,"classes":4}}`:               `duplicate key "classes" in object "config"`,
		`{"config":{"Classes":3},"Config":{}}`:               `duplicate key "Config" in the top-level object`,
		`{"list":[{"Classes":1},{"Classes":2,"claſſes":3}]}`: `duplicate key "claſſes" in object "list[]"`,
		`{"names":["a","a"]} []`:                             `data after the JSON value`,
		"{\"names\":[\"\xff\"]}":                             `not UTF-8 JSON`,
		strings.Repeat("[", 20000):                           `nested deeper than 10000 levels`,
	}
	for in, want := range bad {
		var v outer
		if err := UnmarshalStrict([]byte(in), &v); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: err = %v, want %q", in, err, want)
		}
	}
	var v outer
	in := `{"config":{"Classes":3},"list":[{"Classes":1},{"Classes":2}],"names":["a","a"]}`
	if err := UnmarshalStrict([]byte(in), &v); err != nil || v.Config.Classes != 3 || len(v.List) != 2 || v.List[1].Classes != 2 {
		t.Fatalf("valid JSON: %+v, %v", v, err)
	}
}

// Read sizes everything from the file: a header claiming a gigabyte over
// 8 bytes allocates next to nothing, and a real 1 MB U8 tensor costs its
// 4 MB of float32 and little more.
func TestReadAllocatesFromTheFile(t *testing.T) {
	allocated := func(b []byte) (uint64, error) {
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		_, _, err := Read(bytes.NewReader(b), int64(len(b)), "alloc.safetensors")
		runtime.ReadMemStats(&after)
		return after.TotalAlloc - before.TotalAlloc, err
	}
	claim := file(`{"w":{"dtype":"F32","shape":[250000000],"data_offsets":[0,1000000000]}}`, make([]byte, 8))
	if n, err := allocated(claim); err == nil || n > 1<<20 {
		t.Fatalf("1 GB claim over 8 bytes: allocated %d bytes, err %v", n, err)
	}
	u8 := file(`{"w":{"dtype":"U8","shape":[1048576],"data_offsets":[0,1048576]}}`, make([]byte, 1<<20))
	if n, err := allocated(u8); err != nil || n > 4<<20+256<<10 {
		t.Fatalf("1 MB U8 tensor: allocated %d bytes, err %v", n, err)
	}
}
