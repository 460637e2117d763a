package ingest

import (
	"archive/zip"
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/gradprint/gradprint/internal/atomicfile"
)

// ClassNamesKey is an optional extra array (numpy '<U' strings) that
// gradprint writes into synthetic files so they describe their own classes.
// numpy reads it with np.load(f)["class_names"]; MedMNIST files lack it.
const ClassNamesKey = "class_names"

// Limits on what an npz may declare. The loader checks every header
// against them, and against its zip member, before it reads or allocates
// any array data, so a small hostile file is refused from its headers
// instead of exhausting memory. Each bound is the largest official
// MedMNIST+ file's figure with generous headroom.
const (
	// MaxImageSide bounds H and W: MedMNIST+ images are at most 224 px a
	// side; 4096 is the PNG reader's bound too.
	MaxImageSide = maxPNGSide
	// MaxSplitImages bounds N: the largest MedMNIST split (tissuemnist
	// train) has 165,466 images; 2^22 (4,194,304) is 25 times that and
	// keeps a split's decoded labels within 32 MiB.
	MaxSplitImages = 1 << 22
	// MaxSplitBytes bounds N*H*W*C, one split's pixels: the largest
	// official split (pathmnist_224 train, 89,996 x 224 x 224 x 3) is
	// 13.5 GB; 2^35 bytes (32 GiB) is 2.5 times that.
	MaxSplitBytes = 1 << 35
	// MaxClasses bounds the classes of a file, from its class_names array
	// or, lacking that and a registry name, inferred from its labels.
	// MedMNIST has at most 14; ImageNet has 1000.
	MaxClasses = 1000
	// maxClassName bounds one class_names entry, in characters; MedMNIST's
	// longest class name has 67.
	maxClassName = 1024
	// maxDeflateRatio is deflate's largest possible expansion (258-byte
	// matches in 2-bit codes), so a member cannot decompress to more than
	// this times its compressed size.
	maxDeflateRatio = 1032
	// MaxBombRatio bounds the compression ratio of any member declaring
	// more than BombFloor bytes: beyond it the member is refused as a
	// decompression bomb. MedMNIST's and gradprint's synthetic images
	// compress about 1.1:1 (deflate saves 7-13%), labels are far below the
	// floor; 100:1 is the bound zip-bomb guards commonly use (Apache POI's
	// default). So a hostile file of F bytes makes the loader allocate at
	// most about 100*F plus BombFloor per member, not 1032*F.
	MaxBombRatio = 100
	// BombFloor is the declared size up to which any ratio is accepted, so
	// small, highly compressible arrays (test fixtures, blank images) load.
	BombFloor = 64 << 20
)

// arrayKey is the npz member holding split s's images or labels.
func imagesKey(s Split) string { return string(s) + "_images" }
func labelsKey(s Split) string { return string(s) + "_labels" }

// npzFile is an open archive with its members indexed by array name.
type npzFile struct {
	path    string
	f       *os.File
	size    int64 // of the archive file, which bounds what a member can hold
	zr      *zip.Reader
	members map[string]*zip.File
}

func openNPZ(path string) (*npzFile, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("%s: open npz: %w", path, err)
	}
	z, err := newNPZ(path, f)
	if err != nil {
		f.Close()
		return nil, err
	}
	return z, nil
}

func newNPZ(path string, f *os.File) (*npzFile, error) {
	st, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("%s: open npz: %w", path, err)
	}
	zr, err := zip.NewReader(f, st.Size())
	if err != nil {
		if errors.Is(err, zip.ErrFormat) {
			return nil, fmt.Errorf("%s: not an npz archive (no valid zip directory; truncated or not a zip file): %w", path, err)
		}
		return nil, fmt.Errorf("%s: open npz: %w", path, err)
	}
	z := &npzFile{path: path, f: f, size: st.Size(), zr: zr, members: map[string]*zip.File{}}
	for _, m := range zr.File {
		key := strings.TrimSuffix(m.Name, ".npy")
		if _, dup := z.members[key]; dup {
			// Readers disagree on which of two same-named members wins.
			return nil, fmt.Errorf("%s: two members hold array %q; want each array once", path, key)
		}
		z.members[key] = m
	}
	return z, nil
}

