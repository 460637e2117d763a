package ingest

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/gradprint/gradprint/internal/shareddata"
)

// The real MedMNIST files in ../shared/medmnist; each test skips, naming
// the missing path, when they are absent.

type sharedWant struct {
	file       string
	flag       string
	sizes      [3]int
	side, c, k int
}

var sharedFiles = []sharedWant{
	{"breastmnist.npz", "breastmnist", [3]int{546, 78, 156}, 28, 1, 2},
	{"breastmnist_64.npz", "breastmnist", [3]int{546, 78, 156}, 64, 1, 2},
	{"retinamnist.npz", "retinamnist", [3]int{1080, 120, 400}, 28, 3, 5},
	{"pneumoniamnist_trainsubset.npz", "pneumoniamnist", [3]int{3882, 524, 624}, 28, 1, 2},
}

func TestSharedFilesLoad(t *testing.T) {
	for _, w := range sharedFiles {
		t.Run(w.file, func(t *testing.T) {
			p := shareddata.File(t, w.file)
			ds, err := ReadNPZ(p, nil)
			if err != nil {
				t.Fatal(err)
			}
			for i, s := range Splits {
				d := ds[s]
				if d.N != w.sizes[i] || d.H != w.side || d.W != w.side || d.C != w.c {
					t.Errorf("%s: %d x %dx%dx%d, want %d x %dx%dx%d", s, d.N, d.H, d.W, d.C, w.sizes[i], w.side, w.side, w.c)
				}
				if d.Flag != w.flag || d.NumClasses() != w.k {
					t.Errorf("%s: flag %s with %d classes, want %s with %d", s, d.Flag, d.NumClasses(), w.flag, w.k)
				}
				if err := d.Validate(); err != nil {
					t.Error(err)
				}
			}
		})
	}
}

func TestSharedBreastTestCounts(t *testing.T) {
	p := shareddata.File(t, "breastmnist.npz")
	d, err := ReadNPZSplit(p, Test, nil)
	if err != nil {
		t.Fatal(err)
	}
	if c := d.ClassCounts(); !slices.Equal(c, []int{42, 114}) {
		t.Errorf("breastmnist test class counts %v, want [42 114]", c)
	}
	if d.Classes[0] != "malignant" || d.Task != Binary {
		t.Errorf("classes %q task %s", d.Classes, d.Task)
	}
	// The 64px file carries the same labels.
	d64, err := ReadNPZSplit(shareddata.File(t, "breastmnist_64.npz"), Test, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(d.Labels, d64.Labels) {
		t.Error("breastmnist and breastmnist_64 test labels differ")
	}
}

func TestSharedVerify(t *testing.T) {
	official := map[string]string{
		"breastmnist.npz":    "official breastmnist size 28",
		"breastmnist_64.npz": "official breastmnist size 64",
		"retinamnist.npz":    "official retinamnist size 28",
	}
	for name, want := range official {
		r, err := VerifyFile(shareddata.File(t, name))
		if err != nil {
			t.Fatal(err)
		}
		if !r.Official || r.Summary() != want || len(r.Notes) != 0 {
			t.Errorf("%s: %q notes %v, want %q", name, r.Summary(), r.Notes, want)
		}
	}
	p := shareddata.File(t, "pneumoniamnist_trainsubset.npz")
	r, err := VerifyFile(p)
	if err != nil {
		t.Fatal(err)
	}
	if r.Official || r.MD5 != "f5b994ec7c2fe8bc81ae15cbab7c3df8" || r.Flag != "pneumoniamnist" {
		t.Errorf("%s: %s", filepath.Base(p), r.Summary())
	}
	// README: the train split lacks 826 normal images; val/test are official.
	if r.Splits[0].N != 3882 || r.Splits[0].Expected != 4708 || len(r.Notes) != 1 {
		t.Errorf("train %d (expected %d), notes %v", r.Splits[0].N, r.Splits[0].Expected, r.Notes)
	}
	if r.Splits[1].N != r.Splits[1].Expected || r.Splits[2].N != r.Splits[2].Expected {
		t.Errorf("val/test sizes differ from registry: %+v", r.Splits)
	}
}

func BenchmarkReadNPZShared(b *testing.B) {
	for _, name := range []string{"breastmnist.npz", "retinamnist.npz", "breastmnist_64.npz"} {
		b.Run(name, func(b *testing.B) {
			p := shareddata.File(b, name)
			ds, err := ReadNPZ(p, nil)
			if err != nil {
				b.Fatal(err)
			}
			var n int
			for _, d := range ds {
				n += len(d.Images)
			}
			b.SetBytes(int64(n))
			for b.Loop() {
				if _, err := ReadNPZ(p, nil); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func TestListNPZReadsTheFolderNotAGlob(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data[1]*")
	if err := os.MkdirAll(filepath.Join(dir, "sub.npz"), 0o755); err != nil {
		t.Fatal(err)
	}
	for _, n := range []string{"b.npz", "a.NPZ", "c.txt"} {
		if err := os.WriteFile(filepath.Join(dir, n), nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	got, err := ListNPZ(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || filepath.Base(got[0]) != "a.NPZ" || filepath.Base(got[1]) != "b.npz" {
		t.Fatalf("ListNPZ = %v", got)
	}
	if _, err := ListNPZ(filepath.Join(dir, "sub.npz")); err == nil || !strings.Contains(err.Error(), "no .npz files") {
		t.Fatalf("empty folder: %v", err)
	}
}

func TestHeadKeepsTheFirstImages(t *testing.T) {
	d := &Dataset{N: 3, H: 1, W: 2, C: 1, Images: []uint8{1, 2, 3, 4, 5, 6}, Labels: []int{0, 1, 0}, Classes: []string{"a", "b"}}
	h := d.Head(2)
	if h.N != 2 || !slices.Equal(h.Images, []uint8{1, 2, 3, 4}) || !slices.Equal(h.Labels, []int{0, 1}) || d.N != 3 {
		t.Fatalf("Head(2) = %+v (original %d images)", h, d.N)
	}
	if d.Head(9).N != 3 || d.Head(-1).N != 0 {
		t.Fatal("Head clamps n to 0..N")
	}
}
