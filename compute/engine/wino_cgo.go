//go:build cgo && !purego

package engine

/*
#cgo CFLAGS: -O3 -std=c11
#define GP_WINO_PAD 16
#include <stdlib.h>
#include <string.h>

// The Winograd transforms of winograd.go and wino_tiles.go in C, arranged so
// the C compiler vectorises them (an AVX2 clone is picked at load time where
// the CPU has it). They compute the same sums in the same order as the Go
// versions, which are the reference they are held to bit for bit
// (kernels_test.go; -std=c11: no fused multiply-adds).
#if defined(__x86_64__) && defined(__GNUC__)
#define GP_CLONES __attribute__((target_clones("avx2", "default")))
#else
#define GP_CLONES
#endif

#define GP_M 4
#define GP_A 6

static inline void gp_bt(const float d[6], float v[6]) {
	v[0] = 4 * d[0] - 5 * d[2] + d[4];
	v[1] = -4 * d[1] - 4 * d[2] + d[3] + d[4];
	v[2] = 4 * d[1] - 4 * d[2] - d[3] + d[4];
	v[3] = -2 * d[1] - d[2] + 2 * d[3] + d[4];
	v[4] = 2 * d[1] - d[2] - 2 * d[3] + d[4];
	v[5] = 4 * d[1] - 5 * d[3] + d[5];
}

static inline void gp_badj(const float v[6], float k[6]) {
	k[0] = 4 * v[0];
	k[1] = -4 * v[1] + 4 * v[2] - 2 * v[3] + 2 * v[4] + 4 * v[5];
	k[2] = -5 * v[0] - 4 * v[1] - 4 * v[2] - v[3] - v[4];
	k[3] = v[1] - v[2] + 2 * v[3] - 2 * v[4] - 5 * v[5];
	k[4] = v[0] + v[1] + v[2] + v[3] + v[4];
	k[5] = v[5];
}

static inline void gp_at(const float m[6], float y[4]) {
	y[0] = m[0] + m[1] + m[2] + m[3] + m[4];
	y[1] = m[1] - m[2] + 2 * m[3] - 2 * m[4];
	y[2] = m[1] + m[2] + 4 * m[3] + 4 * m[4];
	y[3] = m[1] - m[2] + 8 * m[3] - 8 * m[4] + m[5];
}

static inline void gp_aadj(const float y[4], float k[6]) {
	k[0] = y[0];
	k[1] = y[0] + y[1] + y[2] + y[3];
	k[2] = y[0] - y[1] + y[2] - y[3];
	k[3] = y[0] + 2 * y[1] + 4 * y[2] + 8 * y[3];
	k[4] = y[0] - 2 * y[1] + 4 * y[2] - 8 * y[3];
	k[5] = y[3];
}

// One 1-D transform over n tiles, from six (or four) input planes to six
// (or four) output planes. GCC vectorises these loops only through restrict
// function parameters: with restrict on block-scope pointers it kept them
// scalar (output gradient transform 3x slower).
#define GP_INLINE static inline __attribute__((always_inline))
#define GP_IN6 const float *restrict i0, const float *restrict i1, const float *restrict i2, \
	const float *restrict i3, const float *restrict i4, const float *restrict i5
#define GP_OUT6 float *restrict o0, float *restrict o1, float *restrict o2, \
	float *restrict o3, float *restrict o4, float *restrict o5

GP_INLINE void gp_bt_planes(GP_IN6, GP_OUT6, long n) {
	for (long k = 0; k < n; k++) {
		float in[6] = {i0[k], i1[k], i2[k], i3[k], i4[k], i5[k]}, o[6];
		gp_bt(in, o);
		o0[k] = o[0]; o1[k] = o[1]; o2[k] = o[2]; o3[k] = o[3]; o4[k] = o[4]; o5[k] = o[5];
	}
}

GP_INLINE void gp_badj_planes(GP_IN6, GP_OUT6, long n) {
	for (long k = 0; k < n; k++) {
		float in[6] = {i0[k], i1[k], i2[k], i3[k], i4[k], i5[k]}, o[6];
		gp_badj(in, o);
		o0[k] = o[0]; o1[k] = o[1]; o2[k] = o[2]; o3[k] = o[3]; o4[k] = o[4]; o5[k] = o[5];
	}
}

// gp_badj_add is gp_badj_planes adding into its outputs.
GP_INLINE void gp_badj_add(GP_IN6, GP_OUT6, long n) {
	for (long k = 0; k < n; k++) {
		float in[6] = {i0[k], i1[k], i2[k], i3[k], i4[k], i5[k]}, o[6];
		gp_badj(in, o);
		o0[k] += o[0]; o1[k] += o[1]; o2[k] += o[2]; o3[k] += o[3]; o4[k] += o[4]; o5[k] += o[5];
	}
}

GP_INLINE void gp_at_planes(GP_IN6, float *restrict o0, float *restrict o1, float *restrict o2, float *restrict o3, long n) {
	for (long k = 0; k < n; k++) {
		float in[6] = {i0[k], i1[k], i2[k], i3[k], i4[k], i5[k]}, o[4];
		gp_at(in, o);
		o0[k] = o[0]; o1[k] = o[1]; o2[k] = o[2]; o3[k] = o[3];
	}
}

GP_INLINE void gp_aadj_planes(const float *restrict i0, const float *restrict i1, const float *restrict i2,
		const float *restrict i3, GP_OUT6, long n) {
	for (long k = 0; k < n; k++) {
		float in[4] = {i0[k], i1[k], i2[k], i3[k]}, o[6];
		gp_aadj(in, o);
		o0[k] = o[0]; o1[k] = o[1]; o2[k] = o[2]; o3[k] = o[3]; o4[k] = o[4]; o5[k] = o[5];
	}
}

// The weight transforms work on blocks of GP_WB kernels transposed to
// tap-major order, so every step is a vector operation over the block.
#define GP_WB 64

GP_CLONES static void gp_wino_weights(const float *restrict w, float *restrict u, long pl, long p0, long p1) {
	float g[9][GP_WB], t[6][3][GP_WB];
	const float q4 = 1.0f / 4, q6 = 1.0f / 6, q12 = 1.0f / 12, q24 = 1.0f / 24;
	for (long pb = p0; pb < p1; pb += GP_WB) {
		long nb = p1 - pb < GP_WB ? p1 - pb : GP_WB;
		for (long q = 0; q < nb; q++)
			for (int k = 0; k < 9; k++) g[k][q] = w[9 * (pb + q) + k];
		// t = G g, column by column of the kernel.
		for (int c = 0; c < 3; c++)
			for (long q = 0; q < nb; q++) {
				float g0 = g[c][q], g1 = g[3 + c][q], g2 = g[6 + c][q];
				t[0][c][q] = g0 * q4;
				t[1][c][q] = -(g0 + g1 + g2) * q6;
				t[2][c][q] = -(g0 - g1 + g2) * q6;
				t[3][c][q] = g0 * q24 + g1 * q12 + g2 * q6;
				t[4][c][q] = g0 * q24 - g1 * q12 + g2 * q6;
				t[5][c][q] = g2;
			}
		// U = t Gᵀ, row by row.
		for (int r = 0; r < 6; r++) {
			float *o = u + (6 * r) * pl + pb;
			for (long q = 0; q < nb; q++) {
				float t0 = t[r][0][q], t1 = t[r][1][q], t2 = t[r][2][q];
				o[q] = t0 * q4;
				o[pl + q] = -(t0 + t1 + t2) * q6;
				o[2 * pl + q] = -(t0 - t1 + t2) * q6;
				o[3 * pl + q] = t0 * q24 + t1 * q12 + t2 * q6;
				o[4 * pl + q] = t0 * q24 - t1 * q12 + t2 * q6;
				o[5 * pl + q] = t2;
			}
		}
	}
}

GP_CLONES static void gp_wino_weight_grad(const float *restrict du, float *restrict dw, long pl, long p0, long p1) {
	float t[6][3][GP_WB], g[9][GP_WB];
	const float q4 = 1.0f / 4, q6 = 1.0f / 6, q12 = 1.0f / 12, q24 = 1.0f / 24;
	for (long pb = p0; pb < p1; pb += GP_WB) {
		long nb = p1 - pb < GP_WB ? p1 - pb : GP_WB;
		// t = dU G, row by row.
		for (int r = 0; r < 6; r++) {
			const float *b = du + (6 * r) * pl + pb;
			for (long q = 0; q < nb; q++) {
				float u0 = b[q], u1 = b[pl + q], u2 = b[2 * pl + q], u3 = b[3 * pl + q], u4 = b[4 * pl + q], u5 = b[5 * pl + q];
				t[r][0][q] = u0 * q4 - u1 * q6 - u2 * q6 + u3 * q24 + u4 * q24;
				t[r][1][q] = -u1 * q6 + u2 * q6 + u3 * q12 - u4 * q12;
				t[r][2][q] = -u1 * q6 - u2 * q6 + u3 * q6 + u4 * q6 + u5;
			}
		}
		// dg = Gᵀ t, column by column.
		for (int c = 0; c < 3; c++)
			for (long q = 0; q < nb; q++) {
				float u0 = t[0][c][q], u1 = t[1][c][q], u2 = t[2][c][q], u3 = t[3][c][q], u4 = t[4][c][q], u5 = t[5][c][q];
				g[c][q] = u0 * q4 - u1 * q6 - u2 * q6 + u3 * q24 + u4 * q24;
				g[3 + c][q] = -u1 * q6 + u2 * q6 + u3 * q12 - u4 * q12;
				g[6 + c][q] = -u1 * q6 - u2 * q6 + u3 * q6 + u4 * q6 + u5;
			}
		for (long q = 0; q < nb; q++)
			for (int k = 0; k < 9; k++) dw[9 * (pb + q) + k] = g[k][q];
	}
}

// The tile transforms keep the 36 positions of every tile in planes of the
// chunk's tiles, so the 1-D transforms between planes run over every tile of
// a channel at once. The pass inside an image (down the padded image's
// columns) runs on a zero-padded copy of it, over whole padded rows; the
// copies in and out are row memcpys. Against the phase-major layout and
// block-scope restrict pointers they replaced, the four transforms of
// layer1 at 28 px (batch 32, one goroutine) fell from 18.5 to 6.6 ms
// together, layer4's input transform from 2.8 to 0.5 ms
// (BenchmarkWinoTransforms, docs/benchmarks.md).

// gp_pad writes img (H x W) zero-padded into pp (hp x wp): one zero row
// and column before it, the rest after it.
static inline void gp_pad(const float *img, float *pp, long H, long W, long hp, long wp) {
	memset(pp, 0, wp * sizeof(float));
	for (long y = 0; y < H; y++) {
		float *row = pp + (y + 1) * wp;
		row[0] = 0;
		memcpy(row + 1, img + y * W, W * sizeof(float));
		memset(row + 1 + W, 0, (wp - 1 - W) * sizeof(float));
	}
	memset(pp + (H + 1) * wp, 0, (hp - H - 1) * wp * sizeof(float));
}

GP_CLONES static void gp_wino_input(const float *restrict x, float *restrict v, long C, long cols,
		long H, long W, long n0, long n1, long c0, long c1, long th, long tw) {
	long tc = (n1 - n0) * th * tw, plane = C * tc + GP_WINO_PAD, hw = H * W;
	long T = th * tw, hp = GP_M * th + 2, wp = GP_M * tw + 2;
	float *pp = malloc((hp * wp + 6 * wp + 36 * tc) * sizeof(float));
	float *er = pp + hp * wp, *F = er + 6 * wp; // F[(6r+q)*tc + k]: e_r at tile column q
	for (long c = c0; c < c1; c++) {
	for (long n = n0; n < n1; n++) {
		gp_pad(x + c * cols + n * hw, pp, H, W, hp, wp);
		long f0 = (n - n0) * T;
		for (long i = 0; i < th; i++) {
			// Bᵀ down every padded column of rows 4i..4i+5, then each tile's
			// six columns q picked out of the results.
			const float *d = pp + GP_M * i * wp;
			gp_bt_planes(d, d + wp, d + 2 * wp, d + 3 * wp, d + 4 * wp, d + 5 * wp,
				er, er + wp, er + 2 * wp, er + 3 * wp, er + 4 * wp, er + 5 * wp, wp);
			for (int r = 0; r < 6; r++) {
				const float *src = er + r * wp;
				float *e = F + 6 * r * tc + f0 + i * tw;
				for (long j = 0; j < tw; j++)
					for (int q = 0; q < 6; q++) e[q * tc + j] = src[GP_M * j + q];
			}
		}
	}
		// B along columns, all tiles of all images at once.
		long t0 = c * tc;
		for (int r = 0; r < 6; r++) {
			const float *f = F + 6 * r * tc;
			float *o = v + (6 * r) * plane + t0;
			gp_bt_planes(f, f + tc, f + 2 * tc, f + 3 * tc, f + 4 * tc, f + 5 * tc,
				o, o + plane, o + 2 * plane, o + 3 * plane, o + 4 * plane, o + 5 * plane, tc);
		}
	}
	free(pp);
}

GP_CLONES static void gp_wino_input_grad(const float *restrict dv, float *restrict dx, long C, long cols,
		long H, long W, long n0, long n1, long c0, long c1, long th, long tw) {
	long tc = (n1 - n0) * th * tw, plane = C * tc + GP_WINO_PAD, hw = H * W;
	long T = th * tw, hp = GP_M * th + 2, wp = GP_M * tw + 2;
	float *pp = malloc((hp * wp + 6 * wp + 36 * tc) * sizeof(float));
	float *er = pp + hp * wp, *G = er + 6 * wp; // G[(6r+q)*tc + k]: tile column q's share of e_r
	for (long c = c0; c < c1; c++) {
		long t0 = c * tc;
		// dV Bᵀ along columns, all tiles of all images at once.
		for (int r = 0; r < 6; r++) {
			const float *i = dv + (6 * r) * plane + t0;
			float *g = G + 6 * r * tc;
			gp_badj_planes(i, i + plane, i + 2 * plane, i + 3 * plane, i + 4 * plane, i + 5 * plane,
				g, g + tc, g + 2 * tc, g + 3 * tc, g + 4 * tc, g + 5 * tc, tc);
		}
	for (long n = n0; n < n1; n++) {
		long f0 = (n - n0) * T;
		memset(pp, 0, hp * wp * sizeof(float));
		for (long i = 0; i < th; i++) {
			// Row r of each tile's share, summed where neighbouring tiles
			// overlap (tile j at column 4j+q), as the Go twin sums it.
			memset(er, 0, 6 * wp * sizeof(float));
			for (int r = 0; r < 6; r++) {
				float *e = er + r * wp;
				const float *a = G + 6 * r * tc + f0 + i * tw;
				for (long j = 0; j < tw; j++)
					for (int q = 0; q < 6; q++) e[GP_M * j + q] += a[q * tc + j];
			}
			// B down each padded column, added into padded rows 4i..4i+5.
			float *d = pp + GP_M * i * wp;
			gp_badj_add(er, er + wp, er + 2 * wp, er + 3 * wp, er + 4 * wp, er + 5 * wp,
				d, d + wp, d + 2 * wp, d + 3 * wp, d + 4 * wp, d + 5 * wp, wp);
		}
		float *img = dx + c * cols + n * hw;
		for (long y = 0; y < H; y++) memcpy(img + y * W, pp + (y + 1) * wp + 1, W * sizeof(float));
	}
	}
	free(pp);
}

// gp_at_cols is Aᵀ along a tile's columns for T tiles, from the six planes
// e (T apart) into the four planes y, adding bv and, when relu (a constant
// at each call, so the loop is compiled once with and once without it),
// clamping at zero.
static inline __attribute__((always_inline)) void gp_at_cols(const float *restrict e, float *restrict y, long T, float bv, int relu) {
	float *restrict y0 = y, *restrict y1 = y + T, *restrict y2 = y + 2 * T, *restrict y3 = y + 3 * T;
	for (long k = 0; k < T; k++) {
		float in[6] = {e[k], e[T + k], e[2 * T + k], e[3 * T + k], e[4 * T + k], e[5 * T + k]}, o[4];
		gp_at(in, o);
		for (int b = 0; b < 4; b++) {
			o[b] += bv;
			if (relu) o[b] = o[b] > 0 ? o[b] : 0;
		}
		y0[k] = o[0]; y1[k] = o[1]; y2[k] = o[2]; y3[k] = o[3];
	}
}

GP_CLONES static void gp_wino_output(const float *restrict m, float *restrict y, const float *bias, int relu,
		long C, long cols, long H, long W, long n0, long n1, long c0, long c1, long th, long tw) {
	// T: the chunk's tiles, which every transform runs over at once; ti: one image's.
	long T = (n1 - n0) * th * tw, ti = th * tw, plane = C * T + GP_WINO_PAD, ohw = H * W;
	float *E = malloc((24 + 16) * T * sizeof(float)), *Y = E + 24 * T; // E[(6a+s)*T+k], Y[(4a+b)*T+k]
	for (long c = c0; c < c1; c++) {
		float bv = bias ? bias[c] : 0;
		long t0 = c * T;
		// Aᵀ along rows, all tiles at once.
		for (int s = 0; s < 6; s++) {
			const float *i = m + s * plane + t0;
			float *e = E + s * T;
			gp_at_planes(i, i + 6 * plane, i + 12 * plane, i + 18 * plane, i + 24 * plane, i + 30 * plane,
				e, e + 6 * T, e + 12 * T, e + 18 * T, T);
		}
		// Then along columns, with the bias and ReLU.
		for (int a = 0; a < 4; a++) {
			if (relu)
				gp_at_cols(E + 6 * a * T, Y + 4 * a * T, T, bv, 1);
			else
				gp_at_cols(E + 6 * a * T, Y + 4 * a * T, T, bv, 0);
		}
		for (long n = n0; n < n1; n++) {
			float *img = y + c * cols + n * ohw;
			const float *yn = Y + (n - n0) * ti;
			for (long oy = 0; oy < H; oy++) {
				// Output row oy is tile row oy/4, its columns cycling through
				// the tile's four column planes.
				const float *yr = yn + (oy & 3) * 4 * T + (oy >> 2) * tw;
				const float *p0 = yr, *p1 = yr + T, *p2 = yr + 2 * T, *p3 = yr + 3 * T;
				float *restrict row = img + oy * W;
				long j = 0;
				for (; GP_M * j + 3 < W; j++) {
					row[GP_M * j] = p0[j]; row[GP_M * j + 1] = p1[j];
					row[GP_M * j + 2] = p2[j]; row[GP_M * j + 3] = p3[j];
				}
				for (long ox = GP_M * j; ox < W; ox++) row[ox] = yr[(ox & 3) * T + j];
			}
		}
	}
	free(E);
}

GP_CLONES static void gp_wino_output_grad(const float *restrict gy, float *restrict dm, long C, long cols,
		long H, long W, long n0, long n1, long c0, long c1, long th, long tw) {
	// T: the chunk's tiles, which every transform runs over at once; ti: one image's.
	long T = (n1 - n0) * th * tw, ti = th * tw, plane = C * T + GP_WINO_PAD, ohw = H * W;
	float *D = malloc((16 + 24) * T * sizeof(float)), *E = D + 16 * T; // D[(4a+b)*T+k], E[(4r+b)*T+k]
	for (long c = c0; c < c1; c++) {
		// Tile positions past the image's last row or column stay zero.
		memset(D, 0, 16 * T * sizeof(float));
		for (long n = n0; n < n1; n++) {
			const float *img = gy + c * cols + n * ohw;
			float *dn = D + (n - n0) * ti;
			for (long oy = 0; oy < H; oy++) {
				float *dr = dn + (oy & 3) * 4 * T + (oy >> 2) * tw;
				float *p0 = dr, *p1 = dr + T, *p2 = dr + 2 * T, *p3 = dr + 3 * T;
				const float *restrict row = img + oy * W;
				long j = 0;
				for (; GP_M * j + 3 < W; j++) {
					p0[j] = row[GP_M * j]; p1[j] = row[GP_M * j + 1];
					p2[j] = row[GP_M * j + 2]; p3[j] = row[GP_M * j + 3];
				}
				for (long ox = GP_M * j; ox < W; ox++) dr[(ox & 3) * T + j] = row[ox];
			}
		}
		// A along the tile's columns (over a), all tiles at once.
		for (int b = 0; b < 4; b++) {
			const float *d = D + b * T;
			float *e = E + b * T;
			gp_aadj_planes(d, d + 4 * T, d + 8 * T, d + 12 * T, e, e + 4 * T, e + 8 * T, e + 12 * T, e + 16 * T, e + 20 * T, T);
		}
		// Then along its rows (over b) into the 36 planes.
		long t0 = c * T;
		for (int r = 0; r < 6; r++) {
			const float *e = E + 4 * r * T;
			float *o = dm + (6 * r) * plane + t0;
			gp_aadj_planes(e, e + T, e + 2 * T, e + 3 * T, o, o + plane, o + 2 * plane, o + 3 * plane, o + 4 * plane, o + 5 * plane, T);
		}
	}
	free(D);
}
*/
import "C"

