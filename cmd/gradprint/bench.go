package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/gradprint/gradprint/compute/gemm"
	"github.com/gradprint/gradprint/compute/resnet"
)

// The bench command mirrors ../shared/peers/torch_resnet_bench.py so the two
// sets of figures can sit side by side: full-width ResNet18, small stem, one
// grey channel, two classes, Adam for training, eval mode with one backward
// to the eight thesis layers for saliency, best time of the timed steps.
const (
	benchWarmup = 2 // the first step sizes the arena, the second faults its pages in
	peakSize    = 512
	peakMinTime = time.Second
	peerPython  = "/usr/bin/python3"
	peerScript  = "torch_resnet_bench.py"
)

type benchFlags struct {
	sizes  []int
	batch  int
	iters  int
	asJSON bool
	peer   bool
}

// benchRow is one pass at one image size.
type benchRow struct {
	Size         int     `json:"size"`
	Pass         string  `json:"pass"` // "train" or "saliency"
	MsPerImg     float64 `json:"ms_per_img"`
	MedianMs     float64 `json:"median_ms_per_img"`
	CPUMsPerImg  float64 `json:"cpu_ms_per_img"`
	FLOPsPerImg  float64 `json:"flops_per_img"`
	GFLOPS       float64 `json:"gflops"`
	OfPeak       float64 `json:"of_peak"`
	PeakRSSBytes int64   `json:"peak_rss_bytes,omitempty"` // 0: unknown
	TorchMs      float64 `json:"torch_ms_per_img,omitempty"`
	RatioToTorch float64 `json:"ratio_to_torch,omitempty"` // gradprint ms / torch ms: below 1 means gradprint is faster
}

// peerResult is one line of torch_resnet_bench.py's output.
type peerResult struct {
	Version    string  `json:"version"`
	Threads    int     `json:"threads"`
	Size       int     `json:"size"`
	Stem       string  `json:"stem"`
	Batch      int     `json:"batch"`
	TrainMs    float64 `json:"train_ms_per_img"`
	SaliencyMs float64 `json:"saliency_ms_per_img"`
	ThesisMs   float64 `json:"thesis_style_ms_per_input"`
}

// benchReport is everything one run measured; it is the --json output.
type benchReport struct {
	Date         time.Time    `json:"date"`
	GoVersion    string       `json:"go_version"`
	GOOS         string       `json:"goos"`
	GOARCH       string       `json:"goarch"`
	GOMAXPROCS   int          `json:"gomaxprocs"`
	Backend      string       `json:"gemm_backend"`
	Seed         uint64       `json:"seed"`
	Batch        int          `json:"batch"`
	Iters        int          `json:"iters"`
	Warmup       int          `json:"warmup"`
	PeakGFLOPS   float64      `json:"sgemm_peak_gflops"`
	PeakSize     int          `json:"sgemm_peak_size"`
	LoadStart    string       `json:"load_avg_start,omitempty"`
	LoadEnd      string       `json:"load_avg_end,omitempty"`
	RSSPerPass   bool         `json:"rss_per_pass"` // false: each row's RSS is the process peak so far
	ProcessRSS   int64        `json:"process_peak_rss_bytes,omitempty"`
	Rows         []benchRow   `json:"rows"`
	Peer         []peerResult `json:"peer,omitempty"`
	PeerNote     string       `json:"peer_note,omitempty"`
	PeerRequired bool         `json:"peer_requested"`
}

