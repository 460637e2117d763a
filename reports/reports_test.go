package reports

import (
	"github.com/gradprint/gradprint/queries"
	"image"
	"image/color"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// inkPixels counts pixels in r that are not (near) white.
func inkPixels(img *image.RGBA, r image.Rectangle) int {
	n := 0
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			c := img.RGBAAt(x, y)
			if int(c.R)+int(c.G)+int(c.B) < 3*245 {
				n++
			}
		}
	}
	return n
}

// nearColor counts pixels in r within dist (sum of channel differences) of c.
func nearColor(img *image.RGBA, r image.Rectangle, c color.RGBA, dist int) int {
	n := 0
	abs := func(v int) int { return max(v, -v) }
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			p := img.RGBAAt(x, y)
			if abs(int(p.R)-int(c.R))+abs(int(p.G)-int(c.G))+abs(int(p.B)-int(c.B)) <= dist {
				n++
			}
		}
	}
	return n
}

// checkFigure asserts what every figure must satisfy: the requested width,
// every data panel inked, no "no data" panels unless expected, and a blank
// outer border (text running off an edge would ink it).
func checkFigure(t *testing.T, name string, f *Rendered, width, wantPanels, wantEmpty int) {
	t.Helper()
	b := f.Image.Bounds()
	if b.Dx() != width {
		t.Errorf("%s: width %d, want %d", name, b.Dx(), width)
	}
	if b.Dy() < 200 || b.Dy() > 6*width {
		t.Errorf("%s: height %d is implausible", name, b.Dy())
	}
	if len(f.Panels) != wantPanels || len(f.Empty) != wantEmpty {
		t.Errorf("%s: %d panels and %d empty, want %d and %d", name, len(f.Panels), len(f.Empty), wantPanels, wantEmpty)
	}
	for i, r := range f.Panels {
		if !r.In(b) {
			t.Errorf("%s: panel %d %v outside the image %v", name, i, r, b)
			continue
		}
		// A panel with only axes has some ink; one with data has far more
		// than its frame. 1 % of its area is well above a bare frame.
		if n := inkPixels(f.Image, r); n < r.Dx()*r.Dy()/100 {
			t.Errorf("%s: panel %d %v looks blank (%d inked pixels)", name, i, r, n)
		}
	}
	border := 4
	for _, r := range []image.Rectangle{
		image.Rect(0, 0, b.Dx(), border), image.Rect(0, b.Dy()-border, b.Dx(), b.Dy()),
		image.Rect(0, 0, border, b.Dy()), image.Rect(b.Dx()-border, 0, b.Dx(), b.Dy()),
	} {
		if n := inkPixels(f.Image, r); n > 0 {
			t.Errorf("%s: %d inked pixels in the border %v: something runs off the edge", name, n, r)
		}
	}
	for i, it := range f.Legend {
		if !it.Text.In(b) || (!it.Swatch.Empty() && !it.Swatch.In(b)) {
			t.Errorf("%s: legend entry %d %q at %v outside the image", name, i, it.Label, it.Text)
		}
		for j := range i {
			if it.Text.Overlaps(f.Legend[j].Text) {
				t.Errorf("%s: legend entries %q and %q overlap", name, it.Label, f.Legend[j].Label)
			}
		}
		if inkPixels(f.Image, it.Text) == 0 {
			t.Errorf("%s: legend label %q not drawn", name, it.Label)
		}
	}
}

func legendLabels(f *Rendered) []string {
	var out []string
	for _, it := range f.Legend {
		out = append(out, it.Label)
	}
	return out
}

func TestCorruptionColorsStableAndDistinct(t *testing.T) {
	if CorruptionColor("motion_blur") != CorruptionColor("motion_blur") {
		t.Fatal("colour of a name changes between calls")
	}
	if CorruptionColor("not_a_corruption") != CorruptionColor("not_a_corruption") {
		t.Fatal("fallback colour of an unknown name is not stable")
	}
	// Every preset's corruption list must get distinct colours.
	presets := map[string][]string{
		"imagenet-c":             fiveCorrs,
		"medmnist-c/breastmnist": {"pixelate", "jpeg_compression", "speckle_noise", "motion_blur", "brightness_up", "brightness_down", "contrast_down"},
		"medmnist-c/retinamnist": {"pixelate", "jpeg_compression", "gaussian_noise", "speckle_noise", "defocus_blur", "motion_blur", "brightness_down", "contrast_down"},
	}
	for name, list := range presets {
		seen := map[color.RGBA]string{}
		for _, c := range list {
			col := CorruptionColor(c)
			if prev, dup := seen[col]; dup {
				t.Errorf("%s: %s and %s share colour %v", name, prev, c, col)
			}
			seen[col] = c
		}
	}
	for i := range 7 {
		for j := range i {
			if ClassColor(i) == ClassColor(j) {
				t.Errorf("classes %d and %d share a colour", i, j)
			}
		}
	}
}

