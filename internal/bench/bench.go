// Package bench measures this machine's sgemm peak and the speed of a
// ResNet18 training step and saliency pass at a few image sizes, optionally
// beside the PyTorch peer in ../shared/peers, for `gradprint bench`.
//
// The workload mirrors ../shared/peers/torch_resnet_bench.py so the two sets
// of figures can sit side by side: full-width ResNet18, small stem, one grey
// channel, two classes, Adam for training, eval mode with one backward to the
// eight thesis layers for saliency, best time of the timed steps. Memory
// figures come from /proc and are reported as unknown off Linux.
package bench

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"math/rand/v2"
	"runtime"
	"runtime/debug"
	"slices"
	"time"

	"github.com/gradprint/gradprint/compute/gemm"
	"github.com/gradprint/gradprint/compute/resnet"
	"github.com/gradprint/gradprint/compute/saliency"
	"github.com/gradprint/gradprint/internal/buildinfo"
)

const (
	warmup      = 2 // the first step sizes the arena, the second faults its pages in
	peakSize    = 512
	peakMinTime = time.Second
	peerPython  = "/usr/bin/python3"
	peerScript  = "torch_resnet_bench.py"
	peersEnv    = "GRADPRINT_SHARED_PEERS"

	passTrain    = "train"
	passSaliency = "saliency"
)

// Options says what to measure. Sizes are square image sizes in pixels,
// Batch the images per step, Iters the timed steps per pass after warm-up,
// Peer whether to run the PyTorch peer too, Seed the seed of the model
// weights and the random images.
type Options struct {
	Sizes        []int
	Batch, Iters int
	Peer         bool
	Seed         uint64
}

// Validate checks o against what the harness can run: at least one size,
// each 8 to 512 px, a batch of at least 2 (training needs batch statistics)
// and at least one timed step. Its errors name the command-line flags
// (--sizes, --batch, --iters) that set the fields.
func (o Options) Validate() error {
	if len(o.Sizes) == 0 {
		return errors.New("--sizes: want at least one size")
	}
	for _, s := range o.Sizes {
		if s < 8 || s > 512 {
			return fmt.Errorf("--sizes: %d px, want 8 to 512", s)
		}
	}
	// Each size is measured once: a repeated one would only double the time.
	for i, s := range o.Sizes {
		if slices.Contains(o.Sizes[:i], s) {
			return fmt.Errorf("--sizes: %d px given twice", s)
		}
	}
	// 256 images of 512 px already take the arena to several GB.
	if o.Batch < 2 || o.Batch > 256 {
		return fmt.Errorf("--batch: %d, want 2 to 256 (training needs batch statistics)", o.Batch)
	}
	if o.Iters < 1 || o.Iters > 1000 {
		return fmt.Errorf("--iters: %d, want 1 to 1000", o.Iters)
	}
	return nil
}

// Row is one pass at one image size. Times are per image, in milliseconds.
type Row struct {
	Size         int     `json:"size"`
	Pass         string  `json:"pass"` // "train" or "saliency"
	Stem         string  `json:"stem"` // "small" below 128 px, "imagenet" from 128 px (as train chooses)
	MsPerImg     float64 `json:"ms_per_img"`
	MedianMs     float64 `json:"median_ms_per_img"`
	CPUMsPerImg  float64 `json:"cpu_ms_per_img"`
	FLOPsPerImg  float64 `json:"flops_per_img"`
	GFLOPS       float64 `json:"gflops"`
	OfPeak       float64 `json:"of_peak"`
	PeakRSSBytes int64   `json:"peak_rss_bytes,omitempty"` // 0: unknown
	TorchMs      float64 `json:"torch_ms_per_img,omitempty"`
	RatioToTorch float64 `json:"ratio_to_torch,omitempty"` // gradprint ms / torch ms: below 1 means gradprint is faster

	TorchMedianMs      float64 `json:"torch_median_ms_per_img,omitempty"`
	MedianRatioToTorch float64 `json:"median_ratio_to_torch,omitempty"` // gradprint median / torch median
	TorchRSSBytes      int64   `json:"torch_peak_rss_bytes,omitempty"`  // the peer's process for this pass alone
	MemRatioToTorch    float64 `json:"mem_ratio_to_torch,omitempty"`    // gradprint peak RSS / torch peak RSS: at most 1 is the target
}

