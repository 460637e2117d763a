// Command gradprint checks medical image classifiers for robustness by
// reading their saliency maps layer by layer, and flags predictions that are
// likely wrong. This package only parses flags and wires the other packages.
package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"runtime/debug"
	"syscall"

	"github.com/gradprint/gradprint/compute/gemm"
)

// version and commit are stamped by the linker (make, make image:
// -X main.version=... -X main.commit=...).
var version, commit string

// gcPercent is the collector's target unless GOGC says otherwise. The
// model's live heap (weights, folded eval weights, Winograd-transformed
// weights: about 270 MB at full width) would, at Go's default of 100, let
// as much garbage pile up before a collection, so a long run's peak
// depended on whether it lasted past the first one: analyze of 100 and of
// 1,000 images peaked at 560 and 742 MB. At 25 they peak at 567 and 623
// MB for 2 % more CPU (docs/benchmarks.md).
const gcPercent = 25

func main() {
	restartWithKnownCore()
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(gcPercent)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	root := newRootCmd()
	if err := root.ExecuteContext(ctx); err != nil {
		if errors.Is(err, context.Canceled) {
			fmt.Fprintln(os.Stderr, "gradprint: interrupted; rerun the same command to resume")
			os.Exit(130)
		}
		fmt.Fprintln(os.Stderr, "gradprint:", err)
		os.Exit(1)
	}
}

// restartWithKnownCore replaces the process with itself under
// OPENBLAS_CORETYPE when OpenBLAS did not know this CPU and fell back to
// its generic kernels (gemm.KnownCore), which multiply 6x and run a pass
// up to 3x slower.
// OpenBLAS reads the variable only when it loads, before main, hence the
// restart. A value the user set is left alone, and so is the process when
// the restart fails.
func restartWithKnownCore() {
	if _, set := os.LookupEnv("OPENBLAS_CORETYPE"); set {
		return
	}
	core, ok := gemm.KnownCore()
	if !ok {
		return
	}
	exe, err := os.Executable()
	if err == nil {
		slog.Info("OpenBLAS does not know this CPU and picked its generic Prescott kernels; restarting with its "+core+" kernels",
			"env", "OPENBLAS_CORETYPE="+core)
		err = syscall.Exec(exe, os.Args, append(os.Environ(), "OPENBLAS_CORETYPE="+core))
	}
	slog.Warn("running on OpenBLAS's generic kernels: restart failed; set OPENBLAS_CORETYPE="+core+" to use the faster ones", "err", err)
}

// runsNetwork reports whether a command's time goes into ResNet18 passes:
// the commands warnNarrowCore speaks for.
func runsNetwork(command string) bool {
	switch command {
	case "analyze", "bench", "demo", "evaluate", "fingerprint", "flag", "study", "train":
		return true
	}
	return false
}

// warnNarrowCore warns when the user's OPENBLAS_CORETYPE keeps OpenBLAS off
// vector units this CPU has (gemm.WiderCore). The value stands: the user
// may have set it for bit-exact results across machines, or to match a
// reference run.
func warnNarrowCore(log *slog.Logger) {
	set, ok := os.LookupEnv("OPENBLAS_CORETYPE")
	if !ok {
		return
	}
	if wider, ok := gemm.WiderCore(); ok {
		log.Warn("OPENBLAS_CORETYPE=" + set + " keeps OpenBLAS off vector units this CPU has; OPENBLAS_CORETYPE=" + wider +
			" (or none, to let OpenBLAS pick) runs the passes faster")
	}
}