func TestSeverityRampDarkens(t *testing.T) {
	for s := 2; s <= 5; s++ {
		if luminance(SeverityColor(s)) >= luminance(SeverityColor(s-1)) {
			t.Errorf("severity %d is not darker than %d", s, s-1)
		}
	}
	if SeverityColor(9) != SeverityColor(5) {
		t.Error("severities past 5 should clamp to 5")
	}
}

func TestColorMapsMatchPublishedValues(t *testing.T) {
	// Endpoints and midpoints of Matplotlib's viridis and Google's turbo
	// tables (rounded to 8 bits).
	cases := []struct {
		name string
		m    ColorMap
		t    float64
		want color.RGBA
	}{
		{"viridis", Viridis, 0, color.RGBA{68, 1, 84, 255}},
		{"viridis", Viridis, 0.5, color.RGBA{33, 145, 140, 255}},
		{"viridis", Viridis, 1, color.RGBA{253, 231, 37, 255}},
		{"turbo", Turbo, 0, color.RGBA{48, 18, 59, 255}},
		{"turbo", Turbo, 1, color.RGBA{122, 4, 3, 255}},
	}
	for _, c := range cases {
		got := c.m(c.t)
		d := math.Abs(float64(got.R)-float64(c.want.R)) + math.Abs(float64(got.G)-float64(c.want.G)) + math.Abs(float64(got.B)-float64(c.want.B))
		if d > 12 {
			t.Errorf("%s(%g) = %v, want about %v", c.name, c.t, got, c.want)
		}
	}
	// Viridis is perceptually ordered: lightness rises along it.
	prev := -1.0
	for i := 0; i <= 20; i++ {
		l := luminance(Viridis(float64(i) / 20))
		if l <= prev {
			t.Fatalf("viridis lightness falls at %g", float64(i)/20)
		}
		prev = l
	}
	if Turbo(-3) != Turbo(0) || Turbo(math.NaN()) != Turbo(0) || Viridis(7) != Viridis(1) {
		t.Error("colour maps must clamp out-of-range input")
	}
}

func TestNiceScale(t *testing.T) {
	for _, c := range []struct {
		lo, hi float64
		n      int
	}{{0, 137, 5}, {-0.013, 0.092, 6}, {0.5, 1, 4}, {3, 3, 5}, {0, 1e-9, 4}, {-250, -20, 8}} {
		s := niceScale(c.lo, c.hi, c.n)
		if s.Min > c.lo || s.Max < c.hi {
			t.Errorf("niceScale(%g, %g) = [%g, %g] does not cover the data", c.lo, c.hi, s.Min, s.Max)
		}
		if len(s.Ticks) < 3 || len(s.Ticks) > max(c.n, 3) {
			t.Errorf("niceScale(%g, %g, %d): %d ticks", c.lo, c.hi, c.n, len(s.Ticks))
		}
		seen := map[string]bool{}
		for i, tk := range s.Ticks {
			if seen[tk.Label] {
				t.Errorf("niceScale(%g, %g): label %q repeats: %v", c.lo, c.hi, tk.Label, s.Ticks)
			}
			seen[tk.Label] = true
			if i > 0 && tk.Value <= s.Ticks[i-1].Value {
				t.Errorf("niceScale(%g, %g): ticks not ascending", c.lo, c.hi)
			}
			if tk.Label == "-0" || strings.HasPrefix(tk.Label, "-0.0") && strings.Trim(tk.Label, "-0.") == "" {
				t.Errorf("niceScale: negative zero label %q", tk.Label)
			}
		}
	}
}

func TestLegendLayoutFitsAndWraps(t *testing.T) {
	tf, err := newTypeface()
	if err != nil {
		t.Fatal(err)
	}
	var entries []legendEntry
	for i, c := range dermaClasses {
		entries = append(entries, legendEntry{Label: c + " (a longer class description)", Color: ClassColor(i)})
	}
	for _, width := range []int{2344, 900, 400} {
		items, title, h := legendLayout(tf, "class:", entries, 28, 100, width, 28)
		if len(items) != len(entries) {
			t.Fatalf("width %d: %d items for %d entries", width, len(items), len(entries))
		}
		bounds := image.Rect(28, 100, 28+width, 100+h)
		if !title.In(bounds) {
			t.Errorf("width %d: title %v outside %v", width, title, bounds)
		}
		rows := map[int]bool{}
		for i, it := range items {
			if it.Label != entries[i].Label {
				t.Errorf("entry %d label %q, want %q", i, it.Label, entries[i].Label)
			}
			if !it.Text.In(bounds) || !it.Swatch.In(bounds) {
				t.Errorf("width %d: entry %q at %v outside %v", width, it.Label, it.Text, bounds)
			}
			rows[it.Text.Min.Y] = true
		}
		if width < 1000 && len(rows) < 2 {
			t.Errorf("width %d: legend did not wrap", width)
		}
	}
}

