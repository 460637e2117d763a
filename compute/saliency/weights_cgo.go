//go:build cgo && !purego

package saliency

/*
#cgo CFLAGS: -O3 -std=c11
#include <stdint.h>
#include <string.h>
#if defined(__x86_64__) && defined(__GNUC__)
#define GP_CLONES __attribute__((target_clones("avx512f", "avx2", "default")))
#else
#define GP_CLONES
#endif

// weights.go's gradCAMPPWeightsGo in C: the per-pixel division, scalar
// in Go, was most of a saliency pass's map time; here it runs eight
// float64 lanes wide. Same operations in the same order, and ISO C mode
// (-std=c11) keeps gcc from fusing multiply-adds, so C and Go agree bit
// for bit (weights_test.go).

typedef float gp_v8f __attribute__((vector_size(32)));
typedef int32_t gp_v8i __attribute__((vector_size(32)));
typedef double gp_v8d __attribute__((vector_size(64)));

static inline float gp_positive(float v) {
	int32_t b;
	memcpy(&b, &v, sizeof b);
	b &= ~(b >> 31);
	memcpy(&v, &b, sizeof v);
	return v;
}

static inline double gp_lane_sum(const float *restrict p, long m) {
	gp_v8d q = {0};
	long i = 0;
	for (; i + 8 <= m; i += 8) {
		gp_v8f v;
		memcpy(&v, p + i, sizeof v);
		q += __builtin_convertvector(v, gp_v8d);
	}
	double r = 0;
	for (; i < m; i++) r += p[i];
	for (int l = 0; l < 8; l++) r += q[l];
	return r;
}

static inline double gp_guarded(const float *restrict g, long m, double s) {
	double w = 0;
	for (long i = 0; i < m; i++) {
		if (!(g[i] > 0)) continue;
		double t = g[i], den = 2 + s * t;
		if (den != 0) w += t / den;
	}
	return w;
}

GP_CLONES static void gp_gcpp_weights(const float *restrict a, long sa, const float *restrict g, long sg,
		long c, long m, float *restrict w) {
	for (long k = 0; k < c; k++) {
		const float *ak = a + k * sa, *gk = g + k * sg;
		double s = gp_lane_sum(ak, m);
		const gp_v8d zero = {0}, two = zero + 2, sv = zero + s;
		gp_v8d q = zero;
		long i = 0;
		for (; i + 8 <= m; i += 8) {
			gp_v8i b;
			memcpy(&b, gk + i, sizeof b);
			b &= ~(b >> 31);
			gp_v8d t = __builtin_convertvector((gp_v8f)b, gp_v8d);
			q += t / (two + sv * t);
		}
		double r = 0;
		for (; i < m; i++) {
			double t = gp_positive(gk[i]);
			r += t / (2 + s * t);
		}
		for (int l = 0; l < 8; l++) r += q[l];
		if (!(r - r == 0)) r = gp_guarded(gk, m, s);
		w[k] = (float)r;
	}
}
GP_CLONES static void gp_mean_weights(const float *restrict g, long sg, long c, long m, double inv, float *restrict w) {
	for (long k = 0; k < c; k++) w[k] = (float)(gp_lane_sum(g + k * sg, m) * inv);
}
*/
import "C"

import "unsafe"

// gradCAMPPWeights is gradCAMPPWeightsGo in C, one call per image.
func gradCAMPPWeights(a, g Planes, n int, w []float32) {
	hw := a.H * a.W
	if a.C == 0 || hw == 0 {
		return
	}
	// The C reads what Plane would slice; check it as Go's bounds would.
	_, _, _ = a.Plane(n, a.C-1), g.Plane(n, a.C-1), w[a.C-1]
	if g.H*g.W != hw || g.C < a.C {
		panic("saliency: gradients do not match the activations' shape")
	}
	C.gp_gcpp_weights(fp(a.Data[n*a.StrideN:]), C.long(a.StrideC), fp(g.Data[n*g.StrideN:]), C.long(g.StrideC),
		C.long(a.C), C.long(hw), fp(w))
}

// meanWeights is meanWeightsGo in C, one call per image.
func meanWeights(g Planes, n int, w []float32) {
	hw := g.H * g.W
	if g.C == 0 || hw == 0 {
		return
	}
	_, _ = g.Plane(n, g.C-1), w[g.C-1]
	C.gp_mean_weights(fp(g.Data[n*g.StrideN:]), C.long(g.StrideC), C.long(g.C), C.long(hw), C.double(1/float64(hw)), fp(w))
}

func fp(s []float32) *C.float { return (*C.float)(unsafe.Pointer(unsafe.SliceData(s))) }
