package ingest

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"image"
	"image/color"
	"image/png"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
)

// writePNG encodes img into dir/name and returns the path.
func writePNG(t *testing.T, dir, name string, img image.Image) string {
	t.Helper()
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// ihdr returns the bit depth and colour type a PNG file declares, so a test
// can check the encoder wrote the format it is meant to cover.
func ihdr(t *testing.T, path string) (depth, colourType byte) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(b) < 26 || string(b[12:16]) != "IHDR" {
		t.Fatalf("%s: no IHDR chunk first", path)
	}
	return b[24], b[25]
}

func gray2x2(v ...uint8) *image.Gray {
	return &image.Gray{Pix: v, Stride: 2, Rect: image.Rect(0, 0, 2, 2)}
}

func TestReadPNGFormats(t *testing.T) {
	g16 := image.NewGray16(image.Rect(0, 0, 2, 2))
	for i, v := range []uint16{0x12FF, 0xAB00, 0xFFFF, 0x0001} {
		g16.SetGray16(i%2, i/2, color.Gray16{Y: v})
	}
	rgb := image.NewRGBA(image.Rect(0, 0, 2, 2))
	for i, c := range []color.RGBA{{255, 0, 0, 255}, {0, 255, 0, 255}, {0, 0, 255, 255}, {100, 150, 200, 255}} {
		rgb.SetRGBA(i%2, i/2, c)
	}
	rgb16 := image.NewRGBA64(image.Rect(0, 0, 2, 2))
	for i, c := range []color.RGBA64{{0xAB12, 0x00FF, 0xFF00, 0xFFFF}, {0xFFFF, 0, 0x0101, 0xFFFF}, {}, {}} {
		c.A = 0xFFFF
		rgb16.SetRGBA64(i%2, i/2, c)
	}
	rgba := image.NewNRGBA(image.Rect(0, 0, 2, 2))
	for i, c := range []color.NRGBA{{10, 20, 30, 255}, {200, 100, 50, 128}, {255, 255, 255, 0}, {0, 0, 0, 255}} {
		rgba.SetNRGBA(i%2, i/2, c)
	}
	rgba16 := image.NewNRGBA64(image.Rect(0, 0, 2, 2))
	for i, c := range []color.NRGBA64{{0xAB12, 0x34FF, 0x5600, 0xFFFF}, {0xFFFF, 0xFFFF, 0xFFFF, 0}, {0x0100, 0x0200, 0x0300, 0xFFFF}, {}} {
		rgba16.SetNRGBA64(i%2, i/2, c)
	}
	pal := image.NewPaletted(image.Rect(0, 0, 2, 2), color.Palette{color.RGBA{0, 0, 0, 255}, color.RGBA{255, 0, 0, 255}, color.RGBA{10, 20, 30, 255}})
	copy(pal.Pix, []uint8{0, 1, 2, 1})

	tests := []struct {
		name              string
		img               image.Image
		depth, colourType byte // what the file must declare
		channels          int
		want              []uint8
	}{
		{"grey 8 as grey", gray2x2(0, 17, 128, 255), 8, 0, 1, []uint8{0, 17, 128, 255}},
		{"grey 8 as RGB", gray2x2(0, 17, 128, 255), 8, 0, 3, []uint8{0, 0, 0, 17, 17, 17, 128, 128, 128, 255, 255, 255}},
		// 16-bit samples keep the high byte: 0x12FF is 0x12, not 0x13.
		{"grey 16 as grey", g16, 16, 0, 1, []uint8{0x12, 0xAB, 0xFF, 0x00}},
		{"grey 16 as RGB", g16, 16, 0, 3, []uint8{0x12, 0x12, 0x12, 0xAB, 0xAB, 0xAB, 0xFF, 0xFF, 0xFF, 0, 0, 0}},
		{"RGB 8 as RGB", rgb, 8, 2, 3, []uint8{255, 0, 0, 0, 255, 0, 0, 0, 255, 100, 150, 200}},
		// Luma of 16-bit samples v*257, truncated, then the high byte:
		// red 299*65535/1000 = 19594 -> 76; green 587*65535/1000 = 38469 -> 150;
		// blue 114*65535/1000 = 7470 -> 29; (100,150,200):
		// (299*25700 + 587*38550 + 114*51400)/1000 = 36172 -> 141.
		{"RGB 8 as grey", rgb, 8, 2, 1, []uint8{76, 150, 29, 141}},
		{"RGB 16 as RGB", rgb16, 16, 2, 3, []uint8{0xAB, 0x00, 0xFF, 0xFF, 0, 0x01, 0, 0, 0, 0, 0, 0}},
		// Half alpha halves the samples (premultiplied): 200*257*128/255 = 25800 -> 100.
		{"RGBA 8 as RGB", rgba, 8, 6, 3, []uint8{10, 20, 30, 100, 50, 25, 0, 0, 0, 0, 0, 0}},
		// (10,20,30): (299*2570 + 587*5140 + 114*7710)/1000 = 4664 -> 18;
		// (100,50,25): (299*25800 + 587*12900 + 114*6450)/1000 = 16021 -> 62.
		{"RGBA 8 as grey", rgba, 8, 6, 1, []uint8{18, 62, 0, 0}},
		{"RGBA 16 as RGB", rgba16, 16, 6, 3, []uint8{0xAB, 0x34, 0x56, 0, 0, 0, 0x01, 0x02, 0x03, 0, 0, 0}},
		{"palette as RGB", pal, 2, 3, 3, []uint8{0, 0, 0, 255, 0, 0, 10, 20, 30, 255, 0, 0}},
		{"palette as grey", pal, 2, 3, 1, []uint8{0, 76, 18, 76}},
	}
	dir := t.TempDir()
	for i, tc := range tests {
		p := writePNG(t, dir, string(rune('a'+i))+".png", tc.img)
		if d, ct := ihdr(t, p); d != tc.depth || ct != tc.colourType {
			t.Fatalf("%s: encoder wrote bit depth %d colour type %d, the test means %d and %d", tc.name, d, ct, tc.depth, tc.colourType)
		}
		got, err := ReadPNG(p, 2, tc.channels, false)
		if err != nil {
			t.Errorf("%s: %v", tc.name, err)
			continue
		}
		if !slices.Equal(got, tc.want) {
			t.Errorf("%s: pixels %v, want %v", tc.name, got, tc.want)
		}
	}
}

