package main

import (
	"bytes"
	"encoding/json"
	"math"
	"os"
	"slices"
	"strings"
	"testing"
	"time"
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

const peerSample = `/usr/lib/python3/dist-packages/torch/x.py:1: UserWarning: something
torch 1.13.0a0 threads=2 size=64 stem=small batch=32: train 163.2 ms/img | saliency pass (8 layers, 1 backward) 108.4 ms/img | thesis-style 8 fwd+bwd at batch 1 928.0 ms per input
`

func TestParsePeerOutput(t *testing.T) {
	got, err := parsePeerOutput(peerSample)
	if err != nil {
		t.Fatal(err)
	}
	want := peerResult{Version: "1.13.0a0", Threads: 2, Size: 64, Stem: "small", Batch: 32,
		TrainMs: 163.2, SaliencyMs: 108.4, ThesisMs: 928}
	if got != want {
		t.Errorf("parsed %+v, want %+v", got, want)
	}
	for name, bad := range map[string]string{
		"empty":     "",
		"no torch":  "Traceback (most recent call last):\nModuleNotFoundError: No module named 'torch'\n",
		"truncated": "torch 1.13.0a0 threads=2 size=64 stem=small batch=32: train 163.2 ms/img\n",
		"zero time": strings.Replace(peerSample, "train 163.2", "train 0.0", 1),
	} {
		if _, err := parsePeerOutput(bad); err == nil {
			t.Errorf("%s: parsed without error", name)
		}
	}
}

func TestBestAndMedian(t *testing.T) {
	b, m := benchBestMedian([]float64{30, 10, 20, 50})
	if b != 10 || m != 25 {
		t.Errorf("best, median = %v, %v; want 10, 25", b, m)
	}
	b, m = benchBestMedian([]float64{7, 3, 5})
	if b != 3 || m != 5 {
		t.Errorf("best, median = %v, %v; want 3, 5", b, m)
	}
}

func sampleReport() *benchReport {
	return &benchReport{
		Date: time.Date(2026, 11, 25, 22, 40, 0, 0, time.UTC), GoVersion: "go1.26.0", GOOS: "linux", GOARCH: "amd64",
		GOMAXPROCS: 2, Backend: "openblas", Seed: 1, Batch: 32, Iters: 5, Warmup: 2,
		PeakGFLOPS: 200, PeakSize: 512, LoadStart: "0.50 0.60 0.70", LoadEnd: "1.90 1.00 0.80",
		RSSPerPass: true, ProcessRSS: 900 << 20, PeerRequired: true,
		Rows: []benchRow{
			{Size: 28, Pass: "train", MsPerImg: 25, MedianMs: 26, CPUMsPerImg: 48, GFLOPS: 110, OfPeak: 0.55, PeakRSSBytes: 300 << 20},
			{Size: 28, Pass: "saliency", MsPerImg: 15, MedianMs: 15.5, CPUMsPerImg: 29, GFLOPS: 60, OfPeak: 0.3},
		},
		Peer: []peerResult{{Version: "1.13.0a0", Threads: 2, Size: 28, Stem: "small", Batch: 32, TrainMs: 31.25, SaliencyMs: 20, ThesisMs: 769}},
	}
}

func TestAttachPeerRatios(t *testing.T) {
	rep := sampleReport()
	attachPeer(rep)
	if r := rep.Rows[0]; r.TorchMs != 31.25 || math.Abs(r.RatioToTorch-0.8) > 1e-12 {
		t.Errorf("train row: torch %v ratio %v, want 31.25 and 0.8", r.TorchMs, r.RatioToTorch)
	}
	if r := rep.Rows[1]; r.TorchMs != 20 || math.Abs(r.RatioToTorch-0.75) > 1e-12 {
		t.Errorf("saliency row: torch %v ratio %v, want 20 and 0.75", r.TorchMs, r.RatioToTorch)
	}
}

func TestBenchTable(t *testing.T) {
	rep := sampleReport()
	attachPeer(rep)
	var buf bytes.Buffer
	if err := writeBenchTable(&buf, rep); err != nil {
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
	if err := writeBenchTable(&buf, rep); err != nil {
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

func TestBenchFlagsValidate(t *testing.T) {
	ok := benchFlags{sizes: []int{28, 64}, batch: 32, iters: 5}
	if err := ok.validate(); err != nil {
		t.Errorf("valid flags rejected: %v", err)
	}
	for name, f := range map[string]benchFlags{
		"no sizes": {batch: 32, iters: 5},
		"tiny":     {sizes: []int{4}, batch: 32, iters: 5},
		"batch 1":  {sizes: []int{28}, batch: 1, iters: 5},
		"iters 0":  {sizes: []int{28}, batch: 32, iters: 0},
	} {
		if err := f.validate(); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}
