package ingest

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
)

// npyMagic opens every .npy file.
const npyMagic = "\x93NUMPY"

// maxHeaderLen bounds the header dictionary. numpy itself pads headers to a
// few hundred bytes; the bound keeps a corrupt length field from making us
// allocate gigabytes.
const maxHeaderLen = 1 << 20

// maxElements bounds the product of a shape so that element counts and byte
// sizes cannot overflow int on any platform we build for.
const maxElements = 1 << 40

// Header is the parsed preamble of a .npy array.
type Header struct {
	Major, Minor int    // format version: 1.0, 2.0 or 3.0
	Descr        string // numpy dtype string, e.g. "|u1", "<i8"
	FortranOrder bool
	Shape        []int
	// DataOffset is the number of bytes before the array data (magic,
	// version, length field and padded dictionary).
	DataOffset int
}

// Elements is the product of the shape (1 for a scalar).
func (h Header) Elements() int {
	n := 1
	for _, d := range h.Shape {
		n *= d
	}
	return n
}

// DType is a decoded numpy scalar type of fixed width.
type DType struct {
	Kind      byte // 'u' unsigned int, 'i' signed int, 'b' bool, 'f' float, 'U' unicode, ...
	Size      int  // bytes per element (for 'U': 4 per character)
	BigEndian bool
}

// ParseDType decodes descr strings like "|u1", "<i8", ">i2", "<U5".
func ParseDType(descr string) (DType, error) {
	if len(descr) < 3 {
		return DType{}, fmt.Errorf("dtype %q: want byte order, kind and size like \"<i8\"", descr)
	}
	var dt DType
	switch descr[0] {
	case '<', '|', '=':
		// '=' (native) never appears in files numpy writes; treat it as
		// little-endian, the only byte order numpy runs on in practice.
	case '>':
		dt.BigEndian = true
	default:
		return DType{}, fmt.Errorf("dtype %q: unknown byte order %q", descr, descr[0])
	}
	dt.Kind = descr[1]
	n, err := strconv.Atoi(descr[2:])
	if err != nil || n <= 0 || n > 1<<16 {
		return DType{}, fmt.Errorf("dtype %q: bad element size %q", descr, descr[2:])
	}
	dt.Size = n
	if dt.Kind == 'U' {
		dt.Size = 4 * n
	}
	return dt, nil
}

// IsInteger reports whether values of dt can be decoded as labels.
func (dt DType) IsInteger() bool {
	return (dt.Kind == 'u' || dt.Kind == 'i') && (dt.Size == 1 || dt.Size == 2 || dt.Size == 4 || dt.Size == 8)
}

// ReadHeader reads and parses a .npy preamble from r, leaving r positioned at
// the first data byte.
func ReadHeader(r io.Reader) (Header, error) {
	var pre [10]byte
	if _, err := io.ReadFull(r, pre[:8]); err != nil {
		return Header{}, fmt.Errorf("npy preamble: %w", noEOF(err))
	}
	if string(pre[:6]) != npyMagic {
		return Header{}, fmt.Errorf("npy preamble: bad magic %q, want \"\\x93NUMPY\"", pre[:6])
	}
	major, minor := int(pre[6]), int(pre[7])
	var hlen, off int
	switch major {
	case 1:
		if _, err := io.ReadFull(r, pre[8:10]); err != nil {
			return Header{}, fmt.Errorf("npy header length: %w", noEOF(err))
		}
		hlen, off = int(binary.LittleEndian.Uint16(pre[8:10])), 10
	case 2, 3:
		var l [4]byte
		if _, err := io.ReadFull(r, l[:]); err != nil {
			return Header{}, fmt.Errorf("npy header length: %w", noEOF(err))
		}
		hlen, off = int(binary.LittleEndian.Uint32(l[:])), 12
	default:
		return Header{}, fmt.Errorf("npy format version %d.%d: want 1.0, 2.0 or 3.0", major, minor)
	}
	if minor != 0 {
		return Header{}, fmt.Errorf("npy format version %d.%d: want 1.0, 2.0 or 3.0", major, minor)
	}
	if hlen > maxHeaderLen {
		return Header{}, fmt.Errorf("npy header length %d: larger than the %d bytes we accept", hlen, maxHeaderLen)
	}
	buf := make([]byte, hlen)
	if _, err := io.ReadFull(r, buf); err != nil {
		return Header{}, fmt.Errorf("npy header (%d bytes): %w", hlen, noEOF(err))
	}
	// Version 1 and 2 headers are latin-1, version 3 UTF-8; the keys and
	// values we accept are ASCII, so both decode the same.
	h, err := ParseHeaderDict(string(buf))
	if err != nil {
		return Header{}, err
	}
	h.Major, h.Minor, h.DataOffset = major, minor, off+hlen
	return h, nil
}

