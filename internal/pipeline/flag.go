package pipeline

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/gradprint/gradprint/compute/fingerprint"
	gpflag "github.com/gradprint/gradprint/compute/flag"
	"github.com/gradprint/gradprint/compute/metrics"
	"github.com/gradprint/gradprint/compute/perturb"
	"github.com/gradprint/gradprint/compute/resnet"
	"github.com/gradprint/gradprint/compute/saliency"
	"github.com/gradprint/gradprint/compute/scores"
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
	Delta      float64 // with Risk: the bound holds with probability 1 - Delta
	Resize     bool    // scale images of another size instead of refusing them
}

// DefaultFlagOptions guarantees at delta 0.05 when a risk is asked.
func DefaultFlagOptions() FlagOptions { return FlagOptions{Delta: 0.05} }

// FlagConfig is what a flag run records.
type FlagConfig struct {
	Images      string  `json:"images"`
	ModelSHA256 string  `json:"model_sha256"`
	FailureRun  string  `json:"failure_run"`
	Coverage    float64 `json:"coverage"`
	Risk        float64 `json:"risk"`
	Delta       float64 `json:"delta,omitempty"`
	// Seed is the fingerprint run's: new images are probed with the draws
	// the study's fingerprints came from.
	Seed uint64 `json:"seed"`
}

// FlaggedImage is the verdict on one new image: is its prediction likely
// wrong, and was the input degraded at acquisition.
type FlaggedImage struct {
	ImageID          int32
	Source           string
	Predicted        string
	Confidence       float64 // MSP
	FailureScore     float64 // the chosen score: higher = more likely correct
	Flagged          bool    // prediction likely wrong
	DegradationScore float64 // higher = more like a clean acquisition
	Degraded         bool
}

// FlagResult is the verdict on every new image, with how it was reached.
type FlagResult struct {
	RunID     string
	Score     string // the failure score used
	Why       string // why that score
	Threshold gpflag.Threshold
	// Bound is the guaranteed selective risk (with Risk): with probability
	// at least 1 - Delta it holds for images like the clean validation
	// split; nothing is promised for degraded ones.
	Bound, Delta         float64
	DegradationThreshold float64
	Warnings             []string
	Images               []FlaggedImage
}

// flagLineage is the failure run a flag follows, its fingerprint run, and
// what they recorded and deployed.
type flagLineage struct {
	failure, fingerprint rows.RunMeta
	fc                   FingerprintConfig
	dep                  *gpflag.Deployed
	data                 *gpflag.StudyData // train and validation samples
}

// Flag fingerprints new images exactly as the failure study's fingerprint
// run did (same layers, method, probes and seed), scores them with the
// score the study chose by validated performance, and flags the predictions
// likely wrong at a threshold calibrated on the clean validation split
// (for a coverage, or by SGR for a risk guarantee), and the inputs likely
// degraded at acquisition.
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
	lin, err := lineage(wh, e.ModelsDir(), o.FailureRun)
	if err != nil {
		return nil, err
	}
	if lin.fc.ModelSHA256 != sum {
		return nil, fmt.Errorf("model %s (sha256 %.12s) is not the model of fingerprint run %s (sha256 %.12s)", o.Model, sum, lin.fingerprint.RunID, lin.fc.ModelSHA256)
	}
	res, dp, err := calibrateFlag(lin, o)
	if err != nil {
		return nil, err
	}
	d, sources, err := loadNewImages(o.Images, m, meta, o.Resize)
	if err != nil {
		return nil, err
	}
	if err := scoreNewImages(ctx, m, d, sources, lin, dp, res); err != nil {
		return nil, err
	}
	return e.commitFlags(res, lin, o, sum, d)
}

