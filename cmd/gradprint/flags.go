package main

import (
	"fmt"
	"os"

	"github.com/spf13/pflag"

	"github.com/gradprint/gradprint/ingest"
	"github.com/gradprint/gradprint/internal/pipeline"
	"github.com/gradprint/gradprint/internal/spec"
)

// dataFlags pick a dataset file: an explicit --data path, the synthetic
// default generated on demand, or a MedMNIST file in --data-dir.
type dataFlags struct {
	dataset string
	size    int
	data    string
	flags   *pflag.FlagSet
}

func (d *dataFlags) register(fs *pflag.FlagSet) {
	d.flags = fs
	fs.StringVar(&d.dataset, "dataset", "", "dataset flag (breastmnist, retinamnist, ... or synthetic); default synthetic, or the flag of the --data file")
	fs.IntVar(&d.size, "size", 28, "image size: 28, 64, 128 or 224 (a --data file has its own)")
	fs.StringVar(&d.data, "data", "", "explicit .npz file (overrides --dataset/--size lookup in --data-dir)")
}

// source is the data the flags pick; a --data file's size is its own
// unless --size was given too (then they must agree).
func (d *dataFlags) source() pipeline.DataSource {
	size := d.size
	if d.data != "" && !d.flags.Changed("size") {
		size = 0
	}
	return pipeline.DataSource{Dataset: d.dataset, Size: size, File: d.data}
}

func parseSplits(s string) []ingest.Split {
	var out []ingest.Split
	for _, p := range spec.List(s) {
		out = append(out, ingest.Split(p))
	}
	return out
}

// corruptionFlags say which corruptions and severities a step applies
// (analyze, fingerprint and train's augmentation alike).
type corruptionFlags struct {
	corruptions, severities string
}

func (c *corruptionFlags) register(fs *pflag.FlagSet, what string) {
	fs.StringVar(&c.corruptions, "corruptions", "", "comma-separated "+what+" (default: all of the preset)")
	fs.StringVar(&c.severities, "severities", "1-5", "severities 1 to 5, e.g. 1,3 or 1-5 (each once)")
}

func (c *corruptionFlags) parse() ([]string, []int, error) {
	sev, err := spec.Ints(c.severities)
	if err != nil {
		return nil, nil, fmt.Errorf("--severities: %w", err)
	}
	return spec.List(c.corruptions), sev, nil
}

// variantFlags are the flags that say which variants of each image a
// sharded step produces (analyze and fingerprint alike).
type variantFlags struct {
	corruptionFlags
	model, layers, shard string
}

func (v *variantFlags) register(fs *pflag.FlagSet, what string) {
	fs.StringVar(&v.model, "model", "", "model file (.safetensors) from gradprint train or PyTorch")
	v.corruptionFlags.register(fs, what)
	fs.StringVar(&v.layers, "layers", "", "layers by name (layer1.0.conv2) or thesis alias (1_2); default the thesis's eight")
	fs.StringVar(&v.shard, "shard", "", "i/n: process every n-th chunk starting at i (default from JOB_COMPLETION_INDEX/JOB_COMPLETIONS, else 0/1)")
}

// parse sets what the flags say: the corruptions, severities and layers
// of each image and this process's shard of the run.
func (v *variantFlags) parse(corruptions *[]string, severities *[]int, layers *[]string, shard, shards *int) error {
	var err error
	if *corruptions, *severities, err = v.corruptionFlags.parse(); err != nil {
		return err
	}
	*layers = spec.List(v.layers)
	*shard, *shards, err = spec.Shard("--shard", v.shard, os.Getenv)
	return err
}
