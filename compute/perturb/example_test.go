package perturb_test

import (
	"bytes"
	"fmt"
	"log"

	"github.com/gradprint/gradprint/compute/perturb"
)

func ExampleLookup() {
	p, err := perturb.Lookup("imagenet-c", "")
	if err != nil {
		log.Fatal(err)
	}
	for _, name := range p.Corruptions() {
		c, err := p.Corruption(name)
		if err != nil {
			log.Fatal(err)
		}
		fmt.Printf("%-15s severity 3: %s\n", name, c.Params(3))
	}
	// Per-dataset presets take the MedMNIST flag; the size suffix is
	// ignored because the constants do not depend on it.
	m, err := perturb.Lookup("medmnist-c", "breastmnist_64")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(m.Name, m.Dataset, m.Corruptions())
	// Output:
	// gaussian_noise  severity 3: sigma=0.18
	// speckle_noise   severity 3: sigma=0.35
	// motion_blur     severity 3: radius=15 sigma=8
	// contrast        severity 3: c=0.2
	// brightness      severity 3: c=0.3
	// medmnist-c breastmnist [pixelate jpeg_compression speckle_noise motion_blur brightness_up brightness_down contrast_down]
}

func ExamplePreset_ApplyImage() {
	p, err := perturb.Lookup("imagenet-c", "")
	if err != nil {
		log.Fatal(err)
	}
	const h, w, c = 4, 4, 1
	src := make([]uint8, h*w*c)
	for i := range src {
		src[i] = uint8(16 * i)
	}
	// One workspace per goroutine, reused across calls.
	ws := perturb.NewWorkspace()
	const run = 7
	noisy := func(imageID int64) []uint8 {
		dst := make([]uint8, len(src))
		if err := p.ApplyImage(ws, dst, src, h, w, c, "gaussian_noise", 3, run, imageID); err != nil {
			log.Fatal(err)
		}
		return dst
	}
	first, again, other := noisy(12), noisy(12), noisy(13)

	// ApplyImage is Apply seeded by DeriveSeed(run, image, corruption,
	// severity): nothing else (call order, workspace history) enters.
	direct := make([]uint8, len(src))
	seed := perturb.DeriveSeed(run, 12, "gaussian_noise", 3)
	if err := p.Apply(nil, direct, src, h, w, c, "gaussian_noise", 3, seed); err != nil {
		log.Fatal(err)
	}
	fmt.Println("noise changed the image:", !bytes.Equal(first, src))
	fmt.Println("same image id, same bytes:", bytes.Equal(first, again))
	fmt.Println("Apply with DeriveSeed, same bytes:", bytes.Equal(first, direct))
	fmt.Println("other image id, other noise:", !bytes.Equal(first, other))
	// Output:
	// noise changed the image: true
	// same image id, same bytes: true
	// Apply with DeriveSeed, same bytes: true
	// other image id, other noise: true
}

func ExamplePreset_Apply_brightness() {
	p, err := perturb.Lookup("imagenet-c", "")
	if err != nil {
		log.Fatal(err)
	}
	// A 1 x 4 grey image. ImageNet-C brightness at severity 2 adds 0.2 on
	// the [0,1] scale, i.e. 51 grey levels, clipped at 255: the mean rises
	// by 42, not 51, because the brightest pixel can only gain 15.
	src := []uint8{0, 50, 100, 240}
	dst := make([]uint8, len(src))
	if err := p.Apply(nil, dst, src, 1, 4, 1, "brightness", 2, 0); err != nil {
		log.Fatal(err)
	}
	fmt.Println(dst)
	fmt.Printf("mean %.1f -> %.1f\n", mean(src), mean(dst))
	// Output:
	// [51 101 151 255]
	// mean 97.5 -> 139.5
}

func ExamplePreset_Apply_motionBlur() {
	p, err := perturb.Lookup("imagenet-c", "")
	if err != nil {
		log.Fatal(err)
	}
	// Motion blur averages pixels along a random direction with weights
	// summing to one and clamps at the border, so a flat image stays flat
	// whatever angle the seed draws, even with a kernel wider than the image.
	const h, w, c = 6, 8, 3
	src := bytes.Repeat([]uint8{128}, h*w*c)
	dst := make([]uint8, len(src))
	for seed := range uint64(4) {
		if err := p.Apply(nil, dst, src, h, w, c, "motion_blur", 5, seed); err != nil {
			log.Fatal(err)
		}
		fmt.Printf("seed %d: unchanged %v\n", seed, bytes.Equal(dst, src))
	}
	// Output:
	// seed 0: unchanged true
	// seed 1: unchanged true
	// seed 2: unchanged true
	// seed 3: unchanged true
}

func mean(b []uint8) float64 {
	s := 0.0
	for _, v := range b {
		s += float64(v)
	}
	return s / float64(len(b))
}
