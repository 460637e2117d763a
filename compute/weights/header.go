package weights

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"slices"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"
)

// maxHeader bounds the JSON header so a corrupt length cannot make us
// allocate gigabytes; real headers of ResNets are a few kB.
const maxHeader = 100 << 20

// entry is one tensor of the header, validated: its shape is non-negative,
// its byte size did not overflow and equals its offset span, and the span
// lies inside the data section without overlapping another entry.
type entry struct {
	name       string
	dtype      string
	shape      []int
	begin, end int64 // byte range inside the data section
}

// numel is the element count, exact because the byte size was checked.
func (e entry) numel() int { return int((e.end - e.begin) / dtypeWidth[e.dtype]) }

// header is a parsed and validated safetensors header.
type header struct {
	dataStart int64   // file offset of the data section
	entries   []entry // in header order
	meta      map[string]string
}

var dtypeWidth = map[string]int64{
	"F32": 4, "F16": 2, "BF16": 2, "F64": 8,
	"I64": 8, "I32": 4, "I16": 2, "I8": 1, "U8": 1, "BOOL": 1,
}

// readHeader reads and validates the whole header of a size-byte file
// before any tensor data is touched, so that nothing is allocated from a
// claim the file cannot back.
func readHeader(r io.ReaderAt, size int64) (*header, error) {
	var lb [8]byte
	if size < 8 {
		return nil, fmt.Errorf("header length: file too short (%d bytes) for safetensors", size)
	}
	if err := readAt(r, lb[:], 0); err != nil {
		return nil, fmt.Errorf("header length: %w", err)
	}
	hlen := binary.LittleEndian.Uint64(lb[:])
	if hlen > maxHeader || int64(hlen) > size-8 {
		return nil, fmt.Errorf("header length %d does not fit a %d-byte file (at most %d header bytes): not a safetensors file",
			hlen, size, min(maxHeader, size-8))
	}
	hj := make([]byte, hlen)
	if err := readAt(r, hj, 8); err != nil {
		return nil, fmt.Errorf("header: %w", err)
	}
	// The reference implementation requires UTF-8; encoding/json would
	// instead replace bad bytes, so two distinct names could collide.
	if !utf8.Valid(hj) {
		return nil, fmt.Errorf("header is not UTF-8 JSON")
	}
	h := &header{dataStart: 8 + int64(hlen)}
	if err := h.parse(hj, size-h.dataStart); err != nil {
		return nil, err
	}
	if err := checkOverlap(h.entries); err != nil {
		return nil, err
	}
	return h, nil
}

