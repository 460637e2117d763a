package queries

import (
	"bufio"
	"context"
	"encoding/csv"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"math/big"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/duckdb/duckdb-go/v2"

	"github.com/gradprint/gradprint/warehouse"
)

// Formats lists the output formats.
var formats = []string{"table", "csv", "jsonl", "parquet", "arrow"}

// Formats returns the output format names.
func Formats() []string { return append([]string(nil), formats...) }

// Write runs st and writes its answer to w in format. Parquet and Arrow IPC
// stream from DuckDB; the text formats go through a Result.
func (st Statement) Write(ctx context.Context, db *warehouse.DB, format string, w io.Writer) error {
	if st.Multi && (format == "parquet" || format == "arrow") {
		return fmt.Errorf("--format %s needs a single statement; this --sql holds several (use table, csv or jsonl)", format)
	}
	switch format {
	case "table", "csv", "jsonl":
		res, err := st.Query(ctx, db)
		if err != nil {
			return err
		}
		return res.Write(w, format)
	case "parquet":
		return st.WriteParquet(ctx, db, w)
	case "arrow":
		return st.WriteArrowIPC(ctx, db, w)
	}
	return fmt.Errorf("unknown format %q (want %s)", format, strings.Join(formats, ", "))
}

// Write formats the result as an aligned table, CSV or JSON lines.
func (r *Result) Write(w io.Writer, format string) error {
	bw := bufio.NewWriter(w)
	var err error
	switch format {
	case "table":
		err = r.writeTable(bw)
	case "csv":
		err = r.writeCSV(bw)
	case "jsonl":
		err = r.writeJSONL(bw)
	default:
		return fmt.Errorf("format %q: want table, csv or jsonl", format)
	}
	if err != nil {
		return err
	}
	return bw.Flush()
}

func (r *Result) writeTable(w io.Writer) error {
	cells := make([][]string, len(r.Rows)+1)
	widths := make([]int, len(r.Columns))
	numeric := make([]bool, len(r.Columns))
	cells[0] = make([]string, len(r.Columns))
	for j, c := range r.Columns {
		cells[0][j] = c.Name
		widths[j] = utf8.RuneCountInString(c.Name)
		numeric[j] = isNumericType(c.Type)
	}
	for i, row := range r.Rows {
		cells[i+1] = make([]string, len(row))
		for j, v := range row {
			s := textValue(v, true)
			cells[i+1][j] = s
			widths[j] = max(widths[j], utf8.RuneCountInString(s))
		}
	}
	for i, row := range cells {
		var b strings.Builder
		for j, s := range row {
			if j > 0 {
				b.WriteString("  ")
			}
			pad := strings.Repeat(" ", widths[j]-utf8.RuneCountInString(s))
			if numeric[j] && i > 0 {
				b.WriteString(pad + s)
			} else if j == len(row)-1 {
				b.WriteString(s)
			} else {
				b.WriteString(s + pad)
			}
		}
		if _, err := fmt.Fprintln(w, b.String()); err != nil {
			return err
		}
		if i == 0 {
			var sep []string
			for _, wd := range widths {
				sep = append(sep, strings.Repeat("-", wd))
			}
			if _, err := fmt.Fprintln(w, strings.Join(sep, "  ")); err != nil {
				return err
			}
		}
	}
	_, err := fmt.Fprintf(w, "(%d rows)\n", len(r.Rows))
	return err
}

func isNumericType(t string) bool {
	switch {
	case strings.HasSuffix(t, "INT"), t == "INTEGER", t == "FLOAT", t == "DOUBLE", strings.HasPrefix(t, "DECIMAL"),
		t == "HUGEINT", t == "UHUGEINT", t == "UBIGINT", t == "UINTEGER", t == "USMALLINT", t == "UTINYINT":
		return true
	}
	return false
}

