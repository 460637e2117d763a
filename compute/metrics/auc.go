package metrics

import (
	"cmp"
	"fmt"
	"math"
	"slices"
)

// ROCAUC is the area under the ROC curve of scores separating positive from
// negative samples: the probability that a random positive scores above a
// random negative, ties counting 1/2 (Mann-Whitney U / (nPos nNeg)), which
// is what sklearn's roc_auc_score returns. O(n log n).
//
// It returns an error wrapping ErrSingleClass when all samples are positive
// or all negative, since no pair exists to rank.
func ROCAUC(scores []float64, positive []bool) (float64, error) {
	if err := checkLen("ROC AUC", "scores", len(scores), "labels", len(positive)); err != nil {
		return 0, err
	}
	if err := checkScores("ROC AUC", scores); err != nil {
		return 0, err
	}
	auc, nPos, nNeg := rocAUC(scores, positive, make([]int, len(scores)))
	if nPos == 0 || nNeg == 0 {
		return math.NaN(), fmt.Errorf("ROC AUC with %d positives and %d negatives: %w", nPos, nNeg, ErrSingleClass)
	}
	return auc, nil
}

// rocAUC sorts order (scratch of len(scores)) by score and counts, per block
// of tied scores, the negatives strictly below plus half the negatives tied.
// Counting doubled pairs in int64 keeps the result exact until the final
// division. It returns NaN when a class is empty.
func rocAUC(scores []float64, positive []bool, order []int) (auc float64, nPos, nNeg int) {
	for i := range order {
		order[i] = i
	}
	slices.SortFunc(order, func(a, b int) int { return cmp.Compare(scores[a], scores[b]) })
	var pairs2 int64 // 2 x (positive-above-negative pairs + tied/2)
	negBelow := 0
	for i := 0; i < len(order); {
		j := i
		p, q := 0, 0
		for ; j < len(order) && scores[order[j]] == scores[order[i]]; j++ {
			if positive[order[j]] {
				p++
			} else {
				q++
			}
		}
		pairs2 += int64(2*p)*int64(negBelow) + int64(p)*int64(q)
		negBelow += q
		nPos += p
		nNeg += q
		i = j
	}
	if nPos == 0 || nNeg == 0 {
		return math.NaN(), nPos, nNeg
	}
	return float64(pairs2) / (2 * float64(nPos) * float64(nNeg)), nPos, nNeg
}

// BinaryAUC is MedMNIST's binary AUC from a vector of p(class 1) and labels
// in {0, 1}.
func BinaryAUC(p1 []float64, labels []int) (float64, error) {
	if err := checkLen("binary AUC", "scores", len(p1), "labels", len(labels)); err != nil {
		return 0, err
	}
	if err := checkLabels("binary AUC", labels, 2); err != nil {
		return 0, err
	}
	pos := make([]bool, len(labels))
	for i, l := range labels {
		pos[i] = l == 1
	}
	auc, err := ROCAUC(p1, pos)
	if err != nil {
		return auc, fmt.Errorf("binary AUC: %w", err)
	}
	return auc, nil
}

// AUC is the MedMNIST test metric for an N x C probability matrix (flat,
// row-major): for C = 2 the ROC AUC of p(class 1); for C > 2 the mean over
// all C classes of the one-vs-rest ROC AUC of p(class i).
//
// A class absent from labels (or the only class present) makes its
// one-vs-rest AUC undefined; rather than silently averaging fewer classes
// (which would change the metric's meaning between splits), AUC returns an
// error wrapping ErrSingleClass that names the class. Use PerClassAUC to
// inspect the defined classes.
func AUC(probs []float64, classes int, labels []int) (float64, error) {
	n, err := checkProbs("AUC", probs, classes, labels)
	if err != nil {
		return 0, err
	}
	if classes == 2 {
		p1 := column(probs, classes, n, 1, nil)
		return BinaryAUC(p1, labels)
	}
	per, err := PerClassAUC(probs, classes, labels)
	if err != nil {
		return 0, err
	}
	sum := 0.0
	for c, a := range per {
		if math.IsNaN(a) {
			return math.NaN(), fmt.Errorf("AUC: class %d is %s the labels, its one-vs-rest AUC is undefined: %w",
				c, presence(labels, c), ErrSingleClass)
		}
		sum += a
	}
	return sum / float64(classes), nil
}

func presence(labels []int, c int) string {
	for _, l := range labels {
		if l == c {
			return "the only class in"
		}
	}
	return "absent from"
}

// PerClassAUC returns, for every class i, the one-vs-rest ROC AUC of
// p(class i). A class that is absent from labels, or the only class
// present, gets NaN (no error), so reports over small subsets still show the
// defined classes.
func PerClassAUC(probs []float64, classes int, labels []int) ([]float64, error) {
	n, err := checkProbs("per-class AUC", probs, classes, labels)
	if err != nil {
		return nil, err
	}
	out := make([]float64, classes)
	col := make([]float64, n)
	pos := make([]bool, n)
	order := make([]int, n)
	for c := range classes {
		column(probs, classes, n, c, col)
		for i, l := range labels {
			pos[i] = l == c
		}
		out[c], _, _ = rocAUC(col, pos, order)
	}
	return out, nil
}

// DeltaAUC is AUC(clean) - AUC(perturbed) on the same labels: positive means
// the perturbation made the classifier worse, as in the thesis.
func DeltaAUC(clean, perturbed []float64, classes int, labels []int) (float64, error) {
	a, err := AUC(clean, classes, labels)
	if err != nil {
		return 0, fmt.Errorf("delta AUC, clean: %w", err)
	}
	b, err := AUC(perturbed, classes, labels)
	if err != nil {
		return 0, fmt.Errorf("delta AUC, perturbed: %w", err)
	}
	return a - b, nil
}

func column(probs []float64, classes, n, c int, dst []float64) []float64 {
	if dst == nil {
		dst = make([]float64, n)
	}
	for i := range n {
		dst[i] = probs[i*classes+c]
	}
	return dst
}
