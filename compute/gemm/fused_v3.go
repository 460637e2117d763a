//go:build amd64.v3 || !amd64

package gemm

// compilerFuses: with GOAMD64=v3 or later the Go compiler may fuse x*y+z
// into one FMA instruction, and on arm64, ppc64 and s390x it does by
// default, so the rounding depends on how the binary was compiled.
const compilerFuses = true
