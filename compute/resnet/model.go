package resnet

import (
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/gradprint/gradprint/compute/engine"
)

// NamedTensor is one entry of the state dict: torchvision's name, the shape
// PyTorch gives it, and the values in PyTorch's (row-major) order. Data
// aliases the model's memory: after writing into it call
// Model.ParamsChanged (or use SetParam, which does).
type NamedTensor struct {
	Name      string
	Shape     []int
	Data      []float32
	Trainable bool // false for batch-norm running statistics
}

// convBN is a convolution without bias followed by a batch norm, the unit
// ResNet is built from. Its weight is (Cout, Cin*K*K), torchvision's
// (Cout, Cin, K, K) flattened.
type convBN struct {
	conv, bn            string // state-dict prefixes, e.g. "layer1.0.conv1", "layer1.0.bn1"
	cin, cout           int
	k, stride, pad      int
	w, gamma, beta      *engine.Tensor
	stats               *engine.BNStats
	foldW, foldB        *engine.Tensor // eval cache: BN folded into the conv
	evalW, evalG, evalB *engine.Tensor // eval cache: grad-free views (unfolded use)
	evalRaw             bool           // eval runs the unfolded weight (conv2: its output is a saliency target)
	evalU               []float32      // eval cache: Winograd-transformed eval weight, nil if not Winograd
}

type block struct {
	name   string // "layer1.0"
	c1, c2 *convBN
	down   *convBN // nil when the shortcut is the identity
}

// Model is a ResNet18 with its parameters, running statistics and the
// buffers its passes reuse.
type Model struct {
	cfg    Config
	stem   *convBN
	blocks [8]*block
	fcW    *engine.Tensor // (Classes, C4)
	fcB    *engine.Tensor // (Classes)
	convs  []*convBN      // every convBN in state-dict order

	// version counts parameter updates; evalVersion is the version the
	// folded eval weights were computed from.
	version, evalVersion uint64
	evalFC               [2]*engine.Tensor

	arena engine.Arena
	// evalMem holds the eval caches (folded weights and their Winograd
	// transforms, 5x the weights at full width) off the Go heap: on it they
	// were most of the live heap, and the collector's headroom, a fraction
	// of the live heap, grew a long analyze's peak memory by as much again.
	evalMem engine.Arena
}

// New returns a ResNet18 for cfg initialised as torchvision does (Kaiming
// normal, fan-out, for convolutions; batch-norm weight 1, bias 0; PyTorch's
// default uniform for the linear head), drawing from a PCG seeded with seed.
func New(cfg Config, seed uint64) (*Model, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg.Mean = append([]float32(nil), cfg.Mean...)
	cfg.Std = append([]float32(nil), cfg.Std...)
	m := &Model{cfg: cfg, version: 1}
	rng := rand.New(rand.NewPCG(seed, 0x9e3779b97f4a7c15))
	widths := cfg.Widths()
	if cfg.Stem == SmallStem {
		m.stem = m.newConvBN("conv1", "bn1", cfg.InChannels, widths[0], 3, 1, 1, rng)
	} else {
		m.stem = m.newConvBN("conv1", "bn1", cfg.InChannels, widths[0], 7, 2, 3, rng)
	}
	in := widths[0]
	for l := 0; l < 4; l++ {
		for b := 0; b < 2; b++ {
			name := fmt.Sprintf("layer%d.%d", l+1, b)
			stride := 1
			if b == 0 && l > 0 {
				stride = 2
			}
			out := widths[l]
			blk := &block{name: name}
			blk.c1 = m.newConvBN(name+".conv1", name+".bn1", in, out, 3, stride, 1, rng)
			blk.c2 = m.newConvBN(name+".conv2", name+".bn2", out, out, 3, 1, 1, rng)
			blk.c2.evalRaw = true
			if stride != 1 || in != out {
				blk.down = m.newConvBN(name+".downsample.0", name+".downsample.1", in, out, 1, stride, 0, rng)
			}
			m.blocks[l*2+b] = blk
			in = out
		}
	}
	// torch.nn.Linear: U(-1/sqrt(fan_in), 1/sqrt(fan_in)) for weight and bias.
	bound := 1 / math.Sqrt(float64(in))
	fw := make([]float32, cfg.Classes*in)
	for i := range fw {
		fw[i] = float32((rng.Float64()*2 - 1) * bound)
	}
	fb := make([]float32, cfg.Classes)
	for i := range fb {
		fb[i] = float32((rng.Float64()*2 - 1) * bound)
	}
	m.fcW = engine.NewParam(fw, cfg.Classes, in)
	m.fcB = engine.NewParam(fb, cfg.Classes, 1)
	return m, nil
}

