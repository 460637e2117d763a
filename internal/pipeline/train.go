package pipeline

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"time"

	"github.com/gradprint/gradprint/compute/perturb"
	"github.com/gradprint/gradprint/compute/resnet"
	"github.com/gradprint/gradprint/compute/train"
	"github.com/gradprint/gradprint/ingest"
	"github.com/gradprint/gradprint/warehouse/rows"
)

// TrainOptions configure Train. The zero Stem picks the small stem below
// 128 px and the ImageNet stem otherwise; the zero Init picks what
// MedMNIST's code uses for that stem; the zero Model writes
// <out>/models/<dataset>.safetensors, or <dataset>-augment-<mode>.safetensors
// when augmented, so the two never overwrite each other.
type TrainOptions struct {
	Data    DataSource
	Recipe  train.Recipe // Recipe.Seed is set from Env.Seed, Recipe.Augment from Augment
	Width   float64      // channel width multiplier (1 = 64/128/256/512)
	Stem    resnet.Stem
	Init    string // resnet.InitPyTorch or resnet.InitTorchvision
	Model   string
	Augment Augment
}

// Augment says how training corrupts its samples: Mode none (the
// default), thesis or random (with P, default 0.5), with the corruptions
// (default: all of Preset) and severities of analyze.
type Augment struct {
	Mode        string
	P           *float64 // random only; nil is 0.5
	Preset      string
	Corruptions []string
	Severities  []int
}

// DefaultAugmentP is random augmentation's probability when none is given.
const DefaultAugmentP = 0.5

// DefaultTrainOptions is MedMNIST's recipe at full width, no augmentation.
func DefaultTrainOptions() TrainOptions {
	return TrainOptions{Recipe: train.DefaultRecipe(), Width: 1,
		Augment: Augment{Mode: train.AugmentNone, Preset: "imagenet-c", Severities: []int{1, 2, 3, 4, 5}}}
}

// TrainConfig is what a train run records; its JSON is the run's identity.
type TrainConfig struct {
	Data    string `json:"data"`
	Dataset string `json:"dataset"`
	// Init is absent for New's own (torchvision) draw, so that run ids of
	// models trained before the init choice existed stay valid.
	Init   string        `json:"init,omitempty"`
	Model  resnet.Config `json:"model"`
	Recipe train.Recipe  `json:"recipe"`
}

// TrainResult says what Train did. Skipped means the run had completed
// before, with the same configuration, and nothing was trained.
type TrainResult struct {
	RunID, Dataset, Model string
	Skipped               bool
	BestEpoch             int
	BestValAUC, Seconds   float64
}

func (*TrainResult) StepName() string { return "train" }

// Train fits a ResNet18 on the train split, keeping the epoch with the best
// validation AUC, saves it as safetensors and writes one training row per
// epoch.
func Train(ctx context.Context, e Env, o TrainOptions) (*TrainResult, error) {
	if err := o.validate(); err != nil {
		return nil, err
	}
	o.Recipe.Seed = e.Seed
	path, flag, splits, err := e.load(o.Data)
	if err != nil {
		return nil, err
	}
	tr, va := splits[ingest.Train], splits[ingest.Val]
	if tr == nil || va == nil || tr.N == 0 || va.N == 0 {
		return nil, fmt.Errorf("%s: training needs images in both the train and val splits", path)
	}
	if o.Recipe.BatchSize > tr.N {
		return nil, fmt.Errorf("--batch %d: want at most the %d training images of %s", o.Recipe.BatchSize, tr.N, path)
	}
	cor, err := o.augmentation(flag)
	if err != nil {
		return nil, err
	}
	m, cfg, init, err := newModel(tr, o, e.Seed)
	if err != nil {
		return nil, err
	}
	if o.Model == "" {
		o.Model = filepath.Join(e.ModelsDir(), flag+o.Augment.fileSuffix()+".safetensors")
	}
	tc := TrainConfig{Data: path, Dataset: flag, Model: cfg, Recipe: o.Recipe}
	if init != resnet.InitTorchvision {
		tc.Init = init
	}
	run, err := e.openRun(runSpec{kind: "train", dataset: flag, seed: e.Seed, config: tc})
	if err != nil {
		return nil, err
	}
	defer run.Close()
	res := &TrainResult{RunID: run.ID(), Dataset: flag, Model: o.Model}
	if run.complete() {
		if err := sameModel(o.Model, run.Meta(), e.WarehouseDir()); err != nil {
			return nil, err
		}
		e.log().Info("training run already complete; nothing to do", "run", run.ID(), "model", run.Meta().ModelSHA256)
		res.Skipped = true
		return res, nil
	}
	e.log().Info("training", "run", run.ID(), "data", path, "train", tr.N, "val", va.N, "epochs", o.Recipe.Epochs, "width", cfg.Width,
		"augment", o.Augment.Mode, "samples_per_epoch", tr.N*samplesPerImage(o.Recipe.Augment), "seed", e.Seed)
	var sum string
	err = e.fit(ctx, run, m, tr, va, o, cor, res, &sum)
	if err := run.end(err, func(r *rows.RunMeta) { r.ModelSHA256 = sum }); err != nil {
		return nil, err
	}
	return res, nil
}

