package resnet

import (
	"fmt"

	"github.com/gradprint/gradprint/compute/engine"
	"github.com/nlpodyssey/spago/ag"
	"github.com/nlpodyssey/spago/mat"
)

// LayerMaps holds, for one layer, the activation A and the gradient G of the
// target score with respect to it, both in (N, C, H, W) order: element
// [n][c][y][x] at ((n*C+c)*H+y)*W+x; or, when ChannelMajor (SaliencyViews),
// both in the engine's (C, N, H, W) order: [c][n][y][x] at
// ((c*N+n)*H+y)*W+x.
type LayerMaps struct {
	Name         string // canonical module name, e.g. "layer1.0.conv2"
	N, C, H, W   int
	A, G         []float32
	ChannelMajor bool
}

// Image returns the (C, H, W) activation and gradient of image i of
// (N, C, H, W) maps; channel-major maps have no contiguous image.
func (l *LayerMaps) Image(i int) (a, g []float32) {
	if l.ChannelMajor {
		panic("resnet: LayerMaps.Image of channel-major maps (SaliencyViews); read them with their strides")
	}
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
	return m.saliency(images, n, h, w, c, layers, target, false)
}

// SaliencyViews is Saliency without the copies: each layer's A and G are
// the pass's own buffers, channel-major (LayerMaps.ChannelMajor), valid
// only until the model's next pass of any kind. The copies Saliency makes
// are as large as the activations of the requested layers: at 64 px and
// batch 32, 250 MB per pass for the thesis's eight.
func (m *Model) SaliencyViews(images []uint8, n, h, w, c int, layers []string, target TargetFunc) (*SaliencyResult, error) {
	return m.saliency(images, n, h, w, c, layers, target, true)
}

func (m *Model) saliency(images []uint8, n, h, w, c int, layers []string, target TargetFunc, views bool) (*SaliencyResult, error) {
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
	// Only the requested layers' gradients outlive the backward pass; the
	// arena takes every other one back as soon as it has been propagated.
	for _, tp := range points {
		engine.KeepGrad(taps.at(tp))
	}
	if err := ag.Backward(score); err != nil {
		return nil, fmt.Errorf("resnet: saliency backward: %w", err)
	}
	for i, tp := range points {
		t, s := taps.at(tp), p.out[tp.block]
		if tp.conv2 {
			s = p.mid[tp.block]
		}
		g := engine.GradData(t)
		if g == nil {
			return nil, fmt.Errorf("resnet: no gradient reached %s", names[i])
		}
		lm := LayerMaps{Name: names[i], N: s.N, C: s.C, H: s.H, W: s.W, A: engine.Data(t), G: g, ChannelMajor: true}
		if !views {
			lm.A, lm.G, lm.ChannelMajor = toNCHW(lm.A, s), toNCHW(lm.G, s), false
		}
		res.Layers = append(res.Layers, lm)
	}
	return res, nil
}

// at is the tapped activation at tp.
func (t *evalTaps) at(tp tapPoint) mat.Tensor {
	if tp.conv2 {
		return t.conv2[tp.block]
	}
	return t.out[tp.block]
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
