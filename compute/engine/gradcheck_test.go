package engine

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/nlpodyssey/spago/ag"
)

// randTensor returns a rows x cols tensor of N(0, scale^2) values.
func randTensor(r *rand.Rand, rows, cols int, scale float64, param bool) *Tensor {
	d := make([]float32, rows*cols)
	for i := range d {
		d[i] = float32(r.NormFloat64() * scale)
	}
	if param {
		return NewParam(d, rows, cols)
	}
	return NewTensor(d, rows, cols)
}

// awayFromZero pushes values at least gap from 0, so central differences
// with a smaller step never cross a ReLU or max-pool kink.
func awayFromZero(t *Tensor, gap float32) {
	for i, v := range t.data {
		if v >= 0 && v < gap {
			t.data[i] = v + gap
		} else if v < 0 && v > -gap {
			t.data[i] = v - gap
		}
	}
}

// gradCheck compares the analytic gradients of L = sum(out * R), R random,
// with central differences, for every input that requires gradients. At most
// maxPer entries per input are probed (all of them for small inputs).
func gradCheck(t *testing.T, r *rand.Rand, inputs map[string]*Tensor, build func(ar *Arena) (*ag.Operator, error), eps, tol float64, maxPer int) {
	t.Helper()
	ar := &Arena{}
	out, err := build(ar)
	if err != nil {
		t.Fatalf("build: %v", err)
	}
	rw := make([]float64, out.Size())
	seed := make([]float32, out.Size())
	for i := range rw {
		rw[i] = r.Float64()*2 - 1
		seed[i] = float32(rw[i])
	}
	sh := out.Shape()
	out.AccGrad(NewTensor(seed, sh[0], sh[1]))
	if err := ag.Backward(out); err != nil {
		t.Fatalf("backward: %v", err)
	}
	loss := func() float64 {
		o, err := build(nil)
		if err != nil {
			t.Fatalf("build: %v", err)
		}
		var s float64
		for i, v := range Data(o) {
			s += float64(v) * rw[i]
		}
		return s
	}
	for name, in := range inputs {
		if !in.RequiresGrad() {
			continue
		}
		g := in.GradRaw()
		if g == nil {
			t.Fatalf("%s: no gradient after backward", name)
		}
		idx := r.Perm(len(in.data))
		if len(idx) > maxPer {
			idx = idx[:maxPer]
		}
		nums := make([]float64, len(idx))
		var rms float64
		for q, j := range idx {
			v := in.data[j]
			in.data[j] = v + float32(eps)
			lp := loss()
			in.data[j] = v - float32(eps)
			lm := loss()
			in.data[j] = v
			nums[q] = (lp - lm) / (2 * eps)
			rms += nums[q] * nums[q]
		}
		rms = math.Sqrt(rms / float64(len(idx)))
		worst := 0.0
		for q, j := range idx {
			// Relative to the entry and to the typical gradient size, so
			// near-zero entries are not held to an impossible relative bound.
			rel := math.Abs(nums[q]-float64(g[j])) / (math.Abs(nums[q]) + rms + 1e-12)
			worst = max(worst, rel)
			if rel > tol {
				t.Errorf("%s[%d]: analytic %.6g, numeric %.6g (relative error %.3g > %.3g)", name, j, g[j], nums[q], rel, tol)
			}
		}
		t.Logf("%s: %d entries, rms gradient %.3g, worst relative error %.2g", name, len(idx), rms, worst)
	}
}

