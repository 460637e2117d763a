package engine

// Per-channel batch-norm loops in Go: the purego kernels, and the reference
// the cgo build's C versions (bn_cgo.go) are tested against. y is the
// forward output; with relu the gradient is masked where y <= 0.

// bnMomentsGo returns the mean and biased variance of row, two passes in
// float64: the one-pass E[x²]-E[x]² cancels badly for channels with a large
// mean.
func bnMomentsGo(row []float32) (mean, variance float64) {
	// Eight running sums, then the tail, then the eight in order: the
	// order kernels_cgo.go's vectorised loop adds in, so that both round
	// alike (the deterministic build holds them bit-identical).
	m := len(row)
	var acc [8]float64
	i := 0
	for ; i+8 <= m; i += 8 {
		for k := range acc {
			acc[k] += float64(row[i+k])
		}
	}
	var s float64
	for ; i < m; i++ {
		s += float64(row[i])
	}
	for _, a := range acc {
		s += a
	}
	mean = s / float64(m)
	var sq [8]float64
	for i = 0; i+8 <= m; i += 8 {
		for k := range sq {
			d := float64(row[i+k]) - mean
			sq[k] += d * d
		}
	}
	var ss float64
	for ; i < m; i++ {
		d := float64(row[i]) - mean
		ss += d * d
	}
	for _, q := range sq {
		ss += q
	}
	return mean, ss / float64(m)
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
	masked := func(i int) float32 {
		if relu && !(y[i] > 0) {
			return 0
		}
		return g[i]
	}
	// Blocks of 256, each summed in eight lanes, then its tail, then the
	// lanes in order: kernels_cgo.go's order (see bnMomentsGo).
	for i0 := 0; i0 < m; i0 += 256 {
		i1 := min(i0+256, m)
		var s0, s1 [8]float32
		i := i0
		for ; i+8 <= i1; i += 8 {
			for k := range s0 {
				v := masked(i + k)
				if gm != nil {
					gm[i+k] = v
				}
				s0[k] += v
				s1[k] += v * (x[i+k] - mean)
			}
		}
		var r0, r1 float32
		for ; i < i1; i++ {
			v := masked(i)
			if gm != nil {
				gm[i] = v
			}
			r0 += v
			r1 += v * (x[i] - mean)
		}
		for k := range s0 {
			r0 += s0[k]
			r1 += s1[k]
		}
		sg += float64(r0)
		sgc += float64(r1)
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

// bnGradEvalGo writes g' (g masked by the ReLU of the output y, when relu)
// into gm and a*g' into out; either may be nil.
func bnGradEvalGo(g, y []float32, relu bool, a float32, gm, out []float32) {
	m := len(g)
	y = y[:m]
	for i, v := range g {
		if relu && !(y[i] > 0) {
			v = 0
		}
		if gm != nil {
			gm[i] = v
		}
		if out != nil {
			out[i] = a * v
		}
	}
}
