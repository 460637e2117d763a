package pipeline

import (
	"cmp"
	"errors"
	"fmt"
	"math"
	"slices"

	"github.com/gradprint/gradprint/compute/analysis"
	"github.com/gradprint/gradprint/compute/fingerprint"
	"github.com/gradprint/gradprint/compute/resnet"
	"github.com/gradprint/gradprint/compute/saliency"
	"github.com/gradprint/gradprint/compute/train"
	"github.com/gradprint/gradprint/ingest"
)

// Every option of every step has a documented range (docs/reliability.md),
// checked before the step reads a file or allocates, so a typo can neither
// crash gradprint nor make it allocate what the machine does not have.
// Errors name the command-line flag; study files use the same names.

// Ranges a caller may show in help texts.
const (
	MaxEpochs     = 10000
	MaxBatch      = 65536
	MaxChunk      = 4096
	MaxMapsPerCls = 100
	MinReportPx   = 800
	MaxReportPx   = 8000
	MinBoot       = 10
	MaxBoot       = 100000
	MinWidth      = 1.0 / 64 // one channel in the stem
	MaxWidth      = float64(resnet.MaxWidth)
)

func intIn(flag string, v, lo, hi int) error {
	if v < lo || v > hi {
		return fmt.Errorf("%s %d: want %d to %d", flag, v, lo, hi)
	}
	return nil
}

// floatIn checks lo < v <= hi (open below: none of these may be 0).
func floatIn(flag string, v, lo, hi float64) error {
	if math.IsNaN(v) || v <= lo || v > hi {
		return fmt.Errorf("%s %g: want more than %g and at most %g", flag, v, lo, hi)
	}
	return nil
}

func oneOf[T ~string](flag string, v T, allowed ...T) error {
	if !slices.Contains(allowed, v) {
		return fmt.Errorf("%s %q: want one of %v", flag, v, allowed)
	}
	return nil
}

// list checks a list flag: at least min values, none twice.
func list[T cmp.Ordered](flag string, xs []T, min int) error {
	if len(xs) < min {
		return fmt.Errorf("%s: want at least %d value(s), got none", flag, min)
	}
	seen := map[T]bool{}
	for _, x := range xs {
		if seen[x] {
			return fmt.Errorf("%s: %v is given twice", flag, x)
		}
		seen[x] = true
	}
	return nil
}

// validate checks the size: a MedMNIST file exists at MedMNIST's sizes,
// the synthetic default at any size its generator draws, and a --data
// file has its own (checked against --size when both are given).
func (d DataSource) validate() error {
	switch {
	case d.Size == 0 || d.File != "":
		return nil
	case d.Dataset == "" || d.Dataset == "synthetic":
		return intIn("--size", d.Size, 8, 1024)
	case !slices.Contains(ingest.Sizes, d.Size):
		return fmt.Errorf("--size %d: want one of %v (MedMNIST's sizes)", d.Size, ingest.Sizes)
	}
	return nil
}

func validSplits(flag string, splits []ingest.Split) error {
	if err := list(flag, splits, 1); err != nil {
		return err
	}
	for _, s := range splits {
		if err := oneOf(flag, s, ingest.Splits...); err != nil {
			return err
		}
	}
	return nil
}

func (o TrainOptions) validate() error {
	r := o.Recipe
	for _, err := range []error{
		o.Data.validate(),
		intIn("--epochs", r.Epochs, 1, MaxEpochs),
		intIn("--batch", r.BatchSize, 2, MaxBatch), // batch norm needs two images
		floatIn("--lr", r.LR, 0, 10),
		floatIn("--gamma", r.Gamma, 0, 1),
		intIn("--patience", r.Patience, 0, MaxEpochs),
		list("--milestones", r.Milestones, 0),
		oneOf("--stem", o.Stem, "", resnet.SmallStem, resnet.ImageNetStem),
		oneOf("--init", o.Init, "", resnet.InitPyTorch, resnet.InitTorchvision),
	} {
		if err != nil {
			return err
		}
	}
	for _, m := range r.Milestones {
		if err := floatIn("--milestones", m, 0, math.Nextafter(1, 0)); err != nil {
			return err
		}
	}
	if math.IsNaN(o.Width) || o.Width < MinWidth || o.Width > MaxWidth {
		return fmt.Errorf("--width %g: want %g to %g", o.Width, MinWidth, MaxWidth)
	}
	return o.Augment.validate()
}

func (a Augment) validate() error {
	if err := oneOf("--augment", a.Mode, train.AugmentNone, train.AugmentThesis, train.AugmentRandom); err != nil {
		return err
	}
	if a.P != nil {
		if a.Mode != train.AugmentRandom {
			return fmt.Errorf("--augment-p %g: only with --augment random (got --augment %s)", *a.P, a.Mode)
		}
		if !(*a.P >= 0 && *a.P <= 1) {
			return fmt.Errorf("--augment-p %g: want a probability in [0, 1]", *a.P)
		}
	}
	if a.Mode == train.AugmentNone {
		return nil
	}
	if err := errors.Join(list("--corruptions", a.Corruptions, 0), list("--severities", a.Severities, 1)); err != nil {
		return err
	}
	for _, s := range a.Severities {
		if err := intIn("--severities", s, 1, 5); err != nil {
			return err
		}
	}
	return nil
}

