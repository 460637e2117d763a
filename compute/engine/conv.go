package engine

import (
	"fmt"

	"github.com/gradprint/gradprint/compute/gemm"
	"github.com/nlpodyssey/spago/ag"
	"github.com/nlpodyssey/spago/mat"
)

// ConvSpec is a 2-D convolution without dilation or groups.
type ConvSpec struct {
	Out         int // output channels
	KH, KW      int // kernel height and width
	Stride, Pad int // same along both axes
	ReLU        bool
	Bias        mat.Tensor // optional (Out); eval mode folds batch norm into it
	Weight      mat.Tensor // (Out, Cin*KH*KW), torchvision's (Out,Cin,KH,KW) flattened
	// Wino optionally holds WinogradWeights(Weight) for a weight that does
	// not change between passes (eval mode), saving the transform per pass.
	// Used only when the convolution runs on Winograd; no gradient reaches
	// Weight through it.
	Wino []float32
}

// colsBudget is the im2col scratch, in float32s, one worker fills per
// chunk (4 MiB): two workers' columns stay in this machine's 32 MiB L3
// while the GEMM packs them, instead of a whole-batch matrix (58 MB for
// layer1 at 28 px, batch 32) streaming through DRAM twice.
const colsBudget = 1 << 20

// convGeom is everything the kernels need, derived once.
type convGeom struct {
	in                  Shape
	out                 Shape
	kh, kw, stride, pad int
	budget              int // scratch per chunk in float32s, smaller in tests to force chunking
	algo                convAlgo
}

// convAlgo names the kernel a convolution runs on.
type convAlgo int

const (
	algoIm2col   convAlgo = iota // im2col + GEMM, any geometry
	algoWinograd                 // F(4x4, 3x3), 3x3 stride 1 padding 1 only
)

// chunks splits the batch into image ranges whose im2col matrices fit the
// budget, at least one per worker and a multiple of the worker count so the
// workers get equal shares.
func (g convGeom) chunks(workers int) [][2]int {
	per := g.k() * g.out.H * g.out.W
	budget := g.budget
	if budget <= 0 {
		budget = colsBudget
	}
	nc := (g.in.N*per + budget - 1) / budget
	nc = (nc + workers - 1) / workers * workers
	nc = max(1, min(nc, g.in.N))
	out := make([][2]int, nc)
	for i := range out {
		out[i] = [2]int{g.in.N * i / nc, g.in.N * (i + 1) / nc}
	}
	return out
}

// k is the GEMM reduction length Cin*KH*KW.
func (g convGeom) k() int { return g.in.C * g.kh * g.kw }

// sameWidth reports a stride-1 convolution that keeps the row length, whose
// im2col rows are shifted copies of whole images.
func (g convGeom) sameWidth() bool { return g.stride == 1 && g.out.W == g.in.W }

// direct reports whether the input already is the im2col matrix.
func (g convGeom) direct() bool { return g.kh == 1 && g.kw == 1 && g.stride == 1 && g.pad == 0 }

// ConvOutShape returns the output shape of spec applied to in, or an error.
func ConvOutShape(in Shape, out, kh, kw, stride, pad int) (Shape, error) {
	if err := in.valid(); err != nil {
		return Shape{}, err
	}
	if out <= 0 || kh <= 0 || kw <= 0 || stride <= 0 || pad < 0 {
		return Shape{}, fmt.Errorf("conv: bad spec out=%d kernel=%dx%d stride=%d pad=%d", out, kh, kw, stride, pad)
	}
	oh := (in.H+2*pad-kh)/stride + 1
	ow := (in.W+2*pad-kw)/stride + 1
	if in.H+2*pad < kh || in.W+2*pad < kw || oh <= 0 || ow <= 0 {
		return Shape{}, fmt.Errorf("conv: kernel %dx%d (pad %d) larger than input %dx%d", kh, kw, pad, in.H, in.W)
	}
	return Shape{N: in.N, C: out, H: oh, W: ow}, nil
}