func newBenchCmd(g *globals) *cobra.Command {
	f := &benchFlags{}
	cmd := &cobra.Command{
		Use:   "bench",
		Short: "Measure sgemm peak and ResNet18 training/saliency speed, optionally beside PyTorch",
		Long: `bench measures, in one run, this machine's sgemm peak and, for ResNet18
(full width, small stem, 1 channel, 2 classes, seeded random images) at each
--sizes, the time per image of a training step (Adam) and of a saliency pass
(eval-mode forward and one backward to the eight thesis layers), after
warm-up. Each row gives the best and median wall time per image over --iters
steps, CPU time per image (steadier on a shared machine), effective GFLOPS
(convolution and linear FLOPs only), their ratio to the sgemm peak, and the
peak resident memory of that pass (Linux only).

With --peer and PyTorch importable by /usr/bin/python3, it also runs
../shared/peers/torch_resnet_bench.py (env GRADPRINT_SHARED_PEERS names the
folder) at each size and adds PyTorch's figures and the ratio gradprint /
torch: below 1 means gradprint is faster. The peer times the best of 3 steps
at batch 32 with as many threads as GOMAXPROCS.

The table (or JSON with --json) goes to stdout, progress to stderr.`,
		Example: `  gradprint bench
  gradprint bench --sizes 28 --iters 10 --json
  gradprint bench --peer`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := f.validate(); err != nil {
				return err
			}
			rep, err := runBench(cmd.Context(), g, f)
			if err != nil {
				return err
			}
			if f.asJSON {
				enc := json.NewEncoder(g.stdout)
				enc.SetIndent("", "  ")
				return enc.Encode(rep)
			}
			return writeBenchTable(g.stdout, rep)
		},
	}
	fl := cmd.Flags()
	fl.IntSliceVar(&f.sizes, "sizes", []int{28, 64}, "image sizes in pixels (square)")
	fl.IntVar(&f.batch, "batch", 32, "images per step")
	fl.IntVar(&f.iters, "iters", 5, "timed steps per pass, after warm-up")
	fl.BoolVar(&f.asJSON, "json", false, "write the results as JSON instead of a table")
	fl.BoolVar(&f.peer, "peer", false, "also run the PyTorch peer (needs /usr/bin/python3 with torch)")
	return cmd
}

func (f *benchFlags) validate() error {
	if len(f.sizes) == 0 {
		return errors.New("--sizes: want at least one size")
	}
	for _, s := range f.sizes {
		if s < 8 || s > 512 {
			return fmt.Errorf("--sizes: %d px, want 8 to 512", s)
		}
	}
	if f.batch < 2 {
		return fmt.Errorf("--batch: %d, want at least 2 (training needs batch statistics)", f.batch)
	}
	if f.iters < 1 {
		return fmt.Errorf("--iters: %d, want at least 1", f.iters)
	}
	return nil
}

// benchLog returns g's logger, or a silent one in tests that leave it nil.
func benchLog(g *globals) interface {
	Info(string, ...any)
	Warn(string, ...any)
} {
	if g.log != nil {
		return g.log
	}
	return benchDiscardLog{}
}

type benchDiscardLog struct{}

func (benchDiscardLog) Info(string, ...any) {}
func (benchDiscardLog) Warn(string, ...any) {}