func TestConv2dGradients(t *testing.T) {
	cases := []struct {
		name                 string
		in                   Shape
		out, kh, kw, st, pad int
		relu, bias           bool
	}{
		{"3x3s1p1", Shape{2, 3, 5, 6}, 4, 3, 3, 1, 1, false, false},
		{"3x3s2p1", Shape{2, 3, 7, 5}, 4, 3, 3, 2, 1, false, false},
		{"1x1s1", Shape{2, 3, 4, 4}, 5, 1, 1, 1, 0, false, false},
		{"1x1s2", Shape{2, 3, 5, 5}, 4, 1, 1, 2, 0, false, false},
		{"7x7s2p3", Shape{1, 2, 9, 8}, 3, 7, 7, 2, 3, false, false},
		{"2x3s1p0+bias+relu", Shape{2, 2, 5, 6}, 3, 2, 3, 1, 0, true, true},
		// Images no bigger than the kernel: padding covers whole rows.
		{"3x3s1p1 on 1x1", Shape{3, 2, 1, 1}, 3, 3, 3, 1, 1, false, false},
		{"3x3s1p1 on 2x1", Shape{2, 2, 2, 1}, 3, 3, 3, 1, 1, false, false},
		{"5x5s1p2 on 3x2", Shape{2, 2, 3, 2}, 3, 5, 5, 1, 2, false, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := rand.New(rand.NewPCG(7, 8))
			x := randTensor(r, tc.in.C, tc.in.Cols(), 1, true)
			w := randTensor(r, tc.out, tc.in.C*tc.kh*tc.kw, 0.5, true)
			ins := map[string]*Tensor{"x": x, "w": w}
			var b *Tensor
			if tc.bias {
				b = randTensor(r, tc.out, 1, 0.5, true)
				ins["b"] = b
			}
			build := func(ar *Arena) (*ag.Operator, error) {
				spec := ConvSpec{Out: tc.out, KH: tc.kh, KW: tc.kw, Stride: tc.st, Pad: tc.pad, Weight: w, ReLU: tc.relu}
				if b != nil {
					spec.Bias = b
				}
				y, _, err := Conv2d(ar, x, tc.in, spec)
				return y, err
			}
			if tc.relu {
				// Keep pre-activations away from the kink: check with a tiny step.
				gradCheck(t, r, ins, build, 1e-3, 5e-3, 60)
				return
			}
			gradCheck(t, r, ins, build, 1e-2, 1e-3, 60)
		})
	}
}

func TestConv2dMatchesDirectSum(t *testing.T) {
	// Forward against the definition, including stride, padding and a
	// non-square kernel.
	r := rand.New(rand.NewPCG(1, 1))
	in := Shape{2, 3, 6, 5}
	out, kh, kw, st, pad := 4, 3, 2, 2, 1
	x := randTensor(r, in.C, in.Cols(), 1, false)
	w := randTensor(r, out, in.C*kh*kw, 1, false)
	y, os, err := Conv2d(nil, x, in, ConvSpec{Out: out, KH: kh, KW: kw, Stride: st, Pad: pad, Weight: w})
	if err != nil {
		t.Fatal(err)
	}
	if os.H != (6+2-3)/2+1 || os.W != (5+2-2)/2+1 {
		t.Fatalf("output shape %v", os)
	}
	yd := Data(y)
	for co := 0; co < out; co++ {
		for n := 0; n < in.N; n++ {
			for oy := 0; oy < os.H; oy++ {
				for ox := 0; ox < os.W; ox++ {
					var s float64
					for ci := 0; ci < in.C; ci++ {
						for ky := 0; ky < kh; ky++ {
							for kx := 0; kx < kw; kx++ {
								iy, ix := oy*st-pad+ky, ox*st-pad+kx
								if iy < 0 || iy >= in.H || ix < 0 || ix >= in.W {
									continue
								}
								s += float64(w.data[co*in.C*kh*kw+ci*kh*kw+ky*kw+kx]) * float64(x.data[ci*in.Cols()+n*in.H*in.W+iy*in.W+ix])
							}
						}
					}
					got := yd[co*os.Cols()+n*os.H*os.W+oy*os.W+ox]
					if math.Abs(float64(got)-s) > 1e-4 {
						t.Fatalf("y[%d,%d,%d,%d] = %v, want %v", co, n, oy, ox, got, s)
					}
				}
			}
		}
	}
}

