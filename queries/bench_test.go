package queries_test

import (
	"context"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/gradprint/gradprint/queries"
	"github.com/gradprint/gradprint/warehouse"
	"github.com/gradprint/gradprint/warehouse/fixture"
)

var (
	bigOnce sync.Once
	bigRoot string
	bigErr  error
)

// bigWarehouse writes, once per test binary, a DermaMNIST-like run of
// 16,700 images x 25 variants x 8 layers x 3 methods = 10.02M saliency rows
// (434k predictions), in chunks of 400 images.
func bigWarehouse(b *testing.B) string {
	bigOnce.Do(func() {
		bigRoot, bigErr = os.MkdirTemp("", "gradprint-bench-")
		if bigErr != nil {
			return
		}
		w, err := warehouse.Open(bigRoot)
		if err != nil {
			bigErr = err
			return
		}
		start := time.Now()
		_, bigErr = fixture.Write(w, fixture.Spec{Dataset: "dermamnist", RunID: "big", Seed: 11, Images: 16_700, PerChunk: 400,
			Classes: []string{"akiec", "bcc", "bkl", "df", "mel", "nv", "vasc"}, Methods: []string{"gradcampp", "gradcam", "layercam"},
			Training: 100, Flags: true, NoRows: true})
		b.Logf("wrote the 10M-row fixture in %v", time.Since(start))
	})
	if bigErr != nil {
		b.Fatal(bigErr)
	}
	return bigRoot
}

// BenchmarkQueries10M runs every named query with its default parameters
// over 10.02M saliency rows; each iteration is one complete query, answer
// collected in memory.
func BenchmarkQueries10M(b *testing.B) {
	root := bigWarehouse(b)
	ctx := context.Background()
	db, err := queries.Open(ctx, root, warehouse.DBOptions{})
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	var n int64
	if err := db.QueryRow("SELECT count(*) FROM saliency").Scan(&n); err != nil || n != 10_020_000 {
		b.Fatalf("fixture has %d saliency rows (%v)", n, err)
	}
	// run_comparison needs its two runs; the fixture has one, compared
	// with itself (the same work).
	params := map[string]map[string]string{"run_comparison": {"run_a": "big", "run_b": "big"}}
	for _, q := range queries.List() {
		b.Run(q.Name, func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				res, err := queries.Run(ctx, db, q.Name, params[q.Name])
				if err != nil {
					b.Fatal(err)
				}
				if len(res.Rows) == 0 {
					b.Fatal("no rows")
				}
			}
		})
	}
	// The heaviest shape: every method, not just gradcampp.
	b.Run("layer_profile_all_methods", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			if _, err := queries.Run(ctx, db, "layer_profile", map[string]string{"method": ""}); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("open_db", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			d, err := queries.Open(ctx, root, warehouse.DBOptions{})
			if err != nil {
				b.Fatal(err)
			}
			d.Close()
		}
	})
}