// Conv2d returns y = relu?(conv(x, W) + b?) for x of shape in, as a graph
// node, and the output shape.
func Conv2d(ar *Arena, x mat.Tensor, in Shape, spec ConvSpec) (*ag.Operator, Shape, error) {
	os, err := ConvOutShape(in, spec.Out, spec.KH, spec.KW, spec.Stride, spec.Pad)
	if err != nil {
		return nil, Shape{}, err
	}
	if err := checkAct("conv input", x, in); err != nil {
		return nil, Shape{}, err
	}
	if err := checkMatrix("conv weight", spec.Weight, spec.Out, in.C*spec.KH*spec.KW); err != nil {
		return nil, Shape{}, err
	}
	if spec.Bias != nil {
		if err := checkVector("conv bias", spec.Bias, spec.Out); err != nil {
			return nil, Shape{}, err
		}
	}
	algo := chooseAlgo(in.C, spec.KH, spec.KW, spec.Stride, spec.Pad)
	if spec.Wino != nil {
		if algo != algoWinograd {
			return nil, Shape{}, fmt.Errorf("conv: transformed weights given for a %dx%d stride %d convolution that does not run on Winograd", spec.KH, spec.KW, spec.Stride)
		}
		if want := winoXi * winoPlane(spec.Out, in.C); len(spec.Wino) != want {
			return nil, Shape{}, fmt.Errorf("conv: %d transformed weights, want %d for %d->%d channels", len(spec.Wino), want, in.C, spec.Out)
		}
		if spec.Weight.RequiresGrad() {
			return nil, Shape{}, fmt.Errorf("conv: transformed weights given for a weight that requires gradients")
		}
	}
	op := &conv2d{ar: ar, x: x, w: spec.Weight, b: spec.Bias, relu: spec.ReLU, u: spec.Wino,
		g: convGeom{in: in, out: os, kh: spec.KH, kw: spec.KW, stride: spec.Stride, pad: spec.Pad, algo: algo}}
	return ag.NewOperator(op).Run(), os, nil
}

type conv2d struct {
	output
	ar      *Arena
	x, w, b mat.Tensor
	relu    bool
	g       convGeom
	y       []float32 // forward output, for the ReLU mask
	u       []float32 // Winograd-transformed weights, for backward
	ownU    bool      // u came from the arena (training), not the caller (eval)
}

func (c *conv2d) Operands() []mat.Tensor {
	if c.b != nil {
		return []mat.Tensor{c.x, c.w, c.b}
	}
	return []mat.Tensor{c.x, c.w}
}

// Forward: Y (Cout, P) = W (Cout, K) x cols (K, P), P = N*OH*OW, computed
// chunk by chunk of images (columns of Y) on one goroutine per core.
func (c *conv2d) Forward() (mat.Tensor, error) {
	g := c.g
	p, k, cout := g.out.Cols(), g.k(), g.out.C
	x, w := Data(c.x), Data(c.w)
	y := c.ar.Alloc(cout * p)
	var b []float32
	if c.b != nil {
		b = Data(c.b)
	}
	switch {
	case g.winograd():
		c.winoForward(x, b, y)
	case g.direct():
		gemm.Sgemm(false, false, cout, p, k, 1, w, k, x, p, 0, y, p)
		if b != nil || c.relu {
			parallelFor(cout, p, func(lo, hi int) { c.epilogue(y, b, lo, hi, 0, p) })
		}
	default:
		ohw := g.out.H * g.out.W
		forChunks(g.chunks(workers()), func(n0, n1 int) {
			c0, cp := n0*ohw, (n1-n0)*ohw
			cols := c.ar.Scratch(k * cp)
			im2col(x, g, n0, n1, cols)
			gemm.SgemmSerial(false, false, cout, cp, k, 1, w, k, cols, cp, 0, y[c0:], p)
			c.ar.Release(cols)
			if b != nil || c.relu {
				c.epilogue(y, b, 0, cout, c0, c0+cp)
			}
		})
	}
	c.y = y
	return c.set(NewTensor(y, cout, p)), nil
}

// epilogue adds the bias and applies the ReLU to channels [lo, hi) and
// columns [c0, c1) of y.
func (c *conv2d) epilogue(y, b []float32, lo, hi, c0, c1 int) {
	p := c.g.out.Cols()
	for ch := lo; ch < hi; ch++ {
		row := y[ch*p+c0 : ch*p+c1]
		bias := float32(0)
		if b != nil {
			bias = b[ch]
		}
		if c.relu {
			for i, v := range row {
				row[i] = max(v+bias, 0)
			}
		} else {
			for i := range row {
				row[i] += bias
			}
		}
	}
}

