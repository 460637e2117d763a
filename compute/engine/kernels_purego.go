//go:build purego || !cgo

package engine

// Without cgo (or with the purego tag) the kernels the cgo build runs in C
// (wino_cgo.go, kernels_cgo.go) are their Go reference versions. Both round
// alike: every cgo build compiles the C in ISO mode, where gcc fuses no
// multiply-add, and kernels_test.go holds C and Go bit-identical.

func winoWeights(w []float32, cout, cin int, u []float32) { winoWeightsGo(w, cout, cin, u) }

func winoWeightGrad(du []float32, cout, cin int, dw []float32) { winoWeightGradGo(du, cout, cin, dw) }

func winoInput(x []float32, g convGeom, n0, n1, c0, c1 int, v []float32) {
	winoInputGo(x, g, n0, n1, c0, c1, v)
}

func winoInputGrad(dv []float32, g convGeom, n0, n1, c0, c1 int, dx []float32) {
	winoInputGradGo(dv, g, n0, n1, c0, c1, dx)
}

func winoOutput(m []float32, g convGeom, n0, n1, c0, c1 int, bias []float32, relu bool, y []float32) {
	winoOutputGo(m, g, n0, n1, c0, c1, bias, relu, y)
}

func winoOutputGrad(gy []float32, g convGeom, n0, n1, c0, c1 int, dm []float32) {
	winoOutputGradGo(gy, g, n0, n1, c0, c1, dm)
}

func bnMoments(row []float32) (mean, variance float64) { return bnMomentsGo(row) }

func bnApply(x, res, out []float32, a, d float32, relu bool) { bnApplyGo(x, res, out, a, d, relu) }

func bnGradSums(g, y, x []float32, mean float32, relu bool, gm []float32) (sg, sgc float64) {
	return bnGradSumsGo(g, y, x, mean, relu, gm)
}

func bnGradX(g, y, x []float32, relu bool, a, c1, c0 float32, out []float32) {
	bnGradXGo(g, y, x, relu, a, c1, c0, out)
}

func bnGradEval(g, y []float32, relu bool, a float32, gm, out []float32) {
	bnGradEvalGo(g, y, relu, a, gm, out)
}

func adamUpdate(w, g, m, v []float32, h AdamHyper) { adamUpdateGo(w, g, m, v, h) }

func reluMask(g, y, out []float32) { reluMaskGo(g, y, out) }

func im2col(x []float32, g convGeom, n0, n1 int, cols []float32) { im2colGo(x, g, n0, n1, cols) }

func col2im(cols []float32, g convGeom, n0, n1 int, dx []float32) { col2imGo(cols, g, n0, n1, dx) }