func (z *npzFile) Close() error { return z.f.Close() }

// keys lists the array names in archive order.
func (z *npzFile) keys() []string {
	out := make([]string, 0, len(z.zr.File))
	for _, f := range z.zr.File {
		out = append(out, strings.TrimSuffix(f.Name, ".npy"))
	}
	return out
}

func (z *npzFile) member(key string) (*zip.File, error) {
	f, ok := z.members[key]
	if !ok {
		return nil, fmt.Errorf("%s: missing array %q (have %s; a MedMNIST npz holds train/val/test _images and _labels)", z.path, key, strings.Join(z.keys(), ", "))
	}
	return f, nil
}

// array is an opened npz member positioned at its data.
type array struct {
	path, key string
	hdr       Header
	dt        DType
	zf        *zip.File
	fileSize  int64
	rc        io.ReadCloser // nil once closed
}

func (z *npzFile) open(key string) (*array, error) {
	f, err := z.member(key)
	if err != nil {
		return nil, err
	}
	rc, err := f.Open()
	if err != nil {
		return nil, fmt.Errorf("%s %s: open member: %w", z.path, key, err)
	}
	a := &array{path: z.path, key: key, zf: f, fileSize: z.size, rc: rc}
	if a.hdr, err = ReadHeader(rc); err != nil {
		a.close()
		return nil, fmt.Errorf("%s %s: %w", z.path, key, err)
	}
	if a.hdr.FortranOrder {
		a.close()
		return nil, fmt.Errorf("%s %s: fortran_order is True; want C order (numpy's default, as MedMNIST writes)", z.path, key)
	}
	if a.dt, err = ParseDType(a.hdr.Descr); err != nil {
		a.close()
		return nil, fmt.Errorf("%s %s: %w", z.path, key, err)
	}
	return a, nil
}

// close may be called more than once, and on nil.
func (a *array) close() {
	if a != nil && a.rc != nil {
		a.rc.Close()
		a.rc = nil
	}
}

// dataErr explains a failed read of array data.
func (a *array) dataErr(got, want int64, err error) error {
	if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
		return fmt.Errorf("%s %s: truncated data: got %d of %d bytes for shape %v %s", a.path, a.key, got, want, a.hdr.Shape, a.hdr.Descr)
	}
	return fmt.Errorf("%s %s: reading data: %w", a.path, a.key, err)
}

// finish checks that the member ends exactly after the data read through
// r; reading to EOF also makes archive/zip verify the member's CRC-32.
func (a *array) finish(r io.Reader) error {
	var one [1]byte
	n, err := io.ReadFull(r, one[:])
	if n > 0 {
		return fmt.Errorf("%s %s: data longer than shape %v %s implies", a.path, a.key, a.hdr.Shape, a.hdr.Descr)
	}
	if err != nil && !errors.Is(err, io.EOF) {
		return fmt.Errorf("%s %s: %w", a.path, a.key, err)
	}
	return nil
}

