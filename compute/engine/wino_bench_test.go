package engine

import "testing"

func benchWinoInput(b *testing.B, n int) {
	in := Shape{32, 64, 28, 28}
	g := convGeom{in: in, out: in, kh: 3, kw: 3, stride: 1, pad: 1, algo: algoWinograd}
	x := make([]float32, in.Size())
	for i := range x {
		x[i] = float32(i % 13)
	}
	th, tw := g.tiles()
	v := make([]float32, 16*winoPlane(in.C, n*th*tw))
	b.ResetTimer()
	for it := 0; it < b.N; it++ {
		winoInput(x, g, 0, n, 0, in.C, v)
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n*in.C*th*tw), "ns/tile")
}

func BenchmarkWinoInput1(b *testing.B) { benchWinoInput(b, 1) }
func BenchmarkWinoInput8(b *testing.B) { benchWinoInput(b, 8) }
