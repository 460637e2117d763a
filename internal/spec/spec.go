// Package spec parses the compact text forms that command-line flags and
// environment variables use for lists: "1,3,5" and "1-5" for integers,
// "a, b" for names, "i/n" for a shard and NAME=VALUE for query parameters.
// It knows nothing of what the values mean; callers validate ranges.
package spec

import (
	"fmt"
	"strconv"
	"strings"
)

// Ints parses a comma-separated list whose parts are integers or
// inclusive ranges LO-HI, in order: "1,3-5" is [1 3 4 5]. Empty parts are
// skipped, so "" is an empty list.
func Ints(s string) ([]int, error) {
	var out []int
	for _, part := range List(s) {
		if a, b, ok := strings.Cut(part, "-"); ok {
			lo, err1 := strconv.Atoi(a)
			hi, err2 := strconv.Atoi(b)
			if err1 != nil || err2 != nil || hi < lo {
				return nil, fmt.Errorf("range %q: want LO-HI", part)
			}
			for i := lo; i <= hi; i++ {
				out = append(out, i)
			}
			continue
		}
		v, err := strconv.Atoi(part)
		if err != nil {
			return nil, fmt.Errorf("%q: want an integer", part)
		}
		out = append(out, v)
	}
	return out, nil
}

// List splits a comma-separated list, trimming spaces and dropping empty
// parts; it returns nil for a list with no parts.
func List(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// Shard parses "i/n" with 0 <= i < n. An empty spec falls back to
// Kubernetes Indexed Job's variables, read through getenv:
// JOB_COMPLETION_INDEX and JOB_COMPLETIONS; without them it is 0/1.
// flag names the flag in error messages.
func Shard(flag, s string, getenv func(string) string) (i, n int, err error) {
	if s == "" {
		idx, cnt := getenv("JOB_COMPLETION_INDEX"), getenv("JOB_COMPLETIONS")
		if idx == "" {
			return 0, 1, nil
		}
		if cnt == "" {
			return 0, 0, fmt.Errorf("JOB_COMPLETION_INDEX=%s is set but JOB_COMPLETIONS is not: set it to the Job's completions", idx)
		}
		s = idx + "/" + cnt
	}
	a, b, ok := strings.Cut(s, "/")
	i, err1 := strconv.Atoi(a)
	n, err2 := strconv.Atoi(b)
	if !ok || err1 != nil || err2 != nil || n < 1 || i < 0 || i >= n {
		return 0, 0, fmt.Errorf("%s %q: want i/n with 0 <= i < n", flag, s)
	}
	return i, n, nil
}

// Params parses NAME=VALUE pairs into a map; a leading "$" on NAME is
// dropped (so "$s=5" binds $s), VALUE may be empty, and a NAME given twice
// is an error. flag names the flag in error messages.
func Params(flag string, pairs []string) (map[string]string, error) {
	kv := map[string]string{}
	for _, p := range pairs {
		k, v, ok := strings.Cut(p, "=")
		k = strings.TrimPrefix(strings.TrimSpace(k), "$")
		if !ok || k == "" {
			return nil, fmt.Errorf("%s %q: want NAME=VALUE", flag, p)
		}
		if _, dup := kv[k]; dup {
			return nil, fmt.Errorf("%s %s given twice", flag, k)
		}
		kv[k] = v
	}
	return kv, nil
}
