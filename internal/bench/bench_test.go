package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gradprint/gradprint/compute/resnet"
)

func TestParseVmHWM(t *testing.T) {
	status := "Name:\tgradprint\nVmPeak:\t 2000000 kB\nVmSize:\t 1900000 kB\nVmHWM:\t  524288 kB\nVmRSS:\t  400000 kB\n"
	got, err := parseVmHWM(strings.NewReader(status))
	if err != nil {
		t.Fatal(err)
	}
	if want := int64(524288 * 1024); got != want {
		t.Errorf("VmHWM = %d bytes, want %d", got, want)
	}
	for name, bad := range map[string]string{
		"missing":  "Name:\tx\nVmRSS:\t 10 kB\n",
		"unit":     "VmHWM:\t 10 MB\n",
		"negative": "VmHWM:\t -10 kB\n",
		"garbage":  "VmHWM:\t ten kB\n",
		"overflow": "VmHWM:\t 9223372036854775807 kB\n",
	} {
		if _, err := parseVmHWM(strings.NewReader(bad)); err == nil {
			t.Errorf("%s: parsed %q without error", name, bad)
		}
	}
}

func TestReadPeakRSSOnLinux(t *testing.T) {
	if _, err := os.Stat("/proc/self/status"); err != nil {
		t.Skipf("no /proc/self/status (%v): not Linux", err)
	}
	rss, err := readPeakRSS()
	if err != nil {
		t.Fatal(err)
	}
	// A running Go test binary holds at least a megabyte resident.
	if rss < 1<<20 {
		t.Errorf("peak RSS %d bytes, implausibly small", rss)
	}
}

// touch allocates n bytes and writes every page, so they count as resident,
// then drops them.
func touch(n int) byte {
	b := make([]byte, n)
	for i := 0; i < n; i += 4096 {
		b[i] = byte(i)
	}
	return b[n/2]
}

// The harness's per-pass memory figures rely on clear_refs lowering VmHWM.
func TestResetPeakRSSLowersHighWaterMark(t *testing.T) {
	const big = 128 << 20
	_ = touch(big)
	before, err := readPeakRSS()
	if err != nil {
		t.Skipf("cannot read VmHWM (%v): not Linux", err)
	}
	runtime.GC()
	debug.FreeOSMemory()
	if err := resetPeakRSS(); err != nil {
		t.Skipf("cannot write /proc/self/clear_refs (%v): kernel before 4.0 or restricted /proc", err)
	}
	after, err := readPeakRSS()
	if err != nil {
		t.Fatal(err)
	}
	if before < big || after > before-big/2 {
		t.Errorf("VmHWM %d MiB after touching %d MiB, %d MiB after reset: want the reset to drop it by half that",
			before>>20, big>>20, after>>20)
	}
}

func TestParseLoadAvg(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"linux", "0.50 0.60 0.70 1/234 5678\n", "0.50 0.60 0.70"},
		{"three fields only", "1.00 2.00 3.00", "1.00 2.00 3.00"},
		{"empty", "", ""},
		{"two fields", "0.50 0.60\n", ""},
		{"not numbers", "a b c 1/2 3\n", ""},
		{"negative", "-1 0.60 0.70 1/2 3\n", ""},
	}
	for _, tc := range tests {
		if got := parseLoadAvg(tc.in); got != tc.want {
			t.Errorf("%s: parseLoadAvg(%q) = %q, want %q", tc.name, tc.in, got, tc.want)
		}
	}
}

func TestLoadAvgOnLinux(t *testing.T) {
	if _, err := os.Stat("/proc/loadavg"); err != nil {
		t.Skipf("no /proc/loadavg (%v): not Linux", err)
	}
	if got := loadAvg(); len(strings.Fields(got)) != 3 {
		t.Errorf("loadAvg() = %q, want three load averages", got)
	}
}

func TestCPUSecondsAdvances(t *testing.T) {
	c0 := cpuSeconds()
	x := 0.0
	for i := range 20_000_000 {
		x += math.Sqrt(float64(i))
	}
	if c1 := cpuSeconds(); !(c1 > c0) {
		t.Errorf("CPU time %v then %v after a busy loop (sum %g): want it to grow", c0, c1, x)
	}
}

