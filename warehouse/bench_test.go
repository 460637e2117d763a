package warehouse_test

import (
	"fmt"
	"math/rand/v2"
	"os"
	"testing"
	"time"

	"github.com/gradprint/gradprint/warehouse"
	"github.com/gradprint/gradprint/warehouse/rows"
)

// saliencyRows builds n realistic rows: 25 variants x 8 layers x 3 methods
// per image, strings shared as the analysis would share them.
func saliencyRows(n int) []rows.Saliency {
	layers := []string{"layer1.0.conv2", "layer1.1.conv2", "layer2.0.conv2", "layer2.1.conv2", "layer3.0.conv2", "layer3.1.conv2", "layer4.0.conv2", "layer4.1.conv2"}
	aliases := []string{"1_2", "1_1", "2_2", "2_1", "3_2", "3_1", "4_2", "4_1"}
	corr := []string{"gaussian_noise", "speckle_noise", "motion_blur", "contrast", "brightness"}
	methods := []string{"gradcampp", "gradcam", "layercam"}
	classes := []string{"akiec", "bcc", "bkl", "df", "mel", "nv", "vasc"}
	rs := make([]rows.Saliency, n)
	// Measurements are noisy floats, as real RMSE and confidences are;
	// regular values would flatter compression.
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range rs {
		img := i / 600
		k := i % 600
		l, m, v := k%8, (k/8)%3, k/24
		label := img % 7
		pred := (img * 7 / 5) % 7
		rs[i] = rows.Saliency{
			Split: "test", ImageID: int32(img), Label: int32(label), LabelName: classes[label],
			Corruption: corr[v/5], Severity: int32(v%5 + 1), Preset: "imagenet-c",
			Layer: layers[l], LayerAlias: aliases[l], LayerDepth: int32(l), Method: methods[m],
			TargetClass: int32(pred), TargetName: classes[pred],
			RMSE: float32(20 + 3*float64(l) + 4*rng.NormFloat64()), RMSEFloat: float32(0.1 + 0.02*rng.NormFloat64()),
			PredClean: int32(pred), PredCleanName: classes[pred], PredPerturbed: int32((pred + v/20) % 7), PredPerturbedName: classes[(pred+v/20)%7],
			PredChanged: v >= 20, CorrectClean: pred == label, CorrectPerturbed: (pred+v/20)%7 == label,
			ConfidenceClean: 0.5 + float32(img%50)/100, ConfidencePerturbed: 0.3 + 0.7*rng.Float32(),
		}
	}
	return rs
}

// BenchmarkWriteSaliency measures rows written per second into committed
// chunk files (zstd, dictionaries, fsync, rename, marker), 240k rows per
// chunk (400 images), handed over 600 rows (one image) at a time as the
// analysis does.
func BenchmarkWriteSaliency(b *testing.B) {
	const perChunk = 240_000
	rs := saliencyRows(perChunk)
	w, err := warehouse.Open(b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	run, err := w.BeginRun(rows.RunMeta{RunID: "bench", Dataset: "dermamnist"})
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	start := time.Now()
	for i := 0; i < b.N; i++ {
		c, err := run.OpenChunk(i)
		if err != nil {
			b.Fatal(err)
		}
		for j := 0; j < perChunk; j += 600 {
			if err := rows.Write(c, rs[j:j+600]...); err != nil {
				b.Fatal(err)
			}
		}
		if err := c.Commit(); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N*perChunk)/time.Since(start).Seconds(), "rows/s")
	b.ReportMetric(float64(dirBytes(b, w.PartitionDir("saliency", warehouse.RunRef{Dataset: "dermamnist", RunID: "bench"})))/float64(b.N*perChunk), "bytes/row")
}

func dirBytes(b *testing.B, dir string) int64 {
	ents, err := os.ReadDir(dir)
	if err != nil {
		b.Fatal(err)
	}
	var n int64
	for _, e := range ents {
		if info, err := e.Info(); err == nil {
			n += info.Size()
		}
	}
	return n
}

// BenchmarkWritePredictions covers the table with a list column.
func BenchmarkWritePredictions(b *testing.B) {
	const perChunk = 100_000
	rs := make([]rows.Prediction, perChunk)
	for i := range rs {
		s := []float32{0.1, 0.2, 0.05, 0.05, 0.3, 0.25, 0.05}
		rs[i] = rows.Prediction{Split: "test", ImageID: int32(i / 26), Label: int32(i % 7), LabelName: "nv", Corruption: "contrast",
			Severity: int32(i % 6), Preset: "imagenet-c", Predicted: 4, PredictedName: "mel", Confidence: 0.3, Entropy: 1.6, Energy: 2.1, Scores: s, Selected: true}
	}
	w, _ := warehouse.Open(b.TempDir())
	run, err := w.BeginRun(rows.RunMeta{RunID: "bench", Dataset: "dermamnist"})
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	start := time.Now()
	for i := 0; i < b.N; i++ {
		c, _ := run.OpenChunk(i)
		for j := 0; j < perChunk; j += 1000 {
			if err := rows.Write(c, rs[j:j+1000]...); err != nil {
				b.Fatal(err)
			}
		}
		if err := c.Commit(); err != nil {
			b.Fatal(fmt.Errorf("commit: %w", err))
		}
	}
	b.ReportMetric(float64(b.N*perChunk)/time.Since(start).Seconds(), "rows/s")
}