func (o EvaluateOptions) validate() error {
	if err := o.Data.validate(); err != nil {
		return err
	}
	return validSplits("--splits", o.Splits)
}

func (o AnalyzeOptions) validate() error {
	for _, err := range []error{
		o.Data.validate(),
		list("--corruptions", o.Corruptions, 0),
		list("--severities", o.Severities, 1),
		list("--layers", o.Layers, 0),
		list("--methods", o.Methods, 1),
		intIn("--per-class", o.PerClass, 0, math.MaxInt32),
		oneOf("--select", o.Select, ingest.SelectAll, ingest.SelectCorrect, ingest.SelectIncorrect),
		validSplits("--splits", o.Splits),
		oneOf("--target", o.Target, analysis.TargetClean, analysis.TargetEach, analysis.TargetLabel),
		intIn("--maps-per-class", o.MapsPerClass, 0, MaxMapsPerCls),
		intIn("--chunk", o.Chunk, 1, MaxChunk),
		intIn("--batch", o.Batch, 1, MaxBatch),
	} {
		if err != nil {
			return err
		}
	}
	for _, s := range o.Severities {
		if err := intIn("--severities", s, 1, 5); err != nil {
			return err
		}
	}
	if o.Shards < 1 || o.Shard < 0 || o.Shard >= o.Shards {
		return fmt.Errorf("--shard %d/%d: want i/n with 0 <= i < n", o.Shard, o.Shards)
	}
	return nil
}

func validMethod(flag, m string) error {
	if _, err := saliency.Lookup(m); err != nil {
		return fmt.Errorf("%s: %w", flag, err)
	}
	return nil
}

func (o FailureOptions) validate() error {
	for _, err := range []error{
		floatIn("--coverage", o.Coverage, 0, 1),
		floatIn("--risk", o.Risk, 0, math.Nextafter(1, 0)),
		floatIn("--delta", o.Delta, 0, 0.5),
		intIn("--boot", o.Boot, MinBoot, MaxBoot),
	} {
		if err != nil {
			return err
		}
	}
	return nil
}

func (o FlagOptions) validate() error {
	if o.Model == "" || o.Images == "" {
		return fmt.Errorf("--model and --images are required")
	}
	if (o.Coverage != 0) == (o.Risk != 0) {
		return fmt.Errorf("give exactly one of --coverage (e.g. 0.9) or --risk (e.g. 0.05)")
	}
	if o.Coverage != 0 {
		return floatIn("--coverage", o.Coverage, 0, 1)
	}
	if err := floatIn("--delta", o.Delta, 0, 0.5); err != nil {
		return err
	}
	return floatIn("--risk", o.Risk, 0, math.Nextafter(1, 0))
}

func (o ReportOptions) validate() error {
	if err := validMethod("--method", o.Method); err != nil {
		return err
	}
	if err := intIn("--severity", o.Severity, 1, 5); err != nil {
		return err
	}
	if err := intIn("--width", o.Width, MinReportPx, MaxReportPx); err != nil {
		return err
	}
	if o.ImageID < -1 {
		return fmt.Errorf("--image-id %d: want a test image index, or -1 for the first stored one", o.ImageID)
	}
	return nil
}

func (o FingerprintOptions) validate() error {
	if o.Model == "" {
		return fmt.Errorf("--model is required (train one with `gradprint train`)")
	}
	for _, err := range []error{
		o.Data.validate(),
		list("--corruptions", o.Corruptions, 0),
		list("--severities", o.Severities, 1),
		list("--layers", o.Layers, 0),
		validMethod("--method", o.Method),
		validSplits("--splits", o.Splits),
		intIn("--chunk", o.Chunk, 1, MaxChunk),
		intIn("--batch", o.Batch, 1, MaxBatch),
		intIn("--limit", o.Limit, 0, math.MaxInt32),
	} {
		if err != nil {
			return err
		}
	}
	for _, s := range o.Severities {
		if err := intIn("--severities", s, 1, 5); err != nil {
			return err
		}
	}
	if !slices.Contains(o.Splits, ingest.Val) || !slices.Contains(o.Splits, ingest.Test) || slices.Contains(o.Splits, ingest.Train) {
		return fmt.Errorf("--splits %v: want val and test (the failure study fits on val and evaluates on test; train is fingerprinted clean anyway)", o.Splits)
	}
	if _, err := fingerprint.LookupPreset(o.Probes); err != nil {
		return fmt.Errorf("--probes: %w", err)
	}
	if o.Shards < 1 || o.Shard < 0 || o.Shard >= o.Shards {
		return fmt.Errorf("--shard %d/%d: want i/n with 0 <= i < n", o.Shard, o.Shards)
	}
	return nil
}
