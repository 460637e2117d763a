package ingest

import (
	"archive/zip"
	"bytes"
	"compress/flate"
	"encoding/binary"
	"hash/crc32"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// member is one raw npz entry: name (with .npy) and bytes, written
// verbatim so tests can build files the writer would refuse to produce.
type member struct {
	name string
	data []byte
	// rawSize, when set, means data is already a deflate stream of that
	// many bytes with CRC-32 crc, written as is.
	rawSize uint64
	crc     uint32
}

func writeRawNPZ(t *testing.T, members ...member) string {
	t.Helper()
	return writeNamedNPZ(t, "broken.npz", members...)
}

// writeNamedNPZ is writeRawNPZ under a chosen base name, which decides how
// the loader resolves classes (registry name, name prefix or neither).
func writeNamedNPZ(t *testing.T, name string, members ...member) string {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, m := range members {
		create := zw.CreateHeader
		hdr := &zip.FileHeader{Name: m.name, Method: zip.Deflate}
		if m.rawSize > 0 {
			create = zw.CreateRaw
			hdr.CompressedSize64, hdr.UncompressedSize64, hdr.CRC32 = uint64(len(m.data)), m.rawSize, m.crc
		}
		w, err := create(hdr)
		if err != nil {
			t.Fatal(err)
		}
		w.Write(m.data)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(t.TempDir(), name)
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
			member{name: string(s) + "_images.npy", data: npy("|u1", false, []int{n, 4, 4}, img)},
			member{name: string(s) + "_labels.npy", data: npy("|u1", false, []int{n, 1}, lab)})
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

// zeroMember is a deflated member holding prefix then n >= 2 MiB zero
// bytes, built in time proportional to its compressed size: deflate blocks
// encoding zeros against a window of zeros can be repeated, so one 1 MiB
// block is compressed once and copied.
func zeroMember(t *testing.T, name string, prefix []byte, n int64) member {
	t.Helper()
	const chunk = 1 << 20
	if n < 2*chunk {
		t.Fatalf("zeroMember wants at least %d zeros, got %d", 2*chunk, n)
	}
	zeros := make([]byte, chunk)
	var buf bytes.Buffer
	fw, err := flate.NewWriter(&buf, flate.BestCompression)
	if err != nil {
		t.Fatal(err)
	}
	// Flush ends each segment on a byte boundary, so segments concatenate.
	fw.Write(append(slices.Clone(prefix), zeros...))
	fw.Flush()
	first := buf.Len()
	fw.Write(zeros)
	fw.Flush()
	middle := slices.Clone(buf.Bytes()[first:])
	m, rest := (n-chunk)/chunk, (n-chunk)%chunk
	fw.Write(zeros[:rest])
	fw.Close()
	tail := buf.Bytes()[first+len(middle):]
	data := slices.Concat(buf.Bytes()[:first], bytes.Repeat(middle, int(m)), tail)
	crc := crc32.Update(crc32.ChecksumIEEE(prefix), crc32.IEEETable, zeros[:rest])
	for range n / chunk {
		crc = crc32.Update(crc, crc32.IEEETable, zeros)
	}
	return member{name: name, data: data, rawSize: uint64(len(prefix)) + uint64(n), crc: crc}
}

// allocDuring returns the bytes allocated while f runs.
func allocDuring(f func()) uint64 {
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	f()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

// allocOver runs f and reports whether it allocated more than bound bytes.
// TotalAlloc counts the whole process, and under fuzzing the engine's own
// goroutines allocate beside f; an input that really allocates past the
// bound does so every time, noise does not repeat, so an over-bound reading
// is measured once more before it counts.
func allocOver(bound uint64, f func()) (uint64, bool) {
	var n uint64
	for range 2 {
		if n = allocDuring(f); n <= bound {
			return n, false
		}
	}
	return n, true
}

// TestDecompressionBombsRefusedFromHeaders: the reproducer (a 1.5 MB npz
// whose train_images inflate to 1.5 GB of zeros, with one label too few)
// once made train allocate 1.5 GB before finding the count mismatch. Now
// every header is checked first: such files are refused allocating almost
// nothing, by ReadNPZ and VerifyFile alike, and a consistent file that
// inflates past MaxBombRatio is refused as a bomb.
func TestDecompressionBombsRefusedFromHeaders(t *testing.T) {
	big := func(n int) member {
		return zeroMember(t, "train_images.npy", EncodeHeader("|u1", false, []int{n, 224, 224}), int64(n*224*224))
	}
	lab := func(s string, n int) member {
		return member{name: s + "_labels.npy", data: npy("|u1", false, []int{n, 1}, make([]byte, n))}
	}
	img := func(s string, n, side int) member {
		return member{name: s + "_images.npy", data: npy("|u1", false, []int{n, side, side}, make([]byte, n*side*side))}
	}
	file := func(train ...member) []member {
		return append(train, img("val", 1, 224), lab("val", 1), img("test", 1, 224), lab("test", 1))
	}
	const under = 1000 // 1000 x 224 x 224 = 50 MB, below BombFloor
	cases := []struct {
		name    string
		members []member
		want    string
	}{
		{"1.5 GB, one label short", file(big(30000), lab("train", 29999)),
			"train_images: shape [30000 224 224] |u1 declares 1505280128 bytes in a 1488764-byte compressed member, more than 100:1; refused as a decompression bomb"},
		{"1.5 GB, consistent", file(big(30000), lab("train", 30000)), "refused as a decompression bomb"},
		{"50 MB, one label short", file(big(under), lab("train", under-1)), "train_labels: 999 labels but train_images has 1000 images"},
		{"50 MB, val geometry differs", replace(file(big(under), lab("train", under)), "val_images.npy", img("val", 1, 28).data),
			"val_images: images 28x28x1, but train images are 224x224x1"},
		{"50 MB, test labels truncated", replace(file(big(under), lab("train", under)), "test_labels.npy", npy("|u1", false, []int{1, 1}, nil)),
			"test_labels: truncated data: member holds 128 bytes, shape [1 1] |u1 needs 129"},
		{"50 MB, test labels float", replace(file(big(under), lab("train", under)), "test_labels.npy", npy("<f4", false, []int{1}, make([]byte, 4))),
			"test_labels: dtype <f4"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := writeRawNPZ(t, c.members...)
			if st, err := os.Stat(p); err != nil || st.Size() > 2<<20 {
				t.Fatalf("bomb file: %v, %d bytes", err, st.Size())
			}
			var lerr, verr error
			if n := allocDuring(func() { _, lerr = ReadNPZ(p, nil) }); n > 4<<20 {
				t.Errorf("ReadNPZ allocated %d bytes", n)
			}
			if n := allocDuring(func() { _, verr = VerifyFile(p) }); n > 4<<20 {
				t.Errorf("VerifyFile allocated %d bytes", n)
			}
			if lerr == nil || !strings.Contains(lerr.Error(), c.want) {
				t.Fatalf("ReadNPZ: %v, want it to mention %q", lerr, c.want)
			}
			if verr == nil || verr.Error() != lerr.Error() {
				t.Errorf("VerifyFile: %v, want ReadNPZ's error", verr)
			}
			t.Log(lerr)
		})
	}
	// The control: the same 50 MB file, consistent, loads, and its pixels
	// show up in the allocation measured above.
	p := writeRawNPZ(t, file(big(under), lab("train", under))...)
	var ds map[Split]*Dataset
	var err error
	if n := allocDuring(func() { ds, err = ReadNPZ(p, nil) }); err != nil || n < under*224*224 {
		t.Fatalf("consistent 50 MB file: %v, allocated %d bytes", err, n)
	}
	if ds[Train].N != under || len(ds[Train].Images) != under*224*224 {
		t.Errorf("train %d images, %d bytes", ds[Train].N, len(ds[Train].Images))
	}
	if _, err := VerifyFile(p); err != nil {
		t.Errorf("VerifyFile: %v", err)
	}
}

// declared is an array as opened from a stored member that holds exactly
// what shape and descr declare, in a file large enough for it, so the
// limits can be tested at their boundaries without writing gigabytes.
func declared(t *testing.T, descr string, shape ...int) *array {
	t.Helper()
	hdr, err := ParseHeader(EncodeHeader(descr, false, shape))
	if err != nil {
		t.Fatal(err)
	}
	dt, err := ParseDType(descr)
	if err != nil {
		t.Fatal(err)
	}
	size := uint64(hdr.DataOffset) + uint64(hdr.Elements())*uint64(dt.Size)
	zf := &zip.File{FileHeader: zip.FileHeader{Method: zip.Store, UncompressedSize64: size, CompressedSize64: size}}
	return &array{path: "x.npz", key: "train_images", hdr: hdr, dt: dt, zf: zf, fileSize: int64(size)}
}

func TestDeclaredLimitsAtTheirBoundaries(t *testing.T) {
	images := []struct {
		shape []int
		want  string // "" when accepted
	}{
		{[]int{0, MaxImageSide, MaxImageSide}, ""},
		{[]int{0, MaxImageSide + 1, 8}, "4097x8 images, more than the 4096 pixels a side"},
		{[]int{0, 8, MaxImageSide + 1, 3}, "8x4097 images"},
		{[]int{MaxSplitImages, 1, 1}, ""},
		{[]int{MaxSplitImages + 1, 1, 1}, "4194305 images, more than the 4194304 a split may hold"},
		{[]int{8192, 2048, 2048}, ""}, // exactly MaxSplitBytes
		{[]int{8193, 2048, 2048}, "34363932672 bytes of pixels, more than the 34359738368 (32 GiB) a split may hold"},
		{[]int{2731, 2048, 2048, 3}, "34363932672 bytes of pixels"},
	}
	for _, c := range images {
		_, err := declared(t, "|u1", c.shape...).imageGeom()
		if (err == nil) != (c.want == "") || err != nil && !strings.Contains(err.Error(), c.want) {
			t.Errorf("images %v: %v, want %q", c.shape, err, c.want)
		}
	}
	for n, want := range map[int]string{MaxSplitImages: "", MaxSplitImages + 1: "4194305 labels, more than the 4194304"} {
		_, err := declared(t, "<i8", n, 1).labelCount()
		if (err == nil) != (want == "") || err != nil && !strings.Contains(err.Error(), want) {
			t.Errorf("labels (%d, 1): %v, want %q", n, err, want)
		}
	}
	// The compression bounds: stored members hold 1:1; a deflated one may
	// claim at most 1032:1, and above BombFloor at most MaxBombRatio:1.
	a := declared(t, "|u1", 1024, 256, 256) // 64 MiB + header: over the floor
	a.zf.Method = zip.Deflate
	for comp, want := range map[uint64]string{
		(a.zf.UncompressedSize64 + 99) / 100:    "",
		(a.zf.UncompressedSize64+99)/100 - 1:    "more than 100:1; refused as a decompression bomb",
		(a.zf.UncompressedSize64-1024)/1032 - 1: "compressed member can hold (deflate expands at most 1032:1)",
	} {
		a.zf.CompressedSize64 = comp
		if err := a.checkFits(1024 * 256 * 256); (err == nil) != (want == "") || err != nil && !strings.Contains(err.Error(), want) {
			t.Errorf("%d compressed bytes: %v, want %q", comp, err, want)
		}
	}
	// A member claiming more compressed bytes than the whole file holds is
	// judged by the file's size.
	a.zf.CompressedSize64, a.fileSize = a.zf.UncompressedSize64, 1000
	if err := a.checkFits(1024 * 256 * 256); err == nil || !strings.Contains(err.Error(), "more than a 1000-byte compressed member") {
		t.Errorf("file smaller than its member: %v", err)
	}
}

func TestLargestSideLoadsWhenEmpty(t *testing.T) {
	var ms []member
	for _, s := range Splits {
		ms = append(ms, member{name: string(s) + "_images.npy", data: npy("|u1", false, []int{0, MaxImageSide, MaxImageSide}, nil)},
			member{name: string(s) + "_labels.npy", data: npy("|u1", false, []int{0, 1}, nil)})
	}
	ds, err := ReadNPZ(writeRawNPZ(t, ms...), nil)
	if err != nil {
		t.Fatal(err)
	}
	if d := ds[Test]; d.N != 0 || d.H != MaxImageSide || d.NumClasses() != 2 {
		t.Errorf("test split N=%d H=%d with %d classes", d.N, d.H, d.NumClasses())
	}
}

// fuzzFill caps the bytes a '*' data field expands to, so a fuzzed shape
// declaring gigabytes yields a small, truncated member.
const fuzzFill = 64 << 10

// buildFuzzNPZ writes the npz a fuzz spec describes and returns its path.
// The spec is text, so seeds read as the files they stand for and
// mutations of shapes, dtypes and names stay meaningful:
//
//	line 1:      <file name> [store]
//	other lines: <array> <data> <header dict>
//
// <data> is =HEX (exactly these bytes), *HEX (the pattern, or zeros,
// repeated to the size the dict declares, at most fuzzFill bytes) or
// anything else for none. Each member is the dict behind a version 1.0
// preamble, or just the data when the dict is "!". The file name decides
// how classes are resolved (registry name, name prefix or neither).
func buildFuzzNPZ(t *testing.T, spec string) string {
	return writeFuzzNPZ(t, t.TempDir(), spec)
}

// writeFuzzNPZ is buildFuzzNPZ into dir.
func writeFuzzNPZ(t *testing.T, dir, spec string) string {
	lines := strings.Split(spec, "\n")
	head := strings.Fields(lines[0])
	name := "fuzz.npz"
	if len(head) > 0 {
		name = fuzzName(head[0])
		if !strings.HasSuffix(name, ".npz") {
			name += ".npz"
		}
	}
	method := zip.Deflate
	if len(head) > 1 && head[1] == "store" {
		method = zip.Store
	}
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	// The fastest level: compressing dominated the cost of an input.
	zw.RegisterCompressor(zip.Deflate, func(w io.Writer) (io.WriteCloser, error) { return flate.NewWriter(w, flate.BestSpeed) })
	for _, line := range lines[1:] {
		f := strings.SplitN(line, " ", 3)
		if len(f) < 3 {
			continue
		}
		w, err := zw.CreateHeader(&zip.FileHeader{Name: fuzzName(f[0]) + ".npy", Method: method})
		if err != nil {
			t.Fatal(err)
		}
		w.Write(fuzzMember(f[1], f[2]))
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// fuzzName keeps a name's file-safe characters, at most 40 of them.
func fuzzName(s string) string {
	b := []byte(s)
	b = slices.DeleteFunc(b, func(c byte) bool {
		return !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '_' || c == '.' || c == '-')
	})
	return string(b[:min(len(b), 40)])
}

// fuzzMember renders one member of a fuzz spec (see buildFuzzNPZ).
func fuzzMember(data, dict string) []byte {
	var b []byte
	// The longest valid hex prefix, so mutations rarely lose all data.
	for i := 1; i+1 < len(data); i += 2 {
		v, err := strconv.ParseUint(data[i:i+2], 16, 8)
		if err != nil {
			break
		}
		b = append(b, byte(v))
	}
	if strings.HasPrefix(data, "*") {
		size := len(b)
		if h, err := ParseHeaderDict(dict); err == nil {
			if dt, err := ParseDType(h.Descr); err == nil {
				size = min(h.Elements()*dt.Size, fuzzFill)
			}
		}
		if len(b) == 0 {
			b = []byte{0}
		}
		b = bytes.Repeat(b, size/len(b)+1)[:size]
	} else if !strings.HasPrefix(data, "=") {
		b = nil
	}
	if dict == "!" {
		return b
	}
	major := 1
	if len(dict) > 65000 {
		major = 2
	}
	return append(rawHeader(major, dict), b...)
}

// FuzzReadNPZ feeds the loader and VerifyFile fuzzed npz files (see
// buildFuzzNPZ for the spec; the committed corpus holds every hostile-input
// reproducer). Neither may panic or allocate more than the file can hold;
// they must agree, with one message on refusal; on success every split must
// be consistent, VerifyFile's counts must match, and ReadNPZSplit must give
// the same split.
func FuzzReadNPZ(f *testing.F) {
	f.Add("fuzz.npz\n" +
		"train_images *00ff10 {'descr': '|u1', 'fortran_order': False, 'shape': (4, 4, 4), }\n" +
		"train_labels =00010001 {'descr': '|u1', 'fortran_order': False, 'shape': (4, 1), }\n" +
		"val_images *7f {'descr': '|u1', 'fortran_order': False, 'shape': (2, 4, 4), }\n" +
		"val_labels =0100 {'descr': '|u1', 'fortran_order': False, 'shape': (2, 1), }\n" +
		"test_images * {'descr': '|u1', 'fortran_order': False, 'shape': (3, 4, 4), }\n" +
		"test_labels =000102 {'descr': '|u1', 'fortran_order': False, 'shape': (3,), }")
	// One folder per worker process rather than one per input: creating
	// and removing folders dominated the cost of an input.
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, spec string) {
		p := writeFuzzNPZ(t, dir, spec)
		defer os.Remove(p)
		st, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		var ds map[Split]*Dataset
		var lerr error
		// Pixels at most 1032:1, labels 8 bytes an int per byte or more.
		bound := 8*maxDeflateRatio*uint64(st.Size()) + 8<<20
		if n, over := allocOver(bound, func() { ds, lerr = ReadNPZ(p, nil) }); over {
			t.Fatalf("ReadNPZ of a %d-byte file allocated %d bytes (%v)", st.Size(), n, lerr)
		}
		rep, verr := VerifyFile(p)
		if (lerr == nil) != (verr == nil) || lerr != nil && lerr.Error() != verr.Error() {
			t.Fatalf("verdicts differ:\n ReadNPZ:    %v\n VerifyFile: %v", lerr, verr)
		}
		if lerr != nil {
			return
		}
		checkFuzzLoad(t, p, ds, rep)
	})
}

// checkFuzzLoad checks a file the loader and VerifyFile accepted.
func checkFuzzLoad(t *testing.T, p string, ds map[Split]*Dataset, rep *VerifyReport) {
	first := ds[Train]
	for i, s := range Splits {
		d := ds[s]
		if err := d.Validate(); err != nil {
			t.Fatalf("accepted %s fails Validate: %v", s, err)
		}
		if len(d.Images) != d.N*d.H*d.W*d.C || len(d.Labels) != d.N {
			t.Fatalf("%s: %d bytes, %d labels for N=%d %dx%dx%d", s, len(d.Images), len(d.Labels), d.N, d.H, d.W, d.C)
		}
		if d.H != first.H || d.W != first.W || d.C != first.C || !slices.Equal(d.Classes, first.Classes) {
			t.Fatalf("%s: %dx%dx%d classes %q, train %dx%dx%d %q", s, d.H, d.W, d.C, d.Classes, first.H, first.W, first.C, first.Classes)
		}
		sr := rep.Splits[i]
		var sum int
		for _, c := range sr.ClassCounts {
			sum += c
		}
		if sr.N != d.N || sum != d.N || len(sr.ClassCounts) != d.NumClasses() || rep.Classes != d.NumClasses() {
			t.Fatalf("%s: verify says N=%d counts %v of %d classes; loader N=%d with %d classes", s, sr.N, sr.ClassCounts, rep.Classes, d.N, d.NumClasses())
		}
		one, err := ReadNPZSplit(p, s, nil)
		if err != nil {
			t.Fatalf("ReadNPZ accepted the file, ReadNPZSplit(%s) refused it: %v", s, err)
		}
		if !bytes.Equal(one.Images, d.Images) || !slices.Equal(one.Labels, d.Labels) {
			t.Fatalf("ReadNPZSplit(%s) differs from ReadNPZ's split", s)
		}
	}
}

// TestFuzzNPZCorpus checks that the committed FuzzReadNPZ corpus is what
// its file names say: the valid_ seeds load (so fuzzing starts from files
// that reach the success path) and every other seed, a reproducer, is
// refused by the loader and VerifyFile alike.
func TestFuzzNPZCorpus(t *testing.T) {
	paths, err := filepath.Glob(filepath.Join("testdata", "fuzz", "FuzzReadNPZ", "*"))
	if err != nil || len(paths) < 30 {
		t.Fatalf("corpus: %d files, %v", len(paths), err)
	}
	for _, cp := range paths {
		b, err := os.ReadFile(cp)
		if err != nil {
			t.Fatal(err)
		}
		body, ok := strings.CutPrefix(strings.TrimSpace(string(b)), "go test fuzz v1\nstring(")
		spec, err := strconv.Unquote(strings.TrimSuffix(body, ")"))
		if !ok || err != nil {
			t.Fatalf("%s: not a one-string corpus file: %v", cp, err)
		}
		p := buildFuzzNPZ(t, spec)
		_, lerr := ReadNPZ(p, nil)
		_, verr := VerifyFile(p)
		t.Logf("%s: %v", filepath.Base(cp), lerr)
		valid := strings.HasPrefix(filepath.Base(cp), "valid_")
		if (lerr == nil) != valid || (verr == nil) != valid {
			t.Errorf("%s: ReadNPZ %v, VerifyFile %v; want valid=%v", filepath.Base(cp), lerr, verr, valid)
		}
	}
}
