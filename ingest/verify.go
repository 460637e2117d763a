package ingest

import (
	"crypto/md5"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
)

// SplitReport is what VerifyFile found for one split.
type SplitReport struct {
	Split       Split
	N, H, W, C  int
	ClassCounts []int // images per label
	Expected    int   // registry split size, 0 when the dataset is unknown
}

// ArrayReport describes one npz member as its header declares it.
type ArrayReport struct {
	Key   string
	Descr string
	Shape []int
}

// VerifyReport is the outcome of checking one npz file. A file that is
// valid but not byte-identical to an official one is reported, not
// rejected: Official is false and Notes say how it deviates.
type VerifyReport struct {
	Path     string
	Bytes    int64
	MD5      string
	Official bool   // MD5 equals a registry checksum
	Flag     string // dataset: from the MD5, else guessed from the name ("" if unknown)
	Size     int    // official image size when Official
	Arrays   []ArrayReport
	Splits   []SplitReport
	Classes  int      // number of classes used for the counts
	Notes    []string // deviations from the registry
}

// FileMD5 returns the lower-case hex MD5 of a file and its length.
func FileMD5(path string) (string, int64, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", 0, err
	}
	defer f.Close()
	h := md5.New()
	n, err := io.Copy(h, f)
	if err != nil {
		return "", 0, fmt.Errorf("%s: read: %w", path, err)
	}
	return hex.EncodeToString(h.Sum(nil)), n, nil
}

// VerifyFile checks an npz file: its MD5 against the registry, that every
// array parses (headers, dtypes, shapes, complete data with valid CRCs),
// that image and label counts agree and that splits share one image
// geometry; it compares split sizes, image size and channels with the
// registry. Images are streamed, not held, so 224px files verify in little
// memory. An error means the file is unreadable or not a valid
// MedMNIST-layout file.
func VerifyFile(path string) (*VerifyReport, error) {
	sum, n, err := FileMD5(path)
	if err != nil {
		return nil, fmt.Errorf("verify %s: %w", path, err)
	}
	r := &VerifyReport{Path: path, Bytes: n, MD5: sum}
	var info *Info
	if in, size, ok := LookupMD5(sum); ok {
		info, r.Official, r.Flag, r.Size = in, true, in.Flag, size
	} else if in, ok := GuessFlag(path); ok {
		info, r.Flag = in, in.Flag
	}

	z, err := openNPZ(path)
	if err != nil {
		return nil, err
	}
	defer z.Close()
	required := map[string]bool{}
	for _, s := range Splits {
		required[imagesKey(s)], required[labelsKey(s)] = true, true
	}
	for _, k := range z.keys() {
		a, err := z.open(k)
		if err != nil {
			if required[k] {
				return nil, err
			}
			// Extra arrays are not part of the MedMNIST layout; an odd one
			// (say a pickled object array) is worth a note, not a failure.
			r.Notes = append(r.Notes, fmt.Sprintf("extra array %s unreadable: %v", k, err))
			continue
		}
		a.rc.Close()
		r.Arrays = append(r.Arrays, ArrayReport{Key: k, Descr: a.hdr.Descr, Shape: a.hdr.Shape})
	}
	if info != nil && info.Task == MultiLabel {
		r.Notes = append(r.Notes, fmt.Sprintf("%s is multi-label; label counts not checked", info.Flag))
		return r, nil
	}

	allLabels := map[Split][]int{}
	maxLabel := 0
	for _, s := range Splits {
		nImg, h, w, c, _, labels, err := z.readPair(s, false)
		if err != nil {
			return nil, err
		}
		for i, l := range labels {
			if l < 0 {
				return nil, fmt.Errorf("%s %s[%d] = %d: negative label", path, labelsKey(s), i, l)
			}
			maxLabel = max(maxLabel, l)
		}
		if len(r.Splits) > 0 {
			f := r.Splits[0]
			if f.H != h || f.W != w || f.C != c {
				return nil, fmt.Errorf("%s %s: images %dx%dx%d, but %s images are %dx%dx%d", path, imagesKey(s), h, w, c, f.Split, f.H, f.W, f.C)
			}
		}
		sr := SplitReport{Split: s, N: nImg, H: h, W: w, C: c}
		if info != nil {
			sr.Expected = info.SplitSizes[s]
		}
		r.Splits = append(r.Splits, sr)
		allLabels[s] = labels
	}

	r.Classes = maxLabel + 1
	if info != nil {
		if maxLabel >= info.NumClasses() {
			if r.Official {
				// Cannot happen for a genuine file; guard anyway.
				return nil, fmt.Errorf("%s: label %d out of range for %s (%d classes)", path, maxLabel, info.Flag, info.NumClasses())
			}
			r.Notes = append(r.Notes, fmt.Sprintf("labels reach %d but %s has %d classes", maxLabel, info.Flag, info.NumClasses()))
		} else {
			r.Classes = info.NumClasses()
		}
	}
	for i := range r.Splits {
		sr := &r.Splits[i]
		sr.ClassCounts = make([]int, r.Classes)
		for _, l := range allLabels[sr.Split] {
			sr.ClassCounts[l]++
		}
		if sr.Expected > 0 && sr.N != sr.Expected {
			r.Notes = append(r.Notes, fmt.Sprintf("%s has %d images, %s has %d", sr.Split, sr.N, info.Flag, sr.Expected))
		}
	}
	if info != nil {
		f := r.Splits[0]
		if f.C != info.Channels {
			r.Notes = append(r.Notes, fmt.Sprintf("images have %d channels, %s has %d", f.C, info.Flag, info.Channels))
		}
		if f.H != f.W || !isOfficialSize(f.H) {
			r.Notes = append(r.Notes, fmt.Sprintf("image size %dx%d is not an official MedMNIST size (28, 64, 128, 224)", f.H, f.W))
		}
		if r.Official && f.H != r.Size {
			return nil, fmt.Errorf("%s: checksum says size %d but images are %dx%d", path, r.Size, f.H, f.W)
		}
	}
	return r, nil
}

