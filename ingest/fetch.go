package ingest

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/gradprint/gradprint/internal/progress"
)

// Fetcher downloads official MedMNIST files into a cache folder. Its zero
// value is not usable: Dir is required; the rest has defaults.
type Fetcher struct {
	Dir          string        // cache folder the files land in
	BaseURL      string        // default DefaultBaseURL; tests inject an httptest server
	Client       *http.Client  // default: http.Client with no overall timeout (files reach GBs)
	Progress     io.Writer     // progress bar target (normally stderr); nil for none
	ProgressMode progress.Mode // how the bar renders
	Log          *slog.Logger  // default slog.Default()
	Attempts     int           // download attempts before giving up, default 3
	RetryDelay   time.Duration // pause between attempts, default 2s
}

// ErrChecksum marks a download whose MD5 does not match the registry.
var ErrChecksum = errors.New("checksum mismatch")

func (f *Fetcher) defaults() (base string, client *http.Client, log *slog.Logger, attempts int) {
	base, client, log, attempts = f.BaseURL, f.Client, f.Log, f.Attempts
	if base == "" {
		base = DefaultBaseURL
	}
	if client == nil {
		client = &http.Client{}
	}
	if log == nil {
		log = slog.Default()
	}
	if attempts <= 0 {
		attempts = 3
	}
	return
}

// Fetch downloads the official file of flag at size (28, 64, 128, 224) into
// f.Dir unless a file with the right MD5 is already there, and returns its
// path.
func (f *Fetcher) Fetch(ctx context.Context, flag string, size int) (string, error) {
	info, err := Lookup(flag)
	if err != nil {
		return "", err
	}
	sum, ok := info.MD5[size]
	if !ok {
		return "", fmt.Errorf("fetch %s: size %d: want one of 28, 64, 128, 224", flag, size)
	}
	if f.Dir == "" {
		return "", errors.New("fetch: no cache folder given")
	}
	base, _, _, _ := f.defaults()
	dest := filepath.Join(f.Dir, info.FileName(size))
	if err := f.FetchURL(ctx, info.URL(base, size), dest, sum); err != nil {
		return "", err
	}
	return dest, nil
}

// FetchURL downloads url to dest through dest+".part", resuming an earlier
// partial download with an HTTP Range request when the server honours it,
// and renames the part file to dest only once its MD5 equals wantMD5. A
// wrong checksum removes the part file, since resuming a corrupt prefix
// could never succeed.
func (f *Fetcher) FetchURL(ctx context.Context, url, dest, wantMD5 string) error {
	_, _, log, attempts := f.defaults()
	if sum, _, err := FileMD5(dest); err == nil {
		if sum == wantMD5 {
			log.Info("already present with the official checksum", "file", dest)
			return nil
		}
		log.Warn("cached file has a wrong checksum; downloading again", "file", dest, "md5", sum, "want", wantMD5)
	}
	if err := os.MkdirAll(filepath.Dir(dest), 0o755); err != nil {
		return fmt.Errorf("fetch %s: %w", dest, err)
	}
	part := dest + ".part"
	var last error
	for i := 1; i <= attempts; i++ {
		last = f.attempt(ctx, url, part, dest)
		if last == nil {
			break
		}
		if ctx.Err() != nil {
			return fmt.Errorf("fetch %s: %w (partial download kept in %s)", url, ctx.Err(), part)
		}
		if errors.As(last, new(permanent)) {
			return fmt.Errorf("fetch %s: %w", url, last)
		}
		if i < attempts {
			delay := f.RetryDelay
			if delay == 0 {
				delay = 2 * time.Second
			}
			log.Warn("download interrupted; resuming", "url", url, "attempt", i, "of", attempts, "err", last)
			select {
			case <-ctx.Done():
				return fmt.Errorf("fetch %s: %w", url, ctx.Err())
			case <-time.After(delay):
			}
		}
	}
	if last != nil {
		return fmt.Errorf("fetch %s: giving up after %d attempts (partial download kept in %s for the next run): %w", url, attempts, part, last)
	}
	sum, _, err := FileMD5(part)
	if err != nil {
		return fmt.Errorf("fetch %s: %w", url, err)
	}
	if sum != wantMD5 {
		os.Remove(part)
		return fmt.Errorf("fetch %s: %w: got md5 %s, want %s; removed %s", url, ErrChecksum, sum, wantMD5, part)
	}
	if err := os.Rename(part, dest); err != nil {
		return fmt.Errorf("fetch %s: %w", url, err)
	}
	log.Info("fetched", "file", dest, "md5", sum)
	return nil
}

