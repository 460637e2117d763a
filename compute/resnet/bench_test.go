package resnet

import (
	"math/rand/v2"
	"syscall"
	"testing"
	"time"

	"github.com/gradprint/gradprint/compute/gemm"
)

// The benchmarks mirror ../shared/peers/torch_resnet_bench.py: full-width
// ResNet18, small stem, 1 channel, 2 classes, batch 32, Adam for training,
// eval mode with one backward to the eight thesis layers for saliency.
// Each reports ms/img, effective GFLOPS (CountFLOPs) and the ratio to the
// sgemm peak measured in the same run.

const benchBatch = 32

func benchSetup(b *testing.B, size int) (*Model, []uint8, []int, FLOPs, float64) {
	b.Helper()
	m, err := New(MedMNISTConfig(1, 2), 1)
	if err != nil {
		b.Fatal(err)
	}
	r := rand.New(rand.NewPCG(1, 2))
	imgs := randImages(r, benchBatch*size*size)
	labels := make([]int, benchBatch)
	for i := range labels {
		labels[i] = r.IntN(2)
	}
	f, err := m.CountFLOPs(size, size, nil)
	if err != nil {
		b.Fatal(err)
	}
	peak := gemm.Peak(512, 300*time.Millisecond)
	return m, imgs, labels, f, peak
}

// cpuSeconds is the process's user+system CPU time: on a machine shared
// with other jobs, CPU time per image is steadier than wall time.
func cpuSeconds() float64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()).Seconds()
}

func report(b *testing.B, flopsPerImg, peak, cpu0 float64) {
	b.StopTimer()
	b.ReportMetric((cpuSeconds()-cpu0)/float64(b.N)/benchBatch*1e3, "cpu-ms/img")
	perImg := b.Elapsed().Seconds() / float64(b.N) / benchBatch
	gflops := flopsPerImg / perImg / 1e9
	b.ReportMetric(perImg*1e3, "ms/img")
	b.ReportMetric(gflops, "GFLOPS")
	b.ReportMetric(peak, "peakGFLOPS")
	b.ReportMetric(gflops/peak, "ofPeak")
}

func benchTrain(b *testing.B, size int) {
	m, imgs, labels, f, peak := benchSetup(b, size)
	opt := NewAdam(1e-3)
	// Warm-up: the first step sizes the arena, the second faults its pages in.
	for range 2 {
		if _, err := m.TrainStep(imgs, labels, benchBatch, size, size, 1, opt); err != nil {
			b.Fatal(err)
		}
	}
	cpu0 := cpuSeconds()
	b.ResetTimer()
	for b.Loop() {
		if _, err := m.TrainStep(imgs, labels, benchBatch, size, size, 1, opt); err != nil {
			b.Fatal(err)
		}
	}
	report(b, f.Train, peak, cpu0)
}

func benchSaliency(b *testing.B, size int) {
	m, imgs, _, f, peak := benchSetup(b, size)
	var layers []string
	for _, l := range ThesisLayers() {
		layers = append(layers, l.Name)
	}
	for range 2 {
		if _, err := m.SaliencyViews(imgs, benchBatch, size, size, 1, layers, nil); err != nil {
			b.Fatal(err)
		}
	}
	cpu0 := cpuSeconds()
	b.ResetTimer()
	for b.Loop() {
		if _, err := m.SaliencyViews(imgs, benchBatch, size, size, 1, layers, nil); err != nil {
			b.Fatal(err)
		}
	}
	report(b, f.Saliency, peak, cpu0)
}

func BenchmarkTrainStep28(b *testing.B) { benchTrain(b, 28) }
func BenchmarkTrainStep64(b *testing.B) { benchTrain(b, 64) }
func BenchmarkSaliency28(b *testing.B)  { benchSaliency(b, 28) }
func BenchmarkSaliency64(b *testing.B)  { benchSaliency(b, 64) }