// checkFits refuses, before anything is allocated, a declared data size the
// zip member cannot hold. archive/zip holds a member's stream to the
// uncompressed size its directory entry states, so the header plus data must
// equal that size; a member cannot expand past maxDeflateRatio times its
// compressed bytes, of which it has no more than the file's size; and above
// BombFloor it may not expand past MaxBombRatio.
func (a *array) checkFits(size int64) error {
	need := uint64(a.hdr.DataOffset) + uint64(size)
	have := a.zf.UncompressedSize64
	if need > have {
		return fmt.Errorf("%s %s: truncated data: member holds %d bytes, shape %v %s needs %d", a.path, a.key, have, a.hdr.Shape, a.hdr.Descr, need)
	}
	if need < have {
		return fmt.Errorf("%s %s: data longer than shape %v %s implies: member holds %d bytes, shape needs %d", a.path, a.key, a.hdr.Shape, a.hdr.Descr, have, need)
	}
	comp := min(a.zf.CompressedSize64, uint64(a.fileSize))
	limit := comp
	if a.zf.Method != zip.Store {
		// comp is at most the file's size, far below 2^64/1032 bytes.
		limit = comp*maxDeflateRatio + 1024
	}
	if need > limit {
		return fmt.Errorf("%s %s: shape %v %s needs %d bytes, more than a %d-byte compressed member can hold (deflate expands at most %d:1)", a.path, a.key, a.hdr.Shape, a.hdr.Descr, need, comp, maxDeflateRatio)
	}
	if need > BombFloor && need > comp*MaxBombRatio {
		return fmt.Errorf("%s %s: shape %v %s declares %d bytes in a %d-byte compressed member, more than %d:1; refused as a decompression bomb (image data compresses about 1.1:1)", a.path, a.key, a.hdr.Shape, a.hdr.Descr, need, comp, MaxBombRatio)
	}
	return nil
}

// geom is the declared shape of a split's images.
type geom struct{ n, h, w, c int }

// bytes is N*H*W*C; within the limits it cannot overflow.
func (g geom) bytes() int64 { return int64(g.n) * int64(g.h) * int64(g.w) * int64(g.c) }

// imageGeom checks an images header against the layout, the limits and its
// member, reading no data.
func (a *array) imageGeom() (geom, error) {
	if a.dt.Kind != 'u' || a.dt.Size != 1 {
		return geom{}, fmt.Errorf("%s %s: dtype %s, want uint8 ('|u1')", a.path, a.key, a.hdr.Descr)
	}
	var g geom
	s := a.hdr.Shape
	switch {
	case len(s) == 3:
		g = geom{s[0], s[1], s[2], 1}
	case len(s) == 4 && (s[3] == 1 || s[3] == 3):
		g = geom{s[0], s[1], s[2], s[3]}
	default:
		return geom{}, fmt.Errorf("%s %s: shape %v, want (N, H, W) or (N, H, W, 3)", a.path, a.key, s)
	}
	switch {
	case g.h == 0 || g.w == 0:
		return geom{}, fmt.Errorf("%s %s: shape %v has an empty image dimension", a.path, a.key, s)
	case g.h > MaxImageSide || g.w > MaxImageSide:
		return geom{}, fmt.Errorf("%s %s: shape %v: %dx%d images, more than the %d pixels a side accepted (MedMNIST's largest are 224)", a.path, a.key, s, g.h, g.w, MaxImageSide)
	case g.n > MaxSplitImages:
		return geom{}, fmt.Errorf("%s %s: shape %v: %d images, more than the %d a split may hold", a.path, a.key, s, g.n, MaxSplitImages)
	}
	if err := a.checkFits(g.bytes()); err != nil {
		return geom{}, err
	}
	if g.bytes() > MaxSplitBytes {
		return geom{}, fmt.Errorf("%s %s: shape %v: %d bytes of pixels, more than the %d (32 GiB) a split may hold", a.path, a.key, s, g.bytes(), int64(MaxSplitBytes))
	}
	return g, nil
}

