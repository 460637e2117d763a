package engine

import (
	"fmt"

	"github.com/nlpodyssey/spago/mat"
)

// Shape is the logical shape of an activation stored as (C, N*H*W).
type Shape struct{ N, C, H, W int }

// Size is N*C*H*W.
func (s Shape) Size() int { return s.N * s.C * s.H * s.W }

// Cols is N*H*W, the row length of the (C, N*H*W) matrix.
func (s Shape) Cols() int { return s.N * s.H * s.W }

func (s Shape) String() string { return fmt.Sprintf("(N=%d C=%d H=%d W=%d)", s.N, s.C, s.H, s.W) }

func (s Shape) valid() error {
	if s.N <= 0 || s.C <= 0 || s.H <= 0 || s.W <= 0 {
		return fmt.Errorf("shape %v: all dimensions must be positive", s)
	}
	return nil
}

// checkMatrix verifies that t is a rows x cols matrix.
func checkMatrix(what string, t mat.Tensor, rows, cols int) error {
	if t == nil {
		return fmt.Errorf("%s: missing tensor, want %dx%d", what, rows, cols)
	}
	sh := t.Shape()
	if len(sh) != 2 || sh[0] != rows || sh[1] != cols {
		return fmt.Errorf("%s: shape %v, want [%d %d]", what, sh, rows, cols)
	}
	return nil
}

// checkVector verifies that t holds n values (any 2-D orientation).
func checkVector(what string, t mat.Tensor, n int) error {
	if t == nil {
		return fmt.Errorf("%s: missing tensor, want %d values", what, n)
	}
	if t.Size() != n {
		return fmt.Errorf("%s: %d values (shape %v), want %d", what, t.Size(), t.Shape(), n)
	}
	return nil
}

// checkAct verifies that t is an activation of shape s.
func checkAct(what string, t mat.Tensor, s Shape) error {
	if err := s.valid(); err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	if err := checkMatrix(what, t, s.C, s.Cols()); err != nil {
		return fmt.Errorf("%s %v: %w", what, s, err)
	}
	return nil
}
