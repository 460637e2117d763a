package ingest

import (
	"archive/zip"
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
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

// arrayKey is the npz member holding split s's images or labels.
func imagesKey(s Split) string { return string(s) + "_images" }
func labelsKey(s Split) string { return string(s) + "_labels" }

// npzFile is an open archive with its members indexed by array name.
type npzFile struct {
	path    string
	zr      *zip.ReadCloser
	members map[string]*zip.File
}

func openNPZ(path string) (*npzFile, error) {
	zr, err := zip.OpenReader(path)
	if err != nil {
		if errors.Is(err, zip.ErrFormat) {
			return nil, fmt.Errorf("%s: not an npz archive (no valid zip directory; truncated or not a zip file): %w", path, err)
		}
		return nil, fmt.Errorf("%s: open npz: %w", path, err)
	}
	z := &npzFile{path: path, zr: zr, members: map[string]*zip.File{}}
	for _, f := range zr.File {
		z.members[strings.TrimSuffix(f.Name, ".npy")] = f
	}
	return z, nil
}

func (z *npzFile) Close() error { return z.zr.Close() }

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
	rc        io.ReadCloser
	zf        *zip.File
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
	hdr, err := ReadHeader(rc)
	if err != nil {
		rc.Close()
		return nil, fmt.Errorf("%s %s: %w", z.path, key, err)
	}
	if hdr.FortranOrder {
		rc.Close()
		return nil, fmt.Errorf("%s %s: fortran_order is True; want C order (numpy's default, as MedMNIST writes)", z.path, key)
	}
	dt, err := ParseDType(hdr.Descr)
	if err != nil {
		rc.Close()
		return nil, fmt.Errorf("%s %s: %w", z.path, key, err)
	}
	return &array{path: z.path, key: key, hdr: hdr, dt: dt, rc: rc, zf: f}, nil
}

// dataErr explains a failed read of array data.
func (a *array) dataErr(got, want int64, err error) error {
	if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
		return fmt.Errorf("%s %s: truncated data: got %d of %d bytes for shape %v %s", a.path, a.key, got, want, a.hdr.Shape, a.hdr.Descr)
	}
	return fmt.Errorf("%s %s: reading data: %w", a.path, a.key, err)
}

// finish checks that the member ends exactly after the data; reading to EOF
// also makes archive/zip verify the member's CRC-32.
func (a *array) finish() error {
	defer a.rc.Close()
	var one [1]byte
	n, err := io.ReadFull(a.rc, one[:])
	if n > 0 {
		return fmt.Errorf("%s %s: data longer than shape %v %s implies", a.path, a.key, a.hdr.Shape, a.hdr.Descr)
	}
	if err != nil && !errors.Is(err, io.EOF) {
		return fmt.Errorf("%s %s: %w", a.path, a.key, err)
	}
	return nil
}

// checkFits refuses, before allocating, data that the zip member cannot
// hold: a corrupt or hostile shape must give an error, not an
// out-of-memory crash. Deflate expands at most about 1032:1.
func (a *array) checkFits(size int64) error {
	need := uint64(a.hdr.DataOffset) + uint64(size)
	if need > a.zf.UncompressedSize64 {
		return fmt.Errorf("%s %s: truncated data: member holds %d bytes, shape %v %s needs %d", a.path, a.key, a.zf.UncompressedSize64, a.hdr.Shape, a.hdr.Descr, need)
	}
	limit := a.zf.CompressedSize64
	if a.zf.Method != zip.Store {
		limit = limit*1032 + 1024
	}
	if need > limit {
		return fmt.Errorf("%s %s: shape %v %s needs %d bytes, more than a %d-byte compressed member can hold", a.path, a.key, a.hdr.Shape, a.hdr.Descr, need, a.zf.CompressedSize64)
	}
	return nil
}

