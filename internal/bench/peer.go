package bench

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"

	"github.com/gradprint/gradprint/internal/shareddata"
)

// PeerResult is the summary line of one torch_resnet_bench.py run. Times
// are per image (per input for ThesisMs), in milliseconds.
type PeerResult struct {
	Version    string  `json:"version"`
	Threads    int     `json:"threads"`
	Size       int     `json:"size"`
	Stem       string  `json:"stem"`
	Batch      int     `json:"batch"`
	TrainMs    float64 `json:"train_ms_per_img"`
	SaliencyMs float64 `json:"saliency_ms_per_img"`
	ThesisMs   float64 `json:"thesis_style_ms_per_input"`
}

// attachPeer copies the peer's figures onto the rows of the same size and
// sets their ratio gradprint / torch.
func attachPeer(rep *Report) {
	for i := range rep.Rows {
		r := &rep.Rows[i]
		for _, p := range rep.Peer {
			if p.Size != r.Size {
				continue
			}
			t := p.TrainMs
			if r.Pass == passSaliency {
				t = p.SaliencyMs
			}
			if t > 0 {
				r.TorchMs = t
				r.RatioToTorch = r.MsPerImg / t
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

// runPeer runs the PyTorch peer at one size, with OpenBLAS settings meant
// for gradprint's own process removed so torch runs as its README measured.
func runPeer(ctx context.Context, python, dir string, size, threads int) (PeerResult, error) {
	c := exec.CommandContext(ctx, python, filepath.Join(dir, peerScript), strconv.Itoa(size), "small", strconv.Itoa(threads))
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "OPENBLAS_") {
			c.Env = append(c.Env, kv)
		}
	}
	var stderr strings.Builder
	c.Stderr = &stderr
	out, err := c.Output()
	if err != nil {
		return PeerResult{}, fmt.Errorf("%s %s: %w: %s", python, peerScript, err, lastLine(stderr.String()))
	}
	return parsePeerRun(string(out), size)
}

// parsePeerRun parses the peer's output and checks it ran at the size asked,
// so its figures are never attached to rows of another size.
func parsePeerRun(out string, size int) (PeerResult, error) {
	pr, err := parsePeerOutput(out)
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

// parsePeerOutput reads the summary line torch_resnet_bench.py prints: the
// first line starting "torch ", which must then match the whole format with
// positive integers and positive times. Other lines (warnings) are ignored.
func parsePeerOutput(out string) (PeerResult, error) {
	for _, line := range strings.Split(out, "\n") {
		line = strings.TrimSpace(line)
		if !strings.HasPrefix(line, "torch ") {
			continue
		}
		m := peerLine.FindStringSubmatch(line)
		if m == nil {
			return PeerResult{}, fmt.Errorf("peer output line %q: want \"torch V threads=N size=N stem=S batch=N: train X ms/img | saliency pass (...) Y ms/img | thesis-style ... Z ms per input\"", line)
		}
		pr := PeerResult{Version: m[1], Stem: m[4]}
		ints := []*int{&pr.Threads, &pr.Size, &pr.Batch}
		for i, s := range []string{m[2], m[3], m[5]} {
			v, err := strconv.Atoi(s)
			if err != nil || v < 1 {
				return PeerResult{}, fmt.Errorf("peer output line %q: %q is not a positive integer", line, s)
			}
			*ints[i] = v
		}
		floats := []*float64{&pr.TrainMs, &pr.SaliencyMs, &pr.ThesisMs}
		for i, s := range []string{m[6], m[7], m[8]} {
			v, err := strconv.ParseFloat(s, 64)
			if err != nil || !(v > 0) {
				return PeerResult{}, fmt.Errorf("peer output line %q: %q is not a positive time", line, s)
			}
			*floats[i] = v
		}
		return pr, nil
	}
	return PeerResult{}, fmt.Errorf("no \"torch ...\" summary line in peer output %q", strings.TrimSpace(out))
}
