//go:build purego || deterministic || !cgo

package engine

// reduceSplit fixes how many partial sums a reduction over the batch is
// split into, whatever GOMAXPROCS is, so the purego and deterministic
// builds add the same numbers in the same order on every machine
// (gemm.Deterministic).
const reduceSplit = 4