func runBench(ctx context.Context, g *globals, f *benchFlags) (*benchReport, error) {
	log := benchLog(g)
	rep := &benchReport{
		Date: time.Now().UTC().Truncate(time.Second), GoVersion: runtime.Version(),
		GOOS: runtime.GOOS, GOARCH: runtime.GOARCH, GOMAXPROCS: runtime.GOMAXPROCS(0),
		Backend: gemm.Backend(), Seed: g.seed, Batch: f.batch, Iters: f.iters, Warmup: benchWarmup,
		PeakSize: peakSize, LoadStart: benchLoadAvg(), PeerRequired: f.peer,
	}
	log.Info("bench: measuring sgemm peak", "backend", rep.Backend, "size", peakSize, "gomaxprocs", rep.GOMAXPROCS, "load", rep.LoadStart)
	rep.PeakGFLOPS = gemm.Peak(peakSize, peakMinTime)
	log.Info("bench: sgemm peak", "gflops", benchRound1(rep.PeakGFLOPS))

	var peerDir string
	if f.peer {
		dir, note := findPeer()
		if dir == "" {
			rep.PeerNote = note
			log.Warn("bench: peer skipped: " + note)
		} else {
			peerDir = dir
		}
	}

	rep.RSSPerPass = true
	for _, size := range f.sizes {
		for _, pass := range []string{"train", "saliency"} {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
			row, perPass, err := benchPass(ctx, g, f, size, pass, rep.PeakGFLOPS)
			if err != nil {
				return nil, fmt.Errorf("bench %s at %d px: %w", pass, size, err)
			}
			rep.RSSPerPass = rep.RSSPerPass && perPass
			rep.Rows = append(rep.Rows, row)
		}
		if peerDir != "" {
			log.Info("bench: running PyTorch peer", "size", size, "threads", rep.GOMAXPROCS)
			pr, err := runPeer(ctx, peerDir, size, rep.GOMAXPROCS)
			if err != nil {
				if ctx.Err() != nil {
					return nil, ctx.Err()
				}
				// A failed peer does not void gradprint's own figures.
				rep.PeerNote = fmt.Sprintf("peer failed at %d px: %v", size, err)
				log.Warn("bench: " + rep.PeerNote)
				peerDir = ""
				continue
			}
			if pr.Batch != f.batch {
				log.Warn("bench: peer batch differs from --batch; ratios compare different batch sizes", "peer", pr.Batch, "batch", f.batch)
			}
			rep.Peer = append(rep.Peer, pr)
			log.Info("bench: PyTorch peer", "size", size, "train_ms_img", pr.TrainMs, "saliency_ms_img", pr.SaliencyMs, "torch", pr.Version)
		}
	}
	attachPeer(rep)
	rep.LoadEnd = benchLoadAvg()
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

// benchPass builds a fresh seeded model, warms it up and times f.iters steps
// of one pass. It reports whether the row's RSS is this pass's own peak
// (the kernel's high-water mark was reset before it) or the process's.
func benchPass(ctx context.Context, g *globals, f *benchFlags, size int, pass string, peak float64) (benchRow, bool, error) {
	log := benchLog(g)
	row := benchRow{Size: size, Pass: pass}
	// Return the previous pass's memory so this pass's peak RSS is its own.
	runtime.GC()
	debug.FreeOSMemory()
	perPass := resetPeakRSS() == nil

	m, err := resnet.New(resnet.MedMNISTConfig(1, 2), g.seed)
	if err != nil {
		return row, false, err
	}
	fl, err := m.CountFLOPs(size, size, nil)
	if err != nil {
		return row, false, err
	}
	r := rand.New(rand.NewPCG(g.seed, uint64(size)))
	imgs := make([]uint8, f.batch*size*size)
	for i := range imgs {
		imgs[i] = uint8(r.IntN(256))
	}
	labels := make([]int, f.batch)
	for i := range labels {
		labels[i] = r.IntN(2)
	}
	var step func() error
	switch pass {
	case "train":
		row.FLOPsPerImg = fl.Train
		opt := resnet.NewAdam(1e-3)
		step = func() error {
			loss, err := m.TrainStep(imgs, labels, f.batch, size, size, 1, opt)
			if err == nil && (math.IsNaN(float64(loss)) || math.IsInf(float64(loss), 0)) {
				err = fmt.Errorf("training loss is %v", loss)
			}
			return err
		}
	case "saliency":
		row.FLOPsPerImg = fl.Saliency
		var layers []string
		for _, l := range resnet.ThesisLayers() {
			layers = append(layers, l.Name)
		}
		step = func() error {
			_, err := m.Saliency(imgs, f.batch, size, size, 1, layers, nil)
			return err
		}
	default:
		return row, false, fmt.Errorf("unknown pass %q", pass)
	}

	log.Info("bench: warm-up", "size", size, "pass", pass, "steps", benchWarmup)
	for range benchWarmup {
		if err := step(); err != nil {
			return row, false, err
		}
	}
	times := make([]float64, 0, f.iters)
	cpu0 := benchCPUSeconds()
	for i := range f.iters {
		if err := ctx.Err(); err != nil {
			return row, false, err
		}
		t := time.Now()
		if err := step(); err != nil {
			return row, false, err
		}
		ms := time.Since(t).Seconds() * 1e3 / float64(f.batch)
		times = append(times, ms)
		log.Info("bench: step", "size", size, "pass", pass, "done", fmt.Sprintf("%d/%d", i+1, f.iters), "ms_per_img", benchRound1(ms))
	}
	row.CPUMsPerImg = (benchCPUSeconds() - cpu0) * 1e3 / float64(f.iters*f.batch)
	row.MsPerImg, row.MedianMs = benchBestMedian(times)
	row.GFLOPS = row.FLOPsPerImg / (row.MsPerImg / 1e3) / 1e9
	if peak > 0 {
		row.OfPeak = row.GFLOPS / peak
	}
	if rss, err := readPeakRSS(); err == nil {
		row.PeakRSSBytes = rss
	}
	return row, perPass, nil
}

// attachPeer copies the peer's figures onto the matching rows.
func attachPeer(rep *benchReport) {
	for i := range rep.Rows {
		r := &rep.Rows[i]
		for _, p := range rep.Peer {
			if p.Size != r.Size {
				continue
			}
			t := p.TrainMs
			if r.Pass == "saliency" {
				t = p.SaliencyMs
			}
			if t > 0 {
				r.TorchMs = t
				r.RatioToTorch = r.MsPerImg / t
			}
		}
	}
}

func benchBestMedian(xs []float64) (best, median float64) {
	if len(xs) == 0 {
		return 0, 0
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	if n := len(s); n%2 == 1 {
		median = s[n/2]
	} else {
		median = (s[n/2-1] + s[n/2]) / 2
	}
	return s[0], median
}

func benchRound1(x float64) float64 { return math.Round(x*10) / 10 }

// benchCPUSeconds is the process's user+system CPU time.
func benchCPUSeconds() float64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()).Seconds()
}

