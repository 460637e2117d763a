// Package progress reports the advance of long work (done/total, rate, time
// left) on a writer, normally stderr. It stays silent when the writer is not
// a terminal unless forced, so logs and CI output are not flooded.
package progress

import (
	"fmt"
	"io"
	"os"
	"sync"
	"time"

	"golang.org/x/term"
)

// Mode selects how a Bar renders.
type Mode int

const (
	// Auto draws a live line on terminals and nothing elsewhere.
	Auto Mode = iota
	// Quiet draws nothing.
	Quiet
	// Lines prints one plain line per update interval (for logs).
	Lines
)

// Bar tracks one unit of long work. It is safe for concurrent use.
type Bar struct {
	mu       sync.Mutex
	w        io.Writer
	label    string
	unit     string
	total    int64
	done     int64
	start    time.Time
	last     time.Time
	every    time.Duration
	live     bool
	disabled bool
	now      func() time.Time
}

// New starts a bar for total units of work (total <= 0 means unknown).
func New(w io.Writer, mode Mode, label, unit string, total int64) *Bar {
	b := &Bar{w: w, label: label, unit: unit, total: total, now: time.Now}
	b.start = b.now()
	switch mode {
	case Quiet:
		b.disabled = true
	case Lines:
		b.every = 5 * time.Second
	default:
		if f, ok := w.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
			b.live = true
			b.every = 200 * time.Millisecond
		} else {
			b.disabled = true
		}
	}
	return b
}

// Add records n more units done and redraws if the update interval passed.
func (b *Bar) Add(n int64) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.done += n
	if b.disabled {
		return
	}
	t := b.now()
	if t.Sub(b.last) < b.every && b.done != b.total {
		return
	}
	b.last = t
	b.draw(t)
}

// Done reports the current count.
func (b *Bar) Done() int64 {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.done
}

// Finish draws the final state and ends the line.
func (b *Bar) Finish() {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.disabled {
		return
	}
	b.draw(b.now())
	if b.live {
		fmt.Fprintln(b.w)
	}
}

// Status renders the bar's text: "label 120/400 images  35.2 images/s  ETA 8s".
func (b *Bar) Status(t time.Time) string {
	el := t.Sub(b.start).Seconds()
	rate := 0.0
	if el > 0 {
		rate = float64(b.done) / el
	}
	s := fmt.Sprintf("%s %d", b.label, b.done)
	if b.total > 0 {
		s += fmt.Sprintf("/%d", b.total)
	}
	s += fmt.Sprintf(" %s  %.1f %s/s", b.unit, rate, b.unit)
	if b.total > 0 && rate > 0 {
		left := time.Duration(float64(b.total-b.done) / rate * float64(time.Second))
		s += "  ETA " + left.Round(time.Second).String()
	}
	return s
}

func (b *Bar) draw(t time.Time) {
	if b.live {
		fmt.Fprintf(b.w, "\r\033[K%s", b.Status(t))
		return
	}
	fmt.Fprintln(b.w, b.Status(t))
}
