package reports

import (
	"path/filepath"
	"testing"

	"github.com/gradprint/gradprint/compute/perturb"
	"github.com/gradprint/gradprint/ingest"
	"github.com/gradprint/gradprint/internal/shareddata"
)

// A montage of a real BreastMNIST test image under the MedMNIST-C
// BreastMNIST preset: seven corruptions (more columns than the thesis's
// five) on a grey ultrasound image.
func TestMontageRealBreastMNIST(t *testing.T) {
	path := shareddata.File(t, "breastmnist_64.npz")
	info, err := ingest.Lookup("breastmnist")
	if err != nil {
		t.Fatal(err)
	}
	ds, err := ingest.ReadNPZSplit(path, ingest.Test, info)
	if err != nil {
		t.Fatal(err)
	}
	preset, err := perturb.Lookup("medmnist-c", "breastmnist")
	if err != nil {
		t.Fatal(err)
	}
	src := ds.Image(0)
	imgs := []MontageImage{{Corruption: "clean", Pixels: src, H: ds.H, W: ds.W, C: ds.C}}
	ws := perturb.NewWorkspace()
	for _, c := range preset.Corruptions() {
		for s := 1; s <= 5; s++ {
			dst := make([]uint8, len(src))
			if err := preset.ApplyImage(ws, dst, src, ds.H, ds.W, ds.C, c, s, 1, 0); err != nil {
				t.Fatal(err)
			}
			imgs = append(imgs, MontageImage{Corruption: c, Severity: s, Pixels: dst, H: ds.H, W: ds.W, C: ds.C})
		}
	}
	f, err := Montage(imgs, MontageOptions{})
	if err != nil {
		t.Fatal(err)
	}
	checkFigure(t, "real montage", f, DefaultWidth, 5*(1+len(preset.Corruptions())), 0)
	if err := WritePNG(filepath.Join(galleryDir(t), "montage_breastmnist_medmnist-c.png"), f.Image); err != nil {
		t.Fatal(err)
	}
}
