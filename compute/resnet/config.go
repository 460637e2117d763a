// Package resnet is gradprint's ResNet18 (REFERENCE section 3) on the
// compute/engine operators: small stem for 28 and 64 px MedMNIST, ImageNet
// stem for 224 px, 1 or 3 input channels, any class count and a width
// multiplier. Its parameters carry torchvision's state_dict names so weights
// move to and from PyTorch unchanged.
//
// Inputs are always uint8 HWC images: the model applies the normalisation it
// was trained with (stored in its Config) itself, so no caller can feed an
// image normalised differently (the thesis's bug 1, REFERENCE section 8).
//
// A Model is not safe for concurrent use: it owns the buffers its passes
// reuse from one call to the next.
package resnet

import (
	"fmt"
	"math"
)

// Stem selects the network's first stage.
type Stem string

const (
	// SmallStem is conv 3x3 stride 1 pad 1, BN, ReLU, no max-pool
	// (MedMNIST's ResNet for 28 and 64 px inputs).
	SmallStem Stem = "small"
	// ImageNetStem is torchvision's conv 7x7 stride 2 pad 3, BN, ReLU,
	// max-pool 3x3 stride 2 pad 1 (for 224 px inputs).
	ImageNetStem Stem = "imagenet"
)

// Config fixes a ResNet18's architecture and input normalisation.
type Config struct {
	InChannels int     // 1 (grey) or 3 (RGB)
	Classes    int     // at least 2
	Width      float64 // channel multiplier: 1 gives 64/128/256/512
	Stem       Stem
	// Inputs become (x/255 - Mean) / Std, per channel, before the first
	// convolution. MedMNIST trains with Mean 0.5, Std 0.5 for every channel.
	Mean, Std []float32
}

// MedMNISTConfig is the configuration of MedMNIST's ResNet18 at 28 or 64 px:
// full width, small stem, normalisation (x/255 - 0.5)/0.5.
func MedMNISTConfig(inChannels, classes int) Config {
	mean, std := make([]float32, inChannels), make([]float32, inChannels)
	for i := range mean {
		mean[i], std[i] = 0.5, 0.5
	}
	return Config{InChannels: inChannels, Classes: classes, Width: 1, Stem: SmallStem, Mean: mean, Std: std}
}

// Validate reports the first inconsistency in c.
func (c Config) Validate() error {
	if c.InChannels != 1 && c.InChannels != 3 {
		return fmt.Errorf("resnet config: InChannels %d, want 1 or 3", c.InChannels)
	}
	if c.Classes < 2 {
		return fmt.Errorf("resnet config: Classes %d, want at least 2", c.Classes)
	}
	if !(c.Width > 0) || math.IsInf(c.Width, 0) {
		return fmt.Errorf("resnet config: Width %v, want a positive multiplier", c.Width)
	}
	if c.Stem != SmallStem && c.Stem != ImageNetStem {
		return fmt.Errorf("resnet config: Stem %q, want %q or %q", c.Stem, SmallStem, ImageNetStem)
	}
	if len(c.Mean) != c.InChannels || len(c.Std) != c.InChannels {
		return fmt.Errorf("resnet config: %d Mean and %d Std values for %d input channels", len(c.Mean), len(c.Std), c.InChannels)
	}
	for i, s := range c.Std {
		if !(s > 0) {
			return fmt.Errorf("resnet config: Std[%d] = %v, want > 0", i, s)
		}
	}
	return nil
}

// Widths returns the channel counts of the four stages.
func (c Config) Widths() [4]int {
	var w [4]int
	for i, base := range [4]int{64, 128, 256, 512} {
		w[i] = max(1, int(math.Round(float64(base)*c.Width)))
	}
	return w
}
