package perturb

import (
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/gradprint/gradprint/compute/portmath"
)

// MotionBlur is ImageMagick's MotionBlurImage, which ImageNet-C, CIFAR-10-C
// and MedMNIST-C call through Wand with an angle drawn from U(-45°, 45°).
//
// The kernel has width 2*ceil(radius)+1 with one-sided weights
// exp(-i²/(2 sigma²)), i = 0..width-1, normalised to sum 1. Output pixel
// (y, x) is sum_i k_i * in(y + dy_i, x + dx_i) with dx_i = ceil(i*cos(a) -
// 0.5) and dy_i = ceil(i*sin(a) - 0.5): nearest-pixel shifts, rounded as
// ImageMagick rounds them, and coordinates outside the image clamped to the
// edge (ImageMagick's default "edge" virtual pixels). Unlike the pure-numpy
// port in the imagecorruptions package, taps whose shift exceeds the image
// are kept (clamped), not dropped, so the weights always sum to one and a
// flat image stays flat. The result is rounded, as ImageMagick's 8-bit PNG
// output is.
type MotionBlur struct {
	Radius [Severities]float64
	Sigma  [Severities]float64
	Source string
}

func (MotionBlur) Name() string { return "motion_blur" }
func (m MotionBlur) Describe() string {
	return "ImageMagick motion blur, one-sided Gaussian kernel of width 2r+1, angle ~ U(-45°, 45°), edge-clamped, nearest-pixel shifts; " + m.Source
}
func (m MotionBlur) Params(s int) string {
	return fmt.Sprintf("radius=%g sigma=%g", m.Radius[s-1], m.Sigma[s-1])
}
func (MotionBlur) Random() bool { return true }

// MotionKernel returns the normalised one-sided kernel for radius and sigma.
func MotionKernel(radius, sigma float64) []float64 {
	k := make([]float64, motionWidth(radius))
	fillMotionKernel(k, sigma)
	return k
}

func motionWidth(radius float64) int { return 2*int(math.Ceil(radius)) + 1 }

func fillMotionKernel(k []float64, sigma float64) {
	// ImageMagick's MagickSigma guards sigma = 0 the same way.
	if math.Abs(sigma) < 1e-12 {
		sigma = 1e-12
	}
	var sum float64
	for i := range k {
		k[i] = portmath.Exp(-float64(i*i) / (2 * sigma * sigma))
		sum += k[i]
	}
	for i := range k {
		k[i] /= sum
	}
}

func (m MotionBlur) Apply(ws *Workspace, dst, src []uint8, h, w, c, severity int, rng *rand.Rand) {
	angle := rng.Float64()*90 - 45
	m.blur(ws, dst, src, h, w, c, m.Radius[severity-1], m.Sigma[severity-1], angle)
}

// blur applies the motion blur at a given angle in degrees.
func (MotionBlur) blur(ws *Workspace, dst, src []uint8, h, w, c int, radius, sigma, angle float64) {
	width := motionWidth(radius)
	k := ws.taps(width)
	fillMotionKernel(k, sigma)
	off := ws.ints(2 * width)
	sin, cos := math.Sincos(angle * math.Pi / 180)
	for i := 0; i < width; i++ {
		off[2*i] = int(math.Ceil(float64(i)*cos - 0.5))
		off[2*i+1] = int(math.Ceil(float64(i)*sin - 0.5))
	}
	acc := ws.floats(h * w * c)
	clear(acc)
	row := w * c
	for i := 0; i < width; i++ {
		wt := k[i]
		dx, dy := off[2*i], off[2*i+1]
		// Columns in [x0, x1) read in-range pixels; the rest read the edge.
		x0 := min(max(-dx, 0), w)
		x1 := max(min(w-dx, w), x0)
		for y := 0; y < h; y++ {
			sy := min(max(y+dy, 0), h-1)
			in := src[sy*row : (sy+1)*row]
			out := acc[y*row : (y+1)*row]
			for x := 0; x < x0; x++ {
				for ch := 0; ch < c; ch++ {
					out[x*c+ch] += wt * float64(in[ch])
				}
			}
			if x1 > x0 {
				mid := out[x0*c : x1*c]
				shifted := in[(x0+dx)*c : (x1+dx)*c]
				for j := range mid {
					mid[j] += wt * float64(shifted[j])
				}
			}
			last := in[(w-1)*c:]
			for x := x1; x < w; x++ {
				for ch := 0; ch < c; ch++ {
					out[x*c+ch] += wt * float64(last[ch])
				}
			}
		}
	}
	dst = dst[:len(acc)]
	for i, v := range acc {
		dst[i] = roundByte(v)
	}
}
