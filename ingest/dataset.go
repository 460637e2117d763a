// Package ingest reads MedMNIST-layout datasets (npz archives of .npy
// arrays), knows the official MedMNIST registry, fetches files with checksum
// verification, generates deterministic synthetic datasets, and selects
// seeded per-class samples; it also reads folders of PNG images for flag. It
// knows nothing of models or result files.
package ingest

import "fmt"

// Split names one of the three MedMNIST splits.
type Split string

const (
	Train Split = "train"
	Val   Split = "val"
	Test  Split = "test"
)

// Splits lists the splits in file order.
var Splits = []Split{Train, Val, Test}

// Task is the label semantics of a dataset.
type Task string

const (
	Binary     Task = "binary-class"
	MultiClass Task = "multi-class"
	Ordinal    Task = "ordinal-regression"
)

// Dataset is one split of one dataset, images in memory.
//
// Images hold N images of H x W x C uint8 pixels in row-major HWC order,
// image i at Images[i*H*W*C : (i+1)*H*W*C], exactly as MedMNIST stores them
// (grey images have C = 1).
type Dataset struct {
	Flag       string   // registry flag, e.g. "breastmnist", or "synthetic"
	Source     string   // file the split was read from, for error messages
	Split      Split    // train, val or test
	Task       Task     // label semantics
	Classes    []string // class names, index = label
	N, H, W, C int
	Images     []uint8
	Labels     []int // N labels in [0, len(Classes))
}

// ImageSize is the number of bytes of one image (H*W*C).
func (d *Dataset) ImageSize() int { return d.H * d.W * d.C }

// Image returns image i as a sub-slice of Images (not a copy).
func (d *Dataset) Image(i int) []uint8 {
	n := d.ImageSize()
	return d.Images[i*n : (i+1)*n]
}

// NumClasses is len(Classes).
func (d *Dataset) NumClasses() int { return len(d.Classes) }

// Head returns a dataset of the first n images (all of them when n >= N),
// sharing pixels and labels with d.
func (d *Dataset) Head(n int) *Dataset {
	n = max(0, min(n, d.N))
	h := *d
	h.N, h.Images, h.Labels = n, d.Images[:n*d.ImageSize()], d.Labels[:n]
	return &h
}

// ClassCounts returns the number of images per label, len(Classes) counts.
// Labels outside [0, len(Classes)) are not counted (so the counts may sum
// to less than N) rather than crashing: a Dataset built by hand, such as
// ReadPNGDir's with no Classes, may hold them; Validate reports them.
func (d *Dataset) ClassCounts() []int {
	c := make([]int, len(d.Classes))
	for _, l := range d.Labels {
		if l >= 0 && l < len(c) {
			c[l]++
		}
	}
	return c
}

// Validate checks the internal consistency of d.
func (d *Dataset) Validate() error { return d.validate(true) }

// validate is Validate, checking len(Images) only when pixels: the npz
// loader validates splits it streamed without holding their pixels, with
// the same messages as Validate.
func (d *Dataset) validate(pixels bool) error {
	if d.N < 0 || d.H <= 0 || d.W <= 0 || (d.C != 1 && d.C != 3) {
		return fmt.Errorf("%s %s: bad shape N=%d H=%d W=%d C=%d (want C 1 or 3)", d.Source, d.Split, d.N, d.H, d.W, d.C)
	}
	if pixels && len(d.Images) != d.N*d.ImageSize() {
		return fmt.Errorf("%s %s_images: %d bytes, want N*H*W*C = %d", d.Source, d.Split, len(d.Images), d.N*d.ImageSize())
	}
	if len(d.Labels) != d.N {
		return fmt.Errorf("%s %s_labels: %d labels for %d images", d.Source, d.Split, len(d.Labels), d.N)
	}
	if len(d.Classes) < 2 {
		return fmt.Errorf("%s: %d classes, want at least 2", d.Source, len(d.Classes))
	}
	for i, l := range d.Labels {
		if l < 0 || l >= len(d.Classes) {
			return fmt.Errorf("%s %s_labels[%d] = %d: out of range [0, %d) for %s", d.Source, d.Split, i, l, len(d.Classes), d.Flag)
		}
	}
	return nil
}
