package engine

// The tile transforms of the Winograd convolution, in Go. The cgo build
// runs the same loops compiled from C (wino_cgo.go), where the compiler
// vectorises them; these are the purego kernels and the reference the C
// ones are tested against.
//
// Each transform works on one row of tiles at a time and splits the 2-D
// transform into a pass along image rows, done on whole padded rows, and a
// pass along columns within each tile. Neighbouring tiles overlap by two
// pixels, so the row pass does each shared combination once.

// The one-dimensional transforms of F(4, 3) and their adjoints.

// bt is Bᵀ d.
func bt(d0, d1, d2, d3, d4, d5 float32) [6]float32 {
	return [6]float32{
		4*d0 - 5*d2 + d4,
		-4*d1 - 4*d2 + d3 + d4,
		4*d1 - 4*d2 - d3 + d4,
		-2*d1 - d2 + 2*d3 + d4,
		2*d1 - d2 - 2*d3 + d4,
		4*d1 - 5*d3 + d5,
	}
}

// bAdj is B v, the adjoint of bt.
func bAdj(v0, v1, v2, v3, v4, v5 float32) [6]float32 {
	return [6]float32{
		4 * v0,
		-4*v1 + 4*v2 - 2*v3 + 2*v4 + 4*v5,
		-5*v0 - 4*v1 - 4*v2 - v3 - v4,
		v1 - v2 + 2*v3 - 2*v4 - 5*v5,
		v0 + v1 + v2 + v3 + v4,
		v5,
	}
}

// at is Aᵀ m.
func at(m0, m1, m2, m3, m4, m5 float32) [4]float32 {
	return [4]float32{
		m0 + m1 + m2 + m3 + m4,
		m1 - m2 + 2*m3 - 2*m4,
		m1 + m2 + 4*m3 + 4*m4,
		m1 - m2 + 8*m3 - 8*m4 + m5,
	}
}

// aAdj is A y, the adjoint of at.
func aAdj(y0, y1, y2, y3 float32) [6]float32 {
	return [6]float32{
		y0,
		y0 + y1 + y2 + y3,
		y0 - y1 + y2 - y3,
		y0 + 2*y1 + 4*y2 + 8*y3,
		y0 - 2*y1 + 4*y2 - 8*y3,
		y3,
	}
}

// tileGeom is what the Go tile transforms share for one call: the tiles of
// images [n0, n1) of a (C, N*H*W) activation of shape s.
type tileGeom struct {
	s          Shape
	n0, th, tw int
	tc, plane  int // tiles in the call, distance between planes
}

func newTileGeom(s Shape, g convGeom, n0, n1 int) tileGeom {
	th, tw := g.tiles()
	tc := (n1 - n0) * th * tw
	return tileGeom{s: s, n0: n0, th: th, tw: tw, tc: tc, plane: winoPlane(s.C, tc)}
}

// image returns channel c of image n of a (C, N*H*W) buffer.
func (t tileGeom) image(buf []float32, c, n int) []float32 {
	hw := t.s.H * t.s.W
	return buf[c*t.s.Cols()+n*hw : c*t.s.Cols()+(n+1)*hw]
}

// row returns the index, within a plane, of the first tile of tile row i
// of image n in channel c.
func (t tileGeom) row(c, n, i int) int { return c*t.tc + ((n-t.n0)*t.th+i)*t.tw }

// winoRows is per-call scratch: six padded rows of 4*tw+2.
type winoRows [winoA][]float32

func newWinoRows(tw int) winoRows {
	var r winoRows
	wp := winoM*tw + 2
	buf := make([]float32, winoA*wp)
	for k := range r {
		r[k] = buf[k*wp : (k+1)*wp]
	}
	return r
}

// winoInputGo writes V = Bᵀ d B for images [n0, n1) and channels [c0, c1) of x (C, N*H*W): 36
// planes (C, T), T the chunk's tiles, image-major then row-major.
func winoInputGo(x []float32, g convGeom, n0, n1, c0, c1 int, v []float32) {
	tg := newTileGeom(g.in, g, n0, n1)
	in, th, tw, plane := tg.s, tg.th, tg.tw, tg.plane
	p := newWinoRows(tw)
	wp := len(p[0])
	for c := c0; c < c1; c++ {
		for n := n0; n < n1; n++ {
			img := tg.image(x, c, n)
			for i := 0; i < th; i++ {
				// Padded rows 4i-1 .. 4i+4, column x at index x+1.
				for k, row := range p {
					clear(row)
					if y := winoM*i - 1 + k; y >= 0 && y < in.H {
						copy(row[1:], img[y*in.W:(y+1)*in.W])
					}
				}
				for q := 0; q < wp; q++ {
					e := bt(p[0][q], p[1][q], p[2][q], p[3][q], p[4][q], p[5][q])
					for r := range p {
						p[r][q] = e[r]
					}
				}
				t := tg.row(c, n, i)
				for r, e := range p {
					for j := 0; j < tw; j++ {
						q := winoM * j
						o := bt(e[q], e[q+1], e[q+2], e[q+3], e[q+4], e[q+5])
						for s, val := range o {
							v[(winoA*r+s)*plane+t+j] = val
						}
					}
				}
			}
		}
	}
}

