package ingest

import (
	"slices"
	"testing"
)

func TestSelectPerClass(t *testing.T) {
	labels := make([]int, 100)
	for i := range labels {
		labels[i] = i % 3 // 34 / 33 / 33
	}
	got, err := SelectPerClass(labels, 3, 5, nil, 42)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 15 || !slices.IsSorted(got) {
		t.Fatalf("got %v", got)
	}
	per := make([]int, 3)
	for _, i := range got {
		per[labels[i]]++
	}
	if !slices.Equal(per, []int{5, 5, 5}) {
		t.Errorf("per class %v", per)
	}
	again, _ := SelectPerClass(labels, 3, 5, nil, 42)
	if !slices.Equal(got, again) {
		t.Error("same seed, different selection")
	}
	other, _ := SelectPerClass(labels, 3, 5, nil, 43)
	if slices.Equal(got, other) {
		t.Error("different seed, same selection")
	}
	// Fewer eligible than asked: all of them. perClass <= 0: everything.
	few, _ := SelectPerClass(labels, 3, 50, func(i int) bool { return i < 10 }, 1)
	if !slices.Equal(few, []int{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}) {
		t.Errorf("few = %v", few)
	}
	all, _ := SelectPerClass(labels, 3, 0, nil, 1)
	if len(all) != 100 {
		t.Errorf("perClass 0 gave %d", len(all))
	}
	if _, err := SelectPerClass([]int{0, 3}, 3, 1, nil, 1); err == nil {
		t.Error("label 3 of 3 classes accepted")
	}
}

func TestSelectStableAcrossClasses(t *testing.T) {
	labels := []int{0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1}
	a, _ := SelectPerClass(labels, 2, 2, nil, 9)
	// Excluding some class-1 images must not change the class-0 picks.
	b, _ := SelectPerClass(labels, 2, 2, func(i int) bool { return labels[i] == 0 || i > 6 }, 9)
	pick0 := func(s []int) []int {
		var o []int
		for _, i := range s {
			if labels[i] == 0 {
				o = append(o, i)
			}
		}
		return o
	}
	if !slices.Equal(pick0(a), pick0(b)) {
		t.Errorf("class 0 picks changed: %v vs %v", pick0(a), pick0(b))
	}
}

func TestSelectByPrediction(t *testing.T) {
	labels := []int{0, 0, 0, 1, 1, 1}
	preds := []int{0, 1, 0, 1, 0, 0}
	cor, _ := SelectByPrediction(labels, preds, 2, 10, SelectCorrect, 1)
	inc, _ := SelectByPrediction(labels, preds, 2, 10, SelectIncorrect, 1)
	all, _ := SelectByPrediction(labels, nil, 2, 10, SelectAll, 1)
	if !slices.Equal(cor, []int{0, 2, 3}) || !slices.Equal(inc, []int{1, 4, 5}) || len(all) != 6 {
		t.Errorf("correct %v incorrect %v all %v", cor, inc, all)
	}
	if _, err := SelectByPrediction(labels, preds[:2], 2, 1, SelectCorrect, 1); err == nil {
		t.Error("short predictions accepted")
	}
	if _, err := ParseSelectMode("wrong"); err == nil {
		t.Error("bad mode parsed")
	}
	if m, err := ParseSelectMode("incorrect"); err != nil || m != SelectIncorrect {
		t.Errorf("%v %v", m, err)
	}
}
