package resnet

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/gradprint/gradprint/compute/engine"
	"github.com/nlpodyssey/spago/mat"
)

// tiny returns a narrow model for fast tests (widths 4/8/16/32 at 1/16).
func tiny(t testing.TB, inCh, classes int, stem Stem, width float64, seed uint64) *Model {
	t.Helper()
	cfg := MedMNISTConfig(inCh, classes)
	cfg.Width, cfg.Stem = width, stem
	m, err := New(cfg, seed)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func randImages(r *rand.Rand, n int) []uint8 {
	b := make([]uint8, n)
	for i := range b {
		b[i] = uint8(r.IntN(256))
	}
	return b
}

// randomiseBN gives every batch norm non-trivial weights and running
// statistics, so eval-mode tests exercise the folding.
func randomiseBN(m *Model, r *rand.Rand) {
	for _, c := range m.convs {
		for i := range c.stats.Mean {
			c.gamma.Raw()[i] = float32(0.5 + r.Float64())
			c.beta.Raw()[i] = float32(r.NormFloat64() * 0.2)
			c.stats.Mean[i] = float32(r.NormFloat64() * 0.2)
			c.stats.Var[i] = float32(0.5 + r.Float64())
		}
	}
	m.ParamsChanged()
}

func TestStateDictNamesAndShapes(t *testing.T) {
	m, err := New(MedMNISTConfig(1, 2), 1)
	if err != nil {
		t.Fatal(err)
	}
	ps := m.Params()
	// torchvision's resnet18 state dict has 122 entries, 20 of which are
	// num_batches_tracked (kept by BatchesTracked instead).
	if len(ps) != 102 {
		t.Fatalf("%d named tensors, want 102", len(ps))
	}
	shapes := map[string][]int{}
	total := 0
	for _, p := range ps {
		shapes[p.Name] = p.Shape
		n := 1
		for _, d := range p.Shape {
			n *= d
		}
		if n != len(p.Data) {
			t.Errorf("%s: shape %v but %d values", p.Name, p.Shape, len(p.Data))
		}
		if p.Trainable {
			total += n
		}
	}
	want := map[string][]int{
		"conv1.weight":                       {64, 1, 3, 3},
		"bn1.running_var":                    {64},
		"layer1.0.conv1.weight":              {64, 64, 3, 3},
		"layer1.1.bn2.bias":                  {64},
		"layer2.0.conv1.weight":              {128, 64, 3, 3},
		"layer2.0.downsample.0.weight":       {128, 64, 1, 1},
		"layer2.0.downsample.1.weight":       {128},
		"layer4.1.conv2.weight":              {512, 512, 3, 3},
		"layer4.0.downsample.1.running_mean": {512},
		"fc.weight":                          {2, 512},
		"fc.bias":                            {2},
	}
	for name, sh := range want {
		if !slices.Equal(shapes[name], sh) {
			t.Errorf("%s: shape %v, want %v", name, shapes[name], sh)
		}
	}
	if _, ok := shapes["layer1.0.downsample.0.weight"]; ok {
		t.Error("layer1.0 has a downsample; torchvision's has none")
	}
	// torchvision's resnet18 has 11,689,512 parameters with its 3-channel
	// 7x7 stem (9,408) and 1000-class head (513,000); ours has a 1-channel
	// 3x3 stem (576) and a 2-class head (1,026).
	wantParams := 11689512 - 9408 - 513000 + 576 + 1026
	if total != wantParams {
		t.Errorf("%d trainable parameters, want %d", total, wantParams)
	}
}

func TestInitIsSeededAndTorchvisionLike(t *testing.T) {
	a := tiny(t, 3, 4, SmallStem, 0.25, 42)
	b := tiny(t, 3, 4, SmallStem, 0.25, 42)
	c := tiny(t, 3, 4, SmallStem, 0.25, 43)
	pa, pb, pc := a.Params(), b.Params(), c.Params()
	same := true
	for i := range pa {
		if !slices.Equal(pa[i].Data, pb[i].Data) {
			t.Fatalf("%s differs between two models with seed 42", pa[i].Name)
		}
		if !slices.Equal(pa[i].Data, pc[i].Data) && pa[i].Trainable {
			same = false
		}
	}
	if same {
		t.Fatal("seeds 42 and 43 gave identical weights")
	}
	for _, p := range pa {
		switch {
		case strings.HasSuffix(p.Name, "conv2.weight") && strings.HasPrefix(p.Name, "layer3"):
			// Kaiming normal fan-out: std sqrt(2/(64*9)) at width 0.25.
			var ss float64
			for _, v := range p.Data {
				ss += float64(v) * float64(v)
			}
			std, want := math.Sqrt(ss/float64(len(p.Data))), math.Sqrt(2/float64(64*9))
			if math.Abs(std/want-1) > 0.05 {
				t.Errorf("%s: std %.4f, want %.4f", p.Name, std, want)
			}
		case strings.HasSuffix(p.Name, "bn1.weight"):
			if slices.Max(p.Data) != 1 || slices.Min(p.Data) != 1 {
				t.Errorf("%s not all ones", p.Name)
			}
		case p.Name == "fc.weight":
			bound := float32(1 / math.Sqrt(128))
			if slices.Max(p.Data) > bound || slices.Min(p.Data) < -bound {
				t.Errorf("fc.weight outside +-1/sqrt(fan_in)")
			}
		}
	}
}

func TestFLOPsMatchReference(t *testing.T) {
	m, err := New(MedMNISTConfig(1, 2), 1)
	if err != nil {
		t.Fatal(err)
	}
	f, err := m.CountFLOPs(28, 28, nil)
	if err != nil {
		t.Fatal(err)
	}
	// REFERENCE section 3: 0.46 GMAC = 0.91 GFLOP per 28 px image.
	if f.Forward < 0.90e9 || f.Forward > 0.93e9 {
		t.Errorf("forward %.3g FLOP per image, want about 0.91e9", f.Forward)
	}
	if r := f.Train / f.Forward; r < 2.9 || r > 3 {
		t.Errorf("train/forward = %.3f, want just under 3", r)
	}
	// Saliency backward starts at layer1.0.conv2: everything but the stem,
	// layer1.0.conv1 and layer1.0.conv2 is differentiated once more.
	if r := f.Saliency / f.Forward; r < 1.8 || r > 1.95 {
		t.Errorf("saliency/forward = %.3f, want about 1.9", r)
	}
}

// TestHandSetLogits sets weights so that the network reduces to a function
// derivable by hand: a stem copying the normalised pixel to channel 0,
// residual branches that are exactly zero, downsample shortcuts that take
// every other pixel of channel 0. The logits are then an affine function of
// the mean of relu((x/255-0.5)/0.5) over pixels (8i, 8j).
func TestHandSetLogits(t *testing.T) {
	m := tiny(t, 1, 3, SmallStem, 1.0/64, 1) // widths 1, 2, 4, 8
	for _, p := range m.Params() {
		var v []float32
		switch {
		case p.Name == "conv1.weight":
			v = make([]float32, 9)
			v[4] = 1 // centre tap
		case strings.HasSuffix(p.Name, "downsample.0.weight"):
			v = make([]float32, len(p.Data))
			v[0] = 1 // output 0 <- input 0
		case strings.HasSuffix(p.Name, ".weight") && strings.Contains(p.Name, "conv"):
			v = make([]float32, len(p.Data)) // residual branches vanish
		case strings.HasSuffix(p.Name, "running_var"):
			v = slices.Repeat([]float32{1}, len(p.Data))
		case strings.HasSuffix(p.Name, "running_mean") || (strings.HasSuffix(p.Name, ".bias") && p.Name != "fc.bias"):
			v = make([]float32, len(p.Data))
		case strings.HasSuffix(p.Name, ".weight") && p.Name != "fc.weight": // BN weights
			v = slices.Repeat([]float32{1}, len(p.Data))
		case p.Name == "fc.weight":
			v = []float32{2, 5, 5, 5, 5, 5, 5, 5, -1, 7, 7, 7, 7, 7, 7, 7, 0.5, 9, 9, 9, 9, 9, 9, 9}
		case p.Name == "fc.bias":
			v = []float32{0.1, -0.2, 0.3}
		}
		if err := m.SetParam(p.Name, v); err != nil {
			t.Fatal(err)
		}
	}
	r := rand.New(rand.NewPCG(5, 6))
	const n = 2
	imgs := randImages(r, n*28*28)
	got, err := m.Logits(imgs, n, 28, 28, 1)
	if err != nil {
		t.Fatal(err)
	}
	// BN with mean 0, var 1, weight 1, bias 0 scales by a = 1/sqrt(1+1e-5):
	// once in the stem and once per downsample (3), four in all.
	a := 1 / math.Sqrt(1+1e-5)
	for i := 0; i < n; i++ {
		var s float64
		for y := 0; y < 28; y += 8 {
			for x := 0; x < 28; x += 8 {
				s += math.Max(0, (float64(imgs[i*784+y*28+x])/255-0.5)/0.5)
			}
		}
		feat := s / 16 * math.Pow(a, 4)
		want := []float64{0.1 + 2*feat, -0.2 - feat, 0.3 + 0.5*feat}
		for k := range want {
			if d := math.Abs(float64(got[i*3+k]) - want[k]); d > 1e-5 {
				t.Errorf("image %d logit %d = %.7f, want %.7f", i, k, got[i*3+k], want[k])
			}
		}
	}
}

// referenceEvalLogits runs the eval forward with every batch norm as its own
// operator on the raw weights (no folding), as the reference for folding.
func referenceEvalLogits(t *testing.T, m *Model, imgs []uint8, n, h, w int) []float32 {
	t.Helper()
	p, err := m.plan(n, h, w, m.cfg.InChannels)
	if err != nil {
		t.Fatal(err)
	}
	x, err := m.normalise(imgs, p.in)
	if err != nil {
		t.Fatal(err)
	}
	cbn := func(c *convBN, in mat.Tensor, s engine.Shape, relu bool, res mat.Tensor) (mat.Tensor, engine.Shape) {
		y, ys, err := engine.Conv2d(nil, in, s, engine.ConvSpec{Out: c.cout, KH: c.k, KW: c.k, Stride: c.stride, Pad: c.pad, Weight: c.w})
		if err != nil {
			t.Fatal(err)
		}
		spec := engine.BNSpec{Gamma: c.gamma, Beta: c.beta, Stats: c.stats, ReLU: relu}
		if res != nil {
			spec.Residual = res
		}
		z, err := engine.BatchNorm(nil, y, ys, spec)
		if err != nil {
			t.Fatal(err)
		}
		return z, ys
	}
	h0, s := cbn(m.stem, x, p.in, true, nil)
	if m.cfg.Stem == ImageNetStem {
		var err error
		if h0, s, err = engine.MaxPool2d(nil, h0, s, 3, 2, 1); err != nil {
			t.Fatal(err)
		}
	}
	for _, b := range m.blocks {
		a, as := cbn(b.c1, h0, s, true, nil)
		short := h0
		if b.down != nil {
			short, _ = cbn(b.down, h0, s, false, nil)
		}
		h0, s = cbn(b.c2, a, as, true, short)
	}
	g, err := engine.GlobalAvgPool(nil, h0, s)
	if err != nil {
		t.Fatal(err)
	}
	z, err := engine.Linear(nil, g, m.fcW, m.fcB)
	if err != nil {
		t.Fatal(err)
	}
	return append([]float32(nil), engine.Data(z)...)
}

func closeSlices(t *testing.T, what string, got, want []float32, tol float64) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d values, want %d", what, len(got), len(want))
	}
	var scale float64
	for _, v := range want {
		scale = max(scale, math.Abs(float64(v)))
	}
	for i := range got {
		if d := math.Abs(float64(got[i] - want[i])); d > tol*(scale+1e-12) {
			t.Fatalf("%s[%d] = %v, want %v (scale %.3g)", what, i, got[i], want[i], scale)
		}
	}
}

