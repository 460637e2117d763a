package shareddata

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// testEnv is a variable no real setup defines, so the tests own it.
const testEnv = "GRADPRINT_SHARED_TEST_SIBLING"

// sameDir reports whether a and b name the same folder, whatever symlinks
// (a /tmp that is a link, say) lie on the way.
func sameDir(t *testing.T, a, b string) bool {
	t.Helper()
	sa, err := os.Stat(a)
	if err != nil {
		t.Fatal(err)
	}
	sb, err := os.Stat(b)
	if err != nil {
		t.Fatal(err)
	}
	return os.SameFile(sa, sb)
}

func TestSiblingDirEnv(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "plain.txt")
	if err := os.WriteFile(file, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		value   string
		wantErr bool
	}{
		{"folder", dir, false},
		{"regular file", file, true},
		{"missing", filepath.Join(dir, "absent"), true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv(testEnv, tc.value)
			got, err := SiblingDir(testEnv, "x")
			if tc.wantErr {
				if err == nil {
					t.Fatalf("%s=%s accepted as %q", testEnv, tc.value, got)
				}
				if !strings.Contains(err.Error(), testEnv) || !strings.Contains(err.Error(), tc.value) {
					t.Errorf("error %q does not name %s and its value", err, testEnv)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got != tc.value {
				t.Errorf("got %q, want the variable's value %q", got, tc.value)
			}
		})
	}
}

func TestSiblingDirWalkUp(t *testing.T) {
	tests := []struct {
		name    string
		shared  string // what ../shared/x is: "dir", "file" or "" (absent)
		wantErr bool
	}{
		{"present", "dir", false},
		{"absent", "", true},
		{"a file, not a folder", "file", true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			root := t.TempDir()
			mod := filepath.Join(root, "mod")
			deep := filepath.Join(mod, "a", "b")
			if err := os.MkdirAll(deep, 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(mod, "go.mod"), []byte("module example.com/m\n"), 0o644); err != nil {
				t.Fatal(err)
			}
			want := filepath.Join(root, "shared", "x")
			switch tc.shared {
			case "dir":
				if err := os.MkdirAll(want, 0o755); err != nil {
					t.Fatal(err)
				}
			case "file":
				if err := os.MkdirAll(filepath.Dir(want), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(want, nil, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			t.Setenv(testEnv, "")
			t.Chdir(deep)
			got, err := SiblingDir(testEnv, "x")
			if tc.wantErr {
				if err == nil {
					t.Fatalf("found %q, want an error", got)
				}
				for _, s := range []string{filepath.Join("shared", "x"), testEnv} {
					if !strings.Contains(err.Error(), s) {
						t.Errorf("error %q does not mention %q", err, s)
					}
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !sameDir(t, got, want) {
				t.Errorf("got %q, want %q", got, want)
			}
		})
	}
}

func TestSiblingDirNoModule(t *testing.T) {
	dir := t.TempDir()
	for d := dir; ; d = filepath.Dir(d) {
		if _, err := os.Stat(filepath.Join(d, "go.mod")); err == nil {
			t.Skipf("%s holds a go.mod above the temporary folder %s; cannot test the no-module case", d, dir)
		}
		if filepath.Dir(d) == d {
			break
		}
	}
	t.Setenv(testEnv, "")
	t.Chdir(dir)
	_, err := SiblingDir(testEnv, "x")
	if err == nil || !strings.Contains(err.Error(), "no go.mod above") || !strings.Contains(err.Error(), testEnv) {
		t.Errorf("error %v, want one saying no go.mod was found and naming %s", err, testEnv)
	}
}

func TestSiblingDirBadName(t *testing.T) {
	for _, name := range []string{"", ".", "..", "a/b", `a\b`} {
		if got, err := SiblingDir(testEnv, name); err == nil {
			t.Errorf("name %q accepted as %q", name, got)
		}
	}
}

// Dir must keep honouring its variable, now through SiblingDir.
func TestDirHonoursEnv(t *testing.T) {
	dir := t.TempDir()
	t.Setenv(medmnistEnv, dir)
	got, err := Dir()
	if err != nil || got != dir {
		t.Errorf("Dir() = %q, %v; want %q", got, err, dir)
	}
	t.Setenv(medmnistEnv, filepath.Join(dir, "absent"))
	if _, err := Dir(); err == nil || !strings.Contains(err.Error(), medmnistEnv) {
		t.Errorf("Dir() with a missing %s folder: error %v, want one naming the variable", medmnistEnv, err)
	}
}
