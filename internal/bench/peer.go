package bench

import (
	"context"
	_ "embed"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/gradprint/gradprint/internal/shareddata"
)

// PeerResult is what the PyTorch peer measured at one size: both passes,
// each run in a process of its own. Times are per image (per input for
// ThesisMs), in milliseconds; peak RSS is each pass's process's high-water
// mark (VmHWM, which the pass reads itself), in bytes, 0 when unknown.
type PeerResult struct {
	Version          string  `json:"version"`
	Threads          int     `json:"threads"`
	Size             int     `json:"size"`
	Stem             string  `json:"stem"`
	Batch            int     `json:"batch"`
	TrainMs          float64 `json:"train_ms_per_img"`
	SaliencyMs       float64 `json:"saliency_ms_per_img"`
	ThesisMs         float64 `json:"thesis_style_ms_per_input"`
	TrainMedianMs    float64 `json:"train_median_ms_per_img,omitempty"`
	SaliencyMedianMs float64 `json:"saliency_median_ms_per_img,omitempty"`
	TrainRSSBytes    int64   `json:"train_peak_rss_bytes,omitempty"`
	SaliencyRSSBytes int64   `json:"saliency_peak_rss_bytes,omitempty"`
}

// peerPass is one pass of the peer, as peer_pass.py reports it.
type peerPass struct {
	Version                    string
	Threads, Size, Batch       int
	Stem, Pass                 string
	BestMs, MedianMs, ThesisMs float64
	PeakRSSBytes               int64
}

//go:embed peer_pass.py
var peerPassScript []byte

// attachPeer copies the peer's figures onto the rows of the same size and
// sets their ratio gradprint / torch.
func attachPeer(rep *Report) {
	for i := range rep.Rows {
		r := &rep.Rows[i]
		for _, p := range rep.Peer {
			if p.Size != r.Size {
				continue
			}
			t, med, rss := p.TrainMs, p.TrainMedianMs, p.TrainRSSBytes
			if r.Pass == passSaliency {
				t, med, rss = p.SaliencyMs, p.SaliencyMedianMs, p.SaliencyRSSBytes
			}
			if t > 0 {
				r.TorchMs = t
				r.RatioToTorch = r.MsPerImg / t
			}
			if med > 0 {
				r.TorchMedianMs = med
				r.MedianRatioToTorch = r.MedianMs / med
			}
			if r.TorchRSSBytes = rss; rss > 0 && r.PeakRSSBytes > 0 {
				r.MemRatioToTorch = float64(r.PeakRSSBytes) / float64(rss)
			}
		}
	}
}

// peersDir finds the shared peers folder: GRADPRINT_SHARED_PEERS, else
// ../shared/peers beside the module root.
func peersDir() (string, error) {
	return shareddata.SiblingDir(peersEnv, "peers")
}

// findPeer returns the peers folder when the PyTorch peer can run under
// python, else "" and why not, in words fit for the report.
func findPeer(python string) (dir, why string) {
	d, err := peersDir()
	if err != nil {
		return "", err.Error()
	}
	if _, err := os.Stat(filepath.Join(d, peerScript)); err != nil {
		return "", fmt.Sprintf("%s not found in %s", peerScript, d)
	}
	if _, err := os.Stat(python); err != nil {
		return "", fmt.Sprintf("%s not found", python)
	}
	out, err := exec.Command(python, "-c", "import torch").CombinedOutput()
	if err != nil {
		return "", fmt.Sprintf("%s cannot import torch (install Debian's python3-torch for benchmarking): %s",
			python, lastLine(string(out)))
	}
	return d, ""
}

// lastLine is the last non-blank line of s: the one that says why a Python
// process failed, below its traceback.
func lastLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.LastIndexByte(s, '\n'); i >= 0 {
		return s[i+1:]
	}
	return s
}