const peerSample = `/usr/lib/python3/dist-packages/torch/x.py:1: UserWarning: something
torch 1.13.0a0 threads=2 size=64 stem=small batch=32: train 163.2 ms/img | saliency pass (8 layers, 1 backward) 108.4 ms/img | thesis-style 8 fwd+bwd at batch 1 928.0 ms per input
`

func TestParsePeerOutput(t *testing.T) {
	got, err := parsePeerOutput(peerSample)
	if err != nil {
		t.Fatal(err)
	}
	want := PeerResult{Version: "1.13.0a0", Threads: 2, Size: 64, Stem: "small", Batch: 32,
		TrainMs: 163.2, SaliencyMs: 108.4, ThesisMs: 928}
	if got != want {
		t.Errorf("parsed %+v, want %+v", got, want)
	}
	bad := func(old, new string) string { return strings.Replace(peerSample, old, new, 1) }
	tests := []struct {
		name, out string
		errHas    string // a piece of the error message
	}{
		{"empty", "", "no \"torch ...\" summary line"},
		{"no torch", "Traceback (most recent call last):\nModuleNotFoundError: No module named 'torch'\n", "no \"torch ...\" summary line"},
		{"truncated", "torch 1.13.0a0 threads=2 size=64 stem=small batch=32: train 163.2 ms/img\n", "want \"torch V"},
		{"no version", bad("torch 1.13.0a0 ", "torch  "), "want \"torch V"},
		{"threads word", bad("threads=2", "threads=two"), "want \"torch V"},
		{"threads zero", bad("threads=2", "threads=0"), `"0" is not a positive integer`},
		{"threads overflow", bad("threads=2", "threads=99999999999999999999"), `"99999999999999999999" is not a positive integer`},
		{"size word", bad("size=64", "size=x64"), "want \"torch V"},
		{"size zero", bad("size=64", "size=0"), `"0" is not a positive integer`},
		{"stem punctuation", bad("stem=small", "stem=sm-all"), "want \"torch V"},
		{"batch zero", bad("batch=32", "batch=0"), `"0" is not a positive integer`},
		{"train zero", bad("train 163.2", "train 0.0"), `"0.0" is not a positive time`},
		{"train two dots", bad("train 163.2", "train 1.6.3"), `"1.6.3" is not a positive time`},
		{"saliency dot", bad("backward) 108.4", "backward) ."), `"." is not a positive time`},
		{"saliency missing", bad("saliency pass (8 layers, 1 backward) 108.4 ms/img", "saliency 108.4 ms/img"), "want \"torch V"},
		{"thesis zero", bad("928.0 ms per input", "0 ms per input"), `"0" is not a positive time`},
		{"thesis unit", bad("928.0 ms per input", "928.0 s per input"), "want \"torch V"},
	}
	for _, tc := range tests {
		_, err := parsePeerOutput(tc.out)
		if err == nil {
			t.Errorf("%s: parsed without error", tc.name)
			continue
		}
		if !strings.Contains(err.Error(), tc.errHas) {
			t.Errorf("%s: error %q lacks %q", tc.name, err, tc.errHas)
		}
	}
}

func TestParsePeerRunChecksSize(t *testing.T) {
	if pr, err := parsePeerRun(peerSample, 64); err != nil || pr.Size != 64 {
		t.Errorf("size 64 asked and reported: %+v, %v", pr, err)
	}
	_, err := parsePeerRun(peerSample, 28)
	if err == nil || !strings.Contains(err.Error(), "size 64") || !strings.Contains(err.Error(), "asked for 28") {
		t.Errorf("size 28 asked, 64 reported: error %v, want one naming both", err)
	}
	if _, err := parsePeerRun("", 28); err == nil {
		t.Error("empty output accepted")
	}
}

func TestBestAndMedian(t *testing.T) {
	tests := []struct {
		xs           []float64
		best, median float64
	}{
		{[]float64{30, 10, 20, 50}, 10, 25},
		{[]float64{7, 3, 5}, 3, 5},
		{[]float64{4}, 4, 4},
		{nil, 0, 0},
	}
	for _, tc := range tests {
		in := slices.Clone(tc.xs)
		b, m := bestMedian(in)
		if b != tc.best || m != tc.median {
			t.Errorf("bestMedian(%v) = %v, %v; want %v, %v", tc.xs, b, m, tc.best, tc.median)
		}
		if !slices.Equal(in, tc.xs) {
			t.Errorf("bestMedian reordered its input: %v, was %v", in, tc.xs)
		}
	}
}

