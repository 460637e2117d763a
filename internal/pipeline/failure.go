package pipeline

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"

	gpflag "github.com/gradprint/gradprint/compute/flag"
	"github.com/gradprint/gradprint/internal/atomicfile"
	"github.com/gradprint/gradprint/warehouse"
	"github.com/gradprint/gradprint/warehouse/rows"
)

// FailureOptions configure Failure. An empty Run takes the newest complete
// fingerprint run (of Dataset, when given).
type FailureOptions struct {
	Run      string
	Dataset  string
	Coverage float64 // the flag's default coverage, where silent failures are counted
	Risk     float64 // the target risk of the guarantee evaluated on every setting
	Delta    float64 // the guarantee's confidence is 1 - Delta
	Boot     int     // bootstrap resamples for the 95% intervals
}

// DefaultFailureOptions counts silent failures at 80% coverage and
// evaluates a 20% risk guarantee at delta 0.05, with 1000 bootstrap
// resamples. 20%, not 10%: on BreastMNIST's 78 clean validation images no
// score reaches a 10% bound (even with no failure among them, SGR's
// Clopper-Pearson bound at its split delta needs about 50 accepted images
// to fall under 10%), so that guarantee would say nothing.
func DefaultFailureOptions() FailureOptions {
	return FailureOptions{Coverage: 0.8, Risk: 0.2, Delta: 0.05, Boot: 1000}
}

// mixShares are the degraded shares of the deployment mixes: a clinic
// where half, or a tenth, of the acquisitions went wrong.
func mixShares() []float64 { return []float64{0.5, 0.1} }

// FailureConfig is what a failure run records; flag decodes it.
type FailureConfig struct {
	FingerprintRun string    `json:"fingerprint_run"`
	Coverage       float64   `json:"coverage"`
	Risk           float64   `json:"risk"`
	Delta          float64   `json:"delta"`
	Boot           int       `json:"boot"`
	Mixes          []float64 `json:"mixes"`
	Seed           uint64    `json:"seed"`
}

// FailureResult is the failure study of one fingerprint run.
type FailureResult struct {
	RunID, Dataset, FingerprintRun string
	Val, ValWrong                  int // clean validation images, and how many were misclassified
	Test, TestWrong                int // clean test images
	Metrics                        []rows.FailureMetric
	Degradation                    []rows.DegradationMetric
	Guarantees                     []rows.Guarantee
	Choice, Why                    string   // the score flag deploys, and why
	Notes                          []string // what the study could not do as planned
	Stored                         bool     // the run was complete: results read back, nothing recomputed
}

func (*FailureResult) StepName() string { return "failure" }

// Failure runs the failure study on a fingerprint run: every score on the
// i.i.d., corruption-shift and deployment-mix settings, in the seen and
// unseen regimes, with bootstrap intervals; degraded-input detection; the
// risk guarantee promised on clean validation against what each setting
// delivers; and the choice of the score flag deploys. Everything is fitted
// on validation (and train features); test is only evaluated.
func Failure(ctx context.Context, e Env, o FailureOptions) (*FailureResult, error) {
	if err := o.validate(); err != nil {
		return nil, err
	}
	wh, err := e.openWarehouse()
	if err != nil {
		return nil, err
	}
	fr, err := fingerprintRunFor(wh, o)
	if err != nil {
		return nil, err
	}
	d, err := studyData(wh, fr)
	if err != nil {
		return nil, err
	}
	cfg := FailureConfig{FingerprintRun: fr.RunID, Coverage: o.Coverage, Risk: o.Risk, Delta: o.Delta, Boot: o.Boot, Mixes: mixShares(), Seed: e.Seed}
	run, err := e.openRun(runSpec{kind: "failure", dataset: fr.Dataset, seed: e.Seed, config: cfg, parent: fr.RunID})
	if err != nil {
		return nil, err
	}
	defer run.Close()
	res := &FailureResult{RunID: run.ID(), Dataset: fr.Dataset, FingerprintRun: fr.RunID}
	res.countClean(d)
	if run.complete() {
		// What is printed must be what the warehouse holds, even if this
		// binary would compute it differently.
		rerr := e.readStudy(wh, run.ref(), res)
		if rerr == nil {
			return res, nil
		}
		e.log().Warn("failure run complete but unreadable; computing it again", "run", run.ID(), "err", rerr)
	}
	err = e.study(ctx, run, d, o, res)
	if err := run.end(err, nil); err != nil {
		return nil, err
	}
	return res, nil
}

func fingerprintRunFor(wh *warehouse.Warehouse, o FailureOptions) (rows.RunMeta, error) {
	if o.Run != "" {
		return wh.Run(o.Run)
	}
	fr, err := wh.Latest(warehouse.RunQuery{Kind: "fingerprint", Dataset: o.Dataset})
	if errors.Is(err, warehouse.ErrNoRun) {
		return fr, fmt.Errorf("no complete fingerprint run in %s: run `gradprint fingerprint --model ...` first", wh.Root())
	}
	return fr, err
}

