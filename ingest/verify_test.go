package ingest

import (
	"bytes"
	"path/filepath"
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
	ms := append(goodMembers(4), member{"meta.npy", []byte("\x93NUMPY\x01\x00\x40\x00{'descr': '|O', 'fortran_order': False, 'shape': (1,), }           \n")})
	r, err := VerifyFile(writeRawNPZ(t, ms...))
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Notes) != 1 || !strings.Contains(r.Notes[0], "extra array meta") {
		t.Errorf("notes %q", r.Notes)
	}
}
