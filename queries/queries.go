// Package queries holds gradprint's named SQL questions over the warehouse,
// one embedded .sql file each, binds their parameters (never splicing them
// into the text), runs them on a warehouse DuckDB and writes the answer as
// an aligned table, CSV, JSON lines, Parquet or Arrow IPC.
//
// Each file starts with a header of "--" comment lines: a description, then
// one "@param NAME TYPE DEFAULT DESCRIPTION" line per parameter, where TYPE
// is string, int, float or bool and DEFAULT "" means empty. An empty value
// binds NULL, which every query reads as "all" through the matches macro
// (macros.sql), defined on every database Open returns.
//
// For Go callers each named query is also typed (named.go, answers.go): a
// function returns a Named[P, R] whose parameters P are a struct of Opt
// values (a severity is an Opt[int]) and whose rows decode into R; the
// Answer keeps the parameter values with the rows, so a figure's caption
// can name exactly the query that drew it.
package queries

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"embed"
	"fmt"
	"io/fs"
	"maps"
	"path"
	"slices"
	"strconv"
	"strings"

	"github.com/duckdb/duckdb-go/v2"

	"github.com/gradprint/gradprint/warehouse"
)

//go:embed sql/*.sql
var sqlFiles embed.FS

//go:embed macros.sql
var macrosSQL string

// Open opens the warehouse at root in DuckDB (warehouse.OpenDB) and defines
// the macros the named queries use.
func Open(ctx context.Context, root string, opts warehouse.DBOptions) (*warehouse.DB, error) {
	db, err := warehouse.OpenDB(ctx, root, opts)
	if err != nil {
		return nil, err
	}
	if _, err := db.ExecContext(ctx, macrosSQL); err != nil {
		db.Close()
		return nil, fmt.Errorf("queries: define macros: %w", err)
	}
	return db, nil
}

// Param is one declared parameter of a named query.
type Param struct {
	Name        string
	Type        string // string, int, float or bool
	Default     string // "" binds NULL, meaning all
	Description string
}

// Required reports whether the parameter must be given: its description
// ends in "(required)" (no default can select anything, as for the two
// runs a comparison compares).
func (p Param) Required() bool { return strings.HasSuffix(p.Description, "(required)") }

// Query is one named query.
type Query struct {
	Name        string
	Description string
	Params      []Param
	SQL         string
}

// List returns every named query, sorted by name. The embedded files are
// parsed on each call; a malformed header is a programming error caught by
// the package tests, reported here as a query with an error description.
func List() []Query {
	ents, err := fs.ReadDir(sqlFiles, "sql")
	if err != nil {
		panic(err) // embedded directory: cannot fail at run time
	}
	var out []Query
	for _, e := range ents {
		q, err := load(e.Name())
		if err != nil {
			q = Query{Name: strings.TrimSuffix(e.Name(), ".sql"), Description: "BROKEN: " + err.Error()}
		}
		out = append(out, q)
	}
	slices.SortFunc(out, func(a, b Query) int { return strings.Compare(a.Name, b.Name) })
	return out
}

// Get returns the named query.
func Get(name string) (Query, error) {
	q, err := load(name + ".sql")
	if err != nil {
		var names []string
		for _, q := range List() {
			names = append(names, q.Name)
		}
		return Query{}, fmt.Errorf("unknown query %q (known: %s)", name, strings.Join(names, ", "))
	}
	return q, nil
}

func load(file string) (Query, error) {
	if path.Base(file) != file || !strings.HasSuffix(file, ".sql") {
		return Query{}, fmt.Errorf("bad query file name %q", file)
	}
	b, err := sqlFiles.ReadFile("sql/" + file)
	if err != nil {
		return Query{}, err
	}
	q, err := parse(strings.TrimSuffix(file, ".sql"), string(b))
	if err != nil {
		return Query{}, fmt.Errorf("queries/sql/%s: %w", file, err)
	}
	return q, nil
}