func TestBatchNormGradients(t *testing.T) {
	for _, tc := range []struct {
		name                  string
		train, relu, residual bool
		frozen                bool // gamma and beta want no gradient (a saliency pass)
	}{
		{"train", true, false, false, false},
		{"train+residual+relu", true, true, true, false},
		{"eval", false, false, false, false},
		{"eval+residual+relu", false, true, true, false},
		{"eval frozen", false, false, false, true},
		{"eval frozen+residual+relu", false, true, true, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := rand.New(rand.NewPCG(3, 3))
			s := Shape{3, 4, 3, 3}
			x := randTensor(r, s.C, s.Cols(), 2, true)
			for i := range x.data {
				x.data[i] += 1.5 // a non-zero mean exercises the centring
			}
			gamma := randTensor(r, s.C, 1, 1, !tc.frozen)
			beta := randTensor(r, s.C, 1, 1, !tc.frozen)
			ins := map[string]*Tensor{"x": x, "gamma": gamma, "beta": beta}
			var res *Tensor
			if tc.residual {
				res = randTensor(r, s.C, s.Cols(), 1, true)
				ins["residual"] = res
			}
			st := NewBNStats(s.C)
			for c := range st.Mean {
				st.Mean[c], st.Var[c] = float32(r.NormFloat64()), 0.5+r.Float32()
			}
			build := func(ar *Arena) (*ag.Operator, error) {
				spec := BNSpec{Gamma: gamma, Beta: beta, Stats: st, Train: tc.train, ReLU: tc.relu}
				if res != nil {
					spec.Residual = res
				}
				return BatchNorm(ar, x, s, spec)
			}
			eps := 1e-2
			if tc.relu {
				eps = 1e-3
			}
			gradCheck(t, r, ins, build, eps, 5e-3, 40)
		})
	}
}

func TestBatchNormStatistics(t *testing.T) {
	// Two channels of 4 values with hand-computable statistics.
	x := NewTensor([]float32{1, 2, 3, 6, -1, -1, -1, -1}, 2, 4)
	s := Shape{N: 2, C: 2, H: 1, W: 2}
	gamma := NewTensor([]float32{2, 1}, 2, 1)
	beta := NewTensor([]float32{0.5, 3}, 2, 1)
	st := NewBNStats(2)
	y, err := BatchNorm(nil, x, s, BNSpec{Gamma: gamma, Beta: beta, Stats: st, Train: true})
	if err != nil {
		t.Fatal(err)
	}
	// Channel 0: mean 3, biased var (4+1+0+9)/4 = 3.5, unbiased 14/3.
	inv := 1 / math.Sqrt(3.5+1e-5)
	want := []float64{0.5 + 2*(1-3)*inv, 0.5 + 2*(2-3)*inv, 0.5 + 2*(3-3)*inv, 0.5 + 2*(6-3)*inv, 3, 3, 3, 3}
	for i, v := range Data(y) {
		if math.Abs(float64(v)-want[i]) > 1e-5 {
			t.Errorf("train y[%d] = %v, want %v", i, v, want[i])
		}
	}
	if m, v := st.Mean[0], st.Var[0]; math.Abs(float64(m)-0.3) > 1e-6 || math.Abs(float64(v)-(0.9+0.1*14.0/3)) > 1e-6 {
		t.Errorf("running stats ch0 = (%v, %v), want (0.3, %v)", m, v, 0.9+0.1*14.0/3)
	}
	if m, v := st.Mean[1], st.Var[1]; math.Abs(float64(m)+0.1) > 1e-6 || math.Abs(float64(v)-0.9) > 1e-6 {
		t.Errorf("running stats ch1 = (%v, %v), want (-0.1, 0.9)", m, v)
	}
	if st.Batches != 1 {
		t.Errorf("batches tracked %d, want 1", st.Batches)
	}
	// Eval mode uses the running statistics, not the batch's.
	ye, err := BatchNorm(nil, x, s, BNSpec{Gamma: gamma, Beta: beta, Stats: st})
	if err != nil {
		t.Fatal(err)
	}
	inv0 := 1 / math.Sqrt(float64(st.Var[0])+1e-5)
	if got, w := float64(Data(ye)[0]), 0.5+2*(1-0.3)*inv0; math.Abs(got-w) > 1e-5 {
		t.Errorf("eval y[0] = %v, want %v", got, w)
	}
	if st.Batches != 1 {
		t.Errorf("eval mode changed num_batches_tracked to %d", st.Batches)
	}
}

