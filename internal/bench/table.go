package bench

import (
	"bufio"
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/gradprint/gradprint/internal/buildinfo"
)

// WriteTable prints r for people: context lines, one right-aligned row per
// pass and size (with the peer's columns when r has peer figures), then the
// notes on memory, FLOPs and the peer. Unknown figures print as n/a.
func WriteTable(w io.Writer, r *Report) error {
	bw := bufio.NewWriter(w)
	fmt.Fprintf(bw, "gradprint bench  %s  %s %s/%s  GOMAXPROCS=%d  gemm=%s  deterministic=%t  seed=%d\n",
		r.Date.Format("2006-01-02 15:04 UTC"), r.GoVersion, r.GOOS, r.GOARCH, r.GOMAXPROCS, r.Backend, r.Deterministic, r.Seed)
	if r.CPU != "" || r.Core != "" {
		fmt.Fprintf(bw, "cpu %s; gemm library %s (core %s); one BLAS thread per call\n", orNA(r.CPU), orNA(r.Library), orNA(buildinfo.CoreLabel(r.Core, r.CoreType)))
	}
	if r.WiderCore != "" {
		fmt.Fprintf(bw, "note: OPENBLAS_CORETYPE=%s keeps OpenBLAS off vector units this CPU has; OPENBLAS_CORETYPE=%s uses them\n", r.CoreType, r.WiderCore)
	}
	fmt.Fprintf(bw, "ResNet18 full width, 1 channel, 2 classes (small stem below 128 px, ImageNet stem from 128 px), batch %d; best (and median) of %d steps after %d warm-up\n",
		r.Batch, r.Iters, r.Warmup)
	fmt.Fprintf(bw, "sgemm peak: %.1f GFLOPS (%dx%d)\n", r.PeakGFLOPS, r.PeakSize, r.PeakSize)
	if r.LoadStart != "" || r.LoadEnd != "" {
		fmt.Fprintf(bw, "load average (1/5/15 min): start %s, end %s\n", orNA(r.LoadStart), orNA(r.LoadEnd))
	}
	fmt.Fprintln(bw)
	if err := writeRows(bw, r); err != nil {
		return err
	}
	fmt.Fprintln(bw)
	writeNotes(bw, r)
	return bw.Flush()
}

func writeRows(w io.Writer, r *Report) error {
	hasPeer := len(r.Peer) > 0
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', tabwriter.AlignRight)
	hdr := "SIZE\tSTEM\tPASS\tMS/IMG\tMEDIAN\tCPU MS/IMG\tGFLOPS\tOF PEAK\tPEAK RSS\t"
	if hasPeer {
		hdr += "TORCH MS/IMG\tTORCH MEDIAN\tGP/TORCH\tGP/TORCH MEDIAN\tTORCH RSS\tGP/TORCH RSS\t"
	}
	fmt.Fprintln(tw, hdr)
	for _, row := range r.Rows {
		line := fmt.Sprintf("%d px\t%s\t%s\t%.1f\t%.1f\t%.1f\t%.1f\t%.2f\t%s\t", row.Size, orNA(row.Stem), row.Pass, row.MsPerImg, row.MedianMs,
			row.CPUMsPerImg, row.GFLOPS, row.OfPeak, mib(row.PeakRSSBytes))
		if hasPeer {
			line += fmt.Sprintf("%s\t%s\t%s\t%s\t%s\t%s\t", num(row.TorchMs, 1), num(row.TorchMedianMs, 1),
				num(row.RatioToTorch, 2), num(row.MedianRatioToTorch, 2), mib(row.TorchRSSBytes), num(row.MemRatioToTorch, 2))
		}
		fmt.Fprintln(tw, line)
	}
	return tw.Flush()
}

func writeNotes(w io.Writer, r *Report) {
	rssNote := "peak RSS: each pass's own (high-water mark reset before it)"
	if !r.RSSPerPass {
		rssNote = "peak RSS: the process's so far (could not reset the high-water mark)"
	}
	fmt.Fprintf(w, "%s; whole process: %s\n", rssNote, mib(r.ProcessRSS))
	fmt.Fprintln(w, "GFLOPS count convolution and linear multiply-adds only (CountFLOPs); OF PEAK = GFLOPS / sgemm peak")
	if len(r.Peer) > 0 {
		p := r.Peer[0]
		fmt.Fprintf(w, "peer: PyTorch %s, threads=%d, batch %d, each pass in its own process, same warm-up and steps; GP/TORCH < 1 means gradprint is faster (GP/TORCH MEDIAN: of the medians), GP/TORCH RSS <= 1 that it needs no more memory\n",
			p.Version, p.Threads, p.Batch)
		var ts []string
		for _, p := range r.Peer {
			ts = append(ts, fmt.Sprintf("%d px %.0f ms", p.Size, p.ThesisMs))
		}
		fmt.Fprintf(w, "peer thesis-style (8 forward+backward per input, batch 1): %s per input\n", strings.Join(ts, ", "))
	}
	if r.PeerNote != "" {
		fmt.Fprintf(w, "peer: %s\n", r.PeerNote)
	} else if !r.PeerRequired {
		fmt.Fprintln(w, "peer: not run (add --peer)")
	}
}

func mib(b int64) string {
	if b <= 0 {
		return "n/a"
	}
	return fmt.Sprintf("%.0f MiB", float64(b)/(1<<20))
}

// num prints x with prec decimals, or n/a when it is unknown (0).
func num(x float64, prec int) string {
	if x <= 0 {
		return "n/a"
	}
	return strconv.FormatFloat(x, 'f', prec, 64)
}

func orNA(s string) string {
	if s == "" {
		return "n/a"
	}
	return s
}