func TestLayerProfile(t *testing.T) {
	rows := fixtureLayerProfile("dermamnist", []string{"r1"}, dermaClasses, 1)
	f, err := LayerProfile(rows, LayerProfileOptions{Severity: 2, Selection: "correct"})
	if err != nil {
		t.Fatal(err)
	}
	checkFigure(t, "layer profile", f, DefaultWidth, 5, 0)
	if got := legendLabels(f); !slices.Equal(got, dermaClasses) {
		t.Errorf("legend %v, want the 7 class names %v", got, dermaClasses)
	}
	// Each class line is drawn in its class colour in some panel.
	for i, c := range dermaClasses {
		if nearColor(f.Image, f.Panels[0], ClassColor(i), 30) == 0 {
			t.Errorf("class %s: no pixel of its colour in the first panel", c)
		}
	}

	// Two datasets: rows per run, and class names grouped per dataset since
	// label 0 means different classes.
	rows2 := append(slices.Clone(rows), fixtureLayerProfile("breastmnist", []string{"r2"}, breastClasses, 2)...)
	f2, err := LayerProfile(rows2, LayerProfileOptions{Severity: 5})
	if err != nil {
		t.Fatal(err)
	}
	checkFigure(t, "layer profile, two datasets", f2, DefaultWidth, 10, 0)
	got := legendLabels(f2)
	for _, want := range append(append([]string{"breastmnist:", "dermamnist:"}, dermaClasses...), breastClasses...) {
		if !slices.Contains(got, want) {
			t.Errorf("legend %v lacks %q", got, want)
		}
	}

	// One corruption missing for one run shows as a "no data" panel.
	var holed []queries.LayerProfileRow
	for _, r := range rows2 {
		if !(r.Dataset == "breastmnist" && r.Corruption == "contrast") {
			holed = append(holed, r)
		}
	}
	f3, err := LayerProfile(holed, LayerProfileOptions{Severity: 5})
	if err != nil {
		t.Fatal(err)
	}
	checkFigure(t, "layer profile with a hole", f3, DefaultWidth, 9, 1)
}

func TestLayerProfileErrors(t *testing.T) {
	rows := fixtureLayerProfile("dermamnist", []string{"r1"}, dermaClasses, 1)
	if _, err := LayerProfile(nil, LayerProfileOptions{Severity: 1}); err == nil || !strings.Contains(err.Error(), "no rows") {
		t.Errorf("empty input: got %v", err)
	}
	var onlyAll []queries.LayerProfileRow
	for _, r := range rows {
		if r.Selection == "all" {
			onlyAll = append(onlyAll, r)
		}
	}
	_, err := LayerProfile(onlyAll, LayerProfileOptions{Severity: 3, Selection: "incorrect"})
	if err == nil || !strings.Contains(err.Error(), `selection "incorrect"`) || !strings.Contains(err.Error(), "selections all") {
		t.Errorf("missing selection: got %v, want an error naming it and what exists", err)
	}
	_, err = LayerProfile(rows, LayerProfileOptions{Severity: 7})
	if err == nil || !strings.Contains(err.Error(), "severities 1, 2, 3, 4, 5") {
		t.Errorf("missing severity: got %v", err)
	}
	dup := append(slices.Clone(rows), rows[0])
	if _, err := LayerProfile(dup, LayerProfileOptions{Severity: rows[0].Severity, Selection: rows[0].Selection}); err == nil || !strings.Contains(err.Error(), "two rows") {
		t.Errorf("duplicate rows: got %v", err)
	}
	bad := slices.Clone(rows)
	bad[0].MeanRMSE = math.NaN()
	if _, err := LayerProfile(bad, LayerProfileOptions{Severity: bad[0].Severity, Selection: bad[0].Selection}); err == nil {
		t.Error("NaN RMSE accepted")
	}
}