// labelCount checks a labels header (integer, shape (N,) or (N, 1)) against
// the limits and its member, reading no data, and returns N.
func (a *array) labelCount() (int, error) {
	if !a.dt.IsInteger() {
		return 0, fmt.Errorf("%s %s: dtype %s, want an integer type such as '|u1' or '<i8'", a.path, a.key, a.hdr.Descr)
	}
	s := a.hdr.Shape
	if !(len(s) == 1 || (len(s) == 2 && s[1] == 1)) {
		if len(s) == 2 {
			return 0, fmt.Errorf("%s %s: shape %v, want (N, 1) or (N,); multi-label files (like chestmnist) are not supported", a.path, a.key, s)
		}
		return 0, fmt.Errorf("%s %s: shape %v, want (N, 1) or (N,)", a.path, a.key, s)
	}
	if s[0] > MaxSplitImages {
		return 0, fmt.Errorf("%s %s: shape %v: %d labels, more than the %d a split may hold", a.path, a.key, s, s[0], MaxSplitImages)
	}
	return s[0], a.checkFits(int64(s[0]) * int64(a.dt.Size))
}

// readImages reads size bytes of pixels, or with keep false streams past
// them; the caller has checked size against the header and the member.
func (a *array) readImages(size int64, keep bool) ([]uint8, error) {
	var data []uint8
	if keep {
		data = make([]uint8, size)
		if got, err := io.ReadFull(a.rc, data); err != nil {
			return nil, a.dataErr(int64(got), size, err)
		}
	} else if got, err := io.CopyN(io.Discard, a.rc, size); err != nil {
		return nil, a.dataErr(got, size, err)
	}
	return data, a.finish(a.rc)
}

// labelRange is what labels must lie in, 0..k-1, and why, for messages.
type labelRange struct {
	k   int
	why string
}

// readLabels decodes n integer labels, refusing the first outside r; the
// caller has checked n against the header and the member.
func (a *array) readLabels(n int, r labelRange) ([]int, error) {
	size := int64(n) * int64(a.dt.Size)
	labels := make([]int, n)
	br := bufio.NewReaderSize(a.rc, 64<<10)
	var buf [8]byte
	for i := range labels {
		b := buf[:a.dt.Size]
		if got, err := io.ReadFull(br, b); err != nil {
			return nil, a.dataErr(int64(i*a.dt.Size+got), size, err)
		}
		v, err := decodeInt(a.dt, b)
		if err != nil {
			return nil, fmt.Errorf("%s %s[%d]: %w", a.path, a.key, i, err)
		}
		// Compared as int64, so no label wraps into range where int is
		// 32 bits.
		if v < 0 || v >= int64(r.k) {
			return nil, fmt.Errorf("%s %s[%d] = %d: out of range, %s (want 0..%d)", a.path, a.key, i, v, r.why, r.k-1)
		}
		labels[i] = int(v)
	}
	return labels, a.finish(br) // br may hold bytes past the labels
}

// decodeInt decodes one integer label of type dt.
func decodeInt(dt DType, b []byte) (int64, error) {
	var u uint64
	switch dt.Size {
	case 1:
		u = uint64(b[0])
	case 2:
		if dt.BigEndian {
			u = uint64(binary.BigEndian.Uint16(b))
		} else {
			u = uint64(binary.LittleEndian.Uint16(b))
		}
	case 4:
		if dt.BigEndian {
			u = uint64(binary.BigEndian.Uint32(b))
		} else {
			u = uint64(binary.LittleEndian.Uint32(b))
		}
	case 8:
		if dt.BigEndian {
			u = binary.BigEndian.Uint64(b)
		} else {
			u = binary.LittleEndian.Uint64(b)
		}
	}
	if dt.Kind == 'u' {
		if u > math.MaxInt64 {
			return 0, fmt.Errorf("label %d does not fit an int64", u)
		}
		return int64(u), nil
	}
	// Sign-extend from the element width.
	shift := 64 - 8*uint(dt.Size)
	return int64(u<<shift) >> shift, nil
}