func sampleReport() *Report {
	return &Report{
		Date: time.Date(2026, 11, 25, 22, 40, 0, 0, time.UTC), GoVersion: "go1.26.0", GOOS: "linux", GOARCH: "amd64",
		GOMAXPROCS: 2, Backend: "openblas", Seed: 1, Batch: 32, Iters: 5, Warmup: 2,
		PeakGFLOPS: 200, PeakSize: 512, LoadStart: "0.50 0.60 0.70", LoadEnd: "1.90 1.00 0.80",
		RSSPerPass: true, ProcessRSS: 900 << 20, PeerRequired: true,
		Rows: []Row{
			{Size: 28, Pass: "train", MsPerImg: 25, MedianMs: 26, CPUMsPerImg: 48, GFLOPS: 110, OfPeak: 0.55, PeakRSSBytes: 300 << 20},
			{Size: 28, Pass: "saliency", MsPerImg: 15, MedianMs: 15.5, CPUMsPerImg: 29, GFLOPS: 60, OfPeak: 0.3},
		},
		Peer: []PeerResult{{Version: "1.13.0a0", Threads: 2, Size: 28, Stem: "small", Batch: 32, TrainMs: 31.25, SaliencyMs: 20, ThesisMs: 769}},
	}
}

func TestAttachPeerRatios(t *testing.T) {
	rep := sampleReport()
	// A row of a size the peer did not run keeps no torch figures.
	rep.Rows = append(rep.Rows, Row{Size: 64, Pass: "train", MsPerImg: 90})
	attachPeer(rep)
	if r := rep.Rows[0]; r.TorchMs != 31.25 || math.Abs(r.RatioToTorch-0.8) > 1e-12 {
		t.Errorf("train row: torch %v ratio %v, want 31.25 and 0.8", r.TorchMs, r.RatioToTorch)
	}
	if r := rep.Rows[1]; r.TorchMs != 20 || math.Abs(r.RatioToTorch-0.75) > 1e-12 {
		t.Errorf("saliency row: torch %v ratio %v, want 20 and 0.75", r.TorchMs, r.RatioToTorch)
	}
	if r := rep.Rows[2]; r.TorchMs != 0 || r.RatioToTorch != 0 {
		t.Errorf("64 px row without a peer run: torch %v ratio %v, want none", r.TorchMs, r.RatioToTorch)
	}
}

func TestBenchTable(t *testing.T) {
	rep := sampleReport()
	attachPeer(rep)
	var buf bytes.Buffer
	if err := WriteTable(&buf, rep); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	lines := strings.Split(out, "\n")
	var header, train, sal string
	for _, l := range lines {
		f := strings.Fields(l)
		switch {
		case len(f) > 0 && f[0] == "SIZE":
			header = l
		case len(f) > 2 && f[0] == "28" && f[2] == "train":
			train = l
		case len(f) > 2 && f[0] == "28" && f[2] == "saliency":
			sal = l
		}
	}
	if header == "" || train == "" || sal == "" {
		t.Fatalf("table lacks header or rows:\n%s", out)
	}
	for _, want := range []string{"TORCH MS/IMG", "GP/TORCH", "PEAK RSS"} {
		if !strings.Contains(header, want) {
			t.Errorf("header lacks %q: %q", want, header)
		}
	}
	if got, want := strings.Fields(train), []string{"28", "px", "train", "25.0", "26.0", "48.0", "110.0", "0.55", "300", "MiB", "31.2", "0.80"}; !slices.Equal(got, want) {
		t.Errorf("train row %q, want fields %q", got, want)
	}
	// Unknown RSS prints n/a, never 0.
	if got, want := strings.Fields(sal), []string{"28", "px", "saliency", "15.0", "15.5", "29.0", "60.0", "0.30", "n/a", "20.0", "0.75"}; !slices.Equal(got, want) {
		t.Errorf("saliency row %q, want fields %q", got, want)
	}
	// Columns line up: right-aligned cells end at the same offsets.
	if len(train) != len(header) || len(sal) != len(header) {
		t.Errorf("ragged table: header %d, rows %d and %d characters\n%s", len(header), len(train), len(sal), out)
	}
	for _, want := range []string{"sgemm peak: 200.0 GFLOPS (512x512)", "start 0.50 0.60 0.70, end 1.90 1.00 0.80",
		"whole process: 900 MiB", "PyTorch 1.13.0a0, threads=2", "28 px 769 ms"} {
		if !strings.Contains(out, want) {
			t.Errorf("table lacks %q:\n%s", want, out)
		}
	}
}

