package saliency

import "math"

// gradCAMPPWeightsGo writes, for each channel k of image n, the Grad-CAM++
// weight w_k = sum_i t_i / (2 + S_k t_i), t = ReLU(g), S_k = sum A_k. It is
// the reference for the cgo build's C kernel (weights_cgo.go) and adds in
// the kernel's order: eight running sums over i mod 8, then the tail, then
// the eight sums in turn, all in float64. A weight that comes out infinite
// or NaN (some 2 + S t is exactly 0) is summed again skipping those pixels.
func gradCAMPPWeightsGo(a, g Planes, n int, w []float32) {
	for k := 0; k < a.C; k++ {
		ak, gk := a.Plane(n, k), g.Plane(n, k)
		s := laneSum(ak)
		var q [8]float64
		i := 0
		for ; i+8 <= len(gk); i += 8 {
			for l := range q {
				t := float64(positive(gk[i+l]))
				q[l] += t / (2 + s*t)
			}
		}
		var r float64
		for ; i < len(gk); i++ {
			t := float64(positive(gk[i]))
			r += t / (2 + s*t)
		}
		for _, v := range q {
			r += v
		}
		if r-r != 0 {
			r = gradCAMPPWeightGuarded(gk, s)
		}
		w[k] = float32(r)
	}
}

// meanWeightsGo writes each channel's mean gradient of image n, the
// Grad-CAM weight: laneSum times 1/(H W), rounded once to float32.
func meanWeightsGo(g Planes, n int, w []float32) {
	inv := 1 / float64(g.H*g.W)
	for k := 0; k < g.C; k++ {
		w[k] = float32(laneSum(g.Plane(n, k)) * inv)
	}
}

// laneSum is the float64 sum of p in the kernels' order: eight running
// sums over i mod 8, the tail, then the eight sums.
func laneSum(p []float32) float64 {
	var q [8]float64
	i := 0
	for ; i+8 <= len(p); i += 8 {
		for l := range q {
			q[l] += float64(p[i+l])
		}
	}
	var r float64
	for ; i < len(p); i++ {
		r += float64(p[i])
	}
	for _, v := range q {
		r += v
	}
	return r
}

// gradCAMPPWeightGuarded is the weight summed pixel by pixel, leaving out
// the pixels whose denominator 2 + s t is 0 (alpha undefined there).
func gradCAMPPWeightGuarded(g []float32, s float64) float64 {
	var w float64
	for _, v := range g {
		if !(v > 0) {
			continue
		}
		t := float64(v)
		if den := 2 + s*t; den != 0 {
			w += t / den
		}
	}
	return w
}

// positive is max(v, 0) without a branch: gradient signs are close to
// random, and a mispredicted branch per pixel cost more than the arithmetic
// of the maps. A NaN with a clear sign bit passes through.
func positive(v float32) float32 {
	b := math.Float32bits(v)
	return math.Float32frombits(b &^ uint32(int32(b)>>31))
}
