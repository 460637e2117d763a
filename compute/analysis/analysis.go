// Package analysis is the streaming per-image step of a robustness study:
// for each image of a split, the clean image and its corrupted variants go
// through the model together, giving predictions and confidences for every
// variant and, for images selected for saliency, the maps of every layer from
// one forward and one backward pass, compared with the clean image's maps.
//
// Work is cut into chunks of consecutive images; each chunk's rows are
// committed atomically through a rows.Sink, and chunks already done are
// skipped, so an interrupted run resumes without duplicating rows. Memory
// stays flat: only one chunk's variants exist at a time.
package analysis

import (
	"context"
	"fmt"
	"math"

	"github.com/gradprint/gradprint/compute/metrics"
	"github.com/gradprint/gradprint/compute/perturb"
	"github.com/gradprint/gradprint/compute/saliency"
	"github.com/gradprint/gradprint/ingest"
	"github.com/gradprint/gradprint/internal/progress"
	"github.com/gradprint/gradprint/warehouse/rows"
)

// Model is what the analysis needs from a classifier. Images are uint8 HWC;
// the model applies its own training normalisation.
type Model interface {
	NumClasses() int
	// Logits runs eval-mode inference, returning n x classes logits.
	Logits(images []uint8, n, h, w, c int) ([]float32, error)
	// Saliency runs one eval-mode forward and one backward of the sum over
	// images of the target-class logit; target picks each image's class
	// from the batch's logits.
	Saliency(images []uint8, n, h, w, c int, layers []string, target func(logits []float32) []int) (Taps, error)
}

// Taps are the results of one saliency pass. Their planes may be the
// model's own buffers: they are read before the model's next call.
type Taps interface {
	Logits() []float32
	// Layer returns the activation and its gradient at a tapped layer.
	Layer(name string) (act, grad saliency.Planes, err error)
}

// Layer names a tapped layer three ways: its depth-order module name, the
// thesis's label, and its position in depth order.
type Layer struct {
	Name  string
	Alias string
	Depth int
}

// Target says which class's score the saliency maps explain.
type Target string

const (
	// TargetClean uses the argmax on the clean image for every variant, so
	// both maps of a comparison explain the same class.
	TargetClean Target = "clean"
	// TargetEach uses the argmax on each input (what the thesis did).
	TargetEach Target = "each"
	// TargetLabel uses the true label.
	TargetLabel Target = "label"
)

// Variant is the clean image (severity 0) or one corruption at one severity.
type Variant struct {
	Corruption string
	Severity   int
}

// Clean is the name of the unmodified variant.
const Clean = "clean"

// Config is one analysis of one split.
type Config struct {
	RunID        string
	RunSeed      uint64
	Preset       *perturb.Preset
	Corruptions  []string
	Severities   []int
	Layers       []Layer
	Methods      []saliency.Method
	Target       Target
	MapsPerClass int // store maps of the first K selected images per class
	ChunkImages  int // images per committed chunk
	Batch        int // images per forward pass
	FirstChunk   int // chunk index of this split's first chunk (splits share a run)
}

// Variants lists clean followed by every corruption x severity.
func (c *Config) Variants() []Variant {
	v := []Variant{{Clean, 0}}
	for _, name := range c.Corruptions {
		for _, s := range c.Severities {
			v = append(v, Variant{name, s})
		}
	}
	return v
}

// Chunks is the number of chunks a split of n images takes.
func (c *Config) Chunks(n int) int { return (n + c.ChunkImages - 1) / c.ChunkImages }

func (c *Config) validate(d *ingest.Dataset) error {
	if c.Preset == nil {
		return fmt.Errorf("analysis: no corruption preset")
	}
	if c.ChunkImages <= 0 || c.Batch <= 0 {
		return fmt.Errorf("analysis: chunk size %d and batch %d must be positive", c.ChunkImages, c.Batch)
	}
	for _, name := range c.Corruptions {
		for _, s := range c.Severities {
			if err := c.Preset.Check(d.H, d.W, d.C, name, s); err != nil {
				return fmt.Errorf("analysis: %w", err)
			}
		}
	}
	switch c.Target {
	case TargetClean, TargetEach, TargetLabel:
	default:
		return fmt.Errorf("analysis: target %q: want clean, each or label", c.Target)
	}
	if len(c.Layers) == 0 || len(c.Methods) == 0 {
		return fmt.Errorf("analysis: need at least one layer and one saliency method")
	}
	return nil
}

