package scores

import (
	"fmt"
	"math"

	"github.com/gradprint/gradprint/compute/metrics"
)

// GradNorm is the closed form of Huang et al.'s (NeurIPS 2021) GradNorm
// for the last layer,
//
//	||p - 1/C||_1 * ||h||_1,
//
// per image of the n x C logits and the n x D penultimate features that
// produced them (z = W h + b). It is the L1 norm of the gradient of
// KL(uniform || softmax(W h + b)) with respect to W: that gradient is the
// outer product (p - 1/C) h^T, and the L1 norm of an outer product is the
// product of the L1 norms. Oriented as the paper has it: a larger gradient
// means the model's output is further from uniform, more in-distribution.
func GradNorm(logits []float32, classes int, features []float32, dim int) ([]float64, error) {
	const name = "GradNorm"
	n, err := logitRows(name, logits, classes)
	if err != nil {
		return nil, err
	}
	nf, err := rows(name, "features", len(features), dim)
	if err != nil {
		return nil, err
	}
	if nf != n {
		return nil, fmt.Errorf("%s: %d rows of logits but %d rows of features", name, n, nf)
	}
	if err := checkFinite(name, "feature", features, dim); err != nil {
		return nil, err
	}
	p := make([]float64, classes)
	uniform := 1 / float64(classes)
	out := make([]float64, n)
	for i := range out {
		if err := metrics.Softmax(p, logits[i*classes:(i+1)*classes]); err != nil {
			return nil, fmt.Errorf("%s: image %d: %w", name, i, err)
		}
		dp := 0.0
		for _, pk := range p {
			dp += math.Abs(pk - uniform)
		}
		h1 := 0.0
		for _, v := range features[i*dim : (i+1)*dim] {
			h1 += math.Abs(float64(v))
		}
		out[i] = dp * h1
	}
	return out, nil
}
