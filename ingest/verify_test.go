package ingest

import (
	"bytes"
	"encoding/binary"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func TestVerifySyntheticAndBroken(t *testing.T) {
	p := filepath.Join(t.TempDir(), "synthetic.npz")
	if err := WriteSynthetic(p, smallSynth(1)); err != nil {
		t.Fatal(err)
	}
	r, err := VerifyFile(p)
	if err != nil {
		t.Fatal(err)
	}
	if r.Official || r.Flag != "" || r.Classes != 4 || len(r.Splits) != 3 || r.Splits[0].N != 200 {
		t.Errorf("report %+v", r)
	}
	var buf bytes.Buffer
	r.WriteText(&buf)
	if !strings.Contains(buf.String(), "not official (md5 "+r.MD5+")") || !strings.Contains(buf.String(), "class_names <U4 (4,)") {
		t.Errorf("text:\n%s", buf.String())
	}

	// A file named like an official one but with wrong geometry is
	// reported with notes, not rejected.
	named := filepath.Join(t.TempDir(), "breastmnist_64.npz")
	cfg := smallSynth(1)
	cfg.Classes = 2
	WriteSynthetic(named, cfg)
	r, err = VerifyFile(named)
	if err != nil {
		t.Fatal(err)
	}
	if r.Official || r.Flag != "breastmnist" || len(r.Notes) != 3 {
		t.Errorf("%s notes %q", r.Summary(), r.Notes)
	}

	// Invalid files are errors naming file and array.
	ms := replace(goodMembers(4), "val_labels.npy", npy("|u1", false, []int{3, 1}, make([]byte, 3)))
	if _, err := VerifyFile(writeRawNPZ(t, ms...)); err == nil || !strings.Contains(err.Error(), "val_labels") {
		t.Errorf("count mismatch: %v", err)
	}
	ms = replace(goodMembers(4), "val_images.npy", npy("|u1", false, []int{4, 5, 4}, make([]byte, 80)))
	if _, err := VerifyFile(writeRawNPZ(t, ms...)); err == nil || !strings.Contains(err.Error(), "5x4x1") {
		t.Errorf("geometry mismatch: %v", err)
	}
}

func TestVerifyToleratesOddExtraArray(t *testing.T) {
	ms := append(goodMembers(4), member{name: "meta.npy", data: []byte("\x93NUMPY\x01\x00\x40\x00{'descr': '|O', 'fortran_order': False, 'shape': (1,), }           \n")})
	r, err := VerifyFile(writeRawNPZ(t, ms...))
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Notes) != 1 || !strings.Contains(r.Notes[0], "extra array meta") {
		t.Errorf("notes %q", r.Notes)
	}
}

// i8 encodes labels as '<i8' data.
func i8(vals ...int64) []byte {
	var b []byte
	for _, v := range vals {
		b = binary.LittleEndian.AppendUint64(b, uint64(v))
	}
	return b
}

