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
	x := cpu.X86
	avx512 := x.HasAVX512F && x.HasAVX512BW && x.HasAVX512DQ && x.HasAVX512VL && x.HasAVX512CD
	return knownCore(picked, avx512, x.HasAVX2 && x.HasFMA)
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
