// Package saliency turns the activations and gradients tapped at a layer into
// class activation maps. Each method lives in its own small file over the
// shared base here (the pytorch-grad-cam layout): a method only decides how
// activations and gradients combine; the base owns layout, ReLU,
// normalisation and upsampling.
//
// All maps of all requested layers come from one forward and one backward
// pass (see compute/resnet's Saliency); this package does no model work.
package saliency

import (
	"fmt"
	"math"
	"runtime"
	"sync"
)

// Planes addresses a 4-D float32 tensor of N images x C channels of H x W
// planes stored with arbitrary image and channel strides, so the engine's
// channel-major (C, N*H*W) buffers and NCHW buffers are read without a copy.
// Pixels inside a plane are contiguous, row-major.
type Planes struct {
	Data             []float32
	N, C, H, W       int
	StrideN, StrideC int
}

// NCHW describes a contiguous (N, C, H, W) buffer.
func NCHW(data []float32, n, c, h, w int) Planes {
	return Planes{Data: data, N: n, C: c, H: h, W: w, StrideN: c * h * w, StrideC: h * w}
}

// CNHW describes the engine's channel-major (C, N*H*W) buffer.
func CNHW(data []float32, n, c, h, w int) Planes {
	return Planes{Data: data, N: n, C: c, H: h, W: w, StrideN: h * w, StrideC: n * h * w}
}

// Plane returns channel c of image n.
func (p Planes) Plane(n, c int) []float32 {
	off := n*p.StrideN + c*p.StrideC
	return p.Data[off : off+p.H*p.W]
}

func (p Planes) check(name string) error {
	if p.N <= 0 || p.C <= 0 || p.H <= 0 || p.W <= 0 {
		return fmt.Errorf("saliency: %s has shape (%d,%d,%d,%d), want positive dims", name, p.N, p.C, p.H, p.W)
	}
	last := (p.N-1)*p.StrideN + (p.C-1)*p.StrideC + p.H*p.W
	if last > len(p.Data) {
		return fmt.Errorf("saliency: %s needs %d floats for shape (%d,%d,%d,%d), has %d", name, last, p.N, p.C, p.H, p.W, len(p.Data))
	}
	return nil
}

// Method combines the activations A and gradients G of one image at one
// layer into a raw (un-normalised, pre-ReLU) map.
type Method interface {
	// Name is the stable identifier stored in the warehouse.
	Name() string
	// Accumulate adds the method's map for image n into dst (H*W), using
	// scratch of at least C floats.
	Accumulate(dst []float32, a, g Planes, n int, scratch []float32)
}

// Methods lists the implemented methods by name.
func Methods() []Method { return []Method{GradCAMPP{}, GradCAM{}, LayerCAM{}} }

// Lookup returns the method with the given name.
func Lookup(name string) (Method, error) {
	for _, m := range Methods() {
		if m.Name() == name {
			return m, nil
		}
	}
	return nil, fmt.Errorf("saliency: unknown method %q (want gradcampp, gradcam or layercam)", name)
}

// Maps computes the raw maps ReLU(method(A, G)) of every image into dst,
// (N, H, W) contiguous. dst must hold N*H*W floats.
func Maps(m Method, dst []float32, a, g Planes) error {
	if err := a.check("activations"); err != nil {
		return err
	}
	if err := g.check("gradients"); err != nil {
		return err
	}
	if a.N != g.N || a.C != g.C || a.H != g.H || a.W != g.W {
		return fmt.Errorf("saliency: activations (%d,%d,%d,%d) and gradients (%d,%d,%d,%d) differ in shape",
			a.N, a.C, a.H, a.W, g.N, g.C, g.H, g.W)
	}
	hw := a.H * a.W
	if len(dst) < a.N*hw {
		return fmt.Errorf("saliency: dst holds %d floats, want %d", len(dst), a.N*hw)
	}
	forImages(a.N, a.C*hw, func(n0, n1 int) {
		scratch := make([]float32, a.C)
		for n := n0; n < n1; n++ {
			out := dst[n*hw : (n+1)*hw]
			clear(out)
			m.Accumulate(out, a, g, n, scratch)
			relu(out)
		}
	})
	return nil
}

