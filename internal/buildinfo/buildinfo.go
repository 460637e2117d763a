// Package buildinfo says what gradprint binary is running: its version and
// commit, the Go toolchain and platform, and the GEMM library and kernel set
// it multiplies with. A pod's logs, a run's log line and `gradprint version`
// all print the same Info, so a result can be traced to the build that made
// it.
package buildinfo

import (
	"encoding/json"
	"fmt"
	"os"
	"runtime"
	"runtime/debug"
	"strings"

	"github.com/gradprint/gradprint/compute/gemm"
)

// Info describes the running binary.
type Info struct {
	Version  string `json:"version"`  // stamped at link time (make, make image); "dev" otherwise
	Commit   string `json:"commit"`   // VCS revision, "+dirty" when built from a modified tree; "unknown" without VCS data
	Go       string `json:"go"`       // toolchain that built it
	Platform string `json:"platform"` // GOOS/GOARCH
	GEMM     string `json:"gemm"`     // backend compiled in: openblas or purego
	Library  string `json:"library"`  // the backend's build configuration
	Core     string `json:"core"`     // the kernel set in use on this CPU
	// CoreType is OPENBLAS_CORETYPE as the process saw it: set, it chose
	// Core instead of OpenBLAS's own detection (gradprint sets it when
	// OpenBLAS does not know the CPU: gemm.KnownCore).
	CoreType string `json:"openblas_coretype,omitempty"`
	CPU      string `json:"cpu"`     // the CPU model (/proc/cpuinfo), "unknown" elsewhere
	Threads  int    `json:"threads"` // GOMAXPROCS: Go's workers; each GEMM call runs one BLAS thread
	// Deterministic: this build trains bit-identical weights on every
	// x86-64 CPU and thread count (gemm.Deterministic: make deterministic).
	Deterministic bool `json:"deterministic"`
}

// Read returns the running binary's Info. version and commit are what the
// linker stamped (-X main.version=..., -X main.commit=...); an empty commit
// falls back to the VCS revision Go records in the binary.
func Read(version, commit string) Info {
	if version == "" {
		version = "dev"
	}
	if commit == "" {
		commit = vcsRevision()
	}
	lib, core := gemm.Library()
	coreType := ""
	if gemm.Backend() == "openblas" {
		coreType = os.Getenv("OPENBLAS_CORETYPE")
	}
	return Info{Version: version, Commit: commit, Go: runtime.Version(), Platform: runtime.GOOS + "/" + runtime.GOARCH,
		GEMM: gemm.Backend(), Library: lib, Core: core, CoreType: coreType, CPU: cpuModel(), Threads: runtime.GOMAXPROCS(0),
		Deterministic: gemm.Deterministic()}
}

// CoreLabel is core as people read it: with the OPENBLAS_CORETYPE that
// chose it, when one did.
func CoreLabel(core, coreType string) string {
	if coreType == "" {
		return core
	}
	return core + " (OPENBLAS_CORETYPE=" + coreType + ")"
}

// cpuModel is the first "model name" of /proc/cpuinfo.
func cpuModel() string {
	b, err := os.ReadFile("/proc/cpuinfo")
	if err != nil {
		return "unknown"
	}
	for _, line := range strings.Split(string(b), "\n") {
		if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
			return strings.TrimSpace(v)
		}
	}
	return "unknown"
}

// JSON is the Info as one JSON object, as runs record it.
func (i Info) JSON() string {
	b, _ := json.Marshal(i) // plain strings and ints: cannot fail
	return string(b)
}

func vcsRevision() string {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return "unknown"
	}
	rev, dirty := "unknown", false
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.modified":
			dirty = s.Value == "true"
		}
	}
	if dirty {
		rev += "+dirty"
	}
	return rev
}

// String is one line for logs: version, commit, toolchain and GEMM.
func (i Info) String() string {
	return fmt.Sprintf("gradprint %s (commit %s, %s %s, gemm %s core %s, %s, %d threads, %s)", i.Version, i.Commit, i.Go, i.Platform, i.GEMM, i.Core, i.CPU, i.Threads, i.Reproducibility())
}

// Reproducibility says in words what Deterministic means for this build.
func (i Info) Reproducibility() string {
	if i.Deterministic {
		return "bit-exact on any x86-64 CPU and thread count"
	}
	return "bit-exact for the same CPU kind and thread count only"
}