// Report is everything one run measured; it is the --json output, so its
// field names are a published format.
type Report struct {
	Date       time.Time `json:"date"`
	GoVersion  string    `json:"go_version"`
	GOOS       string    `json:"goos"`
	GOARCH     string    `json:"goarch"`
	GOMAXPROCS int       `json:"gomaxprocs"`
	Backend    string    `json:"gemm_backend"`
	Library    string    `json:"gemm_library"`                // OpenBLAS's build configuration
	Core       string    `json:"gemm_core"`                   // OpenBLAS's kernel set for this CPU
	CoreType   string    `json:"openblas_coretype,omitempty"` // the OPENBLAS_CORETYPE that chose Core, if one did
	// WiderCore: a core type whose kernels use vector units this CPU has
	// and Core's do not (gemm.WiderCore), when OPENBLAS_CORETYPE forced Core.
	WiderCore string `json:"openblas_wider_core,omitempty"`
	CPU       string `json:"cpu"`
	// Deterministic: the build trains the same bits on every x86-64 CPU.
	Deterministic bool         `json:"deterministic"`
	Seed          uint64       `json:"seed"`
	Batch         int          `json:"batch"`
	Iters         int          `json:"iters"`
	Warmup        int          `json:"warmup"`
	PeakGFLOPS    float64      `json:"sgemm_peak_gflops"`
	PeakSize      int          `json:"sgemm_peak_size"`
	LoadStart     string       `json:"load_avg_start,omitempty"`
	LoadEnd       string       `json:"load_avg_end,omitempty"`
	RSSPerPass    bool         `json:"rss_per_pass"` // false: each row's RSS is the process peak so far
	ProcessRSS    int64        `json:"process_peak_rss_bytes,omitempty"`
	Rows          []Row        `json:"rows"`
	Peer          []PeerResult `json:"peer,omitempty"`
	PeerNote      string       `json:"peer_note,omitempty"`
	PeerRequired  bool         `json:"peer_requested"`
}

// harness holds what Run fixes and tests shrink: the sgemm peak's matrix
// size and minimum duration, and the interpreter that runs the peer.
type harness struct {
	peakSize    int
	peakMinTime time.Duration
	python      string
}

// Run validates o, measures the sgemm peak, then for each size a training
// pass and a saliency pass (each on a fresh model seeded with o.Seed), and,
// with o.Peer, the PyTorch peer at that size. A peer that cannot run or
// fails leaves a note in Report.PeerNote and does not fail the run; a
// failing pass or a cancelled ctx does. Progress goes to log (nil: none).
func Run(ctx context.Context, o Options, log *slog.Logger) (*Report, error) {
	return harness{peakSize: peakSize, peakMinTime: peakMinTime, python: peerPython}.run(ctx, o, log)
}