func isOfficialSize(s int) bool {
	for _, o := range Sizes {
		if o == s {
			return true
		}
	}
	return false
}

// Summary is the one-line verdict: "official breastmnist size 28" or
// "not official (md5 ...)".
func (r *VerifyReport) Summary() string {
	if r.Official {
		return fmt.Sprintf("official %s size %d", r.Flag, r.Size)
	}
	s := fmt.Sprintf("not official (md5 %s)", r.MD5)
	if r.Flag != "" {
		s += fmt.Sprintf(", named like %s", r.Flag)
	}
	return s
}

// WriteText renders the report for people.
func (r *VerifyReport) WriteText(w io.Writer) error {
	var b strings.Builder
	fmt.Fprintf(&b, "%s: %s\n", r.Path, r.Summary())
	fmt.Fprintf(&b, "  md5 %s, %d bytes\n", r.MD5, r.Bytes)
	keys := make([]string, len(r.Arrays))
	for i, a := range r.Arrays {
		keys[i] = fmt.Sprintf("%s %s %s", a.Key, a.Descr, shapeString(a.Shape))
	}
	fmt.Fprintf(&b, "  arrays: %s\n", strings.Join(keys, "; "))
	for _, s := range r.Splits {
		exp := ""
		switch {
		case s.Expected == 0:
		case s.Expected == s.N:
			exp = " (as registry)"
		default:
			exp = fmt.Sprintf(" (registry: %d)", s.Expected)
		}
		fmt.Fprintf(&b, "  %-5s %6d images %dx%dx%d%s, per class %v\n", s.Split, s.N, s.H, s.W, s.C, exp, s.ClassCounts)
	}
	for _, n := range r.Notes {
		fmt.Fprintf(&b, "  note: %s\n", n)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func shapeString(s []int) string {
	parts := make([]string, len(s))
	for i, d := range s {
		parts[i] = fmt.Sprint(d)
	}
	if len(s) == 1 {
		return "(" + parts[0] + ",)"
	}
	return "(" + strings.Join(parts, ",") + ")"
}

// ListNPZ lists the .npz files directly in dir, sorted by name (the
// extension in any case). It reads the folder rather than expanding a glob,
// so dir may contain any characters; a folder with none is an error.
func ListNPZ(dir string) ([]string, error) {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("list %s: %w", dir, err)
	}
	var out []string
	for _, e := range ents {
		if !e.IsDir() && strings.EqualFold(filepath.Ext(e.Name()), ".npz") {
			out = append(out, filepath.Join(dir, e.Name()))
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("no .npz files in %s (set --data-dir or pass files)", dir)
	}
	return out, nil
}