func TestEvalFoldingMatchesUnfoldedBatchNorm(t *testing.T) {
	for _, tc := range []struct {
		stem  Stem
		ch, h int
	}{{SmallStem, 1, 12}, {ImageNetStem, 3, 32}} {
		t.Run(string(tc.stem), func(t *testing.T) {
			r := rand.New(rand.NewPCG(1, 2))
			m := tiny(t, tc.ch, 3, tc.stem, 1.0/16, 7)
			randomiseBN(m, r)
			imgs := randImages(r, 2*tc.h*tc.h*tc.ch)
			got, err := m.Logits(imgs, 2, tc.h, tc.h, tc.ch)
			if err != nil {
				t.Fatal(err)
			}
			closeSlices(t, "logits", got, referenceEvalLogits(t, m, imgs, 2, tc.h, tc.h), 1e-5)
			// Changing a parameter must invalidate the folded weights.
			w := slices.Clone(m.Params()[0].Data)
			for i := range w {
				w[i] *= -1.5
			}
			if err := m.SetParam("conv1.weight", w); err != nil {
				t.Fatal(err)
			}
			got2, err := m.Logits(imgs, 2, tc.h, tc.h, tc.ch)
			if err != nil {
				t.Fatal(err)
			}
			if slices.Equal(got, got2) {
				t.Fatal("logits unchanged after SetParam: stale eval cache")
			}
			closeSlices(t, "logits after SetParam", got2, referenceEvalLogits(t, m, imgs, 2, tc.h, tc.h), 1e-5)
		})
	}
}

