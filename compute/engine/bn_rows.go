package engine

// Per-channel batch-norm loops in Go: the purego kernels, and the reference
// the cgo build's C versions (bn_cgo.go) are tested against. y is the
// forward output; with relu the gradient is masked where y <= 0.

// bnMomentsGo returns the mean and biased variance of row, two passes in
// float64: the one-pass E[x²]-E[x]² cancels badly for channels with a large
// mean.
func bnMomentsGo(row []float32) (mean, variance float64) {
	var s float64
	for _, v := range row {
		s += float64(v)
	}
	mean = s / float64(len(row))
	var ss float64
	for _, v := range row {
		d := float64(v) - mean
		ss += d * d
	}
	return mean, ss / float64(len(row))
}

// bnApplyGo writes out = relu?(a*x + d + res?).
func bnApplyGo(x, res, out []float32, a, d float32, relu bool) {
	out = out[:len(x)]
	switch {
	case res != nil && relu:
		res = res[:len(x)]
		for i, v := range x {
			out[i] = max(a*v+d+res[i], 0)
		}
	case res != nil:
		res = res[:len(x)]
		for i, v := range x {
			out[i] = a*v + d + res[i]
		}
	case relu:
		for i, v := range x {
			out[i] = max(a*v+d, 0)
		}
	default:
		for i, v := range x {
			out[i] = a*v + d
		}
	}
}

// bnGradSumsGo returns sum(g') and sum(g'*(x-mean)) for the masked
// gradient g', which it also stores in gm when gm is not nil (the
// residual's gradient). Sums run in float32 over short runs and in float64
// across them: a float64 conversion per element costs more than the loads.
func bnGradSumsGo(g, y, x []float32, mean float32, relu bool, gm []float32) (sg, sgc float64) {
	m := len(g)
	y, x = y[:m], x[:m]
	for i0 := 0; i0 < m; i0 += 256 {
		i1 := min(i0+256, m)
		var s0, s1 float32
		for i := i0; i < i1; i++ {
			v := g[i]
			if relu && y[i] <= 0 {
				v = 0
			}
			if gm != nil {
				gm[i] = v
			}
			s0 += v
			s1 += v * (x[i] - mean)
		}
		sg += float64(s0)
		sgc += float64(s1)
	}
	return sg, sgc
}

// bnGradXGo writes out = a*g' + c1*x + c0 with g' the masked gradient.
func bnGradXGo(g, y, x []float32, relu bool, a, c1, c0 float32, out []float32) {
	m := len(g)
	y, x, out = y[:m], x[:m], out[:m]
	for i, v := range g {
		if relu && y[i] <= 0 {
			v = 0
		}
		out[i] = a*v + c1*x[i] + c0
	}
}
