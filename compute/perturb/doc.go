// Package perturb applies named image corruptions at five severities, the
// perturbations whose effect on saliency and accuracy gradprint measures.
//
// A Preset is a named table of corruptions and their severity
// constants: "imagenet-c" (Hendrycks & Dietterich 2019, the constants the
// thesis used through imgaug), "cifar-c" (the same formulas with the CIFAR-10-C
// constants for small images) and "medmnist-c" (Di Salvo et al. 2024, one list
// per dataset). Lookup returns one; List describes them all for a CLI.
//
// # uint8 in, uint8 out
//
// Every corruption reads and writes uint8 HWC row-major images, the layout of
// ingest.Dataset. The package never produces floats and never normalises. The
// thesis fed corrupted images to the model in [0,1] while it was trained on
// [-1,1], so its delta AUC mixed the corruption with a global intensity shift
// (REFERENCE section 8, item 1). Here that bug cannot be written: a corrupted
// image is bytes of exactly the same kind as a clean one, and the model
// package owns the one training normalisation applied to every uint8 input,
// clean or corrupted.
//
// # Reproducibility
//
// Every random draw comes from a PCG generator seeded by DeriveSeed(run seed,
// image id, corruption, severity), so one call always gives the same bytes,
// independently of goroutine scheduling or the order in which images are
// processed. There is no global generator.
//
// # Speed
//
// Preset.Apply validates its arguments and returns errors, never panics, and
// allocates nothing when given a Workspace (one per goroutine; presets are
// immutable and shared freely): it is meant to run on every test image under
// 25 variants. jpeg_compression is the exception: Go's JPEG codec allocates.
//
// # Sizes
//
// The imagenet-c constants were made for 224 px images (imgaug refuses
// images under 32 px); they are applied at any size here, as the thesis
// applied them to 28 and 64 px MedMNIST. cifar-c holds the constants
// designed for 32 px images.
package perturb