func (m *Model) newConvBN(conv, bn string, cin, cout, k, stride, pad int, rng *rand.Rand) *convBN {
	w := make([]float32, cout*cin*k*k)
	drawConv(w, InitTorchvision, cin, cout, k, rng)
	g, b := make([]float32, cout), make([]float32, cout)
	for i := range g {
		g[i] = 1
	}
	c := &convBN{conv: conv, bn: bn, cin: cin, cout: cout, k: k, stride: stride, pad: pad,
		w: engine.NewParam(w, cout, cin*k*k), gamma: engine.NewParam(g, cout, 1), beta: engine.NewParam(b, cout, 1),
		stats: engine.NewBNStats(cout)}
	m.convs = append(m.convs, c)
	return c
}

// Conv weight initialisations.
const (
	// InitTorchvision is torchvision's resnet18: Kaiming normal, fan-out,
	// ReLU gain (what New draws).
	InitTorchvision = "torchvision"
	// InitPyTorch is torch.nn.Conv2d's own default, kaiming_uniform with
	// a = sqrt(5): U(-1/sqrt(fan_in), 1/sqrt(fan_in)). A ResNet written
	// with plain nn.Conv2d modules starts here.
	InitPyTorch = "pytorch"
)

// MedMNISTInit is the conv initialisation behind MedMNIST's published
// ResNet-18 figures for a stem: its 28 px models (MedMNIST/experiments
// MedMNIST2D/models.py, after kuangliu/pytorch-cifar) are plain nn.Conv2d
// modules with no init of their own, so PyTorch's default; its 224 px runs
// use torchvision.models.resnet18 and so torchvision's scheme.
func MedMNISTInit(s Stem) string {
	if s == ImageNetStem {
		return InitTorchvision
	}
	return InitPyTorch
}

// InitConvs redraws every convolution weight with the named scheme from a
// PCG seeded with seed (batch norm and the linear head keep their values).
func (m *Model) InitConvs(scheme string, seed uint64) error {
	rng := rand.New(rand.NewPCG(seed, 0x632be59bd9b4e019))
	if scheme != InitTorchvision && scheme != InitPyTorch {
		return fmt.Errorf("resnet: unknown initialisation %q, want %s or %s", scheme, InitTorchvision, InitPyTorch)
	}
	for _, c := range m.convs {
		drawConv(c.w.Raw(), scheme, c.cin, c.cout, c.k, rng)
	}
	m.ParamsChanged()
	return nil
}

// drawConv fills the weights of a cout x cin x k x k convolution with a
// known scheme.
func drawConv(w []float32, scheme string, cin, cout, k int, rng *rand.Rand) {
	if scheme == InitPyTorch {
		bound := 1 / math.Sqrt(float64(cin*k*k))
		for i := range w {
			w[i] = float32((rng.Float64()*2 - 1) * bound)
		}
		return
	}
	// Kaiming normal, mode fan_out, ReLU gain: std = sqrt(2 / (Cout*K*K)).
	std := math.Sqrt(2 / float64(cout*k*k))
	for i := range w {
		w[i] = float32(rng.NormFloat64() * std)
	}
}

// Config returns the model's configuration (a copy).
func (m *Model) Config() Config {
	c := m.cfg
	c.Mean = append([]float32(nil), c.Mean...)
	c.Std = append([]float32(nil), c.Std...)
	return c
}