// Run analyses every image of d. selected marks the images that get
// saliency maps (nil = none); the others are only predicted under every
// variant, which delta AUC needs. Chunks already committed in sink are
// skipped. bar (may be nil) counts images.
func Run(ctx context.Context, m Model, d *ingest.Dataset, selected []bool, cfg Config, sink rows.Sink, bar *progress.Bar) error {
	if err := cfg.validate(d); err != nil {
		return err
	}
	if selected != nil && len(selected) != d.N {
		return fmt.Errorf("analysis: selection marks %d images, split has %d", len(selected), d.N)
	}
	if m.NumClasses() != d.NumClasses() {
		return fmt.Errorf("analysis: model has %d classes, %s has %d", m.NumClasses(), d.Source, d.NumClasses())
	}
	st := newState(m, d, selected, &cfg)
	for ch := 0; ch < cfg.Chunks(d.N); ch++ {
		lo := ch * cfg.ChunkImages
		hi := min(d.N, lo+cfg.ChunkImages)
		err := rows.WriteChunk(sink, cfg.FirstChunk+ch, func(w rows.Chunk) error {
			if err := ctx.Err(); err != nil {
				return err
			}
			return st.chunk(ctx, w, lo, hi)
		})
		if err != nil {
			return fmt.Errorf("analysis: %s %s images %d-%d: %w", d.Flag, d.Split, lo, hi-1, err)
		}
		if bar != nil {
			bar.Add(int64(hi - lo))
		}
	}
	return nil
}

// state holds the buffers reused across chunks.
type state struct {
	m        Model
	d        *ingest.Dataset
	cfg      *Config
	selected []bool
	mapped   []bool // selected images whose maps are stored
	variants []Variant
	ws       *perturb.Workspace
	splitRun uint64
	layers   []string
	buf      []uint8 // chunk images x variants x image bytes
	probs    []float64
}

func newState(m Model, d *ingest.Dataset, selected []bool, cfg *Config) *state {
	s := &state{m: m, d: d, cfg: cfg, selected: selected, variants: cfg.Variants(), ws: perturb.NewWorkspace()}
	// Variants of val image 3 and test image 3 must not share noise.
	s.splitRun = perturb.DeriveSeed(cfg.RunSeed, -1, "split:"+string(d.Split), 0)
	for _, l := range cfg.Layers {
		s.layers = append(s.layers, l.Name)
	}
	s.mapped = make([]bool, d.N)
	perClass := make([]int, d.NumClasses())
	for i := 0; i < d.N; i++ {
		if s.isSelected(i) && perClass[d.Labels[i]] < cfg.MapsPerClass {
			perClass[d.Labels[i]]++
			s.mapped[i] = true
		}
	}
	s.probs = make([]float64, d.NumClasses())
	return s
}

func (s *state) isSelected(i int) bool { return s.selected != nil && s.selected[i] }

// build writes the variants of images lo..hi-1 into s.buf, image-major.
func (s *state) build(lo, hi int) error {
	d, isz, nv := s.d, s.d.ImageSize(), len(s.variants)
	need := (hi - lo) * nv * isz
	if cap(s.buf) < need {
		s.buf = make([]uint8, need)
	}
	s.buf = s.buf[:need]
	for i := lo; i < hi; i++ {
		src := d.Image(i)
		for v, va := range s.variants {
			dst := s.buf[((i-lo)*nv+v)*isz : ((i-lo)*nv+v+1)*isz]
			if va.Corruption == Clean {
				copy(dst, src)
				continue
			}
			if err := s.cfg.Preset.ApplyImage(s.ws, dst, src, d.H, d.W, d.C, va.Corruption, va.Severity, s.splitRun, int64(i)); err != nil {
				return err
			}
		}
	}
	return nil
}

// chunk analyses images lo..hi-1, writing their rows to w.
func (s *state) chunk(ctx context.Context, w rows.Chunk, lo, hi int) error {
	if err := s.build(lo, hi); err != nil {
		return err
	}
	d, nv, k := s.d, len(s.variants), s.d.NumClasses()

	// Unselected images: forward only, batched across images.
	var plain []int
	for i := lo; i < hi; i++ {
		if !s.isSelected(i) {
			plain = append(plain, i)
		}
	}
	perBatch := max(1, s.cfg.Batch/nv)
	for b := 0; b < len(plain); b += perBatch {
		if err := ctx.Err(); err != nil {
			return err
		}
		ids := plain[b:min(len(plain), b+perBatch)]
		imgs := s.gather(ids, lo)
		logits, err := s.m.Logits(imgs, len(ids)*nv, d.H, d.W, d.C)
		if err != nil {
			return err
		}
		for j, i := range ids {
			if err := s.writePredictions(w, i, logits[j*nv*k:(j+1)*nv*k]); err != nil {
				return err
			}
		}
	}

	// Selected images: one saliency pass per group of images.
	var sel []int
	for i := lo; i < hi; i++ {
		if s.isSelected(i) {
			sel = append(sel, i)
		}
	}
	for b := 0; b < len(sel); b += perBatch {
		if err := ctx.Err(); err != nil {
			return err
		}
		ids := sel[b:min(len(sel), b+perBatch)]
		if err := s.saliencyGroup(w, ids, lo); err != nil {
			return err
		}
	}
	return nil
}

