package pipeline

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"time"

	"github.com/gradprint/gradprint/warehouse"
	"github.com/gradprint/gradprint/warehouse/rows"
)

// runID names a run by what it does: the same kind and configuration give
// the same id, so rerunning a step resumes it instead of duplicating rows.
// The configuration is hashed as canonical JSON (top-level keys sorted),
// which is also what the run stores, so field order in a config type never
// changes an id.
func runID(kind string, config any) (id, configJSON string, err error) {
	b, err := json.Marshal(config)
	if err != nil {
		return "", "", fmt.Errorf("%s configuration: %w", kind, err)
	}
	var top map[string]json.RawMessage
	if err := json.Unmarshal(b, &top); err != nil {
		return "", "", fmt.Errorf("%s configuration is not a JSON object: %w", kind, err)
	}
	if b, err = json.Marshal(top); err != nil {
		return "", "", err
	}
	h := sha256.Sum256(append([]byte(kind+"\n"), b...))
	return kind + "-" + hex.EncodeToString(h[:6]), string(b), nil
}

// decodeConfig reads the configuration a run stored into the type its step
// records, so a later step sees exactly the settings its parent ran with.
func decodeConfig[T any](m rows.RunMeta) (T, error) {
	var c T
	if err := json.Unmarshal([]byte(m.ConfigJSON), &c); err != nil {
		return c, fmt.Errorf("%s run %s: config_json: %w", m.Kind, m.RunID, err)
	}
	return c, nil
}

// runSpec is what a step says about the run it is about to write.
type runSpec struct {
	kind    string
	dataset string
	seed    uint64
	config  any // the step's typed configuration: the run's identity
	parent  string
	model   string // SHA-256 of the model file used, when known up front
	shard   int
	shards  int // 0 means 1
}

// stepRun is one shard of a run being written by a step.
type stepRun struct {
	*warehouse.Run
	wh      *warehouse.Warehouse
	resumed bool
	start   time.Time
}

// openRun begins the run of spec, or resumes it when a run with the same
// configuration exists. Callers defer Close and finish with end.
func (e Env) openRun(spec runSpec) (*stepRun, error) {
	id, cfgJSON, err := runID(spec.kind, spec.config)
	if err != nil {
		return nil, err
	}
	wh, err := e.openWarehouse()
	if err != nil {
		return nil, err
	}
	shards := max(spec.shards, 1)
	run, resumed, err := wh.BeginOrResume(rows.RunMeta{RunID: id, Dataset: spec.dataset, Kind: spec.kind, Seed: spec.seed,
		ConfigJSON: cfgJSON, ModelSHA256: spec.model, ParentRunID: spec.parent,
		ShardIndex: int32(spec.shard), ShardCount: int32(shards), BuildJSON: e.Build.JSON()})
	if err != nil {
		return nil, err
	}
	e.log().Info("run opened", "run", id, "kind", spec.kind, "shard", fmt.Sprintf("%d/%d", spec.shard, shards), "resumed", resumed,
		"build", e.Build.Version, "commit", e.Build.Commit, "gemm", e.Build.GEMM, "core", e.Build.Core)
	return &stepRun{Run: run, wh: wh, resumed: resumed, start: time.Now()}, nil
}

// complete reports whether the run had already finished before this step
// opened it.
func (r *stepRun) complete() bool { return r.Meta().Status == rows.StatusComplete }

// ref names the run for the catalog.
func (r *stepRun) ref() warehouse.RunRef {
	return warehouse.RunRef{Dataset: r.Meta().Dataset, RunID: r.ID()}
}

// end records how the step ended: failed with err (which it returns), or
// complete with the step's wall time; either way the writer lock is
// released. change, when set, updates the run row first (the model
// checksum of a train run, say).
func (r *stepRun) end(err error, change func(*rows.RunMeta)) error {
	if err != nil {
		if ferr := r.Finish(rows.StatusFailed, err); ferr != nil {
			return fmt.Errorf("%w (and marking run %s failed: %v)", err, r.ID(), ferr)
		}
		return err
	}
	kind := r.Meta().Kind
	seconds := time.Since(r.start).Seconds()
	if err := r.Update(func(m *rows.RunMeta) {
		m.TimingsJSON = fmt.Sprintf(`{"%s_s": %.1f}`, kind, seconds)
		if change != nil {
			change(m)
		}
	}); err != nil {
		return err
	}
	return r.Finish(rows.StatusComplete, nil)
}
