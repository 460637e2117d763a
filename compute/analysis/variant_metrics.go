package analysis

import (
	"cmp"
	"fmt"
	"math"
	"slices"

	"github.com/gradprint/gradprint/compute/metrics"
	"github.com/gradprint/gradprint/warehouse/rows"
)

// VariantMetrics computes AUC, ACC and balanced accuracy of every split x
// variant from prediction rows, over all classes and per class, with the drop
// against the clean variant of the same split. It works on rows read back
// from the warehouse, so resumed and sharded runs get the same result as one
// uninterrupted run.
func VariantMetrics(runID string, preds []rows.Prediction, classes []string) ([]rows.Metric, error) {
	type key struct {
		split, corruption string
		severity          int32
	}
	groups := map[key][]rows.Prediction{}
	var keys []key
	for _, p := range preds {
		k := key{p.Split, p.Corruption, p.Severity}
		if _, ok := groups[k]; !ok {
			keys = append(keys, k)
		}
		groups[k] = append(groups[k], p)
	}
	slices.SortFunc(keys, func(a, b key) int {
		return cmp.Or(cmp.Compare(a.split, b.split), cmp.Compare(rank(a.corruption), rank(b.corruption)),
			cmp.Compare(a.corruption, b.corruption), cmp.Compare(a.severity, b.severity))
	})
	nc := len(classes)
	var out []rows.Metric
	clean := map[string]map[[2]any]float64{} // split -> (class, metric) -> value
	for _, k := range keys {
		g := groups[k]
		slices.SortFunc(g, func(a, b rows.Prediction) int { return cmp.Compare(a.ImageID, b.ImageID) })
		probs := make([]float64, 0, len(g)*nc)
		labels := make([]int, len(g))
		for i, p := range g {
			if len(p.Scores) != nc {
				return nil, fmt.Errorf("metrics: %s image %d %s/%d has %d scores, want %d classes", k.split, p.ImageID, k.corruption, k.severity, len(p.Scores), nc)
			}
			if i > 0 && g[i-1].ImageID == p.ImageID {
				return nil, fmt.Errorf("metrics: %s image %d %s/%d appears twice in the predictions", k.split, p.ImageID, k.corruption, k.severity)
			}
			for _, s := range p.Scores {
				probs = append(probs, float64(s))
			}
			labels[i] = int(p.Label)
		}
		cls, err := metrics.Evaluate(probs, nc, labels)
		if err != nil {
			return nil, fmt.Errorf("metrics: %s %s/%d: %w", k.split, k.corruption, k.severity, err)
		}
		recall := perClassRecall(cls.Confusion)
		add := func(class int, name, metric string, v float64) {
			m := rows.Metric{
				RunID: runID, Split: k.split, Corruption: k.corruption, Severity: k.severity, Preset: g[0].Preset,
				ClassIndex: int32(class), ClassName: name, Metric: metric, Value: v, N: int32(len(g)),
			}
			ck := [2]any{class, metric}
			if k.corruption == Clean {
				if clean[k.split] == nil {
					clean[k.split] = map[[2]any]float64{}
				}
				clean[k.split][ck] = v
			} else if c, ok := clean[k.split][ck]; ok {
				m.DeltaVsClean = c - v
			} else {
				m.DeltaVsClean = math.NaN()
			}
			out = append(out, m)
		}
		add(-1, "all", "auc", cls.AUC)
		add(-1, "all", "acc", cls.ACC)
		add(-1, "all", "balanced_acc", cls.BalancedACC)
		for c := 0; c < nc; c++ {
			add(c, classes[c], "auc", cls.PerClassAUC[c])
			add(c, classes[c], "balanced_acc", recall[c])
		}
	}
	return out, nil
}

// rank sorts clean first so deltas can refer to it.
func rank(corruption string) int {
	if corruption == Clean {
		return 0
	}
	return 1
}

func perClassRecall(conf [][]int) []float64 {
	out := make([]float64, len(conf))
	for c, row := range conf {
		n := 0
		for _, v := range row {
			n += v
		}
		if n == 0 {
			out[c] = math.NaN()
			continue
		}
		out[c] = float64(row[c]) / float64(n)
	}
	return out
}
