package engine

import (
	"fmt"

	"github.com/gradprint/gradprint/compute/gemm"
)

// Winograd F(4x4, 3x3) convolution (Lavin & Gray 2016) for the 3x3,
// stride 1, padding 1 convolutions that carry almost all of ResNet18's work.
// Each 4x4 output tile is
//
//	Y = Aᵀ [ Σ_cin (G g Gᵀ) ⊙ (Bᵀ d B) ] A
//
// over the 6x6 input tile d around it, so the 144 multiply-adds per tile
// and channel pair of the direct convolution become 36, done as 36 GEMMs
// (one per position ξ of the 6x6 transformed tile):
//
//	M_ξ (Cout×T) = U_ξ (Cout×Cin) · V_ξ (Cin×T),  U = G g Gᵀ, V = Bᵀ d B.
//
// Every transform is linear, so the backward pass is the adjoint of each
// step, with the same tiles and GEMM shapes:
//
//	dM = A dY Aᵀ,  dU_ξ = dM_ξ · V_ξᵀ,  dV_ξ = U_ξᵀ · dM_ξ,
//	dd = B dV Bᵀ (added into the overlapping input tiles),  dg = Gᵀ dU G.
//
// The transforms replace im2col and col2im too: the transformed input is
// 2.25x the input instead of 9x. F(2x2, 3x3) saves only 2.25x the
// multiplications (16 per 4 outputs); F(6x6, 3x3) loses too many digits in
// float32. The transform matrices are:
//
//	Bᵀ = [4 0 -5 0 1 0; 0 -4 -4 1 1 0; 0 4 -4 -1 1 0; 0 -2 -1 2 1 0; 0 2 -1 -2 1 0; 0 4 0 -5 0 1]
//	G  = [¼ 0 0; -⅙ -⅙ -⅙; -⅙ ⅙ -⅙; 1/24 1/12 ⅙; 1/24 -1/12 ⅙; 0 0 1]
//	Aᵀ = [1 1 1 1 1 0; 0 1 -1 2 -2 0; 0 1 1 4 4 0; 0 1 -1 8 -8 1]

// winoM is the output tile size, winoA = winoM+2 the input tile size and
// winoA² the number of transformed planes.
const (
	winoM  = 4
	winoA  = winoM + 2
	winoXi = winoA * winoA
)

// winoMinC is the smallest input channel count sent to Winograd. It keeps
// the stem (1 or 3 channels, GEMM depth K = Cin) on im2col, where the
// 36 transformed planes per input channel cannot pay for themselves; the
// exact threshold is not tuned.
const winoMinC = 16

// winoBudget is the transformed-tile scratch, in float32s, of one chunk of
// images (16 MiB, input and output side). All workers share a chunk: they
// split its transforms by channel and its GEMMs by ξ, so each transformed
// weight plane is read once per chunk and dU needs no per-worker copies.
const winoBudget = 4 << 20

// winograd reports whether the convolution is one Winograd computes.
func (g convGeom) winograd() bool {
	return g.algo == algoWinograd
}

// chooseAlgo picks the kernel for a convolution of cin input channels. The
// image size does not enter: Winograd measured faster at every ResNet18
// layer size down to 4x4 (BenchmarkConv3x3).
func chooseAlgo(cin, kh, kw, stride, pad int) convAlgo {
	if kh == 3 && kw == 3 && stride == 1 && pad == 1 && cin >= winoMinC {
		return algoWinograd
	}
	return algoIm2col
}

// winoPad separates the transformed planes by one cache line more than
// their size: planes a multiple of 4 KiB apart (layer1 at 28 px: 98 pages)
// made the transforms' store streams collide in the same L1 sets and ran
// them 2-3x slower.
const winoPad = 16

// winoPlane is the distance, in float32s, between two transformed planes of
// c channels and tc tiles.
func winoPlane(c, tc int) int { return c*tc + winoPad }

// tiles returns the number of output tiles down and across one image.
func (g convGeom) tiles() (th, tw int) {
	return (g.out.H + winoM - 1) / winoM, (g.out.W + winoM - 1) / winoM
}

// UsesWinograd reports whether a convolution of cin input channels
// with this kernel, stride and padding runs on Winograd, i.e. whether
// ConvSpec.Wino applies to it.
func UsesWinograd(cin, kh, kw, stride, pad int) bool {
	return chooseAlgo(cin, kh, kw, stride, pad) == algoWinograd
}

