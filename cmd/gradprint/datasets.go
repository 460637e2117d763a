package main

import (
	"fmt"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/gradprint/gradprint/ingest"
	"github.com/gradprint/gradprint/internal/textout"
)

// newDatasetsCmd groups the commands that list, check, download and
// generate MedMNIST-layout data.
func newDatasetsCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "datasets",
		Short: "List, verify, fetch and synthesise MedMNIST-layout datasets",
		Long: `datasets knows the twelve MedMNIST 2D datasets (flags, classes, split sizes,
official MD5 of every file at 28/64/128/224 px), checks any .npz file against
that registry, downloads official files into the cache folder (--data-dir,
env GRADPRINT_DATA_DIR), and writes the deterministic synthetic dataset that
gradprint uses by default.`,
	}
	cmd.AddCommand(newDatasetsListCmd(g), newDatasetsVerifyCmd(g), newDatasetsFetchCmd(g), newDatasetsSynthCmd(g))
	return cmd
}

func newDatasetsListCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "list",
		Short: "Print the MedMNIST 2D registry as a table",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return textout.Registry(g.stdout, ingest.Registry())
		},
	}
}

func newDatasetsVerifyCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "verify [FILES...]",
		Short: "Check .npz files: MD5 against the registry, keys, shapes, split sizes, class counts",
		Long: `verify checks each FILE (default: every .npz in --data-dir). A file whose MD5
matches the registry is reported as "official <flag> size N"; a valid file
with another checksum is reported as "not official" with how it differs from
the registry. A file is invalid, and the exit status non-zero, exactly when
train, evaluate or analyze would refuse it, with the same message (for
example ChestMNIST: multi-label, which gradprint does not train on).`,
		Example: `  gradprint datasets verify --data-dir ../shared/medmnist
  gradprint datasets verify my_copy.npz`,
		RunE: func(cmd *cobra.Command, args []string) error {
			files := args
			if len(files) == 0 {
				m, err := ingest.ListNPZ(g.dataDir)
				if err != nil {
					return err
				}
				files = m
			}
			return textout.Verification(g.stdout, files, ingest.VerifyFile)
		},
	}
}

func newDatasetsFetchCmd(g *globals) *cobra.Command {
	var (
		size    int
		baseURL string
	)
	cmd := &cobra.Command{
		Use:   "fetch FLAG",
		Short: "Download an official MedMNIST file into the cache folder, checking its MD5",
		Long: `fetch downloads <flag>.npz (or <flag>_<size>.npz) from the MedMNIST+ Zenodo
record into --data-dir. Data goes to "<file>.part" first; an interrupted
download resumes from there with an HTTP Range request (or restarts cleanly
when the server ignores it), and the file gets its final name only once its
MD5 equals the registry's. A wrong checksum deletes the part file.`,
		Example: `  gradprint datasets fetch breastmnist
  gradprint datasets fetch dermamnist --size 64 --data-dir ~/data/medmnist`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			f := &ingest.Fetcher{
				Dir: g.dataDir, BaseURL: baseURL,
				Progress: g.stderr, ProgressMode: g.report.Mode(), Log: g.log,
			}
			path, err := f.Fetch(cmd.Context(), args[0], size)
			if err != nil {
				return err
			}
			fmt.Fprintln(g.stdout, path)
			return nil
		},
	}
	cmd.Flags().IntVar(&size, "size", 28, "image size: 28, 64, 128 or 224")
	cmd.Flags().StringVar(&baseURL, "base-url", ingest.BaseURL(), "folder URL the files are fetched from (env GRADPRINT_MEDMNIST_URL; for mirrors)")
	return cmd
}

func newDatasetsSynthCmd(g *globals) *cobra.Command {
	cfg := ingest.DefaultSynthConfig()
	cmd := &cobra.Command{
		Use:   "synth",
		Short: "Write the deterministic synthetic dataset (MedMNIST layout) as .npz",
		Long: `synth renders classes of shapes (disc, ring, hbar, vbar, cross, checker,
triangle; the first --classes of them) with random position, scale,
contrast, polarity, background texture, noise and a distractor blob, and
writes a MedMNIST-layout npz plus a class_names array. The same flags and
--seed give the same bytes. --out names the file if it ends in .npz;
otherwise it is a folder that receives synthetic.npz.`,
		Example: `  gradprint datasets synth --out data/synth.npz --classes 4 --seed 7
  gradprint datasets synth --out data/rgb64.npz --size 64 --channels 3 --train 500 --val 100 --test 200`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			cfg.Seed = g.seed
			if err := cfg.Validate(); err != nil {
				return err
			}
			path := g.out
			if !strings.EqualFold(filepath.Ext(path), ".npz") {
				path = filepath.Join(path, "synthetic.npz")
			}
			if err := ingest.WriteSynthetic(path, cfg); err != nil {
				return err
			}
			g.log.Info("wrote synthetic dataset", "file", path, "seed", cfg.Seed, "size", cfg.Size,
				"channels", cfg.Channels, "classes", cfg.Classes, "train", cfg.Train, "val", cfg.Val, "test", cfg.Test)
			fmt.Fprintln(g.stdout, path)
			return nil
		},
	}
	fl := cmd.Flags()
	fl.IntVar(&cfg.Size, "size", cfg.Size, "image side in pixels (>= 8)")
	fl.IntVar(&cfg.Channels, "channels", cfg.Channels, "1 (grey) or 3 (RGB)")
	fl.IntVar(&cfg.Classes, "classes", cfg.Classes, fmt.Sprintf("number of classes, 2..%d", len(ingest.SynthClassNames)))
	fl.IntVar(&cfg.Train, "train", cfg.Train, "training images")
	fl.IntVar(&cfg.Val, "val", cfg.Val, "validation images")
	fl.IntVar(&cfg.Test, "test", cfg.Test, "test images")
	return cmd
}
