package main

import (
	"fmt"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"

	"github.com/gradprint/gradprint/compute/resnet"
	"github.com/gradprint/gradprint/compute/train"
	"github.com/gradprint/gradprint/ingest"
	"github.com/gradprint/gradprint/internal/pipeline"
	"github.com/gradprint/gradprint/warehouse"
	"github.com/gradprint/gradprint/warehouse/rows"
)

type trainOpts struct {
	data   dataFlags
	recipe train.Recipe
	width  float64
	stem   string
	model  string
	init   string
}

func newTrainCmd(g *globals) *cobra.Command {
	o := &trainOpts{recipe: train.DefaultRecipe()}
	cmd := &cobra.Command{
		Use:   "train",
		Short: "Train ResNet18 with the MedMNIST recipe, keeping the best-validation-AUC epoch",
		Long: `train fits a ResNet18 (small stem for 28/64 px, ImageNet stem for 224 px) with
MedMNIST's recipe by default: Adam lr 1e-3, 100 epochs, lr x0.1 at 50% and 75%,
batch 128, no augmentation, model selection by AUC on the validation split
with the best epoch restored. It writes the model as safetensors (torchvision
names) and one warehouse row per epoch (table training).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return runTrain(cmd, g, o) },
	}
	f := cmd.Flags()
	o.data.register(f)
	f.IntVar(&o.recipe.Epochs, "epochs", o.recipe.Epochs, "training epochs")
	f.IntVar(&o.recipe.BatchSize, "batch", o.recipe.BatchSize, "batch size")
	f.Float64Var(&o.recipe.LR, "lr", o.recipe.LR, "initial Adam learning rate")
	f.Float64SliceVar(&o.recipe.Milestones, "milestones", o.recipe.Milestones, "fractions of the epochs where lr is multiplied by --gamma")
	f.Float64Var(&o.recipe.Gamma, "gamma", o.recipe.Gamma, "learning-rate decay at each milestone")
	f.IntVar(&o.recipe.Patience, "patience", 0, "stop after this many epochs without a better validation AUC (0 = never)")
	f.Float64Var(&o.width, "width", 1, "channel width multiplier (1 = 64/128/256/512)")
	f.StringVar(&o.stem, "stem", "", "small or imagenet (default: small below 128 px, imagenet otherwise)")
	f.StringVar(&o.model, "model", "", "output model file (default <out>/models/<dataset>.safetensors)")
	f.StringVar(&o.init, "init", "", "conv weight init: pytorch (nn.Conv2d's default uniform) or torchvision (Kaiming normal, fan-out); default: what MedMNIST's code uses for the stem (pytorch for small, torchvision for imagenet)")
	return cmd
}

func runTrain(cmd *cobra.Command, g *globals, o *trainOpts) error {
	ctx := cmd.Context()
	o.recipe.Seed = g.seed
	path, splits, err := o.data.load(g)
	if err != nil {
		return err
	}
	tr, va := splits[ingest.Train], splits[ingest.Val]
	flag := o.data.flagOf(splits)
	cfg := resnet.MedMNISTConfig(tr.C, tr.NumClasses())
	cfg.Width = o.width
	switch {
	case o.stem != "":
		cfg.Stem = resnet.Stem(o.stem)
	case tr.H >= 128:
		cfg.Stem = resnet.ImageNetStem
	}
	m, err := resnet.New(cfg, g.seed)
	if err != nil {
		return err
	}
	if o.init == "" {
		o.init = resnet.MedMNISTInit(cfg.Stem)
	}
	if o.init != resnet.InitTorchvision {
		if err := m.InitConvs(o.init, g.seed); err != nil {
			return fmt.Errorf("--init: %w", err)
		}
	}
	if o.model == "" {
		o.model = filepath.Join(g.out, "models", flag+".safetensors")
	}
	spec := map[string]any{"data": path, "dataset": flag, "recipe": o.recipe, "model": cfg}
	if o.init != resnet.InitTorchvision {
		spec["init"] = o.init // absent for New's own draw, so earlier torchvision-init run ids stay valid
	}
	id, cfgJSON, err := runID("train", spec)
	if err != nil {
		return err
	}
	wh, err := warehouse.Open(warehouseDir(g))
	if err != nil {
		return err
	}
	run, _, err := wh.BeginOrResume(rows.RunMeta{RunID: id, Dataset: flag, Kind: "train", Seed: g.seed, ConfigJSON: cfgJSON})
	if err != nil {
		return err
	}
	defer run.Close()
	if run.Meta().Status == rows.StatusComplete {
		g.log.Info("training run already complete; nothing to do", "run", id, "model", run.Meta().ModelSHA256)
		fmt.Fprintf(g.stdout, "run %s complete; model %s\n", id, o.model)
		return nil
	}
	g.log.Info("training", "run", id, "data", path, "train", tr.N, "val", va.N, "epochs", o.recipe.Epochs, "width", cfg.Width, "seed", g.seed)
	start := time.Now()
	var epochs []rows.Training
	res, err := train.Fit(ctx, pipeline.Learner{Model: m, Opt: resnet.NewAdam(o.recipe.LR)}, tr, va, o.recipe, func(e train.Epoch) {
		if !g.quiet {
			fmt.Fprintf(g.stderr, "epoch %d/%d  loss %.4f  val loss %.4f  val AUC %.4f  val ACC %.4f  %.0f images/s  %s left%s\n",
				e.Epoch, o.recipe.Epochs, e.TrainLoss, e.ValLoss, e.ValAUC, e.ValACC, e.ImagesPerS,
				(time.Duration(e.SecondsLeft) * time.Second).String(), map[bool]string{true: "  *best", false: ""}[e.IsBest])
		}
		epochs = append(epochs, rows.Training{RunID: id, Epoch: int32(e.Epoch), LR: e.LR, TrainLoss: e.TrainLoss,
			ValLoss: e.ValLoss, ValAUC: e.ValAUC, ValAcc: e.ValACC, ImagesPerS: e.ImagesPerS, Seconds: e.Seconds})
	})
	if err != nil {
		run.Finish(rows.StatusFailed, err)
		return err
	}
	for i := range epochs {
		epochs[i].IsBest = int(epochs[i].Epoch) == res.BestEpoch
	}
	if err := resnet.Save(o.model, m, resnet.Meta{Dataset: flag, Classes: tr.Classes, Size: tr.H, Seed: g.seed, TrainRun: id}); err != nil {
		return err
	}
	sum, err := resnet.FileSHA256(o.model)
	if err != nil {
		return err
	}
	cw, err := run.Chunk(0)
	if err != nil {
		return err
	}
	if err := rows.Write(cw, epochs...); err != nil {
		cw.Abort()
		return err
	}
	if err := cw.Commit(); err != nil {
		return err
	}
	if err := run.Update(func(r *rows.RunMeta) {
		r.ModelSHA256 = sum
		r.TimingsJSON = fmt.Sprintf(`{"train_s": %.1f}`, time.Since(start).Seconds())
	}); err != nil {
		return err
	}
	if err := run.Finish(rows.StatusComplete, nil); err != nil {
		return err
	}
	fmt.Fprintf(g.stdout, "run %s: best epoch %d, val AUC %.4f, %.0f s; model %s\n", id, res.BestEpoch, res.BestValAUC, res.Seconds, o.model)
	return nil
}
