package saliency

// GradCAM (Selvaraju et al. 2017) weighs each channel by its mean gradient:
// w_k = mean_ij g_kij.
type GradCAM struct{}

func (GradCAM) Name() string { return "gradcam" }

func (GradCAM) Accumulate(dst []float32, a, g Planes, n int, w []float32) {
	meanWeights(g, n, w)
	weightedSum(dst, a, n, w)
}
