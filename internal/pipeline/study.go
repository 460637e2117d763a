package pipeline

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/goccy/go-yaml"

	"github.com/gradprint/gradprint/compute/analysis"
	"github.com/gradprint/gradprint/ingest"
)

// StudyFile is a whole robustness study in one YAML file. Unknown keys are
// errors, so a typo cannot silently fall back to a default; absent keys
// keep each step's default.
type StudyFile struct {
	Seed     uint64         `yaml:"seed"`
	Out      string         `yaml:"out"`
	DataDir  string         `yaml:"data_dir"`
	Fetch    bool           `yaml:"fetch"`
	Datasets []StudyDataset `yaml:"datasets"`
	Train    StudyTrain     `yaml:"train"`
	Analyze  StudyAnalyze   `yaml:"analyze"`
	Failure  StudyFailure   `yaml:"failure"`
}

// StudyDataset is one dataset at one size, with an optional explicit file,
// an optional pre-trained model (which skips training) and an optional
// augmentation of its own (overriding train.augment), so one study can hold
// a plain and an augmented model of the same dataset.
type StudyDataset struct {
	Flag     string   `yaml:"flag"`
	Size     int      `yaml:"size"`
	Data     string   `yaml:"data"`
	Model    string   `yaml:"model"`
	Augment  string   `yaml:"augment"`
	AugmentP *float64 `yaml:"augment_p"`
}

// StudyTrain overrides the training recipe; zero values keep the default.
// augment (none, thesis or random, with augment_p) uses the analysis's
// preset, corruptions and severities.
type StudyTrain struct {
	Epochs   int      `yaml:"epochs"`
	Batch    int      `yaml:"batch"`
	LR       float64  `yaml:"lr"`
	Width    float64  `yaml:"width"`
	Init     string   `yaml:"init"`
	Augment  string   `yaml:"augment"`
	AugmentP *float64 `yaml:"augment_p"`
}

// StudyAnalyze overrides the analysis; empty values keep the default.
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

// StudyFailure configures the failure study under shift (fingerprint,
// then failure), or skips it.
type StudyFailure struct {
	Skip     bool    `yaml:"skip"`
	Probes   string  `yaml:"probes"`
	Limit    int     `yaml:"limit"`
	Coverage float64 `yaml:"coverage"`
	Risk     float64 `yaml:"risk"`
	Delta    float64 `yaml:"delta"`
	Boot     int     `yaml:"boot"`
}

// LoadStudy reads and checks a study file.
func LoadStudy(path string) (*StudyFile, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var st StudyFile
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
	if _, err := st.analyzeOptions(StudyDataset{Flag: "synthetic", Size: 28}, ""); err != nil {
		return nil, fmt.Errorf("study %s: analyze: %w", path, err)
	}
	for i, d := range st.Datasets {
		if err := st.augment(d).validate(); err != nil {
			return nil, fmt.Errorf("study %s: datasets[%d] (%s): train.augment: %w", path, i, d.Flag, err)
		}
	}
	return &st, nil
}

// StudyResult says where a study's results are.
type StudyResult struct {
	Warehouse, Reports string
}

// Study runs fetch, train, analyze, failure and report for every dataset
// of the study, each with typed options built from the file over the
// steps' defaults. Steps whose run completed with the same configuration
// are skipped, so rerunning a study resumes it. The study's seed, out and
// data_dir override e's for its own steps.
func Study(ctx context.Context, e Env, st *StudyFile) (*StudyResult, error) {
	if st.Out != "" {
		e.Out = st.Out
	}
	if st.DataDir != "" {
		e.DataDir = st.DataDir
	}
	if st.Seed != 0 {
		e.Seed = st.Seed
	}
	for _, d := range st.Datasets {
		if err := studyDataset(ctx, e, st, d); err != nil {
			return nil, fmt.Errorf("dataset %s at %d px: %w", d.Flag, d.Size, err)
		}
	}
	return &StudyResult{Warehouse: e.WarehouseDir(), Reports: filepath.Join(e.Out, "report")}, nil
}

func studyDataset(ctx context.Context, e Env, st *StudyFile, d StudyDataset) error {
	src := DataSource{Dataset: d.Flag, Size: d.Size, File: d.Data}
	part := DataSource{Dataset: d.Flag, Size: d.Size}.Partition(nil)
	if st.Fetch && d.Data == "" && d.Flag != "synthetic" {
		if err := e.fetchIfMissing(ctx, src); err != nil {
			return err
		}
	}
	model, aug := d.Model, st.augment(d)
	name := part + aug.fileSuffix()
	if model == "" {
		model = filepath.Join(e.ModelsDir(), name+".safetensors")
		to := st.trainOptions(src, model)
		to.Augment = aug
		if _, err := runStep(ctx, e, Train, to); err != nil {
			return err
		}
	}
	ao, err := st.analyzeOptions(d, model)
	if err != nil {
		return err
	}
	ar, err := runStep(ctx, e, Analyze, ao)
	if err != nil {
		return err
	}
	if !st.Failure.Skip {
		fp := st.fingerprintOptions(ao)
		fr, err := runStep(ctx, e, Fingerprint, fp)
		if err != nil {
			return err
		}
		fo := st.failureOptions()
		fo.Run = fr.RunID
		if _, err := runStep(ctx, e, Failure, fo); err != nil {
			return err
		}
	}
	ro := DefaultReportOptions()
	ro.Dataset, ro.Run, ro.Dir = part, ar.RunID, filepath.Join(e.Out, "report", name)
	_, err = runStep(ctx, e, Report, ro)
	return err
}

