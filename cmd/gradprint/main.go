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
	"syscall"
)

// version and commit are stamped by the linker (make, make image:
// -X main.version=... -X main.commit=...).
var version, commit string

func main() {
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
