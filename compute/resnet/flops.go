package resnet

// FLOPs counts the multiply-adds (x2) of the GEMM-shaped work of a pass per
// image: convolutions and the linear head. Batch norm, ReLU, pooling and
// im2col are memory-bound extras not counted, as in the usual "0.91 GFLOP
// ResNet18 at 28 px" figure.
type FLOPs struct {
	Forward  float64 // eval or train forward
	Train    float64 // forward + input gradients (all but the stem) + weight gradients
	Saliency float64 // forward + input gradients of the layers downstream of the first tap
}

// convFLOPs is 2*Cout*Cin*K*K*OH*OW for one image.
func convFLOPs(c *convBN, oh, ow int) float64 {
	return 2 * float64(c.cout*c.cin*c.k*c.k) * float64(oh*ow)
}

// CountFLOPs returns the per-image FLOPs of each pass on h x w images, with
// the saliency pass tapping the given layers (nil: the eight thesis layers).
func (m *Model) CountFLOPs(h, w int, layers []string) (FLOPs, error) {
	p, err := m.plan(1, h, w, m.cfg.InChannels)
	if err != nil {
		return FLOPs{}, err
	}
	if layers == nil {
		for _, l := range ThesisLayers() {
			layers = append(layers, l.Name)
		}
	}
	first := tapPoint{block: 8}
	for _, l := range layers {
		tp, _, err := resolveLayer(l)
		if err != nil {
			return FLOPs{}, err
		}
		if tp.block < first.block || (tp.block == first.block && tp.conv2) {
			first = tp
		}
	}
	var f FLOPs
	stem := convFLOPs(m.stem, p.stem.H, p.stem.W)
	f.Forward = stem
	f.Train = 2 * stem // forward + weight gradient; the image needs no gradient
	f.Saliency = stem
	for i, b := range m.blocks {
		s := p.mid[i]
		c1, c2 := convFLOPs(b.c1, s.H, s.W), convFLOPs(b.c2, s.H, s.W)
		var d float64
		if b.down != nil {
			d = convFLOPs(b.down, s.H, s.W)
		}
		f.Forward += c1 + c2 + d
		f.Train += 3 * (c1 + c2 + d)
		f.Saliency += c1 + c2 + d
		// Backward reaches block i's convolutions only downstream of the cut.
		if i > first.block {
			f.Saliency += c1 + c2 + d
		}
	}
	fc := 2 * float64(m.cfg.Classes*m.fcW.Shape()[1])
	f.Forward += fc
	f.Train += 3 * fc
	f.Saliency += 2 * fc
	return f, nil
}