// winoInputGradGo adds dd = B dV Bᵀ of every tile into dx for images
// [n0, n1) and channels [c0, c1), after clearing that part of dx: the adjoint of
// winoInputGo. Overlapping tiles' contributions are summed.
func winoInputGradGo(dv []float32, g convGeom, n0, n1, c0, c1 int, dx []float32) {
	tg := newTileGeom(g.in, g, n0, n1)
	in, th, tw, plane := tg.s, tg.th, tg.tw, tg.plane
	p := newWinoRows(tw)
	wp := len(p[0])
	for c := c0; c < c1; c++ {
		for n := n0; n < n1; n++ {
			img := tg.image(dx, c, n)
			clear(img)
			for i := 0; i < th; i++ {
				t := tg.row(c, n, i)
				for r, e := range p {
					clear(e)
					for j := 0; j < tw; j++ {
						b := (winoA*r)*plane + t + j
						k := bAdj(dv[b], dv[b+plane], dv[b+2*plane], dv[b+3*plane], dv[b+4*plane], dv[b+5*plane])
						for q, val := range k {
							e[winoM*j+q] += val
						}
					}
				}
				for q := 0; q < wp; q++ {
					k := bAdj(p[0][q], p[1][q], p[2][q], p[3][q], p[4][q], p[5][q])
					for r := range p {
						p[r][q] = k[r]
					}
				}
				for k, row := range p {
					y := winoM*i - 1 + k
					if y < 0 || y >= in.H {
						continue
					}
					dst := img[y*in.W : (y+1)*in.W]
					for q := range dst {
						dst[q] += row[q+1]
					}
				}
			}
		}
	}
}

// winoOutputGo writes Y = Aᵀ M A for images [n0, n1) into y (Cout,
// N*OH*OW), adding the bias and applying the ReLU on the way when asked.
func winoOutputGo(m []float32, g convGeom, n0, n1, c0, c1 int, bias []float32, relu bool, y []float32) {
	tg := newTileGeom(g.out, g, n0, n1)
	out, th, tw, plane := tg.s, tg.th, tg.tw, tg.plane
	p := newWinoRows(tw)
	for c := c0; c < c1; c++ {
		b := float32(0)
		if bias != nil {
			b = bias[c]
		}
		for n := n0; n < n1; n++ {
			img := tg.image(y, c, n)
			for i := 0; i < th; i++ {
				t := tg.row(c, n, i)
				for j := 0; j < tw; j++ {
					// Aᵀ M along the tile's rows, then along its columns.
					var e [winoM][winoA]float32
					for s := 0; s < winoA; s++ {
						o := s*plane + t + j
						col := at(m[o], m[o+winoA*plane], m[o+2*winoA*plane], m[o+3*winoA*plane], m[o+4*winoA*plane], m[o+5*winoA*plane])
						for a := range col {
							e[a][s] = col[a]
						}
					}
					for a := range e {
						row := at(e[a][0], e[a][1], e[a][2], e[a][3], e[a][4], e[a][5])
						for q, val := range row {
							val += b
							if relu {
								val = max(val, 0)
							}
							p[a][winoM*j+q] = val
						}
					}
				}
				for a := 0; a < winoM; a++ {
					if oy := winoM*i + a; oy < out.H {
						copy(img[oy*out.W:(oy+1)*out.W], p[a])
					}
				}
			}
		}
	}
}

// winoOutputGradGo writes dM = A dY Aᵀ for images [n0, n1) of gy: the
// adjoint of winoOutputGo (without its ReLU, which the caller has masked
// into gy). Tile positions past the last row or column count as zero.
func winoOutputGradGo(gy []float32, g convGeom, n0, n1, c0, c1 int, dm []float32) {
	tg := newTileGeom(g.out, g, n0, n1)
	out, th, tw, plane := tg.s, tg.th, tg.tw, tg.plane
	p := newWinoRows(tw)
	for c := c0; c < c1; c++ {
		for n := n0; n < n1; n++ {
			img := tg.image(gy, c, n)
			for i := 0; i < th; i++ {
				for a := 0; a < winoM; a++ {
					clear(p[a])
					if oy := winoM*i + a; oy < out.H {
						copy(p[a], img[oy*out.W:(oy+1)*out.W])
					}
				}
				t := tg.row(c, n, i)
				for j := 0; j < tw; j++ {
					q := winoM * j
					// A dY along the tile's columns, then along its rows.
					var e [winoA][winoM]float32
					for b := 0; b < winoM; b++ {
						col := aAdj(p[0][q+b], p[1][q+b], p[2][q+b], p[3][q+b])
						for r := range col {
							e[r][b] = col[r]
						}
					}
					for r := range e {
						row := aAdj(e[r][0], e[r][1], e[r][2], e[r][3])
						for s, val := range row {
							dm[(winoA*r+s)*plane+t+j] = val
						}
					}
				}
			}
		}
	}
}
