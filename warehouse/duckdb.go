package warehouse

import (
	"context"
	"database/sql"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

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
	// ExternalAccess lets SQL read and write files outside the warehouse
	// (read_csv of any path, COPY ... TO, ATTACH, extensions). Off, the
	// database reaches only the warehouse folder and a private scratch
	// folder, and the setting is locked so no statement can turn it on.
	ExternalAccess bool
}

// DB is an in-memory DuckDB database with one view per table over the
// warehouse's Parquet files, plus all_runs: every runs row whatever its
// status.
type DB struct {
	*sql.DB
	Root string
	// Scratch is a private folder the database may write (DuckDB's spill
	// files, exports); Close removes it.
	Scratch string
	// Visible and Hidden list the runs the views include and exclude.
	Visible, Hidden []RunRef
	// Damaged lists complete runs hidden because a file their chunk
	// markers name is missing, with why.
	Damaged []error
	// Ignored lists part files no chunk marker names; no view reads them.
	Ignored []string
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
	abs, err := filepath.Abs(root)
	if err != nil {
		return nil, fmt.Errorf("warehouse: %w", err)
	}
	sqldb, err := sql.Open("duckdb", "")
	if err != nil {
		return nil, fmt.Errorf("warehouse: open duckdb: %w", err)
	}
	scratch, err := os.MkdirTemp("", "gradprint-duckdb-")
	if err != nil {
		sqldb.Close()
		return nil, fmt.Errorf("warehouse: scratch folder: %w", err)
	}
	db := &DB{DB: sqldb, Root: abs, Scratch: scratch, files: map[string][]string{}}
	if err := db.init(ctx, opts); err != nil {
		db.Close()
		return nil, err
	}
	return db, nil
}

// Close closes the database and removes its scratch folder.
func (db *DB) Close() error {
	err := db.DB.Close()
	os.RemoveAll(db.Scratch)
	return err
}

// sandbox limits file access to the warehouse and the scratch folder, then
// locks the configuration.
func (db *DB) sandbox(ctx context.Context) error {
	for _, s := range []string{
		fmt.Sprintf("SET temp_directory = %s", sqlString(db.Scratch)),
		// The root is allowed as written and as the views spell it (with
		// glob characters escaped), since DuckDB checks the pattern.
		fmt.Sprintf("SET allowed_directories = [%s, %s, %s]", sqlString(db.Root+string(filepath.Separator)),
			sqlString(globEscape(db.Root)+string(filepath.Separator)), sqlString(db.Scratch+string(filepath.Separator))),
		"SET enable_external_access = false",
		"SET lock_configuration = true",
	} {
		if _, err := db.ExecContext(ctx, s); err != nil {
			return fmt.Errorf("warehouse: %s: %w", s, err)
		}
	}
	return nil
}

func sqlString(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }

func sqlIdent(s string) string { return `"` + strings.ReplaceAll(s, `"`, `""`) + `"` }

// readParquetSQL selects every column of files, with the Hive keys typed as
// text (run ids like "20240101" must not turn into numbers) and without
// "run", which repeats run_id.
func readParquetSQL(files []string) string {
	quoted := make([]string, len(files))
	for i, f := range files {
		quoted[i] = sqlString(globEscape(f))
	}
	return fmt.Sprintf("SELECT * EXCLUDE (run) FROM read_parquet([%s], hive_partitioning = true, union_by_name = true, hive_types = {'dataset': VARCHAR, 'run': VARCHAR})",
		strings.Join(quoted, ", "))
}