func TestReLUAndAddGradients(t *testing.T) {
	r := rand.New(rand.NewPCG(4, 4))
	a := randTensor(r, 3, 7, 1, true)
	awayFromZero(a, 0.05)
	b := randTensor(r, 3, 7, 1, true)
	gradCheck(t, r, map[string]*Tensor{"a": a, "b": b}, func(ar *Arena) (*ag.Operator, error) {
		y, err := ReLU(ar, a)
		if err != nil {
			return nil, err
		}
		// a feeds both the ReLU and the sum: its two gradients must add up.
		s, err := Add(ar, y, b)
		if err != nil {
			return nil, err
		}
		return Add(ar, s, a)
	}, 1e-2, 1e-3, 100)
}

func TestMaxPoolGradients(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 5))
	in := Shape{2, 3, 7, 6}
	// Distinct values spaced 0.05 apart: steps of 1e-2 never change a winner.
	x := NewParam(make([]float32, in.Size()), in.C, in.Cols())
	for i, p := range r.Perm(in.Size()) {
		x.data[i] = float32(p)*0.05 - 3
	}
	gradCheck(t, r, map[string]*Tensor{"x": x}, func(ar *Arena) (*ag.Operator, error) {
		y, os, err := MaxPool2d(ar, x, in, 3, 2, 1)
		if err == nil && (os.H != 4 || os.W != 3) {
			t.Fatalf("maxpool output %v, want 4x3", os)
		}
		return y, err
	}, 1e-2, 1e-3, 200)
}

func TestAvgPoolLinearCrossEntropyGradients(t *testing.T) {
	r := rand.New(rand.NewPCG(6, 6))
	in := Shape{3, 4, 2, 3}
	x := randTensor(r, in.C, in.Cols(), 1, true)
	w := randTensor(r, 5, in.C, 1, true)
	b := randTensor(r, 5, 1, 1, true)
	labels := []int{4, 0, 2}
	gradCheck(t, r, map[string]*Tensor{"x": x, "w": w, "b": b}, func(ar *Arena) (*ag.Operator, error) {
		p, err := GlobalAvgPool(ar, x, in)
		if err != nil {
			return nil, err
		}
		z, err := Linear(ar, p, w, b)
		if err != nil {
			return nil, err
		}
		return SoftmaxCrossEntropy(ar, z, labels)
	}, 1e-2, 1e-3, 100)
}

func TestSelectSumGradients(t *testing.T) {
	r := rand.New(rand.NewPCG(9, 9))
	z := randTensor(r, 3, 4, 1, true)
	gradCheck(t, r, map[string]*Tensor{"z": z}, func(ar *Arena) (*ag.Operator, error) {
		return SelectSum(ar, z, []int{1, 3, 0})
	}, 1e-2, 1e-3, 100)
}

func TestCrossEntropyValue(t *testing.T) {
	// Equal logits: loss = log K exactly.
	z := NewTensor([]float32{0, 0, 0, 0, 5, 5, 5, 5}, 2, 4)
	l, err := SoftmaxCrossEntropy(nil, z, []int{1, 3})
	if err != nil {
		t.Fatal(err)
	}
	if got := float64(Data(l)[0]); math.Abs(got-math.Log(4)) > 1e-6 {
		t.Fatalf("loss %v, want log 4 = %v", got, math.Log(4))
	}
}

