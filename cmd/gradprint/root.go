package main

import (
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"runtime/pprof"

	"github.com/spf13/cobra"

	"github.com/gradprint/gradprint/internal/buildinfo"
	"github.com/gradprint/gradprint/internal/pipeline"
	"github.com/gradprint/gradprint/internal/progress"
)

// globals holds the flags every command shares. It is created per process
// invocation and passed down explicitly.
type globals struct {
	dataDir   string
	out       string
	seed      uint64
	quiet     bool
	logFormat string
	progress  string
	cpuProf   string

	stdout io.Writer
	stderr io.Writer
	log    *slog.Logger
}

// progressMode says how long-running steps report on stderr.
func (g *globals) progressMode() progress.Mode {
	switch {
	case g.quiet || g.progress == "none":
		return progress.Quiet
	case g.progress == "lines":
		return progress.Lines
	case g.logFormat == "json":
		return progress.Quiet
	default:
		return progress.Auto
	}
}

// env is what the application layer needs of the shared flags.
func (g *globals) env() pipeline.Env {
	return pipeline.Env{Out: g.out, DataDir: g.dataDir, Seed: g.seed, Log: g.log,
		Stderr: g.stderr, Quiet: g.quiet, Progress: g.progressMode(), Build: buildinfo.Read(version, commit)}
}

// defaultCacheDir is where fetched datasets go unless --data-dir or
// GRADPRINT_DATA_DIR says otherwise.
func defaultCacheDir() string {
	if d := os.Getenv("GRADPRINT_DATA_DIR"); d != "" {
		return d
	}
	if d, err := os.UserCacheDir(); err == nil {
		return filepath.Join(d, "gradprint", "medmnist")
	}
	return filepath.Join(".gradprint", "medmnist")
}

func newRootCmd() *cobra.Command {
	g := &globals{stdout: os.Stdout, stderr: os.Stderr}
	root := &cobra.Command{
		Use:   "gradprint",
		Short: "Robustness checks and failure flags for medical image classifiers from layer-wise saliency",
		Long: `gradprint trains or loads a ResNet18 on MedMNIST-style data, corrupts test
images (noise, blur, contrast, brightness) at graded severities, computes
saliency maps at eight layers for clean and corrupted inputs, stores every
prediction, saliency change and AUC as Hive-partitioned Parquet, answers
questions with DuckDB SQL, draws the figures, and flags predictions likely to
be wrong.`,
		SilenceUsage:  true,
		SilenceErrors: true,
		PersistentPreRunE: func(cmd *cobra.Command, args []string) error {
			var h slog.Handler
			level := slog.LevelInfo
			if g.quiet {
				level = slog.LevelWarn
			}
			opts := &slog.HandlerOptions{Level: level}
			switch g.logFormat {
			case "text":
				h = slog.NewTextHandler(g.stderr, opts)
			case "json":
				h = slog.NewJSONHandler(g.stderr, opts)
			default:
				return fmt.Errorf("--log-format: want text or json, got %q", g.logFormat)
			}
			g.log = slog.New(h)
			if g.progress != "auto" && g.progress != "lines" && g.progress != "none" {
				return fmt.Errorf("--progress: want auto, lines or none, got %q", g.progress)
			}
			if g.cpuProf != "" {
				f, err := os.Create(g.cpuProf)
				if err != nil {
					return fmt.Errorf("--cpuprofile: %w", err)
				}
				if err := pprof.StartCPUProfile(f); err != nil {
					return fmt.Errorf("--cpuprofile: %w", err)
				}
			}
			return nil
		},
		PersistentPostRun: func(cmd *cobra.Command, args []string) {
			if g.cpuProf != "" {
				pprof.StopCPUProfile()
			}
		},
	}
	pf := root.PersistentFlags()
	pf.StringVar(&g.dataDir, "data-dir", defaultCacheDir(), "folder holding MedMNIST .npz files (env GRADPRINT_DATA_DIR)")
	pf.StringVar(&g.out, "out", "gradprint-out", "output folder (models, warehouse, reports)")
	pf.Uint64Var(&g.seed, "seed", 1, "run seed; every random draw derives from it and it is recorded with the run")
	pf.BoolVar(&g.quiet, "quiet", false, "no progress output, warnings only")
	pf.StringVar(&g.logFormat, "log-format", "text", "log format on stderr: text or json")
	pf.StringVar(&g.progress, "progress", "auto", "progress on stderr: auto (a live line on a terminal, none elsewhere), lines (a plain line every 5 s, for logs and pods) or none")
	pf.StringVar(&g.cpuProf, "cpuprofile", "", "write a Go CPU profile of the command to this file (for `go tool pprof`)")

	root.AddCommand(
		newVersionCmd(g),
		newDemoCmd(g),
		newStudyCmd(g),
		newDatasetsCmd(g),
		newTrainCmd(g),
		newEvaluateCmd(g),
		newAnalyzeCmd(g),
		newFingerprintCmd(g),
		newFailureCmd(g),
		newReportCmd(g),
		newFlagCmd(g),
		newQueryCmd(g),
		newSchemaCmd(g),
		newBenchCmd(g),
	)
	return root
}
