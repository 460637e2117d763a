package metrics

import (
	"errors"
	"fmt"
)

// Predict applies MedMNIST's decision rule to an N x C probability matrix:
// for C = 2, class 1 iff p(class 1) > 0.5 (strictly, so exactly 0.5 is class
// 0, as numpy's `y_score[:, -1] > 0.5`); for C > 2, the argmax, the first
// class winning ties as with numpy.argmax.
func Predict(probs []float64, classes int) ([]int, error) {
	if classes < 2 {
		return nil, fmt.Errorf("predict: need at least 2 classes, got %d", classes)
	}
	if len(probs) == 0 || len(probs)%classes != 0 {
		return nil, fmt.Errorf("predict: %d probabilities is not a positive multiple of %d classes", len(probs), classes)
	}
	n := len(probs) / classes
	pred := make([]int, n)
	for i := range n {
		row := probs[i*classes : (i+1)*classes]
		if classes == 2 {
			if row[1] > 0.5 {
				pred[i] = 1
			}
			continue
		}
		best := 0
		for c := 1; c < classes; c++ {
			if row[c] > row[best] {
				best = c
			}
		}
		pred[i] = best
	}
	return pred, nil
}

// Accuracy is MedMNIST's ACC: the fraction of samples whose Predict class
// equals the label.
func Accuracy(probs []float64, classes int, labels []int) (float64, error) {
	if _, err := checkProbs("accuracy", probs, classes, labels); err != nil {
		return 0, err
	}
	pred, err := Predict(probs, classes)
	if err != nil {
		return 0, err
	}
	right := 0
	for i, l := range labels {
		if pred[i] == l {
			right++
		}
	}
	return float64(right) / float64(len(labels)), nil
}

// ConfusionMatrix counts samples by true class (row) and predicted class
// (column), sklearn's orientation.
func ConfusionMatrix(pred, labels []int, classes int) ([][]int, error) {
	if err := checkLen("confusion matrix", "predictions", len(pred), "labels", len(labels)); err != nil {
		return nil, err
	}
	if len(labels) == 0 {
		return nil, errors.New("confusion matrix: empty input")
	}
	if classes < 1 {
		return nil, fmt.Errorf("confusion matrix: need at least 1 class, got %d", classes)
	}
	if err := checkLabels("confusion matrix (labels)", labels, classes); err != nil {
		return nil, err
	}
	if err := checkLabels("confusion matrix (predictions)", pred, classes); err != nil {
		return nil, err
	}
	cm := make([][]int, classes)
	cells := make([]int, classes*classes)
	for c := range cm {
		cm[c] = cells[c*classes : (c+1)*classes]
	}
	for i, l := range labels {
		cm[l][pred[i]]++
	}
	return cm, nil
}

// BalancedAccuracy is the mean per-class recall over the classes present in
// labels (sklearn's balanced_accuracy_score; MedMNIST-C's balanced error is
// 1 minus it). Classes absent from labels have no recall and are left out
// of the mean rather than counted as 0 or 1.
func BalancedAccuracy(pred, labels []int, classes int) (float64, error) {
	cm, err := ConfusionMatrix(pred, labels, classes)
	if err != nil {
		return 0, fmt.Errorf("balanced accuracy: %w", err)
	}
	return balancedFromConfusion(cm), nil
}

func balancedFromConfusion(cm [][]int) float64 {
	sum, present := 0.0, 0
	for c, row := range cm {
		total := 0
		for _, v := range row {
			total += v
		}
		if total == 0 {
			continue
		}
		sum += float64(row[c]) / float64(total)
		present++
	}
	return sum / float64(present)
}

// Classification gathers the MedMNIST metrics of one evaluation.
type Classification struct {
	AUC              float64   // mean one-vs-rest (binary: AUC of p1); NaN if a class is absent
	ACC              float64   // MedMNIST accuracy
	BalancedACC      float64   // mean recall over classes present
	PerClassAUC      []float64 // one-vs-rest AUC of p(class i); NaN if undefined
	Confusion        [][]int   // [true][predicted]
	Predictions      []int     // Predict's class per sample
	N                int
	MissingAUCReason string // why AUC is NaN, empty when it is defined
}

// Evaluate computes every classification metric at once. Unlike AUC it does
// not fail when a class is absent: AUC is then NaN and MissingAUCReason
// says why, so per-subset reports still get ACC and balanced accuracy.
func Evaluate(probs []float64, classes int, labels []int) (Classification, error) {
	if _, err := checkProbs("evaluate", probs, classes, labels); err != nil {
		return Classification{}, err
	}
	pred, err := Predict(probs, classes)
	if err != nil {
		return Classification{}, err
	}
	cm, err := ConfusionMatrix(pred, labels, classes)
	if err != nil {
		return Classification{}, err
	}
	per, err := PerClassAUC(probs, classes, labels)
	if err != nil {
		return Classification{}, err
	}
	right := 0
	for c := range classes {
		right += cm[c][c]
	}
	r := Classification{
		ACC:         float64(right) / float64(len(labels)),
		BalancedACC: balancedFromConfusion(cm),
		PerClassAUC: per,
		Confusion:   cm,
		Predictions: pred,
		N:           len(labels),
	}
	auc, err := AUC(probs, classes, labels)
	if err != nil {
		if !errors.Is(err, ErrSingleClass) {
			return Classification{}, err
		}
		r.AUC, r.MissingAUCReason = auc, err.Error()
	} else {
		r.AUC = auc
	}
	return r, nil
}
