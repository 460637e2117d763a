package main

import (
	"fmt"
	"os"
	"strconv"
	"strings"
)

// parseShard reads "i/n", or Kubernetes Indexed Job's JOB_COMPLETION_INDEX
// and JOB_COMPLETIONS when the flag is empty.
func parseShard(spec string) (int, int, error) {
	if spec == "" {
		idx, cnt := os.Getenv("JOB_COMPLETION_INDEX"), os.Getenv("JOB_COMPLETIONS")
		if idx == "" {
			return 0, 1, nil
		}
		if cnt == "" {
			return 0, 0, fmt.Errorf("JOB_COMPLETION_INDEX=%s is set but JOB_COMPLETIONS is not: set it to the Job's completions", idx)
		}
		spec = idx + "/" + cnt
	}
	a, b, ok := strings.Cut(spec, "/")
	i, err1 := strconv.Atoi(a)
	n, err2 := strconv.Atoi(b)
	if !ok || err1 != nil || err2 != nil || n < 1 || i < 0 || i >= n {
		return 0, 0, fmt.Errorf("--shard %q: want i/n with 0 <= i < n", spec)
	}
	return i, n, nil
}