// TestSmallNetworkGradients checks a whole conv-bn-relu-pool-conv-bn(+1x1
// shortcut)-relu-avgpool-linear-CE network: gradients meeting at a shared
// node, concurrent backward branches and every operator together.
func TestSmallNetworkGradients(t *testing.T) {
	r := rand.New(rand.NewPCG(10, 10))
	in := Shape{2, 2, 8, 8}
	x := randTensor(r, in.C, in.Cols(), 1, true)
	w1 := randTensor(r, 4, 2*9, 0.4, true)
	g1, b1 := randTensor(r, 4, 1, 0.3, true), randTensor(r, 4, 1, 0.3, true)
	w2 := randTensor(r, 6, 4*9, 0.3, true)
	g2, b2 := randTensor(r, 6, 1, 0.3, true), randTensor(r, 6, 1, 0.3, true)
	wd := randTensor(r, 6, 4, 0.5, true)
	gd, bd := randTensor(r, 6, 1, 0.3, true), randTensor(r, 6, 1, 0.3, true)
	wf, bf := randTensor(r, 3, 6, 0.5, true), randTensor(r, 3, 1, 0.1, true)
	for _, g := range []*Tensor{g1, g2, gd} {
		for i := range g.data {
			g.data[i] += 1
		}
	}
	st1, st2, std := NewBNStats(4), NewBNStats(6), NewBNStats(6)
	labels := []int{2, 0}
	build := func(ar *Arena) (*ag.Operator, error) {
		h, s1, err := Conv2d(ar, x, in, ConvSpec{Out: 4, KH: 3, KW: 3, Stride: 1, Pad: 1, Weight: w1})
		if err != nil {
			return nil, err
		}
		a, err := BatchNorm(ar, h, s1, BNSpec{Gamma: g1, Beta: b1, Stats: st1, Train: true, ReLU: true})
		if err != nil {
			return nil, err
		}
		p, sp, err := MaxPool2d(ar, a, s1, 3, 2, 1)
		if err != nil {
			return nil, err
		}
		c2, s2, err := Conv2d(ar, p, sp, ConvSpec{Out: 6, KH: 3, KW: 3, Stride: 2, Pad: 1, Weight: w2})
		if err != nil {
			return nil, err
		}
		d, sd, err := Conv2d(ar, p, sp, ConvSpec{Out: 6, KH: 1, KW: 1, Stride: 2, Weight: wd})
		if err != nil {
			return nil, err
		}
		dn, err := BatchNorm(ar, d, sd, BNSpec{Gamma: gd, Beta: bd, Stats: std, Train: true})
		if err != nil {
			return nil, err
		}
		o, err := BatchNorm(ar, c2, s2, BNSpec{Gamma: g2, Beta: b2, Stats: st2, Train: true, ReLU: true, Residual: dn})
		if err != nil {
			return nil, err
		}
		gp, err := GlobalAvgPool(ar, o, s2)
		if err != nil {
			return nil, err
		}
		z, err := Linear(ar, gp, wf, bf)
		if err != nil {
			return nil, err
		}
		return SoftmaxCrossEntropy(ar, z, labels)
	}
	ins := map[string]*Tensor{"x": x, "w1": w1, "g1": g1, "b1": b1, "w2": w2, "g2": g2, "b2": b2, "wd": wd, "gd": gd, "bd": bd, "wf": wf, "bf": bf}
	gradCheck(t, r, ins, build, 1e-3, 1e-2, 25)
}

func TestShapeErrorsAreErrors(t *testing.T) {
	x := NewTensor(make([]float32, 2*18), 2, 18)
	in := Shape{N: 2, C: 2, H: 3, W: 3}
	w := NewTensor(make([]float32, 4*2*9), 4, 18)
	if _, _, err := Conv2d(nil, x, in, ConvSpec{Out: 4, KH: 3, KW: 3, Stride: 1, Pad: 1, Weight: NewTensor(make([]float32, 4*9), 4, 9)}); err == nil {
		t.Error("conv accepted a weight of the wrong fan-in")
	}
	if _, _, err := Conv2d(nil, x, Shape{N: 2, C: 2, H: 3, W: 4}, ConvSpec{Out: 4, KH: 3, KW: 3, Stride: 1, Pad: 1, Weight: w}); err == nil {
		t.Error("conv accepted an input of the wrong size")
	}
	if _, _, err := Conv2d(nil, x, in, ConvSpec{Out: 4, KH: 5, KW: 5, Stride: 1, Weight: NewTensor(make([]float32, 4*50), 4, 50)}); err == nil {
		t.Error("conv accepted a kernel larger than the image")
	}
	g := NewTensor(make([]float32, 3), 3, 1)
	if _, err := BatchNorm(nil, x, in, BNSpec{Gamma: g, Beta: g, Stats: NewBNStats(2)}); err == nil {
		t.Error("batchnorm accepted 3 weights for 2 channels")
	}
	if _, err := SoftmaxCrossEntropy(nil, NewTensor(make([]float32, 4), 2, 2), []int{0, 2}); err == nil {
		t.Error("cross-entropy accepted label 2 of 2 classes")
	}
	if _, err := Linear(nil, NewTensor(make([]float32, 6), 2, 3), NewTensor(make([]float32, 8), 2, 4), g); err == nil {
		t.Error("linear accepted mismatched fan-in")
	}
	if _, err := Add(nil, x, NewTensor(make([]float32, 36), 3, 12)); err == nil {
		t.Error("add accepted different shapes")
	}
}

