package resnet

import (
	"fmt"

	"github.com/gradprint/gradprint/compute/engine"
	"github.com/nlpodyssey/spago/ag"
	"github.com/nlpodyssey/spago/mat"
)

// LayerMaps holds, for one layer, the activation A and the gradient G of the
// target score with respect to it, both in (N, C, H, W) order: element
// [n][c][y][x] at ((n*C+c)*H+y)*W+x.
type LayerMaps struct {
	Name       string // canonical module name, e.g. "layer1.0.conv2"
	N, C, H, W int
	A, G       []float32
}

// Image returns the (C, H, W) activation and gradient of image i.
func (l *LayerMaps) Image(i int) (a, g []float32) {
	sz := l.C * l.H * l.W
	return l.A[i*sz : (i+1)*sz], l.G[i*sz : (i+1)*sz]
}

// SaliencyResult is the outcome of one saliency pass.
type SaliencyResult struct {
	N, Classes int
	Logits     []float32 // N x Classes, eval mode
	Features   []float32 // N x D penultimate features (global average pool)
	Targets    []int     // the class whose logit was differentiated, per image
	Layers     []LayerMaps
}

// Layer returns the maps of a layer by module name or thesis alias.
func (r *SaliencyResult) Layer(name string) (*LayerMaps, error) {
	_, canon, err := resolveLayer(name)
	if err != nil {
		return nil, err
	}
	for i := range r.Layers {
		if r.Layers[i].Name == canon {
			return &r.Layers[i], nil
		}
	}
	return nil, fmt.Errorf("resnet: layer %q was not requested in this pass", name)
}

// TargetFunc chooses the class to explain per image from the logits
// (n x classes, row-major). Nil means the argmax.
type TargetFunc func(logits []float32, n, classes int) []int

// Argmax is the default TargetFunc: each image's predicted class.
func Argmax(logits []float32, n, classes int) []int {
	t := make([]int, n)
	for i := range t {
		row := logits[i*classes : (i+1)*classes]
		for j, v := range row {
			if v > row[t[i]] {
				t[i] = j
			}
		}
	}
	return t
}

// Saliency runs the eval-mode forward pass on n uint8 HWC images, keeping
// the activations of the requested layers (module names or thesis aliases),
// then ONE backward pass of sum_i logit[i, target[i]] (pre-softmax, as
// pytorch-grad-cam and torchcam do) that yields the gradient at every
// requested layer at once. In eval mode images do not interact, so the
// result for each image equals the result of running it alone.
func (m *Model) Saliency(images []uint8, n, h, w, c int, layers []string, target TargetFunc) (*SaliencyResult, error) {
	if len(layers) == 0 {
		return nil, fmt.Errorf("resnet: saliency needs at least one layer")
	}
	points := make([]tapPoint, len(layers))
	names := make([]string, len(layers))
	var first *tapPoint
	for i, l := range layers {
		tp, canon, err := resolveLayer(l)
		if err != nil {
			return nil, fmt.Errorf("resnet: %w", err)
		}
		points[i], names[i] = tp, canon
		if first == nil || tp.block < first.block || (tp.block == first.block && tp.conv2 && !first.conv2) {
			first = &points[i]
		}
	}
	p, err := m.plan(n, h, w, c)
	if err != nil {
		return nil, err
	}
	m.arena.Reset()
	x, err := m.normalise(images, p.in)
	if err != nil {
		return nil, err
	}
	m.ensureEval()
	z, taps, err := m.evalGraph(x, p, first, nil)
	if err != nil {
		return nil, err
	}
	classes := m.cfg.Classes
	res := &SaliencyResult{N: n, Classes: classes, Logits: append([]float32(nil), engine.Data(z)...),
		Features: append([]float32(nil), engine.Data(taps.pooled)...)}
	if target == nil {
		target = Argmax
	}
	res.Targets = append([]int(nil), target(res.Logits, n, classes)...)
	score, err := engine.SelectSum(&m.arena, z, res.Targets)
	if err != nil {
		return nil, fmt.Errorf("resnet: saliency target: %w", err)
	}
	if err := ag.Backward(score); err != nil {
		return nil, fmt.Errorf("resnet: saliency backward: %w", err)
	}
	for i, tp := range points {
		var t mat.Tensor
		var s engine.Shape
		if tp.conv2 {
			t, s = taps.conv2[tp.block], p.mid[tp.block]
		} else {
			t, s = taps.out[tp.block], p.out[tp.block]
		}
		g := engine.GradData(t)
		if g == nil {
			return nil, fmt.Errorf("resnet: no gradient reached %s", names[i])
		}
		res.Layers = append(res.Layers, LayerMaps{Name: names[i], N: s.N, C: s.C, H: s.H, W: s.W,
			A: toNCHW(engine.Data(t), s), G: toNCHW(g, s)})
	}
	return res, nil
}

// toNCHW copies a (C, N*H*W) activation into a fresh (N, C, H, W) slice.
func toNCHW(src []float32, s engine.Shape) []float32 {
	hw := s.H * s.W
	dst := make([]float32, s.Size())
	for c := 0; c < s.C; c++ {
		for n := 0; n < s.N; n++ {
			copy(dst[(n*s.C+c)*hw:(n*s.C+c+1)*hw], src[c*s.Cols()+n*hw:c*s.Cols()+(n+1)*hw])
		}
	}
	return dst
}
