package main

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/gradprint/gradprint/ingest"
)

// dataFlags pick a dataset file: an explicit --data path, the synthetic
// default generated on demand, or a MedMNIST file in --data-dir.
type dataFlags struct {
	dataset string
	size    int
	data    string
}

func (d *dataFlags) register(cmdFlags interface {
	StringVar(*string, string, string, string)
	IntVar(*int, string, int, string)
}) {
	cmdFlags.StringVar(&d.dataset, "dataset", "", "dataset flag (breastmnist, retinamnist, ... or synthetic); default synthetic, or the flag of the --data file")
	cmdFlags.IntVar(&d.size, "size", 28, "image size: 28, 64, 128 or 224")
	cmdFlags.StringVar(&d.data, "data", "", "explicit .npz file (overrides --dataset/--size lookup in --data-dir)")
}

// path resolves the npz file to read, generating the synthetic default when
// it is asked for and absent.
func (d *dataFlags) path(g *globals) (string, error) {
	if d.data != "" {
		return d.data, nil
	}
	if d.dataset == "" || d.dataset == "synthetic" {
		cfg := ingest.DefaultSynthConfig()
		cfg.Size = d.size
		cfg.Seed = g.seed
		p := filepath.Join(g.out, "data", fmt.Sprintf("synthetic_%d_seed%d.npz", d.size, g.seed))
		if _, err := os.Stat(p); err == nil {
			return p, nil
		}
		g.log.Info("generating synthetic dataset", "path", p, "size", cfg.Size, "classes", cfg.Classes, "seed", cfg.Seed)
		return p, ingest.WriteSynthetic(p, cfg)
	}
	info, err := ingest.Lookup(d.dataset)
	if err != nil {
		return "", err
	}
	p := filepath.Join(g.dataDir, info.FileName(d.size))
	if _, err := os.Stat(p); err != nil {
		return "", fmt.Errorf("dataset file %s not found: run `gradprint datasets fetch %s --size %d --data-dir %s` or pass --data FILE", p, d.dataset, d.size, g.dataDir)
	}
	return p, nil
}

// load reads every split of the chosen dataset.
func (d *dataFlags) load(g *globals) (string, map[ingest.Split]*ingest.Dataset, error) {
	p, err := d.path(g)
	if err != nil {
		return "", nil, err
	}
	splits, err := ingest.ReadNPZ(p, nil)
	if err != nil {
		return "", nil, err
	}
	return p, splits, nil
}

// flagOf is the dataset flag recorded in the warehouse partition key.
func (d *dataFlags) flagOf(splits map[ingest.Split]*ingest.Dataset) string {
	f := d.dataset
	if f == "" {
		f = "synthetic"
		for _, s := range splits {
			if s.Flag != "" && d.data != "" {
				f = s.Flag
			}
			break
		}
	}
	if d.size != 28 {
		f = fmt.Sprintf("%s_%d", f, d.size)
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

// runID names a run by what it does: the same command and configuration
// give the same id, so rerunning it resumes instead of duplicating.
func runID(kind string, config any) (string, string, error) {
	b, err := json.Marshal(config)
	if err != nil {
		return "", "", err
	}
	h := sha256.Sum256(append([]byte(kind+"\n"), b...))
	return kind + "-" + hex.EncodeToString(h[:6]), string(b), nil
}

func warehouseDir(g *globals) string { return filepath.Join(g.out, "warehouse") }

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
