package pipeline

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/gradprint/gradprint/compute/analysis"
	gpflag "github.com/gradprint/gradprint/compute/flag"
	"github.com/gradprint/gradprint/compute/perturb"
	"github.com/gradprint/gradprint/compute/resnet"
	"github.com/gradprint/gradprint/compute/saliency"
	"github.com/gradprint/gradprint/ingest"
	"github.com/gradprint/gradprint/warehouse"
	"github.com/gradprint/gradprint/warehouse/rows"
)

// FlagOptions configure Flag. Exactly one of Coverage and Risk is set. An
// empty FailureRun takes the newest complete failure run.
type FlagOptions struct {
	Model      string
	Images     string // an .npz in MedMNIST layout (its test split) or a folder of PNG files
	FailureRun string
	Coverage   float64
	Risk       float64
	Resize     bool // scale images of another size instead of refusing them
}

// FlagConfig is what a flag run records.
type FlagConfig struct {
	Images      string  `json:"images"`
	ModelSHA256 string  `json:"model_sha256"`
	FailureRun  string  `json:"failure_run"`
	Coverage    float64 `json:"coverage"`
	Risk        float64 `json:"risk"`
	// Seed is the analyze run's: new images are corrupted with the draws
	// the detector's training features came from.
	Seed uint64 `json:"seed"`
}

// FlaggedImage is the verdict on one new image.
type FlaggedImage struct {
	ImageID      int32
	Source       string
	Predicted    string
	Confidence   float64 // MSP of the clean image
	FailureScore float64 // the detector's confidence: higher = more likely correct
	Flagged      bool
}

// FlagResult is the verdict on every new image, with the threshold used.
type FlagResult struct {
	RunID     string
	Threshold gpflag.Threshold
	Images    []FlaggedImage
}

// flagLineage is the failure run a flag follows, its analyze run, and both
// runs' recorded configurations.
type flagLineage struct {
	failure, analyze rows.RunMeta
	fc               FailureConfig
	ac               AnalyzeConfig
}

// Flag analyses new images exactly as the analyze run behind a failure run
// did (same corruptions, severities, layers, saliency method and seed),
// scores them with the fitted detector and flags those below a threshold
// calibrated on the analyze run's validation split.
func Flag(ctx context.Context, e Env, o FlagOptions) (*FlagResult, error) {
	if err := o.validate(); err != nil {
		return nil, err
	}
	m, meta, err := resnet.Load(o.Model)
	if err != nil {
		return nil, err
	}
	sum, err := resnet.FileSHA256(o.Model)
	if err != nil {
		return nil, err
	}
	wh, err := e.openWarehouse()
	if err != nil {
		return nil, err
	}
	lin, err := lineage(wh, o.FailureRun)
	if err != nil {
		return nil, err
	}
	if lin.ac.ModelSHA256 != sum {
		return nil, fmt.Errorf("model %s (sha256 %.12s) is not the model of analyze run %s (sha256 %.12s)", o.Model, sum, lin.analyze.RunID, lin.ac.ModelSHA256)
	}
	det, th, err := e.calibrate(wh, lin, o)
	if err != nil {
		return nil, err
	}
	d, sources, err := loadNewImages(o.Images, m, meta, o.Resize)
	if err != nil {
		return nil, err
	}
	feats, conf, err := scoreNewImages(ctx, m, d, lin, det)
	if err != nil {
		return nil, err
	}
	cfg := FlagConfig{Images: o.Images, ModelSHA256: sum, FailureRun: lin.failure.RunID, Coverage: o.Coverage, Risk: o.Risk, Seed: lin.ac.Seed}
	run, err := e.openRun(runSpec{kind: "flag", dataset: lin.analyze.Dataset, seed: lin.ac.Seed, config: cfg, model: sum, parent: lin.failure.RunID})
	if err != nil {
		return nil, err
	}
	defer run.Close()
	res := &FlagResult{RunID: run.ID(), Threshold: th}
	var out []rows.Flag
	for i, img := range feats.ImageIDs {
		flagged := !th.Accept(conf[i])
		out = append(out, rows.Flag{RunID: run.ID(), Split: string(d.Split), ImageID: img, Source: sources[img], ScoreName: gpflag.ScoreDetector,
			Score: conf[i], Predicted: feats.Pred[i], Label: -1, Threshold: th.Threshold, Flagged: flagged})
		res.Images = append(res.Images, FlaggedImage{ImageID: img, Source: sources[img], Predicted: d.Classes[feats.Pred[i]],
			Confidence: feats.MSP[i], FailureScore: conf[i], Flagged: flagged})
	}
	err = rows.WriteChunk(run, 0, func(c rows.Chunk) error { return rows.Write(c, out...) })
	if err := run.end(err, nil); err != nil {
		return nil, err
	}
	e.log().Info("flagged", "run", res.RunID, "threshold", th.Threshold, "calibration", th.Target, "val_coverage", th.Coverage, "val_risk", th.Risk)
	return res, nil
}

