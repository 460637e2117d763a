package perturb

import (
	"math/rand/v2"
)

// FNV-1a 64-bit parameters.
const (
	fnvOffset = 14695981039346656037
	fnvPrime  = 1099511628211
)

// DeriveSeed returns the seed of the random draws for one corrupted image.
//
// It hashes (run, imageID, corruption, severity) with FNV-1a over a fixed
// little-endian encoding (8 bytes run, 8 bytes image id, 8 bytes name length,
// the name, 8 bytes severity; the length prefix keeps distinct tuples from
// sharing a byte string), then applies the splitmix64 finaliser, because
// FNV-1a alone mixes its last bytes poorly and nearby image ids would get
// correlated PCG streams. The corruption name, not the preset, is hashed: the
// same image under the same corruption and severity gets the same noise in
// every preset (common random numbers make preset comparisons less noisy).
func DeriveSeed(run uint64, imageID int64, corruption string, severity int) uint64 {
	h := uint64(fnvOffset)
	word := func(v uint64) {
		for i := 0; i < 8; i++ {
			h ^= v & 0xff
			h *= fnvPrime
			v >>= 8
		}
	}
	word(run)
	word(uint64(imageID))
	word(uint64(len(corruption)))
	for i := 0; i < len(corruption); i++ {
		h ^= uint64(corruption[i])
		h *= fnvPrime
	}
	word(uint64(int64(severity)))
	return splitmix64(h)
}

// splitmix64 is the finaliser of Steele, Lea & Flood's SplitMix64.
func splitmix64(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9
	x = (x ^ (x >> 27)) * 0x94d049bb133111eb
	return x ^ (x >> 31)
}

// Workspace holds the generator and scratch buffers one goroutine reuses
// across calls, so that Apply allocates nothing after the first call on the
// largest image. A Workspace must not be used by two goroutines at once.
type Workspace struct {
	pcg rand.PCG
	rng *rand.Rand
	f   []float64 // per-element accumulators (blur)
	b   []uint8   // intermediate image (two-pass resampling)
	k   []float64 // filter taps
	o   []int     // tap offsets or bounds
}

// NewWorkspace returns an empty workspace; buffers grow on demand.
func NewWorkspace() *Workspace {
	ws := &Workspace{}
	ws.rng = rand.New(&ws.pcg)
	return ws
}

// reseed points the workspace generator at the stream of seed. The second
// PCG word is derived from the first so that one uint64 names the stream.
func (ws *Workspace) reseed(seed uint64) *rand.Rand {
	ws.pcg.Seed(seed, splitmix64(seed^0x6a09e667f3bcc909))
	return ws.rng
}

func (ws *Workspace) floats(n int) []float64 {
	if cap(ws.f) < n {
		ws.f = make([]float64, n)
	}
	ws.f = ws.f[:n]
	return ws.f
}

func (ws *Workspace) bytes(n int) []uint8 {
	if cap(ws.b) < n {
		ws.b = make([]uint8, n)
	}
	ws.b = ws.b[:n]
	return ws.b
}

func (ws *Workspace) taps(n int) []float64 {
	if cap(ws.k) < n {
		ws.k = make([]float64, n)
	}
	ws.k = ws.k[:n]
	return ws.k
}

func (ws *Workspace) ints(n int) []int {
	if cap(ws.o) < n {
		ws.o = make([]int, n)
	}
	ws.o = ws.o[:n]
	return ws.o
}
