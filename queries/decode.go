package queries

import (
	"fmt"
	"math"
	"reflect"
	"strings"
	"time"
)

// DecodeRows turns a query answer (column names and row values as
// database/sql scans them) into row structs whose fields carry `col` tags.
// A tagged column missing from the answer is an error unless the tag says
// ",optional", so a renamed query column fails loudly instead of drawing
// zeros. SQL NULL becomes NaN for floats, 0 for integers, "" for strings.
func DecodeRows[T any](columns []string, rows [][]any) ([]T, error) {
	var zero T
	rt := reflect.TypeOf(zero)
	if rt.Kind() != reflect.Struct {
		return nil, fmt.Errorf("decode rows: %v is not a struct", rt)
	}
	index := map[string]int{}
	for i, c := range columns {
		index[c] = i
	}
	type binding struct{ field, col int }
	var binds []binding
	for i := range rt.NumField() {
		tag, ok := rt.Field(i).Tag.Lookup("col")
		if !ok {
			continue
		}
		name, opt, _ := strings.Cut(tag, ",")
		ci, found := index[name]
		if !found {
			if opt == "optional" {
				continue
			}
			return nil, fmt.Errorf("decode %s rows: column %q missing (have %s)", rt.Name(), name, strings.Join(columns, ", "))
		}
		binds = append(binds, binding{i, ci})
	}
	out := make([]T, len(rows))
	for r, row := range rows {
		if len(row) != len(columns) {
			return nil, fmt.Errorf("decode %s rows: row %d has %d values for %d columns", rt.Name(), r, len(row), len(columns))
		}
		v := reflect.ValueOf(&out[r]).Elem()
		for _, b := range binds {
			if err := assign(v.Field(b.field), row[b.col]); err != nil {
				return nil, fmt.Errorf("decode %s rows: row %d, column %s: %w", rt.Name(), r, columns[b.col], err)
			}
		}
	}
	return out, nil
}

// assign stores a scanned database value into a struct field.
func assign(f reflect.Value, v any) error {
	switch f.Kind() {
	case reflect.String:
		switch x := v.(type) {
		case nil:
			f.SetString("")
		case string:
			f.SetString(x)
		case []byte:
			f.SetString(string(x))
		default:
			return fmt.Errorf("want text, got %T", v)
		}
	case reflect.Uint64, reflect.Uint32, reflect.Uint:
		if v == nil {
			f.SetUint(0)
			return nil
		}
		switch x := v.(type) {
		case uint64:
			f.SetUint(x)
		case int64:
			if x < 0 {
				return fmt.Errorf("want an unsigned integer, got %d", x)
			}
			f.SetUint(uint64(x))
		default:
			return fmt.Errorf("want an unsigned integer, got %T %v", v, v)
		}
	case reflect.Struct:
		if f.Type() != reflect.TypeFor[time.Time]() {
			return fmt.Errorf("unsupported field type %s", f.Type())
		}
		switch x := v.(type) {
		case nil:
			f.Set(reflect.ValueOf(time.Time{}))
		case time.Time:
			f.Set(reflect.ValueOf(x))
		default:
			return fmt.Errorf("want a timestamp, got %T", v)
		}
	case reflect.Int, reflect.Int64, reflect.Int32:
		if v == nil {
			f.SetInt(0)
			return nil
		}
		x, ok := toFloat(v)
		if !ok || x != math.Trunc(x) {
			return fmt.Errorf("want an integer, got %T %v", v, v)
		}
		f.SetInt(int64(x))
	case reflect.Float64, reflect.Float32:
		if v == nil {
			f.SetFloat(math.NaN())
			return nil
		}
		x, ok := toFloat(v)
		if !ok {
			return fmt.Errorf("want a number, got %T", v)
		}
		f.SetFloat(x)
	case reflect.Bool:
		switch x := v.(type) {
		case nil:
			f.SetBool(false)
		case bool:
			f.SetBool(x)
		default:
			return fmt.Errorf("want a boolean, got %T", v)
		}
	case reflect.Slice:
		return assignSlice(f, v)
	default:
		return fmt.Errorf("unsupported field kind %s", f.Kind())
	}
	return nil
}

// assignSlice fills []float32 (maps) and []uint8 (pixels) from a BLOB or a
// DuckDB LIST, which the driver scans as []any.
func assignSlice(f reflect.Value, v any) error {
	switch f.Type().Elem().Kind() {
	case reflect.Uint8:
		switch x := v.(type) {
		case nil:
			f.SetBytes(nil)
		case []byte:
			f.SetBytes(append([]byte(nil), x...))
		case []any:
			b := make([]byte, len(x))
			for i, e := range x {
				n, ok := toFloat(e)
				if !ok || n < 0 || n > 255 || n != math.Trunc(n) {
					return fmt.Errorf("element %d: want a byte 0..255, got %T %v", i, e, e)
				}
				b[i] = uint8(n)
			}
			f.SetBytes(b)
		default:
			return fmt.Errorf("want bytes, got %T", v)
		}
	case reflect.Float32:
		var out []float32
		switch x := v.(type) {
		case nil:
		case []float32:
			out = append(out, x...)
		case []float64:
			out = make([]float32, len(x))
			for i, e := range x {
				out[i] = float32(e)
			}
		case []any:
			out = make([]float32, len(x))
			for i, e := range x {
				n, ok := toFloat(e)
				if !ok {
					return fmt.Errorf("element %d: want a number, got %T", i, e)
				}
				out[i] = float32(n)
			}
		default:
			return fmt.Errorf("want a list of numbers, got %T", v)
		}
		f.Set(reflect.ValueOf(out))
	default:
		return fmt.Errorf("unsupported slice type %s", f.Type())
	}
	return nil
}

func toFloat(v any) (float64, bool) {
	switch x := v.(type) {
	case float64:
		return x, true
	case float32:
		return float64(x), true
	case int:
		return float64(x), true
	case int8:
		return float64(x), true
	case int16:
		return float64(x), true
	case int32:
		return float64(x), true
	case int64:
		return float64(x), true
	case uint8:
		return float64(x), true
	case uint16:
		return float64(x), true
	case uint32:
		return float64(x), true
	case uint64:
		return float64(x), true
	}
	return 0, false
}