func TestBenchTableWithoutPeer(t *testing.T) {
	rep := sampleReport()
	rep.Peer = nil
	rep.PeerNote = "/usr/bin/python3 cannot import torch"
	var buf bytes.Buffer
	if err := WriteTable(&buf, rep); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	if strings.Contains(out, "TORCH") {
		t.Errorf("table without peer figures has torch columns:\n%s", out)
	}
	if !strings.Contains(out, "peer: /usr/bin/python3 cannot import torch") {
		t.Errorf("table does not say why the peer is missing:\n%s", out)
	}
}

// The golden texts were printed by cmd/gradprint's writeBenchTable before
// the move; the table is read by people and scripts alike, so it must not
// drift by a space.
func TestBenchTableGolden(t *testing.T) {
	tests := []struct {
		name   string
		report func() *Report
		want   string
	}{
		{"with peer", func() *Report { r := sampleReport(); attachPeer(r); return r }, tableWithPeer},
		{"peer unavailable", func() *Report {
			r := sampleReport()
			r.Peer, r.PeerNote, r.RSSPerPass = nil, "/usr/bin/python3 cannot import torch", false
			return r
		}, tableWithoutPeer},
		{"peer not requested", func() *Report {
			r := sampleReport()
			r.Peer, r.PeerRequired, r.LoadEnd = nil, false, ""
			return r
		}, tableNotRequested},
	}
	for _, tc := range tests {
		var buf bytes.Buffer
		if err := WriteTable(&buf, tc.report()); err != nil {
			t.Fatal(err)
		}
		if got := buf.String(); got != tc.want {
			t.Errorf("%s: table\n%s\nwant\n%s", tc.name, got, tc.want)
		}
	}
}

func TestBenchReportJSON(t *testing.T) {
	rep := sampleReport()
	attachPeer(rep)
	b, err := json.Marshal(rep)
	if err != nil {
		t.Fatal(err)
	}
	var back struct {
		Peak float64 `json:"sgemm_peak_gflops"`
		Rows []struct {
			Pass  string  `json:"pass"`
			Ratio float64 `json:"ratio_to_torch"`
			RSS   *int64  `json:"peak_rss_bytes"`
		} `json:"rows"`
	}
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	if back.Peak != 200 || len(back.Rows) != 2 || back.Rows[0].Ratio != 0.8 {
		t.Errorf("JSON round trip lost fields: %s", b)
	}
	if back.Rows[1].RSS != nil {
		t.Errorf("unknown RSS should be omitted from JSON, got %d", *back.Rows[1].RSS)
	}
}

// keys returns the sorted keys of a JSON object.
func keys(t *testing.T, raw json.RawMessage) []string {
	t.Helper()
	var m map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatal(err)
	}
	var ks []string
	for k := range m {
		ks = append(ks, k)
	}
	slices.Sort(ks)
	return ks
}

// The --json output is a published format: every key, as before the move.
func TestBenchReportJSONKeys(t *testing.T) {
	rep := sampleReport()
	attachPeer(rep)
	rep.PeerNote = "note"
	rep.Rows[1].PeakRSSBytes = 1
	b, err := json.Marshal(rep)
	if err != nil {
		t.Fatal(err)
	}
	var top struct {
		Rows []json.RawMessage `json:"rows"`
		Peer []json.RawMessage `json:"peer"`
	}
	if err := json.Unmarshal(b, &top); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		raw  json.RawMessage
		want []string
	}{
		{"report", b, []string{"batch", "cpu", "date", "gemm_backend", "gemm_core", "gemm_library", "go_version", "goarch", "gomaxprocs", "goos", "iters",
			"load_avg_end", "load_avg_start", "peer", "peer_note", "peer_requested", "process_peak_rss_bytes", "rows",
			"rss_per_pass", "seed", "sgemm_peak_gflops", "sgemm_peak_size", "warmup"}},
		{"row", top.Rows[0], []string{"cpu_ms_per_img", "flops_per_img", "gflops", "median_ms_per_img", "ms_per_img",
			"of_peak", "pass", "peak_rss_bytes", "ratio_to_torch", "size", "torch_ms_per_img"}},
		{"peer", top.Peer[0], []string{"batch", "saliency_ms_per_img", "size", "stem", "thesis_style_ms_per_input",
			"threads", "train_ms_per_img", "version"}},
	}
	for _, tc := range tests {
		if got := keys(t, tc.raw); !slices.Equal(got, tc.want) {
			t.Errorf("%s JSON keys %q, want %q", tc.name, got, tc.want)
		}
	}
}