// parse reads the header comment of a query file.
func parse(name, text string) (Query, error) {
	q := Query{Name: name, SQL: text}
	var desc []string
	for i, line := range strings.Split(text, "\n") {
		line = strings.TrimSpace(line)
		if !strings.HasPrefix(line, "--") {
			break
		}
		line = strings.TrimSpace(strings.TrimPrefix(line, "--"))
		if !strings.HasPrefix(line, "@param") {
			if len(q.Params) > 0 {
				return q, fmt.Errorf("line %d: description after @param lines", i+1)
			}
			desc = append(desc, line)
			continue
		}
		f := strings.Fields(strings.TrimPrefix(line, "@param"))
		if len(f) < 4 {
			return q, fmt.Errorf("line %d: want \"@param NAME TYPE DEFAULT DESCRIPTION\", got %q", i+1, line)
		}
		p := Param{Name: f[0], Type: f[1], Default: f[2], Description: strings.Join(f[3:], " ")}
		if p.Default == `""` {
			p.Default = ""
		}
		if _, err := convert(p.Type, p.Default); err != nil {
			return q, fmt.Errorf("line %d: parameter %s: default: %w", i+1, p.Name, err)
		}
		q.Params = append(q.Params, p)
	}
	q.Description = strings.Join(desc, " ")
	if q.Description == "" {
		return q, fmt.Errorf("no description comment at the top")
	}
	return q, nil
}

// convert turns a command-line value into the Go value bound for a
// parameter of type typ. Empty is NULL.
func convert(typ, v string) (any, error) {
	if v == "" {
		return nil, nil
	}
	switch typ {
	case "string":
		return v, nil
	case "int":
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return nil, fmt.Errorf("want an integer, got %q", v)
		}
		return n, nil
	case "float":
		x, err := strconv.ParseFloat(v, 64)
		if err != nil {
			return nil, fmt.Errorf("want a number, got %q", v)
		}
		return x, nil
	case "bool":
		b, err := strconv.ParseBool(v)
		if err != nil {
			return nil, fmt.Errorf("want true or false, got %q", v)
		}
		return b, nil
	}
	return nil, fmt.Errorf("unknown parameter type %q (want string, int, float or bool)", typ)
}

// Statement is SQL text with its bound arguments (sql.NamedArg values).
type Statement struct {
	Name string // query name, or "sql" for ad-hoc text
	SQL  string
	Args []any
	// Multi marks ad-hoc text of several statements: it runs once, as a
	// whole, and answers with its last statement's rows.
	Multi bool
}

// Bind checks params against the query's declared parameters, fills in
// defaults and converts values to their declared types.
func (q Query) Bind(params map[string]string) (Statement, error) {
	st := Statement{Name: q.Name, SQL: q.SQL}
	declared := map[string]Param{}
	var names []string
	for _, p := range q.Params {
		declared[p.Name] = p
		names = append(names, p.Name)
	}
	for k := range params {
		if _, ok := declared[k]; !ok {
			return st, fmt.Errorf("query %s: unknown parameter %q (parameters: %s)", q.Name, k, strings.Join(names, ", "))
		}
	}
	for _, p := range q.Params {
		v, ok := params[p.Name]
		if !ok {
			v = p.Default
		}
		if p.Required() && v == "" {
			return st, fmt.Errorf("query %s: parameter %s is required (%s): pass --param %s=...",
				q.Name, p.Name, strings.TrimSuffix(strings.TrimSpace(strings.TrimSuffix(p.Description, "(required)")), ","), p.Name)
		}
		val, err := convert(p.Type, v)
		if err != nil {
			return st, fmt.Errorf("query %s: parameter %s: %w", q.Name, p.Name, err)
		}
		st.Args = append(st.Args, sql.Named(p.Name, val))
	}
	return st, nil
}

// BindSQL prepares ad-hoc SQL to learn its parameters, checks that params
// supplies exactly those, and converts each value to the type DuckDB
// expects. Errors in the SQL come back with DuckDB's message. Text of
// several statements is not prepared (DuckDB would run all but the last
// while preparing, and again when the query runs): it takes no parameters
// and runs once, as a whole.
func BindSQL(ctx context.Context, db *warehouse.DB, text string, params map[string]string) (Statement, error) {
	st := Statement{Name: "sql", SQL: text}
	wants, multi, err := sqlParams(ctx, db, text)
	if err != nil {
		return st, err
	}
	if multi {
		if len(params) > 0 {
			return st, fmt.Errorf("--sql holds several statements; parameters need a single statement (got --param %s)", strings.Join(slices.Sorted(maps.Keys(params)), ", --param "))
		}
		st.Multi = true
		return st, nil
	}
	known := map[string]bool{}
	var names []string
	for _, w := range wants {
		known[w.name] = true
		names = append(names, "$"+w.name)
	}
	for k := range params {
		if !known[k] {
			if len(names) == 0 {
				return st, fmt.Errorf("unknown parameter %q: the statement has no parameters", k)
			}
			return st, fmt.Errorf("unknown parameter %q (the statement uses %s)", k, strings.Join(names, ", "))
		}
	}
	for _, w := range wants {
		v, ok := params[w.name]
		if !ok {
			return st, fmt.Errorf("parameter $%s has no value: pass --param %s=VALUE", w.name, w.name)
		}
		val, err := convert(goTypeOf(w.typ), v)
		if err != nil {
			return st, fmt.Errorf("parameter %s: %w", w.name, err)
		}
		if _, isNum := strconv.Atoi(w.name); isNum == nil {
			st.Args = append(st.Args, val) // positional ($1 or ?)
		} else {
			st.Args = append(st.Args, sql.Named(w.name, val))
		}
	}
	return st, nil
}

