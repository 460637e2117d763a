package bench

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// bestMedian returns the smallest and the median of xs (0, 0 when empty).
// The best time is the headline because noise on a shared machine only ever
// adds time; the median shows how much noise there was.
func bestMedian(xs []float64) (best, median float64) {
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

func round1(x float64) float64 { return math.Round(x*10) / 10 }

// cpuSeconds is the process's user+system CPU time, 0 when unknown.
func cpuSeconds() float64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()).Seconds()
}

// loadAvg returns the 1, 5 and 15 minute load averages, or "" off Linux.
func loadAvg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return ""
	}
	return parseLoadAvg(string(b))
}

// parseLoadAvg returns the first three fields of a /proc/loadavg text
// ("0.50 0.60 0.70 1/234 5678"), or "" when they are not three numbers, so
// a strange file shows as unknown rather than as garbage in the report.
func parseLoadAvg(s string) string {
	fs := strings.Fields(s)
	if len(fs) < 3 {
		return ""
	}
	for _, f := range fs[:3] {
		if v, err := strconv.ParseFloat(f, 64); err != nil || v < 0 {
			return ""
		}
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

// parseVmHWM finds the "VmHWM:  <n> kB" line of a /proc/<pid>/status file
// and returns n in bytes.
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
		if err != nil || kb < 0 || kb > math.MaxInt64/1024 {
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
