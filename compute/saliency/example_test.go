package saliency_test

import (
	"fmt"
	"log"

	"github.com/gradprint/gradprint/compute/saliency"
)

// One image with two 2x2 channels, stored NCHW:
//
//	A0 = [1 0; 0 1]    G0 = [1 1; 1 1]
//	A1 = [0 .5; .5 0]  G1 = [2 -2; -2 -2]
//
// Grad-CAM weighs a channel by its mean gradient: w0 = 1, w1 = -1, so the
// map is ReLU(A0 - A1) = [1 0; 0 1] and channel 1 is cancelled out.
//
// Grad-CAM++ weighs it by sum alpha * ReLU(g), alpha = 1 / (2 + sum(A) g):
// channel 0 (sum 2) has alpha 1/4 at its four pixels, w0 = 4 * 1/4 * 1 = 1;
// channel 1 (sum 1) counts only its positive gradient, alpha 1/(2 + 2) at
// g = 2, w1 = 1/4 * 2 = 1/2. The map is A0 + A1/2 = [1 .25; .25 1]: the
// one strong positive gradient survives instead of being averaged away.
func ExampleMaps() {
	act := []float32{1, 0, 0, 1, 0, .5, .5, 0}
	grad := []float32{1, 1, 1, 1, 2, -2, -2, -2}
	a := saliency.NCHW(act, 1, 2, 2, 2)
	g := saliency.NCHW(grad, 1, 2, 2, 2)
	for _, name := range []string{"gradcam", "gradcampp"} {
		m, err := saliency.Lookup(name)
		if err != nil {
			log.Fatal(err)
		}
		dst := make([]float32, 1*2*2) // N x H x W
		if err := saliency.Maps(m, dst, a, g); err != nil {
			log.Fatal(err)
		}
		fmt.Println(name, dst)
	}
	// Output:
	// gradcam [1 0 0 1]
	// gradcampp [1 0.25 0.25 1]
}

func ExampleNormalize() {
	// (m - 2) / (10 - 2): min-max to [0, 1]. The 1e-8 added to the range,
	// which keeps a constant map at 0 instead of 0/0, is below float32
	// resolution at 1.
	m := []float32{2, 4, 6, 10}
	saliency.Normalize(m)
	flat := []float32{3, 3, 3, 3}
	saliency.Normalize(flat)
	fmt.Println(m, flat)
	// Output:
	// [0 0.25 0.5 1] [0 0 0 0]
}

func ExampleUpsample() {
	// 2x2 to 4x4 with half-pixel centres: output pixel i samples the source
	// at (i + 0.5)/2 - 0.5 = -0.25, 0.25, 0.75, 1.25, clamped to [0, 1], so
	// each row [p q] becomes [p, (3p+q)/4, (p+3q)/4, q], and likewise down
	// the columns. Bilinear interpolation of a linear map is exact.
	src := []float32{0, 4, 4, 8}
	dst := make([]float32, 4*4)
	saliency.Upsample(dst, 4, 4, src, 2, 2)
	for y := range 4 {
		fmt.Println(dst[4*y : 4*y+4])
	}
	// Output:
	// [0 1 3 4]
	// [1 2 4 5]
	// [3 4 6 7]
	// [4 5 7 8]
}
