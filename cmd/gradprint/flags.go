package main

import (
	"fmt"
	"os"
	"strconv"
	"strings"

	"github.com/spf13/pflag"

	"github.com/gradprint/gradprint/ingest"
	"github.com/gradprint/gradprint/internal/pipeline"
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

// parseInts parses "1,3,5" or "1-5".
func parseInts(s string) ([]int, error) {
	var out []int
	for _, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		if a, b, ok := strings.Cut(part, "-"); ok {
			lo, err1 := strconv.Atoi(a)
			hi, err2 := strconv.Atoi(b)
			if err1 != nil || err2 != nil || hi < lo {
				return nil, fmt.Errorf("range %q: want LO-HI", part)
			}
			for i := lo; i <= hi; i++ {
				out = append(out, i)
			}
			continue
		}
		v, err := strconv.Atoi(part)
		if err != nil {
			return nil, fmt.Errorf("%q: want an integer", part)
		}
		out = append(out, v)
	}
	return out, nil
}

func splitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

func parseSplits(s string) []ingest.Split {
	var out []ingest.Split
	for _, p := range splitList(s) {
		out = append(out, ingest.Split(p))
	}
	return out
}

// parseShard reads "i/n", or Kubernetes Indexed Job's JOB_COMPLETION_INDEX
// and JOB_COMPLETIONS when the flag is empty.
func parseShard(spec string) (int, int, error) {
	if spec == "" {
		idx, cnt := os.Getenv("JOB_COMPLETION_INDEX"), os.Getenv("JOB_COMPLETIONS")
		if idx == "" {
			return 0, 1, nil
		}
		if cnt == "" {
			return 0, 0, fmt.Errorf("JOB_COMPLETION_INDEX=%s is set but JOB_COMPLETIONS is not: set it to the Job's completions", idx)
		}
		spec = idx + "/" + cnt
	}
	a, b, ok := strings.Cut(spec, "/")
	i, err1 := strconv.Atoi(a)
	n, err2 := strconv.Atoi(b)
	if !ok || err1 != nil || err2 != nil || n < 1 || i < 0 || i >= n {
		return 0, 0, fmt.Errorf("--shard %q: want i/n with 0 <= i < n", spec)
	}
	return i, n, nil
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
	sev, err := parseInts(c.severities)
	if err != nil {
		return nil, nil, fmt.Errorf("--severities: %w", err)
	}
	return splitList(c.corruptions), sev, nil
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

// variants is what variantFlags parse to.
type variants struct {
	corruptions, layers []string
	severities          []int
	shard, shards       int
}

func (v *variantFlags) parse() (variants, error) {
	out := variants{layers: splitList(v.layers)}
	var err error
	if out.corruptions, out.severities, err = v.corruptionFlags.parse(); err != nil {
		return out, err
	}
	out.shard, out.shards, err = parseShard(v.shard)
	return out, err
}
