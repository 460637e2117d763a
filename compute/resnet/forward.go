package resnet

import (
	"fmt"
	"math"

	"github.com/gradprint/gradprint/compute/engine"
	"github.com/nlpodyssey/spago/ag"
	"github.com/nlpodyssey/spago/mat"
)

// plan holds every activation shape of a pass, computed (and so validated)
// before any graph node exists: spago exits the process on operator errors.
type plan struct {
	in, stem, pooled engine.Shape
	mid, out         [8]engine.Shape // per block: after conv1 (= conv2 output), block output
}

func (m *Model) plan(nImages, h, w, c int) (plan, error) {
	var p plan
	if nImages <= 0 || h <= 0 || w <= 0 {
		return p, fmt.Errorf("resnet: batch of %d images of %dx%d, want positive sizes", nImages, h, w)
	}
	if c != m.cfg.InChannels {
		return p, fmt.Errorf("resnet: images have %d channels, the model takes %d", c, m.cfg.InChannels)
	}
	p.in = engine.Shape{N: nImages, C: c, H: h, W: w}
	var err error
	if p.stem, err = engine.ConvOutShape(p.in, m.stem.cout, m.stem.k, m.stem.k, m.stem.stride, m.stem.pad); err != nil {
		return p, fmt.Errorf("resnet: stem on %dx%d images: %w", h, w, err)
	}
	p.pooled = p.stem
	if m.cfg.Stem == ImageNetStem {
		if p.pooled, err = engine.ConvOutShape(p.stem, p.stem.C, 3, 3, 2, 1); err != nil {
			return p, fmt.Errorf("resnet: stem max-pool on %dx%d images: %w", h, w, err)
		}
	}
	s := p.pooled
	for i, b := range m.blocks {
		if p.mid[i], err = engine.ConvOutShape(s, b.c1.cout, 3, 3, b.c1.stride, 1); err != nil {
			return p, fmt.Errorf("resnet: %s on %dx%d images: %w", b.name, h, w, err)
		}
		p.out[i] = p.mid[i]
		s = p.out[i]
	}
	return p, nil
}

// normalise converts N uint8 HWC images into the (C, N*H*W) input applying
// the model's (x/255 - mean)/std: the only way pixels enter the network.
func (m *Model) normalise(images []uint8, s engine.Shape) (*engine.Tensor, error) {
	if len(images) != s.Size() {
		return nil, fmt.Errorf("resnet: %d image bytes, want N*H*W*C = %d*%d*%d*%d = %d", len(images), s.N, s.H, s.W, s.C, s.Size())
	}
	x := m.arena.Alloc(s.Size())
	hw := s.H * s.W
	var scale, shift [3]float32
	for c := 0; c < s.C; c++ {
		scale[c] = 1 / (255 * m.cfg.Std[c])
		shift[c] = -m.cfg.Mean[c] / m.cfg.Std[c]
	}
	for n := 0; n < s.N; n++ {
		img := images[n*hw*s.C : (n+1)*hw*s.C]
		for c := 0; c < s.C; c++ {
			dst := x[c*s.Cols()+n*hw : c*s.Cols()+(n+1)*hw]
			for i := range dst {
				dst[i] = float32(img[i*s.C+c])*scale[c] + shift[c]
			}
		}
	}
	return engine.NewTensor(x, s.C, s.Cols()), nil
}

// trainGraph builds the training-mode forward pass (batch statistics,
// running-statistics update) up to the mean cross-entropy.
func (m *Model) trainGraph(x mat.Tensor, p plan, labels []int) (*ag.Operator, error) {
	ar := &m.arena
	convBNTrain := func(c *convBN, in mat.Tensor, s engine.Shape, relu bool, residual mat.Tensor) (mat.Tensor, engine.Shape, error) {
		y, ys, err := engine.Conv2d(ar, in, s, engine.ConvSpec{Out: c.cout, KH: c.k, KW: c.k, Stride: c.stride, Pad: c.pad, Weight: c.w})
		if err != nil {
			return nil, ys, fmt.Errorf("%s: %w", c.conv, err)
		}
		spec := engine.BNSpec{Gamma: c.gamma, Beta: c.beta, Stats: c.stats, Train: true, ReLU: relu}
		if residual != nil {
			spec.Residual = residual
		}
		z, err := engine.BatchNorm(ar, y, ys, spec)
		if err != nil {
			return nil, ys, fmt.Errorf("%s: %w", c.bn, err)
		}
		return z, ys, nil
	}
	h, s, err := convBNTrain(m.stem, x, p.in, true, nil)
	if err != nil {
		return nil, err
	}
	if m.cfg.Stem == ImageNetStem {
		if h, s, err = engine.MaxPool2d(ar, h, s, 3, 2, 1); err != nil {
			return nil, fmt.Errorf("maxpool: %w", err)
		}
	}
	for _, b := range m.blocks {
		a, as, err := convBNTrain(b.c1, h, s, true, nil)
		if err != nil {
			return nil, err
		}
		short := h
		if b.down != nil {
			if short, _, err = convBNTrain(b.down, h, s, false, nil); err != nil {
				return nil, err
			}
		}
		if h, s, err = convBNTrain(b.c2, a, as, true, short); err != nil {
			return nil, err
		}
	}
	loss, _, err := m.head(h, s, m.fcW, m.fcB, labels)
	return loss, err
}

