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
peer-pass torch=1.13.0a0 threads=2 size=64 stem=small batch=32 pass=saliency best=37.612 median=39.004 thesis=298.4 rss=1740800
`

func TestParsePeerPass(t *testing.T) {
	got, err := parsePeerPass(peerSample)
	if err != nil {
		t.Fatal(err)
	}
	want := peerPass{Version: "1.13.0a0", Threads: 2, Size: 64, Stem: "small", Batch: 32, Pass: "saliency",
		BestMs: 37.612, MedianMs: 39.004, ThesisMs: 298.4, PeakRSSBytes: 1700 << 20}
	if got != want {
		t.Errorf("parsed %+v, want %+v", got, want)
	}
	bad := func(old, new string) string { return strings.Replace(peerSample, old, new, 1) }
	tests := []struct {
		name, out string
		errHas    string // a piece of the error message
	}{
		{"empty", "", `no "peer-pass ..." line`},
		{"no torch", "Traceback (most recent call last):\nModuleNotFoundError: No module named 'torch'\n", `no "peer-pass ..." line`},
		{"no version", bad("torch=1.13.0a0 ", ""), "want torch=, stem= and pass="},
		{"no pass", bad(" pass=saliency", ""), "want torch=, stem= and pass="},
		{"bare word", bad("threads=2", "threads"), `field "threads" is not key=value`},
		{"threads word", bad("threads=2", "threads=two"), `threads="two" is not a positive integer`},
		{"threads zero", bad("threads=2", "threads=0"), `threads="0" is not a positive integer`},
		{"threads overflow", bad("threads=2", "threads=99999999999999999999"), "is not a positive integer"},
		{"size missing", bad("size=64 ", ""), `size="" is not a positive integer`},
		{"batch zero", bad("batch=32", "batch=0"), `batch="0" is not a positive integer`},
		{"best zero", bad("best=37.612", "best=0.000"), `best="0.000" is not a positive time`},
		{"best two dots", bad("best=37.612", "best=3.7.6"), `best="3.7.6" is not a positive time`},
		{"median missing", bad(" median=39.004", ""), `median="" is not a positive time`},
		{"median inf", bad("median=39.004", "median=inf"), `median="inf" is not a positive time`},
		{"thesis negative", bad("thesis=298.4", "thesis=-1"), `thesis="-1" is not a positive time`},
		{"rss missing", bad(" rss=1740800", ""), `rss="" is not a size in KiB`},
		{"rss word", bad("rss=1740800", "rss=1.7G"), `rss="1.7G" is not a size in KiB`},
	}
	for _, tc := range tests {
		_, err := parsePeerPass(tc.out)
		if err == nil {
			t.Errorf("%s: parsed without error", tc.name)
			continue
		}
		if !strings.Contains(err.Error(), tc.errHas) {
			t.Errorf("%s: error %q lacks %q", tc.name, err, tc.errHas)
		}
	}
	// The training pass measures no thesis style: 0 is accepted there.
	if pp, err := parsePeerPass(bad("thesis=298.4", "thesis=0.0")); err != nil || pp.ThesisMs != 0 {
		t.Errorf("thesis=0.0: %+v, %v", pp, err)
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
			{Size: 28, Pass: "train", Stem: "small", MsPerImg: 25, MedianMs: 26, CPUMsPerImg: 48, GFLOPS: 110, OfPeak: 0.55, PeakRSSBytes: 300 << 20},
			{Size: 28, Pass: "saliency", Stem: "small", MsPerImg: 15, MedianMs: 15.5, CPUMsPerImg: 29, GFLOPS: 60, OfPeak: 0.3},
		},
		Peer: []PeerResult{{Version: "1.13.0a0", Threads: 2, Size: 28, Stem: "small", Batch: 32, TrainMs: 31.25, SaliencyMs: 20, ThesisMs: 769,
			TrainMedianMs: 32.5, SaliencyMedianMs: 21, TrainRSSBytes: 400 << 20, SaliencyRSSBytes: 350 << 20}},
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
	if r := rep.Rows[0]; math.Abs(r.MedianRatioToTorch-0.8) > 1e-12 || r.TorchRSSBytes != 400<<20 || math.Abs(r.MemRatioToTorch-0.75) > 1e-12 {
		t.Errorf("train row: median ratio %v, torch RSS %d, memory ratio %v; want 0.8, 400 MiB, 0.75", r.MedianRatioToTorch, r.TorchRSSBytes, r.MemRatioToTorch)
	}
	// The saliency row's own RSS is unknown: torch's is shown, no ratio.
	if r := rep.Rows[1]; r.TorchRSSBytes != 350<<20 || r.MemRatioToTorch != 0 {
		t.Errorf("saliency row without its own RSS: torch RSS %d ratio %v, want 350 MiB and none", r.TorchRSSBytes, r.MemRatioToTorch)
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
		case len(f) > 3 && f[0] == "28" && f[3] == "train":
			train = l
		case len(f) > 3 && f[0] == "28" && f[3] == "saliency":
			sal = l
		}
	}
	if header == "" || train == "" || sal == "" {
		t.Fatalf("table lacks header or rows:\n%s", out)
	}
	for _, want := range []string{"STEM", "TORCH MS/IMG", "GP/TORCH", "PEAK RSS", "TORCH RSS", "GP/TORCH RSS"} {
		if !strings.Contains(header, want) {
			t.Errorf("header lacks %q: %q", want, header)
		}
	}
	if got, want := strings.Fields(train), []string{"28", "px", "small", "train", "25.0", "26.0", "48.0", "110.0", "0.55", "300", "MiB",
		"31.2", "32.5", "0.80", "0.80", "400", "MiB", "0.75"}; !slices.Equal(got, want) {
		t.Errorf("train row %q, want fields %q", got, want)
	}
	// Unknown RSS prints n/a, never 0.
	if got, want := strings.Fields(sal), []string{"28", "px", "small", "saliency", "15.0", "15.5", "29.0", "60.0", "0.30", "n/a",
		"20.0", "21.0", "0.75", "0.74", "350", "MiB", "n/a"}; !slices.Equal(got, want) {
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

// A forced core narrower than the CPU is named, with the one to use, under
// the cpu line; without one the table has no note.
func TestBenchTableWiderCoreNote(t *testing.T) {
	rep := sampleReport()
	rep.Core, rep.CoreType, rep.WiderCore = "Haswell", "Haswell", "SkylakeX"
	var buf bytes.Buffer
	if err := WriteTable(&buf, rep); err != nil {
		t.Fatal(err)
	}
	want := "note: OPENBLAS_CORETYPE=Haswell keeps OpenBLAS off vector units this CPU has; OPENBLAS_CORETYPE=SkylakeX uses them\n"
	if lines := strings.SplitAfter(buf.String(), "\n"); len(lines) < 3 || lines[2] != want {
		t.Errorf("third line of the table is not the note %q:\n%s", want, buf.String())
	}
	rep.WiderCore = ""
	buf.Reset()
	if err := WriteTable(&buf, rep); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(buf.String(), "note: OPENBLAS_CORETYPE") {
		t.Errorf("table without a wider core has the note:\n%s", buf.String())
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
		{"report", b, []string{"batch", "cpu", "date", "deterministic", "gemm_backend", "gemm_core", "gemm_library", "go_version", "goarch", "gomaxprocs", "goos", "iters",
			"load_avg_end", "load_avg_start", "peer", "peer_note", "peer_requested", "process_peak_rss_bytes", "rows",
			"rss_per_pass", "seed", "sgemm_peak_gflops", "sgemm_peak_size", "warmup"}},
		{"row", top.Rows[0], []string{"cpu_ms_per_img", "flops_per_img", "gflops", "median_ms_per_img", "median_ratio_to_torch",
			"mem_ratio_to_torch", "ms_per_img", "of_peak", "pass", "peak_rss_bytes", "ratio_to_torch", "size", "stem",
			"torch_median_ms_per_img", "torch_ms_per_img", "torch_peak_rss_bytes"}},
		{"peer", top.Peer[0], []string{"batch", "saliency_median_ms_per_img", "saliency_ms_per_img", "saliency_peak_rss_bytes",
			"size", "stem", "thesis_style_ms_per_input", "threads", "train_median_ms_per_img", "train_ms_per_img",
			"train_peak_rss_bytes", "version"}},
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
// The interpreter passes "-c import torch"; otherwise it checks that it was
// given peer_pass.py and the peers folder, and prints line after a warning,
// with the arguments as positional parameters: $3 size, $4 stem, $5
// threads, $6 batch, $7 pass and $b a best time of 10 (train) or 5
// (saliency) and $r a peak RSS of 2 MiB or 1 MiB (in KiB). It fails if any
// OPENBLAS_ variable reached it.
func fakePeer(t *testing.T, line string) string {
	t.Helper()
	if _, err := os.Stat("/bin/sh"); err != nil {
		t.Skipf("no /bin/sh (%v) to run a stand-in peer", err)
	}
	dir := t.TempDir()
	python := filepath.Join(dir, "python3")
	py := "#!/bin/sh\nif [ \"$1\" = -c ]; then exit 0; fi\n" +
		"if env | grep -q '^OPENBLAS_'; then echo 'OPENBLAS_ leaked into the peer' >&2; exit 3; fi\n" +
		"grep -q 'peer-pass torch=' \"$1\" || { echo \"$1 is not peer_pass.py\" >&2; exit 4; }\n" +
		"[ -f \"$2/" + peerScript + "\" ] || { echo \"no peer script in $2\" >&2; exit 5; }\n" +
		"if [ \"$7\" = train ]; then b=10.0; r=2048; else b=5.0; r=1024; fi\n" +
		"echo 'UserWarning: something'\necho \"" + line + "\"\n"
	if err := os.WriteFile(python, []byte(py), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, peerScript), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Setenv(peersEnv, dir)
	t.Setenv("OPENBLAS_TEST_LEAK", "1")
	return python
}

const fakeLine = "peer-pass torch=9.9 threads=$5 size=$3 stem=$4 batch=$6 pass=$7 best=$b median=12.0 thesis=40.0 rss=$r"

func TestRunPeerStandIn(t *testing.T) {
	python := fakePeer(t, fakeLine)
	dir, why := findPeer(python)
	if dir == "" {
		t.Fatalf("stand-in peer not found: %s", why)
	}
	got, err := runPeer(context.Background(), python, dir, 224, "imagenet", 3, 16, 4)
	if err != nil {
		t.Fatal(err)
	}
	want := PeerResult{Version: "9.9", Threads: 3, Size: 224, Stem: "imagenet", Batch: 16, TrainMs: 10, SaliencyMs: 5, ThesisMs: 40,
		TrainMedianMs: 12, SaliencyMedianMs: 12, TrainRSSBytes: 2 << 20, SaliencyRSSBytes: 1 << 20}
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
		{"other size", strings.Replace(fakeLine, "size=$3", "size=99", 1), []string{"peer failed at 8 px", "size 99", "asked for 8"}},
		{"garbled", "peer-pass torch=9.9 broke", []string{"peer failed at 8 px", "peer-pass torch=9.9 broke"}},
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

const tableWithPeer = `gradprint bench  2026-11-25 22:40 UTC  go1.26.0 linux/amd64  GOMAXPROCS=2  gemm=openblas  deterministic=false  seed=1
ResNet18 full width, 1 channel, 2 classes (small stem below 128 px, ImageNet stem from 128 px), batch 32; best (and median) of 5 steps after 2 warm-up
sgemm peak: 200.0 GFLOPS (512x512)
load average (1/5/15 min): start 0.50 0.60 0.70, end 1.90 1.00 0.80

   SIZE   STEM      PASS  MS/IMG  MEDIAN  CPU MS/IMG  GFLOPS  OF PEAK  PEAK RSS  TORCH MS/IMG  TORCH MEDIAN  GP/TORCH  GP/TORCH MEDIAN  TORCH RSS  GP/TORCH RSS
  28 px  small     train    25.0    26.0        48.0   110.0     0.55   300 MiB          31.2          32.5      0.80             0.80    400 MiB          0.75
  28 px  small  saliency    15.0    15.5        29.0    60.0     0.30       n/a          20.0          21.0      0.75             0.74    350 MiB           n/a

