//go:build cgo && !purego

package engine

/*
#cgo CFLAGS: -O3 -std=c11
#include <string.h>
#if defined(__x86_64__) && defined(__GNUC__)
#define GP_CLONES __attribute__((target_clones("avx2", "default")))
#else
#define GP_CLONES
#endif

// conv.go's im2colGo and col2imGo in C, loop for loop: Go kept their
// strided gathers and shifted adds scalar with a bounds check per element.
// The adds run in the Go order per pixel, so the two agree bit for bit
// (kernels_test.go).

static inline void gp_valid(long out_w, long in_w, long stride, long off, long *o0, long *o1) {
	long a = off < 0 ? (-off + stride - 1) / stride : 0;
	long b = in_w - off > 0 ? (in_w - off + stride - 1) / stride : 0;
	if (b > out_w) b = out_w;
	if (a > b) a = b;
	*o0 = a;
	*o1 = b;
}

static inline void gp_zero(float *p, long n) {
	if (n > 0) memset(p, 0, (size_t)n * sizeof *p);
}

static inline long gp_min(long a, long b) { return a < b ? a : b; }
static inline long gp_max(long a, long b) { return a > b ? a : b; }

GP_CLONES static void gp_im2col(const float *restrict x, long c, long nimg, long h, long w, long oh, long ow,
		long kh, long kw, long s, long pad, long n0, long n1, float *restrict cols) {
	long hw = h * w, ohw = oh * ow, cp = (n1 - n0) * ohw, plane = nimg * hw;
	int same = s == 1 && ow == w;
	for (long r = 0; r < c * kh * kw; r++) {
		long ci = r / (kh * kw), kk = r % (kh * kw), ky = kk / kw, kx = kk % kw;
		float *dst = cols + r * cp;
		long ox0, ox1;
		gp_valid(ow, w, s, kx - pad, &ox0, &ox1);
		if (same) {
			long oy0, oy1;
			gp_valid(oh, h, 1, ky - pad, &oy0, &oy1);
			long off = (ky - pad) * w + kx - pad;
			for (long n = n0; n < n1; n++) {
				const float *src = x + ci * plane + n * hw;
				float *d = dst + (n - n0) * ohw;
				long lo = oy0 * w, hi = oy1 * w;
				long clo = gp_min(gp_max(lo, -off), hi), chi = gp_max(gp_min(hi, hw - off), clo);
				gp_zero(d, clo);
				if (chi > clo) memcpy(d + clo, src + clo + off, (size_t)(chi - clo) * sizeof *d);
				gp_zero(d + chi, ohw - chi);
				for (long oy = oy0; oy < oy1; oy++) {
					gp_zero(d + oy * w, ox0);
					gp_zero(d + oy * w + ox1, w - ox1);
				}
			}
			continue;
		}
		for (long n = n0; n < n1; n++) {
			const float *src = x + ci * plane + n * hw;
			for (long oy = 0; oy < oh; oy++) {
				float *d = dst + (n - n0) * ohw + oy * ow;
				long iy = oy * s - pad + ky;
				if (iy < 0 || iy >= h) {
					gp_zero(d, ow);
					continue;
				}
				const float *srow = src + iy * w;
				long o = kx - pad;
				gp_zero(d, ox0);
				gp_zero(d + ox1, ow - ox1);
				if (s == 1) memcpy(d + ox0, srow + ox0 + o, (size_t)(ox1 - ox0) * sizeof *d);
				else if (s == 2) for (long ox = ox0; ox < ox1; ox++) d[ox] = srow[2 * ox + o];
				else for (long ox = ox0; ox < ox1; ox++) d[ox] = srow[ox * s + o];
			}
		}
	}
}

GP_CLONES static void gp_col2im(float *restrict cols, long c, long nimg, long h, long w, long oh, long ow,
		long kh, long kw, long s, long pad, long n0, long n1, float *restrict dx) {
	long hw = h * w, ohw = oh * ow, cp = (n1 - n0) * ohw, plane = nimg * hw, kk = kh * kw;
	int same = s == 1 && ow == w;
	for (long ci = 0; ci < c; ci++) {
		gp_zero(dx + ci * plane + n0 * hw, (n1 - n0) * hw);
		for (long k = 0; k < kk; k++) {
			long ky = k / kw, kx = k % kw;
			float *src = cols + (ci * kk + k) * cp;
			long ox0, ox1;
			gp_valid(ow, w, s, kx - pad, &ox0, &ox1);
			if (same) {
				long oy0, oy1;
				gp_valid(oh, h, 1, ky - pad, &oy0, &oy1);
				long off = (ky - pad) * w + kx - pad;
				for (long n = n0; n < n1; n++) {
					float *dimg = dx + ci * plane + n * hw, *sp = src + (n - n0) * ohw;
					for (long oy = oy0; oy < oy1; oy++) {
						gp_zero(sp + oy * w, ox0);
						gp_zero(sp + oy * w + ox1, w - ox1);
					}
					long lo = gp_max(oy0 * w, -off), hi = gp_min(oy1 * w, hw - off);
					for (long i = lo; i < hi; i++) dimg[i + off] += sp[i];
				}
				continue;
			}
			for (long n = n0; n < n1; n++) {
				float *dimg = dx + ci * plane + n * hw;
				for (long oy = 0; oy < oh; oy++) {
					long iy = oy * s - pad + ky;
					if (iy < 0 || iy >= h) continue;
					const float *sp = src + (n - n0) * ohw + oy * ow;
					float *drow = dimg + iy * w;
					long o = kx - pad;
					if (s == 1) for (long ox = ox0; ox < ox1; ox++) drow[ox + o] += sp[ox];
					else if (s == 2) for (long ox = ox0; ox < ox1; ox++) drow[2 * ox + o] += sp[ox];
					else for (long ox = ox0; ox < ox1; ox++) drow[ox * s + o] += sp[ox];
				}
			}
		}
	}
}
*/
import "C"

// im2colArgs checks the buffers of an im2col or col2im call against the
// geometry, as Go's bounds checks would, before the C touches them.
func im2colArgs(g convGeom, n0, n1 int, img, cols []float32) {
	if n0 < 0 || n1 > g.in.N || n0 > n1 {
		panic("engine: im2col image range outside the batch")
	}
	mustLen("im2col image", img, g.in.Size())
	mustLen("im2col columns", cols, g.k()*(n1-n0)*g.out.H*g.out.W)
}

func im2col(x []float32, g convGeom, n0, n1 int, cols []float32) {
	im2colArgs(g, n0, n1, x, cols)
	if n0 == n1 {
		return
	}
	C.gp_im2col(fp(x), C.long(g.in.C), C.long(g.in.N), C.long(g.in.H), C.long(g.in.W), C.long(g.out.H), C.long(g.out.W),
		C.long(g.kh), C.long(g.kw), C.long(g.stride), C.long(g.pad), C.long(n0), C.long(n1), fp(cols))
}

func col2im(cols []float32, g convGeom, n0, n1 int, dx []float32) {
	im2colArgs(g, n0, n1, dx, cols)
	if n0 == n1 {
		return
	}
	C.gp_col2im(fp(cols), C.long(g.in.C), C.long(g.in.N), C.long(g.in.H), C.long(g.in.W), C.long(g.out.H), C.long(g.out.W),
		C.long(g.kh), C.long(g.kw), C.long(g.stride), C.long(g.pad), C.long(n0), C.long(n1), fp(dx))
}