func TestArenaReusesMemory(t *testing.T) {
	ar := &Arena{}
	step := func() {
		ar.Reset()
		_ = ar.Alloc(100)
		s := ar.Scratch(1000)
		ar.Release(s)
		_ = ar.Alloc(50)
	}
	step()
	step()
	allocs := testing.AllocsPerRun(10, step)
	if allocs != 0 {
		t.Fatalf("steady-state step allocated %v times, want 0", allocs)
	}
	a := ar.Alloc(10)
	b := ar.Alloc(10)
	a[9] = 1
	if b[0] != 0 && &a[0] == &b[0] {
		t.Fatal("arena handed out overlapping buffers")
	}
	if cap(a) != 10 {
		t.Fatalf("arena buffer cap %d, want 10 (appends must not run into the neighbour)", cap(a))
	}
}

// TestConv2dChunkingIsInvisible runs the same convolution as one chunk per
// worker and as one image per chunk (several chunks per worker, so dW
// accumulates across chunks and then across workers): outputs and
// gradients must agree.
func TestConv2dChunkingIsInvisible(t *testing.T) {
	r := rand.New(rand.NewPCG(12, 12))
	in := Shape{5, 3, 6, 7}
	x := randTensor(r, in.C, in.Cols(), 1, true)
	w := randTensor(r, 4, in.C*9, 0.5, true)
	seed := randTensor(r, 4, 5*3*4, 1, false) // output (4, N*3*4) at stride 2
	run := func(budget int) (y, dw, dx []float32) {
		x.ZeroGrad()
		w.ZeroGrad()
		os, err := ConvOutShape(in, 4, 3, 3, 2, 1)
		if err != nil {
			t.Fatal(err)
		}
		op := &conv2d{x: x, w: w, g: convGeom{in: in, out: os, kh: 3, kw: 3, stride: 2, pad: 1, budget: budget}}
		if n := len(op.g.chunks(2)); budget == 1 && n != 5 {
			t.Fatalf("budget 1 gave %d chunks, want one per image (5)", n)
		}
		out := ag.NewOperator(op).Run()
		out.AccGrad(NewTensor(append([]float32(nil), seed.data...), 4, os.Cols()))
		if err := ag.Backward(out); err != nil {
			t.Fatal(err)
		}
		return append([]float32(nil), Data(out)...), append([]float32(nil), w.GradRaw()...), append([]float32(nil), x.GradRaw()...)
	}
	y1, dw1, dx1 := run(0)
	y2, dw2, dx2 := run(1)
	for _, c := range []struct {
		name string
		a, b []float32
	}{{"y", y1, y2}, {"dW", dw1, dw2}, {"dx", dx1, dx2}} {
		for i := range c.a {
			if math.Abs(float64(c.a[i]-c.b[i])) > 1e-5*(1+math.Abs(float64(c.a[i]))) {
				t.Fatalf("%s[%d]: %v in one chunk per worker, %v in one per image", c.name, i, c.a[i], c.b[i])
			}
		}
	}
}
