package saliency

import (
	"math"
	"math/rand/v2"
	"testing"
)

// The hand case: one image, two channels of 2x2.
//
//	A0 = [1 2; 3 4] (sum 10), G0 = [1 0; -1 2]
//	A1 = [0 1; 0 1] (sum 2),  G1 = [.5 .5; .5 .5]
var (
	handA = []float32{1, 2, 3, 4, 0, 1, 0, 1}
	handG = []float32{1, 0, -1, 2, .5, .5, .5, .5}
)

func handMaps(t *testing.T, m Method) []float32 {
	t.Helper()
	dst := make([]float32, 4)
	if err := Maps(m, dst, NCHW(handA, 1, 2, 2, 2), NCHW(handG, 1, 2, 2, 2)); err != nil {
		t.Fatal(err)
	}
	return dst
}

func near(t *testing.T, what string, got, want []float32, tol float64) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: len %d, want %d", what, len(got), len(want))
	}
	for i := range got {
		if math.Abs(float64(got[i]-want[i])) > tol {
			t.Fatalf("%s = %v, want %v (index %d)", what, got, want, i)
		}
	}
}

func TestGradCAMByHand(t *testing.T) {
	// w0 = mean(1,0,-1,2) = .5, w1 = .5: map = .5 A0 + .5 A1.
	near(t, "gradcam", handMaps(t, GradCAM{}), []float32{.5, 1.5, 1.5, 2.5}, 1e-6)
}

func TestGradCAMPPByHand(t *testing.T) {
	// Channel 0 (sum A = 10): g=1 gives alpha 1/(2+10) = 1/12, g=2 gives
	// 4/(8+80) = 1/22; w0 = 1/12*1 + 1/22*2 = 23/132 (g<=0 adds nothing).
	// Channel 1 (sum A = 2): alpha = .25/(.5+.25) = 1/3 at each pixel,
	// w1 = 4 * 1/3 * .5 = 2/3.
	w0, w1 := 23.0/132, 2.0/3
	want := []float32{float32(w0 * 1), float32(w0*2 + w1), float32(w0 * 3), float32(w0*4 + w1)}
	near(t, "gradcampp", handMaps(t, GradCAMPP{}), want, 1e-6)
}

func TestLayerCAMByHand(t *testing.T) {
	// ReLU(G0)*A0 + ReLU(G1)*A1 = [1 0 0 8] + [0 .5 0 .5].
	near(t, "layercam", handMaps(t, LayerCAM{}), []float32{1, .5, 0, 8.5}, 1e-6)
}

// torchcamNoOp is the thesis's Grad-CAM++ (REFERENCE section 8, defect 3):
// alpha's division is lost, leaving w_k = sum g^2 ReLU(g).
func torchcamNoOp(a, g []float32, c, hw int) []float32 {
	out := make([]float32, hw)
	for k := 0; k < c; k++ {
		var w float32
		for _, gv := range g[k*hw : (k+1)*hw] {
			w += gv * gv * max(gv, 0)
		}
		for i := range out {
			out[i] += w * a[k*hw+i]
		}
	}
	return out
}

func TestGradCAMPPDiffersFromTorchcamNoOp(t *testing.T) {
	ours := handMaps(t, GradCAMPP{})
	theirs := torchcamNoOp(handA, handG, 2, 4)
	Normalize(ours)
	Normalize(theirs)
	// The no-op variant weighs channel 0 by 9 against 0.5 and ranks pixel 2
	// above pixel 1; the real alpha reverses that order.
	if !(theirs[2] > theirs[1]) || !(ours[1] > ours[2]) {
		t.Fatalf("expected opposite rankings of pixels 1 and 2: ours %v, torchcam no-op %v", ours, theirs)
	}
}

