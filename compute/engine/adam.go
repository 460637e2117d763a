package engine

import "math"

// AdamHyper are the per-step constants of torch.optim.Adam's update: the
// bias-corrected step size lr/(1-β1^t), 1/sqrt(1-β2^t), and the raw
// hyperparameters.
type AdamHyper struct {
	Step, InvSqrtBC2, Beta1, Beta2, Eps, WeightDecay float32
}

// AdamUpdate applies one Adam step in place to the parameters w with
// gradient g and moments m and v (all the same length):
//
//	g' = g + wd*w, m = β1 m + (1-β1) g', v = β2 v + (1-β2) g'²,
//	w -= step * m / (sqrt(v)/sqrt(1-β2^t) + eps).
func AdamUpdate(w, g, m, v []float32, h AdamHyper) { adamUpdate(w, g, m, v, h) }

// adamUpdateGo is the purego kernel and the reference for the C one.
func adamUpdateGo(w, g, m, v []float32, h AdamHyper) {
	g, m, v = g[:len(w)], m[:len(w)], v[:len(w)]
	for i := range w {
		gi := g[i] + h.WeightDecay*w[i]
		m[i] = h.Beta1*m[i] + (1-h.Beta1)*gi
		v[i] = h.Beta2*v[i] + (1-h.Beta2)*gi*gi
		w[i] -= h.Step * m[i] / (float32(math.Sqrt(float64(v[i])))*h.InvSqrtBC2 + h.Eps)
	}
}