func TestEvalIsPerImageTrainModeCouples(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	m := tiny(t, 1, 2, SmallStem, 1.0/16, 3)
	randomiseBN(m, r)
	const n, hw = 4, 10
	imgs := randImages(r, n*hw*hw)
	all, err := m.Logits(imgs, n, hw, hw, 1)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < n; i++ {
		one, err := m.Logits(imgs[i*hw*hw:(i+1)*hw*hw], 1, hw, hw, 1)
		if err != nil {
			t.Fatal(err)
		}
		closeSlices(t, fmt.Sprintf("image %d alone", i), one, all[i*2:(i+1)*2], 1e-5)
	}
	// Training mode normalises with batch statistics: changing image 3
	// changes the loss contribution of the others. Compare losses of batches
	// that share images 0-2 and have the same label for all.
	labels := []int{0, 0, 0, 0}
	l1, err := m.TrainStep(imgs, labels, n, hw, hw, 1, nil)
	if err != nil {
		t.Fatal(err)
	}
	other := slices.Clone(imgs)
	for i := 3 * hw * hw; i < len(other); i++ {
		other[i] = 255 - other[i]
	}
	l2, err := m.TrainStep(other, labels, n, hw, hw, 1, nil)
	if err != nil {
		t.Fatal(err)
	}
	if l1 == l2 {
		t.Fatal("train-mode loss independent of the batch: batch statistics unused?")
	}
	if bt, _ := m.BatchesTracked("layer2.0.downsample.1"); bt != 2 {
		t.Errorf("num_batches_tracked %d after 2 steps, want 2", bt)
	}
	// The running statistics moved, so eval logits changed.
	after, err := m.Logits(imgs, n, hw, hw, 1)
	if err != nil {
		t.Fatal(err)
	}
	if slices.Equal(after, all) {
		t.Fatal("eval logits unchanged after training steps updated the running statistics")
	}
}

