package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/goccy/go-yaml"
	"github.com/spf13/cobra"
)

// Study is a whole robustness study in one file. Unknown keys are errors so
// a typo cannot silently fall back to a default.
type Study struct {
	Seed     uint64         `yaml:"seed"`
	Out      string         `yaml:"out"`
	DataDir  string         `yaml:"data_dir"`
	Fetch    bool           `yaml:"fetch"`
	Datasets []StudyDataset `yaml:"datasets"`
	Train    StudyTrain     `yaml:"train"`
	Analyze  StudyAnalyze   `yaml:"analyze"`
	Failure  StudyFailure   `yaml:"failure"`
}

// StudyDataset is one dataset at one size, with an optional explicit file
// and an optional pre-trained model (which skips training).
type StudyDataset struct {
	Flag  string `yaml:"flag"`
	Size  int    `yaml:"size"`
	Data  string `yaml:"data"`
	Model string `yaml:"model"`
}

type StudyTrain struct {
	Epochs int     `yaml:"epochs"`
	Batch  int     `yaml:"batch"`
	LR     float64 `yaml:"lr"`
	Width  float64 `yaml:"width"`
	Init   string  `yaml:"init"`
}

type StudyAnalyze struct {
	Preset      string   `yaml:"preset"`
	Corruptions []string `yaml:"corruptions"`
	Severities  []int    `yaml:"severities"`
	Layers      []string `yaml:"layers"`
	Methods     []string `yaml:"methods"`
	PerClass    *int     `yaml:"per_class"`
	Select      string   `yaml:"select"`
	Splits      []string `yaml:"splits"`
	Target      string   `yaml:"target"`
}

type StudyFailure struct {
	Skip     bool    `yaml:"skip"`
	Coverage float64 `yaml:"coverage"`
	Boot     int     `yaml:"boot"`
}

func newStudyCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "study FILE.yaml",
		Short: "Run a whole study from one file: fetch, train, analyze, failure evaluation and report per dataset",
		Long: `study reads a YAML file naming datasets and sizes, the training recipe (or
pre-trained weights), the corruption preset, layers, saliency methods,
selection and seed, and runs the same commands a user would type for every
dataset. Steps whose run already completed with the same configuration are
skipped, so rerunning a study resumes it. See examples/thesis-study.yaml.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			st, err := loadStudy(args[0])
			if err != nil {
				return err
			}
			if st.Out != "" {
				g.out = st.Out
			}
			if st.DataDir != "" {
				g.dataDir = st.DataDir
			}
			if st.Seed != 0 {
				g.seed = st.Seed
			}
			for _, d := range st.Datasets {
				if err := runStudyDataset(cmd, g, st, d); err != nil {
					return fmt.Errorf("study %s, dataset %s at %d px: %w", args[0], d.Flag, d.Size, err)
				}
			}
			fmt.Fprintf(g.stdout, "study %s complete: warehouse %s, reports under %s\n", args[0], warehouseDir(g), filepath.Join(g.out, "report"))
			return nil
		},
	}
}

func loadStudy(path string) (*Study, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var st Study
	if err := yaml.UnmarshalWithOptions(b, &st, yaml.Strict()); err != nil {
		return nil, fmt.Errorf("study %s: %w", path, err)
	}
	if len(st.Datasets) == 0 {
		return nil, fmt.Errorf("study %s: datasets: want at least one entry", path)
	}
	for i, d := range st.Datasets {
		if d.Flag == "" {
			return nil, fmt.Errorf("study %s: datasets[%d].flag: want a dataset flag (breastmnist, ..., synthetic)", path, i)
		}
		if d.Size == 0 {
			st.Datasets[i].Size = 28
		}
	}
	return &st, nil
}

func runStudyDataset(cmd *cobra.Command, g *globals, st *Study, d StudyDataset) error {
	data := []string{"--dataset", d.Flag, "--size", strconv.Itoa(d.Size)}
	if d.Data != "" {
		data = append(data, "--data", d.Data)
	}
	name := d.Flag
	if d.Size != 28 {
		name = fmt.Sprintf("%s_%d", d.Flag, d.Size)
	}
	var steps []step
	if st.Fetch && d.Data == "" && d.Flag != "synthetic" {
		if _, err := (&dataFlags{dataset: d.Flag, size: d.Size}).path(g); err != nil {
			steps = append(steps, step{"datasets fetch", newDatasetsCmd(g), []string{"fetch", d.Flag, "--size", strconv.Itoa(d.Size)}})
		}
	}
	model := d.Model
	if model == "" {
		model = filepath.Join(g.out, "models", name+".safetensors")
		args := append([]string{"--model", model}, data...)
		t := st.Train
		if t.Epochs > 0 {
			args = append(args, "--epochs", strconv.Itoa(t.Epochs))
		}
		if t.Batch > 0 {
			args = append(args, "--batch", strconv.Itoa(t.Batch))
		}
		if t.LR > 0 {
			args = append(args, "--lr", strconv.FormatFloat(t.LR, 'g', -1, 64))
		}
		if t.Width > 0 {
			args = append(args, "--width", strconv.FormatFloat(t.Width, 'g', -1, 64))
		}
		if t.Init != "" {
			args = append(args, "--init", t.Init)
		}
		steps = append(steps, step{"train", newTrainCmd(g), args})
	}
	a := st.Analyze
	args := append([]string{"--model", model}, data...)
	add := func(flag, v string) {
		if v != "" {
			args = append(args, flag, v)
		}
	}
	add("--preset", a.Preset)
	add("--corruptions", strings.Join(a.Corruptions, ","))
	sev := make([]string, len(a.Severities))
	for i, s := range a.Severities {
		sev[i] = strconv.Itoa(s)
	}
	add("--severities", strings.Join(sev, ","))
	add("--layers", strings.Join(a.Layers, ","))
	add("--methods", strings.Join(a.Methods, ","))
	if a.PerClass != nil {
		add("--per-class", strconv.Itoa(*a.PerClass))
	}
	add("--select", a.Select)
	add("--splits", strings.Join(a.Splits, ","))
	add("--target", a.Target)
	steps = append(steps, step{"analyze", newAnalyzeCmd(g), args})
	flagName := (&dataFlags{dataset: d.Flag, size: d.Size}).flagOf(nil)
	if !st.Failure.Skip {
		fa := []string{"--dataset", flagName}
		if st.Failure.Coverage > 0 {
			fa = append(fa, "--coverage", strconv.FormatFloat(st.Failure.Coverage, 'g', -1, 64))
		}
		if st.Failure.Boot > 0 {
			fa = append(fa, "--boot", strconv.Itoa(st.Failure.Boot))
		}
		steps = append(steps, step{"failure", newFailureCmd(g), fa})
	}
	steps = append(steps, step{"report", newReportCmd(g), []string{"--dataset", flagName, "--report-dir", filepath.Join(g.out, "report", flagName)}})
	return runSteps(cmd.Context(), g, steps)
}