func TestReadPNGResize(t *testing.T) {
	dir := t.TempDir()
	flat := image.NewGray(image.Rect(0, 0, 8, 8))
	for i := range flat.Pix {
		flat.Pix[i] = 77
	}
	small := image.NewRGBA(image.Rect(0, 0, 2, 2))
	for i := range 4 {
		small.SetRGBA(i%2, i/2, color.RGBA{10, 20, 30, 255})
	}
	tests := []struct {
		name     string
		img      image.Image
		size     int
		channels int
		pixel    []uint8 // every output pixel
	}{
		{"8x8 grey down to 4x4", flat, 4, 1, []uint8{77}},
		{"8x8 grey down to 4x4 RGB", flat, 4, 3, []uint8{77, 77, 77}},
		{"2x2 RGB up to 4x4", small, 4, 3, []uint8{10, 20, 30}},
		{"2x2 RGB up to 5x5 grey", small, 5, 1, []uint8{18}},
	}
	for i, tc := range tests {
		p := writePNG(t, dir, string(rune('a'+i))+".png", tc.img)
		got, err := ReadPNG(p, tc.size, tc.channels, true)
		if err != nil {
			t.Errorf("%s: %v", tc.name, err)
			continue
		}
		want := slices.Repeat(tc.pixel, tc.size*tc.size)
		if !slices.Equal(got, want) {
			t.Errorf("%s: %d bytes %v, want %d bytes of %v", tc.name, len(got), got, len(want), tc.pixel)
		}
	}
	// An upscaled ramp keeps its shape and stays within its end values.
	p := writePNG(t, dir, "ramp.png", gray2x2(10, 20, 30, 40))
	got, err := ReadPNG(p, 4, 1, true)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 16 || slices.Min(got) < 10 || slices.Max(got) > 40 || got[0] >= got[15] {
		t.Errorf("2x2 ramp at 4x4: %v, want 16 values in [10, 40] rising from corner to corner", got)
	}
}

