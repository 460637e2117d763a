package buildinfo

import (
	"encoding/json"
	"runtime"
	"strings"
	"testing"

	"github.com/gradprint/gradprint/compute/gemm"
)

func TestReadFillsEveryField(t *testing.T) {
	i := Read("", "")
	if i.Version != "dev" || i.Commit == "" || i.Go != runtime.Version() || i.GEMM == "" || i.Library == "" || i.Core == "" ||
		i.CPU == "" || i.Threads != runtime.GOMAXPROCS(0) || i.Deterministic != gemm.Deterministic() {
		t.Fatalf("Read() = %+v: a field is empty or wrong", i)
	}
	j := Read("v1.2.3", "abc123")
	if j.Version != "v1.2.3" || j.Commit != "abc123" {
		t.Fatalf("stamped version and commit not kept: %+v", j)
	}
	var back Info
	if err := json.Unmarshal([]byte(j.JSON()), &back); err != nil || back != j {
		t.Fatalf("JSON %s does not read back: %+v, %v", j.JSON(), back, err)
	}
	for _, want := range []string{"gradprint v1.2.3", "commit abc123", runtime.Version(), "gemm " + j.GEMM, "core " + j.Core, j.Reproducibility()} {
		if !strings.Contains(j.String(), want) {
			t.Errorf("%q lacks %q", j.String(), want)
		}
	}
}

func TestCoreLabel(t *testing.T) {
	for _, c := range []struct{ core, coreType, want string }{
		{"SkylakeX", "", "SkylakeX"},
		{"SkylakeX", "SkylakeX", "SkylakeX (OPENBLAS_CORETYPE=SkylakeX)"},
		{"Prescott", "Prescott", "Prescott (OPENBLAS_CORETYPE=Prescott)"},
	} {
		if got := CoreLabel(c.core, c.coreType); got != c.want {
			t.Errorf("CoreLabel(%q, %q) = %q, want %q", c.core, c.coreType, got, c.want)
		}
	}
}
