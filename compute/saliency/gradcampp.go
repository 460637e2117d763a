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
	gradCAMPPWeights(a, g, n, w)
	weightedSum(dst, a, n, w)
}