// lineage finds the failure run (by id, or the newest) and its analyze
// run, and decodes what each recorded.
func lineage(wh *warehouse.Warehouse, failureRun string) (*flagLineage, error) {
	fr, err := wh.Latest(warehouse.RunQuery{Kind: "failure", RunID: failureRun})
	if errors.Is(err, warehouse.ErrNoRun) {
		which := ""
		if failureRun != "" {
			which = " " + failureRun
		}
		return nil, fmt.Errorf("no complete failure run%s in %s: run `gradprint failure` first", which, wh.Root())
	}
	if err != nil {
		return nil, err
	}
	ar, err := wh.Parent(fr)
	if err == nil && ar.Kind != "analyze" {
		err = fmt.Errorf("run %s is a %s run", ar.RunID, ar.Kind)
	}
	if err != nil {
		return nil, fmt.Errorf("failure run %s: its analyze run %s is missing or incomplete", fr.RunID, fr.ParentRunID)
	}
	lin := &flagLineage{failure: fr, analyze: ar}
	if lin.ac, err = decodeConfig[AnalyzeConfig](ar); err != nil {
		return nil, err
	}
	if lin.fc, err = decodeConfig[FailureConfig](fr); err != nil {
		return nil, err
	}
	return lin, nil
}

// calibrate loads the failure run's detector and picks its threshold on
// the analyze run's validation split.
func (e Env) calibrate(wh *warehouse.Warehouse, lin *flagLineage, o FlagOptions) (*gpflag.Model, gpflag.Threshold, error) {
	var th gpflag.Threshold
	det, err := gpflag.Load(filepath.Join(e.ModelsDir(), lin.failure.RunID+"-detector.json"))
	if err != nil {
		return nil, th, err
	}
	val, _, err := splitFeatures(wh, warehouse.RunRef{Dataset: lin.analyze.Dataset, RunID: lin.analyze.RunID}, lin.fc.Method, lin.fc.Features)
	if err != nil {
		return nil, th, err
	}
	vconf, err := det.Confidences(val.X)
	if err != nil {
		return nil, th, err
	}
	if o.Coverage > 0 {
		th, err = gpflag.CalibrateCoverage(vconf, val.Wrong, o.Coverage)
		return det, th, err
	}
	th, err = gpflag.CalibrateRisk(vconf, val.Wrong, o.Risk)
	if errors.Is(err, gpflag.ErrRiskUnattainable) {
		return nil, th, fmt.Errorf("--risk %g: no threshold reaches it on validation (%w); try a larger risk", o.Risk, err)
	}
	return det, th, err
}

// scoreNewImages runs the analyze run's analysis on every new image (in
// memory, nothing stored) and scores the features with the detector.
func scoreNewImages(ctx context.Context, m *resnet.Model, d *ingest.Dataset, lin *flagLineage, det *gpflag.Model) (*gpflag.Matrix, []float64, error) {
	preset, err := perturb.Lookup(lin.ac.Preset, strings.TrimPrefix(lin.ac.Dataset, "synthetic"))
	if err != nil {
		return nil, nil, err
	}
	method, err := saliency.Lookup(lin.fc.Method)
	if err != nil {
		return nil, nil, err
	}
	sel := make([]bool, d.N)
	for i := range sel {
		sel[i] = true
	}
	sink := rows.NewMemSink("flag")
	acfg := analysis.Config{RunID: "flag", RunSeed: lin.ac.Seed, Preset: preset, Corruptions: lin.ac.Corruptions, Severities: lin.ac.Severities,
		Layers: lin.ac.Layers, Methods: []saliency.Method{method}, Target: lin.ac.Target, ChunkImages: 16, Batch: 52}
	if err := analysis.Run(ctx, Analyzer{Model: m}, d, sel, acfg, sink, nil); err != nil {
		return nil, nil, err
	}
	feats, err := gpflag.BuildFeatures(string(d.Split), rows.Collect[rows.Prediction](sink), rows.Collect[rows.Saliency](sink), lin.fc.Method, lin.fc.Features)
	if err != nil {
		return nil, nil, err
	}
	conf, err := det.Confidences(feats.X)
	return feats, conf, err
}

// loadNewImages reads an npz's test split or a folder of PNGs into a
// dataset of the model's channel count and training size, with the
// model's class names.
func loadNewImages(path string, m *resnet.Model, meta resnet.Meta, resize bool) (*ingest.Dataset, map[int32]string, error) {
	channels, size := m.Config().InChannels, meta.Size
	st, err := os.Stat(path)
	if err != nil {
		return nil, nil, err
	}
	sources := map[int32]string{}
	var d *ingest.Dataset
	if !st.IsDir() {
		if d, err = ingest.ReadNPZSplit(path, ingest.Test, nil); err != nil {
			return nil, nil, err
		}
		if d.C != channels || (size > 0 && (d.H != size || d.W != size)) {
			return nil, nil, fmt.Errorf("%s: test_images are %dx%dx%d, the model expects %dx%dx%d", path, d.H, d.W, d.C, size, size, channels)
		}
		for i := 0; i < d.N; i++ {
			sources[int32(i)] = fmt.Sprintf("%s[%d]", filepath.Base(path), i)
		}
		d.Split = "input"
	} else {
		if size <= 0 {
			return nil, nil, fmt.Errorf("model metadata has no input size; pass an .npz instead of PNG files")
		}
		var names []string
		if d, names, err = ingest.ReadPNGDir(path, size, channels, resize); err != nil {
			return nil, nil, err
		}
		for i, n := range names {
			sources[int32(i)] = n
		}
	}
	d.Classes = meta.Classes
	if len(d.Classes) != m.NumClasses() {
		d.Classes = nil
		for i := 0; i < m.NumClasses(); i++ {
			d.Classes = append(d.Classes, fmt.Sprintf("class%d", i))
		}
	}
	return d, sources, nil
}
