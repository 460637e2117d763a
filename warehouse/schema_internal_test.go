package warehouse

import (
	"testing"

	"github.com/parquet-go/parquet-go"

	"github.com/gradprint/gradprint/warehouse/rows"
)

// Files an earlier gradprint wrote, before a table gained columns at its
// end, still pass the footer check; a file whose columns differ anywhere
// else does not.
func TestEarlierSchemasPassTheFooterCheck(t *testing.T) {
	type trainingBefore struct {
		RunID      string  `parquet:"run_id,dict"`
		Epoch      int32   `parquet:"epoch"`
		LR         float64 `parquet:"lr"`
		TrainLoss  float64 `parquet:"train_loss"`
		ValLoss    float64 `parquet:"val_loss"`
		ValAUC     float64 `parquet:"val_auc"`
		ValAcc     float64 `parquet:"val_acc"`
		ImagesPerS float64 `parquet:"images_per_s"`
		Seconds    float64 `parquet:"seconds"`
		IsBest     bool    `parquet:"is_best"`
	}
	type renamed struct {
		RunID string  `parquet:"run_id,dict"`
		Epoch float64 `parquet:"epoch"`
	}
	table := parquet.SchemaOf(new(rows.Training))
	for _, c := range []struct {
		schema *parquet.Schema
		ok     bool
	}{
		{table, true},
		{parquet.SchemaOf(new(trainingBefore)), true},
		{parquet.SchemaOf(new(renamed)), false},
		{parquet.SchemaOf(new(rows.Prediction)), false},
	} {
		if got := earlierSchema(c.schema, table); got != c.ok {
			t.Errorf("earlierSchema(%s) = %v, want %v", c.schema, got, c.ok)
		}
	}
}