// newModel builds the seeded ResNet18 that training starts from, and says
// which convolution init it drew.
func newModel(tr *ingest.Dataset, o TrainOptions, seed uint64) (*resnet.Model, resnet.Config, string, error) {
	cfg := resnet.MedMNISTConfig(tr.C, tr.NumClasses())
	cfg.Width = o.Width
	switch {
	case o.Stem != "":
		cfg.Stem = o.Stem
	case tr.H >= 128:
		cfg.Stem = resnet.ImageNetStem
	}
	m, err := resnet.New(cfg, seed)
	if err != nil {
		return nil, cfg, "", err
	}
	init := o.Init
	if init == "" {
		init = resnet.MedMNISTInit(cfg.Stem)
	}
	if init != resnet.InitTorchvision {
		if err := m.InitConvs(init, seed); err != nil {
			return nil, cfg, "", fmt.Errorf("--init: %w", err)
		}
	}
	return m, cfg, init, nil
}

// fit runs the training loop, saves the best model and commits the
// per-epoch rows; sum receives the saved model's checksum.
func (e Env) fit(ctx context.Context, run *stepRun, m *resnet.Model, tr, va *ingest.Dataset, o TrainOptions, cor train.Corrupter,
	res *TrainResult, sum *string) error {
	var epochs []rows.Training
	out := e.progressOut()
	fit, err := train.FitAugmented(ctx, Learner{Model: m, Opt: resnet.NewAdam(o.Recipe.LR)}, tr, va, o.Recipe, cor, func(ep train.Epoch) {
		if out != nil {
			best := ""
			if ep.IsBest {
				best = "  *best"
			}
			fmt.Fprintf(out, "epoch %d/%d  loss %.4f  val loss %.4f  val AUC %.4f  val ACC %.4f  %.0f images/s  %s left%s\n",
				ep.Epoch, o.Recipe.Epochs, ep.TrainLoss, ep.ValLoss, ep.ValAUC, ep.ValACC, ep.ImagesPerS,
				(time.Duration(ep.SecondsLeft) * time.Second).String(), best)
		}
		epochs = append(epochs, rows.Training{RunID: run.ID(), Epoch: int32(ep.Epoch), LR: ep.LR, TrainLoss: ep.TrainLoss,
			ValLoss: ep.ValLoss, ValAUC: ep.ValAUC, ValAcc: ep.ValACC, ImagesPerS: ep.ImagesPerS, Seconds: ep.Seconds,
			Augment: o.Augment.label(), Samples: int32(ep.Samples)})
	})
	if err != nil {
		return err
	}
	for i := range epochs {
		epochs[i].IsBest = int(epochs[i].Epoch) == fit.BestEpoch
	}
	meta := resnet.Meta{Dataset: run.Meta().Dataset, Classes: tr.Classes, Size: tr.H, Seed: e.Seed, TrainRun: run.ID()}
	if err := resnet.Save(o.Model, m, meta); err != nil {
		return err
	}
	if *sum, err = resnet.FileSHA256(o.Model); err != nil {
		return err
	}
	res.BestEpoch, res.BestValAUC, res.Seconds = fit.BestEpoch, fit.BestValAUC, fit.Seconds
	return rows.WriteChunk(run, 0, func(c rows.Chunk) error { return rows.Write(c, epochs...) })
}

