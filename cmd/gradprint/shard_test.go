package main

import "testing"

func TestParseShard(t *testing.T) {
	t.Setenv("JOB_COMPLETION_INDEX", "")
	t.Setenv("JOB_COMPLETIONS", "")
	if i, n, err := parseShard(""); err != nil || i != 0 || n != 1 {
		t.Fatalf("default: %d/%d %v, want 0/1", i, n, err)
	}
	if i, n, err := parseShard("2/5"); err != nil || i != 2 || n != 5 {
		t.Fatalf("2/5: %d/%d %v", i, n, err)
	}
	for _, bad := range []string{"5/5", "-1/3", "1", "a/b", "0/0"} {
		if _, _, err := parseShard(bad); err == nil {
			t.Errorf("--shard %q accepted", bad)
		}
	}
	t.Setenv("JOB_COMPLETION_INDEX", "3")
	if _, _, err := parseShard(""); err == nil {
		t.Fatal("JOB_COMPLETION_INDEX without JOB_COMPLETIONS accepted")
	}
	t.Setenv("JOB_COMPLETIONS", "4")
	if i, n, err := parseShard(""); err != nil || i != 3 || n != 4 {
		t.Fatalf("from env: %d/%d %v, want 3/4", i, n, err)
	}
}
