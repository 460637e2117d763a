//go:build amd64 && !amd64.v3

package gemm

// compilerFuses: GOAMD64=v1 and v2 have no FMA instruction to fuse into;
// every product is rounded before it is added.
const compilerFuses = false
