package reports

import (
	"fmt"
	"image/png"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// galleryDir is where the gallery tests write figures for a person to look
// at: GRADPRINT_FIGS_DIR if set, else a temporary directory.
func galleryDir(t *testing.T) string {
	if d := os.Getenv("GRADPRINT_FIGS_DIR"); d != "" {
		return d
	}
	return t.TempDir()
}

// galleryFigure is one figure of the gallery and what it must look like.
type galleryFigure struct {
	file          string
	render        func() (*Rendered, error)
	width         int // 0 means DefaultWidth
	panels, empty int
	legend        []string // the legend's labels in order; nil for none
}

// checkGallery renders each figure, checks it as checkFigure does plus its
// legend labels, and writes it into galleryDir.
func checkGallery(t *testing.T, figs []galleryFigure) {
	t.Helper()
	dir := galleryDir(t)
	for _, g := range figs {
		f, err := g.render()
		if err != nil {
			t.Errorf("%s: %v", g.file, err)
			continue
		}
		width := g.width
		if width == 0 {
			width = DefaultWidth
		}
		checkFigure(t, g.file, f, width, g.panels, g.empty)
		if got := legendLabels(f); !slices.Equal(got, g.legend) {
			t.Errorf("%s: legend %q, want %q", g.file, got, g.legend)
		}
		if err := WritePNG(filepath.Join(dir, g.file), f.Image); err != nil {
			t.Fatal(err)
		}
	}
}

// groupedClasses is the legend of a figure over dermamnist and
// breastmnist: their labels name different classes, so each dataset gets
// a heading.
func groupedClasses() []string {
	return slices.Concat([]string{"breastmnist:"}, breastClasses, []string{"dermamnist:"}, dermaClasses)
}

func TestGallery(t *testing.T) {
	lp := fixtureLayerProfile("dermamnist", []string{"r1"}, dermaClasses, 1)
	lp = append(lp, fixtureLayerProfile("breastmnist", []string{"r2"}, breastClasses, 2)...)
	// Two runs (rows) by five corruptions.
	checkGallery(t, []galleryFigure{
		{file: "layer_profile_s3_incorrect.png", panels: 10, legend: groupedClasses(),
			render: func() (*Rendered, error) {
				return LayerProfile(lp, LayerProfileOptions{Severity: 3, Selection: "incorrect"})
			}},
		// A small width scales fonts and margins down with it.
		{file: "layer_profile_s5_all_1200px.png", width: 1200, panels: 10, legend: groupedClasses(),
			render: func() (*Rendered, error) {
				return LayerProfile(lp, LayerProfileOptions{Options: Options{Width: 1200}, Severity: 5})
			}},
	})
}

func TestGalleryDelta(t *testing.T) {
	rows := fixtureBoxes(dermaClasses, fiveCorrs, 3)
	sevs := []string{"1", "2", "3", "4", "5"}
	// Five severities (or corruptions) by eight layers, every cell filled.
	checkGallery(t, []galleryFigure{
		{file: "delta_auc_boxes_by_severity.png", panels: 40, legend: fiveCorrs,
			render: func() (*Rendered, error) { return DeltaAUCBoxes(rows, DeltaAUCOptions{}) }},
		{file: "delta_auc_boxes_by_corruption.png", panels: 40, legend: sevs,
			render: func() (*Rendered, error) { return DeltaAUCBoxes(rows, DeltaAUCOptions{Rows: RowsByCorruption}) }},
		{file: "delta_auc_scatter.png", panels: 40, legend: fiveCorrs,
			render: func() (*Rendered, error) { return DeltaAUCScatter(rows, DeltaAUCOptions{}) }},
	})
}

func TestGalleryImages(t *testing.T) {
	checkGallery(t, []galleryFigure{
		// Five severities by clean plus five corruptions.
		{file: "montage.png", panels: 5 * 6,
			render: func() (*Rendered, error) { return Montage(fixtureMontage(28, 28, 3, fiveCorrs), MontageOptions{}) }},
		// Clean plus five corruptions by the input plus eight layers.
		{file: "saliency_grid.png", panels: 6 * 9,
			render: func() (*Rendered, error) {
				return SaliencyGrid(fixtureMaps(28, 28, 3, 3, fiveCorrs), SaliencyOptions{Severity: 3})
			}},
	})
}

func TestGalleryTraining(t *testing.T) {
	checkGallery(t, []galleryFigure{
		// Two runs by loss and metrics.
		{file: "training_curves.png", panels: 4,
			legend: []string{"training loss", "validation loss", "validation AUC", "validation accuracy"},
			render: func() (*Rendered, error) { return TrainingCurves(fixtureTraining([]string{"r1", "r2"}, 60), Options{}) }},
	})
}

func TestGalleryTables(t *testing.T) {
	scores := []string{"msp", "entropy", "energy", "flips", "detector", "detector_msp"}
	checkGallery(t, []galleryFigure{
		// Two tables of clean (one cell) plus five corruptions by five
		// severities.
		{file: "auc_acc_heatmap.png", panels: 2 * (1 + 5*5),
			render: func() (*Rendered, error) { return MetricHeatmap(fixtureMetricCells(fiveCorrs), Options{}) }},
		{file: "risk_coverage.png", panels: 1, legend: scores,
			render: func() (*Rendered, error) { return RiskCoverageCurves(fixtureRiskCoverage(156), Options{}) }},
		// Six scores by five metrics.
		{file: "failure_metrics.png", panels: 6 * 5,
			render: func() (*Rendered, error) { return FailureMetricsTable(fixtureFailureMetrics(), Options{}) }},
	})
}

func TestGalleryFailureBySeverity(t *testing.T) {
	var twelve [][]string
	var twelveLabels []string
	for i := range 12 {
		g := []string{fmt.Sprintf("score_%02d", i)}
		if i%4 == 0 {
			g = append(g, fmt.Sprintf("score_%02d_t", i))
		}
		twelve = append(twelve, g)
		twelveLabels = append(twelveLabels, strings.Join(g, " = "))
	}
	checkGallery(t, []galleryFigure{
		// One panel per corruption, one line per score group.
		{file: "failure_by_severity.png", panels: 2, legend: severityGroupLabels(),
			render: func() (*Rendered, error) {
				return FailureBySeverity(fixtureFailureBySeverity(twoCorrs, severityGroups), Options{})
			}},
		// Eleven corruptions wrap into rows; twelve groups share one legend.
		{file: "failure_by_severity_11x12.png", panels: 11, legend: twelveLabels,
			render: func() (*Rendered, error) {
				return FailureBySeverity(fixtureFailureBySeverity(canonicalCorruptions(), twelve), Options{})
			}},
		{file: "silent_failures.png", panels: 2, legend: severityGroupLabels(),
			render: func() (*Rendered, error) {
				return SilentFailures(fixtureSilentFailures(twoCorrs, severityGroups), Options{})
			}},
		{file: "degraded_inputs.png", panels: 2, legend: []string{"msp", "fp_distance", "degradation"},
			render: func() (*Rendered, error) {
				return DegradedInputs(fixtureDegradedInputs(twoCorrs, []string{"degradation", "fp_distance", "msp"}), Options{})
			}},
		{file: "degraded_inputs_1200px.png", width: 1200, panels: 2, legend: []string{"msp", "fp_distance", "degradation"},
			render: func() (*Rendered, error) {
				return DegradedInputs(fixtureDegradedInputs(twoCorrs, []string{"degradation", "fp_distance", "msp"}), Options{Width: 1200})
			}},
	})
}

func TestGalleryReport(t *testing.T) {
	dir := filepath.Join(galleryDir(t), "report")
	figs, err := WriteReport(dir, reportFixture(dermaClasses, 400), Options{})
	if err != nil {
		t.Fatal(err)
	}
	var want []string
	for sev := 1; sev <= 5; sev++ {
		for _, sel := range []string{"all", "correct", "incorrect"} {
			want = append(want, "layer_profile_s"+strconv.Itoa(sev)+"_"+sel+".png")
		}
	}
	want = append(want, "delta_auc_boxes_by_severity.png", "delta_auc_boxes_by_corruption.png", "delta_auc_scatter.png",
		"montage.png", "saliency_grid_s3.png", "training_curves.png", "auc_acc_heatmap.png", "risk_coverage.png", "failure_metrics.png",
		"failure_by_severity.png", "silent_failures.png", "degraded_inputs.png")
	var got []string
	for _, f := range figs {
		got = append(got, f.File)
	}
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("report figures\n got %v\nwant %v", got, want)
	}
	index, err := os.ReadFile(filepath.Join(dir, "index.html"))
	if err != nil {
		t.Fatal(err)
	}
	html := string(index)
	prev := -1
	for _, f := range figs {
		checkReportPNG(t, filepath.Join(dir, f.File))
		if !strings.Contains(html, `src="`+f.File+`"`) {
			t.Errorf("index.html does not show %s", f.File)
		}
		// The index presents the figures in the order the report lists them.
		at := strings.Index(html, `<figure id="`+strings.TrimSuffix(f.File, ".png")+`">`)
		if at <= prev {
			t.Errorf("index.html: figure %s at %d, after the previous one at %d", f.File, at, prev)
		}
		prev = at
	}
	for _, s := range []string{"<h2>Failure scores compared</h2>", `<table class="metrics">`, "gradprint query failure_metrics",
		"<h2>Risk guarantee: promised on clean validation, delivered on test, unseen regime</h2>", `<table class="metrics guarantees">`, "gradprint query risk_guarantee"} {
		if !strings.Contains(html, s) {
			t.Errorf("index.html lacks %q", s)
		}
	}
}

// checkReportPNG asserts that a written figure is a PNG of the default
// width and a plausible height.
func checkReportPNG(t *testing.T, path string) {
	t.Helper()
	file, err := os.Open(path)
	if err != nil {
		t.Error(err)
		return
	}
	defer file.Close()
	cfg, err := png.DecodeConfig(file)
	if err != nil {
		t.Errorf("%s: %v", path, err)
		return
	}
	if cfg.Width != DefaultWidth || cfg.Height < 200 || cfg.Height > 6*DefaultWidth {
		t.Errorf("%s: %d×%d px, want %d wide and a plausible height", path, cfg.Width, cfg.Height, DefaultWidth)
	}
}
