package metrics

import (
	"errors"
	"fmt"
	"math"
)

// ErrSingleClass reports that a ranking metric was asked for on data with
// only one class present, where it is undefined (no positive/negative pairs).
var ErrSingleClass = errors.New("only one class present")

func checkScores(name string, s []float64) error {
	if len(s) == 0 {
		return fmt.Errorf("%s: empty input", name)
	}
	for i, v := range s {
		if math.IsNaN(v) {
			return fmt.Errorf("%s: score %d is NaN", name, i)
		}
	}
	return nil
}

func checkLen(name string, what1 string, n1 int, what2 string, n2 int) error {
	if n1 != n2 {
		return fmt.Errorf("%s: %d %s but %d %s", name, n1, what1, n2, what2)
	}
	return nil
}

// checkProbs validates a flat N x C probability matrix against N labels.
func checkProbs(name string, probs []float64, classes int, labels []int) (int, error) {
	if classes < 2 {
		return 0, fmt.Errorf("%s: need at least 2 classes, got %d", name, classes)
	}
	if len(labels) == 0 {
		return 0, fmt.Errorf("%s: empty input", name)
	}
	if len(probs) != len(labels)*classes {
		return 0, fmt.Errorf("%s: %d labels need %d x %d = %d probabilities, got %d",
			name, len(labels), len(labels), classes, len(labels)*classes, len(probs))
	}
	if err := checkLabels(name, labels, classes); err != nil {
		return 0, err
	}
	for i, v := range probs {
		if math.IsNaN(v) {
			return 0, fmt.Errorf("%s: probability of sample %d class %d is NaN", name, i/classes, i%classes)
		}
	}
	return len(labels), nil
}

func checkLabels(name string, labels []int, classes int) error {
	for i, l := range labels {
		if l < 0 || l >= classes {
			return fmt.Errorf("%s: label %d of sample %d outside 0..%d", name, l, i, classes-1)
		}
	}
	return nil
}