// readStrings decodes a 1-D numpy unicode array ('<U n') of class names,
// at most MaxClasses of at most maxClassName characters, so that its
// allocation is bounded before any data is read.
func (a *array) readStrings() ([]string, error) {
	if a.dt.Kind != 'U' || len(a.hdr.Shape) != 1 {
		return nil, fmt.Errorf("%s %s: dtype %s shape %v, want a 1-D unicode array ('<U')", a.path, a.key, a.hdr.Descr, a.hdr.Shape)
	}
	n, width := a.hdr.Shape[0], a.dt.Size/4
	if n < 2 || n > MaxClasses {
		return nil, fmt.Errorf("%s %s: %d class names, want 2 to %d", a.path, a.key, n, MaxClasses)
	}
	if width > maxClassName {
		return nil, fmt.Errorf("%s %s: dtype %s, want names of at most %d characters", a.path, a.key, a.hdr.Descr, maxClassName)
	}
	if err := a.checkFits(int64(n) * int64(a.dt.Size)); err != nil {
		return nil, err
	}
	out := make([]string, n)
	b := make([]byte, a.dt.Size)
	for i := range out {
		if got, err := io.ReadFull(a.rc, b); err != nil {
			return nil, a.dataErr(int64(i*a.dt.Size+got), int64(n*a.dt.Size), err)
		}
		var sb strings.Builder
		for j := 0; j+4 <= len(b); j += 4 {
			var r uint32
			if a.dt.BigEndian {
				r = binary.BigEndian.Uint32(b[j:])
			} else {
				r = binary.LittleEndian.Uint32(b[j:])
			}
			if r == 0 {
				break
			}
			sb.WriteRune(rune(r))
		}
		out[i] = sb.String()
	}
	return out, a.finish(a.rc)
}

// resolveInfo decides the class names and task for a file: the given info,
// else the registry entry for an official file name, else the file's own
// class_names array, else nil (the caller infers from the labels).
func (z *npzFile) resolveInfo(info *Info) (*Info, error) {
	if info != nil {
		return info, nil
	}
	if in, _, ok := LookupFileName(z.path); ok {
		return in, nil
	}
	if _, ok := z.members[ClassNamesKey]; !ok {
		return nil, nil
	}
	a, err := z.open(ClassNamesKey)
	if err != nil {
		return nil, err
	}
	defer a.close()
	names, err := a.readStrings()
	if err != nil {
		return nil, err
	}
	task := MultiClass
	if len(names) == 2 {
		task = Binary
	}
	flag := strings.TrimSuffix(filepath.Base(z.path), ".npz")
	return &Info{Flag: flag, Task: task, Classes: names}, nil
}

// ReadNPZ loads all three splits of a MedMNIST-layout npz file.
//
// info supplies the class names, task and flag; when nil they come from the
// registry (official file names), the file's class_names array, or, failing
// both, from the labels themselves (classes "0".."K-1" with K = max label+1,
// at most MaxClasses, flag taken from the registry prefix of the name or the
// file name). Labels outside [0, K) are an error naming the file, array and
// index.
//
// Every header is checked before any data is read: dtypes and layout,
// image and label counts per split, one image geometry across splits, the
// limits MaxImageSide, MaxSplitImages and MaxSplitBytes, and the declared
// size against the zip member's size and deflate's maximum ratio. So a file
// declaring absurd or inconsistent shapes is refused from its headers, and
// the loader allocates no more than the file can genuinely hold.
// VerifyFile runs these same checks.
func ReadNPZ(path string, info *Info) (map[Split]*Dataset, error) {
	return readNPZ(path, info, Splits, true)
}

// ReadNPZSplit loads one split; see ReadNPZ for how info is resolved and
// what is checked. Only that split's arrays are read: a file with just a
// test split loads.
func ReadNPZSplit(path string, split Split, info *Info) (*Dataset, error) {
	m, err := readNPZ(path, info, []Split{split}, true)
	if err != nil {
		return nil, err
	}
	return m[split], nil
}