peak RSS: each pass's own (high-water mark reset before it); whole process: 900 MiB
GFLOPS count convolution and linear multiply-adds only (CountFLOPs); OF PEAK = GFLOPS / sgemm peak
peer: PyTorch 1.13.0a0, threads=2, batch 32, each pass in its own process, same warm-up and steps; GP/TORCH < 1 means gradprint is faster (GP/TORCH MEDIAN: of the medians), GP/TORCH RSS <= 1 that it needs no more memory
peer thesis-style (8 forward+backward per input, batch 1): 28 px 769 ms per input
`

const tableWithoutPeer = `gradprint bench  2026-11-25 22:40 UTC  go1.26.0 linux/amd64  GOMAXPROCS=2  gemm=openblas  deterministic=false  seed=1
ResNet18 full width, 1 channel, 2 classes (small stem below 128 px, ImageNet stem from 128 px), batch 32; best (and median) of 5 steps after 2 warm-up
sgemm peak: 200.0 GFLOPS (512x512)
load average (1/5/15 min): start 0.50 0.60 0.70, end 1.90 1.00 0.80

   SIZE   STEM      PASS  MS/IMG  MEDIAN  CPU MS/IMG  GFLOPS  OF PEAK  PEAK RSS
  28 px  small     train    25.0    26.0        48.0   110.0     0.55   300 MiB
  28 px  small  saliency    15.0    15.5        29.0    60.0     0.30       n/a

