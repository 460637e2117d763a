package progress

import (
	"bytes"
	"strings"
	"testing"
	"time"
)

func TestStatusRateAndETA(t *testing.T) {
	var buf bytes.Buffer
	b := New(&buf, Lines, "train", "images", 100)
	t0 := time.Unix(1000, 0)
	b.start = t0
	b.done = 25
	got := b.Status(t0.Add(5 * time.Second))
	want := "train 25/100 images  5.0 images/s  ETA 15s"
	if got != want {
		t.Fatalf("Status = %q, want %q", got, want)
	}
}

func TestQuietWritesNothing(t *testing.T) {
	var buf bytes.Buffer
	b := New(&buf, Quiet, "x", "items", 3)
	b.Add(3)
	b.Finish()
	if buf.Len() != 0 {
		t.Fatalf("quiet bar wrote %q", buf.String())
	}
	if b.Done() != 3 {
		t.Fatalf("Done = %d, want 3", b.Done())
	}
}

func TestAutoIsSilentOffTerminal(t *testing.T) {
	var buf bytes.Buffer // not a terminal
	b := New(&buf, Auto, "x", "items", 2)
	b.Add(2)
	b.Finish()
	if buf.Len() != 0 {
		t.Fatalf("auto bar on a non-terminal wrote %q", buf.String())
	}
}

func TestLinesPrintsFinalState(t *testing.T) {
	var buf bytes.Buffer
	b := New(&buf, Lines, "fetch", "MB", 4)
	b.Add(4)
	if !strings.Contains(buf.String(), "fetch 4/4 MB") {
		t.Fatalf("missing final line in %q", buf.String())
	}
}

func TestStderrSettings(t *testing.T) {
	for _, tc := range []struct {
		s    Stderr
		mode Mode
	}{
		{Stderr{LogFormat: "text", Progress: "auto"}, Auto},
		{Stderr{LogFormat: "json", Progress: "auto"}, Quiet},
		{Stderr{LogFormat: "json", Progress: "lines"}, Lines},
		{Stderr{LogFormat: "text", Progress: "lines", Quiet: true}, Quiet},
		{Stderr{LogFormat: "text", Progress: "none"}, Quiet},
	} {
		if got := tc.s.Mode(); got != tc.mode {
			t.Errorf("%+v: mode %v, want %v", tc.s, got, tc.mode)
		}
	}
	var b strings.Builder
	log, err := Stderr{LogFormat: "json", Progress: "auto", Quiet: true}.Logger(&b)
	if err != nil {
		t.Fatal(err)
	}
	log.Info("hidden")
	log.Warn("shown")
	if strings.Contains(b.String(), "hidden") || !strings.Contains(b.String(), `"msg":"shown"`) {
		t.Errorf("quiet JSON logger wrote %q", b.String())
	}
	for _, bad := range []Stderr{{LogFormat: "xml", Progress: "auto"}, {LogFormat: "text", Progress: "bars"}} {
		if _, err := bad.Logger(&b); err == nil {
			t.Errorf("%+v accepted", bad)
		}
	}
}