// TestWholeNetworkGradients compares TrainStep's gradients with central
// differences of its loss for a sample of every parameter tensor.
func TestWholeNetworkGradients(t *testing.T) {
	for _, stem := range []Stem{SmallStem, ImageNetStem} {
		t.Run(string(stem), func(t *testing.T) {
			r := rand.New(rand.NewPCG(9, 9))
			// Big enough that layer4's batch norm sees 16 values per
			// channel: with fewer the loss is too curved for differences.
			hw, ch := 16, 1
			if stem == ImageNetStem {
				hw, ch = 48, 3
			}
			m := tiny(t, ch, 3, stem, 1.0/16, 11)
			const n = 4
			imgs := randImages(r, n*hw*hw*ch)
			labels := []int{0, 2, 1, 2}
			if _, err := m.TrainStep(imgs, labels, n, hw, hw, ch, nil); err != nil {
				t.Fatal(err)
			}
			grads := map[string][]float32{}
			for _, g := range m.Grads() {
				if g.Data == nil {
					t.Fatalf("%s: no gradient", g.Name)
				}
				grads[g.Name] = slices.Clone(g.Data)
			}
			loss := func() float64 {
				l, err := m.TrainStep(imgs, labels, n, hw, hw, ch, nil)
				if err != nil {
					t.Fatal(err)
				}
				return float64(l)
			}
			// Richardson extrapolation of two central differences cancels
			// the O(eps^2) curvature term of the ReLU-and-BN network.
			const eps = 5e-4
			diff := func(data []float32, j int, e float32) float64 {
				v := data[j]
				data[j] = v + e
				lp := loss()
				data[j] = v - e
				lm := loss()
				data[j] = v
				return (lp - lm) / (2 * float64(e))
			}
			var worst, errSq, numSq float64
			for _, p := range m.Params() {
				if !p.Trainable {
					continue
				}
				g := grads[p.Name]
				idx := r.Perm(len(p.Data))[:min(3, len(p.Data))]
				var rms float64
				for _, v := range g {
					rms += float64(v) * float64(v)
				}
				rms = math.Sqrt(rms / float64(len(g)))
				for _, j := range idx {
					num := (4*diff(p.Data, j, eps/2) - diff(p.Data, j, eps)) / 3
					rel := math.Abs(num-float64(g[j])) / (math.Abs(num) + rms + 1e-9)
					worst = max(worst, rel)
					errSq += (num - float64(g[j])) * (num - float64(g[j]))
					numSq += num * num
					// Per entry, ReLU kinks crossed within +-eps among
					// thousands of units leave an error of a few per cent.
					if rel > 5e-2 {
						t.Errorf("%s[%d]: analytic %.5g, numeric %.5g (relative error %.2g)", p.Name, j, g[j], num, rel)
					}
				}
			}
			// Over all probes a wiring bug shows up far above kink noise.
			agg := math.Sqrt(errSq / numSq)
			t.Logf("worst relative error %.2g, aggregate %.2g", worst, agg)
			if agg > 3e-2 {
				t.Errorf("aggregate relative error |num-analytic|/|num| = %.3g, want < 0.03", agg)
			}
		})
	}
}

func TestTrainStepDecreasesLoss(t *testing.T) {
	r := rand.New(rand.NewPCG(2, 2))
	m := tiny(t, 1, 2, SmallStem, 1.0/16, 5)
	const n, hw = 8, 8
	// Class 1 images are bright in the top half, class 0 in the bottom half.
	imgs := make([]uint8, n*hw*hw)
	labels := make([]int, n)
	for i := 0; i < n; i++ {
		labels[i] = i % 2
		for y := 0; y < hw; y++ {
			for x := 0; x < hw; x++ {
				v := 40 + r.IntN(40)
				if (y < hw/2) == (labels[i] == 1) {
					v += 150
				}
				imgs[i*hw*hw+y*hw+x] = uint8(v)
			}
		}
	}
	opt := NewAdam(1e-2)
	first, err := m.TrainStep(imgs, labels, n, hw, hw, 1, opt)
	if err != nil {
		t.Fatal(err)
	}
	last := first
	for i := 0; i < 30; i++ {
		if last, err = m.TrainStep(imgs, labels, n, hw, hw, 1, opt); err != nil {
			t.Fatal(err)
		}
	}
	if !(last < first/4) {
		t.Fatalf("loss %.4f -> %.4f after 30 Adam steps on one batch, want a 4x drop", first, last)
	}
	if opt.Steps() != 31 {
		t.Fatalf("adam steps %d, want 31", opt.Steps())
	}
}