// imageGeom checks an images array header and returns its geometry.
func (a *array) imageGeom() (n, h, w, c int, err error) {
	if a.dt.Kind != 'u' || a.dt.Size != 1 {
		return 0, 0, 0, 0, fmt.Errorf("%s %s: dtype %s, want uint8 ('|u1')", a.path, a.key, a.hdr.Descr)
	}
	s := a.hdr.Shape
	switch {
	case len(s) == 3:
		n, h, w, c = s[0], s[1], s[2], 1
	case len(s) == 4 && (s[3] == 1 || s[3] == 3):
		n, h, w, c = s[0], s[1], s[2], s[3]
	default:
		return 0, 0, 0, 0, fmt.Errorf("%s %s: shape %v, want (N, H, W) or (N, H, W, 3)", a.path, a.key, s)
	}
	if h == 0 || w == 0 {
		return 0, 0, 0, 0, fmt.Errorf("%s %s: shape %v has an empty image dimension", a.path, a.key, s)
	}
	return n, h, w, c, nil
}

// readImages reads (or, with keep false, streams past) an images array.
func (a *array) readImages(keep bool) (n, h, w, c int, data []uint8, err error) {
	defer a.rc.Close()
	if n, h, w, c, err = a.imageGeom(); err != nil {
		return
	}
	size := int64(n) * int64(h) * int64(w) * int64(c)
	if err = a.checkFits(size); err != nil {
		return 0, 0, 0, 0, nil, err
	}
	if keep {
		data = make([]uint8, size)
		got, rerr := io.ReadFull(a.rc, data)
		if rerr != nil {
			return 0, 0, 0, 0, nil, a.dataErr(int64(got), size, rerr)
		}
	} else {
		got, rerr := io.CopyN(io.Discard, a.rc, size)
		if rerr != nil {
			return 0, 0, 0, 0, nil, a.dataErr(got, size, rerr)
		}
	}
	return n, h, w, c, data, a.finish()
}

// readLabels decodes an integer labels array of shape (N,) or (N, 1).
func (a *array) readLabels() ([]int, error) {
	defer a.rc.Close()
	if !a.dt.IsInteger() {
		return nil, fmt.Errorf("%s %s: dtype %s, want an integer type such as '|u1' or '<i8'", a.path, a.key, a.hdr.Descr)
	}
	s := a.hdr.Shape
	if !(len(s) == 1 || (len(s) == 2 && s[1] == 1)) {
		if len(s) == 2 {
			return nil, fmt.Errorf("%s %s: shape %v, want (N, 1) or (N,); multi-label files (like chestmnist) are not supported", a.path, a.key, s)
		}
		return nil, fmt.Errorf("%s %s: shape %v, want (N, 1) or (N,)", a.path, a.key, s)
	}
	n := s[0]
	size := int64(n) * int64(a.dt.Size)
	if err := a.checkFits(size); err != nil {
		return nil, err
	}
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
		labels[i] = v
	}
	a.rc = io.NopCloser(br) // finish must read what bufio buffered
	return labels, a.finish()
}

func decodeInt(dt DType, b []byte) (int, error) {
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
		if u > 1<<62 {
			return 0, fmt.Errorf("label %d does not fit an int", u)
		}
		return int(u), nil
	}
	// Sign-extend from the element width.
	shift := 64 - 8*uint(dt.Size)
	return int(int64(u<<shift) >> shift), nil
}