// Backward: with G = dL/dY (masked by the ReLU),
// dW = G x cols^T, db = row sums of G, dcols = W^T x G, dx = col2im(dcols),
// chunk by chunk of images; each worker sums its chunks' dW and the
// workers' sums are added at the end.
func (c *conv2d) Backward(gyT mat.Tensor) error {
	defer c.release()
	g := c.g
	p, k, cout := g.out.Cols(), g.k(), g.out.C
	gy := Data(gyT)
	if c.relu {
		masked := c.ar.Alloc(len(gy))
		defer c.ar.Free(masked)
		parallelFor(cout, p, func(lo, hi int) { reluMask(gy[lo*p:hi*p], c.y[lo*p:hi*p], masked[lo*p:hi*p]) })
		gy = masked
	}
	if requiresGrad(c.b) {
		db := c.ar.Alloc(cout)
		for ch := range db {
			var s float32
			for _, v := range gy[ch*p : (ch+1)*p] {
				s += v
			}
			db[ch] = s
		}
		c.b.AccGrad(c.ar.gradTensor(db, cout, 1))
	}
	needW, needX := requiresGrad(c.w), requiresGrad(c.x)
	if !needW && !needX {
		return nil
	}
	x, w := Data(c.x), Data(c.w)
	if g.direct() {
		if needW {
			dw := c.ar.Alloc(cout * k)
			gemm.Sgemm(false, true, cout, k, p, 1, gy, p, x, p, 0, dw, k)
			c.w.AccGrad(c.ar.gradTensor(dw, cout, k))
		}
		if needX {
			dx := c.ar.Alloc(k * p)
			gemm.Sgemm(true, false, k, p, cout, 1, w, k, gy, p, 0, dx, p)
			c.x.AccGrad(c.ar.gradTensor(dx, g.in.C, g.in.Cols()))
		}
		return nil
	}
	var dx []float32
	if needX {
		dx = c.ar.Alloc(g.in.Size())
	}
	if g.winograd() {
		return c.winoGrads(x, gy, needW, dx)
	}
	chunks := g.chunks(reduceWorkers())
	nw := min(reduceWorkers(), len(chunks))
	partial := make([][]float32, nw) // per worker dW sums
	ohw := g.out.H * g.out.W
	forChunksW(chunks, nw, func(wk, first, n0, n1 int) {
		c0, cp := n0*ohw, (n1-n0)*ohw
		// One scratch buffer serves as cols for dW and then as dcols for dx.
		buf := c.ar.Scratch(k * cp)
		defer c.ar.Release(buf)
		if needW {
			if partial[wk] == nil {
				partial[wk] = c.ar.Alloc(cout * k)
			}
			beta := float32(1)
			if first == n0 {
				beta = 0
			}
			im2col(x, g, n0, n1, buf)
			gemm.SgemmSerial(false, true, cout, k, cp, 1, gy[c0:], p, buf, cp, beta, partial[wk], k)
		}
		if needX {
			gemm.SgemmSerial(true, false, k, cp, cout, 1, w, k, gy[c0:], p, 0, buf, cp)
			col2im(buf, g, n0, n1, dx)
		}
	})
	if needW {
		dw := partial[0]
		for _, q := range partial[1:] {
			for i, v := range q {
				dw[i] += v
			}
		}
		c.w.AccGrad(c.ar.gradTensor(dw, cout, k))
	}
	if needX {
		c.x.AccGrad(c.ar.gradTensor(dx, g.in.C, g.in.Cols()))
	}
	return nil
}

// im2colGo writes, for images [n0, n1), cols[(ci,ky,kx), (n-n0,oy,ox)] =
// x[ci, n, oy*s-pad+ky, ox*s-pad+kx] (0 outside the image).
func im2colGo(x []float32, g convGeom, n0, n1 int, cols []float32) {
	in, out := g.in, g.out
	hw, ohw := in.H*in.W, out.H*out.W
	cp := (n1 - n0) * ohw
	for r := 0; r < in.C*g.kh*g.kw; r++ {
		ci, kk := r/(g.kh*g.kw), r%(g.kh*g.kw)
		ky, kx := kk/g.kw, kk%g.kw
		dst := cols[r*cp : (r+1)*cp]
		// Valid ox satisfy 0 <= ox*s - pad + kx < W.
		ox0, ox1 := validRange(out.W, in.W, g.stride, kx-g.pad)
		if g.sameWidth() {
			oy0, oy1 := validRange(out.H, in.H, 1, ky-g.pad)
			off := (ky-g.pad)*in.W + kx - g.pad
			for n := n0; n < n1; n++ {
				src := x[ci*in.Cols()+n*hw : ci*in.Cols()+(n+1)*hw]
				d := dst[(n-n0)*ohw : (n-n0+1)*ohw]
				// The valid rows are one shifted copy of the image; only
				// the columns that fell off the left or right edge (and
				// wrapped to the neighbouring row) need zeroing after it.
				lo, hi := oy0*in.W, oy1*in.W
				// Source index j+off must lie in the image; on images
				// smaller than the kernel the range can be empty.
				clo := min(max(lo, -off), hi)
				chi := max(min(hi, hw-off), clo)
				clear(d[:clo])
				if chi > clo {
					copy(d[clo:chi], src[clo+off:chi+off])
				}
				clear(d[chi:])
				for oy := oy0; oy < oy1; oy++ {
					row := d[oy*in.W : (oy+1)*in.W]
					clear(row[:ox0])
					clear(row[ox1:])
				}
			}
			continue
		}
		for n := n0; n < n1; n++ {
			src := x[ci*in.Cols()+n*hw : ci*in.Cols()+(n+1)*hw]
			for oy := 0; oy < out.H; oy++ {
				d := dst[(n-n0)*ohw+oy*out.W : (n-n0)*ohw+(oy+1)*out.W]
				iy := oy*g.stride - g.pad + ky
				if iy < 0 || iy >= in.H {
					clear(d)
					continue
				}
				srow := src[iy*in.W : (iy+1)*in.W]
				clear(d[:ox0])
				clear(d[ox1:])
				if g.stride == 1 {
					copy(d[ox0:ox1], srow[ox0+kx-g.pad:])
				} else {
					for ox := ox0; ox < ox1; ox++ {
						d[ox] = srow[ox*g.stride+kx-g.pad]
					}
				}
			}
		}
	}
}

