package warehouse

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"strings"

	// Registers the "duckdb" database/sql driver.
	_ "github.com/duckdb/duckdb-go/v2"

	"github.com/gradprint/gradprint/warehouse/rows"
)

// DBOptions tune OpenDB.
type DBOptions struct {
	// IncludeIncomplete shows runs that are running, failed or missing a
	// shard, and files of runs without a runs row.
	IncludeIncomplete bool
	// Verify reads every page of every visible file through parquet-go
	// before opening, checking page checksums (slow: a full extra read).
	Verify bool
	// Threads caps DuckDB's worker threads; 0 keeps DuckDB's default (one
	// per core).
	Threads int
}

// DB is an in-memory DuckDB database with one view per table over the
// warehouse's Parquet files, plus all_runs: every runs row whatever its
// status.
type DB struct {
	*sql.DB
	Root string
	// Visible and Hidden list the runs the views include and exclude.
	Visible, Hidden []RunRef
	// files lists each view's Parquet files.
	files map[string][]string
}

// OpenDB opens an in-memory DuckDB with a view per table over root. The set
// of files is fixed when OpenDB runs: files of complete runs never change
// afterwards, temporary files (".*.tmp") are never listed, and a run that
// finishes later is seen by the next OpenDB. A truncated or corrupt file
// makes OpenDB or the query reading it fail with DuckDB's error, which names
// the file.
func OpenDB(ctx context.Context, root string, opts DBOptions) (*DB, error) {
	sqldb, err := sql.Open("duckdb", "")
	if err != nil {
		return nil, fmt.Errorf("warehouse: open duckdb: %w", err)
	}
	db := &DB{DB: sqldb, Root: root, files: map[string][]string{}}
	if err := db.init(ctx, opts); err != nil {
		sqldb.Close()
		return nil, err
	}
	return db, nil
}

func sqlString(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }

func sqlIdent(s string) string { return `"` + strings.ReplaceAll(s, `"`, `""`) + `"` }

// readParquetSQL selects every column of files, with the Hive keys typed as
// text (run ids like "20240101" must not turn into numbers) and without
// "run", which repeats run_id.
func readParquetSQL(files []string) string {
	quoted := make([]string, len(files))
	for i, f := range files {
		quoted[i] = sqlString(f)
	}
	return fmt.Sprintf("SELECT * EXCLUDE (run) FROM read_parquet([%s], hive_partitioning = true, union_by_name = true, hive_types = {'dataset': VARCHAR, 'run': VARCHAR})",
		strings.Join(quoted, ", "))
}

// emptySQL is a query with the table's columns and no rows, for tables that
// have no files yet, so that queries over them still bind.
func emptySQL(t rows.Table) string {
	var cols []string
	for _, c := range Columns(t) {
		cols = append(cols, fmt.Sprintf("CAST(NULL AS %s) AS %s", c.DuckDB, sqlIdent(c.Name)))
	}
	return "SELECT " + strings.Join(cols, ", ") + " WHERE false"
}

func (db *DB) init(ctx context.Context, opts DBOptions) error {
	if opts.Threads > 0 {
		if _, err := db.ExecContext(ctx, fmt.Sprintf("SET threads = %d", opts.Threads)); err != nil {
			return fmt.Errorf("warehouse: set threads: %w", err)
		}
	}
	cat := NewCatalog(db.Root)
	runsTable, _ := rows.TableByName(rows.TableRuns)
	runParts, err := cat.partFiles(rows.TableRuns, "")
	if err != nil {
		return err
	}
	runFiles := paths(runParts)
	allRuns := emptySQL(runsTable)
	if len(runFiles) > 0 {
		allRuns = readParquetSQL(runFiles)
	}
	if _, err := db.ExecContext(ctx, "CREATE VIEW all_runs AS "+allRuns); err != nil {
		return fmt.Errorf("warehouse: view all_runs over %s: %w", filepath.Join(db.Root, rows.TableRuns), explainFiles(runFiles, err))
	}
	// A run is complete when every one of its shards has a row and every
	// row says complete.
	status, err := db.QueryContext(ctx, `
		SELECT dataset, run_id,
		       bool_and(status = 'complete') AND count(DISTINCT shard_index) = max(shard_count) AS complete
		FROM all_runs GROUP BY dataset, run_id ORDER BY dataset, run_id`)
	if err != nil {
		return fmt.Errorf("warehouse: read run statuses under %s: %w", db.Root, err)
	}
	complete := map[RunRef]bool{}
	for status.Next() {
		var ref RunRef
		var ok bool
		if err := status.Scan(&ref.Dataset, &ref.RunID, &ok); err != nil {
			status.Close()
			return fmt.Errorf("warehouse: read run statuses: %w", err)
		}
		complete[ref] = ok
		if ok || opts.IncludeIncomplete {
			db.Visible = append(db.Visible, ref)
		} else {
			db.Hidden = append(db.Hidden, ref)
		}
	}
	if err := status.Close(); err != nil {
		return fmt.Errorf("warehouse: read run statuses: %w", err)
	}
	if err := status.Err(); err != nil {
		return fmt.Errorf("warehouse: read run statuses: %w", err)
	}
	for _, t := range rows.Tables() {
		parts, err := cat.partFiles(t.Name, "")
		if err != nil {
			return err
		}
		var files []string
		for _, f := range parts {
			if opts.IncludeIncomplete || complete[f.Ref] {
				files = append(files, f.Path)
			}
		}
		if opts.Verify {
			if err := verifyFiles(files, true); err != nil {
				return fmt.Errorf("warehouse: %w", err)
			}
		}
		db.files[t.Name] = files
		body := emptySQL(t)
		if len(files) > 0 {
			body = readParquetSQL(files)
		}
		if _, err := db.ExecContext(ctx, "CREATE VIEW "+sqlIdent(t.Name)+" AS "+body); err != nil {
			return fmt.Errorf("warehouse: view %s over %s: %w", t.Name, filepath.Join(db.Root, t.Name), explainFiles(files, err))
		}
	}
	return nil
}

// explainFiles names the corrupt files behind err: creating a view reads
// every file's footer, and DuckDB does not always say which one failed.
func explainFiles(files []string, err error) error {
	if !dataError(err) {
		return err
	}
	if bad := verifyFiles(files, false); bad != nil {
		return fmt.Errorf("%w\n%w", bad, err)
	}
	return err
}

func paths(parts []PartFile) []string {
	out := make([]string, len(parts))
	for i, p := range parts {
		out[i] = p.Path
	}
	return out
}
