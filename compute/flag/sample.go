package flag

import (
	"fmt"
	"math/rand/v2"
	"slices"

	"github.com/gradprint/gradprint/warehouse/rows"
)

// Clean names the incoming images that were not degraded.
const Clean = "clean"

// Sample is one incoming image of a fingerprint run: an image of a split as
// the model received it, clean or degraded, with what the scores read.
type Sample struct {
	Split      string
	ImageID    int
	Corruption string
	Severity   int
	Label      int
	Pred       int
	Logits     []float32 // classes
	Features   []float32 // the fingerprint, as StudyData.FeatureNames
	H          []float32 // penultimate features
}

// Wrong says whether the prediction on the incoming image is wrong: the
// failure to detect.
func (s *Sample) Wrong() bool { return s.Pred != s.Label }

// Degraded says whether the incoming image is a corrupted copy.
func (s *Sample) Degraded() bool { return s.Corruption != Clean }

// StudyData is a fingerprint run read back: the train images clean, and
// every val and test image clean and under every degradation.
type StudyData struct {
	Classes      int
	FeatureNames []string
	Corruptions  []string
	Severities   []int
	Train        []*Sample
	Val, Test    []*Sample
}

// Samples joins a fingerprint run's rows with its embeddings into
// samples, split by split, and checks that they describe one study.
func Samples(fps []rows.Fingerprint, embs []rows.Embedding, names []string, classes int) (train, val, test []*Sample, err error) {
	type key struct {
		split, corruption string
		image, severity   int32
	}
	h := make(map[key][]float32, len(embs))
	for _, e := range embs {
		h[key{e.Split, e.Corruption, e.ImageID, e.Severity}] = e.H
	}
	for _, f := range fps {
		k := key{f.Split, f.Corruption, f.ImageID, f.Severity}
		emb, ok := h[k]
		if !ok {
			return nil, nil, nil, fmt.Errorf("fingerprint of %s image %d (%s %d) has no embedding", f.Split, f.ImageID, f.Corruption, f.Severity)
		}
		if len(f.Features) != len(names) || len(f.Logits) != classes {
			return nil, nil, nil, fmt.Errorf("fingerprint of %s image %d (%s %d): %d features and %d logits, want %d and %d",
				f.Split, f.ImageID, f.Corruption, f.Severity, len(f.Features), len(f.Logits), len(names), classes)
		}
		s := &Sample{Split: f.Split, ImageID: int(f.ImageID), Corruption: f.Corruption, Severity: int(f.Severity),
			Label: int(f.Label), Pred: int(f.Predicted), Logits: f.Logits, Features: f.Features, H: emb}
		switch f.Split {
		case "train":
			train = append(train, s)
		case "val":
			val = append(val, s)
		case "test":
			test = append(test, s)
		}
	}
	return train, val, test, nil
}

// Setting is one test set of the study: which incoming images it holds.
type Setting struct {
	Kind       string // iid, shift or mix
	Corruption string // clean (iid); a corruption or all (shift); mix50, mix10
	Severity   int    // shift at one severity; 0 pooled
	Samples    []*Sample
}

func (s Setting) String() string { return fmt.Sprintf("%s %s %d", s.Kind, s.Corruption, s.Severity) }

// Settings builds the study's test settings from the test samples: i.i.d.
// (the clean test split); corruption shift (each corruption x severity, each
// corruption pooled over severities, and all pooled); and deployment mixes
// (every test image once, clean or under a corruption x severity drawn at
// random with probability share, seeded).
func Settings(test []*Sample, corruptions []string, severities []int, mixShares []float64, seed uint64) []Setting {
	out := []Setting{{Kind: "iid", Corruption: Clean}}
	shift := map[[2]any]int{}
	for _, c := range corruptions {
		for _, sv := range severities {
			shift[[2]any{c, sv}] = len(out)
			out = append(out, Setting{Kind: "shift", Corruption: c, Severity: sv})
		}
	}
	pooled := map[string]int{}
	for _, c := range slices.Concat(corruptions, []string{"all"}) {
		pooled[c] = len(out)
		out = append(out, Setting{Kind: "shift", Corruption: c})
	}
	for _, s := range test {
		if !s.Degraded() {
			out[0].Samples = append(out[0].Samples, s)
			continue
		}
		if i, ok := shift[[2]any{s.Corruption, s.Severity}]; ok {
			out[i].Samples = append(out[i].Samples, s)
		}
		out[pooled[s.Corruption]].Samples = append(out[pooled[s.Corruption]].Samples, s)
		out[pooled["all"]].Samples = append(out[pooled["all"]].Samples, s)
	}
	images, ids := byImage(test), imageIDs(test)
	for _, share := range mixShares {
		out = append(out, mix(images, ids, corruptions, severities, share, seed))
	}
	return out
}

// mix draws, for every image, its clean copy or, with probability share, a
// degraded one of a uniformly drawn corruption x severity.
func mix(byImage map[int][]*Sample, ids []int, corruptions []string, severities []int, share float64, seed uint64) Setting {
	st := Setting{Kind: "mix", Corruption: fmt.Sprintf("mix%.0f", 100*share)}
	rng := rand.New(rand.NewPCG(seed, uint64(1000*share)))
	for _, id := range ids {
		want := Clean
		sev := 0
		if rng.Float64() < share {
			want, sev = corruptions[rng.IntN(len(corruptions))], severities[rng.IntN(len(severities))]
		}
		for _, s := range byImage[id] {
			if s.Corruption == want && s.Severity == sev {
				st.Samples = append(st.Samples, s)
				break
			}
		}
	}
	return st
}