// sqlParam is one parameter a prepared statement expects.
type sqlParam struct {
	name string
	typ  duckdb.Type
}

// multiStatementErr is duckdb-go's refusal to Prepare (without a context)
// text of several statements; it parses the text and executes nothing.
// TestAdHocMultiStatementRunsOnce fails if the driver changes the message.
const multiStatementErr = "missing context for multi-statement query"

// sqlParams prepares text, without running it, to learn its parameters;
// multi reports text of several statements, which is not prepared.
func sqlParams(ctx context.Context, db *warehouse.DB, text string) (wants []sqlParam, multi bool, err error) {
	conn, err := db.Conn(ctx)
	if err != nil {
		return nil, false, err
	}
	defer conn.Close()
	err = conn.Raw(func(dc any) error {
		c, ok := dc.(driver.Conn)
		if !ok {
			return fmt.Errorf("duckdb connection cannot prepare")
		}
		s, err := c.Prepare(text)
		if err != nil {
			if strings.Contains(err.Error(), multiStatementErr) {
				multi = true
				return nil
			}
			return err
		}
		defer s.Close()
		ds, ok := s.(*duckdb.Stmt)
		if !ok {
			return fmt.Errorf("not a duckdb statement")
		}
		for i := 1; i <= ds.NumInput(); i++ {
			name, err := ds.ParamName(i)
			if err != nil {
				return err
			}
			typ, _ := ds.ParamType(i)
			wants = append(wants, sqlParam{name, typ})
		}
		return nil
	})
	return wants, multi, err
}

// goTypeOf maps DuckDB's inferred parameter type to a conversion; text for
// anything else lets DuckDB cast it.
func goTypeOf(t duckdb.Type) string {
	switch t {
	case duckdb.TYPE_TINYINT, duckdb.TYPE_SMALLINT, duckdb.TYPE_INTEGER, duckdb.TYPE_BIGINT,
		duckdb.TYPE_UTINYINT, duckdb.TYPE_USMALLINT, duckdb.TYPE_UINTEGER:
		return "int"
	case duckdb.TYPE_FLOAT, duckdb.TYPE_DOUBLE:
		return "float"
	case duckdb.TYPE_BOOLEAN:
		return "bool"
	}
	return "string"
}

// Column is one result column.
type Column struct {
	Name string
	Type string // DuckDB type name
}

// Result is a query answer held in memory.
type Result struct {
	Columns []Column
	Rows    [][]any
}

// Run binds and runs the named query.
func Run(ctx context.Context, db *warehouse.DB, name string, params map[string]string) (*Result, error) {
	q, err := Get(name)
	if err != nil {
		return nil, err
	}
	st, err := q.Bind(params)
	if err != nil {
		return nil, err
	}
	return st.Query(ctx, db)
}

// Query runs the statement and collects its rows.
func (st Statement) Query(ctx context.Context, db *warehouse.DB) (*Result, error) {
	rows, err := db.QueryContext(ctx, st.SQL, st.Args...)
	if err != nil {
		return nil, st.wrap(db, err)
	}
	defer rows.Close()
	cts, err := rows.ColumnTypes()
	if err != nil {
		return nil, st.wrap(db, err)
	}
	res := &Result{}
	for _, ct := range cts {
		res.Columns = append(res.Columns, Column{Name: ct.Name(), Type: ct.DatabaseTypeName()})
	}
	for rows.Next() {
		vals := make([]any, len(cts))
		ptrs := make([]any, len(cts))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			return nil, st.wrap(db, err)
		}
		res.Rows = append(res.Rows, vals)
	}
	if err := rows.Err(); err != nil {
		return nil, st.wrap(db, err)
	}
	return res, nil
}

func (st Statement) wrap(db *warehouse.DB, err error) error {
	if err == nil {
		return nil
	}
	if st.Name == "sql" {
		return db.Explain(err) // DuckDB's message, as the user typed the SQL
	}
	return fmt.Errorf("query %s: %w", st.Name, db.Explain(err))
}
