//go:build cgo && !purego

package engine

/*
#cgo CFLAGS: -O3 -std=c11
#cgo LDFLAGS: -lm
#include <math.h>
#if defined(__x86_64__) && defined(__GNUC__)
#define GP_CLONES __attribute__((target_clones("avx2", "default")))
#else
#define GP_CLONES
#endif

// bn_rows.go's and adam.go's loops in C. Sums use eight independent
// accumulators, which the compiler can keep in one vector register without
// reassociating; bn_rows.go adds in the same order, and ISO C mode
// (-std=c11) keeps gcc from fusing multiply-adds (its GNU default), so C
// and Go agree bit for bit in every clone (kernels_test.go).

GP_CLONES static void gp_bn_moments(const float *restrict x, long m, double *mean, double *var) {
	double acc[8] = {0};
	long i = 0;
	for (; i + 8 <= m; i += 8)
		for (int k = 0; k < 8; k++) acc[k] += x[i + k];
	double s = 0;
	for (; i < m; i++) s += x[i];
	for (int k = 0; k < 8; k++) s += acc[k];
	double mu = s / m;
	double sq[8] = {0};
	for (i = 0; i + 8 <= m; i += 8)
		for (int k = 0; k < 8; k++) { double d = x[i + k] - mu; sq[k] += d * d; }
	double ss = 0;
	for (; i < m; i++) { double d = x[i] - mu; ss += d * d; }
	for (int k = 0; k < 8; k++) ss += sq[k];
	*mean = mu;
	*var = ss / m;
}

GP_CLONES static void gp_bn_apply(const float *restrict x, const float *restrict res, float *restrict out,
		long m, float a, float d, int relu) {
	if (res) {
		if (relu) for (long i = 0; i < m; i++) { float v = a * x[i] + d + res[i]; out[i] = v > 0 ? v : 0; }
		else for (long i = 0; i < m; i++) out[i] = a * x[i] + d + res[i];
	} else {
		if (relu) for (long i = 0; i < m; i++) { float v = a * x[i] + d; out[i] = v > 0 ? v : 0; }
		else for (long i = 0; i < m; i++) out[i] = a * x[i] + d;
	}
}

// GCC vector types: gp_bn_grad_sums's masked reductions did not vectorise
// as plain loops.
typedef float gp_v8f __attribute__((vector_size(32)));
typedef int gp_v8i __attribute__((vector_size(32)));
#define gp_ld(p) ({ gp_v8f v_; __builtin_memcpy(&v_, (p), sizeof v_); v_; })
#define gp_st(p, v) do { gp_v8f v_ = (v); __builtin_memcpy((p), &v_, sizeof v_); } while (0)

GP_CLONES static void gp_bn_grad_sums(const float *restrict g, const float *restrict y, const float *restrict x,
		long m, float mean, int relu, float *restrict gm, double *sg, double *sgc) {
	const gp_v8f zero = {0}, mv = zero + mean;
	double tg = 0, tc = 0;
	for (long i0 = 0; i0 < m; i0 += 256) {
		long i1 = i0 + 256 < m ? i0 + 256 : m, i = i0;
		gp_v8f s0 = zero, s1 = zero;
		for (; i + 8 <= i1; i += 8) {
			gp_v8f v = gp_ld(g + i);
			if (relu) v = (gp_v8f)((gp_v8i)v & (gp_ld(y + i) > zero));
			if (gm) gp_st(gm + i, v);
			s0 += v;
			s1 += v * (gp_ld(x + i) - mv);
		}
		float r0 = 0, r1 = 0;
		for (; i < i1; i++) {
			float v = (relu && !(y[i] > 0)) ? 0 : g[i];
			if (gm) gm[i] = v;
			r0 += v;
			r1 += v * (x[i] - mean);
		}
		for (int k = 0; k < 8; k++) { r0 += s0[k]; r1 += s1[k]; }
		tg += r0;
		tc += r1;
	}
	*sg = tg;
	*sgc = tc;
}

GP_CLONES static void gp_bn_grad_x(const float *restrict g, const float *restrict y, const float *restrict x,
		long m, int relu, float a, float c1, float c0, float *restrict out) {
	if (relu) for (long i = 0; i < m; i++) { float v = y[i] > 0 ? g[i] : 0; out[i] = a * v + c1 * x[i] + c0; }
	else for (long i = 0; i < m; i++) out[i] = a * g[i] + c1 * x[i] + c0;
}

GP_CLONES static void gp_bn_grad_eval(const float *restrict g, const float *restrict y, long m, int relu, float a,
		float *restrict gm, float *restrict out) {
	if (relu && gm && out) for (long i = 0; i < m; i++) { float v = y[i] > 0 ? g[i] : 0; gm[i] = v; out[i] = a * v; }
	else if (relu && gm) for (long i = 0; i < m; i++) gm[i] = y[i] > 0 ? g[i] : 0;
	else if (relu && out) for (long i = 0; i < m; i++) { float v = y[i] > 0 ? g[i] : 0; out[i] = a * v; }
	else {
		if (gm) for (long i = 0; i < m; i++) gm[i] = g[i];
		if (out) for (long i = 0; i < m; i++) out[i] = a * g[i];
	}
}

GP_CLONES static void gp_adam(float *restrict w, const float *restrict g, float *restrict m, float *restrict v,
		long n, float step, float inv_sqrt_bc2, float b1, float b2, float eps, float wd) {
	for (long i = 0; i < n; i++) {
		float gi = g[i] + wd * w[i];
		m[i] = b1 * m[i] + (1 - b1) * gi;
		v[i] = b2 * v[i] + (1 - b2) * gi * gi;
		w[i] -= step * m[i] / (sqrtf(v[i]) * inv_sqrt_bc2 + eps);
	}
}

GP_CLONES static void gp_relu_mask(const float *restrict g, const float *restrict y, float *restrict out, long n) {
	for (long i = 0; i < n; i++) out[i] = y[i] > 0 ? g[i] : 0;
}
*/
import "C"

