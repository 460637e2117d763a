package main

import (
	"github.com/spf13/cobra"

	"github.com/gradprint/gradprint/compute/resnet"
	"github.com/gradprint/gradprint/internal/pipeline"
	"github.com/gradprint/gradprint/internal/textout"
)

func newTrainCmd(g *globals) *cobra.Command {
	o := pipeline.DefaultTrainOptions()
	var data dataFlags
	var stem, augment string
	var corr corruptionFlags
	var augP float64
	cmd := &cobra.Command{
		Use:   "train",
		Short: "Train ResNet18 with the MedMNIST recipe, keeping the best-validation-AUC epoch",
		Long: `train fits a ResNet18 (small stem for 28/64 px, ImageNet stem for 224 px) with
MedMNIST's recipe by default: Adam lr 1e-3, 100 epochs, lr x0.1 at 50% and 75%,
batch 128, no augmentation, model selection by AUC on the validation split
with the best epoch restored. It writes the model as safetensors (torchvision
names) and one warehouse row per epoch (table training).

--augment thesis trains, every epoch, on every training image and all its
corrupted copies (1 + corruptions x severities samples per image: 26 for the
thesis's five corruptions at five severities); --augment random corrupts
each sample with probability --augment-p by a corruption and severity drawn
uniformly, fresh each epoch. Copies are made per batch from the seeded
generator and never held; model selection always uses the clean validation
split.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			o.Data, o.Stem, o.Augment.Mode = data.source(), resnet.Stem(stem), augment
			var err error
			if o.Augment.Corruptions, o.Augment.Severities, err = corr.parse(); err != nil {
				return err
			}
			if cmd.Flags().Changed("augment-p") {
				o.Augment.P = &augP
			}
			res, err := pipeline.Train(cmd.Context(), g.env(), o)
			if err != nil {
				return err
			}
			return textout.Step(g.stdout, res)
		},
	}
	f := cmd.Flags()
	data.register(f)
	f.IntVar(&o.Recipe.Epochs, "epochs", o.Recipe.Epochs, "training epochs, 1 to 10000")
	f.IntVar(&o.Recipe.BatchSize, "batch", o.Recipe.BatchSize, "batch size, 2 to the number of training images")
	f.Float64Var(&o.Recipe.LR, "lr", o.Recipe.LR, "initial Adam learning rate, in (0, 10]")
	f.Float64SliceVar(&o.Recipe.Milestones, "milestones", o.Recipe.Milestones, "fractions of the epochs, each in (0, 1), where lr is multiplied by --gamma")
	f.Float64Var(&o.Recipe.Gamma, "gamma", o.Recipe.Gamma, "learning-rate decay at each milestone, in (0, 1]")
	f.IntVar(&o.Recipe.Patience, "patience", 0, "stop after this many epochs without a better validation AUC (0 = never), 0 to 10000")
	f.Float64Var(&o.Width, "width", o.Width, "channel width multiplier (1 = 64/128/256/512), 1/64 to 8")
	f.StringVar(&stem, "stem", "", "small or imagenet (default: small below 128 px, imagenet otherwise)")
	f.StringVar(&o.Model, "model", "", "output model file (default <out>/models/<dataset>.safetensors, <dataset>-augment-<mode>.safetensors when augmented)")
	f.StringVar(&o.Init, "init", "", "conv weight init: pytorch (nn.Conv2d's default uniform) or torchvision (Kaiming normal, fan-out); default: what MedMNIST's code uses for the stem (pytorch for small, torchvision for imagenet)")
	f.StringVar(&augment, "augment", o.Augment.Mode, "corruption augmentation: none, thesis (every image and all its corrupted copies each epoch) or random (see --augment-p)")
	f.Float64Var(&augP, "augment-p", pipeline.DefaultAugmentP, "--augment random: probability that a sample is corrupted, 0 to 1")
	f.StringVar(&o.Augment.Preset, "preset", o.Augment.Preset, "--augment: corruption constants: imagenet-c, cifar-c or medmnist-c")
	corr.register(f, "--augment corruptions")
	return cmd
}