// mapsSerial is the number of floats per layer (images x channels x
// pixels) below which Maps stays on the calling goroutine, where starting
// another (tens of microseconds before it runs) would cost more than it
// saves; the engine's parallelFor uses the same bound.
const mapsSerial = 1 << 15

// forImages runs fn over [0, n) images split into one contiguous range per
// core; images are independent, so the split changes no result. per is
// the floats read per image.
func forImages(n, per int, fn func(n0, n1 int)) {
	workers := min(runtime.GOMAXPROCS(0), n)
	if workers < 2 || n*per < mapsSerial {
		fn(0, n)
		return
	}
	var wg sync.WaitGroup
	for w := 1; w < workers; w++ {
		wg.Go(func() { fn(n*w/workers, n*(w+1)/workers) })
	}
	fn(0, n/workers)
	wg.Wait()
}

// weightedSum adds sum_k w_k A_k for image n into dst: the channel-weighted
// combination shared by Grad-CAM and Grad-CAM++. Four channels go through
// dst at a time, added in channel order, so the sums round as a channel by
// channel loop's would while dst is loaded and stored a quarter as often.
func weightedSum(dst []float32, a Planes, n int, w []float32) {
	k := 0
	for ; k+4 <= a.C; k += 4 {
		w0, w1, w2, w3 := w[k], w[k+1], w[k+2], w[k+3]
		a0, a1, a2, a3 := a.Plane(n, k), a.Plane(n, k+1), a.Plane(n, k+2), a.Plane(n, k+3)
		a0, a1, a2, a3 = a0[:len(dst)], a1[:len(dst)], a2[:len(dst)], a3[:len(dst)]
		for i, d := range dst {
			dst[i] = d + w0*a0[i] + w1*a1[i] + w2*a2[i] + w3*a3[i]
		}
	}
	for ; k < a.C; k++ {
		wk := w[k]
		for i, v := range a.Plane(n, k)[:len(dst)] {
			dst[i] += wk * v
		}
	}
}

func relu(x []float32) {
	for i, v := range x {
		if v < 0 {
			x[i] = 0
		}
	}
}

// normEps keeps min-max normalisation finite on constant maps, as torchcam
// and pytorch-grad-cam do.
const normEps = 1e-8

// Normalize rescales m in place to [0, 1] by min-max: (m-min)/(max-min+eps).
// A constant map becomes all zeros.
func Normalize(m []float32) {
	if len(m) == 0 {
		return
	}
	lo, hi := m[0], m[0]
	for _, v := range m {
		lo = min(lo, v)
		hi = max(hi, v)
	}
	s := 1 / (float64(hi-lo) + normEps)
	for i, v := range m {
		m[i] = float32(float64(v-lo) * s)
	}
}

// Upsample resizes the h x w map src into the oh x ow map dst with bilinear
// interpolation and half-pixel centres (PyTorch's align_corners=False), the
// resampling torchcam and pytorch-grad-cam use for display overlays.
func Upsample(dst []float32, oh, ow int, src []float32, h, w int) {
	sy := float64(h) / float64(oh)
	sx := float64(w) / float64(ow)
	for y := 0; y < oh; y++ {
		y0, y1, fy := srcCoord(y, sy, h)
		for x := 0; x < ow; x++ {
			x0, x1, fx := srcCoord(x, sx, w)
			top := float64(src[y0*w+x0])*(1-fx) + float64(src[y0*w+x1])*fx
			bot := float64(src[y1*w+x0])*(1-fx) + float64(src[y1*w+x1])*fx
			dst[y*ow+x] = float32(top*(1-fy) + bot*fy)
		}
	}
}

// srcCoord maps output index i to the two neighbouring source indices and
// the weight of the second, clamping at the borders.
func srcCoord(i int, scale float64, n int) (i0, i1 int, f float64) {
	s := (float64(i)+0.5)*scale - 0.5
	if s < 0 {
		s = 0
	}
	i0 = int(math.Floor(s))
	if i0 > n-1 {
		i0 = n - 1
	}
	i1 = min(i0+1, n-1)
	return i0, i1, s - float64(i0)
}