import "unsafe"

// The C code lays out planes with GP_WINO_PAD, the Go code allocates them
// with winoPad: these fail to compile unless the two agree.
var (
	_ [C.GP_WINO_PAD - winoPad]struct{}
	_ [winoPad - C.GP_WINO_PAD]struct{}
)

// These check the lengths the C loops will touch, so a geometry bug panics
// in Go rather than corrupting memory.

func winoWeights(w []float32, cout, cin int, u []float32) {
	pl := winoPlane(cout, cin)
	mustLen("wino weights", w, 9*cout*cin)
	mustLen("wino transformed weights", u, winoXi*pl)
	parallelFor(cout, cin*200, func(lo, hi int) {
		C.gp_wino_weights(fp(w), fp(u), C.long(pl), C.long(lo*cin), C.long(hi*cin))
	})
}

func winoWeightGrad(du []float32, cout, cin int, dw []float32) {
	pl := winoPlane(cout, cin)
	mustLen("wino transformed weight gradient", du, winoXi*pl)
	mustLen("wino weight gradient", dw, 9*cout*cin)
	parallelFor(cout, cin*200, func(lo, hi int) {
		C.gp_wino_weight_grad(fp(du), fp(dw), C.long(pl), C.long(lo*cin), C.long(hi*cin))
	})
}

