//go:build cgo && !purego && !deterministic

package engine

// reduceSplit 0: reductions over the batch split into one partial sum per
// core (the OpenBLAS build is not bit-exact across machines anyway).
const reduceSplit = 0
