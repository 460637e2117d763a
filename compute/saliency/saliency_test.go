package saliency

import (
	"math"
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
