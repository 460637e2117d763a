package perturb

import (
	"fmt"
	"math/rand/v2"

	"github.com/gradprint/gradprint/compute/portmath"
)

// DefocusBlur is MedMNIST-C's (and ImageNet-C's) defocus_blur: correlation
// with an aliased disk of radius r, the disk first smoothed by a Gaussian of
// standard deviation alias (3x3, or 5x5 for r > 8), borders reflected
// without repeating the edge (OpenCV's BORDER_REFLECT_101) in both filters,
// result truncated to bytes as MedMNIST-C's astype(np.uint8) does.
//
// The disk lives on a 17x17 grid for r <= 8 (a 2r+1 grid above). OpenCV
// computes the smoothing in float32; here it is float64, which can move a
// truncated output by one grey level in rare cases.
type DefocusBlur struct {
	Radius [Severities]float64
	Alias  [Severities]float64
	Source string
}

func (DefocusBlur) Name() string { return "defocus_blur" }
func (d DefocusBlur) Describe() string {
	return "disk kernel of radius r smoothed by Gaussian(alias), reflect-101 borders, truncated; " + d.Source
}
func (d DefocusBlur) Params(s int) string {
	return fmt.Sprintf("radius=%g alias=%g", d.Radius[s-1], d.Alias[s-1])
}
func (DefocusBlur) Random() bool { return false }

// DiskKernel returns the smoothed disk of DefocusBlur and its side length.
func DiskKernel(radius, alias float64) ([]float64, int) {
	ws := NewWorkspace()
	k, n := diskKernel(ws, radius, alias)
	return append([]float64(nil), k...), n
}

func diskKernel(ws *Workspace, radius, alias float64) ([]float64, int) {
	half, gk := 8, 3
	if radius > 8 {
		half, gk = int(radius), 5
	}
	n := 2*half + 1
	buf := ws.taps(2*n*n + gk)
	disk, tmp, g := buf[:n*n], buf[n*n:2*n*n], buf[2*n*n:]
	var sum float64
	for y := -half; y <= half; y++ {
		for x := -half; x <= half; x++ {
			v := 0.0
			if float64(x*x+y*y) <= radius*radius {
				v = 1
			}
			disk[(y+half)*n+x+half] = v
			sum += v
		}
	}
	for i := range disk {
		disk[i] /= sum
	}
	// cv2.getGaussianKernel for sigma > 0: exp(-(i-(k-1)/2)^2 / (2 sigma^2)),
	// normalised.
	var gs float64
	for i := range g {
		t := float64(i - (gk-1)/2)
		g[i] = portmath.Exp(-t * t / (2 * alias * alias))
		gs += g[i]
	}
	for i := range g {
		g[i] /= gs
	}
	r := (gk - 1) / 2
	for y := 0; y < n; y++ { // rows
		for x := 0; x < n; x++ {
			var s float64
			for j := range g {
				s += g[j] * disk[y*n+reflect101(x+j-r, n)]
			}
			tmp[y*n+x] = s
		}
	}
	for y := 0; y < n; y++ { // columns
		for x := 0; x < n; x++ {
			var s float64
			for j := range g {
				s += g[j] * tmp[reflect101(y+j-r, n)*n+x]
			}
			disk[y*n+x] = s
		}
	}
	return disk, n
}

// reflect101 maps i into [0, n) as OpenCV's BORDER_REFLECT_101 (dcb|abcd|cba).
func reflect101(i, n int) int {
	if n == 1 {
		return 0
	}
	for i < 0 || i >= n {
		if i < 0 {
			i = -i
		}
		if i >= n {
			i = 2*(n-1) - i
		}
	}
	return i
}

func (d DefocusBlur) Apply(ws *Workspace, dst, src []uint8, h, w, c, severity int, _ *rand.Rand) {
	k, n := diskKernel(ws, d.Radius[severity-1], d.Alias[severity-1])
	half := n / 2
	// Taps outside the disk carry Gaussian tails of order exp(-1/(2*0.1^2))
	// = 1e-22; dropping those below 1e-15 changes a sum by less than 1e-10
	// grey levels and cuts the work to the disk's area. Each kept tap is
	// (dy, dx) in ws.o with its weight in ws.f.
	var kept int
	for _, v := range k {
		if v > 1e-15 {
			kept++
		}
	}
	idx := ws.ints(2*kept + (h + n) + (w + n))
	wts := ws.floats(kept)
	j := 0
	for i, v := range k {
		if v > 1e-15 {
			idx[2*j], idx[2*j+1] = i/n, i%n
			wts[j] = v
			j++
		}
	}
	ry, rx := idx[2*kept:2*kept+h+n], idx[2*kept+h+n:]
	for i := range ry {
		ry[i] = reflect101(i-half, h)
	}
	for i := range rx {
		rx[i] = reflect101(i-half, w)
	}
	acc := ws.floats(kept + h*w*c)[kept:]
	clear(acc)
	row := w * c
	for t, wt := range wts {
		dx := idx[2*t+1] - half
		// Columns [x0, x1) read src column x+dx directly; the rest reflect.
		x0 := min(max(-dx, 0), w)
		x1 := max(min(w-dx, w), x0)
		for y := 0; y < h; y++ {
			in := src[ry[y+idx[2*t]]*row:]
			out := acc[y*row : (y+1)*row]
			for x := 0; x < x0; x++ {
				sx := rx[x+idx[2*t+1]] * c
				for ch := 0; ch < c; ch++ {
					out[x*c+ch] += wt * float64(in[sx+ch])
				}
			}
			if x1 > x0 {
				mid := out[x0*c : x1*c]
				shifted := in[(x0+dx)*c : (x1+dx)*c]
				for j := range mid {
					mid[j] += wt * float64(shifted[j])
				}
			}
			for x := x1; x < w; x++ {
				sx := rx[x+idx[2*t+1]] * c
				for ch := 0; ch < c; ch++ {
					out[x*c+ch] += wt * float64(in[sx+ch])
				}
			}
		}
	}
	dst = dst[:len(acc)]
	for i, v := range acc {
		dst[i] = toByte(v/255, Truncate)
	}
}
