package resnet

import (
	"fmt"
	"strings"
)

// Layer is a saliency target: a module name in depth order and, for the
// eight layers of the thesis, its label there.
type Layer struct {
	Name  string // e.g. "layer1.0.conv2" or "layer1.0"
	Alias string // thesis label, e.g. "1_2"; empty for block outputs
}

// ThesisLayers returns the thesis's eight target layers (REFERENCE section
// 4) in depth order: the output of each block's conv2, before bn2, the
// residual add and the ReLU. "_1" is the last block of a stage, "_2" the
// first.
func ThesisLayers() []Layer {
	var ls []Layer
	for l := 1; l <= 4; l++ {
		for b := 0; b < 2; b++ {
			ls = append(ls, Layer{Name: fmt.Sprintf("layer%d.%d.conv2", l, b), Alias: fmt.Sprintf("%d_%d", l, 2-b)})
		}
	}
	return ls
}

// AllLayers returns every tappable layer in depth order: per block, its
// conv2 output then the block output (after the residual ReLU).
func AllLayers() []Layer {
	var ls []Layer
	for _, t := range ThesisLayers() {
		ls = append(ls, t, Layer{Name: strings.TrimSuffix(t.Name, ".conv2")})
	}
	return ls
}

// tapPoint locates a layer: block index 0..7 and whether it is the conv2
// output (true) or the block output (false).
type tapPoint struct {
	block int
	conv2 bool
}

// resolveLayer maps a module name or thesis alias to its tap point and
// canonical name.
func resolveLayer(name string) (tapPoint, string, error) {
	for i, l := range AllLayers() {
		if name == l.Name || (l.Alias != "" && name == l.Alias) {
			return tapPoint{block: i / 2, conv2: i%2 == 0}, l.Name, nil
		}
	}
	return tapPoint{}, "", fmt.Errorf("unknown layer %q: want layerL.B.conv2 or layerL.B (L 1-4, B 0-1) or a thesis label 1_1..4_2", name)
}