func (h harness) run(ctx context.Context, o Options, log *slog.Logger) (*Report, error) {
	if err := o.Validate(); err != nil {
		return nil, err
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	bi := buildinfo.Read("", "")
	rep := &Report{
		Date: time.Now().UTC().Truncate(time.Second), GoVersion: runtime.Version(),
		GOOS: runtime.GOOS, GOARCH: runtime.GOARCH, GOMAXPROCS: runtime.GOMAXPROCS(0),
		Backend: gemm.Backend(), Library: bi.Library, Core: bi.Core, CoreType: bi.CoreType, CPU: bi.CPU, Deterministic: bi.Deterministic, Seed: o.Seed, Batch: o.Batch, Iters: o.Iters, Warmup: warmup,
		PeakSize: h.peakSize, LoadStart: loadAvg(), PeerRequired: o.Peer,
	}
	if wider, ok := gemm.WiderCore(); ok && rep.CoreType != "" {
		rep.WiderCore = wider
	}
	log.Info("bench: measuring sgemm peak", "backend", rep.Backend, "size", h.peakSize, "gomaxprocs", rep.GOMAXPROCS, "load", rep.LoadStart)
	rep.PeakGFLOPS = gemm.Peak(h.peakSize, h.peakMinTime)
	log.Info("bench: sgemm peak", "gflops", round1(rep.PeakGFLOPS))

	var peerDir string
	if o.Peer {
		if peerDir, rep.PeerNote = findPeer(h.python); peerDir == "" {
			log.Warn("bench: peer skipped: " + rep.PeerNote)
		}
	}
	rep.RSSPerPass = true
	for _, size := range o.Sizes {
		for _, pass := range []string{passTrain, passSaliency} {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
			row, perPass, err := runPass(ctx, o, size, pass, rep.PeakGFLOPS, log)
			if err != nil {
				return nil, fmt.Errorf("bench %s at %d px: %w", pass, size, err)
			}
			rep.RSSPerPass = rep.RSSPerPass && perPass
			rep.Rows = append(rep.Rows, row)
		}
		if peerDir != "" {
			ok, err := h.addPeer(ctx, rep, peerDir, size, log)
			if err != nil {
				return nil, err
			}
			if !ok {
				peerDir = ""
			}
		}
	}
	attachPeer(rep)
	rep.LoadEnd = loadAvg()
	// Each pass reset the high-water mark, so the process's peak is the
	// largest of the passes' peaks and what ran after the last one.
	if rss, err := readPeakRSS(); err == nil {
		rep.ProcessRSS = rss
		for _, r := range rep.Rows {
			rep.ProcessRSS = max(rep.ProcessRSS, r.PeakRSSBytes)
		}
	}
	return rep, nil
}

// addPeer runs the peer at one size and appends its result to rep. A failed
// peer does not void gradprint's own figures: it leaves a note and reports
// false so the remaining sizes skip it. Only cancellation is an error.
func (h harness) addPeer(ctx context.Context, rep *Report, dir string, size int, log *slog.Logger) (bool, error) {
	log.Info("bench: running PyTorch peer", "size", size, "threads", rep.GOMAXPROCS)
	pr, err := runPeer(ctx, h.python, dir, size, string(stemFor(size)), rep.GOMAXPROCS, rep.Batch, rep.Iters)
	if err != nil {
		if ctx.Err() != nil {
			return false, ctx.Err()
		}
		rep.PeerNote = fmt.Sprintf("peer failed at %d px: %v", size, err)
		log.Warn("bench: " + rep.PeerNote)
		return false, nil
	}
	rep.Peer = append(rep.Peer, pr)
	log.Info("bench: PyTorch peer", "size", size, "train_ms_img", pr.TrainMs, "saliency_ms_img", pr.SaliencyMs,
		"train_rss_mib", pr.TrainRSSBytes>>20, "saliency_rss_mib", pr.SaliencyRSSBytes>>20, "torch", pr.Version)
	return true, nil
}

// runPass builds a fresh seeded model, warms it up and times o.Iters steps
// of one pass. It reports whether the row's RSS is this pass's own peak
// (the kernel's high-water mark was reset before it) or the process's.
func runPass(ctx context.Context, o Options, size int, pass string, peak float64, log *slog.Logger) (Row, bool, error) {
	row := Row{Size: size, Pass: pass, Stem: string(stemFor(size))}
	// Return the previous pass's memory so this pass's peak RSS is its own.
	runtime.GC()
	debug.FreeOSMemory()
	perPass := resetPeakRSS() == nil

	step, flops, err := newStep(o, size, pass)
	if err != nil {
		return row, false, err
	}
	row.FLOPsPerImg = flops
	log.Info("bench: warm-up", "size", size, "pass", pass, "steps", warmup)
	for range warmup {
		if err := step(); err != nil {
			return row, false, err
		}
	}
	times := make([]float64, 0, o.Iters)
	cpu0 := cpuSeconds()
	for i := range o.Iters {
		if err := ctx.Err(); err != nil {
			return row, false, err
		}
		t := time.Now()
		if err := step(); err != nil {
			return row, false, err
		}
		ms := time.Since(t).Seconds() * 1e3 / float64(o.Batch)
		times = append(times, ms)
		log.Info("bench: step", "size", size, "pass", pass, "done", fmt.Sprintf("%d/%d", i+1, o.Iters), "ms_per_img", round1(ms))
	}
	row.CPUMsPerImg = (cpuSeconds() - cpu0) * 1e3 / float64(o.Iters*o.Batch)
	row.MsPerImg, row.MedianMs = bestMedian(times)
	row.GFLOPS = row.FLOPsPerImg / (row.MsPerImg / 1e3) / 1e9
	if peak > 0 {
		row.OfPeak = row.GFLOPS / peak
	}
	if rss, err := readPeakRSS(); err == nil {
		row.PeakRSSBytes = rss
	}
	return row, perPass, nil
}

// stemFor is the stem train chooses for a size: the small stem of
// MedMNIST's 28 and 64 px models, the ImageNet stem from 128 px (the
// thesis's 224 px).
func stemFor(size int) resnet.Stem {
	if size >= 128 {
		return resnet.ImageNetStem
	}
	return resnet.SmallStem
}

// newStep builds the model and seeded random batch for one pass and returns
// a function running one step of it, with the pass's FLOPs per image.
func newStep(o Options, size int, pass string) (func() error, float64, error) {
	cfg := resnet.MedMNISTConfig(1, 2)
	cfg.Stem = stemFor(size)
	m, err := resnet.New(cfg, o.Seed)
	if err != nil {
		return nil, 0, err
	}
	fl, err := m.CountFLOPs(size, size, nil)
	if err != nil {
		return nil, 0, err
	}
	r := rand.New(rand.NewPCG(o.Seed, uint64(size)))
	imgs := make([]uint8, o.Batch*size*size)
	for i := range imgs {
		imgs[i] = uint8(r.IntN(256))
	}
	labels := make([]int, o.Batch)
	for i := range labels {
		labels[i] = r.IntN(2)
	}
	switch pass {
	case passTrain:
		opt := resnet.NewAdam(1e-3)
		return func() error {
			loss, err := m.TrainStep(imgs, labels, o.Batch, size, size, 1, opt)
			if err == nil && (math.IsNaN(float64(loss)) || math.IsInf(float64(loss), 0)) {
				err = fmt.Errorf("training loss is %v", loss)
			}
			return err
		}, fl.Train, nil
	case passSaliency:
		var layers []string
		for _, l := range resnet.ThesisLayers() {
			layers = append(layers, l.Name)
		}
		// As analyze runs it, and as the peer does: the pass's own buffers
		// read in place, then the Grad-CAM++ map of every layer.
		var raw []float32
		return func() error {
			r, err := m.SaliencyViews(imgs, o.Batch, size, size, 1, layers, nil)
			if err != nil {
				return err
			}
			for _, l := range r.Layers {
				raw = slices.Grow(raw[:0], l.N*l.H*l.W)[:l.N*l.H*l.W]
				a, g := saliency.CNHW(l.A, l.N, l.C, l.H, l.W), saliency.CNHW(l.G, l.N, l.C, l.H, l.W)
				if err := saliency.Maps(saliency.GradCAMPP{}, raw, a, g); err != nil {
					return err
				}
			}
			return nil
		}, fl.Saliency, nil
	}
	return nil, 0, fmt.Errorf("unknown pass %q, want %q or %q", pass, passTrain, passSaliency)
}
