package main

import (
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/gradprint/gradprint/internal/pipeline"
	"github.com/gradprint/gradprint/internal/spec"
	"github.com/gradprint/gradprint/queries"
)

// newQueryCmd answers named questions (or ad-hoc SQL) over the warehouse.
func newQueryCmd(g *globals) *cobra.Command {
	var o pipeline.QueryOptions
	var params []string
	var list bool
	cmd := &cobra.Command{
		Use:   "query [NAME]",
		Short: "Answer a named question, or run SQL, over the warehouse with DuckDB",
		Long: `query runs one of gradprint's named SQL questions (see --list) or your own
SQL (--sql) on an in-memory DuckDB whose views (runs, training, predictions,
saliency, metrics, maps, flags, failure_metrics; all_runs lists every run)
read the warehouse's Parquet files. Only complete runs are visible unless
--include-incomplete, and of those only the files their chunk markers name.
Parameters are bound, never pasted into the SQL: named queries declare
theirs (--list), ad-hoc SQL uses $name placeholders. An empty value means
"all". The database can read and write only the warehouse folder unless
--allow-external-access is given.`,
		Example: `  gradprint query --list
  gradprint query layer_profile --param dataset=breastmnist --param severity=3
  gradprint query rmse_auc_correlation --format csv --output corr.csv
  gradprint query --sql "SELECT layer, avg(rmse) FROM saliency WHERE severity = $s GROUP BY ALL" --param s=5`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if list {
				if len(args) > 0 || o.SQL != "" {
					return errors.New("--list takes no query name and no --sql")
				}
				return queries.WriteList(g.stdout, o.Format)
			}
			var err error
			if o.Params, err = spec.Params("--param", params); err != nil {
				return err
			}
			if o.Output == "" && (o.Format == "parquet" || o.Format == "arrow") {
				if f, ok := g.stdout.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
					return fmt.Errorf("--format %s is binary: pass --output FILE or redirect stdout", o.Format)
				}
			}
			if len(args) == 1 {
				o.Name = args[0]
			}
			info, err := pipeline.Query(cmd.Context(), g.env(), o, g.stdout)
			if err != nil {
				return err
			}
			// After the answer, and only on success, so that a failing
			// query prints DuckDB's message and nothing else.
			info.Log(g.log)
			return nil
		},
	}
	f := cmd.Flags()
	f.StringArrayVarP(&params, "param", "p", nil, "parameter as NAME=VALUE (repeatable); empty VALUE means all")
	f.StringVarP(&o.Format, "format", "f", "table", "output format: "+strings.Join(queries.Formats(), ", "))
	f.StringVarP(&o.Output, "output", "o", "", "write the answer to FILE (atomically) instead of stdout")
	f.StringVar(&o.Warehouse, "warehouse", "", "warehouse directory (default <--out>/warehouse)")
	f.StringVar(&o.SQL, "sql", "", "run this SQL instead of a named query")
	f.BoolVar(&list, "list", false, "describe every named query and its parameters")
	f.BoolVar(&o.IncludeIncomplete, "include-incomplete", false, "also read runs that are running, failed or missing shards")
	f.BoolVar(&o.Verify, "verify", false, "check every file against its chunk marker (rows, columns) and every page checksum first (slow; finds damaged runs and silently corrupt files)")
	f.BoolVar(&o.ExternalAccess, "allow-external-access", false, "let --sql read and write files outside the warehouse (read_csv, COPY TO, ATTACH); off, queries reach only the warehouse folder")
	return cmd
}