// commitFlags records a flag run and its rows.
func (e Env) commitFlags(res *FlagResult, lin *flagLineage, o FlagOptions, sum string, d *ingest.Dataset) (*FlagResult, error) {
	cfg := FlagConfig{Images: o.Images, ModelSHA256: sum, FailureRun: lin.failure.RunID, Coverage: o.Coverage, Risk: o.Risk, Seed: lin.fc.Seed}
	if o.Risk > 0 {
		cfg.Delta = o.Delta
	}
	run, err := e.openRun(runSpec{kind: "flag", dataset: lin.fingerprint.Dataset, seed: lin.fc.Seed, config: cfg, model: sum, parent: lin.failure.RunID})
	if err != nil {
		return nil, err
	}
	defer run.Close()
	res.RunID = run.ID()
	var out []rows.Flag
	for _, im := range res.Images {
		out = append(out, rows.Flag{RunID: run.ID(), Split: string(d.Split), ImageID: im.ImageID, Source: im.Source, ScoreName: res.Score,
			Score: im.FailureScore, Predicted: int32(indexOf(d.Classes, im.Predicted)), Label: -1, Threshold: res.Threshold.Threshold,
			Flagged: im.Flagged, DegradationScore: im.DegradationScore, Degraded: im.Degraded})
	}
	err = rows.WriteChunk(run, 0, func(c rows.Chunk) error { return rows.Write(c, out...) })
	if err := run.end(err, nil); err != nil {
		return nil, err
	}
	e.log().Info("flagged", "run", res.RunID, "score", res.Score, "threshold", res.Threshold.Threshold, "calibration", res.Threshold.Target,
		"val_coverage", res.Threshold.Coverage, "val_risk", res.Threshold.Risk)
	return res, nil
}

// lineage finds the failure run (by id, or the newest), its fingerprint
// run and what the study deployed, and reads the train and validation
// samples the scores are refitted and calibrated on.
func lineage(wh *warehouse.Warehouse, models, failureRun string) (*flagLineage, error) {
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
	pr, err := wh.Parent(fr)
	if err == nil && pr.Kind != "fingerprint" {
		err = fmt.Errorf("run %s is a %s run: failure runs made before the study under shift cannot be deployed; rerun `gradprint fingerprint` and `gradprint failure`", pr.RunID, pr.Kind)
	}
	if err != nil {
		return nil, fmt.Errorf("failure run %s: its fingerprint run %s: %w", fr.RunID, fr.ParentRunID, err)
	}
	lin := &flagLineage{failure: fr, fingerprint: pr}
	if lin.fc, err = decodeConfig[FingerprintConfig](pr); err != nil {
		return nil, err
	}
	if lin.dep, err = loadDeployed(models, fr.RunID); err != nil {
		return nil, err
	}
	if lin.data, err = studyData(wh, pr); err != nil {
		return nil, err
	}
	lin.data.Test = nil
	return lin, nil
}

func loadDeployed(dir, runID string) (*gpflag.Deployed, error) {
	path := filepath.Join(dir, runID+"-deploy.json")
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("failure run %s: %w (run `gradprint failure` again to write it)", runID, err)
	}
	var f deployFile
	if err := json.Unmarshal(b, &f); err != nil || f.Format != deployFormat {
		return nil, fmt.Errorf("%s: not a %s file (%v)", path, deployFormat, err)
	}
	dep := &gpflag.Deployed{Choice: f.Choice, Why: f.Why, Candidates: f.Candidates, Temperature: f.Temperature, K: f.K,
		SIRC: scores.SIRC{A: f.SIRCA, B: f.SIRCB}}
	for name, dst := range map[string]**gpflag.Model{"detector": &dep.Detector, "detector_msp": &dep.DetectorMSP, "degradation": &dep.Degradation} {
		if *dst, err = gpflag.Load(filepath.Join(dir, runID+"-"+name+".json")); err != nil {
			return nil, err
		}
	}
	return dep, nil
}

// calibrateFlag rebuilds the study's scorer and calibrates the chosen
// score's threshold and the degradation threshold on the clean validation
// split.
func calibrateFlag(lin *flagLineage, o FlagOptions) (*FlagResult, *gpflag.Deployment, error) {
	dp, err := gpflag.NewDeployment(lin.data, lin.dep)
	if err != nil {
		return nil, nil, err
	}
	var clean []*gpflag.Sample
	for _, s := range lin.data.Val {
		if !s.Degraded() {
			clean = append(clean, s)
		}
	}
	vals, err := dp.Scores(clean)
	if err != nil {
		return nil, nil, err
	}
	wrong, none := make([]bool, len(clean)), make([]bool, len(clean))
	for i, s := range clean {
		wrong[i] = s.Wrong()
	}
	res := &FlagResult{Score: lin.dep.Choice, Why: lin.dep.Why, Bound: -1, Delta: o.Delta}
	for _, c := range lin.dep.Candidates {
		if c.Degenerate {
			res.Warnings = append(res.Warnings, fmt.Sprintf("score %s is degenerate on validation (spread %.2g): not used", c.Score, c.Spread))
		}
	}
	v := vals[res.Score]
	if o.Coverage > 0 {
		res.Threshold, err = gpflag.CalibrateCoverage(v, wrong, o.Coverage)
	} else {
		res.Threshold, res.Bound, err = sgrThreshold(v, wrong, o.Risk, o.Delta)
	}
	if err != nil {
		return nil, nil, err
	}
	// Degraded: below what 95% of clean validation acquisitions reach.
	dth, err := gpflag.CalibrateCoverage(vals[gpflag.ScoreDegradation], none, 0.95)
	if err != nil {
		return nil, nil, err
	}
	res.DegradationThreshold = dth.Threshold
	return res, dp, nil
}

