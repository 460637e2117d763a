package pipeline

import (
	"context"
	"fmt"
	"io"
	"log/slog"
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
	Verify            bool // check every file against its chunk marker and every page checksum first
	// ExternalAccess lets the SQL read and write files outside the
	// warehouse; off, the database reaches only the warehouse folder.
	ExternalAccess bool
}

// QueryInfo is what the views left out of an answer.
type QueryInfo struct {
	Hidden  int     // incomplete runs
	Damaged []error // complete runs hidden because a committed file is missing
	Ignored int     // part files no chunk marker names
}

// Log says what the views left out: incomplete runs at info level,
// damaged runs and stray part files as warnings.
func (i QueryInfo) Log(log *slog.Logger) {
	if i.Hidden > 0 {
		log.Info("incomplete runs hidden; pass --include-incomplete to see them", "runs", i.Hidden)
	}
	for _, d := range i.Damaged {
		log.Warn("damaged run hidden; `gradprint query --verify` checks every file", "err", d)
	}
	if i.Ignored > 0 {
		log.Warn("part files that no chunk marker names were ignored", "files", i.Ignored)
	}
}

// Query answers a named query or ad-hoc SQL over the warehouse, writing
// the whole answer to o.Output or to w; nothing reaches w when the query
// fails. It says what the views left out.
func Query(ctx context.Context, e Env, o QueryOptions, w io.Writer) (QueryInfo, error) {
	var info QueryInfo
	if (o.Name != "") == (o.SQL != "") {
		return info, fmt.Errorf("give a query NAME or --sql TEXT (see --list for names)")
	}
	if !slices.Contains(queries.Formats(), o.Format) {
		return info, fmt.Errorf("--format: want one of %s, got %q", strings.Join(queries.Formats(), ", "), o.Format)
	}
	dir := o.Warehouse
	if dir == "" {
		dir = e.WarehouseDir()
	}
	if st, err := os.Stat(dir); err != nil || !st.IsDir() {
		return info, fmt.Errorf("no warehouse at %s: run an analysis first or pass --warehouse DIR", dir)
	}
	db, err := queries.Open(ctx, dir, warehouse.DBOptions{IncludeIncomplete: o.IncludeIncomplete, Verify: o.Verify, ExternalAccess: o.ExternalAccess})
	if err != nil {
		return info, err
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
		return info, err
	}
	if err := queries.Export(ctx, db, st, o.Format, o.Output, w); err != nil {
		return info, err
	}
	return QueryInfo{Hidden: len(db.Hidden) - len(db.Damaged), Damaged: db.Damaged, Ignored: len(db.Ignored)}, nil
}
