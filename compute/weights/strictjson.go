package weights

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"unicode"
	"unicode/utf8"
)

// UnmarshalStrict is json.Unmarshal for a JSON metadata value decoded into
// a struct, refusing what encoding/json silently resolves: a key given
// twice in one object (encoding/json keeps the last), two spellings of one
// field ("classes" and "Classes": it matches field names case-insensitively,
// so keys are compared the same way), invalid UTF-8 and data after the
// value. It is meant for struct-shaped JSON: two map keys differing only in
// case are refused too.
func UnmarshalStrict(data []byte, v any) error {
	if !utf8.Valid(data) {
		return fmt.Errorf("not UTF-8 JSON")
	}
	if err := uniqueKeys(data); err != nil {
		return err
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(v); err != nil {
		return err
	}
	if _, err := dec.Token(); err != io.EOF {
		return fmt.Errorf("data after the JSON value")
	}
	return nil
}

// maxDepth bounds nesting as encoding/json does (it refuses deeper values
// anyway): every level costs the walk a frame and the decoder a stack entry.
const maxDepth = 10000

// uniqueKeys walks every object of data, at any depth, with an explicit
// stack: recursion would let a deeply nested value grow the goroutine stack
// and rescanning nested values would make the walk quadratic.
func uniqueKeys(data []byte) error {
	type frame struct {
		object  bool
		wantKey bool
		path    string
		keys    map[string]bool
	}
	var stack []*frame
	dec := json.NewDecoder(bytes.NewReader(data))
	path := "" // of the value the next token starts
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		var top *frame
		if len(stack) > 0 {
			top = stack[len(stack)-1]
		}
		if top != nil && top.object && top.wantKey {
			if d, ok := tok.(json.Delim); ok && d == '}' {
				stack = stack[:len(stack)-1]
				continue
			}
			key, _ := tok.(string)
			folded := foldKey(key)
			if top.keys[folded] {
				where := "the top-level object"
				if top.path != "" {
					where = fmt.Sprintf("object %q", top.path)
				}
				return fmt.Errorf("duplicate key %q in %s (keys are compared ignoring case, as encoding/json does)", key, where)
			}
			top.keys[folded] = true
			top.wantKey = false
			path = strings.TrimPrefix(top.path+"."+key, ".")
			continue
		}
		switch {
		case top != nil && top.object:
			top.wantKey = true
		case top != nil:
			path = top.path
		}
		if d, ok := tok.(json.Delim); ok && (d == '{' || d == '[') && len(stack) == maxDepth {
			return fmt.Errorf("nested deeper than %d levels", maxDepth)
		}
		switch tok {
		case json.Delim('{'):
			stack = append(stack, &frame{object: true, wantKey: true, path: path, keys: map[string]bool{}})
		case json.Delim('['):
			stack = append(stack, &frame{path: path + "[]"})
		case json.Delim(']'):
			stack = stack[:len(stack)-1]
		}
	}
}

// foldKey maps keys encoding/json would match to the same struct field to
// one string (its own folding: upper case of lower case, rune by rune).
func foldKey(k string) string {
	return strings.Map(func(r rune) rune { return unicode.ToUpper(unicode.ToLower(r)) }, k)
}
