package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/gradprint/gradprint/queries"
	"github.com/gradprint/gradprint/warehouse"
)

// newQueryCmd answers named questions (or ad-hoc SQL) over the warehouse.
func newQueryCmd(g *globals) *cobra.Command {
	var (
		params            []string
		format            string
		output            string
		whDir             string
		sqlText           string
		list              bool
		includeIncomplete bool
		verify            bool
	)
	cmd := &cobra.Command{
		Use:   "query [NAME]",
		Short: "Answer a named question, or run SQL, over the warehouse with DuckDB",
		Long: `query runs one of gradprint's named SQL questions (see --list) or your own
SQL (--sql) on an in-memory DuckDB whose views (runs, training, predictions,
saliency, metrics, maps, flags, failure_metrics; all_runs lists every run)
read the warehouse's Parquet files. Only complete runs are visible unless
--include-incomplete. Parameters are bound, never pasted into the SQL: named
queries declare theirs (--list), ad-hoc SQL uses $name placeholders. An empty
value means "all".`,
		Example: `  gradprint query --list
  gradprint query layer_profile --param dataset=breastmnist --param severity=3
  gradprint query rmse_auc_correlation --format csv --output corr.csv
  gradprint query --sql "SELECT layer, avg(rmse) FROM saliency WHERE severity = $s GROUP BY ALL" --param s=5`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if list {
				if len(args) > 0 || sqlText != "" {
					return errors.New("--list takes no query name and no --sql")
				}
				return printQueryList(g, format)
			}
			if (len(args) == 1) == (sqlText != "") {
				return errors.New("give a query NAME or --sql TEXT (see --list for names)")
			}
			kv, err := parseParams(params)
			if err != nil {
				return err
			}
			if !validFormat(format) {
				return fmt.Errorf("--format: want one of %s, got %q", strings.Join(queries.Formats(), ", "), format)
			}
			if output == "" && (format == "parquet" || format == "arrow") {
				if f, ok := g.stdout.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
					return fmt.Errorf("--format %s is binary: pass --output FILE or redirect stdout", format)
				}
			}
			if whDir == "" {
				whDir = filepath.Join(g.out, "warehouse")
			}
			if st, err := os.Stat(whDir); err != nil || !st.IsDir() {
				return fmt.Errorf("no warehouse at %s: run an analysis first or pass --warehouse DIR", whDir)
			}
			ctx := cmd.Context()
			db, err := warehouse.OpenDB(ctx, whDir, warehouse.DBOptions{IncludeIncomplete: includeIncomplete, Verify: verify})
			if err != nil {
				return err
			}
			defer db.Close()
			var st queries.Statement
			if sqlText != "" {
				st, err = queries.BindSQL(ctx, db, sqlText, kv)
			} else {
				var q queries.Query
				if q, err = queries.Get(args[0]); err == nil {
					st, err = q.Bind(kv)
				}
			}
			if err != nil {
				return err
			}
			if err := queries.Export(ctx, db, st, format, output, g.stdout); err != nil {
				return err
			}
			// After the answer, and only on success, so that a failing
			// query prints DuckDB's message and nothing else.
			if len(db.Hidden) > 0 && g.log != nil {
				g.log.Info("incomplete runs hidden; pass --include-incomplete to see them", "runs", len(db.Hidden))
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.StringArrayVarP(&params, "param", "p", nil, "parameter as NAME=VALUE (repeatable); empty VALUE means all")
	f.StringVarP(&format, "format", "f", "table", "output format: "+strings.Join(queries.Formats(), ", "))
	f.StringVarP(&output, "output", "o", "", "write the answer to FILE (atomically) instead of stdout")
	f.StringVar(&whDir, "warehouse", "", "warehouse directory (default <--out>/warehouse)")
	f.StringVar(&sqlText, "sql", "", "run this SQL instead of a named query")
	f.BoolVar(&list, "list", false, "describe every named query and its parameters")
	f.BoolVar(&includeIncomplete, "include-incomplete", false, "also read runs that are running, failed or missing shards")
	f.BoolVar(&verify, "verify", false, "check every page checksum of the files read first (slow; finds silently corrupt files)")
	return cmd
}

func validFormat(f string) bool {
	for _, x := range queries.Formats() {
		if x == f {
			return true
		}
	}
	return false
}

func parseParams(params []string) (map[string]string, error) {
	kv := map[string]string{}
	for _, p := range params {
		k, v, ok := strings.Cut(p, "=")
		k = strings.TrimPrefix(strings.TrimSpace(k), "$")
		if !ok || k == "" {
			return nil, fmt.Errorf("--param %q: want NAME=VALUE", p)
		}
		if _, dup := kv[k]; dup {
			return nil, fmt.Errorf("--param %s given twice", k)
		}
		kv[k] = v
	}
	return kv, nil
}

// printQueryList describes the named queries: as text, or one JSON object
// per query with --format jsonl.
func printQueryList(g *globals, format string) error {
	qs := queries.List()
	if format == "jsonl" {
		res := &queries.Result{Columns: []queries.Column{{Name: "name"}, {Name: "description"}, {Name: "params"}}}
		for _, q := range qs {
			var ps []any
			for _, p := range q.Params {
				ps = append(ps, map[string]any{"name": p.Name, "type": p.Type, "default": p.Default, "description": p.Description})
			}
			res.Rows = append(res.Rows, []any{q.Name, q.Description, ps})
		}
		return res.Write(g.stdout, "jsonl")
	}
	var b strings.Builder
	for i, q := range qs {
		if i > 0 {
			b.WriteString("\n")
		}
		b.WriteString(q.Name + "\n")
		for _, line := range wrap(q.Description, 76) {
			b.WriteString("    " + line + "\n")
		}
		for _, p := range q.Params {
			def := p.Default
			if def == "" {
				def = `""`
			}
			fmt.Fprintf(&b, "    --param %-11s %-6s default %-10s %s\n", p.Name, p.Type, def, p.Description)
		}
	}
	_, err := fmt.Fprint(g.stdout, b.String())
	return err
}

func wrap(s string, width int) []string {
	var lines []string
	var cur string
	for _, w := range strings.Fields(s) {
		if cur != "" && len(cur)+1+len(w) > width {
			lines = append(lines, cur)
			cur = ""
		}
		if cur != "" {
			cur += " "
		}
		cur += w
	}
	if cur != "" {
		lines = append(lines, cur)
	}
	return lines
}
