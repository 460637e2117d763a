package saliency

// GradCAMPP is Grad-CAM++ (Chattopadhyay et al. 2018) with the closed-form
// alpha for an exponential class score:
//
//	alpha_kij = g_kij^2 / (2 g_kij^2 + sum_ab A_kab * g_kij^3)
//	w_k       = sum_ij alpha_kij * ReLU(g_kij)
//
// torchcam's version divided a copy and so computed sum g^2 ReLU(g) (the
// thesis's bug 3); this one applies alpha.
type GradCAMPP struct{}

func (GradCAMPP) Name() string { return "gradcampp" }

func (GradCAMPP) Accumulate(dst []float32, a, g Planes, n int, w []float32) {
	for k := 0; k < a.C; k++ {
		var sumA float64
		for _, v := range a.Plane(n, k) {
			sumA += float64(v)
		}
		var wk float64
		for _, gv := range g.Plane(n, k) {
			if gv <= 0 {
				// alpha is multiplied by ReLU(g): no contribution, and
				// alpha is defined as 0 where g = 0.
				continue
			}
			g2 := float64(gv) * float64(gv)
			den := 2*g2 + sumA*g2*float64(gv)
			if den == 0 {
				continue
			}
			wk += g2 / den * float64(gv)
		}
		w[k] = float32(wk)
	}
	weightedSum(dst, a, n, w)
}