// readNPZ is the one validation path behind ReadNPZ, ReadNPZSplit and
// VerifyFile; with keepPixels false it streams past the pixels, checking
// them (length, CRC) without holding them, and the Datasets have nil Images.
func readNPZ(path string, info *Info, want []Split, keepPixels bool) (map[Split]*Dataset, error) {
	for _, s := range want {
		if !slices.Contains(Splits, s) {
			return nil, fmt.Errorf("%s: unknown split %q, want train, val or test", path, s)
		}
	}
	z, err := openNPZ(path)
	if err != nil {
		return nil, err
	}
	defer z.Close()
	info, err = z.resolveInfo(info)
	if err != nil {
		return nil, err
	}
	if info != nil && info.Task == MultiLabel {
		return nil, fmt.Errorf("%s: %s is a multi-label dataset; gradprint reads single-label datasets only", path, info.Flag)
	}
	arrays, err := z.declareAll(want)
	defer closeAll(arrays)
	if err != nil {
		return nil, err
	}
	out := map[Split]*Dataset{}
	for _, sa := range arrays {
		d, err := sa.read(z.path, info, keepPixels)
		if err != nil {
			return nil, err
		}
		out[sa.split] = d
	}
	if info == nil {
		inferClasses(path, out)
	}
	for _, s := range want { // in order, so the first error is always the same
		if err := out[s].validate(keepPixels); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// splitArrays is one split's images and labels, headers checked, each
// positioned at its data.
type splitArrays struct {
	split          Split
	g              geom
	images, labels *array
}

func closeAll(arrays []*splitArrays) {
	for _, sa := range arrays {
		sa.images.close()
		sa.labels.close()
	}
}

// declareAll opens every wanted split's arrays and checks their headers
// (see declare) and that all splits share one image geometry, before any
// data is read. The caller closes what it returns, also on error.
func (z *npzFile) declareAll(want []Split) ([]*splitArrays, error) {
	var out []*splitArrays
	for _, s := range want {
		sa, err := z.declare(s)
		if sa != nil {
			out = append(out, sa)
		}
		if err != nil {
			return out, err
		}
		if f := out[0]; sa.g.h != f.g.h || sa.g.w != f.g.w || sa.g.c != f.g.c {
			return out, fmt.Errorf("%s %s: images %dx%dx%d, but %s images are %dx%dx%d", z.path, imagesKey(s), sa.g.h, sa.g.w, sa.g.c, f.split, f.g.h, f.g.w, f.g.c)
		}
	}
	return out, nil
}

// declare opens split s's images and labels and checks their headers
// against the layout, the limits, their zip members and each other (one
// label per image), reading no data. On error the arrays it opened are
// returned for closing.
func (z *npzFile) declare(s Split) (*splitArrays, error) {
	sa := &splitArrays{split: s}
	var err error
	if sa.images, err = z.open(imagesKey(s)); err != nil {
		return nil, err
	}
	if sa.g, err = sa.images.imageGeom(); err != nil {
		return sa, err
	}
	if sa.labels, err = z.open(labelsKey(s)); err != nil {
		return sa, err
	}
	n, err := sa.labels.labelCount()
	if err != nil {
		return sa, err
	}
	if n != sa.g.n {
		return sa, fmt.Errorf("%s %s: %d labels but %s has %d images", z.path, labelsKey(s), n, imagesKey(s), sa.g.n)
	}
	return sa, nil
}

// read streams a declared split's data and checks its labels against the
// classes: info's or, without info, the MaxClasses bound, so that no label
// can size a per-class table.
func (sa *splitArrays) read(path string, info *Info, keepPixels bool) (*Dataset, error) {
	imgs, err := sa.images.readImages(sa.g.bytes(), keepPixels)
	if err != nil {
		return nil, err
	}
	r := labelRange{MaxClasses, fmt.Sprintf("a file with neither an official MedMNIST name nor a class_names array has at most %d classes", MaxClasses)}
	if info != nil {
		r = labelRange{info.NumClasses(), fmt.Sprintf("%s has %d classes", info.Flag, info.NumClasses())}
	}
	labels, err := sa.labels.readLabels(sa.g.n, r)
	if err != nil {
		return nil, err
	}
	d := &Dataset{Source: path, Split: sa.split, N: sa.g.n, H: sa.g.h, W: sa.g.w, C: sa.g.c, Images: imgs, Labels: labels}
	if info != nil {
		d.Flag, d.Task, d.Classes = info.Flag, info.Task, slices.Clone(info.Classes)
	}
	return d, nil
}

// inferClasses names the classes of a file with neither a registry name nor
// class_names from its labels (all checked to be below MaxClasses), across
// all loaded splits so that they agree.
func inferClasses(path string, out map[Split]*Dataset) {
	k := 2
	for _, d := range out {
		for _, l := range d.Labels {
			k = max(k, l+1)
		}
	}
	names := make([]string, k)
	for i := range names {
		names[i] = fmt.Sprint(i)
	}
	flag := strings.TrimSuffix(filepath.Base(path), ".npz")
	task := MultiClass
	if k == 2 {
		task = Binary
	}
	if g, ok := GuessFlag(path); ok && g.NumClasses() == k {
		flag, names, task = g.Flag, g.Classes, g.Task
	}
	for _, d := range out {
		d.Flag, d.Classes, d.Task = flag, slices.Clone(names), task
	}
}

// Array is one named numpy array to write: raw little-endian (or
// byte-order-free) data matching Descr and Shape in C order.
type Array struct {
	Name  string // member name without ".npy"
	Descr string
	Shape []int
	Data  []byte
}

// WriteNPY writes a as a version-1.0 (or 2.0 if the header needs it) .npy
// stream.
func WriteNPY(w io.Writer, a Array) error {
	dt, err := ParseDType(a.Descr)
	if err != nil {
		return fmt.Errorf("array %s: %w", a.Name, err)
	}
	n := 1
	for _, d := range a.Shape {
		n *= d
	}
	if n*dt.Size != len(a.Data) {
		return fmt.Errorf("array %s: %d data bytes, shape %v %s needs %d", a.Name, len(a.Data), a.Shape, a.Descr, n*dt.Size)
	}
	if _, err := w.Write(EncodeHeader(a.Descr, false, a.Shape)); err != nil {
		return err
	}
	_, err = w.Write(a.Data)
	return err
}

// zipEpoch is the timestamp of every member gradprint writes, so equal
// content gives equal bytes (numpy also stamps 1980-01-01).
var zipEpoch = time.Date(1980, 1, 1, 0, 0, 0, 0, time.UTC)

// WriteNPZ writes arrays as an npz archive in the given order, deflated if
// compress, with fixed timestamps so output bytes depend only on content.
func WriteNPZ(w io.Writer, arrays []Array, compress bool) error {
	zw := zip.NewWriter(w)
	method := zip.Store
	if compress {
		method = zip.Deflate
	}
	for _, a := range arrays {
		hdr := &zip.FileHeader{Name: a.Name + ".npy", Method: method}
		// Set the legacy DOS fields only: Modified would add an extended
		// timestamp extra field numpy does not write.
		hdr.ModifiedDate, hdr.ModifiedTime = dosDate(zipEpoch), 0
		if method == zip.Store {
			// Stored members need sizes and CRC up front to avoid a data
			// descriptor, which some readers dislike for stored entries.
			h := EncodeHeader(a.Descr, false, a.Shape)
			crc := crc32.NewIEEE()
			crc.Write(h)
			crc.Write(a.Data)
			hdr.CRC32 = crc.Sum32()
			hdr.UncompressedSize64 = uint64(len(h) + len(a.Data))
			hdr.CompressedSize64 = hdr.UncompressedSize64
			fw, err := zw.CreateRaw(hdr)
			if err != nil {
				return fmt.Errorf("npz member %s: %w", a.Name, err)
			}
			if err := WriteNPY(fw, a); err != nil {
				return fmt.Errorf("npz member %s: %w", a.Name, err)
			}
			continue
		}
		fw, err := zw.CreateHeader(hdr)
		if err != nil {
			return fmt.Errorf("npz member %s: %w", a.Name, err)
		}
		if err := WriteNPY(fw, a); err != nil {
			return fmt.Errorf("npz member %s: %w", a.Name, err)
		}
	}
	return zw.Close()
}

func dosDate(t time.Time) uint16 {
	return uint16(t.Day() + int(t.Month())<<5 + (t.Year()-1980)<<9)
}

// Arrays returns d's images and labels in MedMNIST layout: images '|u1'
// (N,H,W) for grey or (N,H,W,C), labels '|u1' (N,1) when all lie in 0..255,
// else '<i8'. It encodes what d holds without checking it (call Validate
// for that); WriteNPY refuses arrays whose data does not match the shape.
func (d *Dataset) Arrays() []Array {
	shape := []int{d.N, d.H, d.W}
	if d.C != 1 {
		shape = append(shape, d.C)
	}
	imgs := Array{Name: imagesKey(d.Split), Descr: "|u1", Shape: shape, Data: d.Images}
	labs := Array{Name: labelsKey(d.Split), Shape: []int{d.N, 1}}
	// Sized by the labels, not by N, so a hand-built Dataset whose N
	// disagrees cannot index out of range here.
	lo, hi := 0, 0
	if len(d.Labels) > 0 {
		lo, hi = slices.Min(d.Labels), slices.Max(d.Labels)
	}
	if lo >= 0 && hi < 256 {
		labs.Descr = "|u1"
		labs.Data = make([]byte, len(d.Labels))
		for i, l := range d.Labels {
			labs.Data[i] = byte(l)
		}
	} else {
		labs.Descr = "<i8"
		labs.Data = make([]byte, 8*len(d.Labels))
		for i, l := range d.Labels {
			binary.LittleEndian.PutUint64(labs.Data[8*i:], uint64(l))
		}
	}
	return []Array{imgs, labs}
}

// StringArray encodes names as a numpy fixed-width unicode array ('<U n').
func StringArray(name string, names []string) Array {
	width := 1
	for _, s := range names {
		width = max(width, utf8.RuneCountInString(s))
	}
	data := make([]byte, 0, 4*width*len(names))
	for _, s := range names {
		n := 0
		for _, r := range s {
			data = binary.LittleEndian.AppendUint32(data, uint32(r))
			n++
		}
		data = append(data, make([]byte, 4*(width-n))...)
	}
	return Array{Name: name, Descr: fmt.Sprintf("<U%d", width), Shape: []int{len(names)}, Data: data}
}

// WriteDatasetsNPZ writes splits (any of train/val/test present, in file
// order) atomically to path, with a class_names array taken from the first
// split so the file describes its classes.
func WriteDatasetsNPZ(path string, splits map[Split]*Dataset, compress bool) error {
	var arrays []Array
	var classes []string
	for _, s := range Splits {
		d, ok := splits[s]
		if !ok {
			continue
		}
		if err := d.Validate(); err != nil {
			return fmt.Errorf("write %s: %w", path, err)
		}
		if classes == nil {
			classes = d.Classes
		} else if !slices.Equal(classes, d.Classes) {
			return fmt.Errorf("write %s: split %s has classes %v, other splits %v", path, s, d.Classes, classes)
		}
		arrays = append(arrays, d.Arrays()...)
	}
	if len(arrays) == 0 {
		return fmt.Errorf("write %s: no splits to write", path)
	}
	arrays = append(arrays, StringArray(ClassNamesKey, classes))
	return atomicfile.Write(path, func(w io.Writer) error {
		bw := bufio.NewWriterSize(w, 1<<20)
		if err := WriteNPZ(bw, arrays, compress); err != nil {
			return err
		}
		return bw.Flush()
	})
}