// tileArgs are the C arguments shared by the tile transforms.
func tileArgs(s Shape, g convGeom, n0, n1, c0, c1 int) (C.long, C.long, C.long, C.long, C.long, C.long, C.long, C.long, C.long, C.long) {
	if n0 < 0 || n1 > s.N || n0 > n1 || c0 < 0 || c1 > s.C || c0 > c1 {
		panic("engine: wino tile range outside the batch")
	}
	th, tw := g.tiles()
	return C.long(s.C), C.long(s.Cols()), C.long(s.H), C.long(s.W), C.long(n0), C.long(n1), C.long(c0), C.long(c1), C.long(th), C.long(tw)
}

func winoInput(x []float32, g convGeom, n0, n1, c0, c1 int, v []float32) {
	mustLen("wino input", x, g.in.Size())
	mustLen("wino tiles", v, winoXi*winoPlane(g.in.C, g.tileCount(n0, n1)))
	cc, cols, h, w, a, b, d, e, th, tw := tileArgs(g.in, g, n0, n1, c0, c1)
	C.gp_wino_input(fp(x), fp(v), cc, cols, h, w, a, b, d, e, th, tw)
}

func winoInputGrad(dv []float32, g convGeom, n0, n1, c0, c1 int, dx []float32) {
	mustLen("wino tile gradients", dv, winoXi*winoPlane(g.in.C, g.tileCount(n0, n1)))
	mustLen("wino input gradient", dx, g.in.Size())
	cc, cols, h, w, a, b, d, e, th, tw := tileArgs(g.in, g, n0, n1, c0, c1)
	C.gp_wino_input_grad(fp(dv), fp(dx), cc, cols, h, w, a, b, d, e, th, tw)
}

