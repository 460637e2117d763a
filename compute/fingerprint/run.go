package fingerprint

import (
	"context"
	"fmt"

	"github.com/gradprint/gradprint/compute/analysis"
	"github.com/gradprint/gradprint/compute/perturb"
	"github.com/gradprint/gradprint/ingest"
	"github.com/gradprint/gradprint/internal/progress"
	"github.com/gradprint/gradprint/warehouse/rows"
)

// RunConfig is the fingerprint step over one split: which incoming images
// to build from each of its images, and how to batch and commit them.
type RunConfig struct {
	Config
	RunID string
	// RunSeed seeds the degradations, exactly as analyze does (the same
	// seed gives the same corrupted images), and the probes.
	RunSeed     uint64
	Corruptions []string // degradations of each image; with Severities
	Severities  []int
	CleanOnly   bool // the image as acquired only (the train split)
	ChunkImages int  // split images per committed chunk
	Batch       int  // images per saliency pass, probes included
	FirstChunk  int  // chunk index of this split's first chunk
}

// Variants lists clean followed by every degradation (clean only with
// CleanOnly).
func (c RunConfig) Variants() []analysis.Variant {
	v := []analysis.Variant{{Corruption: analysis.Clean, Severity: 0}}
	if c.CleanOnly {
		return v
	}
	for _, name := range c.Corruptions {
		for _, s := range c.Severities {
			v = append(v, analysis.Variant{Corruption: name, Severity: s})
		}
	}
	return v
}

// Chunks is the number of chunks a split of n images takes.
func (c RunConfig) Chunks(n int) int { return (n + c.ChunkImages - 1) / c.ChunkImages }

func (c RunConfig) validate(d *ingest.Dataset) error {
	if err := c.Config.Validate(); err != nil {
		return err
	}
	if c.Perturb == nil {
		return fmt.Errorf("fingerprint: no corruption preset")
	}
	if c.ChunkImages <= 0 || c.Batch <= 0 {
		return fmt.Errorf("fingerprint: chunk size %d and batch %d must be positive", c.ChunkImages, c.Batch)
	}
	for _, v := range c.Variants()[1:] {
		if err := c.Perturb.Check(d.H, d.W, d.C, v.Corruption, v.Severity); err != nil {
			return fmt.Errorf("fingerprint: %w", err)
		}
	}
	for _, p := range c.Probes {
		if err := c.Perturb.Check(d.H, d.W, d.C, p.Corruption, p.Severity); err != nil {
			return fmt.Errorf("fingerprint: probe: %w", err)
		}
	}
	return nil
}

// Run takes the fingerprint of every incoming image of d (each image clean
// and, unless CleanOnly, under every degradation) and writes one
// Fingerprint and one Embedding row for each. Chunks already committed in
// sink are skipped, so an interrupted run resumes; memory holds one chunk.
// bar (may be nil) counts split images.
func Run(ctx context.Context, m Model, d *ingest.Dataset, cfg RunConfig, sink rows.Sink, bar *progress.Bar) error {
	if err := cfg.validate(d); err != nil {
		return err
	}
	if m.NumClasses() != d.NumClasses() {
		return fmt.Errorf("fingerprint: model has %d classes, %s has %d", m.NumClasses(), d.Source, d.NumClasses())
	}
	st := &splitState{m: m, d: d, cfg: &cfg, variants: cfg.Variants(), ws: perturb.NewWorkspace(),
		splitRun: perturb.DeriveSeed(cfg.RunSeed, -1, "split:"+string(d.Split), 0)}
	for ch := 0; ch < cfg.Chunks(d.N); ch++ {
		lo, hi := ch*cfg.ChunkImages, min(d.N, (ch+1)*cfg.ChunkImages)
		err := rows.WriteChunk(sink, cfg.FirstChunk+ch, func(w rows.Chunk) error {
			if err := ctx.Err(); err != nil {
				return err
			}
			return st.chunk(ctx, w, lo, hi)
		})
		if err != nil {
			return fmt.Errorf("fingerprint: %s %s images %d-%d: %w", d.Flag, d.Split, lo, hi-1, err)
		}
		if bar != nil {
			bar.Add(int64(hi - lo))
		}
	}
	return nil
}

// splitState is what one split's chunks share.
type splitState struct {
	m        Model
	d        *ingest.Dataset
	cfg      *RunConfig
	variants []analysis.Variant
	ws       *perturb.Workspace
	splitRun uint64
}

// incoming is one incoming image of a chunk, with what its rows name.
type incoming struct {
	Image
	id      int
	variant analysis.Variant
}

// chunk fingerprints every incoming image of split images lo..hi-1.
func (s *splitState) chunk(ctx context.Context, w rows.Chunk, lo, hi int) error {
	d := s.d
	var in []incoming
	for i := lo; i < hi; i++ {
		for _, v := range s.variants {
			px := d.Image(i)
			if v.Corruption != analysis.Clean {
				px = make([]uint8, d.ImageSize())
				if err := s.cfg.Perturb.ApplyImage(s.ws, px, d.Image(i), d.H, d.W, d.C, v.Corruption, v.Severity, s.splitRun, int64(i)); err != nil {
					return err
				}
			}
			key := perturb.DeriveSeed(s.cfg.Seed, int64(i), "probe:"+string(d.Split)+":"+v.Corruption, v.Severity)
			in = append(in, incoming{Image{px, key}, i, v})
		}
	}
	per := max(1, s.cfg.Batch/(1+len(s.cfg.Probes)))
	for b := 0; b < len(in); b += per {
		if err := ctx.Err(); err != nil {
			return err
		}
		part := in[b:min(len(in), b+per)]
		imgs := make([]Image, len(part))
		for j, x := range part {
			imgs[j] = x.Image
		}
		res, err := s.cfg.Compute(s.m, imgs, d.H, d.W, d.C, s.ws)
		if err != nil {
			return err
		}
		if err := s.write(w, part, res); err != nil {
			return err
		}
	}
	return nil
}

// write commits the rows of a batch of incoming images.
func (s *splitState) write(w rows.Chunk, part []incoming, res []Result) error {
	d := s.d
	fps := make([]rows.Fingerprint, len(part))
	embs := make([]rows.Embedding, len(part))
	for j, x := range part {
		r := res[j]
		label, pred := d.Labels[x.id], argmax(r.Logits)
		fps[j] = rows.Fingerprint{
			RunID: s.cfg.RunID, Split: string(d.Split), ImageID: int32(x.id), Label: int32(label), LabelName: d.Classes[label],
			Corruption: x.variant.Corruption, Severity: int32(x.variant.Severity), Preset: s.cfg.Perturb.Name,
			Predicted: int32(pred), PredictedName: d.Classes[pred], Correct: pred == label,
			Logits: r.Logits, Features: r.Features,
		}
		embs[j] = rows.Embedding{
			RunID: s.cfg.RunID, Split: string(d.Split), ImageID: int32(x.id), Label: int32(label),
			Corruption: x.variant.Corruption, Severity: int32(x.variant.Severity), Predicted: int32(pred), H: r.Embedding,
		}
	}
	if err := rows.Write(w, fps...); err != nil {
		return err
	}
	return rows.Write(w, embs...)
}
