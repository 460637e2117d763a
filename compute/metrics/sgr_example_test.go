package metrics_test

import (
	"errors"
	"fmt"
	"log"

	"github.com/gradprint/gradprint/compute/metrics"
)

func ExampleClopperPearsonUpper() {
	// No failure in 100 trials: (1 - b)^100 = 0.05 gives b = 0.0295, the
	// "rule of three" (3/m) made exact. 10 in 100: 0.1637, as in tables of
	// the exact binomial interval.
	fmt.Printf("%.4f %.4f\n", metrics.ClopperPearsonUpper(0, 100, 0.05), metrics.ClopperPearsonUpper(10, 100, 0.05))
	// Output:
	// 0.0295 0.1637
}

func ExampleSGR() {
	// A calibration set of 100: 90 correct predictions at confidences 1.00,
	// 0.99, ..., 0.11 and 10 wrong ones tied at 0.05.
	conf := make([]float64, 100)
	wrong := make([]bool, 100)
	for i := range 90 {
		conf[i] = 1 - float64(i)/100
	}
	for i := 90; i < 100; i++ {
		conf[i], wrong[i] = 0.05, true
	}
	// 91 distinct confidences: the binary search computes at most 7 bounds,
	// each at delta/7. Accepting the 90 correct ones gives the bound
	// 1 - (0.05/7)^(1/90) = 0.0534; the tied block of failures cannot be
	// split off, and accepting it breaks the bound.
	r, err := metrics.SGR(conf, wrong, 0.15, 0.05)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("accept conf >= %.2f: coverage %.2f, risk %.2f, bound %.4f (%d tests)\n",
		r.Threshold, r.Coverage, r.Risk, r.Bound, r.Tests)

	// Guaranteeing risk < 0.05 would need about 97 correct predictions in a
	// row: with 90, no threshold qualifies.
	_, err = metrics.SGR(conf, wrong, 0.05, 0.05)
	fmt.Println(errors.Is(err, metrics.ErrRiskUnattainable))
	// Output:
	// accept conf >= 0.11: coverage 0.90, risk 0.00, bound 0.0534 (7 tests)
	// true
}
