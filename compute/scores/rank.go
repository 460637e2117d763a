package scores

import (
	"cmp"
	"fmt"
	"math"
	"slices"
)

// Named is one score vector with the name a table shows it under.
type Named struct {
	Name   string
	Scores []float64
}

// GroupByRanking groups the scores that order the images identically,
// ties included: a and b share a group when for every pair of images i, j
// the signs of a_i - a_j and b_i - b_j agree. Such scores have the same
// AUROC_f, AURC, AUGRC and FPR@95TPR, so a table can show them as one row
// ("msp = negentropy = doctor"). On a binary task MSP, NegEntropy, DOCTOR,
// Margin and TempMSP are all increasing in |z1 - z0| and group together;
// Energy and MaxLogit also depend on z1 + z0 and do not (REFERENCE 10).
//
// The test is exact, on the computed values: a score that saturates where
// another does not (MSP rounds to exactly 1 once the logit gap exceeds
// about 37) creates ties the other lacks, and then the metrics really do
// differ and the scores are rightly kept apart.
//
// Groups come in the order of their first member in scores, names in
// input order. Every vector must have the same length and no NaN; names
// must be distinct.
func GroupByRanking(scores []Named) ([][]string, error) {
	const name = "GroupByRanking"
	if len(scores) == 0 {
		return nil, fmt.Errorf("%s: no scores", name)
	}
	seen := make(map[string]bool, len(scores))
	for _, s := range scores {
		if seen[s.Name] {
			return nil, fmt.Errorf("%s: score name %q given twice", name, s.Name)
		}
		seen[s.Name] = true
		if len(s.Scores) != len(scores[0].Scores) {
			return nil, fmt.Errorf("%s: score %q has %d values, %q has %d", name, s.Name, len(s.Scores), scores[0].Name, len(scores[0].Scores))
		}
		if i := slices.IndexFunc(s.Scores, math.IsNaN); i >= 0 {
			return nil, fmt.Errorf("%s: score %q of image %d is NaN", name, s.Name, i)
		}
	}
	var groups [][]string
	var keys [][]int // dense ranks of each group's first member
	for _, s := range scores {
		r := denseRanks(s.Scores)
		g := slices.IndexFunc(keys, func(k []int) bool { return slices.Equal(k, r) })
		if g < 0 {
			groups, keys = append(groups, nil), append(keys, r)
			g = len(groups) - 1
		}
		groups[g] = append(groups[g], s.Name)
	}
	return groups, nil
}

// denseRanks replaces each value by the number of distinct smaller values.
// Two vectors order every pair alike, ties included, exactly when their
// dense ranks are equal.
func denseRanks(s []float64) []int {
	order := make([]int, len(s))
	for i := range order {
		order[i] = i
	}
	slices.SortFunc(order, func(a, b int) int { return cmp.Compare(s[a], s[b]) })
	r := make([]int, len(s))
	rank := 0
	for j, i := range order {
		if j > 0 && s[i] != s[order[j-1]] {
			rank++
		}
		r[i] = rank
	}
	return r
}
