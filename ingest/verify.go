package ingest

import (
	"crypto/md5"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
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

// VerifyFile checks an npz file and reports on it against the registry.
//
// Its verdict is the loader's: it runs ReadNPZ's own checks (see ReadNPZ:
// headers, dtypes, shapes and limits before any data, complete data with
// valid CRCs, counts, one geometry across splits, labels within the
// classes), with info nil as train, evaluate and analyze load files, so it
// returns an error, with the loader's message, exactly when ReadNPZ(path,
// nil) would. Pixels are streamed, not held, so 224px files verify in
// little memory.
//
// A valid file is then compared with the registry entry its MD5 names
// (Official), else the one its name suggests: split sizes, image size and
// channels, and class count differences become Notes, not errors.
func VerifyFile(path string) (*VerifyReport, error) {
	ds, err := readNPZ(path, nil, Splits, false)
	if err != nil {
		return nil, err
	}
	sum, n, err := FileMD5(path)
	if err != nil {
		return nil, fmt.Errorf("verify %s: %w", path, err)
	}
	r := &VerifyReport{Path: path, Bytes: n, MD5: sum, Classes: ds[Train].NumClasses()}
	var ref *Info
	if in, size, ok := LookupMD5(sum); ok {
		ref, r.Official, r.Flag, r.Size = in, true, in.Flag, size
	} else if in, ok := GuessFlag(path); ok {
		ref, r.Flag = in, in.Flag
	}
	if err := r.listArrays(); err != nil {
		return nil, err
	}
	for _, s := range Splits {
		d := ds[s]
		sr := SplitReport{Split: s, N: d.N, H: d.H, W: d.W, C: d.C, ClassCounts: d.ClassCounts()}
		if ref != nil {
			sr.Expected = ref.SplitSizes[s]
		}
		r.Splits = append(r.Splits, sr)
	}
	if ref != nil {
		r.noteDeviations(ref, ds)
	}
	return r, nil
}

// listArrays records every member's header. The loader has accepted the
// file, so only extra arrays can fail here: not part of the MedMNIST
// layout, an odd one (say a pickled object array) gets a note.
func (r *VerifyReport) listArrays() error {
	z, err := openNPZ(r.Path)
	if err != nil {
		return err
	}
	defer z.Close()
	for _, k := range z.keys() {
		a, err := z.open(k)
		if err != nil {
			r.Notes = append(r.Notes, fmt.Sprintf("extra array %s unreadable: %v", k, err))
			continue
		}
		a.close()
		r.Arrays = append(r.Arrays, ArrayReport{Key: k, Descr: a.hdr.Descr, Shape: a.hdr.Shape})
	}
	return nil
}

// noteDeviations notes how a valid file differs from the registry entry
// ref: class count, split sizes, channels and image size.
func (r *VerifyReport) noteDeviations(ref *Info, ds map[Split]*Dataset) {
	if k := ref.NumClasses(); r.Classes != k {
		maxLabel := 0
		for _, d := range ds {
			maxLabel = max(maxLabel, slices.Max(append([]int{0}, d.Labels...)))
		}
		if maxLabel >= k {
			r.Notes = append(r.Notes, fmt.Sprintf("labels reach %d but %s has %d classes", maxLabel, ref.Flag, k))
		} else {
			r.Notes = append(r.Notes, fmt.Sprintf("%d classes, %s has %d", r.Classes, ref.Flag, k))
		}
	}
	for _, sr := range r.Splits {
		if sr.Expected > 0 && sr.N != sr.Expected {
			r.Notes = append(r.Notes, fmt.Sprintf("%s has %d images, %s has %d", sr.Split, sr.N, ref.Flag, sr.Expected))
		}
	}
	f := r.Splits[0]
	if f.C != ref.Channels {
		r.Notes = append(r.Notes, fmt.Sprintf("images have %d channels, %s has %d", f.C, ref.Flag, ref.Channels))
	}
	if f.H != f.W || !isOfficialSize(f.H) {
		r.Notes = append(r.Notes, fmt.Sprintf("image size %dx%d is not an official MedMNIST size (28, 64, 128, 224)", f.H, f.W))
	}
	if r.Official && f.H != r.Size {
		// Only an MD5 collision gets here; the file itself is valid.
		r.Notes = append(r.Notes, fmt.Sprintf("checksum says size %d but images are %dx%d", r.Size, f.H, f.W))
	}
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