// head is global average pooling, the linear layer and, with labels, the
// mean cross-entropy (else the logits).
// head pools the last block's output into the penultimate features (N x
// D, returned too) and applies the classifier; with labels it ends in the
// mean cross-entropy instead of the logits.
func (m *Model) head(h mat.Tensor, s engine.Shape, w, b mat.Tensor, labels []int) (*ag.Operator, mat.Tensor, error) {
	g, err := engine.GlobalAvgPool(&m.arena, h, s)
	if err != nil {
		return nil, nil, fmt.Errorf("avgpool: %w", err)
	}
	z, err := engine.Linear(&m.arena, g, w, b)
	if err != nil {
		return nil, nil, fmt.Errorf("fc: %w", err)
	}
	if labels == nil {
		return z, g, nil
	}
	loss, err := engine.SoftmaxCrossEntropy(&m.arena, z, labels)
	return loss, g, err
}

// ensureEval refreshes the eval-mode weights when parameters or running
// statistics changed since they were computed. Batch norm is folded into
// the preceding convolution (W' = a*W, b' = beta - a*mean with a =
// gamma/sqrt(var+eps)) everywhere except after conv2, whose raw output is a
// saliency target: there the batch norm runs as its own (fused
// residual+ReLU) pass.
func (m *Model) ensureEval() {
	if m.evalVersion == m.version {
		return
	}
	for _, c := range m.convs {
		if c.foldW == nil {
			c.foldW = engine.NewTensor(m.evalMem.Alloc(len(c.w.Raw())), c.cout, c.cin*c.k*c.k)
			c.foldB = engine.NewTensor(m.evalMem.Alloc(c.cout), c.cout, 1)
			c.evalW = engine.NewTensor(c.w.Raw(), c.cout, c.cin*c.k*c.k)
			c.evalG = engine.NewTensor(c.gamma.Raw(), c.cout, 1)
			c.evalB = engine.NewTensor(c.beta.Raw(), c.cout, 1)
		}
		w, fw, fb := c.w.Raw(), c.foldW.Raw(), c.foldB.Raw()
		kk := c.cin * c.k * c.k
		for o := 0; o < c.cout; o++ {
			a := float32(float64(c.gamma.Raw()[o]) / math.Sqrt(float64(c.stats.Var[o])+float64(c.stats.Eps)))
			for i := o * kk; i < (o+1)*kk; i++ {
				fw[i] = a * w[i]
			}
			fb[o] = c.beta.Raw()[o] - a*c.stats.Mean[o]
		}
		if engine.UsesWinograd(c.cin, c.k, c.k, c.stride, c.pad) {
			src := fw
			if c.evalRaw {
				src = w
			}
			if c.evalU == nil {
				c.evalU = m.evalMem.Alloc(engine.WinogradWeightsLen(c.cout, c.cin))
			}
			// Shapes come from the model's own config: an error here is a bug.
			u, err := engine.WinogradWeights(c.evalU, src, c.cout, c.cin)
			if err != nil {
				panic(fmt.Sprintf("resnet: %s: %v", c.conv, err))
			}
			c.evalU = u
		}
	}
	if m.evalFC[0] == nil {
		m.evalFC = [2]*engine.Tensor{engine.NewTensor(m.fcW.Raw(), m.fcW.Shape()[0], m.fcW.Shape()[1]), engine.NewTensor(m.fcB.Raw(), m.cfg.Classes, 1)}
	}
	m.evalVersion = m.version
}

// evalTaps collects the nodes of the eval graph that saliency reads.
type evalTaps struct {
	conv2, out [8]mat.Tensor
	pooled     mat.Tensor     // penultimate features, N x D
	cut        *engine.Tensor // the leaf gradients start from, or nil
}

