package resnet

import (
	"fmt"

	"github.com/gradprint/gradprint/compute/engine"
)

// NumClasses is the width of the classification head.
func (m *Model) NumClasses() int { return m.cfg.Classes }

// Probs runs eval-mode inference and returns softmax probabilities,
// n x classes.
func (m *Model) Probs(images []uint8, n, h, w, c int) ([]float32, error) {
	logits, err := m.Logits(images, n, h, w, c)
	if err != nil {
		return nil, err
	}
	k := m.cfg.Classes
	for i := 0; i < n; i++ {
		row := logits[i*k : (i+1)*k]
		engine.Softmax(row, row)
	}
	return logits, nil
}

// Snapshot copies every parameter and running statistic, for restoring the
// best epoch.
func (m *Model) Snapshot() any {
	ps := m.Params()
	s := make(map[string][]float32, len(ps))
	for _, p := range ps {
		s[p.Name] = append([]float32(nil), p.Data...)
	}
	return s
}

// Restore brings back a Snapshot of this model.
func (m *Model) Restore(snapshot any) error {
	s, ok := snapshot.(map[string][]float32)
	if !ok {
		return fmt.Errorf("resnet: restore from %T, want a snapshot of this model", snapshot)
	}
	for name, data := range s {
		if err := m.SetParam(name, data); err != nil {
			return err
		}
	}
	return nil
}