// Params returns every tensor of the torchvision state dict except the int64
// num_batches_tracked counters (see BatchesTracked), in state-dict order.
// Data aliases the model.
func (m *Model) Params() []NamedTensor {
	var out []NamedTensor
	for _, c := range m.convs {
		out = append(out,
			NamedTensor{Name: c.conv + ".weight", Shape: []int{c.cout, c.cin, c.k, c.k}, Data: c.w.Raw(), Trainable: true},
			NamedTensor{Name: c.bn + ".weight", Shape: []int{c.cout}, Data: c.gamma.Raw(), Trainable: true},
			NamedTensor{Name: c.bn + ".bias", Shape: []int{c.cout}, Data: c.beta.Raw(), Trainable: true},
			NamedTensor{Name: c.bn + ".running_mean", Shape: []int{c.cout}, Data: c.stats.Mean},
			NamedTensor{Name: c.bn + ".running_var", Shape: []int{c.cout}, Data: c.stats.Var})
	}
	out = append(out,
		NamedTensor{Name: "fc.weight", Shape: []int{m.cfg.Classes, m.fcW.Shape()[1]}, Data: m.fcW.Raw(), Trainable: true},
		NamedTensor{Name: "fc.bias", Shape: []int{m.cfg.Classes}, Data: m.fcB.Raw(), Trainable: true})
	return out
}

// trainable lists the parameters the optimiser updates, in Params order.
func (m *Model) trainable() []*engine.Tensor {
	var ts []*engine.Tensor
	for _, c := range m.convs {
		ts = append(ts, c.w, c.gamma, c.beta)
	}
	return append(ts, m.fcW, m.fcB)
}

// Grads returns the gradients left by the last TrainStep, named like Params
// (trainable entries only); Data is nil for a parameter without gradient.
// The Data slices live in the model's reusable buffers: they are valid until
// the next TrainStep, Logits or Saliency call.
func (m *Model) Grads() []NamedTensor {
	var out []NamedTensor
	ts := m.trainable()
	i := 0
	for _, p := range m.Params() {
		if !p.Trainable {
			continue
		}
		out = append(out, NamedTensor{Name: p.Name, Shape: p.Shape, Data: ts[i].GradRaw(), Trainable: true})
		i++
	}
	return out
}

// BatchesTracked returns num_batches_tracked of the batch norm whose
// state-dict prefix is bn (e.g. "bn1", "layer2.0.downsample.1").
func (m *Model) BatchesTracked(bn string) (int64, error) {
	for _, c := range m.convs {
		if c.bn == bn {
			return c.stats.Batches, nil
		}
	}
	return 0, fmt.Errorf("resnet: no batch norm named %q", bn)
}

// SetBatchesTracked sets num_batches_tracked of batch norm bn (for loaders).
func (m *Model) SetBatchesTracked(bn string, n int64) error {
	for _, c := range m.convs {
		if c.bn == bn {
			c.stats.Batches = n
			return nil
		}
	}
	return fmt.Errorf("resnet: no batch norm named %q", bn)
}

// SetParam copies data into the state-dict entry name, checking its size.
func (m *Model) SetParam(name string, data []float32) error {
	for _, p := range m.Params() {
		if p.Name == name {
			if len(data) != len(p.Data) {
				return fmt.Errorf("resnet: %s has %d values (shape %v), got %d", name, len(p.Data), p.Shape, len(data))
			}
			copy(p.Data, data)
			m.ParamsChanged()
			return nil
		}
	}
	return fmt.Errorf("resnet: no parameter named %q", name)
}

// ParamsChanged must be called after writing into Params' Data directly: it
// invalidates the eval-mode weights folded from them.
func (m *Model) ParamsChanged() { m.version++ }

// MemoryBytes reports the bytes held in reusable pass buffers.
func (m *Model) MemoryBytes() int { return m.arena.Bytes() }