func TestAdamMatchesTorchFormula(t *testing.T) {
	// One parameter, two steps, hand-computed with torch's update rule:
	// m = b1 m + (1-b1) g, v = b2 v + (1-b2) g^2,
	// p -= lr/(1-b1^t) * m / (sqrt(v)/sqrt(1-b2^t) + eps).
	m := tiny(t, 1, 2, SmallStem, 1.0/64, 1)
	p := m.fcB
	p.Raw()[0], p.Raw()[1] = 1, -2
	opt := &Adam{LR: 0.1, Beta1: 0.9, Beta2: 0.999, Eps: 1e-8, WeightDecay: 0.5}
	want := []float64{1, -2}
	mm, vv := []float64{0, 0}, []float64{0, 0}
	for step, g := range [][]float32{{0.3, -0.7}, {-0.1, 0.2}} {
		for _, q := range m.trainable() {
			q.ZeroGrad()
		}
		p.AccGrad(engine.NewTensor(slices.Clone(g), 2, 1))
		if err := opt.Step(m); err != nil {
			t.Fatal(err)
		}
		tt := float64(step + 1)
		for i := range want {
			gi := float64(g[i]) + 0.5*want[i]
			mm[i] = 0.9*mm[i] + 0.1*gi
			vv[i] = 0.999*vv[i] + 0.001*gi*gi
			want[i] -= 0.1 / (1 - math.Pow(0.9, tt)) * mm[i] / (math.Sqrt(vv[i])/math.Sqrt(1-math.Pow(0.999, tt)) + 1e-8)
			// float32 moments against a float64 reference: a few ulps.
			if d := math.Abs(float64(p.Raw()[i]) - want[i]); d > 5e-6 {
				t.Fatalf("step %d: p[%d] = %.8f, want %.8f", step+1, i, p.Raw()[i], want[i])
			}
		}
	}
}