func TestReadPNGRejectsOtherSize(t *testing.T) {
	p := writePNG(t, t.TempDir(), "big.png", image.NewGray(image.Rect(0, 0, 8, 6)))
	_, err := ReadPNG(p, 4, 1, false)
	if err == nil {
		t.Fatal("8x6 image read at 4x4 without resize")
	}
	for _, want := range []string{p, "8x6", "4x4", "--resize resize"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q lacks %q", err, want)
		}
	}
}

// bomb writes a real 1x1 grey PNG whose IHDR is patched to declare w x h,
// with the chunk's CRC fixed so the header itself is valid.
func bomb(t *testing.T, dir string, w, h uint32) string {
	t.Helper()
	var buf bytes.Buffer
	if err := png.Encode(&buf, image.NewGray(image.Rect(0, 0, 1, 1))); err != nil {
		t.Fatal(err)
	}
	b := buf.Bytes()
	// Signature (8), IHDR length (4), "IHDR" (4), width (4), height (4), ...
	binary.BigEndian.PutUint32(b[16:], w)
	binary.BigEndian.PutUint32(b[20:], h)
	binary.BigEndian.PutUint32(b[29:], crc32.ChecksumIEEE(b[12:29])) // over type and 13 data bytes
	p := filepath.Join(dir, "bomb.png")
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
	if cfg, err := png.DecodeConfig(bytes.NewReader(b)); err != nil || cfg.Width != int(w) || cfg.Height != int(h) {
		t.Fatalf("patched header reads %+v, %v; want a valid %dx%d header", cfg, err, w, h)
	}
	return p
}

func TestReadPNGRefusesHugeHeader(t *testing.T) {
	tests := []struct {
		name     string
		w, h     uint32
		resize   bool
		errHas   []string
		maxAlloc uint64 // bytes ReadPNG may allocate
	}{
		// Decoding would allocate 900 MB for the grey image alone.
		{"30000x30000", 30000, 30000, true, []string{"30000x30000", "more than the 16777216 (4096x4096)"}, 1 << 20},
		{"30000x30000 without resize", 30000, 30000, false, []string{"30000x30000"}, 1 << 20},
		{"one pixel over", 4097, 4096, true, []string{"4097x4096"}, 1 << 20},
		// At the limit the header passes and decoding fails on the missing rows.
		{"at the limit", 4096, 4096, true, []string{"decoding PNG"}, 64 << 20},
	}
	for _, tc := range tests {
		p := bomb(t, t.TempDir(), tc.w, tc.h)
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		_, err := ReadPNG(p, 28, 1, tc.resize)
		runtime.ReadMemStats(&after)
		if err == nil {
			t.Errorf("%s: accepted", tc.name)
			continue
		}
		for _, want := range append([]string{p}, tc.errHas...) {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("%s: error %q lacks %q", tc.name, err, want)
			}
		}
		if n := after.TotalAlloc - before.TotalAlloc; n > tc.maxAlloc {
			t.Errorf("%s: allocated %d bytes, want at most %d", tc.name, n, tc.maxAlloc)
		}
	}
}

func TestReadPNGBadInput(t *testing.T) {
	dir := t.TempDir()
	notPNG := filepath.Join(dir, "notes.png")
	if err := os.WriteFile(notPNG, []byte("hello, not an image"), 0o644); err != nil {
		t.Fatal(err)
	}
	good := writePNG(t, dir, "good.png", gray2x2(1, 2, 3, 4))
	tests := []struct {
		name           string
		path           string
		size, channels int
		errHas         []string
	}{
		{"not a PNG", notPNG, 2, 1, []string{notPNG, "not a PNG"}},
		{"missing", filepath.Join(dir, "absent.png"), 2, 1, []string{"absent.png"}},
		{"two channels", good, 2, 2, []string{good, "channels 2"}},
		{"size 0", good, 0, 1, []string{good, "size 0"}},
		{"size too big", good, 4097, 1, []string{good, "size 4097"}},
	}
	for _, tc := range tests {
		_, err := ReadPNG(tc.path, tc.size, tc.channels, true)
		if err == nil {
			t.Errorf("%s: accepted", tc.name)
			continue
		}
		for _, want := range tc.errHas {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("%s: error %q lacks %q", tc.name, err, want)
			}
		}
	}
}

