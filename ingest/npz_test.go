package ingest

import (
	"archive/zip"
	"bytes"
	"encoding/binary"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// member is one raw npz entry: name (with .npy) and bytes, written
// verbatim so tests can build files the writer would refuse to produce.
type member struct {
	name string
	data []byte
}

func writeRawNPZ(t *testing.T, members ...member) string {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, m := range members {
		w, err := zw.CreateHeader(&zip.FileHeader{Name: m.name, Method: zip.Deflate})
		if err != nil {
			t.Fatal(err)
		}
		w.Write(m.data)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(t.TempDir(), "broken.npz")
	if err := os.WriteFile(p, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func npy(descr string, fortran bool, shape []int, data []byte) []byte {
	return append(EncodeHeader(descr, fortran, shape), data...)
}

// goodMembers is a valid 2-class file: n images of 4x4 grey per split.
func goodMembers(n int) []member {
	var ms []member
	for _, s := range Splits {
		img := make([]byte, n*16)
		for i := range img {
			img[i] = byte(i)
		}
		lab := make([]byte, n)
		for i := range lab {
			lab[i] = byte(i % 2)
		}
		ms = append(ms,
			member{string(s) + "_images.npy", npy("|u1", false, []int{n, 4, 4}, img)},
			member{string(s) + "_labels.npy", npy("|u1", false, []int{n, 1}, lab)})
	}
	return ms
}

func replace(ms []member, name string, data []byte) []member {
	out := slices.Clone(ms)
	for i := range out {
		if out[i].name == name {
			out[i].data = data
		}
	}
	return out
}

var twoClass = &Info{Flag: "toy", Task: Binary, Classes: []string{"a", "b"}}

func TestReadNPZValid(t *testing.T) {
	p := writeRawNPZ(t, goodMembers(6)...)
	ds, err := ReadNPZ(p, twoClass)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range Splits {
		d := ds[s]
		if d.N != 6 || d.H != 4 || d.W != 4 || d.C != 1 || d.Split != s || d.Flag != "toy" {
			t.Errorf("%s: %+v", s, d)
		}
		if got := d.Image(1)[0]; got != 16 {
			t.Errorf("%s image 1 first pixel %d, want 16", s, got)
		}
		if !slices.Equal(d.Labels, []int{0, 1, 0, 1, 0, 1}) {
			t.Errorf("%s labels %v", s, d.Labels)
		}
	}
	// Without info: classes inferred from labels.
	d, err := ReadNPZSplit(p, Val, nil)
	if err != nil {
		t.Fatal(err)
	}
	if d.NumClasses() != 2 || d.Task != Binary || d.Flag != "broken" {
		t.Errorf("inferred %q %v %v", d.Flag, d.Classes, d.Task)
	}
}

func TestReadLabelDTypes(t *testing.T) {
	vals := []int{0, 2, 1, 2}
	enc := func(descr string, shape []int) []byte {
		dt, _ := ParseDType(descr)
		var b []byte
		for _, v := range vals {
			switch {
			case dt.Size == 1:
				b = append(b, byte(v))
			case dt.Size == 2 && dt.BigEndian:
				b = binary.BigEndian.AppendUint16(b, uint16(v))
			case dt.Size == 2:
				b = binary.LittleEndian.AppendUint16(b, uint16(v))
			case dt.Size == 4:
				b = binary.LittleEndian.AppendUint32(b, uint32(v))
			case dt.Size == 8 && dt.BigEndian:
				b = binary.BigEndian.AppendUint64(b, uint64(v))
			default:
				b = binary.LittleEndian.AppendUint64(b, uint64(v))
			}
		}
		return npy(descr, false, shape, b)
	}
	three := &Info{Flag: "toy3", Task: MultiClass, Classes: []string{"a", "b", "c"}}
	for _, descr := range []string{"|u1", "|i1", "<i2", ">i2", "<u2", "<i4", "<i8", ">i8", "<u8"} {
		for _, shape := range [][]int{{4, 1}, {4}} {
			ms := goodMembers(4)
			ms = replace(ms, "test_labels.npy", enc(descr, shape))
			d, err := ReadNPZSplit(writeRawNPZ(t, ms...), Test, three)
			if err != nil {
				t.Errorf("%s %v: %v", descr, shape, err)
				continue
			}
			if !slices.Equal(d.Labels, vals) {
				t.Errorf("%s %v: labels %v, want %v", descr, shape, d.Labels, vals)
			}
		}
	}
	// Negative values decode as negative (and then fail the range check).
	ms := replace(goodMembers(4), "test_labels.npy", npy("<i2", false, []int{4}, []byte{0, 0, 0xff, 0xff, 0, 0, 1, 0}))
	_, err := ReadNPZSplit(writeRawNPZ(t, ms...), Test, twoClass)
	if err == nil || !strings.Contains(err.Error(), "test_labels[1] = -1") {
		t.Errorf("negative label: %v", err)
	}
}

func TestReadNPZErrors(t *testing.T) {
	good := goodMembers(4)
	bigLabel := replace(good, "test_labels.npy", npy("|u1", false, []int{4, 1}, []byte{0, 1, 5, 0}))
	truncImg := replace(good, "val_images.npy", npy("|u1", false, []int{4, 4, 4}, make([]byte, 40)))
	truncLab := replace(good, "train_labels.npy", npy("<i8", false, []int{4, 1}, make([]byte, 20)))
	longImg := replace(good, "val_images.npy", npy("|u1", false, []int{4, 4, 4}, make([]byte, 65)))
	cases := []struct {
		name    string
		members []member
		want    []string
	}{
		{"missing key", good[1:], []string{`missing array "train_images"`, "broken.npz"}},
		{"fortran", replace(good, "train_images.npy", npy("|u1", true, []int{4, 4, 4}, make([]byte, 64))), []string{"train_images", "fortran_order", "C order"}},
		{"image dtype", replace(good, "test_images.npy", npy("<f4", false, []int{4, 4, 4}, make([]byte, 256))), []string{"test_images", "<f4", "uint8"}},
		{"image shape", replace(good, "test_images.npy", npy("|u1", false, []int{4, 16}, make([]byte, 64))), []string{"test_images", "(N, H, W)"}},
		{"rgba", replace(good, "test_images.npy", npy("|u1", false, []int{4, 2, 2, 4}, make([]byte, 64))), []string{"test_images", "(N, H, W, 3)"}},
		{"label dtype", replace(good, "val_labels.npy", npy("<f8", false, []int{4, 1}, make([]byte, 32))), []string{"val_labels", "<f8", "integer"}},
		{"multi-label", replace(good, "val_labels.npy", npy("|u1", false, []int{4, 3}, make([]byte, 12))), []string{"val_labels", "(N, 1)", "multi-label"}},
		{"count mismatch", replace(good, "val_labels.npy", npy("|u1", false, []int{3, 1}, make([]byte, 3))), []string{"val_labels", "3 labels", "4 images"}},
		{"label range", bigLabel, []string{"test_labels[2] = 5", "out of range", "toy has 2 classes"}},
		{"truncated images", truncImg, []string{"val_images", "truncated", "holds 168 bytes", "needs 192"}},
		{"truncated labels", truncLab, []string{"train_labels", "truncated", "needs 160"}},
		{"trailing data", longImg, []string{"val_images", "longer than"}},
		{"bad header", replace(good, "train_labels.npy", []byte("\x93NUMPY\x01\x00\x05\x00{'de")), []string{"train_labels", "npy header"}},
		{"not npy", replace(good, "train_labels.npy", []byte("hello world")), []string{"train_labels", "bad magic"}},
	}
	for _, c := range cases {
		p := writeRawNPZ(t, c.members...)
		_, err := ReadNPZ(p, twoClass)
		if err == nil {
			t.Errorf("%s: no error", c.name)
			continue
		}
		for _, w := range c.want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("%s: error %q does not mention %q", c.name, err, w)
			}
		}
	}
}

func TestReadNPZNotZip(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "fake.npz")
	os.WriteFile(p, []byte("this is not a zip archive at all"), 0o644)
	_, err := ReadNPZ(p, nil)
	if err == nil || !strings.Contains(err.Error(), "fake.npz") || !strings.Contains(err.Error(), "not an npz archive") {
		t.Errorf("non-zip: %v", err)
	}
	// A real archive cut short loses its central directory.
	good := writeRawNPZ(t, goodMembers(4)...)
	b, _ := os.ReadFile(good)
	cut := filepath.Join(dir, "cut.npz")
	os.WriteFile(cut, b[:len(b)/2], 0o644)
	if _, err := ReadNPZ(cut, nil); err == nil || !strings.Contains(err.Error(), "truncated") {
		t.Errorf("cut archive: %v", err)
	}
	if _, err := ReadNPZ(filepath.Join(dir, "absent.npz"), nil); err == nil || !strings.Contains(err.Error(), "absent.npz") {
		t.Errorf("absent file: %v", err)
	}
}

func TestCorruptMemberCRC(t *testing.T) {
	// Flip a byte inside a stored member's data: the CRC check must fire.
	d := &Dataset{Flag: "toy", Split: Train, Classes: []string{"a", "b"}, N: 2, H: 8, W: 8, C: 1,
		Images: make([]byte, 128), Labels: []int{0, 1}}
	var buf bytes.Buffer
	if err := WriteNPZ(&buf, d.Arrays(), false); err != nil {
		t.Fatal(err)
	}
	b := buf.Bytes()
	i := bytes.Index(b, []byte("), }")) // inside the first npy header
	i += bytes.IndexByte(b[i:], '\n')   // its end: data follows
	b[i+10] ^= 0xff
	p := filepath.Join(t.TempDir(), "crc.npz")
	os.WriteFile(p, b, 0o644)
	_, err := ReadNPZSplit(p, Train, twoClass)
	if err == nil || !strings.Contains(err.Error(), "checksum") || !strings.Contains(err.Error(), "train_images") {
		t.Errorf("corrupt member: %v", err)
	}
}

func TestWriteReadRoundTrip(t *testing.T) {
	classes := []string{"x", "y", "z"}
	mk := func(s Split, n, c int) *Dataset {
		d := &Dataset{Flag: "toy", Split: s, Task: MultiClass, Classes: classes, N: n, H: 5, W: 3, C: c,
			Images: make([]byte, n*15*c), Labels: make([]int, n)}
		for i := range d.Images {
			d.Images[i] = byte(i * 7)
		}
		for i := range d.Labels {
			d.Labels[i] = (i * 5) % 3
		}
		return d
	}
	for _, c := range []int{1, 3} {
		for _, compress := range []bool{false, true} {
			in := map[Split]*Dataset{Train: mk(Train, 9, c), Val: mk(Val, 2, c), Test: mk(Test, 4, c)}
			p := filepath.Join(t.TempDir(), "rt.npz")
			if err := WriteDatasetsNPZ(p, in, compress); err != nil {
				t.Fatal(err)
			}
			out, err := ReadNPZ(p, nil)
			if err != nil {
				t.Fatal(err)
			}
			for _, s := range Splits {
				a, b := in[s], out[s]
				if a.N != b.N || a.H != b.H || a.W != b.W || a.C != b.C || !bytes.Equal(a.Images, b.Images) || !slices.Equal(a.Labels, b.Labels) {
					t.Errorf("c=%d compress=%v %s: round trip differs", c, compress, s)
				}
				if !slices.Equal(b.Classes, classes) || b.Task != MultiClass {
					t.Errorf("class names from class_names array: %v %v", b.Classes, b.Task)
				}
			}
			// Byte-identical on rewrite: fixed timestamps, fixed order.
			p2 := filepath.Join(t.TempDir(), "rt.npz")
			WriteDatasetsNPZ(p2, in, compress)
			b1, _ := os.ReadFile(p)
			b2, _ := os.ReadFile(p2)
			if !bytes.Equal(b1, b2) {
				t.Errorf("c=%d compress=%v: rewrite not byte-identical", c, compress)
			}
		}
	}
}

func TestWriteRejectsInvalid(t *testing.T) {
	d := &Dataset{Split: Train, Classes: []string{"a", "b"}, N: 2, H: 2, W: 2, C: 1, Images: make([]byte, 8), Labels: []int{0, 2}}
	p := filepath.Join(t.TempDir(), "bad.npz")
	if err := WriteDatasetsNPZ(p, map[Split]*Dataset{Train: d}, true); err == nil {
		t.Error("label 2 of 2 classes written without error")
	}
	if _, err := os.Stat(p); !os.IsNotExist(err) {
		t.Errorf("failed write left %s behind", p)
	}
	if err := WriteNPY(&bytes.Buffer{}, Array{Name: "x", Descr: "<i8", Shape: []int{3}, Data: make([]byte, 5)}); err == nil {
		t.Error("WriteNPY accepted 5 bytes for 3 int64")
	}
}

func BenchmarkReadNPZSynthetic(b *testing.B) {
	cfg := DefaultSynthConfig()
	p := filepath.Join(b.TempDir(), "s.npz")
	if err := WriteSynthetic(p, cfg); err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64((cfg.Train + cfg.Val + cfg.Test) * cfg.Size * cfg.Size))
	for b.Loop() {
		if _, err := ReadNPZ(p, nil); err != nil {
			b.Fatal(err)
		}
	}
}

func TestHugeShapeDoesNotAllocate(t *testing.T) {
	// A header claiming 10^12 pixels in a tiny member must fail fast.
	ms := replace(goodMembers(4), "train_images.npy", npy("|u1", false, []int{1000000, 1000, 1000}, make([]byte, 16)))
	_, err := ReadNPZ(writeRawNPZ(t, ms...), twoClass)
	if err == nil || !strings.Contains(err.Error(), "train_images") || !strings.Contains(err.Error(), "truncated") {
		t.Errorf("huge shape: %v", err)
	}
}
