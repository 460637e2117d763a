//go:build !duckdb_arrow

package queries

import (
	"context"
	"errors"
	"io"

	"github.com/gradprint/gradprint/warehouse"
)

// WriteArrowIPC needs duckdb-go's Arrow interface, compiled only with the
// duckdb_arrow build tag that the project's Makefile always sets.
func (st Statement) WriteArrowIPC(ctx context.Context, db *warehouse.DB, w io.Writer) error {
	return errors.New("arrow output needs a gradprint built with -tags duckdb_arrow")
}
