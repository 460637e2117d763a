package reports

import (
	"image"
	"os"
	"path/filepath"
	"testing"
)

// galleryDir is where TestGallery writes figures for a person to look at:
// GRADPRINT_FIGS_DIR if set, else a temporary directory.
func galleryDir(t *testing.T) string {
	if d := os.Getenv("GRADPRINT_FIGS_DIR"); d != "" {
		return d
	}
	return t.TempDir()
}

func TestGallery(t *testing.T) {
	dir := galleryDir(t)
	lp := fixtureLayerProfile("dermamnist", []string{"r1"}, dermaClasses, 1)
	lp = append(lp, fixtureLayerProfile("breastmnist", []string{"r2"}, breastClasses, 2)...)
	img, err := LayerProfile(lp, LayerProfileOptions{Severity: 3, Selection: "incorrect"})
	if err != nil {
		t.Fatal(err)
	}
	if err := WritePNG(filepath.Join(dir, "layer_profile_s3_incorrect.png"), img); err != nil {
		t.Fatal(err)
	}
	// A small width scales fonts and margins down with it.
	img, err = LayerProfile(lp, LayerProfileOptions{Options: Options{Width: 1200}, Severity: 5})
	if err != nil {
		t.Fatal(err)
	}
	if err := WritePNG(filepath.Join(dir, "layer_profile_s5_all_1200px.png"), img); err != nil {
		t.Fatal(err)
	}
}

func TestGalleryDelta(t *testing.T) {
	dir := galleryDir(t)
	rows := fixtureBoxes(dermaClasses, fiveCorrs, 3)
	for name, f := range map[string]func() (image.Image, error){
		"delta_auc_boxes_by_severity.png":   func() (image.Image, error) { return DeltaAUCBoxes(rows, DeltaAUCOptions{}) },
		"delta_auc_boxes_by_corruption.png": func() (image.Image, error) { return DeltaAUCBoxes(rows, DeltaAUCOptions{Rows: RowsByCorruption}) },
		"delta_auc_scatter.png":             func() (image.Image, error) { return DeltaAUCScatter(rows, DeltaAUCOptions{}) },
	} {
		img, err := f()
		if err != nil {
			t.Fatal(err)
		}
		if err := WritePNG(filepath.Join(dir, name), img); err != nil {
			t.Fatal(err)
		}
	}
}

func TestGalleryImages(t *testing.T) {
	dir := galleryDir(t)
	img, err := Montage(fixtureMontage(28, 28, 3, fiveCorrs), MontageOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if err := WritePNG(filepath.Join(dir, "montage.png"), img); err != nil {
		t.Fatal(err)
	}
	img, err = SaliencyGrid(fixtureMaps(28, 28, 3, 3, fiveCorrs), SaliencyOptions{Severity: 3})
	if err != nil {
		t.Fatal(err)
	}
	if err := WritePNG(filepath.Join(dir, "saliency_grid.png"), img); err != nil {
		t.Fatal(err)
	}
}

func TestGalleryTraining(t *testing.T) {
	dir := galleryDir(t)
	img, err := TrainingCurves(fixtureTraining([]string{"r1", "r2"}, 60), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := WritePNG(filepath.Join(dir, "training_curves.png"), img); err != nil {
		t.Fatal(err)
	}
}

func TestGalleryTables(t *testing.T) {
	dir := galleryDir(t)
	for name, f := range map[string]func() (image.Image, error){
		"auc_acc_heatmap.png": func() (image.Image, error) { return MetricHeatmap(fixtureMetricCells(fiveCorrs), Options{}) },
		"risk_coverage.png":   func() (image.Image, error) { return RiskCoverageCurves(fixtureRiskCoverage(156), Options{}) },
		"failure_metrics.png": func() (image.Image, error) { return FailureMetricsTable(fixtureFailureMetrics(), Options{}) },
	} {
		img, err := f()
		if err != nil {
			t.Fatal(err)
		}
		if err := WritePNG(filepath.Join(dir, name), img); err != nil {
			t.Fatal(err)
		}
	}
}

func TestGalleryReport(t *testing.T) {
	dir := filepath.Join(galleryDir(t), "report")
	if _, err := WriteReport(dir, reportFixture(dermaClasses, 400), Options{}); err != nil {
		t.Fatal(err)
	}
}
