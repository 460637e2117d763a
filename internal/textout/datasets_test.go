package textout

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/gradprint/gradprint/ingest"
)

func TestRegistryTable(t *testing.T) {
	var b bytes.Buffer
	if err := Registry(&b, ingest.Registry()); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(b.String()), "\n")
	if len(lines) != len(ingest.Registry())+1 {
		t.Fatalf("%d lines for %d datasets:\n%s", len(lines), len(ingest.Registry()), b.String())
	}
	var breast string
	for _, l := range lines {
		if strings.HasPrefix(l, "breastmnist ") {
			breast = l
		}
	}
	for _, want := range []string{"546/78/156", "28,64,128,224"} {
		if !strings.Contains(breast, want) {
			t.Errorf("breastmnist row %q lacks %q", breast, want)
		}
	}
}

// A run over files counts each verdict and fails exactly when one file is
// invalid, naming it.
func TestVerificationCountsAndFails(t *testing.T) {
	verify := func(f string) (*ingest.VerifyReport, error) {
		switch f {
		case "bad.npz":
			return nil, errors.New("labels: want shape (N, 1)")
		case "official.npz":
			return &ingest.VerifyReport{Path: f, Official: true, Flag: "breastmnist", Size: 28}, nil
		}
		return &ingest.VerifyReport{Path: f, MD5: "abc"}, nil
	}
	var b bytes.Buffer
	if err := Verification(&b, []string{"official.npz", "mine.npz"}, verify); err != nil {
		t.Fatalf("valid files: %v", err)
	}
	if !strings.Contains(b.String(), "2 files: 1 official, 1 not official, 0 invalid") {
		t.Errorf("summary missing:\n%s", b.String())
	}
	b.Reset()
	err := Verification(&b, []string{"official.npz", "bad.npz"}, verify)
	if err == nil || !strings.Contains(err.Error(), "bad.npz") {
		t.Fatalf("invalid file: error %v, want one naming bad.npz", err)
	}
	if !strings.Contains(b.String(), "bad.npz: INVALID: labels: want shape (N, 1)") {
		t.Errorf("verdict missing:\n%s", b.String())
	}
}
