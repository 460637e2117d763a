package metrics

import (
	"fmt"
	"math"
)

// Float is the element type of a saliency map or logit vector: the engine
// may produce float32, analysis code float64.
type Float interface{ ~float32 | ~float64 }

// minMax returns the range of m, or ok = false if m holds a NaN or an
// infinity (a map that cannot be min-max scaled).
func minMax[F Float](m []F) (lo, hi F, bad int, ok bool) {
	lo, hi = m[0], m[0]
	for i, v := range m {
		f := float64(v)
		if math.IsNaN(f) || math.IsInf(f, 0) {
			return 0, 0, i, false
		}
		lo = min(lo, v)
		hi = max(hi, v)
	}
	return lo, hi, 0, true
}

// scale8 is the thesis's quantisation of one pixel: numpy's
// ((m - min) / (max - min) * 255).astype(uint8), computed in the map's own
// precision (float32 maps in float32, like the torch/numpy original) and
// truncated toward zero by the conversion. The value lies in [0, 255]
// because (v - lo) <= (hi - lo) is preserved by rounding.
func scale8[F Float](v, lo, span F) uint8 {
	return uint8((v - lo) / span * 255)
}

// ScaleUint8 writes the thesis's uint8 version of map m into dst (same
// length): min-max scaled to 0..255 and truncated. A constant map, where
// numpy would divide 0 by 0, becomes all zeros. Non-finite values are an
// error. It does not allocate.
func ScaleUint8[F Float](dst []uint8, m []F) error {
	if len(m) == 0 {
		return fmt.Errorf("scale map to uint8: empty map")
	}
	if len(dst) != len(m) {
		return fmt.Errorf("scale map to uint8: destination has %d pixels, map %d", len(dst), len(m))
	}
	lo, hi, bad, ok := minMax(m)
	if !ok {
		return fmt.Errorf("scale map to uint8: pixel %d is %v", bad, m[bad])
	}
	if hi == lo {
		clear(dst)
		return nil
	}
	span := hi - lo
	for i, v := range m {
		dst[i] = scale8(v, lo, span)
	}
	return nil
}

// RMSEUint8 is sqrt(mean((a - b)^2)) over two uint8 maps of equal size, in
// exact integer arithmetic up to the final square root.
func RMSEUint8(a, b []uint8) (float64, error) {
	if len(a) == 0 {
		return 0, fmt.Errorf("uint8 RMSE: empty map")
	}
	if len(a) != len(b) {
		return 0, fmt.Errorf("uint8 RMSE: maps have %d and %d pixels", len(a), len(b))
	}
	var ss int64
	for i := range a {
		d := int64(a[i]) - int64(b[i])
		ss += d * d
	}
	return math.Sqrt(float64(ss) / float64(len(a))), nil
}

// ThesisRMSE is the saliency change measure of the thesis (REFERENCE 7):
// both maps are scaled to uint8 as ScaleUint8 does and the RMSE of the two
// uint8 maps is returned, a value in [0, 255] that measures a change of
// shape, not of magnitude. The maps must have the same length (the same
// layer's native resolution).
//
// It runs about 200 times per image, so it quantises on the fly: no
// scratch, no allocation on success.
func ThesisRMSE[F Float](a, b []F) (float64, error) {
	if len(a) == 0 {
		return 0, fmt.Errorf("saliency RMSE: empty map")
	}
	if len(a) != len(b) {
		return 0, fmt.Errorf("saliency RMSE: maps have %d and %d pixels", len(a), len(b))
	}
	loA, hiA, bad, ok := minMax(a)
	if !ok {
		return 0, fmt.Errorf("saliency RMSE: first map pixel %d is %v", bad, a[bad])
	}
	loB, hiB, bad, ok := minMax(b)
	if !ok {
		return 0, fmt.Errorf("saliency RMSE: second map pixel %d is %v", bad, b[bad])
	}
	spanA, spanB := hiA-loA, hiB-loB
	var ss int64
	for i := range a {
		var qa, qb int64
		if spanA != 0 {
			qa = int64(scale8(a[i], loA, spanA))
		}
		if spanB != 0 {
			qb = int64(scale8(b[i], loB, spanB))
		}
		d := qa - qb
		ss += d * d
	}
	return math.Sqrt(float64(ss) / float64(len(a))), nil
}

// RMSE is sqrt(mean((a - b)^2)) on the raw float maps, accumulated in
// float64. Unlike ThesisRMSE it sees magnitude changes too.
func RMSE[F Float](a, b []F) (float64, error) {
	if len(a) == 0 {
		return 0, fmt.Errorf("RMSE: empty map")
	}
	if len(a) != len(b) {
		return 0, fmt.Errorf("RMSE: maps have %d and %d pixels", len(a), len(b))
	}
	var ss float64
	for i := range a {
		d := float64(a[i]) - float64(b[i])
		ss += d * d
	}
	r := math.Sqrt(ss / float64(len(a)))
	if math.IsNaN(r) {
		return 0, fmt.Errorf("RMSE: maps contain NaN or opposite infinities")
	}
	return r, nil
}