// benchLoadAvg returns the 1, 5 and 15 minute load averages, or "" off Linux.
func benchLoadAvg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return ""
	}
	fs := strings.Fields(string(b))
	if len(fs) < 3 {
		return ""
	}
	return strings.Join(fs[:3], " ")
}

// readPeakRSS returns the process's peak resident set (VmHWM) in bytes.
func readPeakRSS() (int64, error) {
	fh, err := os.Open("/proc/self/status")
	if err != nil {
		return 0, err
	}
	defer fh.Close()
	return parseVmHWM(fh)
}

// parseVmHWM finds the "VmHWM:  <n> kB" line of a /proc/<pid>/status file.
func parseVmHWM(r io.Reader) (int64, error) {
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		rest, ok := strings.CutPrefix(sc.Text(), "VmHWM:")
		if !ok {
			continue
		}
		fs := strings.Fields(rest)
		if len(fs) != 2 || fs[1] != "kB" {
			return 0, fmt.Errorf("/proc/self/status: VmHWM line %q, want \"VmHWM: <n> kB\"", sc.Text())
		}
		kb, err := strconv.ParseInt(fs[0], 10, 64)
		if err != nil || kb < 0 {
			return 0, fmt.Errorf("/proc/self/status: VmHWM value %q is not a count of kB", fs[0])
		}
		return kb * 1024, nil
	}
	if err := sc.Err(); err != nil {
		return 0, fmt.Errorf("/proc/self/status: %w", err)
	}
	return 0, errors.New("/proc/self/status: no VmHWM line")
}

// resetPeakRSS sets VmHWM back to the current RSS (Linux >= 4.0), so the
// next reading is the peak of what ran since.
func resetPeakRSS() error {
	return os.WriteFile("/proc/self/clear_refs", []byte("5"), 0)
}

// peersDir finds the shared peers folder: GRADPRINT_SHARED_PEERS, else
// ../shared/peers beside the module root above the working directory, as
// internal/shareddata finds the MedMNIST files.
func peersDir() (string, error) {
	if d := os.Getenv("GRADPRINT_SHARED_PEERS"); d != "" {
		if st, err := os.Stat(d); err == nil && st.IsDir() {
			return d, nil
		}
		return "", fmt.Errorf("GRADPRINT_SHARED_PEERS=%s is not a folder", d)
	}
	wd, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for d := wd; ; d = filepath.Dir(d) {
		if _, err := os.Stat(filepath.Join(d, "go.mod")); err == nil {
			p := filepath.Join(filepath.Dir(d), "shared", "peers")
			if st, err := os.Stat(p); err == nil && st.IsDir() {
				return p, nil
			}
			return "", fmt.Errorf("no shared peers folder at %s (set GRADPRINT_SHARED_PEERS)", p)
		}
		if filepath.Dir(d) == d {
			return "", fmt.Errorf("no go.mod above %s to locate ../shared/peers (set GRADPRINT_SHARED_PEERS)", wd)
		}
	}
}