func TestDeltaAUCFigures(t *testing.T) {
	rows := fixtureBoxes(dermaClasses, fiveCorrs, 3)
	f, err := DeltaAUCBoxes(rows, DeltaAUCOptions{})
	if err != nil {
		t.Fatal(err)
	}
	checkFigure(t, "boxes by severity", f, DefaultWidth, 40, 0)
	if got := legendLabels(f); !slices.Equal(got, fiveCorrs) {
		t.Errorf("legend %v, want %v", got, fiveCorrs)
	}
	f, err = DeltaAUCBoxes(rows, DeltaAUCOptions{Rows: RowsByCorruption})
	if err != nil {
		t.Fatal(err)
	}
	checkFigure(t, "boxes by corruption", f, DefaultWidth, 40, 0)
	if got := legendLabels(f); !slices.Equal(got, []string{"1", "2", "3", "4", "5"}) {
		t.Errorf("legend %v, want severities 1..5", got)
	}
	for _, it := range f.Legend {
		if it.Color != SeverityColor(int(it.Label[0]-'0')) {
			t.Errorf("severity %s legend colour %v, want the severity ramp's", it.Label, it.Color)
		}
	}
	f, err = DeltaAUCScatter(rows, DeltaAUCOptions{})
	if err != nil {
		t.Fatal(err)
	}
	checkFigure(t, "scatter", f, DefaultWidth, 40, 0)

	// Colour follows the corruption: a figure of motion blur alone holds
	// its colour and not gaussian noise's.
	f, err = DeltaAUCScatter(rows, DeltaAUCOptions{Corruptions: []string{"motion_blur"}})
	if err != nil {
		t.Fatal(err)
	}
	var mb, gn int
	for _, r := range f.Panels {
		mb += nearColor(f.Image, r, CorruptionColor("motion_blur"), 40)
		gn += nearColor(f.Image, r, CorruptionColor("gaussian_noise"), 40)
	}
	if mb == 0 || gn != 0 {
		t.Errorf("motion blur only: %d pixels of its colour, %d of gaussian noise's", mb, gn)
	}
}

func TestDeltaAUCErrors(t *testing.T) {
	rows := fixtureBoxes(breastClasses, fiveCorrs, 3)
	if _, err := DeltaAUCBoxes(nil, DeltaAUCOptions{}); err == nil || !strings.Contains(err.Error(), "no rows") {
		t.Errorf("empty: %v", err)
	}
	two := slices.Clone(rows)
	two[0].Run = "other"
	if _, err := DeltaAUCBoxes(two, DeltaAUCOptions{}); err == nil || !strings.Contains(err.Error(), "2 runs") {
		t.Errorf("two runs: %v", err)
	}
	if _, err := DeltaAUCScatter(rows, DeltaAUCOptions{Corruptions: []string{"fog"}}); err == nil || !strings.Contains(err.Error(), "fog") {
		t.Errorf("unknown corruption: %v", err)
	}
	nan := slices.Clone(rows)
	for i := range nan {
		nan[i].DeltaAUC = math.NaN()
	}
	if _, err := DeltaAUCBoxes(nan, DeltaAUCOptions{}); err == nil || !strings.Contains(err.Error(), "delta AUC") {
		t.Errorf("no delta AUC: %v", err)
	}
	bad := slices.Clone(rows)
	bad[3].Q25 = bad[3].Q75 + 1
	if _, err := DeltaAUCBoxes(bad, DeltaAUCOptions{}); err == nil || !strings.Contains(err.Error(), "out of order") {
		t.Errorf("bad quantiles: %v", err)
	}
}

func TestMontage(t *testing.T) {
	imgs := fixtureMontage(28, 28, 1, fiveCorrs)
	f, err := Montage(imgs, MontageOptions{})
	if err != nil {
		t.Fatal(err)
	}
	checkFigure(t, "montage", f, DefaultWidth, 30, 0)
	// Nearest-neighbour enlargement: a panel shows each source pixel as a
	// block, so the panel holds no more distinct greys than the source.
	src := map[uint8]bool{}
	for _, v := range imgs[1].Pixels {
		src[v] = true
	}
	got := map[uint8]bool{}
	r := f.Panels[1] // severity 1, gaussian_noise
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			c := f.Image.RGBAAt(x, y)
			if c.R != 255 || c.G != 255 || c.B != 255 {
				got[c.R] = true
			}
		}
	}
	for v := range got {
		if !src[v] {
			t.Fatalf("panel holds grey %d absent from the source: scaling is not nearest-neighbour", v)
		}
	}
	if _, err := Montage(imgs[1:], MontageOptions{}); err == nil || !strings.Contains(err.Error(), "no clean image") {
		t.Errorf("no clean: %v", err)
	}
	bad := slices.Clone(imgs)
	bad[2].Pixels = bad[2].Pixels[:10]
	if _, err := Montage(bad, MontageOptions{}); err == nil || !strings.Contains(err.Error(), "pixel values") {
		t.Errorf("short pixels: %v", err)
	}
}

