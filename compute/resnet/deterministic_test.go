//go:build purego || deterministic

package resnet

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/gradprint/gradprint/compute/gemm"
)

// deterministicGolden holds the SHA-256 of the weights deterministicRun
// trains. It was written once (GRADPRINT_UPDATE_GOLDEN=1) and every x86-64
// CPU must reproduce it: scripts/determinism-qemu.sh runs this test under
// emulated CPUs without AVX or FMA.
const deterministicGolden = "testdata/deterministic-weights.sha256"

// deterministicRun trains a quarter-width network (Winograd and im2col
// convolutions, stride-2 downsampling, batch norm, Adam) for three steps
// with GOMAXPROCS procs and returns the SHA-256 of its parameters' bits.
func deterministicRun(t *testing.T, procs int) string {
	t.Helper()
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(procs))
	r := rand.New(rand.NewPCG(7, 7))
	m := tiny(t, 3, 3, SmallStem, 0.25, 13)
	opt := NewAdam(1e-3)
	const n, hw = 8, 16
	for step := 0; step < 3; step++ {
		labels := make([]int, n)
		for i := range labels {
			labels[i] = r.IntN(3)
		}
		if _, err := m.TrainStep(randImages(r, n*3*hw*hw), labels, n, hw, hw, 3, opt); err != nil {
			t.Fatal(err)
		}
	}
	h := sha256.New()
	var b [4]byte
	for _, p := range m.Params() {
		h.Write([]byte(p.Name))
		for _, v := range p.Data {
			binary.LittleEndian.PutUint32(b[:], math.Float32bits(v))
			h.Write(b[:])
		}
	}
	return hex.EncodeToString(h.Sum(nil))
}

// TestDeterministicTraining checks the deterministic mode's contract: the
// trained bits depend neither on the thread count nor on the CPU.
func TestDeterministicTraining(t *testing.T) {
	if !gemm.Deterministic() {
		t.Fatalf("purego build on %s reports Deterministic() = false; the test needs GOARCH=amd64 without GOAMD64=v3 or later", runtime.GOARCH)
	}
	want := deterministicRun(t, 1)
	for _, procs := range []int{2, 3} {
		if got := deterministicRun(t, procs); got != want {
			t.Fatalf("GOMAXPROCS %d trained weights %s, GOMAXPROCS 1 trained %s", procs, got, want)
		}
	}
	path := filepath.FromSlash(deterministicGolden)
	if os.Getenv("GRADPRINT_UPDATE_GOLDEN") == "1" {
		if err := os.WriteFile(path, []byte(want+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	golden, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (GRADPRINT_UPDATE_GOLDEN=1 writes it)", err)
	}
	if g := strings.TrimSpace(string(golden)); g != want {
		t.Fatalf("trained weights hash to %s on this CPU, %s holds %s: the deterministic mode is not bit-exact across machines", want, path, g)
	}
}
