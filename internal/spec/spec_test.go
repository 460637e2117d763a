package spec

import (
	"fmt"
	"reflect"
	"strings"
	"testing"
)

func TestInts(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want []int
		err  string
	}{
		{"", nil, ""},
		{"3", []int{3}, ""},
		{"1,3,5", []int{1, 3, 5}, ""},
		{"1-5", []int{1, 2, 3, 4, 5}, ""},
		{" 2 , 4-5 ,", []int{2, 4, 5}, ""},
		{"5-1", nil, "range"},
		{"1-x", nil, "range"},
		{"three", nil, "integer"},
	} {
		got, err := Ints(tc.in)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("Ints(%q) error %v, want one saying %q", tc.in, err, tc.err)
			}
			continue
		}
		if err != nil || !reflect.DeepEqual(got, tc.want) {
			t.Errorf("Ints(%q) = %v, %v; want %v", tc.in, got, err, tc.want)
		}
	}
}

func TestList(t *testing.T) {
	if got := List(" a, ,b ,"); !reflect.DeepEqual(got, []string{"a", "b"}) {
		t.Fatalf("List = %q", got)
	}
	if got := List(""); got != nil {
		t.Fatalf("List(\"\") = %q, want nil", got)
	}
}

func TestShard(t *testing.T) {
	env := map[string]string{}
	getenv := func(k string) string { return env[k] }
	if i, n, err := Shard("--shard", "", getenv); err != nil || i != 0 || n != 1 {
		t.Fatalf("default: %d/%d %v, want 0/1", i, n, err)
	}
	if i, n, err := Shard("--shard", "2/5", getenv); err != nil || i != 2 || n != 5 {
		t.Fatalf("2/5: %d/%d %v", i, n, err)
	}
	for _, bad := range []string{"5/5", "-1/3", "1", "a/b", "0/0"} {
		if _, _, err := Shard("--shard", bad, getenv); err == nil || !strings.Contains(err.Error(), "--shard") {
			t.Errorf("--shard %q: error %v, want one naming the flag", bad, err)
		}
	}
	env["JOB_COMPLETION_INDEX"] = "3"
	if _, _, err := Shard("--shard", "", getenv); err == nil || !strings.Contains(err.Error(), "JOB_COMPLETIONS") {
		t.Fatalf("JOB_COMPLETION_INDEX without JOB_COMPLETIONS: %v", err)
	}
	env["JOB_COMPLETIONS"] = "4"
	if i, n, err := Shard("--shard", "", getenv); err != nil || i != 3 || n != 4 {
		t.Fatalf("from env: %d/%d %v, want 3/4", i, n, err)
	}
	env["JOB_COMPLETION_INDEX"] = "4"
	if _, _, err := Shard("--shard", "", getenv); err == nil {
		t.Fatal("index 4 of 4 completions accepted")
	}
}

func TestParams(t *testing.T) {
	kv, err := Params("--param", []string{"a=1", "$s=", " b =x=y"})
	if err != nil {
		t.Fatal(err)
	}
	if want := map[string]string{"a": "1", "s": "", "b": "x=y"}; !reflect.DeepEqual(kv, want) {
		t.Fatalf("Params = %v, want %v", kv, want)
	}
	for _, bad := range [][]string{{"novalue"}, {"=1"}, {"a=1", "a=2"}} {
		if _, err := Params("--param", bad); err == nil || !strings.Contains(err.Error(), "--param") {
			t.Errorf("Params(%q): error %v, want one naming --param", bad, err)
		}
	}
}

func ExampleInts() {
	sev, _ := Ints("1,3-5")
	fmt.Println(sev)
	// Output: [1 3 4 5]
}