func TestReadPNGDir(t *testing.T) {
	dir := t.TempDir()
	// Each file is flat at its own value, so the image order shows.
	for name, v := range map[string]uint8{"b.png": 2, "A.PNG": 1, "c.Png": 3} {
		writePNG(t, dir, name, gray2x2(v, v, v, v))
	}
	if err := os.WriteFile(filepath.Join(dir, "notes.txt"), []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(filepath.Join(dir, "d.png"), 0o755); err != nil {
		t.Fatal(err)
	}
	d, names, err := ReadPNGDir(dir, 2, 3, false)
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"A.PNG", "b.png", "c.Png"}; !slices.Equal(names, want) {
		t.Errorf("names %q, want %q", names, want)
	}
	if d.N != 3 || d.H != 2 || d.W != 2 || d.C != 3 || d.Split != "input" || d.Flag != "input" || d.Source != dir {
		t.Errorf("dataset N=%d H=%d W=%d C=%d split %q flag %q source %q", d.N, d.H, d.W, d.C, d.Split, d.Flag, d.Source)
	}
	if !slices.Equal(d.Labels, []int{0, 0, 0}) {
		t.Errorf("labels %v, want all 0", d.Labels)
	}
	if len(d.Images) != 3*2*2*3 {
		t.Fatalf("%d image bytes, want %d", len(d.Images), 3*2*2*3)
	}
	for i := range d.N {
		if want := slices.Repeat([]uint8{uint8(i + 1)}, 12); !slices.Equal(d.Image(i), want) {
			t.Errorf("image %d (%s) = %v, want %v", i, names[i], d.Image(i), want)
		}
	}
}

