package pipeline

import (
	"context"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"

	"github.com/gradprint/gradprint/queries"
	"github.com/gradprint/gradprint/warehouse"
)

// QueryOptions configure Query: a named query (Name) or ad-hoc SQL, with
// parameter values as the command line gives them ("" means NULL, all).
type QueryOptions struct {
	Name, SQL         string
	Params            map[string]string
	Format            string // one of queries.Formats()
	Output            string // file written atomically; "" writes to the caller's writer
	Warehouse         string // "" means <out>/warehouse
	IncludeIncomplete bool
	Verify            bool // check every page checksum of the files read first
}

// Query answers a named query or ad-hoc SQL over the warehouse, writing
// the whole answer to o.Output or to w; nothing reaches w when the query
// fails. It returns how many incomplete runs the views hid.
func Query(ctx context.Context, e Env, o QueryOptions, w io.Writer) (hidden int, err error) {
	if (o.Name != "") == (o.SQL != "") {
		return 0, fmt.Errorf("give a query NAME or --sql TEXT (see --list for names)")
	}
	if !slices.Contains(queries.Formats(), o.Format) {
		return 0, fmt.Errorf("--format: want one of %s, got %q", strings.Join(queries.Formats(), ", "), o.Format)
	}
	dir := o.Warehouse
	if dir == "" {
		dir = e.WarehouseDir()
	}
	if st, err := os.Stat(dir); err != nil || !st.IsDir() {
		return 0, fmt.Errorf("no warehouse at %s: run an analysis first or pass --warehouse DIR", dir)
	}
	db, err := queries.Open(ctx, dir, warehouse.DBOptions{IncludeIncomplete: o.IncludeIncomplete, Verify: o.Verify})
	if err != nil {
		return 0, err
	}
	defer db.Close()
	var st queries.Statement
	if o.SQL != "" {
		st, err = queries.BindSQL(ctx, db, o.SQL, o.Params)
	} else {
		var q queries.Query
		if q, err = queries.Get(o.Name); err == nil {
			st, err = q.Bind(o.Params)
		}
	}
	if err != nil {
		return 0, err
	}
	if err := queries.Export(ctx, db, st, o.Format, o.Output, w); err != nil {
		return 0, err
	}
	return len(db.Hidden), nil
}
