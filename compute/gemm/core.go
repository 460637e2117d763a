package gemm

import "golang.org/x/sys/cpu"

// KnownCore returns the OpenBLAS core type to run on this CPU when OpenBLAS
// did not recognise the CPU model and fell back to its generic Prescott
// kernels (SSE3, no AVX): "SkylakeX" on a CPU with the AVX-512 subsets
// those kernels use, "Haswell" on one with AVX2 and FMA. ok is false when
// OpenBLAS picked a kernel set itself, on a CPU with neither, and in the
// purego and deterministic builds.
//
// Debian 12's OpenBLAS 0.3.21 does not know Intel family 6 model 207
// (Emerald Rapids): there it multiplied 512x512 at 39.5 GFLOPS against
// 109.5 for the deterministic build's C kernel. OpenBLAS reads
// OPENBLAS_CORETYPE only while the library loads, before any Go code runs,
// so the caller has to restart the process with it set.
func KnownCore() (core string, ok bool) {
	if backendName != "openblas" {
		return "", false
	}
	_, picked := library()
	avx512, avx2fma := vectorUnits()
	return knownCore(picked, avx512, avx2fma)
}

// vectorUnits reports whether this CPU has the AVX-512 subsets OpenBLAS's
// SkylakeX kernels use, and AVX2 with FMA, which its Haswell kernels use.
func vectorUnits() (avx512, avx2fma bool) {
	x := cpu.X86
	return x.HasAVX512F && x.HasAVX512BW && x.HasAVX512DQ && x.HasAVX512VL && x.HasAVX512CD, x.HasAVX2 && x.HasFMA
}

// knownCore is KnownCore's decision on OpenBLAS's pick and the CPU's
// features.
func knownCore(picked string, avx512, avx2fma bool) (string, bool) {
	if picked != "Prescott" {
		return "", false
	}
	switch {
	case avx512:
		return "SkylakeX", true
	case avx2fma:
		return "Haswell", true
	}
	return "", false
}

// WiderCore returns the OpenBLAS core type whose kernels use vector units
// this CPU has and the running core's kernels do not: "SkylakeX" when the
// CPU has AVX-512 and the core is one without it, "Haswell" when it has
// AVX2 and FMA and the core predates them. It is meant for a core forced by
// OPENBLAS_CORETYPE, which the caller respects and can only warn about. ok
// is false when the running core already uses the widest units, and in the
// purego and deterministic builds.
//
// On an AMD EPYC (family 26) whose environment set
// OPENBLAS_CORETYPE=Haswell, OpenBLAS 0.3.21's own pick (Cooperlake, the
// SkylakeX sgemm kernels) multiplied 512x512 at 460 GFLOPS against 240,
// and a 28 px saliency pass ran 1.3x faster.
func WiderCore() (core string, ok bool) {
	if backendName != "openblas" {
		return "", false
	}
	_, running := library()
	avx512, avx2fma := vectorUnits()
	return widerCore(running, avx512, avx2fma)
}

// widerCore is WiderCore's decision on the running core and the CPU's
// features.
func widerCore(running string, avx512, avx2fma bool) (string, bool) {
	// OpenBLAS 0.3.21's x86-64 core types whose sgemm kernels use AVX-512,
	// and those that use AVX2 with FMA.
	wide := map[string]int{"SkylakeX": 2, "Cooperlake": 2, "SapphireRapids": 2, "Haswell": 1, "Zen": 1}
	switch {
	case avx512 && wide[running] < 2:
		return "SkylakeX", true
	case avx2fma && wide[running] < 1:
		return "Haswell", true
	}
	return "", false
}