func TestReadPNGDirErrors(t *testing.T) {
	empty := t.TempDir()
	onlyText := t.TempDir()
	if err := os.WriteFile(filepath.Join(onlyText, "a.txt"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	mixed := t.TempDir()
	writePNG(t, mixed, "a.png", gray2x2(1, 2, 3, 4))
	bad := filepath.Join(mixed, "b.png")
	if err := os.WriteFile(bad, []byte("GIF89a"), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, dir string
		channels  int
		errHas    []string
	}{
		{"empty folder", empty, 1, []string{empty, "no .png files"}},
		{"no PNG", onlyText, 1, []string{onlyText, "no .png files"}},
		{"bad file", mixed, 1, []string{bad, "not a PNG"}},
		{"missing folder", filepath.Join(empty, "absent"), 1, []string{"absent"}},
		{"bad channels", mixed, 4, []string{mixed, "channels 4"}},
	}
	for _, tc := range tests {
		d, names, err := ReadPNGDir(tc.dir, 2, tc.channels, false)
		if err == nil {
			t.Errorf("%s: read %d images %q", tc.name, d.N, names)
			continue
		}
		for _, want := range tc.errHas {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("%s: error %q lacks %q", tc.name, err, want)
			}
		}
	}
}

// TestHelpersSafeOnHandBuiltDatasets: ReadPNGDir's datasets have no Classes
// and ClassCounts used to index out of range on them. Labels outside the
// classes are now ignored by ClassCounts and reported by Validate.
func TestHelpersSafeOnHandBuiltDatasets(t *testing.T) {
	dir := t.TempDir()
	writePNG(t, dir, "a.png", gray2x2(1, 2, 3, 4))
	d, _, err := ReadPNGDir(dir, 2, 1, false)
	if err != nil {
		t.Fatal(err)
	}
	if c := d.ClassCounts(); len(c) != 0 {
		t.Errorf("no classes: counts %v", c)
	}
	d.Classes = []string{"a", "b"}
	d.Labels = []int{-3}
	if c := d.ClassCounts(); !slices.Equal(c, []int{0, 0}) {
		t.Errorf("label -3: counts %v", c)
	}
	d.Labels = []int{7}
	if c := d.ClassCounts(); !slices.Equal(c, []int{0, 0}) {
		t.Errorf("label 7: counts %v", c)
	}
	if err := d.Validate(); err == nil || !strings.Contains(err.Error(), "input_labels[0] = 7: out of range [0, 2)") {
		t.Errorf("Validate: %v", err)
	}
	// Arrays sizes the labels by the labels, not N, and keeps negative
	// labels intact (as '<i8') rather than wrapping them into a byte.
	d.N, d.Labels = 5, []int{-1, 1}
	arrays := d.Arrays()
	if a := arrays[1]; a.Descr != "<i8" || len(a.Data) != 16 || a.Data[0] != 0xff {
		t.Errorf("labels array %s of %d bytes", a.Descr, len(a.Data))
	}
	for _, a := range arrays {
		if err := WriteNPY(io.Discard, a); err == nil {
			t.Errorf("%s: WriteNPY accepted data that does not match N = 5", a.Name)
		}
	}
}

// fixPNGCRCs recomputes every chunk's CRC-32, so that fuzzed header fields
// (size, bit depth, colour type, interlacing) reach the decoder instead of
// failing the checksum.
func fixPNGCRCs(b []byte) []byte {
	b = slices.Clone(b)
	for i := 8; i+12 <= len(b); {
		n := int(binary.BigEndian.Uint32(b[i:]))
		if n < 0 || n > len(b)-i-12 {
			break
		}
		binary.BigEndian.PutUint32(b[i+8+n:], crc32.ChecksumIEEE(b[i+4:i+8+n]))
		i += 12 + n
	}
	return b
}

// fuzzPNGSide is the header bound FuzzReadPNG decodes under: small, so each
// input decodes fast, yet far below what an unchecked header could claim.
const fuzzPNGSide = 256

// FuzzReadPNG decodes fuzzed PNG bytes (CRCs optionally repaired) at a
// fuzzed size, channel count and resize flag. The decoder must not panic,
// must refuse any header over the bound before decoding, must allocate no
// more than a decode within the bound needs, and on success return
// size*size*channels bytes. The corpus holds the 30000x30000 header.
func FuzzReadPNG(f *testing.F) {
	var buf bytes.Buffer
	png.Encode(&buf, gray2x2(1, 2, 3, 4))
	f.Add(buf.Bytes(), uint8(2), false, false, false)
	f.Fuzz(func(t *testing.T, data []byte, side uint8, rgb, resize, fixCRC bool) {
		if fixCRC {
			data = fixPNGCRCs(data)
		}
		size, channels := int(side%64)+1, 1
		if rgb {
			channels = 3
		}
		var out []uint8
		var err error
		// Decoding within the bound: at most 8 bytes a pixel, twice over
		// for interlaced images, then the scaled copy and the output.
		bound := uint64(2*8*fuzzPNGSide*fuzzPNGSide + 8*size*size + 4<<20)
		n, over := allocOver(bound, func() {
			out, err = decodePNG(bytes.NewReader(data), "fuzz.png", size, channels, resize, fuzzPNGSide)
		})
		if over {
			t.Fatalf("allocated %d bytes, more than the %d a decode within the header bound needs (%v)", n, bound, err)
		}
		if cfg, cerr := png.DecodeConfig(bytes.NewReader(data)); cerr == nil && cfg.Width*cfg.Height > fuzzPNGSide*fuzzPNGSide {
			if err == nil || !strings.Contains(err.Error(), "PNG header declares") {
				t.Fatalf("%dx%d header not refused by the header check: %v", cfg.Width, cfg.Height, err)
			}
		}
		if err == nil && len(out) != size*size*channels {
			t.Fatalf("%d bytes out, want %d*%d*%d", len(out), size, size, channels)
		}
	})
}

// TestReadPNGDirRefusesTooManyBeforeReading: 683 images of 4096x4096x3
// would be 34 GB; the folder is refused from its listing, before any file
// (here all empty, so unreadable) is opened.
func TestReadPNGDirRefusesTooManyBeforeReading(t *testing.T) {
	dir := t.TempDir()
	n := MaxSplitBytes/(MaxImageSide*MaxImageSide*3) + 1
	for i := range n {
		if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("%04d.png", i)), nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	_, _, err := ReadPNGDir(dir, MaxImageSide, 3, false)
	if err == nil || !strings.Contains(err.Error(), fmt.Sprintf("%d PNG files at 4096x4096x3, more than", n)) {
		t.Errorf("%d files: %v", n, err)
	}
	// One file fewer is within the bound, so the first empty file fails.
	os.Remove(filepath.Join(dir, "0000.png"))
	if _, _, err := ReadPNGDir(dir, MaxImageSide, 3, false); err == nil || !strings.Contains(err.Error(), "0001.png: not a PNG") {
		t.Errorf("%d files: %v", n-1, err)
	}
}
