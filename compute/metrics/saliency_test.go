package metrics

import (
	"math"
	"math/rand/v2"
	"testing"
)

func TestScaleUint8Hand(t *testing.T) {
	// span 80: 20/80*255 = 63.75 -> 63, 40/80*255 = 127.5 -> 127 (truncated)
	dst := make([]uint8, 4)
	if err := ScaleUint8(dst, []float64{10, 30, 50, 90}); err != nil {
		t.Fatal(err)
	}
	if want := [4]uint8{0, 63, 127, 255}; [4]uint8(dst) != want {
		t.Errorf("scaled %v, want %v", dst, want)
	}
	if err := ScaleUint8(dst, []float32{4, 3, 2, 1}); err != nil {
		t.Fatal(err)
	}
	if want := [4]uint8{255, 170, 85, 0}; [4]uint8(dst) != want {
		t.Errorf("scaled %v, want %v", dst, want)
	}
	if err := ScaleUint8(dst, []float64{7, 7, 7, 7}); err != nil {
		t.Fatal(err)
	}
	if want := [4]uint8{}; [4]uint8(dst) != want {
		t.Errorf("constant map scaled to %v, want zeros", dst)
	}
	if err := ScaleUint8(dst, []float64{1, math.NaN(), 2, 3}); err == nil {
		t.Error("NaN map accepted")
	}
	if err := ScaleUint8(dst[:3], []float64{1, 2, 3, 4}); err == nil {
		t.Error("short destination accepted")
	}
}

func TestThesisRMSEHand(t *testing.T) {
	a := []float64{10, 30, 50, 90} // -> 0 63 127 255
	b := []float64{4, 3, 2, 1}     // -> 255 170 85 0
	c := []float64{1, 1, 1, 1}     // -> 0 0 0 0
	got, err := ThesisRMSE(a, b)
	if err != nil {
		t.Fatal(err)
	}
	// diffs -255 -107 42 255
	near(t, "RMSE(a,b)", got, math.Sqrt((65025+11449+1764+65025)/4.0), 1e-12)
	got, _ = ThesisRMSE(a, c)
	near(t, "RMSE(a,const)", got, math.Sqrt((0+3969+16129+65025)/4.0), 1e-12)
	got, _ = ThesisRMSE(a, a)
	near(t, "RMSE(a,a)", got, 0, 0)

	// Shape, not magnitude: an exact affine change of a map (power-of-two
	// scale, so no rounding) leaves the uint8 map and the RMSE unchanged.
	a2 := []float64{-8 + 4*10, -8 + 4*30, -8 + 4*50, -8 + 4*90}
	got2, _ := ThesisRMSE(a2, b)
	got1, _ := ThesisRMSE(a, b)
	if got1 != got2 {
		t.Errorf("affine rescale changed thesis RMSE: %v vs %v", got1, got2)
	}
	// float32 maps give the same answer on this exact example
	got3, err := ThesisRMSE([]float32{10, 30, 50, 90}, []float32{4, 3, 2, 1})
	if err != nil || got3 != got1 {
		t.Errorf("float32 RMSE %v, %v; want %v", got3, err, got1)
	}
}

func TestThesisRMSEMatchesScaleThenRMSE(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	n := 49
	a, b := make([]float32, n), make([]float32, n)
	qa, qb := make([]uint8, n), make([]uint8, n)
	for range 200 {
		for i := range a {
			a[i] = float32(rng.NormFloat64())
			b[i] = float32(rng.ExpFloat64())
		}
		ScaleUint8(qa, a)
		ScaleUint8(qb, b)
		want, _ := RMSEUint8(qa, qb)
		got, err := ThesisRMSE(a, b)
		if err != nil || got != want {
			t.Fatalf("fused RMSE %v (%v), two-step %v", got, err, want)
		}
		if got < 0 || got > 255 {
			t.Fatalf("RMSE %v outside [0,255]", got)
		}
	}
}

func TestRMSEErrors(t *testing.T) {
	if _, err := ThesisRMSE([]float64{1, 2}, []float64{1}); err == nil {
		t.Error("size mismatch accepted")
	}
	if _, err := ThesisRMSE([]float64{}, []float64{}); err == nil {
		t.Error("empty maps accepted")
	}
	if _, err := ThesisRMSE([]float64{1, 2}, []float64{math.Inf(1), 2}); err == nil {
		t.Error("infinite pixel accepted")
	}
	if _, err := RMSE([]float64{1, math.NaN()}, []float64{1, 2}); err == nil {
		t.Error("NaN float map accepted")
	}
	if _, err := RMSEUint8([]uint8{1}, []uint8{1, 2}); err == nil {
		t.Error("uint8 size mismatch accepted")
	}
}

func TestFloatRMSE(t *testing.T) {
	got, err := RMSE([]float64{1, 2, 3, 4}, []float64{1, 0, 3, 8}) // diffs 0 2 0 -4
	if err != nil {
		t.Fatal(err)
	}
	near(t, "float RMSE", got, math.Sqrt(20.0/4), 1e-15)
}

func TestThesisRMSEDoesNotAllocate(t *testing.T) {
	a, b := make([]float32, 28*28), make([]float32, 28*28)
	for i := range a {
		a[i] = float32(i % 17)
		b[i] = float32(i % 13)
	}
	allocs := testing.AllocsPerRun(100, func() {
		if _, err := ThesisRMSE(a, b); err != nil {
			t.Fatal(err)
		}
	})
	if allocs != 0 {
		t.Errorf("ThesisRMSE allocates %v times per call", allocs)
	}
}

func BenchmarkThesisRMSE28(b *testing.B) {
	x, y := make([]float32, 28*28), make([]float32, 28*28)
	rng := rand.New(rand.NewPCG(5, 6))
	for i := range x {
		x[i], y[i] = rng.Float32(), rng.Float32()
	}
	b.ReportAllocs()
	for b.Loop() {
		ThesisRMSE(x, y)
	}
}
