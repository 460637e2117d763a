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
