package ingest

import (
	"context"
	"crypto/md5"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
)

// fakeZenodo serves one file's bytes under /breastmnist.npz. It can drop
// the connection mid-body on chosen requests and honour or ignore Range.
type fakeZenodo struct {
	body        []byte
	honourRange bool
	dropOn      map[int]bool // request number (1-based) -> cut the body half way

	mu     sync.Mutex
	n      int
	ranges []string
}

func (z *fakeZenodo) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	z.mu.Lock()
	z.n++
	n := z.n
	z.ranges = append(z.ranges, r.Header.Get("Range"))
	z.mu.Unlock()
	if r.URL.Path != "/breastmnist.npz" || r.URL.Query().Get("download") != "1" {
		http.NotFound(w, r)
		return
	}
	start := 0
	if rg := r.Header.Get("Range"); rg != "" && z.honourRange {
		s, err := strconv.Atoi(strings.TrimSuffix(strings.TrimPrefix(rg, "bytes="), "-"))
		if err != nil || s > len(z.body) {
			w.Header().Set("Content-Range", fmt.Sprintf("bytes */%d", len(z.body)))
			w.WriteHeader(http.StatusRequestedRangeNotSatisfiable)
			return
		}
		start = s
		w.Header().Set("Content-Range", fmt.Sprintf("bytes %d-%d/%d", s, len(z.body)-1, len(z.body)))
		w.Header().Set("Content-Length", strconv.Itoa(len(z.body)-s))
		w.WriteHeader(http.StatusPartialContent)
	} else {
		w.Header().Set("Content-Length", strconv.Itoa(len(z.body)))
		w.WriteHeader(http.StatusOK)
	}
	rest := z.body[start:]
	if z.dropOn[n] {
		w.Write(rest[:len(rest)/2])
		w.(http.Flusher).Flush()
		panic(http.ErrAbortHandler) // closes the connection mid-body
	}
	w.Write(rest)
}

func fakeFile(n int) ([]byte, string) {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(i*31 + i/7)
	}
	s := md5.Sum(b)
	return b, hex.EncodeToString(s[:])
}

func newFetcher(t *testing.T, srv *httptest.Server) *Fetcher {
	return &Fetcher{Dir: t.TempDir(), BaseURL: srv.URL, Client: srv.Client(), RetryDelay: 1,
		Log: slog.New(slog.NewTextHandler(io.Discard, nil))}
}

func TestFetchURLSuccess(t *testing.T) {
	body, sum := fakeFile(300_000)
	z := &fakeZenodo{body: body, honourRange: true}
	srv := httptest.NewServer(z)
	defer srv.Close()
	f := newFetcher(t, srv)
	dest := filepath.Join(f.Dir, "breastmnist.npz")
	url := srv.URL + "/breastmnist.npz?download=1"
	if err := f.FetchURL(context.Background(), url, dest, sum); err != nil {
		t.Fatal(err)
	}
	got, _ := os.ReadFile(dest)
	if string(got) != string(body) {
		t.Fatal("downloaded bytes differ")
	}
	if _, err := os.Stat(dest + ".part"); !os.IsNotExist(err) {
		t.Error("part file left after success")
	}
	// A second fetch finds the file and makes no request.
	if err := f.FetchURL(context.Background(), url, dest, sum); err != nil {
		t.Fatal(err)
	}
	if z.n != 1 {
		t.Errorf("%d requests, want 1 (cached file reused)", z.n)
	}
}

func TestFetchRegistryURL(t *testing.T) {
	// Fetch builds <base>/<file>?download=1 from the registry; the fake
	// server's bytes are not the official file, so the MD5 must fail.
	body, _ := fakeFile(1000)
	srv := httptest.NewServer(&fakeZenodo{body: body})
	defer srv.Close()
	f := newFetcher(t, srv)
	_, err := f.Fetch(context.Background(), "breastmnist", 28)
	if !errors.Is(err, ErrChecksum) || !strings.Contains(err.Error(), "750601b1f35ba3300ea97c75c52ff8f6") {
		t.Fatalf("err = %v, want checksum mismatch against the official md5", err)
	}
	if _, err := f.Fetch(context.Background(), "breastmnist", 32); err == nil {
		t.Error("size 32 accepted")
	}
}

func TestFetchWrongChecksum(t *testing.T) {
	body, _ := fakeFile(5000)
	srv := httptest.NewServer(&fakeZenodo{body: body})
	defer srv.Close()
	f := newFetcher(t, srv)
	dest := filepath.Join(f.Dir, "breastmnist.npz")
	err := f.FetchURL(context.Background(), srv.URL+"/breastmnist.npz?download=1", dest, strings.Repeat("0", 32))
	if !errors.Is(err, ErrChecksum) {
		t.Fatalf("err = %v, want ErrChecksum", err)
	}
	for _, p := range []string{dest, dest + ".part"} {
		if _, err := os.Stat(p); !os.IsNotExist(err) {
			t.Errorf("%s exists after a checksum failure", p)
		}
	}
}