// col2imGo is the adjoint of im2colGo for images [n0, n1): dx[ci, n, iy, ix] =
// the sum of the cols entries im2col copied from that pixel. Those images'
// part of dx is overwritten; other images' is untouched, so workers on
// disjoint image ranges never write the same memory.
func col2imGo(cols []float32, g convGeom, n0, n1 int, dx []float32) {
	in, out := g.in, g.out
	hw, ohw := in.H*in.W, out.H*out.W
	cp := (n1 - n0) * ohw
	kk := g.kh * g.kw
	for ci := 0; ci < in.C; ci++ {
		clear(dx[ci*in.Cols()+n0*hw : ci*in.Cols()+n1*hw])
		for k := 0; k < kk; k++ {
			ky, kx := k/g.kw, k%g.kw
			src := cols[(ci*kk+k)*cp : (ci*kk+k+1)*cp]
			ox0, ox1 := validRange(out.W, in.W, g.stride, kx-g.pad)
			if g.sameWidth() {
				oy0, oy1 := validRange(out.H, in.H, 1, ky-g.pad)
				off := (ky-g.pad)*in.W + kx - g.pad
				for n := n0; n < n1; n++ {
					dimg := dx[ci*in.Cols()+n*hw : ci*in.Cols()+(n+1)*hw]
					s := src[(n-n0)*ohw : (n-n0+1)*ohw]
					// Mirror of im2col's shifted copy: drop the entries of
					// padded positions (cols is scratch, ours to modify),
					// then one contiguous shifted add.
					for oy := oy0; oy < oy1; oy++ {
						row := s[oy*in.W : (oy+1)*in.W]
						clear(row[:ox0])
						clear(row[ox1:])
					}
					lo, hi := max(oy0*in.W, -off), min(oy1*in.W, hw-off)
					if lo >= hi {
						continue
					}
					d := dimg[lo+off : hi+off]
					for i, v := range s[lo:hi] {
						d[i] += v
					}
				}
				continue
			}
			for n := n0; n < n1; n++ {
				dimg := dx[ci*in.Cols()+n*hw : ci*in.Cols()+(n+1)*hw]
				for oy := 0; oy < out.H; oy++ {
					iy := oy*g.stride - g.pad + ky
					if iy < 0 || iy >= in.H {
						continue
					}
					s := src[(n-n0)*ohw+oy*out.W : (n-n0)*ohw+(oy+1)*out.W]
					drow := dimg[iy*in.W : (iy+1)*in.W]
					if g.stride == 1 {
						off := kx - g.pad
						d := drow[ox0+off : ox1+off]
						for i, v := range s[ox0:ox1] {
							d[i] += v
						}
					} else {
						for ox := ox0; ox < ox1; ox++ {
							drow[ox*g.stride+kx-g.pad] += s[ox]
						}
					}
				}
			}
		}
	}
}

// validRange returns [ox0, ox1): the output columns whose input column
// ox*stride + off lies in [0, inW).
func validRange(outW, inW, stride, off int) (int, int) {
	ox0 := 0
	if off < 0 {
		ox0 = (-off + stride - 1) / stride
	}
	ox1 := 0
	if inW-off > 0 {
		ox1 = (inW - off + stride - 1) / stride
	}
	ox1 = min(ox1, outW)
	if ox0 > ox1 {
		ox0 = ox1
	}
	return ox0, ox1
}
