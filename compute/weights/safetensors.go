// Package weights reads and writes named float32 tensors in the safetensors
// format (https://github.com/huggingface/safetensors): an 8-byte
// little-endian header length, a JSON header mapping each name to its dtype,
// shape and byte range, then the raw little-endian data. That is what
// `safetensors.torch.save_file(model.state_dict(), path)` writes, so a
// ResNet18 trained in PyTorch loads here by its torchvision names.
package weights

import (
	"bufio"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"sort"

	"github.com/gradprint/gradprint/internal/atomicfile"
)

// Tensor is one named array. Integer tensors (PyTorch's
// num_batches_tracked) are converted to float32 on load.
type Tensor struct {
	Name  string
	Shape []int
	Data  []float32
}

// rawEntry is how Save writes a header entry.
type rawEntry struct {
	DType   string   `json:"dtype"`
	Shape   []int    `json:"shape"`
	Offsets [2]int64 `json:"data_offsets"`
}

// Save writes tensors (sorted by name) and string metadata atomically.
func Save(path string, tensors []Tensor, metadata map[string]string) error {
	sorted := append([]Tensor(nil), tensors...)
	sort.Slice(sorted, func(i, j int) bool { return sorted[i].Name < sorted[j].Name })
	header := map[string]any{}
	if len(metadata) > 0 {
		header["__metadata__"] = metadata
	}
	var off int64
	for _, t := range sorted {
		if t.Name == "__metadata__" {
			return fmt.Errorf("save %s: tensor name __metadata__ is reserved", path)
		}
		if _, dup := header[t.Name]; dup {
			return fmt.Errorf("save %s: duplicate tensor %q", path, t.Name)
		}
		if n, ok := numel(t.Shape); !ok || n != len(t.Data) {
			return fmt.Errorf("save %s: tensor %q has %d values for shape %v (want non-negative dimensions whose product is the value count)",
				path, t.Name, len(t.Data), dims(t.Shape))
		}
		shape := t.Shape
		if shape == nil {
			shape = []int{}
		}
		size := int64(4 * len(t.Data))
		header[t.Name] = rawEntry{DType: "F32", Shape: shape, Offsets: [2]int64{off, off + size}}
		off += size
	}
	hj, err := json.Marshal(header)
	if err != nil {
		return fmt.Errorf("save %s: %w", path, err)
	}
	// Pad the header with spaces to 8 bytes so the data is aligned, as the
	// reference implementation does.
	for len(hj)%8 != 0 {
		hj = append(hj, ' ')
	}
	return atomicfile.Write(path, func(w io.Writer) error {
		bw := bufio.NewWriterSize(w, 1<<20)
		if err := binary.Write(bw, binary.LittleEndian, uint64(len(hj))); err != nil {
			return err
		}
		if _, err := bw.Write(hj); err != nil {
			return err
		}
		buf := make([]byte, 4)
		for _, t := range sorted {
			for _, v := range t.Data {
				binary.LittleEndian.PutUint32(buf, math.Float32bits(v))
				if _, err := bw.Write(buf); err != nil {
					return err
				}
			}
		}
		return bw.Flush()
	})
}

// Load reads every tensor of a safetensors file, keyed by name, and its
// metadata. F32, F16, BF16, F64 and integer dtypes are converted to float32.
// The whole header is validated before any data is read (see Read).
func Load(path string) (map[string]Tensor, map[string]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, fmt.Errorf("load weights: %w", err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, nil, fmt.Errorf("load weights %s: %w", path, err)
	}
	return Read(f, st.Size(), path)
}

// Read is Load over the size bytes of r; name is the file named in errors.
// Every header entry is checked (known dtype, non-negative dimensions, a
// byte size that does not overflow and equals its data_offsets span, a span
// inside the data section overlapping no other, no duplicate key) before
// any tensor is allocated, and each tensor is then sized from its span: so
// a header cannot make Read allocate more than 4 bytes of float32 per data
// byte of the file (the widening of 1-byte dtypes), whatever it claims.
func Read(r io.ReaderAt, size int64, name string) (map[string]Tensor, map[string]string, error) {
	h, err := readHeader(r, size)
	if err != nil {
		return nil, nil, fmt.Errorf("load weights %s: %w", name, err)
	}
	out := make(map[string]Tensor, len(h.entries))
	// One chunk buffer serves every tensor; its size is a multiple of
	// every dtype width (8) so no element straddles two chunks.
	buf := make([]byte, min(64<<10, (size-h.dataStart+7)&^7))
	for _, e := range h.entries {
		data := make([]float32, e.numel())
		for done := int64(0); done < e.end-e.begin; {
			chunk := buf[:min(int64(len(buf)), e.end-e.begin-done)]
			if err := readAt(r, chunk, h.dataStart+e.begin+done); err != nil {
				return nil, nil, fmt.Errorf("load weights %s: tensor %q: data: %w", name, e.name, err)
			}
			w := dtypeWidth[e.dtype]
			decode(data[done/w:], e.dtype, chunk)
			done += int64(len(chunk))
		}
		out[e.name] = Tensor{Name: e.name, Shape: e.shape, Data: data}
	}
	return out, h.meta, nil
}

// decode converts the little-endian values of b into dst.
func decode(dst []float32, dtype string, b []byte) {
	le := binary.LittleEndian
	switch dtype {
	case "F32":
		for i := range len(b) / 4 {
			dst[i] = math.Float32frombits(le.Uint32(b[4*i:]))
		}
	case "F16":
		for i := range len(b) / 2 {
			dst[i] = halfToFloat(le.Uint16(b[2*i:]))
		}
	case "BF16":
		for i := range len(b) / 2 {
			dst[i] = math.Float32frombits(uint32(le.Uint16(b[2*i:])) << 16)
		}
	case "F64":
		for i := range len(b) / 8 {
			dst[i] = float32(math.Float64frombits(le.Uint64(b[8*i:])))
		}
	case "I64":
		for i := range len(b) / 8 {
			dst[i] = float32(int64(le.Uint64(b[8*i:])))
		}
	case "I32":
		for i := range len(b) / 4 {
			dst[i] = float32(int32(le.Uint32(b[4*i:])))
		}
	case "I16":
		for i := range len(b) / 2 {
			dst[i] = float32(int16(le.Uint16(b[2*i:])))
		}
	case "I8":
		for i, v := range b {
			dst[i] = float32(int8(v))
		}
	case "U8", "BOOL":
		for i, v := range b {
			dst[i] = float32(v)
		}
	}
}

// halfToFloat converts an IEEE 754 binary16 value.
func halfToFloat(h uint16) float32 {
	sign := uint32(h>>15) << 31
	exp := uint32(h>>10) & 0x1f
	frac := uint32(h) & 0x3ff
	switch {
	case exp == 0 && frac == 0:
		return math.Float32frombits(sign)
	case exp == 0: // subnormal: value = frac * 2^-24
		v := float32(frac) / (1 << 24)
		if sign != 0 {
			v = -v
		}
		return v
	case exp == 0x1f:
		return math.Float32frombits(sign | 0xff<<23 | frac<<13)
	}
	return math.Float32frombits(sign | (exp+112)<<23 | frac<<13)
}

// numel is the element count of shape, or false if a dimension is
// negative or the count overflows int.
func numel(shape []int) (int, bool) {
	for _, d := range shape {
		if d < 0 {
			return 0, false
		}
	}
	n, ok := byteSize(shape, 1)
	return int(n), ok && n <= math.MaxInt
}
