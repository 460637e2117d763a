package progress

import (
	"fmt"
	"io"
	"log/slog"
)

// Stderr is how a process reports on stderr: its log format, whether it
// is quiet, and its progress mode, as the command line names them.
type Stderr struct {
	LogFormat string // "text" or "json"
	Progress  string // "auto", "lines" or "none"
	Quiet     bool   // warnings only, no progress
}

// Logger validates the settings and returns the logger writing to w.
// Quiet raises the level to warnings.
func (s Stderr) Logger(w io.Writer) (*slog.Logger, error) {
	if s.Progress != "auto" && s.Progress != "lines" && s.Progress != "none" {
		return nil, fmt.Errorf("--progress: want auto, lines or none, got %q", s.Progress)
	}
	opts := &slog.HandlerOptions{Level: slog.LevelInfo}
	if s.Quiet {
		opts.Level = slog.LevelWarn
	}
	switch s.LogFormat {
	case "text":
		return slog.New(slog.NewTextHandler(w, opts)), nil
	case "json":
		return slog.New(slog.NewJSONHandler(w, opts)), nil
	}
	return nil, fmt.Errorf("--log-format: want text or json, got %q", s.LogFormat)
}

// Mode is the progress mode the settings select. JSON logs get no live
// line, since a machine reads them, unless lines are asked for.
func (s Stderr) Mode() Mode {
	switch {
	case s.Quiet || s.Progress == "none":
		return Quiet
	case s.Progress == "lines":
		return Lines
	case s.LogFormat == "json":
		return Quiet
	default:
		return Auto
	}
}