// globEscape makes DuckDB read path as the one file it names: DuckDB
// expands '*', '?' and '[' in every file name it is given, so a warehouse
// under a folder called "wb[1]" would otherwise read "wb1". Each becomes a
// one-character class.
func globEscape(path string) string {
	var b strings.Builder
	for _, r := range path {
		switch r {
		case '*', '?', '[':
			b.WriteByte('[')
			b.WriteRune(r)
			b.WriteByte(']')
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// emptySQL is a query with the table's columns and no rows, for tables that
// have no files yet, so that queries over them still bind.
// viewSQL is a table's view over its files: every column of the schema,
// typed as the schema says, even where all files predate a column (such a
// column reads as NULL), so queries written for today's schema run on any
// warehouse.
func viewSQL(t rows.Table, files []string) string {
	if len(files) == 0 {
		return emptySQL(t)
	}
	return emptySQL(t) + " UNION ALL BY NAME " + readParquetSQL(files)
}

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
	if !opts.ExternalAccess {
		if err := db.sandbox(ctx); err != nil {
			return err
		}
	}
	complete, err := db.runStatusesRetrying(ctx, opts)
	if err != nil {
		return err
	}
	files, err := db.viewFiles(complete, opts)
	if err != nil {
		return err
	}
	for _, t := range rows.Tables() {
		if opts.Verify && t.Name != rows.TableRuns {
			if err := verifyFiles(files[t.Name], true); err != nil {
				return fmt.Errorf("warehouse: %w", err)
			}
		}
		db.files[t.Name] = files[t.Name]
		body := viewSQL(t, files[t.Name])
		if _, err := db.ExecContext(ctx, "CREATE VIEW "+sqlIdent(t.Name)+" AS "+body); err != nil {
			return fmt.Errorf("warehouse: view %s over %s: %w", t.Name, filepath.Join(db.Root, t.Name), explainFiles(files[t.Name], err))
		}
	}
	return nil
}

// runStatusesRetrying is runStatuses, tried again when it fails: a run's
// row file is replaced (atomically, by rename) at every committed chunk,
// and DuckDB opens a file once to plan and again to read, so a rename in
// between hands it the new file with the old footer. Listing again reads
// a consistent snapshot; a real fault fails every attempt.
func (db *DB) runStatusesRetrying(ctx context.Context, opts DBOptions) (map[RunRef]bool, error) {
	var err error
	for attempt := 0; attempt < 4; attempt++ {
		var complete map[RunRef]bool
		if complete, err = db.runStatuses(ctx, opts); err == nil {
			return complete, nil
		}
		time.Sleep(time.Duration(attempt+1) * 20 * time.Millisecond)
	}
	return nil, err
}

// runStatuses makes the all_runs view and says which runs are complete:
// every shard has a row and every row says complete.
func (db *DB) runStatuses(ctx context.Context, opts DBOptions) (map[RunRef]bool, error) {
	cat := NewCatalog(db.Root)
	runsTable, _ := rows.TableByName(rows.TableRuns)
	runParts, err := cat.partFiles(rows.TableRuns, "")
	if err != nil {
		return nil, err
	}
	runFiles := paths(runParts)
	if opts.Verify {
		if err := verifyFiles(runFiles, true); err != nil {
			return nil, fmt.Errorf("warehouse: %w", err)
		}
	}
	allRuns := viewSQL(runsTable, runFiles)
	if _, err := db.ExecContext(ctx, "CREATE OR REPLACE VIEW all_runs AS "+allRuns); err != nil {
		return nil, fmt.Errorf("warehouse: view all_runs over %s: %w", filepath.Join(db.Root, rows.TableRuns), explainFiles(runFiles, err))
	}
	status, err := db.QueryContext(ctx, `
		SELECT dataset, run_id,
		       bool_and(status = 'complete') AND count(DISTINCT shard_index) = max(shard_count) AS complete
		FROM all_runs GROUP BY dataset, run_id ORDER BY dataset, run_id`)
	if err != nil {
		return nil, fmt.Errorf("warehouse: read run statuses under %s: %w", db.Root, err)
	}
	defer status.Close()
	complete := map[RunRef]bool{}
	for status.Next() {
		var ref RunRef
		var ok bool
		if err := status.Scan(&ref.Dataset, &ref.RunID, &ok); err != nil {
			return nil, fmt.Errorf("warehouse: read run statuses: %w", err)
		}
		complete[ref] = ok
	}
	if err := status.Err(); err != nil {
		return nil, fmt.Errorf("warehouse: read run statuses: %w", err)
	}
	return complete, nil
}

// viewFiles picks each table's files: of a complete run, those its chunk
// markers name (a run missing one is hidden as damaged; with Verify every
// footer is checked too); of other runs, with IncludeIncomplete, every part
// file present.
func (db *DB) viewFiles(complete map[RunRef]bool, opts DBOptions) (map[string][]string, error) {
	cat := NewCatalog(db.Root)
	files := map[string][]string{}
	for _, ref := range slices.SortedFunc(maps.Keys(complete), func(a, b RunRef) int { return strings.Compare(a.String(), b.String()) }) {
		if !complete[ref] {
			if !opts.IncludeIncomplete {
				db.Hidden = append(db.Hidden, ref)
				continue
			}
			db.Visible = append(db.Visible, ref)
			for _, t := range rows.Tables() {
				names, err := readNames(cat.PartitionDir(t.Name, ref))
				if err != nil {
					return nil, err
				}
				for _, n := range names {
					if t.Name != rows.TableRuns && isPartFile(t.Name, n) {
						files[t.Name] = append(files[t.Name], filepath.Join(cat.PartitionDir(t.Name, ref), n))
					}
				}
			}
			continue
		}
		rf, err := cat.Files(ref)
		if err != nil {
			return nil, err
		}
		if opts.Verify {
			if _, err := cat.Check(ref); err != nil {
				return nil, err
			}
		}
		if missing := slices.Concat(slices.Collect(maps.Values(rf.Missing))...); len(missing) > 0 {
			db.Hidden = append(db.Hidden, ref)
			db.Damaged = append(db.Damaged, fmt.Errorf("run %s: %w: %s missing (a chunk marker records it)", ref, ErrDamaged, missing[0]))
			continue
		}
		db.Visible = append(db.Visible, ref)
		db.Ignored = append(db.Ignored, rf.Ignored...)
		for table, fs := range rf.Committed {
			for _, f := range fs {
				files[table] = append(files[table], f.Path)
			}
		}
	}
	// The runs view shows the runs rows of the visible runs.
	parts, err := cat.partFiles(rows.TableRuns, "")
	if err != nil {
		return nil, err
	}
	for _, p := range parts {
		if slices.Contains(db.Visible, p.Ref) {
			files[rows.TableRuns] = append(files[rows.TableRuns], p.Path)
		}
	}
	for t := range files {
		slices.Sort(files[t])
	}
	return files, nil
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
