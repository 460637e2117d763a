package warehouse

import (
	"fmt"
	"reflect"
	"strings"
	"time"

	"github.com/gradprint/gradprint/warehouse/rows"
)

// The tables themselves are defined once, as the row types of package
// rows. This file derives what readers of the files see: each column's
// DuckDB type, and the Hive partition key that the path adds.

// Column is one column of a table as readers see it.
type Column struct {
	Name     string
	Go       string // Go field name
	DuckDB   string // DuckDB type of the column in the views
	Doc      string
	Unit     string
	Range    string
	InFile   bool // false for Hive partition keys, which live in the path
	Nullable bool
}

// Columns lists the table's columns in file order, followed by the Hive
// partition keys that DuckDB views add (dataset, and for runs none extra:
// run is the same value as run_id and is dropped from the views).
func Columns(t rows.Table) []Column {
	var cols []Column
	for i := 0; i < t.Row.NumField(); i++ {
		f := t.Row.Field(i)
		name, opts, _ := strings.Cut(f.Tag.Get("parquet"), ",")
		c := Column{Go: f.Name, Doc: f.Tag.Get("doc"), Unit: f.Tag.Get("unit"), Range: f.Tag.Get("range")}
		if name == "-" && opts == "" {
			continue // Dataset on RunMeta: the partition key, added below
		}
		c.Name = name
		c.InFile = true
		c.Nullable = strings.Contains(opts, "optional")
		c.DuckDB = duckType(f.Type)
		cols = append(cols, c)
	}
	cols = append(cols, Column{Name: "dataset", DuckDB: "VARCHAR", Doc: "dataset flag, from the dataset=<flag> Hive partition key", Range: "e.g. breastmnist, synthetic"})
	return cols
}

// duckType is the DuckDB type DuckDB gives a column written by parquet-go
// from a Go field of type t. TestViewTypesMatchSchema checks it against
// DuckDB's own DESCRIBE of written files.
func duckType(t reflect.Type) string {
	if t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t == reflect.TypeFor[time.Time]() {
		return "TIMESTAMP WITH TIME ZONE"
	}
	switch t.Kind() {
	case reflect.String:
		return "VARCHAR"
	case reflect.Bool:
		return "BOOLEAN"
	case reflect.Int32:
		return "INTEGER"
	case reflect.Int64:
		return "BIGINT"
	case reflect.Uint64:
		return "UBIGINT"
	case reflect.Float32:
		return "FLOAT"
	case reflect.Float64:
		return "DOUBLE"
	case reflect.Slice:
		if t.Elem().Kind() == reflect.Uint8 {
			return "BLOB"
		}
		return duckType(t.Elem()) + "[]"
	}
	panic(fmt.Sprintf("warehouse: no DuckDB type for Go type %v", t)) // programming error in the row types
}