func cbool(b bool) C.int {
	if b {
		return 1
	}
	return 0
}

// fpOrNil is fp for optional slices.
func fpOrNil(s []float32) *C.float {
	if s == nil {
		return nil
	}
	return fp(s)
}

func bnMoments(row []float32) (mean, variance float64) {
	if len(row) == 0 {
		return bnMomentsGo(row)
	}
	var mu, v C.double
	C.gp_bn_moments(fp(row), C.long(len(row)), &mu, &v)
	return float64(mu), float64(v)
}

func bnApply(x, res, out []float32, a, d float32, relu bool) {
	mustLen("batchnorm output", out, len(x))
	if res != nil {
		mustLen("batchnorm residual", res, len(x))
	}
	if len(x) == 0 {
		return
	}
	C.gp_bn_apply(fp(x), fpOrNil(res), fp(out), C.long(len(x)), C.float(a), C.float(d), cbool(relu))
}

func bnGradSums(g, y, x []float32, mean float32, relu bool, gm []float32) (sg, sgc float64) {
	mustLen("batchnorm output", y, len(g))
	mustLen("batchnorm input", x, len(g))
	if gm != nil {
		mustLen("batchnorm residual gradient", gm, len(g))
	}
	if len(g) == 0 {
		return 0, 0
	}
	var a, b C.double
	C.gp_bn_grad_sums(fp(g), fp(y), fp(x), C.long(len(g)), C.float(mean), cbool(relu), fpOrNil(gm), &a, &b)
	return float64(a), float64(b)
}

func bnGradX(g, y, x []float32, relu bool, a, c1, c0 float32, out []float32) {
	mustLen("batchnorm output", y, len(g))
	mustLen("batchnorm input", x, len(g))
	mustLen("batchnorm input gradient", out, len(g))
	if len(g) == 0 {
		return
	}
	C.gp_bn_grad_x(fp(g), fp(y), fp(x), C.long(len(g)), cbool(relu), C.float(a), C.float(c1), C.float(c0), fp(out))
}

func bnGradEval(g, y []float32, relu bool, a float32, gm, out []float32) {
	mustLen("batchnorm output", y, len(g))
	if gm != nil {
		mustLen("batchnorm residual gradient", gm, len(g))
	}
	if out != nil {
		mustLen("batchnorm input gradient", out, len(g))
	}
	if len(g) == 0 {
		return
	}
	C.gp_bn_grad_eval(fp(g), fp(y), C.long(len(g)), cbool(relu), C.float(a), fpOrNil(gm), fpOrNil(out))
}

func adamUpdate(w, g, m, v []float32, h AdamHyper) {
	n := len(w)
	mustLen("adam gradient", g, n)
	mustLen("adam first moment", m, n)
	mustLen("adam second moment", v, n)
	if n == 0 {
		return
	}
	C.gp_adam(fp(w), fp(g), fp(m), fp(v), C.long(n), C.float(h.Step), C.float(h.InvSqrtBC2),
		C.float(h.Beta1), C.float(h.Beta2), C.float(h.Eps), C.float(h.WeightDecay))
}

func reluMask(g, y, out []float32) {
	mustLen("relu output", y, len(g))
	mustLen("relu gradient", out, len(g))
	if len(g) == 0 {
		return
	}
	C.gp_relu_mask(fp(g), fp(y), fp(out), C.long(len(g)))
}
