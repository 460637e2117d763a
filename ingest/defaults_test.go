package ingest

import "testing"

func TestDefaultsFollowTheEnvironment(t *testing.T) {
	t.Setenv(DataDirEnv, "/data/medmnist")
	t.Setenv(BaseURLEnv, "http://mirror.local/medmnist")
	if got := DefaultDataDir(); got != "/data/medmnist" {
		t.Errorf("DefaultDataDir = %q with %s set", got, DataDirEnv)
	}
	if got := BaseURL(); got != "http://mirror.local/medmnist" {
		t.Errorf("BaseURL = %q with %s set", got, BaseURLEnv)
	}
	t.Setenv(DataDirEnv, "")
	t.Setenv(BaseURLEnv, "")
	t.Setenv("XDG_CACHE_HOME", "/cache")
	t.Setenv("HOME", "/home/u")
	if got := DefaultDataDir(); got != "/cache/gradprint/medmnist" {
		t.Errorf("DefaultDataDir = %q, want the user cache folder", got)
	}
	if got := BaseURL(); got != DefaultBaseURL {
		t.Errorf("BaseURL = %q, want %q", got, DefaultBaseURL)
	}
}
