package queries

import (
	"context"
	"fmt"
	"io"
	"os"

	"github.com/gradprint/gradprint/internal/atomicfile"
	"github.com/gradprint/gradprint/warehouse"
)

// Export runs st and delivers the whole answer in format either to the file
// output (written atomically: on error nothing appears there) or, when
// output is "", to stdout. The answer is complete before the first byte
// reaches stdout, so a failing query prints nothing there.
func Export(ctx context.Context, db *warehouse.DB, st Statement, format, output string, stdout io.Writer) error {
	if output != "" {
		return atomicfile.Write(output, func(w io.Writer) error { return st.Write(ctx, db, format, w) })
	}
	tmp, err := os.CreateTemp("", "gradprint-query-*.out")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	defer tmp.Close()
	if err := st.Write(ctx, db, format, tmp); err != nil {
		return err
	}
	if _, err := tmp.Seek(0, io.SeekStart); err != nil {
		return err
	}
	if _, err := io.Copy(stdout, tmp); err != nil {
		return fmt.Errorf("write answer: %w", err)
	}
	return nil
}
