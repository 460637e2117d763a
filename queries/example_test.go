package queries_test

import (
	"context"
	"fmt"
	"log"
	"os"

	"github.com/gradprint/gradprint/queries"
	"github.com/gradprint/gradprint/warehouse"
	"github.com/gradprint/gradprint/warehouse/fixture"
)

// exampleWarehouse writes one synthetic analyze run (breastmnist, run r1,
// 40 test images) into a temporary warehouse.
func exampleWarehouse() (root string, cleanup func()) {
	root, err := os.MkdirTemp("", "gradprint-example-")
	if err != nil {
		log.Fatal(err)
	}
	w, err := warehouse.Open(root)
	if err != nil {
		log.Fatal(err)
	}
	if _, err := fixture.Write(w, fixture.Spec{Dataset: "breastmnist", RunID: "r1", Seed: 3, Images: 40}); err != nil {
		log.Fatal(err)
	}
	return root, func() { os.RemoveAll(root) }
}

// A typed named query: parameters start from the .sql header's defaults,
// rows come back as structs, and the answer says how to rerun it.
func ExampleNamed_Run() {
	root, cleanup := exampleWarehouse()
	defer cleanup()
	ctx := context.Background()
	db, err := queries.Open(ctx, root, warehouse.DBOptions{})
	if err != nil {
		log.Fatal(err)
	}
	defer db.Close()

	p := queries.DeltaAUC().Defaults() // split test, class_index -1 (all classes)
	p.Run = queries.Some("r1")
	a, err := queries.DeltaAUC().Run(ctx, db, p)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(a.Ref().Command())
	fmt.Println(len(a.Rows), "corrupted variants")
	worst := a.Rows[0]
	for _, r := range a.Rows {
		if r.DeltaAUC > worst.DeltaAUC {
			worst = r
		}
	}
	fmt.Printf("largest AUC drop: %s at severity %d\n", worst.Corruption, worst.Severity)
	// Output:
	// gradprint query delta_auc --param class_index=-1 --param run=r1 --param split=test
	// 25 corrupted variants
	// largest AUC drop: motion_blur at severity 5
}

// The command line's path: a query by name with parameters as text; an
// empty value means "all".
func ExampleRun() {
	root, cleanup := exampleWarehouse()
	defer cleanup()
	ctx := context.Background()
	db, err := queries.Open(ctx, root, warehouse.DBOptions{})
	if err != nil {
		log.Fatal(err)
	}
	defer db.Close()

	res, err := queries.Run(ctx, db, "auc_acc_table", map[string]string{"dataset": "breastmnist"})
	if err != nil {
		log.Fatal(err)
	}
	for i, c := range res.Columns[:6] {
		fmt.Printf("%s=%v ", c.Name, res.Rows[0][i])
	}
	fmt.Println()
	// Output:
	// dataset=breastmnist run_id=r1 split=test corruption=clean severity=0 auc=0.99
}