func TestSaliencyGrid(t *testing.T) {
	cells := fixtureMaps(28, 28, 3, 3, fiveCorrs)
	f, err := SaliencyGrid(cells, SaliencyOptions{Severity: 3})
	if err != nil {
		t.Fatal(err)
	}
	checkFigure(t, "saliency grid", f, DefaultWidth, 6*9, 0)
	// Blending: at the map's peak the pixel is half image, half turbo(1).
	c := cells[0]
	peak := 0
	for i, v := range c.Map {
		if v > c.Map[peak] {
			peak = i
		}
	}
	r := f.Panels[1] // clean row, first layer
	s := r.Dx() / c.W
	ox, oy := r.Min.X+(r.Dx()-c.W*s)/2, r.Min.Y+(r.Dy()-c.H*s)/2
	got := f.Image.RGBAAt(ox+(peak%c.W)*s+s/2, oy+(peak/c.W)*s+s/2)
	hot := Turbo(float64(c.Map[peak]))
	want := uint8((float64(c.Image[3*peak]) + float64(hot.R)) / 2)
	if d := int(got.R) - int(want); d < -2 || d > 2 {
		t.Errorf("overlay at the map peak: red %d, want %d (half image, half turbo)", got.R, want)
	}

	two := slices.Clone(cells)
	two[5].ImageID = 99
	if _, err := SaliencyGrid(two, SaliencyOptions{Severity: 3}); err == nil || !strings.Contains(err.Error(), "2 images") {
		t.Errorf("two images: %v", err)
	}
	if _, err := SaliencyGrid(cells, SaliencyOptions{Severity: 4}); err == nil || !strings.Contains(err.Error(), "severity 4") {
		t.Errorf("missing severity: %v", err)
	}
	if _, err := SaliencyGrid(nil, SaliencyOptions{Severity: 3}); err == nil {
		t.Error("empty input accepted")
	}
	bad := slices.Clone(cells)
	bad[0].Map = bad[0].Map[:5]
	if _, err := SaliencyGrid(bad, SaliencyOptions{Severity: 3}); err == nil || !strings.Contains(err.Error(), "map has 5 values") {
		t.Errorf("short map: %v", err)
	}
}