// gather returns the variants of images ids (all within the chunk starting
// at lo) as one contiguous batch; a single image needs no copy.
func (s *state) gather(ids []int, lo int) []uint8 {
	isz, nv := s.d.ImageSize(), len(s.variants)
	per := nv * isz
	if len(ids) == 1 || contiguous(ids) {
		a := (ids[0] - lo) * per
		return s.buf[a : a+len(ids)*per]
	}
	out := make([]uint8, 0, len(ids)*per)
	for _, i := range ids {
		out = append(out, s.buf[(i-lo)*per:(i-lo+1)*per]...)
	}
	return out
}

func contiguous(ids []int) bool {
	for j := 1; j < len(ids); j++ {
		if ids[j] != ids[j-1]+1 {
			return false
		}
	}
	return true
}

// pred is the model's verdict on one variant.
type pred struct {
	class int
	conf  metrics.Confidence
}

func (s *state) verdicts(logits []float32) ([]pred, error) {
	k := s.d.NumClasses()
	out := make([]pred, len(logits)/k)
	for v := range out {
		c, err := metrics.Confidences(logits[v*k : (v+1)*k])
		if err != nil {
			return nil, err
		}
		out[v] = pred{c.Pred, c}
	}
	return out, nil
}

// writePredictions writes one prediction row per variant of image i.
func (s *state) writePredictions(w rows.Chunk, i int, logits []float32) error {
	d, k := s.d, s.d.NumClasses()
	label := d.Labels[i]
	out := make([]rows.Prediction, len(s.variants))
	for v, va := range s.variants {
		l := logits[v*k : (v+1)*k]
		c, err := metrics.Confidences(l)
		if err != nil {
			return err
		}
		if err := metrics.Softmax(s.probs, l); err != nil {
			return err
		}
		scores := make([]float32, k)
		for j, p := range s.probs {
			scores[j] = float32(p)
		}
		out[v] = rows.Prediction{
			RunID: s.cfg.RunID, Split: string(d.Split), ImageID: int32(i),
			Label: int32(label), LabelName: d.Classes[label],
			Corruption: va.Corruption, Severity: int32(va.Severity), Preset: s.cfg.Preset.Name,
			Predicted: int32(c.Pred), PredictedName: d.Classes[c.Pred], Correct: c.Pred == label,
			Confidence: float32(c.MSP), Entropy: float32(-c.NegEntropy), Energy: float32(c.Energy),
			Scores: scores, Selected: s.isSelected(i),
		}
	}
	return rows.Write(w, out...)
}

// targets returns the class each variant's map explains.
func (s *state) targets(ids []int) func(logits []float32) []int {
	nv, k := len(s.variants), s.d.NumClasses()
	return func(logits []float32) []int {
		t := make([]int, len(ids)*nv)
		for j, i := range ids {
			for v := 0; v < nv; v++ {
				switch s.cfg.Target {
				case TargetLabel:
					t[j*nv+v] = s.d.Labels[i]
				case TargetEach:
					t[j*nv+v] = argmax(logits[(j*nv+v)*k : (j*nv+v+1)*k])
				default:
					t[j*nv+v] = argmax(logits[j*nv*k : (j*nv+1)*k])
				}
			}
		}
		return t
	}
}

func argmax(x []float32) int {
	best := 0
	for i, v := range x {
		if v > x[best] {
			best = i
		}
	}
	return best
}

// saliencyGroup runs one saliency pass over the variants of images ids and
// writes their prediction, saliency and map rows.
func (s *state) saliencyGroup(w rows.Chunk, ids []int, lo int) error {
	d, nv, k := s.d, len(s.variants), s.d.NumClasses()
	target := s.targets(ids)
	taps, err := s.m.Saliency(s.gather(ids, lo), len(ids)*nv, d.H, d.W, d.C, s.layers, target)
	if err != nil {
		return err
	}
	logits := taps.Logits()
	tgt := target(logits)
	for j, i := range ids {
		if err := s.writePredictions(w, i, logits[j*nv*k:(j+1)*nv*k]); err != nil {
			return err
		}
	}
	verdicts, err := s.verdicts(logits)
	if err != nil {
		return err
	}
	for _, layer := range s.cfg.Layers {
		act, grad, err := taps.Layer(layer.Name)
		if err != nil {
			return err
		}
		hw := act.H * act.W
		raw := make([]float32, act.N*hw)
		for _, method := range s.cfg.Methods {
			if err := saliency.Maps(method, raw, act, grad); err != nil {
				return fmt.Errorf("layer %s %s: %w", layer.Name, method.Name(), err)
			}
			if err := s.compare(w, ids, layer, method.Name(), raw, hw, act.H, act.W, verdicts, tgt, lo); err != nil {
				return err
			}
		}
	}
	return nil
}

