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

// maxHeader bounds the JSON header so a corrupt length cannot make us
// allocate gigabytes; real headers of ResNets are a few kB.
const maxHeader = 100 << 20

type entry struct {
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
		if n := numel(t.Shape); n != len(t.Data) {
			return fmt.Errorf("save %s: tensor %q has %d values for shape %v (want %d)", path, t.Name, len(t.Data), t.Shape, n)
		}
		shape := t.Shape
		if shape == nil {
			shape = []int{}
		}
		size := int64(4 * len(t.Data))
		header[t.Name] = entry{DType: "F32", Shape: shape, Offsets: [2]int64{off, off + size}}
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
	var hlen uint64
	if err := binary.Read(f, binary.LittleEndian, &hlen); err != nil {
		return nil, nil, fmt.Errorf("load weights %s: header length: file too short (%d bytes) for safetensors", path, st.Size())
	}
	if hlen > maxHeader || int64(hlen)+8 > st.Size() {
		return nil, nil, fmt.Errorf("load weights %s: header length %d does not fit a %d-byte file: not a safetensors file", path, hlen, st.Size())
	}
	hj := make([]byte, hlen)
	if _, err := io.ReadFull(f, hj); err != nil {
		return nil, nil, fmt.Errorf("load weights %s: header: %w", path, err)
	}
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(hj, &raw); err != nil {
		return nil, nil, fmt.Errorf("load weights %s: header is not JSON: %w", path, err)
	}
	dataLen := st.Size() - 8 - int64(hlen)
	var meta map[string]string
	entries := map[string]entry{}
	for name, msg := range raw {
		if name == "__metadata__" {
			if err := json.Unmarshal(msg, &meta); err != nil {
				return nil, nil, fmt.Errorf("load weights %s: __metadata__: want a map of strings: %w", path, err)
			}
			continue
		}
		var e entry
		if err := json.Unmarshal(msg, &e); err != nil {
			return nil, nil, fmt.Errorf("load weights %s: tensor %q: %w", path, name, err)
		}
		width, ok := dtypeWidth[e.DType]
		if !ok {
			return nil, nil, fmt.Errorf("load weights %s: tensor %q: unsupported dtype %q", path, name, e.DType)
		}
		want := int64(numel(e.Shape)) * width
		if e.Offsets[0] < 0 || e.Offsets[1] > dataLen || e.Offsets[1]-e.Offsets[0] != want {
			return nil, nil, fmt.Errorf("load weights %s: tensor %q: data_offsets %v do not hold %v %s in %d data bytes",
				path, name, e.Offsets, e.Shape, e.DType, dataLen)
		}
		entries[name] = e
	}
	data := make([]byte, dataLen)
	if _, err := io.ReadFull(f, data); err != nil {
		return nil, nil, fmt.Errorf("load weights %s: data: %w", path, err)
	}
	out := make(map[string]Tensor, len(entries))
	for name, e := range entries {
		out[name] = Tensor{Name: name, Shape: e.Shape, Data: decode(e.DType, data[e.Offsets[0]:e.Offsets[1]])}
	}
	return out, meta, nil
}

var dtypeWidth = map[string]int64{
	"F32": 4, "F16": 2, "BF16": 2, "F64": 8,
	"I64": 8, "I32": 4, "I16": 2, "I8": 1, "U8": 1, "BOOL": 1,
}

func decode(dtype string, b []byte) []float32 {
	w := int(dtypeWidth[dtype])
	out := make([]float32, len(b)/w)
	le := binary.LittleEndian
	for i := range out {
		p := b[i*w:]
		switch dtype {
		case "F32":
			out[i] = math.Float32frombits(le.Uint32(p))
		case "F16":
			out[i] = halfToFloat(le.Uint16(p))
		case "BF16":
			out[i] = math.Float32frombits(uint32(le.Uint16(p)) << 16)
		case "F64":
			out[i] = float32(math.Float64frombits(le.Uint64(p)))
		case "I64":
			out[i] = float32(int64(le.Uint64(p)))
		case "I32":
			out[i] = float32(int32(le.Uint32(p)))
		case "I16":
			out[i] = float32(int16(le.Uint16(p)))
		case "I8":
			out[i] = float32(int8(p[0]))
		case "U8", "BOOL":
			out[i] = float32(p[0])
		}
	}
	return out
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

func numel(shape []int) int {
	n := 1
	for _, d := range shape {
		n *= d
	}
	return n
}
