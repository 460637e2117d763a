package saliency

// GradCAMPP is Grad-CAM++ (Chattopadhyay et al. 2018) with the closed-form
// alpha for an exponential class score:
//
//	alpha_kij = g_kij^2 / (2 g_kij^2 + sum_ab A_kab * g_kij^3)
//	w_k       = sum_ij alpha_kij * ReLU(g_kij)
//
// torchcam's version divided a copy and so computed sum g^2 ReLU(g) (the
// thesis's bug 3); this one applies alpha, with no epsilon (REFERENCE
// section 13: at shallow layers g ~ 1e-5 and an epsilon would dominate).
//
// Where g > 0, alpha * g = g / (2 + S g) with S = sum A: the form computed
// here, which never forms g^3 (1e-15 at shallow layers) and costs one
// division. Where g <= 0 the term is 0 (alpha is defined as 0 at g = 0).
type GradCAMPP struct{}

func (GradCAMPP) Name() string { return "gradcampp" }

func (GradCAMPP) Accumulate(dst []float32, a, g Planes, n int, w []float32) {
	for k := 0; k < a.C; k++ {
		s := planeSum(a.Plane(n, k))
		wk := gradCAMPPWeight(g.Plane(n, k), s)
		if wk-wk != 0 {
			// Infinite or NaN: some 2 + S g is exactly 0. Such a pixel's
			// alpha is undefined and left out, as the loop below does.
			wk = gradCAMPPWeightGuarded(g.Plane(n, k), s)
		}
		w[k] = float32(wk)
	}
	weightedSum(dst, a, n, w)
}

// gradCAMPPWeight is sum_i ReLU(g_i) / (2 + s ReLU(g_i)): branch-free, as a
// pixel with g <= 0 adds 0 / 2.
func gradCAMPPWeight(g []float32, s float64) float64 {
	var w float64
	for _, v := range g {
		t := float64(positive(v))
		w += t / (2 + s*t)
	}
	return w
}

// gradCAMPPWeightGuarded is gradCAMPPWeight skipping the pixels whose
// denominator is 0.
func gradCAMPPWeightGuarded(g []float32, s float64) float64 {
	var w float64
	for _, v := range g {
		if v <= 0 {
			continue
		}
		t := float64(v)
		if den := 2 + s*t; den != 0 {
			w += t / den
		}
	}
	return w
}

// planeSum is the float64 sum of a plane, over four running sums so the
// additions do not wait on each other.
func planeSum(p []float32) float64 {
	var s0, s1, s2, s3 float64
	i := 0
	for ; i+4 <= len(p); i += 4 {
		s0 += float64(p[i])
		s1 += float64(p[i+1])
		s2 += float64(p[i+2])
		s3 += float64(p[i+3])
	}
	for ; i < len(p); i++ {
		s0 += float64(p[i])
	}
	return (s0 + s1) + (s2 + s3)
}