// findPeer returns the peers folder when the PyTorch peer can run, else ""
// and why not.
func findPeer() (dir, why string) {
	d, err := peersDir()
	if err != nil {
		return "", err.Error()
	}
	if _, err := os.Stat(filepath.Join(d, peerScript)); err != nil {
		return "", fmt.Sprintf("%s not found in %s", peerScript, d)
	}
	if _, err := os.Stat(peerPython); err != nil {
		return "", fmt.Sprintf("%s not found", peerPython)
	}
	out, err := exec.Command(peerPython, "-c", "import torch").CombinedOutput()
	if err != nil {
		return "", fmt.Sprintf("%s cannot import torch (install Debian's python3-torch for benchmarking): %s",
			peerPython, benchLastLine(string(out)))
	}
	return d, ""
}

func benchLastLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.LastIndexByte(s, '\n'); i >= 0 {
		return s[i+1:]
	}
	return s
}

// runPeer runs the PyTorch peer at one size, with OpenBLAS settings meant
// for gradprint's own process removed so torch runs as its README measured.
func runPeer(ctx context.Context, dir string, size, threads int) (peerResult, error) {
	c := exec.CommandContext(ctx, peerPython, filepath.Join(dir, peerScript), strconv.Itoa(size), "small", strconv.Itoa(threads))
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "OPENBLAS_") {
			c.Env = append(c.Env, kv)
		}
	}
	var stderr strings.Builder
	c.Stderr = &stderr
	out, err := c.Output()
	if err != nil {
		return peerResult{}, fmt.Errorf("%s %s: %w: %s", peerPython, peerScript, err, benchLastLine(stderr.String()))
	}
	pr, err := parsePeerOutput(string(out))
	if err != nil {
		return pr, err
	}
	if pr.Size != size {
		return pr, fmt.Errorf("peer reported size %d, asked for %d", pr.Size, size)
	}
	return pr, nil
}

var peerLine = regexp.MustCompile(`^torch (\S+) threads=(\d+) size=(\d+) stem=(\w+) batch=(\d+): ` +
	`train ([0-9.]+) ms/img \| saliency pass \([^)]*\) ([0-9.]+) ms/img \| thesis-style .* ([0-9.]+) ms per input$`)

// parsePeerOutput reads the summary line torch_resnet_bench.py prints.
func parsePeerOutput(out string) (peerResult, error) {
	for _, line := range strings.Split(out, "\n") {
		line = strings.TrimSpace(line)
		if !strings.HasPrefix(line, "torch ") {
			continue
		}
		m := peerLine.FindStringSubmatch(line)
		if m == nil {
			return peerResult{}, fmt.Errorf("peer output line %q: want \"torch V threads=N size=N stem=S batch=N: train X ms/img | saliency pass (...) Y ms/img | thesis-style ... Z ms per input\"", line)
		}
		pr := peerResult{Version: m[1], Stem: m[4]}
		ints := []*int{&pr.Threads, &pr.Size, &pr.Batch}
		for i, s := range []string{m[2], m[3], m[5]} {
			v, err := strconv.Atoi(s)
			if err != nil {
				return peerResult{}, fmt.Errorf("peer output line %q: %q is not an integer", line, s)
			}
			*ints[i] = v
		}
		floats := []*float64{&pr.TrainMs, &pr.SaliencyMs, &pr.ThesisMs}
		for i, s := range []string{m[6], m[7], m[8]} {
			v, err := strconv.ParseFloat(s, 64)
			if err != nil || !(v > 0) {
				return peerResult{}, fmt.Errorf("peer output line %q: %q is not a positive time", line, s)
			}
			*floats[i] = v
		}
		return pr, nil
	}
	return peerResult{}, fmt.Errorf("no \"torch ...\" summary line in peer output %q", strings.TrimSpace(out))
}