// WinogradWeights returns the transformed weights of a (cout, cin*9)
// weight for ConvSpec.Wino, written into dst when it has the right length
// (to refresh a cache in place) and into a new slice otherwise.
func WinogradWeights(dst, w []float32, cout, cin int) ([]float32, error) {
	if len(w) != cout*cin*9 {
		return nil, fmt.Errorf("conv: %d weights, want %d*%d*9", len(w), cout, cin)
	}
	if n := winoXi * winoPlane(cout, cin); len(dst) != n {
		dst = make([]float32, n)
	}
	winoWeights(w, cout, cin, dst)
	return dst, nil
}

// WinogradWeightsLen is the length of WinogradWeights' result for a cin to
// cout convolution, for callers that allocate it themselves.
func WinogradWeightsLen(cout, cin int) int { return winoXi * winoPlane(cout, cin) }

// tileCount is the number of tiles of images [n0, n1).
func (g convGeom) tileCount(n0, n1 int) int {
	th, tw := g.tiles()
	return (n1 - n0) * th * tw
}

// winoChunks splits the batch into image ranges whose transformed tiles
// (input and output side) fit the budget.
func (g convGeom) winoChunks() [][2]int {
	th, tw := g.tiles()
	per := winoXi * (g.in.C + g.out.C) * th * tw
	budget := g.budget
	if budget <= 0 {
		budget = winoBudget
	}
	nc := max(1, min((g.in.N*per+budget-1)/budget, g.in.N))
	out := make([][2]int, nc)
	for i := range out {
		out[i] = [2]int{g.in.N * i / nc, g.in.N * (i + 1) / nc}
	}
	return out
}

// winoWeightsGo returns U = G g Gᵀ for every (cout, cin) pair, stored as 36
// row-major (Cout, Cin) matrices winoPlane(cout, cin) apart, one per tile
// position ξ.
func winoWeightsGo(w []float32, cout, cin int, u []float32) {
	pl := winoPlane(cout, cin)
	parallelFor(cout, cin*200, func(lo, hi int) {
		for p := lo * cin; p < hi*cin; p++ {
			g := w[p*9 : p*9+9 : p*9+9]
			var t [winoA][3]float32 // G g
			for c := 0; c < 3; c++ {
				col := gt(g[c], g[3+c], g[6+c])
				for r := range col {
					t[r][c] = col[r]
				}
			}
			for r := range t {
				row := gt(t[r][0], t[r][1], t[r][2])
				for s, v := range row {
					u[(winoA*r+s)*pl+p] = v
				}
			}
		}
	})
}

// winoWeightGradGo returns dg = Gᵀ dU G for every pair into dw (Cout, Cin*9),
// the adjoint of winoWeightsGo.
func winoWeightGradGo(du []float32, cout, cin int, dw []float32) {
	pl := winoPlane(cout, cin)
	parallelFor(cout, cin*200, func(lo, hi int) {
		for p := lo * cin; p < hi*cin; p++ {
			var t [winoA][3]float32 // dU G
			for r := range t {
				b := (winoA*r)*pl + p
				t[r] = gAdj(du[b], du[b+pl], du[b+2*pl], du[b+3*pl], du[b+4*pl], du[b+5*pl])
			}
			g := dw[p*9 : p*9+9 : p*9+9]
			for c := 0; c < 3; c++ {
				col := gAdj(t[0][c], t[1][c], t[2][c], t[3][c], t[4][c], t[5][c])
				g[c], g[3+c], g[6+c] = col[0], col[1], col[2]
			}
		}
	})
}

// gt is G g for one column of a kernel.
func gt(g0, g1, g2 float32) [winoA]float32 {
	const q4, q6, q12, q24 = 1.0 / 4, 1.0 / 6, 1.0 / 12, 1.0 / 24
	return [winoA]float32{
		g0 * q4,
		-(g0 + g1 + g2) * q6,
		-(g0 - g1 + g2) * q6,
		g0*q24 + g1*q12 + g2*q6,
		g0*q24 - g1*q12 + g2*q6,
		g2,
	}
}

// gAdj is Gᵀ u, the adjoint of gt.
func gAdj(u0, u1, u2, u3, u4, u5 float32) [3]float32 {
	const q4, q6, q12, q24 = 1.0 / 4, 1.0 / 6, 1.0 / 12, 1.0 / 24
	return [3]float32{
		u0*q4 - u1*q6 - u2*q6 + u3*q24 + u4*q24,
		-u1*q6 + u2*q6 + u3*q12 - u4*q12,
		-u1*q6 - u2*q6 + u3*q6 + u4*q6 + u5,
	}
}

// forXi runs fn for every transformed position ξ, the positions shared out
// over the workers (36 GEMMs of one shape: even shares).
func forXi(fn func(xi int)) {
	parallelFor(winoXi, 1<<15, func(x0, x1 int) {
		for xi := x0; xi < x1; xi++ {
			fn(xi)
		}
	})
}