// compare writes the saliency rows (and stored maps) of one layer x method:
// every variant's map against its image's clean map.
func (s *state) compare(w rows.Chunk, ids []int, layer Layer, method string, raw []float32, hw, mh, mw int,
	verdicts []pred, tgt []int, lo int) error {
	d, nv := s.d, len(s.variants)
	norm := make([]float32, len(raw))
	copy(norm, raw)
	for v := 0; v < len(raw)/hw; v++ {
		saliency.Normalize(norm[v*hw : (v+1)*hw])
	}
	out := make([]rows.Saliency, 0, len(ids)*(nv-1))
	for j, i := range ids {
		base := j * nv
		clean := verdicts[base]
		cleanRaw := raw[base*hw : (base+1)*hw]
		cleanNorm := norm[base*hw : (base+1)*hw]
		label := d.Labels[i]
		for v := 1; v < nv; v++ {
			va := s.variants[v]
			pv := verdicts[base+v]
			r8, err := metrics.ThesisRMSE(cleanRaw, raw[(base+v)*hw:(base+v+1)*hw])
			if err != nil {
				return fmt.Errorf("image %d %s/%d layer %s: %w", i, va.Corruption, va.Severity, layer.Name, err)
			}
			rf, err := metrics.RMSE(cleanNorm, norm[(base+v)*hw:(base+v+1)*hw])
			if err != nil {
				return err
			}
			t := tgt[base+v]
			out = append(out, rows.Saliency{
				RunID: s.cfg.RunID, Split: string(d.Split), ImageID: int32(i),
				Label: int32(label), LabelName: d.Classes[label],
				Corruption: va.Corruption, Severity: int32(va.Severity), Preset: s.cfg.Preset.Name,
				Layer: layer.Name, LayerAlias: layer.Alias, LayerDepth: int32(layer.Depth), Method: method,
				TargetClass: int32(t), TargetName: d.Classes[t],
				RMSE: float32(r8), RMSEFloat: float32(rf),
				PredClean: int32(clean.class), PredCleanName: d.Classes[clean.class],
				PredPerturbed: int32(pv.class), PredPerturbedName: d.Classes[pv.class],
				PredChanged: pv.class != clean.class, CorrectClean: clean.class == label, CorrectPerturbed: pv.class == label,
				ConfidenceClean: float32(clean.conf.MSP), ConfidencePerturbed: float32(pv.conf.MSP),
			})
		}
		if s.mapped[i] {
			if err := s.writeMaps(w, i, j, layer, method, norm, hw, mh, mw, verdicts, tgt, lo); err != nil {
				return err
			}
		}
	}
	return rows.Write(w, out...)
}

// writeMaps stores the upsampled maps and pixels of every variant of image i
// for the report's saliency grid.
func (s *state) writeMaps(w rows.Chunk, i, j int, layer Layer, method string, norm []float32, hw, mh, mw int,
	verdicts []pred, tgt []int, lo int) error {
	d, nv, isz := s.d, len(s.variants), s.d.ImageSize()
	out := make([]rows.Map, nv)
	for v, va := range s.variants {
		up := make([]float32, d.H*d.W)
		saliency.Upsample(up, d.H, d.W, norm[(j*nv+v)*hw:(j*nv+v+1)*hw], mh, mw)
		// Bilinear upsampling of a [0,1] map stays in [0,1] up to rounding.
		for p, x := range up {
			up[p] = float32(math.Min(1, math.Max(0, float64(x))))
		}
		off := ((i-lo)*nv + v) * isz
		pv := verdicts[j*nv+v]
		out[v] = rows.Map{
			RunID: s.cfg.RunID, Split: string(d.Split), ImageID: int32(i),
			Label: int32(d.Labels[i]), LabelName: d.Classes[d.Labels[i]],
			Corruption: va.Corruption, Severity: int32(va.Severity),
			Layer: layer.Name, LayerAlias: layer.Alias, LayerDepth: int32(layer.Depth), Method: method,
			TargetClass: int32(tgt[j*nv+v]), Height: int32(d.H), Width: int32(d.W), Channels: int32(d.C),
			SaliencyMap: up, Image: append([]byte(nil), s.buf[off:off+isz]...),
			Predicted: int32(pv.class), PredictedName: d.Classes[pv.class], Confidence: float32(pv.conf.MSP),
		}
	}
	return rows.Write(w, out...)
}