// ParseHeader parses a complete .npy preamble held in b.
func ParseHeader(b []byte) (Header, error) {
	return ReadHeader(bytes.NewReader(b))
}

// noEOF turns a bare EOF inside a structure into ErrUnexpectedEOF so that
// messages say "truncated" rather than suggesting a clean end.
func noEOF(err error) error {
	if errors.Is(err, io.EOF) {
		return io.ErrUnexpectedEOF
	}
	return err
}

// ParseHeaderDict parses the Python dict literal of a .npy header, e.g.
// "{'descr': '|u1', 'fortran_order': False, 'shape': (546, 28, 28), }".
// It accepts exactly the literal forms numpy writes (strings, True/False,
// tuples of non-negative integers) and requires all three keys.
func ParseHeaderDict(s string) (Header, error) {
	p := &pyParser{s: s}
	v, err := p.value(0)
	if err != nil {
		return Header{}, fmt.Errorf("npy header %s: %w", quoteShort(s), err)
	}
	p.space()
	if p.i != len(p.s) {
		return Header{}, fmt.Errorf("npy header %s: trailing text at offset %d", quoteShort(s), p.i)
	}
	d, ok := v.(map[string]any)
	if !ok {
		return Header{}, fmt.Errorf("npy header %s: want a dict", quoteShort(s))
	}
	var h Header
	for _, k := range []string{"descr", "fortran_order", "shape"} {
		if _, ok := d[k]; !ok {
			return Header{}, fmt.Errorf("npy header %s: missing key %q", quoteShort(s), k)
		}
	}
	if len(d) != 3 {
		return Header{}, fmt.Errorf("npy header %s: want exactly the keys descr, fortran_order, shape", quoteShort(s))
	}
	if h.Descr, ok = d["descr"].(string); !ok {
		// Structured dtypes are lists; nothing in MedMNIST uses them.
		return Header{}, fmt.Errorf("npy header %s: descr must be a simple dtype string", quoteShort(s))
	}
	if h.FortranOrder, ok = d["fortran_order"].(bool); !ok {
		return Header{}, fmt.Errorf("npy header %s: fortran_order must be True or False", quoteShort(s))
	}
	shape, ok := d["shape"].([]any)
	if !ok {
		return Header{}, fmt.Errorf("npy header %s: shape must be a tuple", quoteShort(s))
	}
	h.Shape = make([]int, len(shape))
	total := 1
	for i, e := range shape {
		n, ok := e.(int)
		if !ok || n < 0 {
			return Header{}, fmt.Errorf("npy header %s: shape[%d] must be a non-negative integer", quoteShort(s), i)
		}
		h.Shape[i] = n
		if n > 0 && total > maxElements/n {
			return Header{}, fmt.Errorf("npy header %s: shape %v has more than 2^40 elements", quoteShort(s), h.Shape)
		}
		total *= n
	}
	return h, nil
}

func quoteShort(s string) string {
	if len(s) > 120 {
		s = s[:120] + "..."
	}
	return strconv.Quote(strings.TrimRight(s, " \n"))
}

// pyParser is a minimal recursive-descent parser for the Python literals
// numpy writes into headers. Depth is bounded so hostile input cannot blow
// the stack.
type pyParser struct {
	s string
	i int
}

const maxDepth = 8

func (p *pyParser) space() {
	for p.i < len(p.s) && (p.s[p.i] == ' ' || p.s[p.i] == '\t' || p.s[p.i] == '\n' || p.s[p.i] == '\r') {
		p.i++
	}
}

func (p *pyParser) value(depth int) (any, error) {
	if depth > maxDepth {
		return nil, errors.New("literal nested too deeply")
	}
	p.space()
	if p.i >= len(p.s) {
		return nil, errors.New("unexpected end of header")
	}
	switch c := p.s[p.i]; {
	case c == '{':
		return p.dict(depth)
	case c == '(' || c == '[':
		return p.tuple(depth)
	case c == '\'' || c == '"':
		return p.str()
	case c >= '0' && c <= '9':
		return p.int()
	case strings.HasPrefix(p.s[p.i:], "True"):
		p.i += 4
		return true, nil
	case strings.HasPrefix(p.s[p.i:], "False"):
		p.i += 5
		return false, nil
	default:
		return nil, fmt.Errorf("unexpected %q at offset %d", c, p.i)
	}
}