// evalGraph builds the eval-mode forward pass to the logits. When cut is
// non-nil, the activation at *cut becomes a gradient-requiring leaf: the
// backward pass then starts there and skips everything upstream of it.
// edit, when non-nil, may modify each tappable activation in place before
// the rest of the network reads it (tests perturb activations with it).
func (m *Model) evalGraph(x mat.Tensor, p plan, cut *tapPoint, edit func(tapPoint, []float32)) (*ag.Operator, *evalTaps, error) {
	ar := &m.arena
	taps := &evalTaps{}
	folded := func(c *convBN, in mat.Tensor, s engine.Shape, relu bool) (mat.Tensor, engine.Shape, error) {
		y, ys, err := engine.Conv2d(ar, in, s, engine.ConvSpec{Out: c.cout, KH: c.k, KW: c.k, Stride: c.stride, Pad: c.pad, Weight: c.foldW, Bias: c.foldB, ReLU: relu, Wino: c.evalU})
		if err != nil {
			return nil, ys, fmt.Errorf("%s (folded with %s): %w", c.conv, c.bn, err)
		}
		return y, ys, nil
	}
	cutHere := func(t mat.Tensor, s engine.Shape) mat.Tensor {
		leaf := engine.NewParam(engine.Data(t), s.C, s.Cols())
		taps.cut = leaf
		return leaf
	}
	h, s, err := folded(m.stem, x, p.in, true)
	if err != nil {
		return nil, nil, err
	}
	if m.cfg.Stem == ImageNetStem {
		if h, s, err = engine.MaxPool2d(ar, h, s, 3, 2, 1); err != nil {
			return nil, nil, fmt.Errorf("maxpool: %w", err)
		}
	}
	for i, b := range m.blocks {
		a, as, err := folded(b.c1, h, s, true)
		if err != nil {
			return nil, nil, err
		}
		c2, cs, err := engine.Conv2d(ar, a, as, engine.ConvSpec{Out: b.c2.cout, KH: 3, KW: 3, Stride: 1, Pad: 1, Weight: b.c2.evalW, Wino: b.c2.evalU})
		if err != nil {
			return nil, nil, fmt.Errorf("%s: %w", b.c2.conv, err)
		}
		if edit != nil {
			edit(tapPoint{block: i, conv2: true}, engine.Data(c2))
		}
		var c2t mat.Tensor = c2
		if cut != nil && cut.block == i && cut.conv2 {
			c2t = cutHere(c2, cs)
		}
		taps.conv2[i] = c2t
		short := h
		if b.down != nil {
			if short, _, err = folded(b.down, h, s, false); err != nil {
				return nil, nil, err
			}
		}
		o, err := engine.BatchNorm(ar, c2t, cs, engine.BNSpec{Gamma: b.c2.evalG, Beta: b.c2.evalB, Stats: b.c2.stats, ReLU: true, Residual: short})
		if err != nil {
			return nil, nil, fmt.Errorf("%s: %w", b.c2.bn, err)
		}
		if edit != nil {
			edit(tapPoint{block: i}, engine.Data(o))
		}
		h, s = o, cs
		if cut != nil && cut.block == i && !cut.conv2 {
			h = cutHere(o, cs)
		}
		taps.out[i] = h
	}
	z, g, err := m.head(h, s, m.evalFC[0], m.evalFC[1], nil)
	taps.pooled = g
	return z, taps, err
}

// evalChunk bounds the images of one eval forward: activations of the whole
// graph stay alive until it ends, so a test set in one graph would need
// gigabytes; eval mode is per image, so chunking changes no result.
const evalChunk = 64

// Logits returns the eval-mode logits (n x Classes, row-major) of n uint8
// HWC images of h x w x c. Any n is accepted; images are processed in
// chunks of at most 64.
func (m *Model) Logits(images []uint8, n, h, w, c int) ([]float32, error) {
	logits, _, err := m.forward(images, n, h, w, c, false)
	return logits, err
}

// Embed runs eval-mode inference and returns the logits (n x classes) and
// the penultimate features, the global average pool of the last block (n
// x D, D = 512 x width): what feature-distance confidence scores read.
func (m *Model) Embed(images []uint8, n, h, w, c int) (logits, features []float32, err error) {
	return m.forward(images, n, h, w, c, true)
}

// FeatureDim is D, the length of an image's penultimate features.
func (m *Model) FeatureDim() int { return m.cfg.Widths()[3] }

// forward is the chunked eval pass behind Logits and Embed.
func (m *Model) forward(images []uint8, n, h, w, c int, keepFeatures bool) ([]float32, []float32, error) {
	p, err := m.plan(n, h, w, c)
	if err != nil {
		return nil, nil, err
	}
	if len(images) != p.in.Size() {
		return nil, nil, fmt.Errorf("resnet: %d image bytes, want N*H*W*C = %d*%d*%d*%d = %d", len(images), n, h, w, c, p.in.Size())
	}
	out := make([]float32, 0, n*m.cfg.Classes)
	var feats []float32
	if keepFeatures {
		feats = make([]float32, 0, n*m.FeatureDim())
	}
	imgSize := h * w * c
	for i0 := 0; i0 < n; i0 += evalChunk {
		k := min(evalChunk, n-i0)
		if p, err = m.plan(k, h, w, c); err != nil {
			return nil, nil, err
		}
		m.arena.Reset()
		x, err := m.normalise(images[i0*imgSize:(i0+k)*imgSize], p.in)
		if err != nil {
			return nil, nil, err
		}
		m.ensureEval()
		z, taps, err := m.evalGraph(x, p, nil, nil)
		if err != nil {
			return nil, nil, err
		}
		out = append(out, engine.Data(z)...)
		if keepFeatures {
			feats = append(feats, engine.Data(taps.pooled)...)
		}
	}
	return out, feats, nil
}