func winoOutput(m []float32, g convGeom, n0, n1, c0, c1 int, bias []float32, relu bool, y []float32) {
	mustLen("wino products", m, winoXi*winoPlane(g.out.C, g.tileCount(n0, n1)))
	mustLen("wino output", y, g.out.Size())
	if bias != nil {
		mustLen("wino bias", bias, g.out.C)
	}
	cc, cols, h, w, a, b, d, e, th, tw := tileArgs(g.out, g, n0, n1, c0, c1)
	C.gp_wino_output(fp(m), fp(y), fpOrNil(bias), cbool(relu), cc, cols, h, w, a, b, d, e, th, tw)
}

func winoOutputGrad(gy []float32, g convGeom, n0, n1, c0, c1 int, dm []float32) {
	mustLen("wino output gradient", gy, g.out.Size())
	mustLen("wino product gradients", dm, winoXi*winoPlane(g.out.C, g.tileCount(n0, n1)))
	cc, cols, h, w, a, b, d, e, th, tw := tileArgs(g.out, g, n0, n1, c0, c1)
	C.gp_wino_output_grad(fp(gy), fp(dm), cc, cols, h, w, a, b, d, e, th, tw)
}

func fp(s []float32) *C.float { return (*C.float)(unsafe.Pointer(unsafe.SliceData(s))) }

func mustLen(what string, s []float32, n int) {
	if len(s) < n {
		panic("engine: " + what + ": slice too short for its geometry")
	}
}