func TestOptionsValidate(t *testing.T) {
	ok := Options{Sizes: []int{8, 28, 64, 512}, Batch: 2, Iters: 1}
	if err := ok.Validate(); err != nil {
		t.Errorf("valid options rejected: %v", err)
	}
	tests := []struct {
		name string
		o    Options
		flag string // the flag the error must name
	}{
		{"no sizes", Options{Batch: 32, Iters: 5}, "--sizes"},
		{"tiny", Options{Sizes: []int{4}, Batch: 32, Iters: 5}, "--sizes: 4 px"},
		{"huge", Options{Sizes: []int{28, 513}, Batch: 32, Iters: 5}, "--sizes: 513 px"},
		{"batch 1", Options{Sizes: []int{28}, Batch: 1, Iters: 5}, "--batch: 1"},
		{"iters 0", Options{Sizes: []int{28}, Batch: 32, Iters: 0}, "--iters: 0"},
	}
	for _, tc := range tests {
		err := tc.o.Validate()
		if err == nil {
			t.Errorf("%s: accepted", tc.name)
			continue
		}
		if !strings.HasPrefix(err.Error(), tc.flag) {
			t.Errorf("%s: error %q, want it to start with %q", tc.name, err, tc.flag)
		}
	}
}

// fakePeer writes a stand-in for python3 and the peer script into a fresh
// folder, points GRADPRINT_SHARED_PEERS at it and returns the interpreter.
// The interpreter passes "-c import torch" and runs the script with /bin/sh;
// the script prints line, with $1 the size and $2 the stem, after a warning,
// and fails if any OPENBLAS_ variable reached it.
func fakePeer(t *testing.T, line string) string {
	t.Helper()
	if _, err := os.Stat("/bin/sh"); err != nil {
		t.Skipf("no /bin/sh (%v) to run a stand-in peer", err)
	}
	dir := t.TempDir()
	python := filepath.Join(dir, "python3")
	py := "#!/bin/sh\nif [ \"$1\" = -c ]; then exit 0; fi\nexec /bin/sh \"$@\"\n"
	script := "if env | grep -q '^OPENBLAS_'; then echo 'OPENBLAS_ leaked into the peer' >&2; exit 3; fi\n" +
		"echo 'UserWarning: something'\necho \"" + line + "\"\n"
	if err := os.WriteFile(python, []byte(py), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, peerScript), []byte(script), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Setenv(peersEnv, dir)
	t.Setenv("OPENBLAS_TEST_LEAK", "1")
	return python
}

const fakeLine = "torch 9.9 threads=$3 size=$1 stem=$2 batch=32: train 10.0 ms/img | " +
	"saliency pass (8 layers, 1 backward) 5.0 ms/img | thesis-style 8 fwd+bwd at batch 1 40.0 ms per input"

func TestRunPeerStandIn(t *testing.T) {
	python := fakePeer(t, fakeLine)
	dir, why := findPeer(python)
	if dir == "" {
		t.Fatalf("stand-in peer not found: %s", why)
	}
	got, err := runPeer(context.Background(), python, dir, 28, 3)
	if err != nil {
		t.Fatal(err)
	}
	want := PeerResult{Version: "9.9", Threads: 3, Size: 28, Stem: "small", Batch: 32, TrainMs: 10, SaliencyMs: 5, ThesisMs: 40}
	if got != want {
		t.Errorf("peer result %+v, want %+v", got, want)
	}
}