// TestVerifyRefusesWhatTheLoaderRefuses holds the hostile-input
// reproducers: for each bad file ReadNPZ (with info nil, as train, evaluate
// and analyze load files) and VerifyFile must both refuse, with one and the
// same message.
func TestVerifyRefusesWhatTheLoaderRefuses(t *testing.T) {
	good := goodMembers(4)
	labels := func(split string, shape []int, data []byte) []member {
		return replace(good, split+"_labels.npy", npy("<i8", false, shape, data))
	}
	names := func(descr string, n int, data []byte) []member {
		return append(slices.Clone(good), member{name: "class_names.npy", data: npy(descr, false, []int{n}, data)})
	}
	stored := func() []byte {
		var arrays []Array
		for _, s := range Splits {
			d := &Dataset{Split: s, Classes: []string{"a", "b"}, N: 2, H: 8, W: 8, C: 1, Images: make([]byte, 128), Labels: []int{0, 1}}
			arrays = append(arrays, d.Arrays()...)
		}
		var buf bytes.Buffer
		if err := WriteNPZ(&buf, arrays, false); err != nil {
			t.Fatal(err)
		}
		b := buf.Bytes()
		i := bytes.Index(b, []byte("), }"))
		b[i+bytes.IndexByte(b[i:], '\n')+10] ^= 0xff // a pixel of train_images
		return b
	}
	cases := []struct {
		name    string
		file    string // base name; "" for broken.npz
		members []member
		raw     []byte // whole file instead of members
		want    []string
	}{
		{"label 2^40, no class names", "", labels("train", []int{4, 1}, i8(0, 1<<40, 1, 0)), nil,
			[]string{"train_labels[1] = 1099511627776: out of range", "neither an official MedMNIST name nor a class_names array has at most 1000 classes (want 0..999)"}},
		{"label 2^40, registry prefix", "pneumoniamnist_subset.npz", labels("val", []int{4}, i8(0, 1, 1<<40, 0)), nil,
			[]string{"val_labels[2] = 1099511627776", "at most 1000 classes"}},
		{"label 2^40, class names", "", append(labels("test", []int{4, 1}, i8(1<<40, 0, 0, 0)), member{name: "class_names.npy", data: stringArrayNPY([]string{"a", "b", "c"})}), nil,
			[]string{"test_labels[0] = 1099511627776", "broken has 3 classes (want 0..2)"}},
		{"label past registry classes", "breastmnist.npz", labels("test", []int{4, 1}, i8(0, 1, 5, 0)), nil,
			[]string{"test_labels[2] = 5: out of range, breastmnist has 2 classes (want 0..1)"}},
		{"label 1000", "", labels("train", []int{4, 1}, i8(0, 1000, 0, 0)), nil, []string{"train_labels[1] = 1000"}},
		{"max int64 label", "", labels("train", []int{4, 1}, i8(0, math.MaxInt64, 0, 0)), nil, []string{"train_labels[1] = 9223372036854775807"}},
		{"negative label", "", labels("val", []int{4, 1}, i8(0, 1, -1, 0)), nil, []string{"val_labels[2] = -1: out of range"}},
		{"uint64 label past int64", "", replace(good, "train_labels.npy", npy("<u8", false, []int{4}, i8(0, -1, 0, 0))), nil,
			[]string{"train_labels[1]", "does not fit an int64"}},
		{"count mismatch", "", replace(good, "val_labels.npy", npy("|u1", false, []int{3, 1}, make([]byte, 3))), nil,
			[]string{"val_labels: 3 labels but val_images has 4 images"}},
		{"geometry between splits", "", replace(good, "val_images.npy", npy("|u1", false, []int{4, 5, 4}, make([]byte, 80))), nil,
			[]string{"val_images: images 5x4x1, but train images are 4x4x1"}},
		{"channels between splits", "", replace(good, "test_images.npy", npy("|u1", false, []int{4, 4, 4, 3}, make([]byte, 192))), nil,
			[]string{"test_images: images 4x4x3, but train images are 4x4x1"}},
		{"image dtype", "", replace(good, "test_images.npy", npy("<f4", false, []int{4, 4, 4}, make([]byte, 256))), nil,
			[]string{"test_images: dtype <f4, want uint8"}},
		{"label dtype", "", replace(good, "val_labels.npy", npy("<f8", false, []int{4, 1}, make([]byte, 32))), nil,
			[]string{"val_labels: dtype <f8, want an integer type"}},
		{"multi-label shape", "", replace(good, "val_labels.npy", npy("|u1", false, []int{4, 14}, make([]byte, 56))), nil,
			[]string{"val_labels: shape [4 14]", "multi-label"}},
		{"multi-label by name", "chestmnist.npz", good, nil, []string{"chestmnist is a multi-label dataset"}},
		{"truncated images", "", replace(good, "val_images.npy", npy("|u1", false, []int{4, 4, 4}, make([]byte, 40))), nil,
			[]string{"val_images: truncated data: member holds 168 bytes", "needs 192"}},
		{"truncated labels", "", labels("train", []int{4, 1}, make([]byte, 20)), nil,
			[]string{"train_labels: truncated data", "needs 160"}},
		{"trailing data", "", replace(good, "val_images.npy", npy("|u1", false, []int{4, 4, 4}, make([]byte, 65))), nil,
			[]string{"val_images: data longer than shape"}},
		{"huge declared shape", "", replace(good, "train_images.npy", npy("|u1", false, []int{1000000, 1000, 1000}, make([]byte, 16))), nil,
			[]string{"train_images: truncated data", "needs 1000000000128"}},
		{"huge declared side", "", replace(good, "train_images.npy", npy("|u1", false, []int{1, 100000, 100000}, nil)), nil,
			[]string{"train_images: shape [1 100000 100000]: 100000x100000 images, more than the 4096 pixels a side"}},
		{"huge declared count", "", replace(good, "test_images.npy", npy("|u1", false, []int{1 << 30, 1, 1}, nil)), nil,
			[]string{"test_images: shape [1073741824 1 1]: 1073741824 images, more than the 4194304 a split may hold"}},
		{"huge declared labels", "", labels("val", []int{1 << 23, 1}, nil), nil,
			[]string{"val_labels: shape [8388608 1]: 8388608 labels, more than the 4194304"}},
		{"elements past 2^40", "", replace(good, "train_images.npy", npy("|u1", false, []int{1 << 20, 1 << 20, 1 << 20}, nil)), nil,
			[]string{"train_images: npy header", "more than 2^40 elements"}},
		{"missing array", "", good[1:], nil, []string{`missing array "train_images"`}},
		{"duplicate array", "", append(slices.Clone(good), good[0]), nil, []string{`two members hold array "train_images"`}},
		{"fortran order", "", replace(good, "train_images.npy", npy("|u1", true, []int{4, 4, 4}, make([]byte, 64))), nil,
			[]string{"train_images: fortran_order is True"}},
		{"bad header", "", replace(good, "train_labels.npy", []byte("\x93NUMPY\x01\x00\x05\x00{'de")), nil, []string{"train_labels: npy header"}},
		{"too many class names", "", names("<U1", 1001, make([]byte, 4*1001)), nil, []string{"class_names: 1001 class names, want 2 to 1000"}},
		{"class names too wide", "", names("<U5000", 2, make([]byte, 40000)), nil, []string{"class_names: dtype <U5000, want names of at most 1024 characters"}},
		{"class names huge count", "", names("<U4", 1<<30, nil), nil, []string{"class_names: 1073741824 class names"}},
		{"class names truncated", "", names("<U4", 3, make([]byte, 20)), nil, []string{"class_names: truncated data"}},
		{"class names not strings", "", names("<i8", 2, make([]byte, 16)), nil, []string{"class_names: dtype <i8 shape [2], want a 1-D unicode array"}},
		{"one class name", "", append(slices.Clone(good), member{name: "class_names.npy", data: stringArrayNPY([]string{"only"})}), nil,
			[]string{"class_names: 1 class names, want 2 to 1000"}},
		{"corrupt CRC", "", nil, stored(), []string{"train_images", "checksum"}},
		{"not a zip", "", nil, []byte("this is not a zip archive"), []string{"not an npz archive"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var p string
			switch {
			case c.raw != nil:
				p = filepath.Join(t.TempDir(), "broken.npz")
				if err := os.WriteFile(p, c.raw, 0o644); err != nil {
					t.Fatal(err)
				}
			case c.file != "":
				p = writeNamedNPZ(t, c.file, c.members...)
			default:
				p = writeRawNPZ(t, c.members...)
			}
			_, lerr := ReadNPZ(p, nil)
			_, verr := VerifyFile(p)
			if lerr == nil || verr == nil {
				t.Fatalf("ReadNPZ: %v; VerifyFile: %v; want both to refuse", lerr, verr)
			}
			t.Log(lerr)
			if lerr.Error() != verr.Error() {
				t.Errorf("messages differ:\n ReadNPZ:    %v\n VerifyFile: %v", lerr, verr)
			}
			for _, w := range append([]string{p}, c.want...) {
				if !strings.Contains(lerr.Error(), w) {
					t.Errorf("error %q lacks %q", lerr, w)
				}
			}
		})
	}
}

// stringArrayNPY is the .npy bytes of StringArray(names).
func stringArrayNPY(names []string) []byte {
	a := StringArray(ClassNamesKey, names)
	return npy(a.Descr, false, a.Shape, a.Data)
}
