//go:build duckdb_arrow

package queries

import (
	"context"
	"database/sql/driver"
	"fmt"
	"io"

	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/ipc"
	"github.com/duckdb/duckdb-go/v2"

	"github.com/gradprint/gradprint/warehouse"
)

// Arrow runs st and hands fn an Arrow record reader over the answer, for
// reports that want columns rather than rows. The reader is valid only
// inside fn: it holds a DuckDB connection.
func (st Statement) Arrow(ctx context.Context, db *warehouse.DB, fn func(array.RecordReader) error) error {
	conn, err := db.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	return conn.Raw(func(dc any) error {
		ar, err := duckdb.NewArrowFromConn(dc.(driver.Conn))
		if err != nil {
			return err
		}
		rr, err := ar.QueryContext(ctx, st.SQL, st.Args...)
		if err != nil {
			return st.wrap(db, err)
		}
		defer rr.Release()
		if err := fn(rr); err != nil {
			return err
		}
		return st.wrap(db, rr.Err())
	})
}

// WriteArrowIPC writes the answer as an Arrow IPC stream.
func (st Statement) WriteArrowIPC(ctx context.Context, db *warehouse.DB, w io.Writer) error {
	return st.Arrow(ctx, db, func(rr array.RecordReader) error {
		iw := ipc.NewWriter(w, ipc.WithSchema(rr.Schema()))
		for rr.Next() {
			if err := iw.Write(rr.RecordBatch()); err != nil {
				iw.Close()
				return fmt.Errorf("write arrow: %w", err)
			}
		}
		if err := rr.Err(); err != nil {
			iw.Close()
			return st.wrap(db, err)
		}
		return iw.Close()
	})
}
