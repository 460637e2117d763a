package reports

import (
	"fmt"
	"image"
	"math"
	"slices"
	"strconv"
	"strings"
)

// Rendered is a figure and where its parts landed, so that callers and
// tests can check panels and legends without guessing coordinates.
type Rendered struct {
	// Image is the whole figure, as wide as Options.Width asks (DefaultWidth
	// for 0; never below the minimum width).
	Image *image.RGBA
	// Panels are the panels (or table cells) drawn with data, row by row,
	// in Image's coordinates.
	Panels []image.Rectangle
	// Empty are the panels drawn as "no data" (or "—" cells), row by row.
	Empty []image.Rectangle
	// Legend is the legend's entries in legend order, as placed; nil for
	// figures without a legend.
	Legend []LegendItem
}

// canonicalCorruptions is the column order of every figure: the thesis's
// five in its order, then the MedMNIST-C additions. Unknown names follow,
// alphabetically.
func canonicalCorruptions() []string {
	return []string{
		"gaussian_noise", "speckle_noise", "motion_blur", "contrast", "brightness",
		"defocus_blur", "pixelate", "jpeg_compression",
		"brightness_up", "brightness_down", "contrast_down",
	}
}

// sortCorruptions orders names as canonicalCorruptions says, with "clean"
// first.
func sortCorruptions(names []string) []string {
	out := slices.Clone(names)
	canon := canonicalCorruptions()
	rank := func(n string) int {
		if n == "clean" {
			return -1
		}
		if i := slices.Index(canon, n); i >= 0 {
			return i
		}
		return len(canon)
	}
	slices.SortStableFunc(out, func(a, b string) int {
		if ra, rb := rank(a), rank(b); ra != rb {
			return ra - rb
		}
		return strings.Compare(a, b)
	})
	return slices.Compact(out)
}

// uniqueSorted returns the distinct values of xs in ascending order.
func uniqueSorted[T int | string](xs []T) []T {
	out := slices.Clone(xs)
	slices.Sort(out)
	return slices.Compact(out)
}

// layerInfo is one target layer.
type layerInfo struct {
	Depth        int
	Layer, Alias string
}

// layerOrder returns the distinct layers by depth, checking that each depth
// has one name (two names at one depth mean mixed models or methods).
func layerOrder(ls []layerInfo) ([]layerInfo, error) {
	byDepth := map[int]layerInfo{}
	for _, l := range ls {
		if prev, ok := byDepth[l.Depth]; ok && prev.Layer != l.Layer {
			return nil, fmt.Errorf("layer depth %d is both %q and %q", l.Depth, prev.Layer, l.Layer)
		}
		byDepth[l.Depth] = l
	}
	var out []layerInfo
	for _, l := range byDepth {
		out = append(out, l)
	}
	slices.SortFunc(out, func(a, b layerInfo) int { return a.Depth - b.Depth })
	return out, nil
}

// tick is a compact axis label: "layer1.0.conv2" -> "1.0".
func (l layerInfo) tick() string {
	s := strings.TrimSuffix(strings.TrimPrefix(l.Layer, "layer"), ".conv2")
	if s == "" {
		s = l.Alias
	}
	if s == "" {
		s = strconv.Itoa(l.Depth)
	}
	return s
}

// header is a column heading naming both taxonomies: "layer1.0 (1_2)".
func (l layerInfo) header() string {
	name := strings.TrimSuffix(l.Layer, ".conv2")
	if name == "" {
		name = "depth " + strconv.Itoa(l.Depth)
	}
	if l.Alias != "" {
		return name + " (" + l.Alias + ")"
	}
	return name
}

// runKey names one grid row of dataset and run.
type runKey struct{ Dataset, Run string }

// runLabels names runs as briefly as stays unambiguous.
func runLabels(keys []runKey) []string {
	datasets := map[string]bool{}
	for _, k := range keys {
		datasets[k.Dataset] = true
	}
	out := make([]string, len(keys))
	for i, k := range keys {
		switch {
		case len(keys) == 1 || len(datasets) == len(keys):
			out[i] = k.Dataset
		case len(datasets) == 1:
			out[i] = "run " + k.Run
		default:
			out[i] = k.Dataset + " · " + k.Run
		}
		if out[i] == "" {
			out[i] = "run " + k.Run
		}
	}
	return out
}

func sortRunKeys(ks []runKey) []runKey {
	ks = slices.Clone(ks)
	slices.SortFunc(ks, func(a, b runKey) int {
		if c := strings.Compare(a.Dataset, b.Dataset); c != 0 {
			return c
		}
		return strings.Compare(a.Run, b.Run)
	})
	return slices.Compact(ks)
}

// fmtDelta formats an AUC drop with its sign, or "n/a".
func fmtDelta(v float64) string {
	if math.IsNaN(v) {
		return "n/a"
	}
	s := strconv.FormatFloat(v, 'f', 3, 64)
	if v > 0 {
		s = "+" + s
	}
	return strings.Replace(s, "-", "−", 1)
}

// joinInts lists ints for error messages.
func joinInts(xs []int) string {
	s := make([]string, len(xs))
	for i, x := range xs {
		s[i] = strconv.Itoa(x)
	}
	return strings.Join(s, ", ")
}

// finite reports whether every value is a usable number.
func finite(xs ...float64) bool {
	for _, x := range xs {
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return false
		}
	}
	return true
}

// runText names a run for a subtitle, or "" when rows carry no names.
func runText(k runKey) string {
	switch {
	case k.Dataset == "" && k.Run == "":
		return ""
	case k.Run == "":
		return k.Dataset
	case k.Dataset == "":
		return "run " + k.Run
	}
	return k.Dataset + "/" + k.Run
}

// joinParts joins the non-empty parts of a subtitle.
func joinParts(parts ...string) string {
	var keep []string
	for _, p := range parts {
		if p != "" {
			keep = append(keep, p)
		}
	}
	return strings.Join(keep, " · ")
}