func TestTrainingAndTables(t *testing.T) {
	f, err := TrainingCurves(fixtureTraining([]string{"r1", "r2"}, 40), Options{})
	if err != nil {
		t.Fatal(err)
	}
	checkFigure(t, "training", f, DefaultWidth, 4, 0)
	if len(f.Legend) != 4 {
		t.Errorf("training legend has %d entries, want 4", len(f.Legend))
	}
	if _, err := TrainingCurves(nil, Options{}); err == nil {
		t.Error("empty training rows accepted")
	}

	f, err = MetricHeatmap(fixtureMetricCells(fiveCorrs), Options{Width: 1600})
	if err != nil {
		t.Fatal(err)
	}
	checkFigure(t, "heat map", f, 1600, 2*(1+25), 0)
	if _, err := MetricHeatmap(nil, Options{}); err == nil {
		t.Error("empty heat map accepted")
	}

	f, err = RiskCoverageCurves(fixtureRiskCoverage(400), Options{})
	if err != nil {
		t.Fatal(err)
	}
	checkFigure(t, "risk coverage", f, DefaultWidth, 1, 0)
	if got := legendLabels(f); len(got) != 6 || got[0] != "msp" {
		t.Errorf("risk-coverage legend %v", got)
	}
	bad := fixtureRiskCoverage(10)
	bad[1].Risk = bad[1].Risk[:3]
	if _, err := RiskCoverageCurves(bad, Options{}); err == nil || !strings.Contains(err.Error(), "entropy") {
		t.Errorf("mismatched curve: %v", err)
	}

	f, err = FailureMetricsTable(fixtureFailureMetrics(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	checkFigure(t, "failure table", f, DefaultWidth, 6*5, 0)
}

func TestFailureMetricsHTML(t *testing.T) {
	rows := fixtureFailureMetrics()
	h, err := FailureMetricsHTML(rows)
	if err != nil {
		t.Fatal(err)
	}
	s := string(h)
	// msp wins every metric in the fixture (higher AUROC_f, lower others).
	if n := strings.Count(s, `class="best"`); n != 5 {
		t.Errorf("%d best cells, want 5", n)
	}
	mspRow := s[strings.Index(s, ">msp<"):]
	mspRow = mspRow[:strings.Index(mspRow, "</tr>")]
	if strings.Count(mspRow, "<strong>") != 5 {
		t.Errorf("msp row should be best in all 5 metrics: %s", mspRow)
	}
	for _, want := range []string{"AUROC_f", "FPR@95TPR", "higher is better", "[0.750, 0.850]"} {
		if !strings.Contains(s, want) {
			t.Errorf("table lacks %q", want)
		}
	}
	if i, j := strings.Index(s, ">msp<"), strings.Index(s, ">detector<"); i > j {
		t.Error("baselines should come before the detector")
	}
	if _, err := FailureMetricsHTML(append(rows, rows[0])); err == nil || !strings.Contains(err.Error(), "two rows") {
		t.Errorf("duplicate: %v", err)
	}
}

func TestWriteIndex(t *testing.T) {
	dir := t.TempDir()
	img := image.NewRGBA(image.Rect(0, 0, 4, 4))
	if err := WritePNG(filepath.Join(dir, "a.png"), img); err != nil {
		t.Fatal(err)
	}
	figs := []Figure{{File: "a.png", Title: "A <figure>", Caption: "caption & more",
		Queries: []queries.Ref{{Name: "rmse_boxes", Params: map[string]string{"run": "r1"}}}}}
	if err := WriteIndex(dir, append(figs, Figure{File: "missing.png", Title: "M", Queries: figs[0].Queries})); err == nil || !strings.Contains(err.Error(), "missing.png") {
		t.Errorf("missing file: %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "index.html")); !os.IsNotExist(err) {
		t.Error("index.html written although a figure was missing")
	}
	if err := WriteIndex(dir, []Figure{{File: "../a.png", Title: "x", Queries: figs[0].Queries}}); err == nil {
		t.Error("path outside the directory accepted")
	}
	if err := WriteIndex(dir, []Figure{{File: "a.png", Title: "x"}}); err == nil || !strings.Contains(err.Error(), "no query") {
		t.Errorf("figure without query: %v", err)
	}
	html, err := FailureMetricsHTML(fixtureFailureMetrics())
	if err != nil {
		t.Fatal(err)
	}
	if err := WriteIndex(dir, figs, Table{Title: "T", Queries: []queries.Ref{{Name: "failure_metrics"}}, HTML: html}); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(dir, "index.html"))
	if err != nil {
		t.Fatal(err)
	}
	s := string(b)
	for _, want := range []string{`src="a.png"`, "A &lt;figure&gt;", "caption &amp; more", "gradprint query rmse_boxes --param run=r1", `<table class="metrics">`, "gradprint query failure_metrics"} {
		if !strings.Contains(s, want) {
			t.Errorf("index.html lacks %q", want)
		}
	}
}

func reportFixture(classes []string, points int) ReportInput {
	scope := func(p *queries.LayerProfileParams, sev int, sel string) {
		p.Dataset, p.Run, p.Severity, p.Selection = queries.Some("dermamnist"), queries.Some("r1"), queries.Some(sev), queries.Some(sel)
	}
	var profiles []LayerProfileAnswer
	rows := fixtureLayerProfile("dermamnist", []string{"r1"}, classes, 1)
	for sev := 1; sev <= 5; sev++ {
		for _, sel := range []string{"all", "correct", "incorrect"} {
			a := LayerProfileAnswer{Query: "layer_profile", Params: queries.LayerProfile().Defaults()}
			scope(&a.Params, sev, sel)
			for _, r := range rows {
				if r.Severity == sev && r.Selection == sel {
					a.Rows = append(a.Rows, r)
				}
			}
			profiles = append(profiles, a)
		}
	}
	grid := SaliencyGridAnswer{Query: "saliency_grid", Params: queries.SaliencyGrid().Defaults(), Rows: fixtureMaps(28, 28, 3, 3, fiveCorrs)}
	montage := SaliencyGridAnswer{Query: "saliency_grid", Params: queries.SaliencyGrid().Defaults(), Rows: append(fixtureMaps(28, 28, 3, 3, fiveCorrs), fixtureMapsSeverities(28, 28, 3)...)}
	montage.Params.Severity = queries.Opt[int]{}
	return ReportInput{
		LayerProfiles:  profiles,
		Boxes:          BoxesAnswer{Query: "rmse_boxes", Params: queries.RMSEBoxes().Defaults(), Rows: fixtureBoxes(classes, fiveCorrs, 2)},
		Montage:        montage,
		Grid:           grid,
		Training:       TrainingAnswer{Query: "training_curves", Rows: fixtureTraining([]string{"t1"}, 100)},
		Metrics:        AUCACCAnswer{Query: "auc_acc_table", Params: queries.AUCACCTable().Defaults(), Rows: fixtureMetricCells(fiveCorrs)},
		RiskCoverage:   RiskCoverageAnswer{Query: "risk_coverage", Params: queries.RiskCoverage().Defaults(), Rows: fixtureRiskRows(points)},
		FailureMetrics: FailureMetricsAnswer{Query: "failure_metrics", Params: queries.FailureMetrics().Defaults(), Rows: fixtureFailureMetrics()},
		FailureBySeverity: FailureBySeverityAnswer{Query: "failure_by_severity", Params: queries.FailureBySeverity().Defaults(),
			Rows: fixtureFailureBySeverity(twoCorrs, severityGroups)},
		SilentFailures: SilentFailuresAnswer{Query: "silent_failures", Params: queries.SilentFailures().Defaults(),
			Rows: fixtureSilentFailures(twoCorrs, severityGroups)},
		DegradedInputs: DegradedInputAnswer{Query: "degraded_input_detection", Params: queries.DegradedInputDetection().Defaults(),
			Rows: fixtureDegradedInputs(twoCorrs, []string{"degradation", "msp"})},
		Guarantees: RiskGuaranteeAnswer{Query: "risk_guarantee", Params: queries.RiskGuarantee().Defaults(), Rows: fixtureGuarantees("msp", "detector")},
	}
}

// fixtureRiskRows is fixtureRiskCoverage as risk_coverage rows.
func fixtureRiskRows(points int) []queries.RiskCoverageRow {
	var out []queries.RiskCoverageRow
	for _, c := range fixtureRiskCoverage(points) {
		for i := range c.Coverage {
			out = append(out, queries.RiskCoverageRow{Dataset: "dermamnist", Run: "f1", Split: "test", Score: c.Score, Coverage: c.Coverage[i], Risk: c.Risk[i]})
		}
	}
	return out
}

// fixtureMapsSeverities adds the other severities' corrupted maps so the
// montage has every row.
func fixtureMapsSeverities(h, w, c int) []queries.SaliencyGridRow {
	var out []queries.SaliencyGridRow
	for _, s := range []int{1, 2, 4, 5} {
		for _, m := range fixtureMaps(h, w, c, s, fiveCorrs) {
			if m.Corruption != "clean" {
				out = append(out, m)
			}
		}
	}
	return out
}

func TestWriteReport(t *testing.T) {
	dir := t.TempDir()
	figs, err := WriteReport(dir, reportFixture(dermaClasses, 200), Options{})
	if err != nil {
		t.Fatal(err)
	}
	// 5 severities x 3 selections + 3 delta AUC + montage + saliency +
	// training + heat map + risk-coverage + failure table + the three
	// figures against severity.
	if len(figs) != 15+3+2+2+2+3 {
		t.Errorf("%d figures", len(figs))
	}
	index, err := os.ReadFile(filepath.Join(dir, "index.html"))
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range figs {
		file, err := os.Open(filepath.Join(dir, f.File))
		if err != nil {
			t.Fatal(err)
		}
		cfg, err := png.DecodeConfig(file)
		file.Close()
		if err != nil {
			t.Fatalf("%s: %v", f.File, err)
		}
		if cfg.Width != DefaultWidth {
			t.Errorf("%s: width %d", f.File, cfg.Width)
		}
		if !strings.Contains(string(index), `src="`+f.File+`"`) {
			t.Errorf("index.html does not show %s", f.File)
		}
	}
	leftovers, _ := filepath.Glob(filepath.Join(dir, ".*.tmp"))
	if len(leftovers) > 0 {
		t.Errorf("temporary files left: %v", leftovers)
	}
	if _, err := WriteReport(t.TempDir(), ReportInput{}, Options{}); err == nil {
		t.Error("empty report accepted")
	}
	// A failing rerun over the same folder must not leave the old index
	// presenting a mix of old and new figures as a complete report.
	bad := reportFixture(breastClasses, 50)
	bad.Boxes.Rows[0].Q25 = bad.Boxes.Rows[0].Q95 + 1
	if _, err := WriteReport(dir, bad, Options{}); err == nil || !strings.Contains(err.Error(), "delta_auc_boxes") {
		t.Fatalf("bad boxes: got %v, want an error naming the figure", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "index.html")); !os.IsNotExist(err) {
		t.Error("index.html survived a failed report")
	}
}

// Every figure and table names the query and parameter values its rows
// came from: the layer profiles their severity and selection, the grid its
// severity, and NULL parameters whose default is not NULL explicitly.
func TestFigureCaptionsNameTheirAnswers(t *testing.T) {
	in := reportFixture(breastClasses, 20)
	jobs, tables, err := plan(in, Options{})
	if err != nil {
		t.Fatal(err)
	}
	cmds := map[string]string{}
	for _, j := range jobs {
		if len(j.fig.Queries) != 1 {
			t.Fatalf("%s names %d queries", j.fig.File, len(j.fig.Queries))
		}
		cmds[j.fig.File] = j.fig.Queries[0].Command()
	}
	for file, want := range map[string]string{
		"layer_profile_s3_incorrect.png": "gradprint query layer_profile --param dataset=dermamnist --param method=gradcampp --param run=r1 --param selection=incorrect --param severity=3 --param split=test",
		"saliency_grid_s3.png":           "gradprint query saliency_grid --param method=gradcampp --param severity=3 --param split=test",
		"montage.png":                    "gradprint query saliency_grid --param method=gradcampp --param 'severity=' --param split=test",
		"training_curves.png":            "gradprint query training_curves",
	} {
		if cmds[file] != want {
			t.Errorf("%s: %q, want %q", file, cmds[file], want)
		}
	}
	if len(tables) != 2 || tables[0].Queries[0].Name != "failure_metrics" || tables[1].Queries[0].Name != "risk_guarantee" {
		t.Fatalf("tables %+v", tables)
	}
	// The figures against severity name the metric and regime they asked for.
	titles := map[string]string{}
	for _, j := range jobs {
		titles[j.fig.File] = j.fig.Title
	}
	for file, want := range map[string][2]string{
		"failure_by_severity.png": {"AUROC_f by corruption severity, unseen regime", "gradprint query failure_by_severity "},
		"silent_failures.png":     {"Silent failures by corruption severity, unseen regime", "gradprint query silent_failures "},
		"degraded_inputs.png":     {"Degraded-input detection by corruption severity, unseen regime", "gradprint query degraded_input_detection "},
	} {
		if titles[file] != want[0] {
			t.Errorf("%s: title %q, want %q", file, titles[file], want[0])
		}
		if !strings.HasPrefix(cmds[file], want[1]) || !strings.Contains(cmds[file], "--param regime=unseen") {
			t.Errorf("%s: command %q, want %s... with its regime", file, cmds[file], want[1])
		}
	}
	if !strings.Contains(cmds["failure_by_severity.png"], "--param metric=auroc_f") {
		t.Errorf("failure by severity: command %q lacks its metric", cmds["failure_by_severity.png"])
	}
	// An answer without rows skips its figure or table, and only that.
	empty := in
	empty.DegradedInputs.Rows, empty.Guarantees.Rows = nil, nil
	ej, et, err := plan(empty, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(ej) != len(jobs)-1 || len(et) != 1 || slices.ContainsFunc(ej, func(j job) bool { return j.fig.File == "degraded_inputs.png" }) {
		t.Errorf("without degraded inputs and guarantees: %d jobs (of %d) and %d tables", len(ej), len(jobs), len(et))
	}
	// A bad guarantee answer fails the report, naming the table.
	bad := in
	bad.Guarantees.Rows = slices.Clone(in.Guarantees.Rows)
	bad.Guarantees.Rows[0].Regime = "seen"
	if _, _, err := plan(bad, Options{}); err == nil || !strings.Contains(err.Error(), "risk guarantee") {
		t.Errorf("guarantees of two regimes: %v", err)
	}
	// An answer that does not say its severity cannot title a figure.
	in.LayerProfiles[0].Params.Severity = queries.Opt[int]{}
	if _, _, err := plan(in, Options{}); err == nil || !strings.Contains(err.Error(), "severity") {
		t.Fatalf("layer profile without a severity: %v", err)
	}
}

func TestNarrowFigures(t *testing.T) {
	// Fonts and margins scale with the width: a small figure keeps its
	// text inside the image and its panels inked.
	f, err := LayerProfile(fixtureLayerProfile("dermamnist", []string{"r1"}, dermaClasses, 1), LayerProfileOptions{Options: Options{Width: 1000}, Severity: 1})
	if err != nil {
		t.Fatal(err)
	}
	checkFigure(t, "narrow layer profile", f, 1000, 5, 0)
	f, err = DeltaAUCBoxes(fixtureBoxes(dermaClasses, fiveCorrs, 3), DeltaAUCOptions{Options: Options{Width: 1200}})
	if err != nil {
		t.Fatal(err)
	}
	checkFigure(t, "narrow boxes", f, 1200, 40, 0)
}

func BenchmarkReport400(b *testing.B) {
	// A 400-image run: risk-coverage curves with 400 points per score;
	// the aggregates (7 classes, 5 corruptions x 5 severities x 8 layers)
	// do not grow with the image count.
	in := reportFixture(dermaClasses, 400)
	dir := b.TempDir()
	b.ResetTimer()
	for b.Loop() {
		if _, err := WriteReport(dir, in, Options{}); err != nil {
			b.Fatal(err)
		}
	}
}

func TestAxisLabelsFitTheirPanels(t *testing.T) {
	tf, err := newTypeface()
	if err != nil {
		t.Fatal(err)
	}
	for _, width := range []int{800, 1200, 2400} {
		p := newPage(Options{Width: width})
		for _, panelW := range []int{width / 9, width / 5} {
			room := plotWidth(tf, p, panelW)
			s := xScale(tf, p, 0, 187, panelW)
			total := 0
			for _, tk := range s.Ticks {
				total += tf.width(tk.Label, p.tickPx)
			}
			if len(s.Ticks) > 3 && total > room {
				t.Errorf("width %d panel %d: x labels need %d px of %d", width, panelW, total, room)
			}
			labels := []string{"1.0", "1.1", "2.0", "2.1", "3.0", "3.1", "4.0", "4.1"}
			c := categoryAxis(tf, p, labels, panelW)
			prevRight := math.MinInt
			for _, tk := range c.Ticks {
				if tk.Label == "" {
					continue
				}
				x := float64(room) * (tk.Value - c.Min) / (c.Max - c.Min)
				w := tf.width(tk.Label, p.tickPx)
				left := int(x) - w/2
				if left < prevRight {
					t.Errorf("width %d panel %d: layer label %q overlaps its neighbour", width, panelW, tk.Label)
				}
				prevRight = int(x) + w/2
			}
			if c.Ticks[1].Label != "1.0" {
				t.Errorf("the first layer must always be labelled")
			}
		}
	}
}