func TestChannelMajorLayoutMatchesNCHW(t *testing.T) {
	// Two images, three channels, 2x3 planes, in both layouts.
	n, c, h, w := 2, 3, 2, 3
	nchwA := make([]float32, n*c*h*w)
	nchwG := make([]float32, n*c*h*w)
	for i := range nchwA {
		nchwA[i] = float32((i*7)%11) - 3
		nchwG[i] = float32((i*5)%13)/4 - 1
	}
	cnA := make([]float32, len(nchwA))
	cnG := make([]float32, len(nchwG))
	hw := h * w
	for in := 0; in < n; in++ {
		for k := 0; k < c; k++ {
			copy(cnA[(k*n+in)*hw:], nchwA[(in*c+k)*hw:(in*c+k+1)*hw])
			copy(cnG[(k*n+in)*hw:], nchwG[(in*c+k)*hw:(in*c+k+1)*hw])
		}
	}
	for _, m := range Methods() {
		x := make([]float32, n*hw)
		y := make([]float32, n*hw)
		if err := Maps(m, x, NCHW(nchwA, n, c, h, w), NCHW(nchwG, n, c, h, w)); err != nil {
			t.Fatal(err)
		}
		if err := Maps(m, y, CNHW(cnA, n, c, h, w), CNHW(cnG, n, c, h, w)); err != nil {
			t.Fatal(err)
		}
		near(t, m.Name(), y, x, 0)
	}
}

func TestMapsRejectsBadShapes(t *testing.T) {
	a := NCHW(make([]float32, 8), 1, 2, 2, 2)
	g := NCHW(make([]float32, 4), 1, 1, 2, 2)
	if err := Maps(GradCAM{}, make([]float32, 4), a, g); err == nil {
		t.Fatal("want error for mismatched shapes")
	}
	short := NCHW(make([]float32, 7), 1, 2, 2, 2)
	if err := Maps(GradCAM{}, make([]float32, 4), short, a); err == nil {
		t.Fatal("want error for a too-short buffer")
	}
	if err := Maps(GradCAM{}, make([]float32, 3), a, a); err == nil {
		t.Fatal("want error for a too-short dst")
	}
}

func TestLookup(t *testing.T) {
	for _, name := range []string{"gradcampp", "gradcam", "layercam"} {
		m, err := Lookup(name)
		if err != nil || m.Name() != name {
			t.Fatalf("Lookup(%q) = %v, %v", name, m, err)
		}
	}
	if _, err := Lookup("scorecam"); err == nil {
		t.Fatal("want error for unknown method")
	}
}

func TestNormalize(t *testing.T) {
	m := []float32{2, 4, 6}
	Normalize(m)
	near(t, "normalize", m, []float32{0, .5, 1}, 1e-6)
	flat := []float32{3, 3}
	Normalize(flat)
	near(t, "constant map", flat, []float32{0, 0}, 0)
}

func TestUpsampleMatchesTorchBilinear(t *testing.T) {
	// F.interpolate(tensor([[0,1],[2,3]]), size=4, mode="bilinear",
	// align_corners=False).
	want := []float32{
		0, .25, .75, 1,
		.5, .75, 1.25, 1.5,
		1.5, 1.75, 2.25, 2.5,
		2, 2.25, 2.75, 3,
	}
	got := make([]float32, 16)
	Upsample(got, 4, 4, []float32{0, 1, 2, 3}, 2, 2)
	near(t, "upsample", got, want, 1e-6)
}

// gradCAMPPDefinition is w_k of section 6 as written, in float64: alpha =
// g^2 / (2 g^2 + S g^3), summed times ReLU(g).
func gradCAMPPDefinition(a, g []float32) float64 {
	var s, w float64
	for _, v := range a {
		s += float64(v)
	}
	for _, v := range g {
		if v <= 0 {
			continue
		}
		g1 := float64(v)
		g2 := g1 * g1
		if den := 2*g2 + s*g2*g1; den != 0 {
			w += g2 / den * g1
		}
	}
	return w
}

func TestGradCAMPPMatchesDefinition(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	const n, c, h, w = 3, 5, 7, 9
	hw := h * w
	a, g := make([]float32, n*c*hw), make([]float32, n*c*hw)
	for i := range a {
		// Negative activations (sums down to about -20) and shallow-layer
		// gradients of 1e-5 as well as deep ones of 1e-1.
		a[i] = float32(r.NormFloat64()) - 0.3
		g[i] = float32(r.NormFloat64() * math.Pow(10, -1-4*float64(i%2)))
	}
	got := make([]float32, n*hw)
	if err := Maps(GradCAMPP{}, got, NCHW(a, n, c, h, w), NCHW(g, n, c, h, w)); err != nil {
		t.Fatal(err)
	}
	for img := range n {
		want := make([]float64, hw)
		for k := range c {
			off := (img*c + k) * hw
			wk := float64(float32(gradCAMPPDefinition(a[off:off+hw], g[off:off+hw])))
			for i := range want {
				want[i] += wk * float64(a[off+i])
			}
		}
		for i, v := range want {
			v = max(v, 0)
			if d := math.Abs(float64(got[img*hw+i]) - v); d > 1e-5*(1+math.Abs(v)) {
				t.Fatalf("image %d pixel %d: %v, definition gives %v", img, i, got[img*hw+i], v)
			}
		}
	}
}

