// Package engine holds gradprint's neural-network operators as spago
// ag.AutoGradFunctions on a channel-major layout: an activation of N images
// with C channels of H x W pixels is a float32 matrix of shape (C, N*H*W),
// row c holding channel c of every image, image-major then row-major. The
// layout turns every convolution into one large GEMM over the whole batch.
//
// Each operator file holds the forward and the backward pass side by side.
// Constructors validate shapes and return errors before a node exists,
// because spago terminates the process on an operator error. Backward passes
// run concurrently (spago starts one goroutine per node), so operators only
// read shared forward values and write to buffers they allocated.
//
// Buffers come from an Arena that is reset between steps, so a training loop
// reaches a steady state with no allocations for activations, gradients or
// im2col scratch. Gradients are handed over, not copied: see Tensor.AccGrad.
package engine