// sgrThreshold picks the risk threshold by SGR (Geifman and El-Yaniv).
func sgrThreshold(conf []float64, wrong []bool, risk, delta float64) (gpflag.Threshold, float64, error) {
	r, err := metrics.SGR(conf, wrong, risk, delta)
	if errors.Is(err, metrics.ErrRiskUnattainable) {
		return gpflag.Threshold{}, 0, fmt.Errorf("--risk %g: no threshold has a guaranteed risk below it at delta %g on the %d clean validation images (%w); try a larger --risk or --delta", risk, delta, len(conf), err)
	}
	if err != nil {
		return gpflag.Threshold{}, 0, err
	}
	return gpflag.Threshold{Threshold: r.Threshold, Coverage: r.Coverage, Risk: r.Risk, Accepted: r.Accepted, N: r.N,
		Target: fmt.Sprintf("risk<=%g guaranteed at delta %g (SGR)", risk, delta)}, r.Bound, nil
}

// scoreNewImages fingerprints every new image (as given: clean, in the
// study's terms) and fills in both verdicts.
func scoreNewImages(ctx context.Context, m *resnet.Model, d *ingest.Dataset, sources map[int32]string, lin *flagLineage, dp *gpflag.Deployment, res *FlagResult) error {
	fc := lin.fc
	preset, err := perturb.Lookup(fc.Preset, strings.TrimPrefix(fc.Dataset, "synthetic"))
	if err != nil {
		return err
	}
	method, err := saliency.Lookup(fc.Method)
	if err != nil {
		return err
	}
	cfg := fingerprint.RunConfig{
		Config: fingerprint.Config{Layers: fc.Layers, Method: method, Probes: fc.Probes, Perturb: preset, Seed: fc.Seed},
		RunID:  "flag", RunSeed: fc.Seed, CleanOnly: true, ChunkImages: 16, Batch: 64,
	}
	sink := rows.NewMemSink("flag")
	if err := fingerprint.Run(ctx, Fingerprinter{Model: m}, d, cfg, sink, nil); err != nil {
		return err
	}
	_, _, samples, err := gpflag.Samples(asTest(rows.Collect[rows.Fingerprint](sink)), asTestEmb(rows.Collect[rows.Embedding](sink)), fc.FeatureNames, m.NumClasses())
	if err != nil {
		return err
	}
	vals, err := dp.Scores(samples)
	if err != nil {
		return err
	}
	for i, s := range samples {
		v, dv := vals[res.Score][i], vals[gpflag.ScoreDegradation][i]
		res.Images = append(res.Images, FlaggedImage{ImageID: int32(s.ImageID), Source: sources[int32(s.ImageID)], Predicted: d.Classes[s.Pred],
			Confidence: vals[gpflag.ScoreMSP][i], FailureScore: v, Flagged: !res.Threshold.Accept(v), DegradationScore: dv, Degraded: dv < res.DegradationThreshold})
	}
	return nil
}

// asTest relabels new images' rows as the study's test split for Samples.
func asTest(fps []rows.Fingerprint) []rows.Fingerprint {
	for i := range fps {
		fps[i].Split = "test"
	}
	return fps
}

func asTestEmb(embs []rows.Embedding) []rows.Embedding {
	for i := range embs {
		embs[i].Split = "test"
	}
	return embs
}

func indexOf(names []string, name string) int {
	for i, n := range names {
		if n == name {
			return i
		}
	}
	return -1
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
