package warehouse

import (
	"errors"
	"fmt"
	"github.com/gradprint/gradprint/warehouse/rows"
	"io"
	"os"

	"github.com/duckdb/duckdb-go/v2"
	"github.com/parquet-go/parquet-go"
)

// VerifyFile checks that path is a readable Parquet file: its footer always,
// and with deep every page of every column, whose CRC32 checksums
// parquet-go verifies (DuckDB does not, so a flipped byte inside an
// uncompressed page would otherwise be read as a wrong value).
func VerifyFile(path string, deep bool) (err error) {
	defer func() {
		// parquet-go panics on some malformed inputs; a corrupt file must
		// be an error naming the file, never a crash.
		if r := recover(); r != nil {
			err = fmt.Errorf("corrupt Parquet file %s: %v", path, r)
		}
	}()
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("corrupt Parquet file %s: %w", path, err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return fmt.Errorf("corrupt Parquet file %s: %w", path, err)
	}
	pf, err := parquet.OpenFile(f, st.Size(), parquet.SkipPageIndex(true), parquet.SkipBloomFilters(true))
	if err != nil {
		return fmt.Errorf("corrupt Parquet file %s: %w", path, err)
	}
	if !deep {
		return nil
	}
	for gi, rg := range pf.RowGroups() {
		for ci, cc := range rg.ColumnChunks() {
			pages := cc.Pages()
			for {
				p, err := pages.ReadPage()
				if errors.Is(err, io.EOF) {
					break
				}
				if err != nil {
					pages.Close()
					return fmt.Errorf("corrupt Parquet file %s: row group %d column %d: %w", path, gi, ci, err)
				}
				parquet.Release(p)
			}
			pages.Close()
		}
	}
	return nil
}

// verifyFiles returns the errors of the files that fail VerifyFile.
func verifyFiles(files []string, deep bool) error {
	var errs []error
	for _, f := range files {
		if err := VerifyFile(f, deep); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// dataError reports whether err may come from a bad file rather than from
// the query text.
func dataError(err error) bool {
	var de *duckdb.Error
	if !errors.As(err, &de) {
		return false
	}
	switch de.Type {
	case duckdb.ErrorTypeInvalid, duckdb.ErrorTypeInvalidInput, duckdb.ErrorTypeIO,
		duckdb.ErrorTypeInternal, duckdb.ErrorTypeSerialization, duckdb.ErrorTypeFatal:
		return true
	}
	return false
}

// Explain turns a query error caused by a corrupt file into one that names
// the file: DuckDB's own message does for some failures (truncation) but
// not for others (a garbled footer). Other errors are returned unchanged.
func (db *DB) Explain(err error) error {
	if err == nil || !dataError(err) {
		return err
	}
	var all []string
	for _, t := range rows.Tables() {
		all = append(all, db.files[t.Name]...)
	}
	if bad := verifyFiles(all, true); bad != nil {
		return fmt.Errorf("%w\n%w", bad, err)
	}
	return err
}
