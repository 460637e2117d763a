package weights

import (
	"encoding/binary"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func TestRoundTrip(t *testing.T) {
	path := filepath.Join(t.TempDir(), "m.safetensors")
	in := []Tensor{
		{Name: "fc.weight", Shape: []int{2, 3}, Data: []float32{1, -2, 3.5, 0, 1e-7, -1e9}},
		{Name: "fc.bias", Shape: []int{2}, Data: []float32{0.25, -0.5}},
		{Name: "scalar", Shape: []int{}, Data: []float32{7}},
	}
	if err := Save(path, in, map[string]string{"format": "pt", "classes": "2"}); err != nil {
		t.Fatal(err)
	}
	got, meta, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if meta["classes"] != "2" || meta["format"] != "pt" {
		t.Fatalf("metadata = %v", meta)
	}
	for _, w := range in {
		g := got[w.Name]
		if !reflect.DeepEqual(g.Data, w.Data) || !reflect.DeepEqual(g.Shape, w.Shape) {
			t.Fatalf("%s: got %v %v, want %v %v", w.Name, g.Shape, g.Data, w.Shape, w.Data)
		}
	}
}

// writeRaw builds a safetensors file by hand, the way PyTorch's writer lays
// it out, to check that we read foreign files and not only our own.
func writeRaw(t *testing.T, header map[string]any, data []byte) string {
	t.Helper()
	hj, err := json.Marshal(header)
	if err != nil {
		t.Fatal(err)
	}
	b := binary.LittleEndian.AppendUint64(nil, uint64(len(hj)))
	b = append(append(b, hj...), data...)
	p := filepath.Join(t.TempDir(), "raw.safetensors")
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestLoadForeignDtypes(t *testing.T) {
	var data []byte
	data = binary.LittleEndian.AppendUint64(data, uint64(12345))         // I64 num_batches_tracked
	data = binary.LittleEndian.AppendUint16(data, 0x3c00)                // F16 1.0
	data = binary.LittleEndian.AppendUint16(data, 0xc000)                // F16 -2.0
	data = binary.LittleEndian.AppendUint16(data, 0x3f80)                // BF16 1.0
	data = binary.LittleEndian.AppendUint64(data, math.Float64bits(0.5)) // F64
	p := writeRaw(t, map[string]any{
		"bn1.num_batches_tracked": map[string]any{"dtype": "I64", "shape": []int{}, "data_offsets": []int{0, 8}},
		"half":                    map[string]any{"dtype": "F16", "shape": []int{2}, "data_offsets": []int{8, 12}},
		"bf":                      map[string]any{"dtype": "BF16", "shape": []int{1}, "data_offsets": []int{12, 14}},
		"dbl":                     map[string]any{"dtype": "F64", "shape": []int{1, 1}, "data_offsets": []int{14, 22}},
	}, data)
	got, _, err := Load(p)
	if err != nil {
		t.Fatal(err)
	}
	check := map[string][]float32{
		"bn1.num_batches_tracked": {12345}, "half": {1, -2}, "bf": {1}, "dbl": {0.5},
	}
	for name, want := range check {
		if !reflect.DeepEqual(got[name].Data, want) {
			t.Fatalf("%s = %v, want %v", name, got[name].Data, want)
		}
	}
}

func TestLoadRejectsBadFiles(t *testing.T) {
	dir := t.TempDir()
	short := filepath.Join(dir, "short.safetensors")
	os.WriteFile(short, []byte{1, 2, 3}, 0o644)
	if _, _, err := Load(short); err == nil || !strings.Contains(err.Error(), "short.safetensors") {
		t.Fatalf("short file: err = %v, want one naming the file", err)
	}
	huge := filepath.Join(dir, "huge.safetensors")
	os.WriteFile(huge, binary.LittleEndian.AppendUint64(nil, 1<<40), 0o644)
	if _, _, err := Load(huge); err == nil || !strings.Contains(err.Error(), "header length") {
		t.Fatalf("huge header: err = %v", err)
	}
	bad := writeRaw(t, map[string]any{
		"w": map[string]any{"dtype": "F32", "shape": []int{4}, "data_offsets": []int{0, 8}},
	}, make([]byte, 8))
	if _, _, err := Load(bad); err == nil || !strings.Contains(err.Error(), `tensor "w"`) {
		t.Fatalf("offsets mismatch: err = %v, want one naming the tensor", err)
	}
	dtype := writeRaw(t, map[string]any{
		"w": map[string]any{"dtype": "C64", "shape": []int{1}, "data_offsets": []int{0, 8}},
	}, make([]byte, 8))
	if _, _, err := Load(dtype); err == nil || !strings.Contains(err.Error(), "C64") {
		t.Fatalf("dtype: err = %v", err)
	}
}

func TestSaveRejectsShapeMismatch(t *testing.T) {
	err := Save(filepath.Join(t.TempDir(), "x.safetensors"), []Tensor{{Name: "a", Shape: []int{3}, Data: []float32{1}}}, nil)
	if err == nil || !strings.Contains(err.Error(), `"a"`) {
		t.Fatalf("err = %v", err)
	}
}