func TestFindPeerSaysWhy(t *testing.T) {
	sh := "/bin/sh"
	if _, err := os.Stat(sh); err != nil {
		t.Skipf("no %s (%v) to stand in for python", sh, err)
	}
	noTorch := filepath.Join(t.TempDir(), "python3")
	if err := os.WriteFile(noTorch, []byte("#!/bin/sh\necho Traceback >&2\necho \"ModuleNotFoundError: No module named 'torch'\" >&2\nexit 1\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	withScript := t.TempDir()
	if err := os.WriteFile(filepath.Join(withScript, peerScript), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, peers, python string
		why                 []string
	}{
		{"not a folder", filepath.Join(withScript, "absent"), noTorch, []string{peersEnv}},
		{"no script", t.TempDir(), noTorch, []string{peerScript, "not found in"}},
		{"no python", withScript, filepath.Join(withScript, "python3"), []string{"python3 not found"}},
		{"no torch", withScript, noTorch, []string{"cannot import torch", "No module named 'torch'"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv(peersEnv, tc.peers)
			dir, why := findPeer(tc.python)
			if dir != "" {
				t.Fatalf("found peer in %s, want a reason not to", dir)
			}
			for _, w := range tc.why {
				if !strings.Contains(why, w) {
					t.Errorf("reason %q lacks %q", why, w)
				}
			}
		})
	}
}

// tiny is a harness fast enough for a unit test: the figures are
// meaningless, the wiring is what is checked.
var tiny = harness{peakSize: 32, peakMinTime: time.Millisecond}

func TestRunSmallest(t *testing.T) {
	h := tiny
	h.python = fakePeer(t, fakeLine)
	o := Options{Sizes: []int{8}, Batch: 2, Iters: 2, Peer: true, Seed: 7}
	rep, err := h.run(context.Background(), o, nil)
	if err != nil {
		t.Fatal(err)
	}
	m, err := resnet.New(resnet.MedMNISTConfig(1, 2), o.Seed)
	if err != nil {
		t.Fatal(err)
	}
	fl, err := m.CountFLOPs(8, 8, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Rows) != 2 || rep.Rows[0].Pass != "train" || rep.Rows[1].Pass != "saliency" {
		t.Fatalf("rows %+v, want a train and a saliency row", rep.Rows)
	}
	for i, wantFLOPs := range []float64{fl.Train, fl.Saliency} {
		r := rep.Rows[i]
		if r.Size != 8 || r.FLOPsPerImg != wantFLOPs || !(r.MsPerImg > 0) || r.MedianMs < r.MsPerImg {
			t.Errorf("%s row %+v: want size 8, %g FLOPs, best time > 0 and <= median", r.Pass, r, wantFLOPs)
		}
		if r.TorchMs == 0 || math.Abs(r.RatioToTorch-r.MsPerImg/r.TorchMs) > 1e-12 {
			t.Errorf("%s row: torch %v ratio %v, want the stand-in peer's figures attached", r.Pass, r.TorchMs, r.RatioToTorch)
		}
	}
	if rep.Rows[0].TorchMs != 10 || rep.Rows[1].TorchMs != 5 {
		t.Errorf("torch ms %v and %v, want 10 and 5", rep.Rows[0].TorchMs, rep.Rows[1].TorchMs)
	}
	if rep.Seed != 7 || rep.Batch != 2 || rep.Iters != 2 || rep.Warmup != warmup || rep.PeakSize != 32 || !rep.PeerRequired {
		t.Errorf("report header %+v does not echo the options", rep)
	}
	if len(rep.Peer) != 1 || rep.PeerNote != "" || !(rep.PeakGFLOPS > 0) {
		t.Errorf("peer %+v note %q peak %v: want one peer result, no note, a positive peak", rep.Peer, rep.PeerNote, rep.PeakGFLOPS)
	}
}

// A failing peer leaves a note and no figures, and tells run to stop asking
// it; run's own rows are untouched (TestRunSmallest covers their making).
func TestAddPeerFailureLeavesNote(t *testing.T) {
	tests := []struct {
		name, line string
		note       []string
	}{
		{"other size", strings.Replace(fakeLine, "size=$1", "size=99", 1), []string{"peer failed at 8 px", "size 99", "asked for 8"}},
		{"garbled", "torch 9.9 broke", []string{"peer failed at 8 px", "torch 9.9 broke"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := tiny
			h.python = fakePeer(t, tc.line)
			dir, why := findPeer(h.python)
			if dir == "" {
				t.Fatalf("stand-in peer not found: %s", why)
			}
			rep := &Report{Batch: 2, GOMAXPROCS: 2, Rows: []Row{{Size: 8, Pass: "train", MsPerImg: 1}}}
			ok, err := h.addPeer(context.Background(), rep, dir, 8, slog.New(slog.DiscardHandler))
			if err != nil || ok {
				t.Fatalf("addPeer = %v, %v; want false, nil", ok, err)
			}
			if len(rep.Peer) != 0 {
				t.Errorf("peer results %+v from a failed peer", rep.Peer)
			}
			for _, w := range tc.note {
				if !strings.Contains(rep.PeerNote, w) {
					t.Errorf("peer note %q lacks %q", rep.PeerNote, w)
				}
			}
		})
	}
}

func TestRunStops(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := tiny.run(ctx, Options{Sizes: []int{8}, Batch: 2, Iters: 1}, nil); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled run: error %v, want context.Canceled", err)
	}
	// Run validates before measuring anything (the sgemm peak alone takes a second).
	if _, err := Run(context.Background(), Options{Sizes: []int{8}, Batch: 1, Iters: 1}, nil); err == nil || !strings.HasPrefix(err.Error(), "--batch") {
		t.Errorf("batch 1: error %v, want one naming --batch", err)
	}
}

const tableWithPeer = `gradprint bench  2026-11-25 22:40 UTC  go1.26.0 linux/amd64  GOMAXPROCS=2  gemm=openblas  seed=1
ResNet18 full width, small stem, 1 channel, 2 classes, batch 32; best (and median) of 5 steps after 2 warm-up
sgemm peak: 200.0 GFLOPS (512x512)
load average (1/5/15 min): start 0.50 0.60 0.70, end 1.90 1.00 0.80

   SIZE      PASS  MS/IMG  MEDIAN  CPU MS/IMG  GFLOPS  OF PEAK  PEAK RSS  TORCH MS/IMG  GP/TORCH
  28 px     train    25.0    26.0        48.0   110.0     0.55   300 MiB          31.2      0.80
  28 px  saliency    15.0    15.5        29.0    60.0     0.30       n/a          20.0      0.75

peak RSS: each pass's own (high-water mark reset before it); whole process: 900 MiB
GFLOPS count convolution and linear multiply-adds only (CountFLOPs); OF PEAK = GFLOPS / sgemm peak
peer: PyTorch 1.13.0a0, threads=2, batch 32, best of 3 steps; GP/TORCH < 1 means gradprint is faster
peer thesis-style (8 forward+backward per input, batch 1): 28 px 769 ms per input
`

const tableWithoutPeer = `gradprint bench  2026-11-25 22:40 UTC  go1.26.0 linux/amd64  GOMAXPROCS=2  gemm=openblas  seed=1
ResNet18 full width, small stem, 1 channel, 2 classes, batch 32; best (and median) of 5 steps after 2 warm-up
sgemm peak: 200.0 GFLOPS (512x512)
load average (1/5/15 min): start 0.50 0.60 0.70, end 1.90 1.00 0.80

   SIZE      PASS  MS/IMG  MEDIAN  CPU MS/IMG  GFLOPS  OF PEAK  PEAK RSS
  28 px     train    25.0    26.0        48.0   110.0     0.55   300 MiB
  28 px  saliency    15.0    15.5        29.0    60.0     0.30       n/a

peak RSS: the process's so far (could not reset the high-water mark); whole process: 900 MiB
GFLOPS count convolution and linear multiply-adds only (CountFLOPs); OF PEAK = GFLOPS / sgemm peak
peer: /usr/bin/python3 cannot import torch
`

const tableNotRequested = `gradprint bench  2026-11-25 22:40 UTC  go1.26.0 linux/amd64  GOMAXPROCS=2  gemm=openblas  seed=1
ResNet18 full width, small stem, 1 channel, 2 classes, batch 32; best (and median) of 5 steps after 2 warm-up
sgemm peak: 200.0 GFLOPS (512x512)
load average (1/5/15 min): start 0.50 0.60 0.70, end n/a

   SIZE      PASS  MS/IMG  MEDIAN  CPU MS/IMG  GFLOPS  OF PEAK  PEAK RSS
  28 px     train    25.0    26.0        48.0   110.0     0.55   300 MiB
  28 px  saliency    15.0    15.5        29.0    60.0     0.30       n/a

peak RSS: each pass's own (high-water mark reset before it); whole process: 900 MiB
GFLOPS count convolution and linear multiply-adds only (CountFLOPs); OF PEAK = GFLOPS / sgemm peak
peer: not run (add --peer)
`
