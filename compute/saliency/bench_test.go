package saliency

import (
	"math/rand/v2"
	"testing"
)

// thesisPlanes28 are the shapes (C, H, W) of the eight thesis layers of
// ResNet18 with the small stem at 28 px: two per stage.
var thesisPlanes28 = [][3]int{
	{64, 28, 28}, {64, 28, 28}, {128, 14, 14}, {128, 14, 14},
	{256, 7, 7}, {256, 7, 7}, {512, 4, 4}, {512, 4, 4},
}

// BenchmarkMaps is one saliency pass's map work at 28 px and batch 32, as
// bench and analyze run it: every thesis layer's maps from the engine's
// channel-major buffers. Gradients are half negative, as a real pass's.
func BenchmarkMaps(b *testing.B) {
	const n = 32
	r := rand.New(rand.NewPCG(1, 2))
	type layer struct{ a, g Planes }
	var layers []layer
	most := 0
	for _, s := range thesisPlanes28 {
		c, h, w := s[0], s[1], s[2]
		a, g := make([]float32, n*c*h*w), make([]float32, n*c*h*w)
		for i := range a {
			a[i] = max(0, float32(r.NormFloat64()))
			g[i] = float32(r.NormFloat64() * 1e-5)
		}
		layers = append(layers, layer{CNHW(a, n, c, h, w), CNHW(g, n, c, h, w)})
		most = max(most, n*h*w)
	}
	dst := make([]float32, most)
	for _, m := range Methods() {
		b.Run(m.Name(), func(b *testing.B) {
			for b.Loop() {
				for _, l := range layers {
					if err := Maps(m, dst, l.a, l.g); err != nil {
						b.Fatal(err)
					}
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/1e6/float64(b.N)/n, "ms/img")
		})
	}
}
