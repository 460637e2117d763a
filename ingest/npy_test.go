package ingest

import (
	"encoding/binary"
	"slices"
	"strings"
	"testing"
)

// rawHeader builds a preamble of the given version around dict verbatim,
// padded like numpy, so tests can feed the parser what numpy writes.
func rawHeader(major int, dict string) []byte {
	pre := 10
	if major > 1 {
		pre = 12
	}
	total := pre + len(dict) + 1
	pad := (64 - total%64) % 64
	body := dict + strings.Repeat(" ", pad) + "\n"
	out := []byte(npyMagic)
	out = append(out, byte(major), 0)
	if major == 1 {
		out = binary.LittleEndian.AppendUint16(out, uint16(len(body)))
	} else {
		out = binary.LittleEndian.AppendUint32(out, uint32(len(body)))
	}
	return append(out, body...)
}

func TestParseHeaderVersions(t *testing.T) {
	dict := "{'descr': '|u1', 'fortran_order': False, 'shape': (546, 28, 28), }"
	for _, v := range []int{1, 2, 3} {
		b := rawHeader(v, dict)
		h, err := ParseHeader(b)
		if err != nil {
			t.Fatalf("version %d: %v", v, err)
		}
		if h.Major != v || h.Descr != "|u1" || h.FortranOrder || !slices.Equal(h.Shape, []int{546, 28, 28}) {
			t.Errorf("version %d: got %+v", v, h)
		}
		if h.DataOffset != len(b) || h.DataOffset%64 != 0 {
			t.Errorf("version %d: data offset %d, want %d (64-aligned)", v, h.DataOffset, len(b))
		}
		if h.Elements() != 546*28*28 {
			t.Errorf("elements %d", h.Elements())
		}
	}
}

func TestParseHeaderDictForms(t *testing.T) {
	cases := []struct {
		dict  string
		descr string
		fo    bool
		shape []int
	}{
		{"{'descr': '<i8', 'fortran_order': False, 'shape': (156, 1), }", "<i8", false, []int{156, 1}},
		{"{'descr': '>i2', 'fortran_order': True, 'shape': (5,), }", ">i2", true, []int{5}},
		{"{'shape': (), 'descr': '|u1', 'fortran_order': False}", "|u1", false, []int{}},
		{`{"descr": "<u2", "fortran_order": False, "shape": (3L, 4L)}`, "<u2", false, []int{3, 4}},
		{"{'descr':'<i4','fortran_order':False,'shape':(0,)}", "<i4", false, []int{0}},
	}
	for _, c := range cases {
		h, err := ParseHeaderDict(c.dict)
		if err != nil {
			t.Errorf("%s: %v", c.dict, err)
			continue
		}
		if h.Descr != c.descr || h.FortranOrder != c.fo || !slices.Equal(h.Shape, c.shape) {
			t.Errorf("%s: got %+v", c.dict, h)
		}
	}
}

func TestParseHeaderErrors(t *testing.T) {
	cases := map[string]struct {
		in   []byte
		want string
	}{
		"bad magic":      {[]byte("\x93NUMPX\x01\x00\x10\x00{}"), "bad magic"},
		"version 4":      {append([]byte(npyMagic), 4, 0, 0, 0), "version 4.0"},
		"minor 1":        {append([]byte(npyMagic), 1, 1, 0, 0), "version 1.1"},
		"short preamble": {[]byte("\x93NUM"), "unexpected EOF"},
		"short header":   {append([]byte(npyMagic), 1, 0, 100, 0, '{'), "unexpected EOF"},
		"missing shape":  {rawHeader(1, "{'descr': '|u1', 'fortran_order': False}"), `missing key "shape"`},
		"extra key":      {rawHeader(1, "{'descr': '|u1', 'fortran_order': False, 'shape': (1,), 'x': 1}"), "exactly the keys"},
		"negative dim":   {rawHeader(1, "{'descr': '|u1', 'fortran_order': False, 'shape': (-1,)}"), "unexpected"},
		"structured":     {rawHeader(1, "{'descr': [('a', '<i4')], 'fortran_order': False, 'shape': (1,)}"), "simple dtype"},
		"fo string":      {rawHeader(1, "{'descr': '|u1', 'fortran_order': 'no', 'shape': (1,)}"), "True or False"},
		"huge shape":     {rawHeader(1, "{'descr': '|u1', 'fortran_order': False, 'shape': (1000000, 1000000, 1000000)}"), "2^40"},
		"duplicate key":  {rawHeader(1, "{'descr': '|u1', 'descr': '|u1', 'fortran_order': False, 'shape': (1,)}"), "duplicate"},
		"trailing":       {rawHeader(1, "{'descr': '|u1', 'fortran_order': False, 'shape': (1,)} x"), "trailing"},
		"deep":           {rawHeader(1, strings.Repeat("(", 50)), "nested"},
	}
	for name, c := range cases {
		_, err := ParseHeader(c.in)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: err = %v, want it to mention %q", name, err, c.want)
		}
	}
}