// attempt makes one request, appending to part from its current length.
// It returns nil once the server has sent the complete body.
func (f *Fetcher) attempt(ctx context.Context, url, part, dest string) error {
	_, client, log, _ := f.defaults()
	out, err := os.OpenFile(part, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return fmt.Errorf("open %s: %w", part, err)
	}
	defer out.Close()
	st, err := out.Stat()
	if err != nil {
		return err
	}
	off := st.Size()

	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	if off > 0 {
		req.Header.Set("Range", fmt.Sprintf("bytes=%d-", off))
	}
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()

	total := int64(-1)
	switch {
	case resp.StatusCode == http.StatusPartialContent && off > 0:
		start, size, err := parseContentRange(resp.Header.Get("Content-Range"))
		if err != nil || start != off {
			// A range we did not ask for: start over rather than splice.
			if terr := out.Truncate(0); terr != nil {
				return terr
			}
			return fmt.Errorf("server answered range %q for request from byte %d; restarting", resp.Header.Get("Content-Range"), off)
		}
		total = size
		log.Info("resuming download", "file", dest, "from", off)
	case resp.StatusCode == http.StatusOK:
		if off > 0 {
			log.Info("server ignored the Range request; restarting download", "file", dest, "discarded", off)
		}
		if err := out.Truncate(0); err != nil {
			return err
		}
		off = 0
		total = resp.ContentLength
	case resp.StatusCode == http.StatusRequestedRangeNotSatisfiable && off > 0:
		// The part file is as long as (or longer than) the remote file:
		// treat it as complete and let the checksum decide.
		if resp.ContentLength != 0 {
			io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<16))
		}
		if size, ok := contentRangeSize(resp.Header.Get("Content-Range")); ok && size == off {
			return nil
		}
		if err := out.Truncate(0); err != nil {
			return err
		}
		return fmt.Errorf("part file of %d bytes does not match the remote file; restarting", off)
	default:
		err := fmt.Errorf("GET %s: HTTP %s", url, resp.Status)
		if resp.StatusCode >= 400 && resp.StatusCode < 500 {
			// A missing file or refused request will not heal on retry.
			return permanent{err}
		}
		return err
	}
	if _, err := out.Seek(off, io.SeekStart); err != nil {
		return err
	}
	var bar *progress.Bar
	if f.Progress != nil {
		bar = progress.New(f.Progress, f.ProgressMode, "fetch "+filepath.Base(dest), "B", total)
		bar.Add(off)
		defer bar.Finish()
	}
	n, err := io.Copy(out, &countingReader{r: resp.Body, bar: bar})
	if serr := out.Sync(); err == nil {
		err = serr
	}
	if err != nil {
		return fmt.Errorf("connection dropped after %d bytes (part file has %d): %w", n, off+n, err)
	}
	if total >= 0 && off+n != total {
		return fmt.Errorf("got %d of %d bytes", off+n, total)
	}
	return nil
}

// permanent marks an attempt error that retrying cannot fix.
type permanent struct{ error }

func (p permanent) Unwrap() error { return p.error }

type countingReader struct {
	r   io.Reader
	bar *progress.Bar
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	if c.bar != nil && n > 0 {
		c.bar.Add(int64(n))
	}
	return n, err
}

// parseContentRange reads "bytes START-END/SIZE" (SIZE may be "*").
func parseContentRange(s string) (start, size int64, err error) {
	rest, ok := strings.CutPrefix(s, "bytes ")
	if !ok {
		return 0, 0, fmt.Errorf("content-range %q: want \"bytes a-b/n\"", s)
	}
	rng, tot, ok := strings.Cut(rest, "/")
	if !ok {
		return 0, 0, fmt.Errorf("content-range %q: no total", s)
	}
	a, _, ok := strings.Cut(rng, "-")
	if !ok {
		return 0, 0, fmt.Errorf("content-range %q: no range", s)
	}
	if start, err = strconv.ParseInt(a, 10, 64); err != nil {
		return 0, 0, fmt.Errorf("content-range %q: %w", s, err)
	}
	size = -1
	if tot != "*" {
		if size, err = strconv.ParseInt(tot, 10, 64); err != nil {
			return 0, 0, fmt.Errorf("content-range %q: %w", s, err)
		}
	}
	return start, size, nil
}

// contentRangeSize reads the total of a 416 answer: "bytes */SIZE".
func contentRangeSize(s string) (int64, bool) {
	rest, ok := strings.CutPrefix(s, "bytes */")
	if !ok {
		return 0, false
	}
	n, err := strconv.ParseInt(rest, 10, 64)
	return n, err == nil
}
