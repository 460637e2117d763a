package perturb

import (
	"archive/zip"
	"encoding/binary"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/gradprint/gradprint/internal/shareddata"
)

// readNPZImages reads the uint8 array `key`.npy from a MedMNIST npz file.
// A deliberately small reader for tests (the ingest package owns the real
// one): it accepts only what MedMNIST ships, C-order '|u1' arrays.
func readNPZImages(tb testing.TB, path, key string) (data []uint8, n, h, w, c int) {
	tb.Helper()
	zr, err := zip.OpenReader(path)
	if err != nil {
		tb.Fatalf("%s: %v", path, err)
	}
	defer zr.Close()
	for _, f := range zr.File {
		if f.Name != key+".npy" {
			continue
		}
		rc, err := f.Open()
		if err != nil {
			tb.Fatalf("%s %s: %v", path, f.Name, err)
		}
		defer rc.Close()
		raw, err := io.ReadAll(rc)
		if err != nil {
			tb.Fatalf("%s %s: %v", path, f.Name, err)
		}
		if len(raw) < 10 || string(raw[1:6]) != "NUMPY" {
			tb.Fatalf("%s %s: not an npy array", path, f.Name)
		}
		var hl, off int
		if raw[6] == 1 {
			hl, off = int(binary.LittleEndian.Uint16(raw[8:10])), 10
		} else {
			hl, off = int(binary.LittleEndian.Uint32(raw[8:12])), 12
		}
		header := string(raw[off : off+hl])
		if !strings.Contains(header, "'|u1'") || strings.Contains(header, "'fortran_order': True") {
			tb.Fatalf("%s %s: header %q: want C-order |u1", path, f.Name, header)
		}
		m := regexp.MustCompile(`'shape': \(([0-9, ]+)\)`).FindStringSubmatch(header)
		if m == nil {
			tb.Fatalf("%s %s: no shape in header %q", path, f.Name, header)
		}
		var dims []int
		for _, s := range strings.Split(m[1], ",") {
			if s = strings.TrimSpace(s); s != "" {
				d, _ := strconv.Atoi(s)
				dims = append(dims, d)
			}
		}
		c = 1
		if len(dims) == 4 {
			c = dims[3]
		}
		n, h, w = dims[0], dims[1], dims[2]
		data = raw[off+hl:]
		if len(data) != n*h*w*c {
			tb.Fatalf("%s %s: %d bytes for shape %v", path, f.Name, len(data), dims)
		}
		return data, n, h, w, c
	}
	tb.Fatalf("%s: no %s.npy", path, key)
	return
}

// TestRealImagesDistortionGrowsWithSeverity repeats the severity-order check
// on real test images, where the synthetic image could be unrepresentative.
func TestRealImagesDistortionGrowsWithSeverity(t *testing.T) {
	for _, tc := range []struct {
		file, dataset string
	}{
		{"breastmnist.npz", "breastmnist"},
		{"breastmnist_64.npz", "breastmnist"},
		{"retinamnist.npz", "retinamnist"},
	} {
		path := shareddata.File(t, tc.file)
		imgs, n, h, w, c := readNPZImages(t, path, "test_images")
		const use = 24
		if n < use {
			t.Fatalf("%s: %d test images, want at least %d", path, n, use)
		}
		size := h * w * c
		ws := NewWorkspace()
		dst := make([]uint8, size)
		for _, preset := range []string{"imagenet-c", "cifar-c", "medmnist-c"} {
			p := mustLookup(t, preset, tc.dataset)
			for _, name := range p.Corruptions() {
				var d [Severities]float64
				for s := 1; s <= Severities; s++ {
					var sum float64
					for i := 0; i < use; i++ {
						src := imgs[i*size : (i+1)*size]
						// Common random numbers across severities, as in
						// meanAbsDistortion.
						if err := p.Apply(ws, dst, src, h, w, c, name, s, DeriveSeed(5, int64(i), name, 0)); err != nil {
							t.Fatal(err)
						}
						for j := range src {
							diff := int(dst[j]) - int(src[j])
							sum += float64(max(diff, -diff))
						}
					}
					d[s-1] = sum / float64(use*size)
				}
				key := fmt.Sprintf("%s/%s %s %dx%dx%d", p.Name, p.Dataset, name, h, w, c)
				inv, known := knownInversions[key]
				for s := 1; s < Severities; s++ {
					if d[s] < d[s-1] && !(known && s == inv) {
						t.Errorf("%s on %s: distortion falls from s%d to s%d: %.3f", key, tc.file, s, s+1, d)
					}
				}
				if !(d[4] > d[0]) {
					t.Errorf("%s on %s: distortion %.3f, want s5 > s1", key, tc.file, d)
				}
			}
		}
	}
}

// BenchmarkRealBreastMNISTThesisWorkload corrupts every BreastMNIST test
// image under the thesis's 25 variants (imagenet-c, 5 corruptions x 5
// severities), the perturbation share of the full analysis.
func BenchmarkRealBreastMNISTThesisWorkload(b *testing.B) {
	path := shareddata.File(b, "breastmnist.npz")
	imgs, n, h, w, c := readNPZImages(b, path, "test_images")
	p := mustLookup(b, "imagenet-c", "")
	ws := NewWorkspace()
	size := h * w * c
	dst := make([]uint8, size)
	names := p.Corruptions()
	b.ReportAllocs()
	for b.Loop() {
		for i := 0; i < n; i++ {
			src := imgs[i*size : (i+1)*size]
			for _, name := range names {
				for s := 1; s <= Severities; s++ {
					if err := p.ApplyImage(ws, dst, src, h, w, c, name, s, 1, int64(i)); err != nil {
						b.Fatal(err)
					}
				}
			}
		}
	}
	b.ReportMetric(float64(n*25*b.N)/b.Elapsed().Seconds(), "variants/s")
}
