//go:build purego || !cgo

package saliency

// Without cgo (or with the purego tag) the Grad-CAM++ weights are the Go
// reference, which rounds as the C kernel does.
func gradCAMPPWeights(a, g Planes, n int, w []float32) { gradCAMPPWeightsGo(a, g, n, w) }

func meanWeights(g Planes, n int, w []float32) { meanWeightsGo(g, n, w) }
