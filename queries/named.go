package queries

import (
	"context"
	"database/sql"
	"fmt"
	"reflect"
	"slices"
	"strconv"
	"strings"

	"github.com/gradprint/gradprint/warehouse"
)

// Opt is an optional parameter value. The zero Opt binds NULL, which every
// named query reads as "all".
type Opt[T any] struct {
	v   T
	set bool
}

// Some is the Opt holding v.
func Some[T any](v T) Opt[T] { return Opt[T]{v: v, set: true} }

// Get returns the value and whether there is one.
func (o Opt[T]) Get() (T, bool) { return o.v, o.set }

// value is what binds: the value, or nil for NULL.
func (o Opt[T]) value() any {
	if !o.set {
		return nil
	}
	return o.v
}

// parse sets o from a header default; "" leaves it NULL.
func (o *Opt[T]) parse(s string) error {
	if s == "" {
		*o = Opt[T]{}
		return nil
	}
	var err error
	switch p := any(&o.v).(type) {
	case *string:
		*p = s
	case *int:
		*p, err = strconv.Atoi(s)
	case *float64:
		*p, err = strconv.ParseFloat(s, 64)
	case *bool:
		*p, err = strconv.ParseBool(s)
	default:
		return fmt.Errorf("parameter type %T is not string, int, float64 or bool", o.v)
	}
	o.set = err == nil
	return err
}

// sqlType is the header type an Opt[T] stands for.
func (o Opt[T]) sqlType() string {
	switch any(o.v).(type) {
	case string:
		return "string"
	case int:
		return "int"
	case float64:
		return "float"
	case bool:
		return "bool"
	}
	return fmt.Sprintf("%T", o.v)
}

// text is the command-line form of the value ("" for NULL).
func (o Opt[T]) text() string {
	if !o.set {
		return ""
	}
	if f, ok := any(o.v).(float64); ok {
		return strconv.FormatFloat(f, 'g', -1, 64)
	}
	return fmt.Sprint(o.v)
}

// optional is what every Opt[T] is, for the reflection below.
type optional interface {
	value() any
	sqlType() string
	text() string
}

// Named is a named query whose parameters are the struct P (one Opt field
// per declared parameter, tagged `param:"name"`) and whose rows decode
// into R (fields tagged `col:"name"`). The package tests check P and R
// against the .sql file and its answer on a fixture warehouse.
type Named[P, R any] struct{ name string }

// Name is the query's name, its file's name without .sql.
func (q Named[P, R]) Name() string { return q.name }

// Defaults returns the parameters as the query's header declares their
// defaults. The headers are embedded and checked by the package tests, so
// a malformed one is a programming error.
func (q Named[P, R]) Defaults() P {
	var p P
	qq, err := Get(q.name)
	if err != nil {
		panic(err)
	}
	fields, err := paramFields(&p, qq)
	if err != nil {
		panic(err)
	}
	for _, dp := range qq.Params {
		if err := fields[dp.Name].Addr().Interface().(interface{ parse(string) error }).parse(dp.Default); err != nil {
			panic(fmt.Sprintf("query %s: parameter %s: default %q: %v", q.name, dp.Name, dp.Default, err))
		}
	}
	return p
}

// Answer is a named query's rows with the query and parameter values that
// produced them.
type Answer[P, R any] struct {
	Query  string
	Params P
	Rows   []R
}

// Run binds p and runs the query, decoding its rows.
func (q Named[P, R]) Run(ctx context.Context, db *warehouse.DB, p P) (Answer[P, R], error) {
	a := Answer[P, R]{Query: q.name, Params: p}
	qq, err := Get(q.name)
	if err != nil {
		return a, err
	}
	fields, err := paramFields(&p, qq)
	if err != nil {
		return a, err
	}
	st := Statement{Name: q.name, SQL: qq.SQL}
	for _, dp := range qq.Params {
		st.Args = append(st.Args, sql.Named(dp.Name, fields[dp.Name].Interface().(optional).value()))
	}
	res, err := st.Query(ctx, db)
	if err != nil {
		return a, err
	}
	if a.Rows, err = DecodeRows[R](res.columnNames(), res.Rows); err != nil {
		return a, fmt.Errorf("query %s: %w", q.name, err)
	}
	return a, nil
}

// Ref names the query and the parameter values of the answer.
func (a Answer[P, R]) Ref() Ref {
	qq, err := Get(a.Query)
	if err != nil {
		return Ref{Name: a.Query}
	}
	p := a.Params
	fields, err := paramFields(&p, qq)
	if err != nil {
		return Ref{Name: a.Query}
	}
	return refOf(qq, fields)
}

// refOf spells out every parameter that is set, and every NULL one whose
// header default is not NULL, so the command reruns exactly this answer.
func refOf(q Query, fields map[string]reflect.Value) Ref {
	r := Ref{Name: q.Name, Params: map[string]string{}}
	for _, dp := range q.Params {
		o := fields[dp.Name].Interface().(optional)
		if o.value() != nil || dp.Default != "" {
			r.Params[dp.Name] = o.text()
		}
	}
	return r
}

// paramFields maps each parameter the query declares to its field of *p,
// checking that P declares exactly those parameters with matching types.
func paramFields(p any, q Query) (map[string]reflect.Value, error) {
	v := reflect.ValueOf(p).Elem()
	t := v.Type()
	if t.Kind() != reflect.Struct {
		return nil, fmt.Errorf("query %s: parameters %v are not a struct", q.Name, t)
	}
	fields := map[string]reflect.Value{}
	for i := range t.NumField() {
		f := t.Field(i)
		name, ok := f.Tag.Lookup("param")
		if !ok {
			continue
		}
		o, ok := v.Field(i).Interface().(optional)
		if !ok {
			return nil, fmt.Errorf("query %s: %s.%s is %v, want an Opt", q.Name, t.Name(), f.Name, f.Type)
		}
		j := slices.IndexFunc(q.Params, func(dp Param) bool { return dp.Name == name })
		if j < 0 {
			return nil, fmt.Errorf("query %s declares no parameter %s (%s has it)", q.Name, name, t.Name())
		}
		if o.sqlType() != q.Params[j].Type {
			return nil, fmt.Errorf("query %s: parameter %s is %s, %s has %s", q.Name, name, q.Params[j].Type, t.Name(), o.sqlType())
		}
		fields[name] = v.Field(i)
	}
	for _, dp := range q.Params {
		if _, ok := fields[dp.Name]; !ok {
			return nil, fmt.Errorf("query %s: %s has no field for parameter %s", q.Name, t.Name(), dp.Name)
		}
	}
	return fields, nil
}

// Ref names a named query and the parameter values it ran with, as the
// command line passes them ("" means NULL, "all").
type Ref struct {
	Name   string
	Params map[string]string
}

// Command is the shell command that reruns the query, parameters sorted
// and quoted for a POSIX shell.
func (r Ref) Command() string {
	var b strings.Builder
	b.WriteString("gradprint query ")
	b.WriteString(shellQuote(r.Name))
	keys := make([]string, 0, len(r.Params))
	for k := range r.Params {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		b.WriteString(" --param ")
		b.WriteString(shellQuote(k + "=" + r.Params[k]))
	}
	return b.String()
}

// shellQuote leaves plain words alone and single-quotes anything else.
func shellQuote(s string) string {
	plain := s != "" && !strings.HasSuffix(s, "=")
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("_./:=,+@-", r)) {
			plain = false
		}
	}
	if plain {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

func (r *Result) columnNames() []string {
	out := make([]string, len(r.Columns))
	for i, c := range r.Columns {
		out[i] = c.Name
	}
	return out
}