peak RSS: the process's so far (could not reset the high-water mark); whole process: 900 MiB
GFLOPS count convolution and linear multiply-adds only (CountFLOPs); OF PEAK = GFLOPS / sgemm peak
peer: /usr/bin/python3 cannot import torch
`

const tableNotRequested = `gradprint bench  2026-11-25 22:40 UTC  go1.26.0 linux/amd64  GOMAXPROCS=2  gemm=openblas  deterministic=false  seed=1
ResNet18 full width, 1 channel, 2 classes (small stem below 128 px, ImageNet stem from 128 px), batch 32; best (and median) of 5 steps after 2 warm-up
sgemm peak: 200.0 GFLOPS (512x512)
load average (1/5/15 min): start 0.50 0.60 0.70, end n/a

   SIZE   STEM      PASS  MS/IMG  MEDIAN  CPU MS/IMG  GFLOPS  OF PEAK  PEAK RSS
  28 px  small     train    25.0    26.0        48.0   110.0     0.55   300 MiB
  28 px  small  saliency    15.0    15.5        29.0    60.0     0.30       n/a

peak RSS: each pass's own (high-water mark reset before it); whole process: 900 MiB
GFLOPS count convolution and linear multiply-adds only (CountFLOPs); OF PEAK = GFLOPS / sgemm peak
peer: not run (add --peer)
`
