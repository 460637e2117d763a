package ingest

import (
	"bufio"
	"fmt"
	"image"
	"image/png"
	"io"
	"os"
	"path/filepath"
	"strings"

	"golang.org/x/image/draw"
)

// maxPNGSide bounds the size callers may ask PNG images to be read at.
const maxPNGSide = 4096

// MaxPNGPixels bounds the width*height a PNG header may declare: 4096*4096
// pixels, far above any MedMNIST size (at most 224x224). A decoder allocates
// the whole image from the header before reading a pixel, up to 8 bytes a
// pixel for 16-bit RGBA, so without the bound a few hundred bytes of file
// could claim gigabytes; with it a decode allocates at most 128 MiB.
const MaxPNGPixels = maxPNGSide * maxPNGSide

// ReadPNG reads the PNG file at path as size x size x channels uint8 pixels
// in row-major HWC order, the layout of Dataset.Images. channels is 1 (grey)
// or 3 (RGB); size is 1 to 4096.
//
// Any PNG colour type is accepted: grey, grey+alpha, RGB, RGBA (8 or 16
// bits) and palette. 16-bit samples keep their high byte. Grey output is the
// ITU-R 601 luma (299R + 587G + 114B) / 1000 of PIL's convert("L"), computed
// on 16-bit samples and truncated to the high byte, so it can be one level
// below PIL's rounded value; a grey PNG reads back unchanged. Transparent
// pixels are taken premultiplied, that is composited over black.
//
// The header is read first: an image declaring more than MaxPNGPixels is
// refused before any pixel is decoded, and so, when resize is false, is one
// that is not size x size. With resize, other sizes are scaled bilinearly to
// size x size.
func ReadPNG(path string, size, channels int, resize bool) ([]uint8, error) {
	if err := checkPNGShape(size, channels); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return decodePNG(f, path, size, channels, resize, maxPNGSide)
}

// decodePNG is ReadPNG on an open stream, name naming it in errors, with
// the header bound maxSide*maxSide pixels a parameter so that the fuzz
// target can exercise the check with a bound small enough to decode fast.
// size and channels have been checked.
func decodePNG(r io.ReadSeeker, name string, size, channels int, resize bool, maxSide int) ([]uint8, error) {
	cfg, err := png.DecodeConfig(bufio.NewReader(r))
	if err != nil {
		return nil, fmt.Errorf("%s: not a PNG: %w", name, err)
	}
	maxPixels := int64(maxSide) * int64(maxSide)
	if px := int64(cfg.Width) * int64(cfg.Height); px > maxPixels {
		return nil, fmt.Errorf("%s: PNG header declares %dx%d = %d pixels, more than the %d (%dx%d) accepted",
			name, cfg.Width, cfg.Height, px, maxPixels, maxSide, maxSide)
	}
	if (cfg.Width != size || cfg.Height != size) && !resize {
		return nil, fmt.Errorf("%s: image is %dx%d, want %dx%d (use --resize resize to scale it)",
			name, cfg.Width, cfg.Height, size, size)
	}
	if _, err := r.Seek(0, io.SeekStart); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	img, err := png.Decode(bufio.NewReader(r))
	if err != nil {
		return nil, fmt.Errorf("%s: decoding PNG: %w", name, err)
	}
	b := img.Bounds()
	if b.Dx() != cfg.Width || b.Dy() != cfg.Height {
		// Only a file rewritten between the two reads gets here.
		return nil, fmt.Errorf("%s: decoded %dx%d, header declared %dx%d", name, b.Dx(), b.Dy(), cfg.Width, cfg.Height)
	}
	if b.Dx() != size || b.Dy() != size {
		dst := image.NewRGBA(image.Rect(0, 0, size, size))
		draw.BiLinear.Scale(dst, dst.Bounds(), img, b, draw.Src, nil)
		img = dst
	}
	return hwc(img, channels), nil
}

// checkPNGShape validates the requested output shape before anything is
// opened or allocated.
func checkPNGShape(size, channels int) error {
	if channels != 1 && channels != 3 {
		return fmt.Errorf("channels %d: want 1 (grey) or 3 (RGB)", channels)
	}
	if size < 1 || size > maxPNGSide {
		return fmt.Errorf("size %d: want 1 to %d pixels a side", size, maxPNGSide)
	}
	return nil
}

// hwc converts img to HWC uint8 with channels 1 (luma) or 3 (RGB).
func hwc(img image.Image, channels int) []uint8 {
	b := img.Bounds()
	out := make([]uint8, 0, b.Dx()*b.Dy()*channels)
	if g, ok := img.(*image.Gray); ok {
		// The common MedMNIST case: luma of grey is grey, so copy rows.
		for y := b.Min.Y; y < b.Max.Y; y++ {
			row := g.Pix[g.PixOffset(b.Min.X, y):g.PixOffset(b.Max.X, y)]
			for _, v := range row {
				out = append(out, v)
				if channels == 3 {
					out = append(out, v, v)
				}
			}
		}
		return out
	}
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			r, g, bl, _ := img.At(x, y).RGBA()
			if channels == 1 {
				out = append(out, uint8((299*r+587*g+114*bl)/1000>>8))
			} else {
				out = append(out, uint8(r>>8), uint8(g>>8), uint8(bl>>8))
			}
		}
	}
	return out
}

// ReadPNGDir reads every file directly in dir whose name ends in .png (any
// case), in byte order of name, with ReadPNG(path, size, channels, resize),
// and returns them as one Dataset with the file base names in image order.
//
// The Dataset has Flag and Split "input", Source dir, H = W = size,
// C = channels and every label 0: the true labels are unknown. Its Task and
// Classes are empty, so it does not pass Dataset.Validate (which wants at
// least two classes) until the caller names the classes; ClassCounts is
// safe on it (it counts nothing). A folder without PNG files is an error
// naming it, as is any file that ReadPNG refuses, and so is one with more
// files than a split may hold (MaxSplitImages, MaxSplitBytes), checked
// before any is read.
func ReadPNGDir(dir string, size, channels int, resize bool) (*Dataset, []string, error) {
	if err := checkPNGShape(size, channels); err != nil {
		return nil, nil, fmt.Errorf("%s: %w", dir, err)
	}
	entries, err := os.ReadDir(dir) // sorted by name
	if err != nil {
		return nil, nil, err
	}
	var names []string
	for _, e := range entries {
		if !e.IsDir() && strings.EqualFold(filepath.Ext(e.Name()), ".png") {
			names = append(names, e.Name())
		}
	}
	if len(names) == 0 {
		return nil, nil, fmt.Errorf("%s: no .png files in the folder", dir)
	}
	per := size * size * channels
	if n := len(names); n > MaxSplitImages || int64(n)*int64(per) > MaxSplitBytes {
		return nil, nil, fmt.Errorf("%s: %d PNG files at %dx%dx%d, more than the %d images or %d bytes a split may hold",
			dir, n, size, size, channels, MaxSplitImages, int64(MaxSplitBytes))
	}
	// Capacity grows with what is read rather than being claimed up front,
	// so a bad file early in a large folder costs little.
	d := &Dataset{Flag: "input", Source: dir, Split: "input", N: len(names), H: size, W: size, C: channels,
		Images: make([]uint8, 0, min(len(names), 256)*per), Labels: make([]int, len(names))}
	for _, name := range names {
		px, err := ReadPNG(filepath.Join(dir, name), size, channels, resize)
		if err != nil {
			return nil, nil, err
		}
		d.Images = append(d.Images, px...)
	}
	return d, names, nil
}