// winoScratch returns the chunks of the batch and two scratch buffers of
// transformed planes for the largest chunk, input side and output side;
// the caller releases both.
func (c *conv2d) winoScratch() (chunks [][2]int, in, out []float32) {
	g := c.g
	chunks = g.winoChunks()
	most := 0
	for _, ch := range chunks {
		most = max(most, g.tileCount(ch[0], ch[1]))
	}
	return chunks, c.ar.Scratch(winoXi * winoPlane(g.in.C, most)), c.ar.Scratch(winoXi * winoPlane(g.out.C, most))
}

// winoForward computes y chunk by chunk: input transform (workers split the
// channels), one GEMM per ξ (workers split the ξ), output transform.
func (c *conv2d) winoForward(x, bias, y []float32) {
	g := c.g
	cin, cout := g.in.C, g.out.C
	upl := winoPlane(cout, cin)
	if c.u == nil {
		c.u = c.ar.Alloc(winoXi * upl)
		c.ownU = true
		winoWeights(Data(c.w), cout, cin, c.u)
	}
	chunks, v, m := c.winoScratch()
	defer c.ar.Release(v)
	defer c.ar.Release(m)
	for _, ch := range chunks {
		n0, n1 := ch[0], ch[1]
		tc := g.tileCount(n0, n1)
		pin, pout := winoPlane(cin, tc), winoPlane(cout, tc)
		parallelFor(cin, 1<<15, func(c0, c1 int) { winoInput(x, g, n0, n1, c0, c1, v) })
		forXi(func(xi int) {
			gemm.SgemmSerial(false, false, cout, tc, cin, 1, c.u[xi*upl:], cin, v[xi*pin:], tc, 0, m[xi*pout:], tc)
		})
		parallelFor(cout, 1<<15, func(c0, c1 int) { winoOutput(m, g, n0, n1, c0, c1, bias, c.relu, y) })
	}
}

// winoGrads is Backward for a Winograd convolution, chunk by chunk:
// dM = A dY Aᵀ, then dU_ξ += dM_ξ V_ξᵀ and dV_ξ = U_ξᵀ dM_ξ, then dx from
// dV; finally dW = Gᵀ dU G.
func (c *conv2d) winoGrads(x, gy []float32, needW bool, dx []float32) error {
	g := c.g
	cin, cout := g.in.C, g.out.C
	upl := winoPlane(cout, cin)
	// v holds V for dU, then dV for dx.
	chunks, v, dm := c.winoScratch()
	defer c.ar.Release(v)
	defer c.ar.Release(dm)
	if c.ownU {
		// The transformed weights (4x the weights) are dead after this
		// call: their room serves the larger gradients further up.
		defer c.ar.Free(c.u)
	}
	var du []float32
	if needW {
		// dU lives only inside this call: from the scratch pool, so all
		// convolutions share one buffer instead of each keeping its own
		// (36/9 = 4x its weight) in the step's arena.
		du = c.ar.Scratch(winoXi * upl)
		defer c.ar.Release(du)
	}
	for k, ch := range chunks {
		n0, n1 := ch[0], ch[1]
		tc := g.tileCount(n0, n1)
		pin, pout := winoPlane(cin, tc), winoPlane(cout, tc)
		parallelFor(cout, 1<<15, func(c0, c1 int) { winoOutputGrad(gy, g, n0, n1, c0, c1, dm) })
		if needW {
			beta := float32(1)
			if k == 0 {
				beta = 0
			}
			parallelFor(cin, 1<<15, func(c0, c1 int) { winoInput(x, g, n0, n1, c0, c1, v) })
			forXi(func(xi int) {
				gemm.SgemmSerial(false, true, cout, cin, tc, 1, dm[xi*pout:], tc, v[xi*pin:], tc, beta, du[xi*upl:], cin)
			})
		}
		if dx != nil {
			forXi(func(xi int) {
				gemm.SgemmSerial(true, false, cin, tc, cout, 1, c.u[xi*upl:], cin, dm[xi*pout:], tc, 0, v[xi*pin:], tc)
			})
			parallelFor(cin, 1<<15, func(c0, c1 int) { winoInputGrad(v, g, n0, n1, c0, c1, dx) })
		}
	}
	if needW {
		dw := c.ar.Alloc(cout * cin * 9)
		winoWeightGrad(du, cout, cin, dw)
		c.w.AccGrad(c.ar.gradTensor(dw, cout, cin*9))
	}
	if dx != nil {
		c.x.AccGrad(c.ar.gradTensor(dx, cin, g.in.Cols()))
	}
	return nil
}