func (r *Result) writeCSV(w io.Writer) error {
	cw := csv.NewWriter(w)
	head := make([]string, len(r.Columns))
	for j, c := range r.Columns {
		head[j] = c.Name
	}
	if err := cw.Write(head); err != nil {
		return err
	}
	rec := make([]string, len(r.Columns))
	for _, row := range r.Rows {
		for j, v := range row {
			rec[j] = textValue(v, false)
		}
		if err := cw.Write(rec); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

func (r *Result) writeJSONL(w io.Writer) error {
	names := make([][]byte, len(r.Columns))
	for j, c := range r.Columns {
		names[j], _ = json.Marshal(c.Name)
	}
	for _, row := range r.Rows {
		var b []byte
		b = append(b, '{')
		for j, v := range row {
			if j > 0 {
				b = append(b, ',')
			}
			b = append(b, names[j]...)
			b = append(b, ':')
			jv, err := json.Marshal(jsonValue(v))
			if err != nil {
				return fmt.Errorf("column %s: %w", r.Columns[j].Name, err)
			}
			b = append(b, jv...)
		}
		b = append(b, '}', '\n')
		if _, err := w.Write(b); err != nil {
			return err
		}
	}
	return nil
}

// textValue renders a value for the table (short) or CSV (exact).
func textValue(v any, short bool) string {
	switch x := v.(type) {
	case nil:
		if short {
			return "NULL"
		}
		return ""
	case string:
		return x
	case bool:
		return strconv.FormatBool(x)
	case float32:
		if short {
			return strconv.FormatFloat(float64(x), 'g', 5, 32)
		}
		return strconv.FormatFloat(float64(x), 'g', -1, 32)
	case float64:
		if short {
			return strconv.FormatFloat(x, 'g', 5, 64)
		}
		return strconv.FormatFloat(x, 'g', -1, 64)
	case time.Time:
		return x.UTC().Format(time.RFC3339Nano)
	case []byte:
		if short {
			return fmt.Sprintf("<%d bytes>", len(x))
		}
		return hex.EncodeToString(x)
	case *big.Int:
		return x.String()
	case duckdb.Decimal:
		return strconv.FormatFloat(x.Float64(), 'g', -1, 64)
	case []any:
		if short && len(x) > 4 {
			parts := make([]string, 0, 5)
			for _, e := range x[:4] {
				parts = append(parts, textValue(e, true))
			}
			return "[" + strings.Join(parts, ", ") + fmt.Sprintf(", ... %d more]", len(x)-4)
		}
		parts := make([]string, len(x))
		for i, e := range x {
			parts[i] = textValue(e, short)
		}
		return "[" + strings.Join(parts, ", ") + "]"
	}
	if b, err := json.Marshal(jsonValue(v)); err == nil {
		return string(b)
	}
	return fmt.Sprint(v)
}

// jsonValue maps DuckDB values to what encoding/json writes well. NaN and
// infinities have no JSON form and become null.
func jsonValue(v any) any {
	switch x := v.(type) {
	case float32:
		if math.IsNaN(float64(x)) || math.IsInf(float64(x), 0) {
			return nil
		}
		// Round-trip as float32 digits, not float64 noise.
		return json.Number(strconv.FormatFloat(float64(x), 'g', -1, 32))
	case float64:
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return nil
		}
		return x
	case time.Time:
		return x.UTC().Format(time.RFC3339Nano)
	case *big.Int:
		return json.Number(x.String())
	case duckdb.Decimal:
		return x.Float64()
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = jsonValue(e)
		}
		return out
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[k] = jsonValue(e)
		}
		return out
	}
	return v
}

// WriteParquet runs st into a temporary table and has DuckDB copy it to a
// zstd Parquet file, so every DuckDB type (lists, blobs, timestamps) keeps
// its type. DuckDB writes to a file, which is then copied to w.
func (st Statement) WriteParquet(ctx context.Context, db *warehouse.DB, w io.Writer) error {
	// The scratch folder is inside what a sandboxed database may write.
	dir, err := os.MkdirTemp(db.Scratch, "export-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "out.parquet")
	conn, err := db.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	body := strings.TrimRight(strings.TrimSpace(st.SQL), ";")
	// Temporary tables belong to this connection, so concurrent exports
	// cannot collide.
	if _, err := conn.ExecContext(ctx, "CREATE OR REPLACE TEMP TABLE __gradprint_out AS SELECT * FROM ("+body+"\n)", st.Args...); err != nil {
		return st.wrap(db, err)
	}
	defer conn.ExecContext(context.WithoutCancel(ctx), "DROP TABLE IF EXISTS __gradprint_out")
	if _, err := conn.ExecContext(ctx, "COPY __gradprint_out TO '"+strings.ReplaceAll(path, "'", "''")+"' (FORMAT parquet, COMPRESSION zstd)"); err != nil {
		return fmt.Errorf("write parquet: %w", err)
	}
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	if _, err := io.Copy(w, f); err != nil {
		return fmt.Errorf("write parquet: %w", err)
	}
	return nil
}
