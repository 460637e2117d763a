package ingest

import (
	"regexp"
	"testing"
)

func TestRegistryKnownMD5(t *testing.T) {
	cases := []struct {
		flag string
		size int
		md5  string
	}{
		{"breastmnist", 28, "750601b1f35ba3300ea97c75c52ff8f6"},
		{"breastmnist", 64, "742edef2a1fd1524b2efff4bd7ba9364"},
		{"retinamnist", 28, "bd4c0672f1bba3e3a89f0e4e876791e4"},
	}
	for _, c := range cases {
		in, err := Lookup(c.flag)
		if err != nil {
			t.Fatal(err)
		}
		if in.MD5[c.size] != c.md5 {
			t.Errorf("%s %d: md5 %s, want %s", c.flag, c.size, in.MD5[c.size], c.md5)
		}
		got, size, ok := LookupMD5(c.md5)
		if !ok || got.Flag != c.flag || size != c.size {
			t.Errorf("LookupMD5(%s) = %v %d %v", c.md5, got, size, ok)
		}
	}
}

func TestRegistryComplete(t *testing.T) {
	hex32 := regexp.MustCompile(`^[0-9a-f]{32}$`)
	seen := map[string]string{}
	reg := Registry()
	if len(reg) != 12 {
		t.Errorf("%d datasets, want the 12 MedMNIST 2D sets", len(reg))
	}
	for _, in := range reg {
		for _, s := range Sizes {
			m := in.MD5[s]
			if !hex32.MatchString(m) {
				t.Errorf("%s size %d: md5 %q", in.Flag, s, m)
			}
			if prev, dup := seen[m]; dup {
				t.Errorf("%s size %d: md5 duplicates %s", in.Flag, s, prev)
			}
			seen[m] = in.FileName(s)
		}
		if in.NumClasses() < 2 || (in.Channels != 1 && in.Channels != 3) || in.TotalImages() <= 0 {
			t.Errorf("%s: classes %d channels %d total %d", in.Flag, in.NumClasses(), in.Channels, in.TotalImages())
		}
	}
	// REFERENCE.md section 2 facts for the four thesis datasets.
	want := map[string]struct{ classes, ch, tr, va, te int }{
		"breastmnist":    {2, 1, 546, 78, 156},
		"pneumoniamnist": {2, 1, 4708, 524, 624},
		"dermamnist":     {7, 3, 7007, 1003, 2005},
		"retinamnist":    {5, 3, 1080, 120, 400},
	}
	for f, w := range want {
		in, _ := Lookup(f)
		if in.NumClasses() != w.classes || in.Channels != w.ch || in.SplitSizes[Train] != w.tr || in.SplitSizes[Val] != w.va || in.SplitSizes[Test] != w.te {
			t.Errorf("%s: %+v, want %+v", f, in, w)
		}
	}
	if b, _ := Lookup("breastmnist"); b.Classes[0] != "malignant" || b.Classes[1] != "normal, benign" {
		t.Errorf("breastmnist classes %q", b.Classes)
	}
}

func TestRegistryNamesAndURLs(t *testing.T) {
	in, _ := Lookup("BreastMNIST")
	if in.FileName(28) != "breastmnist.npz" || in.FileName(224) != "breastmnist_224.npz" {
		t.Errorf("file names %s %s", in.FileName(28), in.FileName(224))
	}
	if u := in.URL(DefaultBaseURL, 64); u != "https://zenodo.org/records/10519652/files/breastmnist_64.npz?download=1" {
		t.Errorf("url %s", u)
	}
	if _, err := Lookup("mnist"); err == nil {
		t.Error("unknown flag accepted")
	}
	if in, s, ok := LookupFileName("/x/y/dermamnist_128.npz"); !ok || in.Flag != "dermamnist" || s != 128 {
		t.Errorf("LookupFileName: %v %d %v", in, s, ok)
	}
	if _, _, ok := LookupFileName("pneumoniamnist_trainsubset.npz"); ok {
		t.Error("modified copy matched an official name")
	}
	if g, ok := GuessFlag("pneumoniamnist_trainsubset.npz"); !ok || g.Flag != "pneumoniamnist" {
		t.Errorf("GuessFlag: %v %v", g, ok)
	}
	if _, ok := GuessFlag("organxmnist.npz"); ok {
		t.Error("GuessFlag matched a non-registry name")
	}
	// Registry hands out copies.
	in.Classes[0] = "changed"
	if again, _ := Lookup("breastmnist"); again.Classes[0] != "malignant" {
		t.Error("Lookup result aliases the registry")
	}
}