func (p *pyParser) dict(depth int) (any, error) {
	p.i++ // '{'
	m := map[string]any{}
	for {
		p.space()
		if p.i < len(p.s) && p.s[p.i] == '}' {
			p.i++
			return m, nil
		}
		k, err := p.value(depth + 1)
		if err != nil {
			return nil, err
		}
		ks, ok := k.(string)
		if !ok {
			return nil, fmt.Errorf("dict key at offset %d is not a string", p.i)
		}
		if _, dup := m[ks]; dup {
			return nil, fmt.Errorf("duplicate key %q", ks)
		}
		p.space()
		if p.i >= len(p.s) || p.s[p.i] != ':' {
			return nil, fmt.Errorf("want ':' after key %q at offset %d", ks, p.i)
		}
		p.i++
		v, err := p.value(depth + 1)
		if err != nil {
			return nil, err
		}
		m[ks] = v
		p.space()
		if p.i >= len(p.s) {
			return nil, errors.New("unterminated dict")
		}
		switch p.s[p.i] {
		case ',':
			p.i++
		case '}':
		default:
			return nil, fmt.Errorf("want ',' or '}' at offset %d", p.i)
		}
	}
}

func (p *pyParser) tuple(depth int) (any, error) {
	closing := byte(')')
	if p.s[p.i] == '[' {
		closing = ']'
	}
	p.i++
	var out []any
	for {
		p.space()
		if p.i < len(p.s) && p.s[p.i] == closing {
			p.i++
			return out, nil
		}
		v, err := p.value(depth + 1)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
		p.space()
		if p.i >= len(p.s) {
			return nil, errors.New("unterminated tuple")
		}
		switch p.s[p.i] {
		case ',':
			p.i++
		case closing:
		default:
			return nil, fmt.Errorf("want ',' or %q at offset %d", closing, p.i)
		}
	}
}

func (p *pyParser) str() (any, error) {
	q := p.s[p.i]
	p.i++
	start := p.i
	for p.i < len(p.s) && p.s[p.i] != q {
		if p.s[p.i] == '\\' {
			// numpy never escapes inside dtype strings; refusing escapes
			// keeps the parser honest about what it understands.
			return nil, fmt.Errorf("escape sequence in string at offset %d", p.i)
		}
		p.i++
	}
	if p.i >= len(p.s) {
		return nil, errors.New("unterminated string")
	}
	v := p.s[start:p.i]
	p.i++
	return v, nil
}

func (p *pyParser) int() (any, error) {
	start := p.i
	for p.i < len(p.s) && p.s[p.i] >= '0' && p.s[p.i] <= '9' {
		p.i++
	}
	n, err := strconv.ParseInt(p.s[start:p.i], 10, 64)
	if err != nil || n > math.MaxInt32*int64(1<<20) {
		return nil, fmt.Errorf("integer %q too large", p.s[start:p.i])
	}
	// Python 2 era files may carry a long suffix.
	if p.i < len(p.s) && p.s[p.i] == 'L' {
		p.i++
	}
	return int(n), nil
}

// EncodeHeader renders the .npy preamble for descr and shape, choosing
// version 1.0 unless the dictionary needs a wider length field, and padding
// so data starts on a 64-byte boundary as numpy does.
func EncodeHeader(descr string, fortran bool, shape []int) []byte {
	var b strings.Builder
	fo := "False"
	if fortran {
		fo = "True"
	}
	fmt.Fprintf(&b, "{'descr': '%s', 'fortran_order': %s, 'shape': (", descr, fo)
	for i, d := range shape {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(strconv.Itoa(d))
	}
	if len(shape) == 1 {
		b.WriteString(",")
	}
	b.WriteString("), }")
	dict := b.String()
	major, pre := 1, 10
	if len(dict)+pre+1 > math.MaxUint16 {
		major, pre = 2, 12
	}
	total := pre + len(dict) + 1
	pad := (64 - total%64) % 64
	hlen := len(dict) + pad + 1
	out := make([]byte, 0, pre+hlen)
	out = append(out, npyMagic...)
	out = append(out, byte(major), 0)
	if major == 1 {
		out = binary.LittleEndian.AppendUint16(out, uint16(hlen))
	} else {
		out = binary.LittleEndian.AppendUint32(out, uint32(hlen))
	}
	out = append(out, dict...)
	out = append(out, bytes.Repeat([]byte{' '}, pad)...)
	out = append(out, '\n')
	return out
}
