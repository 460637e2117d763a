//go:build !unix

package engine

// mapFloats allocates n float32s on the heap where anonymous mappings are
// not available; unmapFloats leaves them to the garbage collector.
func mapFloats(n int) []float32 { return make([]float32, n) }

func unmapFloats([]float32) {}
