package warehouse_test

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/duckdb/duckdb-go/v2"
)

// BenchmarkWriteSaliencyDuckDBAppender is the alternative writer available
// without new dependencies: append the same rows to a DuckDB table with the
// Appender, then COPY it to zstd Parquet. It exists to justify the choice of
// parquet-go in docs/schema.md.
func BenchmarkWriteSaliencyDuckDBAppender(b *testing.B) {
	const perChunk = 240_000
	rs := saliencyRows(perChunk)
	db, err := sql.Open("duckdb", "")
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	ctx := context.Background()
	conn, err := db.Conn(ctx)
	if err != nil {
		b.Fatal(err)
	}
	defer conn.Close()
	dir := b.TempDir()
	b.ResetTimer()
	start := time.Now()
	for i := 0; i < b.N; i++ {
		if _, err := conn.ExecContext(ctx, `CREATE OR REPLACE TABLE s (run_id VARCHAR, split VARCHAR, image_id INTEGER, label INTEGER, label_name VARCHAR,
			corruption VARCHAR, severity INTEGER, preset VARCHAR, layer VARCHAR, layer_alias VARCHAR, layer_depth INTEGER, method VARCHAR,
			target_class INTEGER, target_name VARCHAR, rmse FLOAT, rmse_float FLOAT, pred_clean INTEGER, pred_clean_name VARCHAR,
			pred_perturbed INTEGER, pred_perturbed_name VARCHAR, pred_changed BOOLEAN, correct_clean BOOLEAN, correct_perturbed BOOLEAN,
			confidence_clean FLOAT, confidence_perturbed FLOAT)`); err != nil {
			b.Fatal(err)
		}
		err := conn.Raw(func(dc any) error {
			app, err := duckdb.NewAppenderFromConn(dc.(driver.Conn), "", "s")
			if err != nil {
				return err
			}
			for _, r := range rs {
				if err := app.AppendRow("bench", r.Split, r.ImageID, r.Label, r.LabelName, r.Corruption, r.Severity, r.Preset, r.Layer, r.LayerAlias,
					r.LayerDepth, r.Method, r.TargetClass, r.TargetName, r.RMSE, r.RMSEFloat, r.PredClean, r.PredCleanName, r.PredPerturbed,
					r.PredPerturbedName, r.PredChanged, r.CorrectClean, r.CorrectPerturbed, r.ConfidenceClean, r.ConfidencePerturbed); err != nil {
					return err
				}
			}
			return app.Close()
		})
		if err != nil {
			b.Fatal(err)
		}
		out := filepath.Join(dir, fmt.Sprintf("part-%06d.parquet", i))
		if _, err := conn.ExecContext(ctx, "COPY s TO '"+out+"' (FORMAT parquet, COMPRESSION zstd)"); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N*perChunk)/time.Since(start).Seconds(), "rows/s")
	b.ReportMetric(float64(dirBytes(b, dir))/float64(b.N*perChunk), "bytes/row")
}
