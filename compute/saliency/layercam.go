package saliency

// LayerCAM (Jiang et al. 2021) weighs every activation by its own positive
// gradient: map = sum_k ReLU(g_k) * A_k, keeping spatial detail that a
// per-channel weight averages away.
type LayerCAM struct{}

func (LayerCAM) Name() string { return "layercam" }

func (LayerCAM) Accumulate(dst []float32, a, g Planes, n int, _ []float32) {
	for k := 0; k < a.C; k++ {
		ap, gp := a.Plane(n, k), g.Plane(n, k)
		ap, gp = ap[:len(dst)], gp[:len(dst)]
		for i, d := range dst {
			dst[i] = d + positive(gp[i])*ap[i]
		}
	}
}