// parse reads the header JSON into h in one pass of one decoder, checking
// each entry against a dataLen-byte data section as it goes.
func (h *header) parse(hj []byte, dataLen int64) error {
	dec := json.NewDecoder(bytes.NewReader(hj))
	dec.UseNumber()
	var memberErr error // an entry's own error, already labelled
	err := walkObject(dec, "a JSON object", false, func(key string) error {
		if key == "__metadata__" {
			h.meta, memberErr = parseMetadata(dec)
			if memberErr != nil {
				memberErr = fmt.Errorf("__metadata__: %w", memberErr)
			}
			return memberErr
		}
		var e entry
		if e, memberErr = parseEntry(dec, key, dataLen); memberErr != nil {
			memberErr = fmt.Errorf("tensor %q: %w", key, memberErr)
			return memberErr
		}
		h.entries = append(h.entries, e)
		return nil
	})
	switch {
	case memberErr != nil:
		return memberErr
	case err != nil:
		return fmt.Errorf("header: %w", err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return fmt.Errorf("header: data after the JSON object")
	}
	return nil
}

// parseMetadata reads __metadata__: a JSON object of strings, or null.
func parseMetadata(dec *json.Decoder) (map[string]string, error) {
	var meta map[string]string
	err := walkObject(dec, "a JSON object of strings", true, func(key string) error {
		s, err := readString(dec)
		if err != nil {
			return fmt.Errorf("key %q: %w", key, err)
		}
		if meta == nil {
			meta = map[string]string{}
		}
		meta[key] = s
		return nil
	})
	return meta, err
}

// parseEntry reads and checks one tensor's {dtype, shape, data_offsets}
// against a dataLen-byte data section. Field names are matched exactly, as
// the reference implementation does (encoding/json would also accept
// "DType" and silently prefer one of two spellings).
func parseEntry(dec *json.Decoder, name string, dataLen int64) (entry, error) {
	e := entry{name: name}
	var off []int64
	err := walkObject(dec, "a JSON object {dtype, shape, data_offsets}", false, func(key string) error {
		var err error
		switch key {
		case "dtype":
			tok, err := dec.Token()
			if err != nil {
				return err
			}
			if e.dtype, _ = tok.(string); dtypeWidth[e.dtype] == 0 {
				return fmt.Errorf("dtype %s: want one of %s", describe(tok), strings.Join(dtypeNames(), ", "))
			}
		case "shape":
			var s []int64
			if s, err = readInts(dec, 0); err != nil {
				return fmt.Errorf("shape: %w (want an array of dimension sizes)", err)
			}
			e.shape = make([]int, len(s))
			for i, d := range s {
				e.shape[i] = int(d)
			}
		case "data_offsets":
			if off, err = readInts(dec, 64); err != nil {
				return fmt.Errorf("data_offsets: %w (want [begin, end], two byte offsets)", err)
			}
		default:
			err = fmt.Errorf("unknown field %q, want only dtype, shape and data_offsets", key)
		}
		return err
	})
	switch {
	case err != nil:
		return entry{}, err
	case e.dtype == "":
		return entry{}, fmt.Errorf("dtype missing: want one of %s", strings.Join(dtypeNames(), ", "))
	case e.shape == nil:
		return entry{}, fmt.Errorf("shape missing: want an array of dimension sizes")
	case off == nil:
		return entry{}, fmt.Errorf("data_offsets missing: want [begin, end], two byte offsets")
	case len(off) != 2:
		return entry{}, fmt.Errorf("data_offsets has %d values, want [begin, end], two byte offsets", len(off))
	}
	e.begin, e.end = off[0], off[1]
	return e, e.check(dataLen)
}

// check validates the shape and the byte range of e against a dataLen-byte
// data section: every bound is checked before anything is sized from it.
func (e entry) check(dataLen int64) error {
	for i, d := range e.shape {
		if d < 0 {
			return fmt.Errorf("shape %v: dimension %d is %d, want a size >= 0", dims(e.shape), i, d)
		}
	}
	size, ok := byteSize(e.shape, dtypeWidth[e.dtype])
	if !ok {
		return fmt.Errorf("shape %v of %s: byte size overflows 64 bits (the data section has %d bytes)", dims(e.shape), e.dtype, dataLen)
	}
	off := []int64{e.begin, e.end}
	switch {
	case e.begin < 0 || e.begin > e.end:
		return fmt.Errorf("data_offsets %v: want 0 <= begin <= end", off)
	case e.end > dataLen:
		return fmt.Errorf("data_offsets %v: end is past the %d-byte data section", off, dataLen)
	case e.end-e.begin != size:
		return fmt.Errorf("data_offsets %v span %d bytes, want %d for shape %v of %s", off, e.end-e.begin, size, dims(e.shape), e.dtype)
	}
	return nil
}

// byteSize is the product of shape and width, or false if it overflows
// int64. Dimensions are non-negative; a zero one makes the tensor empty
// whatever the others are.
func byteSize(shape []int, width int64) (int64, bool) {
	if slices.Contains(shape, 0) {
		return 0, true
	}
	n := width
	for _, d := range shape {
		if int64(d) > math.MaxInt64/n {
			return 0, false
		}
		n *= int64(d)
	}
	return n, true
}

// checkOverlap refuses two tensors sharing a byte: each would read the
// other's data. An empty tensor shares no byte, so it may sit anywhere.
func checkOverlap(es []entry) error {
	byBegin := slices.Clone(es)
	sort.SliceStable(byBegin, func(i, j int) bool {
		if byBegin[i].begin != byBegin[j].begin {
			return byBegin[i].begin < byBegin[j].begin
		}
		return byBegin[i].end < byBegin[j].end
	})
	var last *entry // the entry reaching furthest so far
	for i := range byBegin {
		e := &byBegin[i]
		if last != nil && e.begin < last.end && e.end > e.begin {
			return fmt.Errorf("tensors %q (data_offsets [%d %d]) and %q (data_offsets [%d %d]) overlap",
				last.name, last.begin, last.end, e.name, e.begin, e.end)
		}
		if last == nil || e.end > last.end {
			last = e
		}
	}
	return nil
}

// readAt fills p from offset off or fails: a file that shrank after its
// size was taken must not yield a half-read tensor.
func readAt(r io.ReaderAt, p []byte, off int64) error {
	n, err := r.ReadAt(p, off)
	if n == len(p) {
		return nil
	}
	if err == nil || err == io.EOF {
		err = io.ErrUnexpectedEOF
	}
	return err
}

func dtypeNames() []string {
	names := make([]string, 0, len(dtypeWidth))
	for n := range dtypeWidth {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// dims prints a shape in errors, shortened: a hostile header may declare
// millions of dimensions.
type dims []int

func (d dims) String() string {
	if len(d) > 8 {
		return fmt.Sprintf("%v... (%d dimensions)", []int(d[:8]), len(d))
	}
	return fmt.Sprint([]int(d))
}

// walkObject reads one JSON object from dec, a description of which is
// want, calling member for each key with dec at the key's value (member
// must consume it). It refuses a duplicate key: encoding/json would keep
// the last one silently, so a header could show one tensor to one reader
// and another to us. With nullOK, null stands for an empty object.
func walkObject(dec *json.Decoder, want string, nullOK bool, member func(key string) error) error {
	tok, err := dec.Token()
	switch {
	case err == io.EOF:
		return fmt.Errorf("empty, want %s", want)
	case err != nil:
		return err
	case tok == nil && nullOK:
		return nil
	case tok != json.Delim('{'):
		return fmt.Errorf("want %s, got %s", want, describe(tok))
	}
	seen := map[string]bool{}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return err
		}
		key, ok := tok.(string)
		if !ok {
			return fmt.Errorf("object key %s is not a string", describe(tok))
		}
		if seen[key] {
			return fmt.Errorf("duplicate key %q", key)
		}
		seen[key] = true
		if err := member(key); err != nil {
			return err
		}
	}
	_, err = dec.Token() // the closing brace
	return err
}

func readString(dec *json.Decoder) (string, error) {
	tok, err := dec.Token()
	if err != nil {
		return "", err
	}
	s, ok := tok.(string)
	if !ok {
		return "", fmt.Errorf("%s is not a string", describe(tok))
	}
	return s, nil
}

// readInts reads a JSON array of integers of the given bit size (0: int);
// [] gives an empty, non-nil slice. The decoder must UseNumber.
func readInts(dec *json.Decoder, bits int) ([]int64, error) {
	tok, err := dec.Token()
	if err != nil {
		return nil, err
	}
	if tok != json.Delim('[') {
		return nil, fmt.Errorf("%s is not an array", describe(tok))
	}
	out := []int64{}
	for dec.More() {
		if tok, err = dec.Token(); err != nil {
			return nil, err
		}
		num, _ := tok.(json.Number)
		v, err := strconv.ParseInt(string(num), 10, bits)
		if err != nil {
			return nil, fmt.Errorf("element %s is not an integer", describe(tok))
		}
		out = append(out, v)
	}
	_, err = dec.Token() // the closing bracket
	return out, err
}

// describe shows a JSON token in an error, shortened.
func describe(tok json.Token) string {
	switch t := tok.(type) {
	case nil:
		return "null"
	case string:
		if len(t) > 40 {
			t = t[:40] + "..."
		}
		return strconv.Quote(t)
	case json.Delim:
		return "'" + t.String() + "'"
	}
	return fmt.Sprint(tok)
}