// readStrings decodes a 1-D numpy unicode array ('<U n').
func (a *array) readStrings() ([]string, error) {
	defer a.rc.Close()
	if a.dt.Kind != 'U' || len(a.hdr.Shape) != 1 {
		return nil, fmt.Errorf("%s %s: dtype %s shape %v, want a 1-D unicode array ('<U')", a.path, a.key, a.hdr.Descr, a.hdr.Shape)
	}
	n := a.hdr.Shape[0]
	if n > 1<<16 {
		return nil, fmt.Errorf("%s %s: %d strings, want at most 65536", a.path, a.key, n)
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
	return out, a.finish()
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
	if _, ok := z.members[ClassNamesKey]; ok {
		a, err := z.open(ClassNamesKey)
		if err != nil {
			return nil, err
		}
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
	return nil, nil
}

// ReadNPZ loads all three splits of a MedMNIST-layout npz file.
//
// info supplies the class names, task and flag; when nil they come from the
// registry (official file names), the file's class_names array, or, failing
// both, from the labels themselves (classes "0".."K-1" with K = max label+1,
// flag taken from the registry prefix of the name or the file name). Labels
// outside [0, K) are an error naming the file, array and index.
func ReadNPZ(path string, info *Info) (map[Split]*Dataset, error) {
	return readNPZ(path, info, Splits)
}

// ReadNPZSplit loads one split; see ReadNPZ for how info is resolved.
func ReadNPZSplit(path string, split Split, info *Info) (*Dataset, error) {
	m, err := readNPZ(path, info, []Split{split})
	if err != nil {
		return nil, err
	}
	return m[split], nil
}

func readNPZ(path string, info *Info, want []Split) (map[Split]*Dataset, error) {
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
	out := map[Split]*Dataset{}
	for _, s := range want {
		d, err := z.readSplit(s, info)
		if err != nil {
			return nil, err
		}
		out[s] = d
	}
	if info == nil {
		// Infer classes across all loaded splits so they agree.
		k := 2
		for _, d := range out {
			for _, l := range d.Labels {
				k = max(k, l+1)
			}
		}
		if k > 1000 {
			return nil, fmt.Errorf("%s: labels reach %d; without a registry entry or class_names array, want at most 1000 classes", path, k-1)
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
	for _, d := range out {
		if err := d.Validate(); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// readPair reads a split's images (pixels only when keepPixels) and labels
// and checks that their counts agree.
func (z *npzFile) readPair(s Split, keepPixels bool) (n, h, w, c int, imgs []uint8, labels []int, err error) {
	ia, err := z.open(imagesKey(s))
	if err != nil {
		return
	}
	if n, h, w, c, imgs, err = ia.readImages(keepPixels); err != nil {
		return
	}
	la, err := z.open(labelsKey(s))
	if err != nil {
		return
	}
	if labels, err = la.readLabels(); err != nil {
		return
	}
	if len(labels) != n {
		err = fmt.Errorf("%s %s: %d labels but %s has %d images", z.path, labelsKey(s), len(labels), imagesKey(s), n)
	}
	return
}

func (z *npzFile) readSplit(s Split, info *Info) (*Dataset, error) {
	n, h, w, c, imgs, labels, err := z.readPair(s, true)
	if err != nil {
		return nil, err
	}
	d := &Dataset{Source: z.path, Split: s, N: n, H: h, W: w, C: c, Images: imgs, Labels: labels}
	if info != nil {
		d.Flag, d.Task, d.Classes = info.Flag, info.Task, slices.Clone(info.Classes)
		if err := checkLabelRange(z.path, labelsKey(s), labels, info); err != nil {
			return nil, err
		}
	}
	return d, nil
}

func checkLabelRange(path, key string, labels []int, info *Info) error {
	k := info.NumClasses()
	for i, l := range labels {
		if l < 0 || l >= k {
			return fmt.Errorf("%s %s[%d] = %d: out of range, %s has %d classes (want 0..%d)", path, key, i, l, info.Flag, k, k-1)
		}
	}
	return nil
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
// (N,H,W) for grey or (N,H,W,C), labels '|u1' (N,1) when they fit a byte,
// else '<i8'.
func (d *Dataset) Arrays() []Array {
	shape := []int{d.N, d.H, d.W}
	if d.C != 1 {
		shape = append(shape, d.C)
	}
	imgs := Array{Name: imagesKey(d.Split), Descr: "|u1", Shape: shape, Data: d.Images}
	labs := Array{Name: labelsKey(d.Split), Shape: []int{d.N, 1}}
	if slices.Max(append([]int{0}, d.Labels...)) < 256 {
		labs.Descr = "|u1"
		labs.Data = make([]byte, d.N)
		for i, l := range d.Labels {
			labs.Data[i] = byte(l)
		}
	} else {
		labs.Descr = "<i8"
		labs.Data = make([]byte, 8*d.N)
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