func benchMiB(b int64) string {
	if b <= 0 {
		return "n/a"
	}
	return fmt.Sprintf("%.0f MiB", float64(b)/(1<<20))
}

// writeBenchTable prints the report for people: context lines, one row per
// pass and size, and the peer's notes.
func writeBenchTable(w io.Writer, rep *benchReport) error {
	bw := bufio.NewWriter(w)
	fmt.Fprintf(bw, "gradprint bench  %s  %s %s/%s  GOMAXPROCS=%d  gemm=%s  seed=%d\n",
		rep.Date.Format("2006-01-02 15:04 UTC"), rep.GoVersion, rep.GOOS, rep.GOARCH, rep.GOMAXPROCS, rep.Backend, rep.Seed)
	fmt.Fprintf(bw, "ResNet18 full width, small stem, 1 channel, 2 classes, batch %d; best (and median) of %d steps after %d warm-up\n",
		rep.Batch, rep.Iters, rep.Warmup)
	fmt.Fprintf(bw, "sgemm peak: %.1f GFLOPS (%dx%d)\n", rep.PeakGFLOPS, rep.PeakSize, rep.PeakSize)
	if rep.LoadStart != "" || rep.LoadEnd != "" {
		fmt.Fprintf(bw, "load average (1/5/15 min): start %s, end %s\n", benchOrNA(rep.LoadStart), benchOrNA(rep.LoadEnd))
	}
	fmt.Fprintln(bw)

	hasPeer := len(rep.Peer) > 0
	tw := tabwriter.NewWriter(bw, 0, 4, 2, ' ', tabwriter.AlignRight)
	hdr := "SIZE\tPASS\tMS/IMG\tMEDIAN\tCPU MS/IMG\tGFLOPS\tOF PEAK\tPEAK RSS\t"
	if hasPeer {
		hdr += "TORCH MS/IMG\tGP/TORCH\t"
	}
	fmt.Fprintln(tw, hdr)
	for _, r := range rep.Rows {
		line := fmt.Sprintf("%d px\t%s\t%.1f\t%.1f\t%.1f\t%.1f\t%.2f\t%s\t", r.Size, r.Pass, r.MsPerImg, r.MedianMs,
			r.CPUMsPerImg, r.GFLOPS, r.OfPeak, benchMiB(r.PeakRSSBytes))
		if hasPeer {
			if r.TorchMs > 0 {
				line += fmt.Sprintf("%.1f\t%.2f\t", r.TorchMs, r.RatioToTorch)
			} else {
				line += "n/a\tn/a\t"
			}
		}
		fmt.Fprintln(tw, line)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintln(bw)
	rssNote := "peak RSS: each pass's own (high-water mark reset before it)"
	if !rep.RSSPerPass {
		rssNote = "peak RSS: the process's so far (could not reset the high-water mark)"
	}
	fmt.Fprintf(bw, "%s; whole process: %s\n", rssNote, benchMiB(rep.ProcessRSS))
	fmt.Fprintln(bw, "GFLOPS count convolution and linear multiply-adds only (CountFLOPs); OF PEAK = GFLOPS / sgemm peak")
	if hasPeer {
		p := rep.Peer[0]
		fmt.Fprintf(bw, "peer: PyTorch %s, threads=%d, batch %d, best of 3 steps; GP/TORCH < 1 means gradprint is faster\n",
			p.Version, p.Threads, p.Batch)
		var ts []string
		for _, p := range rep.Peer {
			ts = append(ts, fmt.Sprintf("%d px %.0f ms", p.Size, p.ThesisMs))
		}
		fmt.Fprintf(bw, "peer thesis-style (8 forward+backward per input, batch 1): %s per input\n", strings.Join(ts, ", "))
	}
	if rep.PeerNote != "" {
		fmt.Fprintf(bw, "peer: %s\n", rep.PeerNote)
	} else if !rep.PeerRequired {
		fmt.Fprintln(bw, "peer: not run (add --peer)")
	}
	return bw.Flush()
}

func benchOrNA(s string) string {
	if s == "" {
		return "n/a"
	}
	return s
}
