package main

import (
	"io"
	"log/slog"
	"os"

	"github.com/spf13/cobra"

	"github.com/gradprint/gradprint/ingest"
	"github.com/gradprint/gradprint/internal/buildinfo"
	"github.com/gradprint/gradprint/internal/pipeline"
	"github.com/gradprint/gradprint/internal/profile"
	"github.com/gradprint/gradprint/internal/progress"
)

// globals holds the flags every command shares. It is created per process
// invocation and passed down explicitly.
type globals struct {
	dataDir  string
	out      string
	seed     uint64
	report   progress.Stderr
	cpuProf  string
	memProf  string
	stopProf func() error

	stdout io.Writer
	stderr io.Writer
	log    *slog.Logger
}

// env is what the application layer needs of the shared flags.
func (g *globals) env() pipeline.Env {
	return pipeline.Env{Out: g.out, DataDir: g.dataDir, Seed: g.seed, Log: g.log,
		Stderr: g.stderr, Quiet: g.report.Quiet, Progress: g.report.Mode(), Build: buildinfo.Read(version, commit)}
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
			var err error
			if g.log, err = g.report.Logger(g.stderr); err != nil {
				return err
			}
			if runsNetwork(cmd.Name()) {
				warnNarrowCore(g.log)
			}
			if g.cpuProf != "" {
				g.stopProf, err = profile.StartCPU("--cpuprofile", g.cpuProf)
			}
			return err
		},
		PersistentPostRunE: func(cmd *cobra.Command, args []string) error {
			if g.memProf != "" {
				if err := profile.WriteHeap("--memprofile", g.memProf); err != nil {
					return err
				}
			}
			if g.stopProf != nil {
				return g.stopProf()
			}
			return nil
		},
	}
	pf := root.PersistentFlags()
	pf.StringVar(&g.dataDir, "data-dir", ingest.DefaultDataDir(), "folder holding MedMNIST .npz files (env GRADPRINT_DATA_DIR)")
	pf.StringVar(&g.out, "out", "gradprint-out", "output folder (models, warehouse, reports)")
	pf.Uint64Var(&g.seed, "seed", 1, "run seed; every random draw derives from it and it is recorded with the run")
	pf.BoolVar(&g.report.Quiet, "quiet", false, "no progress output, warnings only")
	pf.StringVar(&g.report.LogFormat, "log-format", "text", "log format on stderr: text or json")
	pf.StringVar(&g.report.Progress, "progress", "auto", "progress on stderr: auto (a live line on a terminal, none elsewhere), lines (a plain line every 5 s, for logs and pods) or none")
	pf.StringVar(&g.memProf, "memprofile", "", "write a Go heap profile at the end of the command to this file (for `go tool pprof`)")
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
