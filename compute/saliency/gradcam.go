package saliency

// GradCAM (Selvaraju et al. 2017) weighs each channel by its mean gradient:
// w_k = mean_ij g_kij.
type GradCAM struct{}

func (GradCAM) Name() string { return "gradcam" }

func (GradCAM) Accumulate(dst []float32, a, g Planes, n int, w []float32) {
	inv := 1 / float64(a.H*a.W)
	for k := 0; k < a.C; k++ {
		w[k] = float32(planeSum(g.Plane(n, k)) * inv)
	}
	weightedSum(dst, a, n, w)
}