// TestSaliencyMatchesFiniteDifferences checks A and G at conv2 taps and
// block outputs against perturbations of the tapped activation, and that a
// batch gives the same maps as its images one by one.
func TestSaliencyMatchesFiniteDifferences(t *testing.T) {
	r := rand.New(rand.NewPCG(8, 8))
	m := tiny(t, 1, 3, SmallStem, 1.0/16, 21)
	randomiseBN(m, r)
	const n, hw = 3, 12
	imgs := randImages(r, n*hw*hw)
	layers := []string{"2_2", "layer1.1", "layer1.0.conv2", "4_1", "layer3.0"}
	res, err := m.Saliency(imgs, n, hw, hw, 1, layers, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Layers) != len(layers) || res.Layers[0].Name != "layer2.0.conv2" {
		t.Fatalf("layers %v", res.Layers)
	}
	want := Argmax(res.Logits, n, 3)
	if !slices.Equal(res.Targets, want) {
		t.Fatalf("targets %v, want argmax %v", res.Targets, want)
	}
	p, _ := m.plan(n, hw, hw, 1)
	// Logit of image i's target after adding delta at one activation entry.
	perturbed := func(tp tapPoint, idx int, delta float32) []float32 {
		m.arena.Reset()
		x, _ := m.normalise(imgs, p.in)
		z, _, err := m.evalGraph(x, p, nil, func(at tapPoint, d []float32) {
			if at == tp {
				d[idx] += delta
			}
		})
		if err != nil {
			t.Fatal(err)
		}
		return slices.Clone(engine.Data(z))
	}
	for _, lm := range res.Layers {
		tp, _, _ := resolveLayer(lm.Name)
		s := p.out[tp.block]
		var worst float64
		for probe := 0; probe < 8; probe++ {
			// (n, c, y, x) in the result; the graph stores (c, n*h*w).
			ni, c, y, x := r.IntN(n), r.IntN(lm.C), r.IntN(lm.H), r.IntN(lm.W)
			at := ((ni*lm.C+c)*lm.H+y)*lm.W + x
			graphIdx := c*s.Cols() + ni*s.H*s.W + y*s.W + x
			const eps = 1e-2
			if !tp.conv2 && lm.A[at] < 2*eps {
				continue // at a ReLU kink of the block output: derivative one-sided
			}
			zp, zm := perturbed(tp, graphIdx, eps), perturbed(tp, graphIdx, -eps)
			k := res.Targets[ni]
			num := (float64(zp[ni*3+k]) - float64(zm[ni*3+k])) / (2 * eps)
			// Every image's other logits must not move: images do not couple.
			for j := 0; j < n; j++ {
				if j != ni && (zp[j*3] != res.Logits[j*3] || zm[j*3+1] != res.Logits[j*3+1]) {
					t.Fatalf("%s: perturbing image %d moved image %d's logits", lm.Name, ni, j)
				}
			}
			g := float64(lm.G[at])
			rel := math.Abs(num-g) / (math.Abs(num) + 1e-3)
			worst = max(worst, rel)
			if rel > 2e-2 {
				t.Errorf("%s G[%d,%d,%d,%d] = %.6g, finite difference %.6g", lm.Name, ni, c, y, x, g, num)
			}
		}
		t.Logf("%s: worst relative error %.2g", lm.Name, worst)
	}
	// A at conv2 is the pre-BN activation: the block output must equal
	// relu(a*A_conv2 + d + shortcut) with the running statistics; layer1.1's
	// shortcut is layer1.0's output.
	out11, _ := res.Layer("layer1.1")
	res2, err := m.Saliency(imgs, n, hw, hw, 1, []string{"layer1.0", "1_1", "layer1.1"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	prev, _ := res2.Layer("layer1.0")
	conv2, _ := res2.Layer("1_1")
	out, _ := res2.Layer("layer1.1")
	closeSlices(t, "layer1.1 output across passes", out.A, out11.A, 1e-6)
	bn := m.blocks[1].c2
	for i := range out.A {
		c := (i / (out.H * out.W)) % out.C
		a := float64(bn.gamma.Raw()[c]) / math.Sqrt(float64(bn.stats.Var[c])+1e-5)
		want := math.Max(0, a*(float64(conv2.A[i])-float64(bn.stats.Mean[c]))+float64(bn.beta.Raw()[c])+float64(prev.A[i]))
		if math.Abs(float64(out.A[i])-want) > 1e-4*(1+math.Abs(want)) {
			t.Fatalf("layer1.1 output[%d] = %v, relu(bn2(conv2 A) + layer1.0) = %v", i, out.A[i], want)
		}
		// The chain rule across bn2: where the ReLU is open, dL/dconv2 = a*dL/dout
		// plus nothing else (conv2 feeds only bn2).
		if out.A[i] > 0 && math.Abs(float64(conv2.G[i])-a*float64(out.G[i])) > 1e-4*(1e-3+math.Abs(float64(conv2.G[i]))) {
			t.Fatalf("conv2 G[%d] = %v, a*G_out = %v", i, conv2.G[i], a*float64(out.G[i]))
		}
	}
	// Batch equals one by one.
	for i := 0; i < n; i++ {
		one, err := m.Saliency(imgs[i*hw*hw:(i+1)*hw*hw], 1, hw, hw, 1, layers, nil)
		if err != nil {
			t.Fatal(err)
		}
		if one.Targets[0] != res.Targets[i] {
			t.Fatalf("image %d: target %d alone, %d in batch", i, one.Targets[0], res.Targets[i])
		}
		for li, lm := range res.Layers {
			a, g := lm.Image(i)
			oa, og := one.Layers[li].Image(0)
			closeSlices(t, fmt.Sprintf("image %d %s A", i, lm.Name), oa, a, 1e-5)
			closeSlices(t, fmt.Sprintf("image %d %s G", i, lm.Name), og, g, 1e-4)
		}
	}
}

func TestSaliencyTargetFunction(t *testing.T) {
	r := rand.New(rand.NewPCG(4, 1))
	m := tiny(t, 3, 4, SmallStem, 1.0/16, 2)
	imgs := randImages(r, 2*8*8*3)
	fixed := func(logits []float32, n, classes int) []int { return []int{3, 0} }
	res, err := m.Saliency(imgs, 2, 8, 8, 3, []string{"4_2"}, fixed)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(res.Targets, []int{3, 0}) {
		t.Fatalf("targets %v, want [3 0]", res.Targets)
	}
	// Through the linear head and the average pool, the gradient of the
	// target logit at layer4.1's output is fc.weight[target, c] / (H*W) at
	// every pixel: derivable by hand.
	res2, err := m.Saliency(imgs, 2, 8, 8, 3, []string{"layer4.1"}, fixed)
	if err != nil {
		t.Fatal(err)
	}
	l := res2.Layers[0]
	fw := m.fcW.Raw()
	for i := 0; i < 2; i++ {
		_, g := l.Image(i)
		for c := 0; c < l.C; c++ {
			want := fw[res2.Targets[i]*l.C+c] / float32(l.H*l.W)
			for j := 0; j < l.H*l.W; j++ {
				if math.Abs(float64(g[c*l.H*l.W+j]-want)) > 1e-7 {
					t.Fatalf("image %d layer4.1 G[c=%d] = %v, want fc.weight/(H*W) = %v", i, c, g[c*l.H*l.W+j], want)
				}
			}
		}
	}
	if _, err := m.Saliency(imgs, 2, 8, 8, 3, []string{"4_2"}, func([]float32, int, int) []int { return []int{4, 0} }); err == nil {
		t.Fatal("target class 4 of 4 accepted")
	}
}

func TestInputErrorsAreErrors(t *testing.T) {
	m := tiny(t, 1, 2, SmallStem, 1.0/16, 1)
	imgs := make([]uint8, 2*8*8)
	if _, err := m.Logits(imgs, 2, 8, 8, 3); err == nil {
		t.Error("3-channel images accepted by a 1-channel model")
	}
	if _, err := m.Logits(imgs[:100], 2, 8, 8, 1); err == nil {
		t.Error("short image buffer accepted")
	}
	if _, err := m.TrainStep(imgs, []int{0, 2}, 2, 8, 8, 1, nil); err == nil {
		t.Error("label 2 of 2 classes accepted")
	}
	if _, err := m.TrainStep(imgs, []int{0}, 2, 8, 8, 1, nil); err == nil {
		t.Error("1 label for 2 images accepted")
	}
	if _, err := m.TrainStep(imgs[:64], []int{0}, 1, 8, 8, 1, nil); err == nil {
		t.Error("training on one image with a 1x1 layer4 accepted (batch norm needs >1 value)")
	}
	if _, err := m.Saliency(imgs, 2, 8, 8, 1, []string{"layer5.0"}, nil); err == nil {
		t.Error("unknown layer accepted")
	}
	if _, err := m.Logits(nil, 0, 8, 8, 1); err == nil {
		t.Error("empty batch accepted")
	}
	cfg := MedMNISTConfig(2, 2)
	if _, err := New(cfg, 1); err == nil {
		t.Error("2 input channels accepted")
	}
	cfg = MedMNISTConfig(1, 2)
	cfg.Std[0] = 0
	if _, err := New(cfg, 1); err == nil {
		t.Error("zero Std accepted")
	}
}

func TestNormalisationIsTheModels(t *testing.T) {
	// The same pixels through two models whose only difference is the
	// stored normalisation must give different logits: the model, not the
	// caller, normalises.
	a := tiny(t, 1, 2, SmallStem, 1.0/16, 1)
	cfg := a.Config()
	cfg.Mean[0], cfg.Std[0] = 0, 1
	b, err := New(cfg, 1)
	if err != nil {
		t.Fatal(err)
	}
	imgs := randImages(rand.New(rand.NewPCG(1, 1)), 2*8*8)
	la, _ := a.Logits(imgs, 2, 8, 8, 1)
	lb, _ := b.Logits(imgs, 2, 8, 8, 1)
	if slices.Equal(la, lb) {
		t.Fatal("normalisation has no effect")
	}
	p, _ := a.plan(1, 1, 2, 1)
	x, err := a.normalise([]uint8{0, 255}, p.in)
	if err != nil {
		t.Fatal(err)
	}
	if d := x.Raw(); d[0] != -1 || d[1] != 1 {
		t.Fatalf("(x/255-0.5)/0.5 of 0 and 255 = %v, want [-1 1]", d)
	}
}

func TestLogitsChunksLargeBatches(t *testing.T) {
	r := rand.New(rand.NewPCG(6, 7))
	m := tiny(t, 1, 2, SmallStem, 1.0/32, 3)
	randomiseBN(m, r)
	const n, hw = evalChunk + 5, 4
	imgs := randImages(r, n*hw*hw)
	all, err := m.Logits(imgs, n, hw, hw, 1)
	if err != nil {
		t.Fatal(err)
	}
	if len(all) != 2*n {
		t.Fatalf("%d logits for %d images", len(all), n)
	}
	last, err := m.Logits(imgs[(n-1)*hw*hw:], 1, hw, hw, 1)
	if err != nil {
		t.Fatal(err)
	}
	closeSlices(t, "last image of the second chunk", last, all[2*(n-1):], 1e-5)
}

func TestInitConvs(t *testing.T) {
	m, err := New(MedMNISTConfig(1, 2), 1)
	if err != nil {
		t.Fatal(err)
	}
	if err := m.InitConvs("xavier", 1); err == nil {
		t.Fatal("unknown scheme accepted")
	}
	if got := MedMNISTInit(SmallStem); got != InitPyTorch {
		t.Errorf("MedMNISTInit(small) = %s, want %s (MedMNIST's 28 px models.py has no init of its own)", got, InitPyTorch)
	}
	if got := MedMNISTInit(ImageNetStem); got != InitTorchvision {
		t.Errorf("MedMNISTInit(imagenet) = %s, want %s (torchvision.models.resnet18)", got, InitTorchvision)
	}
	if err := m.InitConvs(InitPyTorch, 3); err != nil {
		t.Fatal(err)
	}
	// layer1.0.conv1: fan_in 64*9, so every weight lies in ±1/24 and their
	// variance is bound²/3.
	c := m.blocks[0].c1
	bound := 1 / math.Sqrt(float64(c.cin*9))
	var ss float64
	for _, v := range c.w.Raw() {
		if math.Abs(float64(v)) > bound {
			t.Fatalf("weight %v outside ±%v", v, bound)
		}
		ss += float64(v) * float64(v)
	}
	if got, want := ss/float64(len(c.w.Raw())), bound*bound/3; math.Abs(got-want) > 0.05*want {
		t.Fatalf("variance %v, want %v", got, want)
	}
	// Torchvision's scheme: normal with variance 2/fan_out.
	if err := m.InitConvs(InitTorchvision, 3); err != nil {
		t.Fatal(err)
	}
	ss = 0
	for _, v := range c.w.Raw() {
		ss += float64(v) * float64(v)
	}
	if got, want := ss/float64(len(c.w.Raw())), 2/float64(c.cout*9); math.Abs(got-want) > 0.05*want {
		t.Fatalf("torchvision variance %v, want %v", got, want)
	}
}

// The penultimate features are what the classifier reads: z = W h + b for
// every image, the same from Embed and from the saliency pass.
func TestEmbedFeaturesFeedTheClassifier(t *testing.T) {
	r := rand.New(rand.NewPCG(8, 9))
	m := tiny(t, 1, 3, SmallStem, 1.0/16, 4)
	randomiseBN(m, r)
	const n, hw = evalChunk + 3, 8
	imgs := randImages(r, n*hw*hw)
	z, h, err := m.Embed(imgs, n, hw, hw, 1)
	if err != nil {
		t.Fatal(err)
	}
	d := m.FeatureDim()
	if len(h) != n*d || len(z) != n*3 {
		t.Fatalf("%d features, %d logits for %d images of D=%d", len(h), len(z), n, d)
	}
	var w, b []float32
	for _, p := range m.Params() {
		switch p.Name {
		case "fc.weight":
			w = p.Data
		case "fc.bias":
			b = p.Data
		}
	}
	for i := 0; i < n; i++ {
		for k := 0; k < 3; k++ {
			want := float64(b[k])
			for j := 0; j < d; j++ {
				want += float64(w[k*d+j]) * float64(h[i*d+j])
			}
			if math.Abs(float64(z[i*3+k])-want) > 1e-4*(1+math.Abs(want)) {
				t.Fatalf("image %d class %d: logit %v, W h + b = %v", i, k, z[i*3+k], want)
			}
		}
	}
	s, err := m.Saliency(imgs[:2*hw*hw], 2, hw, hw, 1, []string{"layer4.1.conv2"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	closeSlices(t, "saliency pass features", s.Features, h[:2*d], 1e-5)
}

// SaliencyViews gives the same maps as Saliency, channel-major and without
// copies, and its logits, features and targets are Saliency's.
func TestSaliencyViewsEqualSaliency(t *testing.T) {
	r := rand.New(rand.NewPCG(9, 3))
	m := tiny(t, 1, 3, SmallStem, 1.0/16, 4)
	const n, hw = 3, 12
	imgs := randImages(r, n*hw*hw)
	layers := []string{"layer1.0.conv2", "layer2.1.conv2", "4_2"}
	want, err := m.Saliency(imgs, n, hw, hw, 1, layers, nil)
	if err != nil {
		t.Fatal(err)
	}
	got, err := m.SaliencyViews(imgs, n, hw, hw, 1, layers, nil)
	if err != nil {
		t.Fatal(err)
	}
	closeSlices(t, "logits", want.Logits, got.Logits, 0)
	closeSlices(t, "features", want.Features, got.Features, 0)
	for li, w := range want.Layers {
		g := got.Layers[li]
		if !g.ChannelMajor || w.ChannelMajor || g.Name != w.Name || g.N != n {
			t.Fatalf("layer %d: views %+v / copies %+v layouts", li, g.ChannelMajor, w.ChannelMajor)
		}
		hw := w.H * w.W
		for img := 0; img < n; img++ {
			for c := 0; c < w.C; c++ {
				cm := (c*n + img) * hw
				nc := (img*w.C + c) * hw
				closeSlices(t, fmt.Sprintf("%s A image %d channel %d", w.Name, img, c), w.A[nc:nc+hw], g.A[cm:cm+hw], 0)
				closeSlices(t, fmt.Sprintf("%s G image %d channel %d", w.Name, img, c), w.G[nc:nc+hw], g.G[cm:cm+hw], 0)
			}
		}
	}
}

// Within one binary on one machine and thread count, training is bit-exact:
// the same seed and batches give the same weights, bit for bit, however
// the backward pass's goroutines interleave (a tensor with two consumers
// adds two gradients, and a+b = b+a exactly) and whichever arena buffers
// are reused.
func TestTrainingIsBitExactInOneProcess(t *testing.T) {
	run := func() []NamedTensor {
		r := rand.New(rand.NewPCG(5, 5))
		m := tiny(t, 1, 3, SmallStem, 1.0/8, 11)
		opt := NewAdam(1e-3)
		for step := 0; step < 3; step++ {
			imgs := randImages(r, 6*16*16)
			labels := []int{0, 1, 2, 0, 1, 2}
			if _, err := m.TrainStep(imgs, labels, 6, 16, 16, 1, opt); err != nil {
				t.Fatal(err)
			}
		}
		return m.Params()
	}
	a, b := run(), run()
	for i := range a {
		for j, v := range a[i].Data {
			if math.Float32bits(v) != math.Float32bits(b[i].Data[j]) {
				t.Fatalf("%s[%d]: %v then %v: two runs of the same seed differ", a[i].Name, j, v, b[i].Data[j])
			}
		}
	}
}