func TestGradCAMPPSkipsZeroDenominator(t *testing.T) {
	// One channel with sum A = -4: at g = 0.5, 2 + S g = 0 and alpha is
	// undefined (left out); at g = 0.25, alpha g = 0.25 / (2 - 1) = 0.25.
	a := []float32{-1, -1, -1, -1}
	g := []float32{0.5, 0.25, -1, 0}
	dst := make([]float32, 4)
	if err := Maps(GradCAMPP{}, dst, NCHW(a, 1, 1, 2, 2), NCHW(g, 1, 1, 2, 2)); err != nil {
		t.Fatal(err)
	}
	// The map is ReLU(0.25 * A) = 0 everywhere; check the weight itself.
	if w := gradCAMPPWeightGuarded(g, -4); w != 0.25 {
		t.Fatalf("guarded weight %v, want 0.25", w)
	}
	for name, f := range map[string]func(a, g Planes, n int, w []float32){"kernel": gradCAMPPWeights, "Go": gradCAMPPWeightsGo} {
		w := make([]float32, 1)
		f(NCHW(a, 1, 1, 2, 2), NCHW(g, 1, 1, 2, 2), 0, w)
		if w[0] != 0.25 {
			t.Fatalf("%s weight %v, want 0.25", name, w[0])
		}
	}
	near(t, "map", dst, []float32{0, 0, 0, 0}, 0)
	a = []float32{1, 1, 1, -7} // same sum, a positive pixel to see the weight
	if err := Maps(GradCAMPP{}, dst, NCHW(a, 1, 1, 2, 2), NCHW(g, 1, 1, 2, 2)); err != nil {
		t.Fatal(err)
	}
	near(t, "map", dst, []float32{0.25, 0.25, 0.25, 0}, 0)
}

func TestPositive(t *testing.T) {
	negZero := float32(math.Copysign(0, -1))
	for _, c := range []struct{ in, want float32 }{
		{-1, 0}, {negZero, 0}, {0, 0}, {2.5, 2.5}, {1e-40, 1e-40},
		{float32(math.Inf(1)), float32(math.Inf(1))}, {float32(math.Inf(-1)), 0},
	} {
		if got := positive(c.in); got != c.want || math.Signbit(float64(got)) {
			t.Errorf("positive(%v) = %v, want +%v", c.in, got, c.want)
		}
	}
}

func TestMapsSplitOverCoresMatchesOneImageAtATime(t *testing.T) {
	// Large enough (64 x 16 x 8 x 8 floats) for Maps to split the images
	// over goroutines; each image's map must equal its map computed alone.
	r := rand.New(rand.NewPCG(5, 6))
	const n, c, h, w = 64, 16, 8, 8
	hw := h * w
	a, g := make([]float32, n*c*hw), make([]float32, n*c*hw)
	for i := range a {
		a[i], g[i] = float32(r.NormFloat64()), float32(r.NormFloat64())
	}
	if n*c*hw < mapsSerial {
		t.Fatalf("test input of %d floats would not be split (threshold %d)", n*c*hw, mapsSerial)
	}
	for _, m := range Methods() {
		all := make([]float32, n*hw)
		if err := Maps(m, all, CNHW(a, n, c, h, w), CNHW(g, n, c, h, w)); err != nil {
			t.Fatal(err)
		}
		one := make([]float32, hw)
		for img := range n {
			ai, gi := make([]float32, c*hw), make([]float32, c*hw)
			for k := range c {
				copy(ai[k*hw:], a[(k*n+img)*hw:(k*n+img+1)*hw])
				copy(gi[k*hw:], g[(k*n+img)*hw:(k*n+img+1)*hw])
			}
			if err := Maps(m, one, NCHW(ai, 1, c, h, w), NCHW(gi, 1, c, h, w)); err != nil {
				t.Fatal(err)
			}
			near(t, m.Name(), all[img*hw:(img+1)*hw], one, 0)
		}
	}
}
