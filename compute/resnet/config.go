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

// Bounds of a Config. A checkpoint's metadata is checked against them
// before anything is sized from it, so they bound what a file can make
// New allocate.
const (
	// MaxClasses is 10,000: the largest label sets in use are MedMNIST's
	// (at most 14 classes) and ImageNet-1k; ten times ImageNet leaves room
	// while keeping the head at most 10,000 x 4,096 floats (164 MB) even at
	// MaxWidth.
	MaxClasses = 10000
	// MaxWidth is 8: stages of 512/1024/2048/4096 channels (64 to 512 at
	// width 1), about 715 million parameters or 2.9 GB of float32 weights
	// (45 MB at width 1, 0.7 MB at width 0.125), which training triples
	// with gradients and Adam moments: far beyond what MedMNIST needs, and
	// the most a checkpoint's metadata can ask for.
	MaxWidth = 8
)

// Validate reports the first inconsistency in c.
func (c Config) Validate() error {
	if c.InChannels != 1 && c.InChannels != 3 {
		return fmt.Errorf("resnet config: InChannels %d, want 1 or 3", c.InChannels)
	}
	if c.Classes < 2 || c.Classes > MaxClasses {
		return fmt.Errorf("resnet config: Classes %d, want 2 to %d", c.Classes, MaxClasses)
	}
	if !(c.Width > 0 && c.Width <= MaxWidth) {
		return fmt.Errorf("resnet config: Width %v, want a multiplier in (0, %d]", c.Width, MaxWidth)
	}
	if c.Stem != SmallStem && c.Stem != ImageNetStem {
		return fmt.Errorf("resnet config: Stem %q, want %q or %q", c.Stem, SmallStem, ImageNetStem)
	}
	if len(c.Mean) != c.InChannels || len(c.Std) != c.InChannels {
		return fmt.Errorf("resnet config: %d Mean and %d Std values for %d input channels", len(c.Mean), len(c.Std), c.InChannels)
	}
	for i := range c.Mean {
		if m := float64(c.Mean[i]); math.IsNaN(m) || math.IsInf(m, 0) {
			return fmt.Errorf("resnet config: Mean[%d] = %v, want a finite value", i, m)
		}
		if s := float64(c.Std[i]); !(s > 0) || math.IsInf(s, 0) {
			return fmt.Errorf("resnet config: Std[%d] = %v, want a finite value > 0", i, s)
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

// paramShape is one state-dict entry: its torchvision name and shape.
type paramShape struct {
	name  string
	shape []int
}

// stateDict lists what Model.Params returns for c (names and shapes, in
// order) without building the model, so a loader can check a file against
// it before New allocates anything. It mirrors New; a test keeps the two
// in step.
func (c Config) stateDict() []paramShape {
	var out []paramShape
	convBN := func(conv, bn string, cin, cout, k int) {
		out = append(out, paramShape{conv + ".weight", []int{cout, cin, k, k}},
			paramShape{bn + ".weight", []int{cout}}, paramShape{bn + ".bias", []int{cout}},
			paramShape{bn + ".running_mean", []int{cout}}, paramShape{bn + ".running_var", []int{cout}})
	}
	widths := c.Widths()
	stemK := 3
	if c.Stem == ImageNetStem {
		stemK = 7
	}
	convBN("conv1", "bn1", c.InChannels, widths[0], stemK)
	in := widths[0]
	for l := range 4 {
		for b := range 2 {
			name := fmt.Sprintf("layer%d.%d", l+1, b)
			cout := widths[l]
			convBN(name+".conv1", name+".bn1", in, cout, 3)
			convBN(name+".conv2", name+".bn2", cout, cout, 3)
			if (b == 0 && l > 0) || in != cout {
				convBN(name+".downsample.0", name+".downsample.1", in, cout, 1)
			}
			in = cout
		}
	}
	return append(out, paramShape{"fc.weight", []int{c.Classes, in}}, paramShape{"fc.bias", []int{c.Classes}})
}