func TestFetchResumesAfterDrop(t *testing.T) {
	body, sum := fakeFile(200_000)
	z := &fakeZenodo{body: body, honourRange: true, dropOn: map[int]bool{1: true}}
	srv := httptest.NewServer(z)
	defer srv.Close()
	f := newFetcher(t, srv)
	dest := filepath.Join(f.Dir, "breastmnist.npz")
	if err := f.FetchURL(context.Background(), srv.URL+"/breastmnist.npz?download=1", dest, sum); err != nil {
		t.Fatal(err)
	}
	got, _ := os.ReadFile(dest)
	if string(got) != string(body) {
		t.Fatal("resumed download differs from the original")
	}
	if len(z.ranges) != 2 || z.ranges[0] != "" || z.ranges[1] != "bytes=100000-" {
		t.Errorf("requests' Range headers %q, want none then bytes=100000-", z.ranges)
	}
}

func TestFetchResumesAcrossRuns(t *testing.T) {
	// One attempt per run: the first run fails and keeps the part file,
	// the second resumes from it.
	body, sum := fakeFile(80_000)
	z := &fakeZenodo{body: body, honourRange: true, dropOn: map[int]bool{1: true}}
	srv := httptest.NewServer(z)
	defer srv.Close()
	f := newFetcher(t, srv)
	f.Attempts = 1
	dest := filepath.Join(f.Dir, "breastmnist.npz")
	url := srv.URL + "/breastmnist.npz?download=1"
	if err := f.FetchURL(context.Background(), url, dest, sum); err == nil {
		t.Fatal("dropped connection reported success")
	}
	if st, err := os.Stat(dest + ".part"); err != nil || st.Size() != 40_000 {
		t.Fatalf("part file after drop: %v %v", st, err)
	}
	if _, err := os.Stat(dest); !os.IsNotExist(err) {
		t.Fatal("final file exists after a failed download")
	}
	if err := f.FetchURL(context.Background(), url, dest, sum); err != nil {
		t.Fatal(err)
	}
	if got, _ := os.ReadFile(dest); string(got) != string(body) {
		t.Fatal("bytes differ")
	}
	if z.ranges[1] != "bytes=40000-" {
		t.Errorf("second run sent Range %q", z.ranges[1])
	}
}

func TestFetchServerIgnoresRange(t *testing.T) {
	body, sum := fakeFile(120_000)
	z := &fakeZenodo{body: body, honourRange: false, dropOn: map[int]bool{1: true}}
	srv := httptest.NewServer(z)
	defer srv.Close()
	f := newFetcher(t, srv)
	dest := filepath.Join(f.Dir, "breastmnist.npz")
	if err := f.FetchURL(context.Background(), srv.URL+"/breastmnist.npz?download=1", dest, sum); err != nil {
		t.Fatal(err)
	}
	if got, _ := os.ReadFile(dest); string(got) != string(body) {
		t.Fatal("restarted download differs (part data spliced with a full body?)")
	}
	if len(z.ranges) != 2 || z.ranges[1] == "" {
		t.Errorf("Range headers %q: want a resume attempt the server ignored", z.ranges)
	}
}

func TestFetchStalePartLongerThanFile(t *testing.T) {
	body, sum := fakeFile(10_000)
	srv := httptest.NewServer(&fakeZenodo{body: body, honourRange: true})
	defer srv.Close()
	f := newFetcher(t, srv)
	dest := filepath.Join(f.Dir, "breastmnist.npz")
	os.WriteFile(dest+".part", make([]byte, 20_000), 0o644)
	if err := f.FetchURL(context.Background(), srv.URL+"/breastmnist.npz?download=1", dest, sum); err != nil {
		t.Fatal(err)
	}
	if got, _ := os.ReadFile(dest); string(got) != string(body) {
		t.Fatal("bytes differ")
	}
}

func TestFetchHTTPError(t *testing.T) {
	var calls int
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls++
		http.NotFound(w, r)
	}))
	defer srv.Close()
	f := newFetcher(t, srv)
	f.Attempts = 2
	err := f.FetchURL(context.Background(), srv.URL+"/nope.npz", filepath.Join(f.Dir, "x.npz"), strings.Repeat("0", 32))
	if err == nil || !strings.Contains(err.Error(), "404") {
		t.Errorf("err = %v, want HTTP 404", err)
	}
	if calls != 1 {
		t.Errorf("%d requests for a 404, want 1 (not retried)", calls)
	}
}

func TestParseContentRange(t *testing.T) {
	s, n, err := parseContentRange("bytes 100-199/200")
	if err != nil || s != 100 || n != 200 {
		t.Errorf("%d %d %v", s, n, err)
	}
	if _, n, err := parseContentRange("bytes 5-9/*"); err != nil || n != -1 {
		t.Errorf("unknown total: %d %v", n, err)
	}
	for _, bad := range []string{"", "bytes", "items 1-2/3", "bytes x-2/3", "bytes 1-2"} {
		if _, _, err := parseContentRange(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}