// runPeer runs the PyTorch peer at one size: each pass in its own
// process (peer_pass.py, importing the network from the peers folder), with
// OpenBLAS settings meant for gradprint's own process removed so torch
// runs as its README measured.
func runPeer(ctx context.Context, python, dir string, size int, stem string, threads, batch, iters int) (PeerResult, error) {
	script, err := os.CreateTemp("", "gradprint-peer-*.py")
	if err != nil {
		return PeerResult{}, fmt.Errorf("peer script: %w", err)
	}
	defer os.Remove(script.Name())
	if _, err := script.Write(peerPassScript); err != nil {
		script.Close()
		return PeerResult{}, fmt.Errorf("peer script: %w", err)
	}
	if err := script.Close(); err != nil {
		return PeerResult{}, fmt.Errorf("peer script: %w", err)
	}
	var pr PeerResult
	for _, pass := range []string{passTrain, passSaliency} {
		pp, err := runPeerPass(ctx, python, script.Name(), dir, size, stem, threads, batch, pass, iters)
		if err != nil {
			return PeerResult{}, err
		}
		pr.Version, pr.Threads, pr.Size, pr.Stem, pr.Batch = pp.Version, pp.Threads, pp.Size, pp.Stem, pp.Batch
		if pass == passTrain {
			pr.TrainMs, pr.TrainMedianMs, pr.TrainRSSBytes = pp.BestMs, pp.MedianMs, pp.PeakRSSBytes
		} else {
			pr.SaliencyMs, pr.SaliencyMedianMs, pr.SaliencyRSSBytes, pr.ThesisMs = pp.BestMs, pp.MedianMs, pp.PeakRSSBytes, pp.ThesisMs
		}
	}
	return pr, nil
}

// runPeerPass runs one pass of the peer, which reports its own peak RSS.
func runPeerPass(ctx context.Context, python, script, dir string, size int, stem string, threads, batch int, pass string, iters int) (peerPass, error) {
	c := exec.CommandContext(ctx, python, script, dir, strconv.Itoa(size), stem, strconv.Itoa(threads),
		strconv.Itoa(batch), pass, strconv.Itoa(warmup), strconv.Itoa(iters))
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "OPENBLAS_") {
			c.Env = append(c.Env, kv)
		}
	}
	var stderr strings.Builder
	c.Stderr = &stderr
	out, err := c.Output()
	if err != nil {
		return peerPass{}, fmt.Errorf("%s peer %s pass: %w: %s", python, pass, err, lastLine(stderr.String()))
	}
	pp, err := parsePeerPass(string(out))
	if err != nil {
		return pp, err
	}
	if pp.Size != size || pp.Pass != pass || pp.Stem != stem || pp.Batch != batch {
		return pp, fmt.Errorf("peer reported size %d, stem %s, batch %d, pass %s; asked for %d, %s, %d, %s",
			pp.Size, pp.Stem, pp.Batch, pp.Pass, size, stem, batch, pass)
	}
	return pp, nil
}

// parsePeerPass reads the line peer_pass.py prints: the first line starting
// "peer-pass ", whose key=value fields must all be present, integers
// positive and times positive (thesis may be 0: only the saliency pass
// measures it; rss, in KiB, may be 0: unknown). Other lines (warnings) are
// ignored.
func parsePeerPass(out string) (peerPass, error) {
	for _, line := range strings.Split(out, "\n") {
		line = strings.TrimSpace(line)
		rest, ok := strings.CutPrefix(line, "peer-pass ")
		if !ok {
			continue
		}
		kv := map[string]string{}
		for _, f := range strings.Fields(rest) {
			k, v, ok := strings.Cut(f, "=")
			if !ok {
				return peerPass{}, fmt.Errorf("peer output line %q: field %q is not key=value", line, f)
			}
			kv[k] = v
		}
		pp := peerPass{Version: kv["torch"], Stem: kv["stem"], Pass: kv["pass"]}
		if pp.Version == "" || pp.Stem == "" || pp.Pass == "" {
			return peerPass{}, fmt.Errorf("peer output line %q: want torch=, stem= and pass=", line)
		}
		for k, dst := range map[string]*int{"threads": &pp.Threads, "size": &pp.Size, "batch": &pp.Batch} {
			v, err := strconv.Atoi(kv[k])
			if err != nil || v < 1 {
				return peerPass{}, fmt.Errorf("peer output line %q: %s=%q is not a positive integer", line, k, kv[k])
			}
			*dst = v
		}
		for k, dst := range map[string]*float64{"best": &pp.BestMs, "median": &pp.MedianMs, "thesis": &pp.ThesisMs} {
			v, err := strconv.ParseFloat(kv[k], 64)
			if err != nil || v < 0 || (k != "thesis" && v == 0) || math.IsInf(v, 0) {
				return peerPass{}, fmt.Errorf("peer output line %q: %s=%q is not a positive time", line, k, kv[k])
			}
			*dst = v
		}
		kib, err := strconv.ParseInt(kv["rss"], 10, 64)
		if err != nil || kib < 0 || kib > 1<<40 {
			return peerPass{}, fmt.Errorf("peer output line %q: rss=%q is not a size in KiB", line, kv["rss"])
		}
		pp.PeakRSSBytes = kib << 10
		return pp, nil
	}
	return peerPass{}, fmt.Errorf("no \"peer-pass ...\" line in peer output %q", strings.TrimSpace(out))
}
