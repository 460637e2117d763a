// Package portmath holds the elementary functions gradprint's training and
// corruptions need, in versions whose results do not depend on the CPU.
//
// The standard library's math.Exp runs an assembly routine on amd64 that
// switches to FMA instructions when the CPU has them, so the same binary
// rounds exp differently on a CPU with and without FMA, and a softmax or a
// blur kernel built from it trains a different model. Exp here is plain
// Go arithmetic: the same bits on every x86-64 CPU.
package portmath

import "math"

// The reduction constants and the polynomial are FreeBSD's e_exp.c (also
// Go's pure-Go math.exp): ln2 split into a high part with trailing zero
// bits, so k*ln2Hi is exact, and a low part.
const (
	ln2Hi     = 6.93147180369123816490e-01
	ln2Lo     = 1.90821492927058770002e-10
	log2e     = 1.44269504088896338700e+00
	overflow  = 7.09782712893383973096e+02
	underflow = -7.45133219101941108420e+02
	nearZero  = 1.0 / (1 << 28)

	p1 = 1.66666666666666657415e-01
	p2 = -2.77777777770155933842e-03
	p3 = 6.61375632143793436117e-05
	p4 = -1.65339022054652515390e-06
	p5 = 4.13813679705723846039e-08
)

// Exp returns e**x, within 1 ulp of the exact value, with math.Exp's
// special cases: Exp(+Inf) = +Inf, Exp(-Inf) = 0, Exp(NaN) = NaN, +Inf on
// overflow and 0 on underflow.
func Exp(x float64) float64 {
	switch {
	case math.IsNaN(x) || math.IsInf(x, 1):
		return x
	case math.IsInf(x, -1):
		return 0
	case x > overflow:
		return math.Inf(1)
	case x < underflow:
		return 0
	case -nearZero < x && x < nearZero:
		return 1 + x
	}
	// x = k ln2 + r with |r| <= ln2/2, then e**x = 2**k e**r.
	var k int
	if x < 0 {
		k = int(log2e*x - 0.5)
	} else {
		k = int(log2e*x + 0.5)
	}
	hi := x - float64(k)*ln2Hi
	lo := float64(k) * ln2Lo
	r := hi - lo
	// e**r = 1 + 2r/(2-c) with c = r - r²·P(r²), a Remez fit on [0, ln2/2].
	t := r * r
	c := r - t*(p1+t*(p2+t*(p3+t*(p4+t*p5))))
	y := 1 - ((lo - (r*c)/(2-c)) - hi)
	return math.Ldexp(y, k)
}