func TestEncodeHeaderRoundTrip(t *testing.T) {
	for _, shape := range [][]int{{}, {7}, {546, 1}, {10, 28, 28, 3}} {
		b := EncodeHeader("<i8", false, shape)
		if len(b)%64 != 0 {
			t.Errorf("shape %v: header length %d not 64-aligned", shape, len(b))
		}
		h, err := ParseHeader(b)
		if err != nil {
			t.Fatalf("shape %v: %v", shape, err)
		}
		if !slices.Equal(h.Shape, shape) || h.Descr != "<i8" || h.DataOffset != len(b) {
			t.Errorf("shape %v: round trip gave %+v", shape, h)
		}
	}
	// numpy's own rendering of a 1-D shape is "(5,)".
	if !strings.Contains(string(EncodeHeader("|u1", false, []int{5})), "'shape': (5,)") {
		t.Error("1-D shape not rendered as a one-element tuple")
	}
}

func TestParseDType(t *testing.T) {
	for s, want := range map[string]DType{
		"|u1": {'u', 1, false}, "<i8": {'i', 8, false}, ">i2": {'i', 2, true}, "<U5": {'U', 20, false},
	} {
		got, err := ParseDType(s)
		if err != nil || got != want {
			t.Errorf("%s: got %+v, %v; want %+v", s, got, err, want)
		}
	}
	for _, s := range []string{"", "u1", "!u1", "<i", "<ix", "<i0"} {
		if _, err := ParseDType(s); err == nil {
			t.Errorf("%q: no error", s)
		}
	}
	if dt, _ := ParseDType("<f4"); dt.IsInteger() {
		t.Error("<f4 reported as integer")
	}
}

// FuzzParseHeader checks that no input panics the header parser and that
// any header it accepts survives re-encoding unchanged.
func FuzzParseHeader(f *testing.F) {
	f.Add(rawHeader(1, "{'descr': '|u1', 'fortran_order': False, 'shape': (546, 28, 28), }"))
	f.Add(rawHeader(2, "{'descr': '<i8', 'fortran_order': False, 'shape': (156, 1), }"))
	f.Add(rawHeader(3, "{'descr': '>i2', 'fortran_order': True, 'shape': (5,), }"))
	f.Fuzz(func(t *testing.T, b []byte) {
		h, err := ParseHeader(b)
		if err != nil {
			return
		}
		if h.DataOffset > len(b) {
			t.Fatalf("data offset %d beyond input of %d bytes", h.DataOffset, len(b))
		}
		h2, err := ParseHeader(EncodeHeader(h.Descr, h.FortranOrder, h.Shape))
		if err != nil {
			// Descr strings with characters EncodeHeader cannot quote are
			// acceptable to parse but not to re-emit.
			if strings.ContainsAny(h.Descr, "'\\") {
				return
			}
			t.Fatalf("re-encoded header of %+v does not parse: %v", h, err)
		}
		if h2.Descr != h.Descr || h2.FortranOrder != h.FortranOrder || !slices.Equal(h2.Shape, h.Shape) {
			t.Fatalf("round trip changed %+v to %+v", h, h2)
		}
	})
}
