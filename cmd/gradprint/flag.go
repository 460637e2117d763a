package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/gradprint/gradprint/compute/analysis"
	gpflag "github.com/gradprint/gradprint/compute/flag"
	"github.com/gradprint/gradprint/compute/perturb"
	"github.com/gradprint/gradprint/compute/resnet"
	"github.com/gradprint/gradprint/compute/saliency"
	"github.com/gradprint/gradprint/ingest"
	"github.com/gradprint/gradprint/internal/pipeline"
	"github.com/gradprint/gradprint/warehouse"
	"github.com/gradprint/gradprint/warehouse/rows"
)

// analyzeConfig is the part of an analyze run's stored configuration that
// new images must be analysed with, so their features match the detector's.
type analyzeConfig struct {
	Dataset     string           `json:"dataset"`
	Preset      string           `json:"preset"`
	Corruptions []string         `json:"corruptions"`
	Severities  []int            `json:"severities"`
	Layers      []analysis.Layer `json:"layers"`
	Target      string           `json:"target"`
	ModelSHA256 string           `json:"model_sha256"`
}

func newFlagCmd(g *globals) *cobra.Command {
	var (
		model, images, failureRun, resize string
		coverage, risk                    float64
	)
	cmd := &cobra.Command{
		Use:   "flag",
		Short: "Predict new images and flag those likely wrong with the fitted fingerprint detector",
		Long: `flag analyses new images exactly as the analyze run behind a failure run did
(same corruptions, severities, layers and saliency method), scores them with
the detector fitted by ` + "`gradprint failure`" + `, and flags every image whose score
falls below a threshold calibrated on the validation split for a target
coverage (--coverage) or a target risk (--risk). Input: an .npz in MedMNIST
layout (its test split is used) or a folder of PNG files.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if model == "" || images == "" {
				return fmt.Errorf("--model and --images are required")
			}
			if (coverage > 0) == (risk > 0) {
				return fmt.Errorf("give exactly one of --coverage (e.g. 0.9) or --risk (e.g. 0.05)")
			}
			m, meta, err := resnet.Load(model)
			if err != nil {
				return err
			}
			sum, err := resnet.FileSHA256(model)
			if err != nil {
				return err
			}
			wh, err := warehouse.Open(warehouseDir(g))
			if err != nil {
				return err
			}
			runs, err := completeRuns(wh, "")
			if err != nil {
				return err
			}
			fr := pickRun(runs, "failure", failureRun, "")
			if fr == nil {
				return fmt.Errorf("no complete failure run%s in %s: run `gradprint failure` first", map[bool]string{true: " " + failureRun, false: ""}[failureRun != ""], wh.Root())
			}
			ar := pickRun(runs, "analyze", fr.ParentRunID, "")
			if ar == nil {
				return fmt.Errorf("failure run %s: its analyze run %s is missing or incomplete", fr.RunID, fr.ParentRunID)
			}
			var ac analyzeConfig
			if err := json.Unmarshal([]byte(ar.ConfigJSON), &ac); err != nil {
				return fmt.Errorf("analyze run %s: config_json: %w", ar.RunID, err)
			}
			if ac.ModelSHA256 != sum {
				return fmt.Errorf("model %s (sha256 %.12s) is not the model of analyze run %s (sha256 %.12s)", model, sum, ar.RunID, ac.ModelSHA256)
			}
			var fc struct {
				Method   string `json:"method"`
				Features string `json:"features"`
			}
			if err := json.Unmarshal([]byte(fr.ConfigJSON), &fc); err != nil {
				return fmt.Errorf("failure run %s: config_json: %w", fr.RunID, err)
			}
			det, err := gpflag.Load(filepath.Join(g.out, "models", fr.RunID+"-detector.json"))
			if err != nil {
				return err
			}
			// Calibrate on the validation split of the analyze run.
			preds, err := warehouse.Read[rows.Prediction](wh.Catalog, warehouse.RunRef{Dataset: ar.Dataset, RunID: ar.RunID})
			if err != nil {
				return err
			}
			sal, err := warehouse.Read[rows.Saliency](wh.Catalog, warehouse.RunRef{Dataset: ar.Dataset, RunID: ar.RunID})
			if err != nil {
				return err
			}
			val, err := gpflag.BuildFeatures("val", preds, sal, fc.Method, gpflag.FeatureSet(fc.Features))
			if err != nil {
				return err
			}
			vconf, err := det.Confidences(val.X)
			if err != nil {
				return err
			}
			var th gpflag.Threshold
			if coverage > 0 {
				th, err = gpflag.CalibrateCoverage(vconf, val.Wrong, coverage)
			} else {
				th, err = gpflag.CalibrateRisk(vconf, val.Wrong, risk)
				if errors.Is(err, gpflag.ErrRiskUnattainable) {
					return fmt.Errorf("--risk %g: no threshold reaches it on validation (%w); try a larger risk", risk, err)
				}
			}
			if err != nil {
				return err
			}
			d, sources, err := loadNewImages(images, m.Config().InChannels, meta, resize)
			if err != nil {
				return err
			}
			d.Classes = meta.Classes
			if len(d.Classes) != m.NumClasses() {
				d.Classes = nil
				for i := 0; i < m.NumClasses(); i++ {
					d.Classes = append(d.Classes, fmt.Sprintf("class%d", i))
				}
			}
			preset, err := perturb.Lookup(ac.Preset, strings.TrimPrefix(ac.Dataset, "synthetic"))
			if err != nil {
				return err
			}
			method, err := saliency.Lookup(fc.Method)
			if err != nil {
				return err
			}
			sel := make([]bool, d.N)
			for i := range sel {
				sel[i] = true
			}
			sink := rows.NewMemSink("flag")
			acfg := analysis.Config{RunID: "flag", RunSeed: g.seed, Preset: preset, Corruptions: ac.Corruptions, Severities: ac.Severities,
				Layers: ac.Layers, Methods: []saliency.Method{method}, Target: analysis.Target(ac.Target), ChunkImages: 16, Batch: 52}
			if err := analysis.Run(cmd.Context(), pipeline.Analyzer{Model: m}, d, sel, acfg, sink, nil); err != nil {
				return err
			}
			feats, err := gpflag.BuildFeatures(string(d.Split), rows.Collect[rows.Prediction](sink), rows.Collect[rows.Saliency](sink), fc.Method, gpflag.FeatureSet(fc.Features))
			if err != nil {
				return err
			}
			conf, err := det.Confidences(feats.X)
			if err != nil {
				return err
			}
			id, cfgJSON, err := runID("flag", map[string]any{"images": images, "model_sha256": sum, "failure_run": fr.RunID, "coverage": coverage, "risk": risk, "seed": g.seed})
			if err != nil {
				return err
			}
			run, _, err := wh.BeginOrResume(rows.RunMeta{RunID: id, Dataset: ar.Dataset, Kind: "flag", Seed: g.seed, ConfigJSON: cfgJSON, ModelSHA256: sum, ParentRunID: fr.RunID})
			if err != nil {
				return err
			}
			defer run.Close()
			var out []rows.Flag
			tw := tabwriter.NewWriter(g.stdout, 0, 4, 2, ' ', 0)
			fmt.Fprintf(tw, "image\tsource\tpredicted\tconfidence\tfailure_score\tflagged\n")
			for i, img := range feats.ImageIDs {
				flagged := !th.Accept(conf[i])
				out = append(out, rows.Flag{RunID: id, Split: string(d.Split), ImageID: img, Source: sources[img], ScoreName: gpflag.ScoreDetector,
					Score: conf[i], Predicted: feats.Pred[i], Label: -1, Threshold: th.Threshold, Flagged: flagged})
				fmt.Fprintf(tw, "%d\t%s\t%s\t%.3f\t%.3f\t%v\n", img, sources[img], d.Classes[feats.Pred[i]], feats.MSP[i], conf[i], flagged)
			}
			if done, err := run.Done(0); err != nil {
				return err
			} else if !done {
				cw, err := run.Chunk(0)
				if err != nil {
					return err
				}
				if err := rows.Write(cw, out...); err != nil {
					cw.Abort()
					return err
				}
				if err := cw.Commit(); err != nil {
					return err
				}
			}
			if err := run.Finish(rows.StatusComplete, nil); err != nil {
				return err
			}
			g.log.Info("flagged", "run", id, "threshold", th.Threshold, "calibration", th.Target, "val_coverage", th.Coverage, "val_risk", th.Risk)
			return tw.Flush()
		},
	}
	f := cmd.Flags()
	f.StringVar(&model, "model", "", "model file the failure run's analyze run used")
	f.StringVar(&images, "images", "", "new images: an .npz in MedMNIST layout (test split) or a folder of .png files")
	f.StringVar(&failureRun, "failure-run", "", "failure run whose detector to use (default: the newest complete one)")
	f.Float64Var(&coverage, "coverage", 0, "flag threshold reaching this coverage on validation (e.g. 0.9)")
	f.Float64Var(&risk, "risk", 0, "flag threshold keeping selective risk on validation at or below this (e.g. 0.05)")
	f.StringVar(&resize, "resize", "reject", "images of another size: reject (error) or resize (bilinear)")
	return cmd
}

// loadNewImages reads an npz's test split or a folder of PNGs into a
// dataset of the model's channel count and training size.
func loadNewImages(path string, channels int, meta resnet.Meta, resize string) (*ingest.Dataset, map[int32]string, error) {
	if resize != "reject" && resize != "resize" {
		return nil, nil, fmt.Errorf("--resize %q: want reject or resize", resize)
	}
	size := meta.Size
	sources := map[int32]string{}
	st, err := os.Stat(path)
	if err != nil {
		return nil, nil, err
	}
	if !st.IsDir() {
		d, err := ingest.ReadNPZSplit(path, ingest.Test, nil)
		if err != nil {
			return nil, nil, err
		}
		if d.C != channels || (size > 0 && (d.H != size || d.W != size)) {
			return nil, nil, fmt.Errorf("%s: test_images are %dx%dx%d, the model expects %dx%dx%d", path, d.H, d.W, d.C, size, size, channels)
		}
		for i := 0; i < d.N; i++ {
			sources[int32(i)] = fmt.Sprintf("%s[%d]", filepath.Base(path), i)
		}
		d.Split = "input"
		return d, sources, nil
	}
	if size <= 0 {
		return nil, nil, fmt.Errorf("model metadata has no input size; pass an .npz instead of PNG files")
	}
	d, names, err := ingest.ReadPNGDir(path, size, channels, resize == "resize")
	if err != nil {
		return nil, nil, err
	}
	for i, n := range names {
		sources[int32(i)] = n
	}
	return d, sources, nil
}
