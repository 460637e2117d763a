//go:build cgo && !purego

package engine

/*
#cgo CFLAGS: -O3
#define GP_WINO_PAD 16
#include <stdlib.h>
#include <string.h>

// The loops of wino_tiles.go, line for line, so the C compiler vectorises
// them (an AVX2 clone is picked at load time where the CPU has it).
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

// gp_pad copies image img (H x W) into pad, (4*th+2) x wp zero-bordered,
// pixel (y, x) at (y+1, x+1).
static inline void gp_pad(const float *img, float *pad, long H, long W, long th, long wp) {
	memset(pad, 0, (GP_M * th + 2) * wp * sizeof(float));
	for (long y = 0; y < H; y++) memcpy(pad + (y + 1) * wp + 1, img + y * W, W * sizeof(float));
}

GP_CLONES static void gp_wino_input(const float *restrict x, float *restrict v, long C, long cols,
		long H, long W, long n0, long n1, long c0, long c1, long th, long tw) {
	long tc = (n1 - n0) * th * tw, plane = C * tc + GP_WINO_PAD, hw = H * W, wp = GP_M * tw + 2;
	float *pad = malloc((GP_M * th + 2) * wp * sizeof(float)), *buf = malloc(GP_A * wp * sizeof(float));
	float *restrict e0 = buf, *restrict e1 = buf + wp, *restrict e2 = buf + 2 * wp;
	float *restrict e3 = buf + 3 * wp, *restrict e4 = buf + 4 * wp, *restrict e5 = buf + 5 * wp;
	float *e[GP_A] = {e0, e1, e2, e3, e4, e5};
	for (long c = c0; c < c1; c++)
	for (long n = n0; n < n1; n++) {
		gp_pad(x + c * cols + n * hw, pad, H, W, th, wp);
		for (long i = 0; i < th; i++) {
			// Bᵀ along rows: padded rows 4i .. 4i+5 are image rows 4i-1 .. 4i+4.
			const float *restrict d = pad + GP_M * i * wp;
			for (long q = 0; q < wp; q++) {
				float in[6] = {d[q], d[wp + q], d[2 * wp + q], d[3 * wp + q], d[4 * wp + q], d[5 * wp + q]}, o[6];
				gp_bt(in, o);
				e0[q] = o[0]; e1[q] = o[1]; e2[q] = o[2]; e3[q] = o[3]; e4[q] = o[4]; e5[q] = o[5];
			}
			long t = c * tc + ((n - n0) * th + i) * tw;
			for (int r = 0; r < GP_A; r++) {
				float *o = v + (GP_A * r) * plane + t;
				for (long j = 0; j < tw; j++) {
					float out[6];
					gp_bt(e[r] + GP_M * j, out);
					for (int s = 0; s < GP_A; s++) o[s * plane + j] = out[s];
				}
			}
		}
	}
	free(pad);
	free(buf);
}

GP_CLONES static void gp_wino_input_grad(const float *restrict dv, float *restrict dx, long C, long cols,
		long H, long W, long n0, long n1, long c0, long c1, long th, long tw) {
	long tc = (n1 - n0) * th * tw, plane = C * tc + GP_WINO_PAD, hw = H * W, wp = GP_M * tw + 2;
	long hp = GP_M * th + 2;
	float *pad = malloc(hp * wp * sizeof(float)), *buf = malloc(GP_A * wp * sizeof(float));
	float *restrict e0 = buf, *restrict e1 = buf + wp, *restrict e2 = buf + 2 * wp;
	float *restrict e3 = buf + 3 * wp, *restrict e4 = buf + 4 * wp, *restrict e5 = buf + 5 * wp;
	float *e[GP_A] = {e0, e1, e2, e3, e4, e5};
	for (long c = c0; c < c1; c++)
	for (long n = n0; n < n1; n++) {
		// Tiles add into the zero-bordered image; its interior is dx.
		memset(pad, 0, hp * wp * sizeof(float));
		for (long i = 0; i < th; i++) {
			long t = c * tc + ((n - n0) * th + i) * tw;
			memset(buf, 0, GP_A * wp * sizeof(float));
			for (int r = 0; r < GP_A; r++) {
				const float *in = dv + (GP_A * r) * plane + t;
				float *er = e[r];
				for (long j = 0; j < tw; j++) {
					float vv[6] = {in[j], in[plane + j], in[2 * plane + j], in[3 * plane + j], in[4 * plane + j], in[5 * plane + j]}, k[6];
					gp_badj(vv, k);
					for (int q = 0; q < GP_A; q++) er[GP_M * j + q] += k[q];
				}
			}
			float *restrict d = pad + GP_M * i * wp;
			for (long q = 0; q < wp; q++) {
				float in[6] = {e0[q], e1[q], e2[q], e3[q], e4[q], e5[q]}, k[6];
				gp_badj(in, k);
				d[q] += k[0]; d[wp + q] += k[1]; d[2 * wp + q] += k[2];
				d[3 * wp + q] += k[3]; d[4 * wp + q] += k[4]; d[5 * wp + q] += k[5];
			}
		}
		float *img = dx + c * cols + n * hw;
		for (long y = 0; y < H; y++) memcpy(img + y * W, pad + (y + 1) * wp + 1, W * sizeof(float));
	}
	free(pad);
	free(buf);
}

GP_CLONES static void gp_wino_output(const float *restrict m, float *restrict y, const float *bias, int relu,
		long C, long cols, long H, long W, long n0, long n1, long c0, long c1, long th, long tw) {
	long tc = (n1 - n0) * th * tw, plane = C * tc + GP_WINO_PAD, ohw = H * W, wp = GP_M * tw + 2;
	float *buf = calloc(GP_M * wp, sizeof(float));
	for (long c = c0; c < c1; c++) {
		float b = bias ? bias[c] : 0;
		for (long n = n0; n < n1; n++) {
			float *img = y + c * cols + n * ohw;
			for (long i = 0; i < th; i++) {
				const float *ms = m + c * tc + ((n - n0) * th + i) * tw;
				for (long j = 0; j < tw; j++) {
					float e[GP_M][GP_A];
					for (int s = 0; s < GP_A; s++) {
						const float *o = ms + s * plane + j;
						float col[6] = {o[0], o[GP_A * plane], o[2 * GP_A * plane], o[3 * GP_A * plane], o[4 * GP_A * plane], o[5 * GP_A * plane]}, r4[4];
						gp_at(col, r4);
						for (int a = 0; a < GP_M; a++) e[a][s] = r4[a];
					}
					for (int a = 0; a < GP_M; a++) {
						float r4[4];
						gp_at(e[a], r4);
						for (int q = 0; q < GP_M; q++) {
							float val = r4[q] + b;
							if (relu && val < 0) val = 0;
							buf[a * wp + GP_M * j + q] = val;
						}
					}
				}
				for (int a = 0; a < GP_M; a++) {
					long oy = GP_M * i + a;
					if (oy < H) memcpy(img + oy * W, buf + a * wp, W * sizeof(float));
				}
			}
		}
	}
	free(buf);
}

GP_CLONES static void gp_wino_output_grad(const float *restrict gy, float *restrict dm, long C, long cols,
		long H, long W, long n0, long n1, long c0, long c1, long th, long tw) {
	long tc = (n1 - n0) * th * tw, plane = C * tc + GP_WINO_PAD, ohw = H * W, wp = GP_M * tw;
	// The image zero-extended to whole tiles.
	float *buf = malloc(GP_M * th * wp * sizeof(float));
	for (long c = c0; c < c1; c++)
	for (long n = n0; n < n1; n++) {
		const float *img = gy + c * cols + n * ohw;
		memset(buf, 0, GP_M * th * wp * sizeof(float));
		for (long y = 0; y < H; y++) memcpy(buf + y * wp, img + y * W, W * sizeof(float));
		for (long i = 0; i < th; i++) {
			const float *rows = buf + GP_M * i * wp;
			float *ds = dm + c * tc + ((n - n0) * th + i) * tw;
			for (long j = 0; j < tw; j++) {
				float e[GP_A][GP_M];
				for (int b = 0; b < GP_M; b++) {
					const float *o = rows + GP_M * j + b;
					float col[4] = {o[0], o[wp], o[2 * wp], o[3 * wp]}, k[6];
					gp_aadj(col, k);
					for (int r = 0; r < GP_A; r++) e[r][b] = k[r];
				}
				for (int r = 0; r < GP_A; r++) {
					float k[6];
					gp_aadj(e[r], k);
					for (int s = 0; s < GP_A; s++) ds[(GP_A * r + s) * plane + j] = k[s];
				}
			}
		}
	}
	free(buf);
}
*/
import "C"

import "unsafe"

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
