//go:build duckdb_arrow

package queries_test

import (
	"bytes"
	"context"
	"testing"

	"github.com/apache/arrow-go/v18/arrow/ipc"

	"github.com/gradprint/gradprint/queries"
)

func TestArrowIPC(t *testing.T) {
	db, _ := openFixture(t)
	q, _ := queries.Get("rmse_auc_correlation")
	st, err := q.Bind(map[string]string{"run": "r1"})
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := st.Write(context.Background(), db, "arrow", &buf); err != nil {
		t.Fatal(err)
	}
	rd, err := ipc.NewReader(&buf)
	if err != nil {
		t.Fatal(err)
	}
	defer rd.Release()
	rows := 0
	for rd.Next() {
		rows += int(rd.RecordBatch().NumRows())
	}
	res, _ := st.Query(context.Background(), db)
	if rows != len(res.Rows) || rows == 0 {
		t.Errorf("arrow stream has %d rows, query %d", rows, len(res.Rows))
	}
	if f, ok := rd.Schema().FieldsByName("spearman"); !ok || f[0].Type.Name() != "float64" {
		t.Errorf("spearman field: %v", f)
	}
}
