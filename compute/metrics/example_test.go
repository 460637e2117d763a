package metrics_test

import (
	"fmt"
	"log"

	"github.com/gradprint/gradprint/compute/metrics"
)

func ExampleROCAUC() {
	// Two positives (0.9, 0.5) against two negatives (0.5, 0.1): of the four
	// pairs, three rank the positive higher and one is tied, counting 1/2,
	// so the AUC is 3.5/4.
	auc, err := metrics.ROCAUC([]float64{0.9, 0.5, 0.5, 0.1}, []bool{true, true, false, false})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(auc)
	// Output:
	// 0.875
}

func ExampleAUC() {
	// Four samples of a 3-class problem, probabilities row-major (N x C).
	probs := []float64{
		0.7, 0.2, 0.1, // class 0
		0.2, 0.5, 0.3, // class 1
		0.1, 0.3, 0.6, // class 2
		0.4, 0.4, 0.2, // class 2
	}
	labels := []int{0, 1, 2, 2}
	// One-vs-rest: p(class 0) and p(class 1) rank their single positive
	// above the three others (AUC 1); p(class 2) ranks 0.6 above both
	// negatives (0.1, 0.3) but 0.2 only above 0.1, 3 of 4 pairs. The mean is
	// (1 + 1 + 0.75) / 3.
	per, err := metrics.PerClassAUC(probs, 3, labels)
	if err != nil {
		log.Fatal(err)
	}
	auc, err := metrics.AUC(probs, 3, labels)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("per class:", per)
	fmt.Printf("AUC: %.4f\n", auc)
	// Output:
	// per class: [1 1 0.75]
	// AUC: 0.9167
}

func ExampleEvaluate() {
	// Binary: p(class 1) is 0.9, 0.7, 0.3 for three class-1 samples and 0.6,
	// 0.1 for two class-0 samples.
	probs := []float64{
		0.1, 0.9,
		0.3, 0.7,
		0.7, 0.3,
		0.4, 0.6,
		0.9, 0.1,
	}
	labels := []int{1, 1, 1, 0, 0}
	r, err := metrics.Evaluate(probs, 2, labels)
	if err != nil {
		log.Fatal(err)
	}
	// Class 1 iff p1 > 0.5: samples 2 (a missed 1) and 3 (a false 1) are
	// wrong, so ACC = 3/5; recalls 1/2 (class 0) and 2/3 (class 1) average
	// to 7/12. AUC of p1: 0.9 and 0.7 beat both negatives, 0.3 beats only
	// 0.1, 5 of 6 pairs.
	fmt.Println("predictions:", r.Predictions)
	fmt.Println("confusion [true][predicted]:", r.Confusion)
	fmt.Printf("AUC %.4f  ACC %.2f  balanced ACC %.4f\n", r.AUC, r.ACC, r.BalancedACC)
	// Output:
	// predictions: [1 1 0 1 0]
	// confusion [true][predicted]: [[1 1] [1 2]]
	// AUC 0.8333  ACC 0.60  balanced ACC 0.5833
}

// The failure metrics on five predictions small enough to check by hand.
// Sorted by confidence, the second and the last are wrong.
func Example_failureMetrics() {
	conf := []float64{0.9, 0.8, 0.7, 0.6, 0.5}
	wrong := []bool{false, true, false, false, true}

	// AUROC_f: of the 3 x 2 (correct, wrong) pairs, 0.9 beats 0.8 and 0.5,
	// 0.7 and 0.6 beat only 0.5: 4/6.
	auroc, err := metrics.AUROCf(conf, wrong)
	if err != nil {
		log.Fatal(err)
	}
	// AURC: selective risks of the top k = 1..5 are 0, 1/2, 1/3, 1/4, 2/5,
	// whose mean is 0.29667. The oracle (wrong ones last) has risks
	// 0, 0, 0, 1/4, 2/5, mean 0.13, so e-AURC is 0.16667.
	aurc, err := metrics.AURC(conf, wrong)
	if err != nil {
		log.Fatal(err)
	}
	eaurc, err := metrics.EAURC(conf, wrong)
	if err != nil {
		log.Fatal(err)
	}
	// AUGRC: failures accepted among the top k = 0..5 are 0 0 1 1 1 2; the
	// trapezoid rule gives (0+1+2+2+3) / (2 * 5 * 5) = 0.16, which is also
	// (1 - 2/3) * 0.6 * 0.4 + 0.4^2 / 2 with accuracy 0.6.
	augrc, err := metrics.AUGRC(conf, wrong)
	if err != nil {
		log.Fatal(err)
	}
	// FPR@95TPR: accepting 95% of the 3 correct ones means all of them,
	// down to 0.6, which lets in 1 of the 2 wrong ones.
	fpr, err := metrics.FPRAt95TPR(conf, wrong)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("AUROC_f %.4f\nAURC %.4f\ne-AURC %.4f\nAUGRC %.4f\nFPR@95TPR %.2f\n", auroc, aurc, eaurc, augrc, fpr)
	// Output:
	// AUROC_f 0.6667
	// AURC 0.2967
	// e-AURC 0.1667
	// AUGRC 0.1600
	// FPR@95TPR 0.50
}

