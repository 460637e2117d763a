// Package pipeline is gradprint's application layer: one function per step
// (Train, Evaluate, Analyze, Failure, Flag, Report, Study, Demo), each taking
// typed options and returning a typed result. The CLI parses flags into the
// options and formats the results; it holds no logic of its own.
//
// Every step that writes results owns its run's lifecycle through one
// helper (run.go): the run id is a hash of the step's typed configuration,
// so the same step with the same settings resumes or is skipped instead of
// duplicating rows; the configuration (seed included) is stored with the
// run as JSON, and later steps decode their parent's configuration into
// the same Go type (flag analyses new images with the analyze run's own
// seed and settings). A step that fails marks its run failed with the
// error.
//
// Data flows one way: ingest reads images, compute turns them into rows
// written through the warehouse's sink, queries answer SQL over the
// warehouse, reports draw the answers. This package only wires them.
package pipeline

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"

	"github.com/gradprint/gradprint/ingest"
	"github.com/gradprint/gradprint/internal/buildinfo"
	"github.com/gradprint/gradprint/internal/progress"
	"github.com/gradprint/gradprint/warehouse"
)

// Env is what every step shares: where results go and data come from, the
// run seed, and where logs and progress go. Steps take it by value, so a
// study can override a field for its own steps without touching the
// caller's.
type Env struct {
	Out     string // output folder: data/, models/, warehouse/, report/
	DataDir string // folder of MedMNIST .npz files
	Seed    uint64 // run seed; every random draw derives from it

	Log *slog.Logger // nil discards
	// Stderr receives progress: epoch lines and progress bars. Nil, or
	// Quiet, shows none; Progress chooses how bars draw.
	Stderr   io.Writer
	Quiet    bool
	Progress progress.Mode
	// OnStep, when set, is told of every step a Study or Demo finishes,
	// so the caller can print results as they come.
	OnStep func(StepResult)
	// Build says which binary runs; every step logs it when it opens its
	// run, so a pod's log names the build behind its rows.
	Build buildinfo.Info
}

// StepResult is the result of one step: *TrainResult, *AnalyzeResult,
// *FailureResult, *ReportResult or *FetchResult.
type StepResult interface{ StepName() string }

func (e Env) log() *slog.Logger {
	if e.Log != nil {
		return e.Log
	}
	return slog.New(slog.DiscardHandler)
}

// progressOut is where epoch lines go: nil when quiet.
func (e Env) progressOut() io.Writer {
	if e.Quiet || e.Stderr == nil {
		return nil
	}
	return e.Stderr
}

func (e Env) bar(name, unit string, total int64) *progress.Bar {
	w := e.Stderr
	if w == nil {
		w = io.Discard
	}
	mode := e.Progress
	if e.Quiet {
		mode = progress.Quiet
	}
	return progress.New(w, mode, name, unit, total)
}

// WarehouseDir is the warehouse folder under Out.
func (e Env) WarehouseDir() string { return filepath.Join(e.Out, "warehouse") }

// ModelsDir holds models and fitted detectors.
func (e Env) ModelsDir() string { return filepath.Join(e.Out, "models") }

func (e Env) openWarehouse() (*warehouse.Warehouse, error) { return warehouse.Open(e.WarehouseDir()) }

func (e Env) step(r StepResult) {
	if e.OnStep != nil {
		e.OnStep(r)
	}
}

// runStep runs one step of a study or the demo: its error names the step,
// and its result goes to OnStep.
func runStep[O any, R StepResult](ctx context.Context, e Env, step func(context.Context, Env, O) (R, error), o O) (R, error) {
	r, err := step(ctx, e, o)
	if err != nil {
		var zero R
		return r, fmt.Errorf("step %s: %w", zero.StepName(), err)
	}
	e.step(r)
	return r, nil
}

// DataSource picks a dataset file: an explicit File, else the MedMNIST
// file of Dataset at Size in the data folder, else (Dataset empty or
// "synthetic") the synthetic default, generated on first use.
type DataSource struct {
	Dataset string
	Size    int // 28 when 0
	File    string
}

func (d DataSource) size() int {
	if d.Size == 0 {
		return 28
	}
	return d.Size
}

// Path resolves the npz file to read, generating the synthetic default
// when it is asked for and absent.
func (e Env) Path(d DataSource) (string, error) {
	if d.File != "" {
		return d.File, nil
	}
	size := d.size()
	if d.Dataset == "" || d.Dataset == "synthetic" {
		cfg := ingest.DefaultSynthConfig()
		cfg.Size = size
		cfg.Seed = e.Seed
		p := filepath.Join(e.Out, "data", fmt.Sprintf("synthetic_%d_seed%d.npz", size, e.Seed))
		if _, err := os.Stat(p); err == nil {
			return p, nil
		}
		e.log().Info("generating synthetic dataset", "path", p, "size", cfg.Size, "classes", cfg.Classes, "seed", cfg.Seed)
		return p, ingest.WriteSynthetic(p, cfg)
	}
	info, err := ingest.Lookup(d.Dataset)
	if err != nil {
		return "", err
	}
	p := filepath.Join(e.DataDir, info.FileName(size))
	if _, err := os.Stat(p); err != nil {
		return "", fmt.Errorf("dataset file %s not found: run `gradprint datasets fetch %s --size %d --data-dir %s` or pass --data FILE", p, d.Dataset, size, e.DataDir)
	}
	return p, nil
}

// load reads every split of the chosen dataset and names its warehouse
// partition.
func (e Env) load(d DataSource) (path, flag string, splits map[ingest.Split]*ingest.Dataset, err error) {
	if path, err = e.Path(d); err != nil {
		return "", "", nil, err
	}
	if splits, err = ingest.ReadNPZ(path, nil); err != nil {
		return "", "", nil, err
	}
	if h := imageSize(splits); d.File != "" && d.Size != 0 && h != d.Size {
		return "", "", nil, fmt.Errorf("--size %d, but %s holds %d px images (drop --size: a --data file names its own size)", d.Size, path, h)
	}
	return path, d.Partition(splits), splits, nil
}

// imageSize is the image height of the splits (they share one geometry).
func imageSize(splits map[ingest.Split]*ingest.Dataset) int {
	for _, s := range ingest.Splits {
		if d := splits[s]; d != nil {
			return d.H
		}
	}
	return 0
}

// Partition is the dataset flag recorded in the warehouse partition key:
// the flag, or the --data file's own flag, with _<size> for sizes other
// than 28 (a --data file's own image size). splits may be nil when no file
// was read.
func (d DataSource) Partition(splits map[ingest.Split]*ingest.Dataset) string {
	f := d.Dataset
	if f == "" {
		f = "synthetic"
		for _, s := range splits {
			if s.Flag != "" && d.File != "" {
				f = s.Flag
			}
			break
		}
	}
	size := d.size()
	if h := imageSize(splits); d.File != "" && h > 0 {
		size = h
	}
	if size != 28 {
		f = fmt.Sprintf("%s_%d", f, size)
	}
	return sanitize(f)
}

func sanitize(s string) string {
	return strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '.' || r == '_' || r == '-' {
			return r
		}
		return '_'
	}, s)
}
