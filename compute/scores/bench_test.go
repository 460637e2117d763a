package scores

import (
	"math/rand/v2"
	"testing"
)

// ResNet18-sized features: D = 512, a MedMNIST-sized training split.
func benchFeatures(n, d int) ([]float32, []int) {
	rng := rand.New(rand.NewPCG(21, 22))
	h := make([]float32, n*d)
	for i := range h {
		h[i] = float32(max(rng.NormFloat64(), 0)) // ReLU-like: half zeros
	}
	y := make([]int, n)
	for i := range y {
		y[i] = i % 7
	}
	return h, y
}

func BenchmarkFitMahalanobis512(b *testing.B) {
	h, y := benchFeatures(1000, 512)
	for b.Loop() {
		if _, err := FitMahalanobis(h, 512, y, 7, LedoitWolf); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkMahalanobisScore512(b *testing.B) {
	h, y := benchFeatures(1000, 512)
	m, err := FitMahalanobis(h, 512, y, 7, LedoitWolf)
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if _, err := m.Score(h); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkKNNScore512(b *testing.B) {
	h, _ := benchFeatures(1000, 512)
	m, err := FitKNN(h, 512)
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if _, err := m.Score(h[:100*512], 10); err != nil {
			b.Fatal(err)
		}
	}
}