func ExampleFailure() {
	// Without a single failure there is nothing to separate: AUROC_f and
	// FPR@95TPR are undefined (NaN in the report, an error from AUROCf),
	// while the risk-based metrics are simply 0.
	r, err := metrics.Failure([]float64{0.9, 0.8, 0.7}, []bool{false, false, false})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("N %d, wrong %d\n", r.N, r.NWrong)
	fmt.Printf("AUROC_f %v, FPR@95TPR %v\n", r.AUROCf, r.FPR95TPR)
	fmt.Printf("AURC %v, e-AURC %v, AUGRC %v\n", r.AURC, r.EAURC, r.AUGRC)
	// Output:
	// N 3, wrong 0
	// AUROC_f NaN, FPR@95TPR NaN
	// AURC 0, e-AURC 0, AUGRC 0
}

func ExampleThesisRMSE() {
	clean := []float32{0, 1, 2, 3}
	// Ten times brighter plus an offset: the same shape, so after min-max
	// scaling to uint8 both maps are 0 85 170 255 and the thesis's RMSE is
	// 0, while the raw RMSE sees the change of magnitude:
	// sqrt((5^2 + 14^2 + 23^2 + 32^2) / 4) = 21.06.
	brighter := []float32{5, 15, 25, 35}
	// Reversed: uint8 maps 0 85 170 255 and 255 170 85 0 differ by
	// 255, 85, 85, 255, so the RMSE is sqrt((2*255^2 + 2*85^2) / 4) = 190.07;
	// raw, sqrt((9 + 1 + 1 + 9) / 4) = 2.24.
	reversed := []float32{3, 2, 1, 0}
	for _, m := range []struct {
		name string
		b    []float32
	}{{"brighter", brighter}, {"reversed", reversed}} {
		thesis, err := metrics.ThesisRMSE(clean, m.b)
		if err != nil {
			log.Fatal(err)
		}
		raw, err := metrics.RMSE(clean, m.b)
		if err != nil {
			log.Fatal(err)
		}
		fmt.Printf("%s: thesis RMSE %.2f, raw RMSE %.2f\n", m.name, thesis, raw)
	}
	// Output:
	// brighter: thesis RMSE 0.00, raw RMSE 21.06
	// reversed: thesis RMSE 190.07, raw RMSE 2.24
}

func ExampleBootstrap() {
	// 7 of 10 predictions right; the statistic is the accuracy of a
	// resample. Gather reuses buf across the 1000 replicates.
	right := []float64{1, 1, 0, 1, 1, 1, 0, 1, 0, 1}
	var buf []float64
	accuracy := func(idx []int) float64 {
		buf = metrics.Gather(buf, right, idx)
		s := 0.0
		for _, v := range buf {
			s += v
		}
		return s / float64(len(buf))
	}
	lo, hi, err := metrics.Bootstrap(len(right), 1000, 42, accuracy)
	if err != nil {
		log.Fatal(err)
	}
	lo2, hi2, err := metrics.Bootstrap(len(right), 1000, 42, accuracy)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("lo < 0.7 < hi:", lo < 0.7 && 0.7 < hi)
	fmt.Println("within [0, 1]:", 0 <= lo && hi <= 1)
	fmt.Println("same seed, same interval:", lo == lo2 && hi == hi2)

	// A statistic that every resample gives exactly has a zero-width
	// interval.
	lo, hi, err = metrics.Bootstrap(len(right), 1000, 42, func([]int) float64 { return 0.7 })
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("constant statistic:", lo, hi)
	// Output:
	// lo < 0.7 < hi: true
	// within [0, 1]: true
	// same seed, same interval: true
	// constant statistic: 0.7 0.7
}
