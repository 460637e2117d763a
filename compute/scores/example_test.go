package scores_test

import (
	"fmt"
	"log"

	"github.com/gradprint/gradprint/compute/scores"
)

func ExampleFitTemperature() {
	// Three validation images with the same logits (0, 2), two of class 1
	// and one of class 0. The NLL 3 ln(1 + e^(2/T)) - 4/T is least where
	// softmax(z/T) gives class 1 probability 2/3, its observed frequency:
	// e^(2/T) = 2, T = 2/ln 2.
	logits := []float32{0, 2, 0, 2, 0, 2}
	T, err := scores.FitTemperature(logits, 2, []int{1, 1, 0})
	if err != nil {
		log.Fatal(err)
	}
	msp, err := scores.TempMSP(logits[:2], 2, T)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("T = %.4f, temperature-scaled MSP %.4f\n", T, msp[0])
	// Output:
	// T = 2.8854, temperature-scaled MSP 0.6667
}

func ExampleFitMahalanobis() {
	// Two classes of four 2-D training features, crosses with arms (+-1, 0)
	// and (0, +-2) around (0, 0) and (10, 0): shared covariance
	// diag(0.5, 2), inverse diag(2, 0.5).
	train := []float32{
		1, 0, -1, 0, 0, 2, 0, -2,
		11, 0, 9, 0, 10, 2, 10, -2,
	}
	labels := []int{0, 0, 0, 0, 1, 1, 1, 1}
	m, err := scores.FitMahalanobis(train, 2, labels, 2, scores.FixedShrinkage(0))
	if err != nil {
		log.Fatal(err)
	}
	// h = (1, 1): squared distances 2*1 + 0.5*1 = 2.5 to class 0 and
	// 2*81 + 0.5 = 162.5 to class 1.
	best, _ := m.Score([]float32{1, 1})
	pred, _ := m.ScorePredicted([]float32{1, 1}, []int{1})
	fmt.Printf("best class %.1f, predicted class 1 %.1f\n", best[0], pred[0])

	// Ledoit-Wolf shrinks this small sample's covariance by a = 17/36.
	lw, err := scores.FitMahalanobis(train, 2, labels, 2, scores.LedoitWolf)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("Ledoit-Wolf a = %.4f\n", lw.Shrinkage())
	// Output:
	// best class -2.5, predicted class 1 -162.5
	// Ledoit-Wolf a = 0.4722
}

func ExampleKNN_Score() {
	// Bank (5, 0), (0, 1), (-1, 0): normalised, e1, e2 and -e1. The query
	// (2, 0) is e1: its neighbours are at 0, sqrt 2 and 2.
	knn, err := scores.FitKNN([]float32{5, 0, 0, 1, -1, 0}, 2)
	if err != nil {
		log.Fatal(err)
	}
	for k := 1; k <= 3; k++ {
		s, err := knn.Score([]float32{2, 0}, k)
		if err != nil {
			log.Fatal(err)
		}
		fmt.Printf("k = %d: %.4f\n", k, s[0])
	}
	// Output:
	// k = 1: 0.0000
	// k = 2: -1.4142
	// k = 3: -2.0000
}

func ExampleFitSIRC() {
	// Secondary score on the training split: mean 2.5, sd sqrt(1.25), so
	// A = 2.5 - 3 sd = -0.854 and B = 1/sd = 0.894.
	sirc, err := scores.FitSIRC([]float64{1, 2, 3, 4})
	if err != nil {
		log.Fatal(err)
	}
	// Two images with the same MSP 0.9: one with a typical S2 = 3, where
	// the factor 1 + exp(-B (S2 - A)) = 1.032 barely matters, one with
	// S2 = -2, below A, where it is 3.787 and the image falls in the ranking.
	c, err := sirc.Score([]float64{0.9, 0.9}, []float64{3, -2})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("A %.3f B %.3f; scores %.4f %.4f\n", sirc.A, sirc.B, c[0], c[1])
	// Output:
	// A -0.854 B 0.894; scores -0.1032 -0.3787
}

func ExampleGroupByRanking() {
	// Four binary images. Every softmax score is increasing in |z1 - z0|
	// (1, 2, 3, 0); MaxLogit (1, 2, 3, 2.9) and Energy (1.31, 2.13, 3.05,
	// 3.59) also see z1 + z0, and disagree with each other on the last two.
	logits := []float32{0, 1, 2, 0, 0, 3, 2.9, 2.9}
	var named []scores.Named
	for _, s := range []struct {
		name string
		f    func([]float32, int) ([]float64, error)
	}{
		{"msp", scores.MSP}, {"negentropy", scores.NegEntropy}, {"doctor", scores.DOCTOR},
		{"margin", scores.Margin}, {"maxlogit", scores.MaxLogit}, {"energy", scores.Energy},
	} {
		v, err := s.f(logits, 2)
		if err != nil {
			log.Fatal(err)
		}
		named = append(named, scores.Named{Name: s.name, Scores: v})
	}
	groups, err := scores.GroupByRanking(named)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(groups)
	// Output:
	// [[msp negentropy doctor margin] [maxlogit] [energy]]
}