// augment is a dataset's augmentation: its own if it names one, else the
// study's train.augment, with the analysis's corruptions and severities.
func (st *StudyFile) augment(d StudyDataset) Augment {
	a := DefaultTrainOptions().Augment
	mode, p := st.Train.Augment, st.Train.AugmentP
	if d.Augment != "" {
		mode, p = d.Augment, d.AugmentP
	}
	if mode != "" {
		a.Mode = mode
	}
	a.P = p
	if st.Analyze.Preset != "" {
		a.Preset = st.Analyze.Preset
	}
	a.Corruptions = st.Analyze.Corruptions
	if len(st.Analyze.Severities) > 0 {
		a.Severities = st.Analyze.Severities
	}
	return a
}

func (st *StudyFile) trainOptions(src DataSource, model string) TrainOptions {
	o := DefaultTrainOptions()
	o.Data, o.Model = src, model
	t := st.Train
	if t.Epochs > 0 {
		o.Recipe.Epochs = t.Epochs
	}
	if t.Batch > 0 {
		o.Recipe.BatchSize = t.Batch
	}
	if t.LR > 0 {
		o.Recipe.LR = t.LR
	}
	if t.Width > 0 {
		o.Width = t.Width
	}
	o.Init = t.Init
	return o
}

func (st *StudyFile) analyzeOptions(d StudyDataset, model string) (AnalyzeOptions, error) {
	o := DefaultAnalyzeOptions()
	o.Data, o.Model = DataSource{Dataset: d.Flag, Size: d.Size, File: d.Data}, model
	a := st.Analyze
	if a.Preset != "" {
		o.Preset = a.Preset
	}
	o.Corruptions = a.Corruptions
	if len(a.Severities) > 0 {
		o.Severities = a.Severities
	}
	o.Layers = a.Layers
	if len(a.Methods) > 0 {
		o.Methods = a.Methods
	}
	if a.PerClass != nil {
		o.PerClass = *a.PerClass
	}
	if a.Select != "" {
		mode, err := ingest.ParseSelectMode(a.Select)
		if err != nil {
			return o, fmt.Errorf("select: %w", err)
		}
		o.Select = mode
	}
	if len(a.Splits) > 0 {
		o.Splits = nil
		for _, s := range a.Splits {
			o.Splits = append(o.Splits, ingest.Split(s))
		}
	}
	if a.Target != "" {
		o.Target = analysis.Target(a.Target)
	}
	return o, nil
}

// fingerprintOptions fingerprints what the analysis analysed: the same
// data, model, corruptions, severities and layers, with the first saliency
// method, on val and test.
func (st *StudyFile) fingerprintOptions(ao AnalyzeOptions) FingerprintOptions {
	o := DefaultFingerprintOptions()
	o.Data, o.Model, o.Preset, o.Corruptions, o.Severities, o.Layers = ao.Data, ao.Model, ao.Preset, ao.Corruptions, ao.Severities, ao.Layers
	o.Method = ao.Methods[0]
	if st.Failure.Probes != "" {
		o.Probes = st.Failure.Probes
	}
	o.Limit = st.Failure.Limit
	return o
}

func (st *StudyFile) failureOptions() FailureOptions {
	o := DefaultFailureOptions()
	f := st.Failure
	if f.Coverage > 0 {
		o.Coverage = f.Coverage
	}
	if f.Risk > 0 {
		o.Risk = f.Risk
	}
	if f.Delta > 0 {
		o.Delta = f.Delta
	}
	if f.Boot > 0 {
		o.Boot = f.Boot
	}
	return o
}

// FetchResult is a dataset file a study downloaded.
type FetchResult struct{ Path string }

func (*FetchResult) StepName() string { return "fetch" }

// fetchIfMissing downloads the official file of src into the data folder
// unless it is there.
func (e Env) fetchIfMissing(ctx context.Context, src DataSource) error {
	if _, err := e.Path(src); err == nil {
		return nil
	}
	f := &ingest.Fetcher{Dir: e.DataDir, BaseURL: os.Getenv(ingest.BaseURLEnv), Progress: e.Stderr, ProgressMode: e.Progress, Log: e.log()}
	path, err := f.Fetch(ctx, src.Dataset, src.size())
	if err != nil {
		return fmt.Errorf("step datasets fetch: %w", err)
	}
	e.step(&FetchResult{Path: path})
	return nil
}
