// Package engine holds gradprint's neural-network operators as spago
// ag.AutoGradFunctions on a channel-major layout: an activation of N images
// with C channels of H x W pixels is a float32 matrix of shape (C, N*H*W),
// row c holding channel c of every image, image-major then row-major. The
// layout turns every convolution into GEMMs over the whole batch: 3x3
// stride-1 convolutions with 16 or more input channels run as Winograd
// F(4x4, 3x3) (winograd.go: 36 GEMMs on transformed tiles, 4x fewer
// multiplications), every other one as im2col + GEMM (conv.go).
//
// The elementwise loops that dominate once the GEMMs are fast (Winograd
// transforms, batch norm, ReLU masks, Adam) are C compiled by cgo in the
// default build, each with a Go twin that is the purego kernel and the
// reference the C one is tested against.
//
// Each operator file holds the forward and the backward pass side by side.
// Constructors validate shapes and return errors before a node exists,
// because spago terminates the process on an operator error. Backward passes
// run concurrently (spago starts one goroutine per node), so operators only
// read shared forward values and write to buffers they allocated.
//
// Buffers come from an Arena that is reset between steps, so a training loop
// reaches a steady state with no allocations for activations, gradients or
// im2col and Winograd scratch. Gradients are handed over, not copied: see
// Tensor.AccGrad. Once an operator has propagated its output's gradient it
// gives the buffer back to the arena for reuse, unless KeepGrad marked the
// output as read after the pass (a saliency layer), so a backward pass holds
// only the gradients in flight.
package engine