// studyData reads a fingerprint run's rows back into the study's samples.
func studyData(wh *warehouse.Warehouse, fr rows.RunMeta) (*gpflag.StudyData, error) {
	if fr.Kind != "fingerprint" {
		return nil, fmt.Errorf("run %s is a %s run; the failure study reads a fingerprint run", fr.RunID, fr.Kind)
	}
	fc, err := decodeConfig[FingerprintConfig](fr)
	if err != nil {
		return nil, err
	}
	ref := warehouse.RunRef{Dataset: fr.Dataset, RunID: fr.RunID}
	fps, err := warehouse.Read[rows.Fingerprint](wh.Catalog, ref)
	if err != nil {
		return nil, err
	}
	embs, err := warehouse.Read[rows.Embedding](wh.Catalog, ref)
	if err != nil {
		return nil, err
	}
	if len(fps) == 0 {
		return nil, fmt.Errorf("fingerprint run %s has no fingerprints", fr.RunID)
	}
	d := &gpflag.StudyData{Classes: len(fps[0].Logits), FeatureNames: fc.FeatureNames, Corruptions: fc.Corruptions, Severities: fc.Severities}
	if d.Train, d.Val, d.Test, err = gpflag.Samples(fps, embs, fc.FeatureNames, d.Classes); err != nil {
		return nil, fmt.Errorf("fingerprint run %s: %w", fr.RunID, err)
	}
	return d, nil
}

// study runs the study, saves what flag deploys, and commits the rows.
func (e Env) study(ctx context.Context, run *stepRun, d *gpflag.StudyData, o FailureOptions, res *FailureResult) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	out, err := gpflag.Study(run.ID(), d, gpflag.StudyOptions{Fit: gpflag.Options{Seed: e.Seed}, BootReps: o.Boot, Seed: e.Seed,
		Coverage: o.Coverage, TargetRisk: o.Risk, Delta: o.Delta, MixShares: mixShares()})
	if err != nil {
		return err
	}
	if err := saveDeployed(e.ModelsDir(), run.ID(), out.Deployed); err != nil {
		return err
	}
	res.Metrics, res.Degradation, res.Guarantees = out.Metrics, out.Degradation, out.Guarantees
	res.Choice, res.Why, res.Notes = out.Deployed.Choice, out.Deployed.Why, out.Notes
	for _, n := range out.Notes {
		e.log().Warn("failure study", "run", run.ID(), "note", n)
	}
	return rows.WriteChunk(run, 0, func(c rows.Chunk) error {
		return errors.Join(rows.Write(c, out.Metrics...), rows.Write(c, out.Degradation...), rows.Write(c, out.Guarantees...),
			rows.Write(c, out.Scores...), rows.Write(c, out.Flags...))
	})
}

// countClean counts the clean validation and test images and their errors.
func (res *FailureResult) countClean(d *gpflag.StudyData) {
	count := func(ss []*gpflag.Sample) (n, wrong int) {
		for _, s := range ss {
			if !s.Degraded() {
				n++
				if s.Wrong() {
					wrong++
				}
			}
		}
		return n, wrong
	}
	res.Val, res.ValWrong = count(d.Val)
	res.Test, res.TestWrong = count(d.Test)
}

// readStudy fills res from a complete failure run's rows and deployment
// file.
func (e Env) readStudy(wh *warehouse.Warehouse, ref warehouse.RunRef, res *FailureResult) error {
	dep, err := loadDeployed(e.ModelsDir(), ref.RunID)
	if err != nil {
		return err
	}
	if res.Metrics, err = warehouse.Read[rows.FailureMetric](wh.Catalog, ref); err != nil {
		return err
	}
	if res.Degradation, err = warehouse.Read[rows.DegradationMetric](wh.Catalog, ref); err != nil {
		return err
	}
	if res.Guarantees, err = warehouse.Read[rows.Guarantee](wh.Catalog, ref); err != nil {
		return err
	}
	res.Choice, res.Why, res.Stored = dep.Choice, dep.Why, true
	return nil
}

// deployFile is what flag reads of a failure run besides its detectors.
type deployFile struct {
	Format      string             `json:"format"`
	Choice      string             `json:"choice"`
	Why         string             `json:"why"`
	Candidates  []gpflag.Candidate `json:"candidates"`
	Temperature float64            `json:"temperature"`
	K           int                `json:"knn_k"`
	SIRCA       float64            `json:"sirc_a"`
	SIRCB       float64            `json:"sirc_b"`
}

const deployFormat = "gradprint.flag.deploy/v1"

func saveDeployed(dir, runID string, dep *gpflag.Deployed) error {
	for name, m := range map[string]*gpflag.Model{"detector": dep.Detector, "detector_msp": dep.DetectorMSP, "degradation": dep.Degradation} {
		if err := m.Save(filepath.Join(dir, runID+"-"+name+".json")); err != nil {
			return err
		}
	}
	b, err := json.MarshalIndent(deployFile{Format: deployFormat, Choice: dep.Choice, Why: dep.Why, Candidates: dep.Candidates,
		Temperature: dep.Temperature, K: dep.K, SIRCA: dep.SIRC.A, SIRCB: dep.SIRC.B}, "", "  ")
	if err != nil {
		return err
	}
	return atomicfile.WriteFile(filepath.Join(dir, runID+"-deploy.json"), append(b, '\n'))
}
