package ingest

import (
	"fmt"
	"math/rand/v2"
	"slices"
)

// SelectMode says which test images are eligible for selection, as the
// thesis picked images for saliency analysis.
type SelectMode string

const (
	SelectAll       SelectMode = "all"       // every image
	SelectCorrect   SelectMode = "correct"   // prediction equals label
	SelectIncorrect SelectMode = "incorrect" // prediction differs from label
)

// ParseSelectMode accepts "all", "correct" or "incorrect".
func ParseSelectMode(s string) (SelectMode, error) {
	switch m := SelectMode(s); m {
	case SelectAll, SelectCorrect, SelectIncorrect:
		return m, nil
	}
	return "", fmt.Errorf("selection mode %q: want all, correct or incorrect", s)
}

// SelectPerClass picks up to perClass indices of each class among the
// images for which keep returns true (nil keeps all), and returns them
// sorted ascending. perClass <= 0 means every eligible image. Each class
// draws from its own PCG stream keyed by (seed, class), so the picks of
// one class do not change when another class's eligible set changes.
func SelectPerClass(labels []int, numClasses, perClass int, keep func(i int) bool, seed uint64) ([]int, error) {
	if numClasses < 1 {
		return nil, fmt.Errorf("select: %d classes, want at least 1", numClasses)
	}
	byClass := make([][]int, numClasses)
	for i, l := range labels {
		if l < 0 || l >= numClasses {
			return nil, fmt.Errorf("select: labels[%d] = %d out of range [0, %d)", i, l, numClasses)
		}
		if keep == nil || keep(i) {
			byClass[l] = append(byClass[l], i)
		}
	}
	var out []int
	for c, idx := range byClass {
		if perClass <= 0 || len(idx) <= perClass {
			out = append(out, idx...)
			continue
		}
		// Partial Fisher-Yates: the first perClass slots become a uniform
		// sample without replacement.
		r := rand.New(rand.NewPCG(seed, uint64(c)))
		for i := range perClass {
			j := i + r.IntN(len(idx)-i)
			idx[i], idx[j] = idx[j], idx[i]
		}
		out = append(out, idx[:perClass]...)
	}
	slices.Sort(out)
	return out, nil
}

// SelectByPrediction applies mode using predictions (ignored, and may be
// nil, for SelectAll) and then SelectPerClass.
func SelectByPrediction(labels, preds []int, numClasses, perClass int, mode SelectMode, seed uint64) ([]int, error) {
	var keep func(int) bool
	switch mode {
	case SelectAll:
	case SelectCorrect, SelectIncorrect:
		if len(preds) != len(labels) {
			return nil, fmt.Errorf("select %s: %d predictions for %d labels", mode, len(preds), len(labels))
		}
		want := mode == SelectCorrect
		keep = func(i int) bool { return (preds[i] == labels[i]) == want }
	default:
		return nil, fmt.Errorf("selection mode %q: want all, correct or incorrect", mode)
	}
	return SelectPerClass(labels, numClasses, perClass, keep, seed)
}