// sameModel checks that the model a complete train run saved is at path,
// so "complete" never points at a file that is not there.
func sameModel(path string, run rows.RunMeta, warehouseDir string) error {
	sum, err := resnet.FileSHA256(path)
	if err == nil && sum == run.ModelSHA256 {
		return nil
	}
	found := "no file"
	if err == nil {
		found = fmt.Sprintf("a model with sha256 %.12s", sum)
	}
	return fmt.Errorf("train run %s is complete, but its model (sha256 %.12s) is not at %s (%s there): "+
		"pass --model with the path it was saved to, or delete the run to train again: rm -r %s",
		run.RunID, run.ModelSHA256, path, found, filepath.Join(warehouseDir, "*", "dataset="+run.Dataset, "run="+run.RunID))
}

// augmentation resolves the options into the recipe's Augmentation and
// the corrupter that applies it, checking the preset has constants for the
// dataset before any work; nil for mode none.
func (o *TrainOptions) augmentation(flag string) (train.Corrupter, error) {
	a := o.Augment
	if a.Mode == train.AugmentNone {
		o.Recipe.Augment = nil
		return nil, nil
	}
	preset, err := perturb.Lookup(a.Preset, strings.TrimPrefix(flag, "synthetic"))
	if err != nil {
		return nil, fmt.Errorf("--preset: %w", err)
	}
	corrs := a.Corruptions
	if len(corrs) == 0 {
		corrs = preset.Corruptions()
	}
	for _, c := range corrs {
		if _, err := preset.Corruption(c); err != nil {
			return nil, fmt.Errorf("--corruptions: %w", err)
		}
	}
	aug := &train.Augmentation{Mode: a.Mode, Preset: a.Preset, Corruptions: corrs, Severities: a.Severities}
	if a.Mode == train.AugmentRandom {
		aug.P = DefaultAugmentP
		if a.P != nil {
			aug.P = *a.P
		}
	}
	o.Recipe.Augment = aug
	return corrupter{preset: preset, ws: perturb.NewWorkspace()}, nil
}

// label names the augmentation in the training rows: none, thesis, or
// random with its probability.
func (a Augment) label() string {
	if a.Mode != train.AugmentRandom {
		return a.Mode
	}
	p := DefaultAugmentP
	if a.P != nil {
		p = *a.P
	}
	return fmt.Sprintf("random p=%g", p)
}

// fileSuffix keeps an augmented model's default file apart from the plain
// one: breastmnist-augment-thesis.safetensors beside breastmnist.safetensors.
func (a Augment) fileSuffix() string {
	if a.Mode == train.AugmentNone {
		return ""
	}
	return "-augment-" + strings.ReplaceAll(strings.ReplaceAll(a.label(), " ", "-"), "=", "")
}

func samplesPerImage(a *train.Augmentation) int {
	if a != nil && a.Mode == train.AugmentThesis {
		return a.Variants()
	}
	return 1
}

// corrupter applies a perturb preset for the training loop, which fills
// its batches one image at a time (one workspace suffices).
type corrupter struct {
	preset *perturb.Preset
	ws     *perturb.Workspace
}

func (c corrupter) Corrupt(dst, src []uint8, h, w, ch int, corruption string, severity int, run uint64, imageID int64) error {
	return c.preset.ApplyImage(c.ws, dst, src, h, w, ch, corruption, severity, run, imageID)
}
