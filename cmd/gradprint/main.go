// Command gradprint checks medical image classifiers for robustness by
// reading their saliency maps layer by layer, and flags predictions that are
// likely wrong. This package only parses flags and wires the other packages.
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"runtime/debug"
	"syscall"
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
