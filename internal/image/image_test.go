package image

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gradprint/gradprint/internal/shareddata"
)

// userSpec is the image's non-root user (scripts/build-image.sh).
const userSpec = "65532:65532"

// rootfs is a built image's root file system, mounted by buildah, and the
// host folders that a run binds at /data and /out.
type rootfs struct {
	dir, data, out string
}

// needBuildah skips the test, saying why, where the image cannot be built
// or entered: no buildah, not root (chroot and bind mounts need it), or a
// sandbox that refuses buildah's storage.
func needBuildah(t *testing.T) {
	t.Helper()
	if testing.Short() {
		t.Skip("image test skipped in -short mode (it builds the binary and an image)")
	}
	if _, err := exec.LookPath("buildah"); err != nil {
		t.Skip("buildah is not installed (make image and scripts/install-deps.sh install it with apt-get): ", err)
	}
	if os.Geteuid() != 0 {
		t.Skip("the image test needs root: it bind-mounts folders and chroots into the image")
	}
	for _, tool := range []string{"unshare", "/usr/sbin/chroot", "mount"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s is not available: %v", tool, err)
		}
	}
	out, err := exec.Command("buildah", "from", "scratch").CombinedOutput()
	if err != nil {
		t.Skipf("this machine refuses buildah (buildah from scratch: %v): %s", err, out)
	}
	exec.Command("buildah", "rm", strings.TrimSpace(string(out))).Run()
}

// build runs scripts/build-image.sh and returns the image reference; the
// image is removed when the test ends.
func build(t *testing.T) string {
	t.Helper()
	cmd := exec.Command("bash", filepath.Join("..", "..", "scripts", "build-image.sh"))
	cmd.Env = append(os.Environ(), "IMAGE=localhost/gradprint-test", fmt.Sprintf("TAG=test-%d", os.Getpid()))
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("build-image.sh: %v\n%s", err, stderr.String())
	}
	lines := strings.Split(strings.TrimSpace(stdout.String()), "\n")
	ref := lines[len(lines)-1]
	t.Cleanup(func() { exec.Command("buildah", "rmi", "--force", ref).Run() })
	t.Log(strings.TrimSpace(stderr.String()))
	return ref
}

// mount makes a working container of ref and mounts its root file system.
func mount(t *testing.T, ref string) string {
	t.Helper()
	ctr := buildah(t, "from", "--pull=never", ref)
	t.Cleanup(func() {
		exec.Command("buildah", "umount", ctr).Run()
		exec.Command("buildah", "rm", ctr).Run()
	})
	return buildah(t, "mount", ctr)
}

func buildah(t *testing.T, args ...string) string {
	t.Helper()
	out, err := exec.Command("buildah", args...).Output()
	if err != nil {
		t.Fatalf("buildah %s: %v", strings.Join(args, " "), err)
	}
	return strings.TrimSpace(string(out))
}

// cmd runs gradprint from the image's root file system as the image's user,
// in a private mount namespace where r.data is /data and r.out is /out,
// with the image's environment and nothing of the host's.
func (r rootfs) cmd(env []string, args ...string) *exec.Cmd {
	script := `mount --bind "$1" "$3/data" && mount --bind "$2" "$3/out" && root=$3 && shift 3 &&
exec /usr/sbin/chroot --userspec=` + userSpec + ` "$root" /usr/local/bin/gradprint "$@"`
	c := exec.Command("unshare", append([]string{"--mount", "--propagation", "private", "sh", "-c", script, "sh", r.data, r.out, r.dir}, args...)...)
	c.Env = append([]string{"PATH=/usr/sbin:/usr/bin:/sbin:/bin", "HOME=/home/gradprint", "OPENBLAS_NUM_THREADS=1",
		"GRADPRINT_DATA_DIR=/data"}, env...)
	return c
}

func (r rootfs) run(t *testing.T, args ...string) string {
	t.Helper()
	c := r.cmd(nil, args...)
	var stdout, stderr bytes.Buffer
	c.Stdout, c.Stderr = &stdout, &stderr
	if err := c.Run(); err != nil {
		t.Fatalf("gradprint %s in the image: %v\n%s", strings.Join(args, " "), err, stderr.String())
	}
	return stdout.String()
}

// writableDir is a temporary folder the image's user can write to.
func writableDir(t *testing.T) string {
	t.Helper()
	d := t.TempDir()
	if err := os.Chmod(d, 0o777); err != nil {
		t.Fatal(err)
	}
	return d
}

// TestImageRunsTheClusterPath builds the image, checks its configuration,
// verifies datasets from a bind-mounted folder and runs analyze as two
// shards of one run into a shared bind-mounted output folder, from the
// image's root file system; the union of the shards must equal an
// unsharded run row for row.
func TestImageRunsTheClusterPath(t *testing.T) {
	needBuildah(t)
	ref := build(t)
	if got := buildah(t, "inspect", "--format", "{{.OCIv1.Config.User}} {{.OCIv1.Config.Entrypoint}}", ref); got != userSpec+" [/usr/local/bin/gradprint]" {
		t.Fatalf("image user and entrypoint %q, want %s [/usr/local/bin/gradprint]", got, userSpec)
	}
	r := rootfs{dir: mount(t, ref), data: writableDir(t), out: writableDir(t)}

	if v := r.run(t, "version"); !strings.Contains(v, "gemm      openblas") || strings.Contains(v, "commit    unknown") {
		t.Fatalf("gradprint version in the image:\n%s", v)
	}
	r.run(t, "--out", "/out", "datasets", "synth", "--out", "/data/synthetic.npz", "--size", "16", "--classes", "3",
		"--train", "96", "--val", "30", "--test", "36")
	if v := r.run(t, "datasets", "verify", "--data-dir", "/data"); !strings.Contains(v, "1 files: 0 official, 1 not official, 0 invalid") {
		t.Fatalf("datasets verify of the bind-mounted folder:\n%s", v)
	}
	if dir, err := shareddata.Dir(); err == nil {
		shared := rootfs{dir: r.dir, data: dir, out: r.out}
		if v := shared.run(t, "datasets", "verify", "--data-dir", "/data"); !strings.Contains(v, "official breastmnist size 28") {
			t.Fatalf("datasets verify of the shared MedMNIST files:\n%s", v)
		}
	} else {
		t.Logf("real MedMNIST files not verified in the image: %v", err)
	}

	r.run(t, "--out", "/out/train", "train", "--data", "/data/synthetic.npz", "--epochs", "1", "--width", "0.125", "--batch", "32",
		"--model", "/out/model.safetensors")
	analyze := []string{"analyze", "--data", "/data/synthetic.npz", "--model", "/out/model.safetensors", "--splits", "val,test",
		"--per-class", "0", "--chunk", "2", "--batch", "26", "--corruptions", "contrast,gaussian_noise", "--severities", "1,4"}
	r.run(t, append([]string{"--out", "/out/whole"}, analyze...)...)
	runShards(t, r, append([]string{"--out", "/out/sharded"}, analyze...))

	for _, sql := range []string{
		"SELECT * EXCLUDE (run_id) FROM predictions ORDER BY split, image_id, corruption, severity",
		"SELECT * EXCLUDE (run_id) FROM saliency ORDER BY split, image_id, corruption, severity, layer, method",
		"SELECT * EXCLUDE (run_id) FROM metrics ORDER BY ALL",
	} {
		whole := r.run(t, "--out", "/out/whole", "query", "--sql", sql, "--format", "csv")
		sharded := r.run(t, "--out", "/out/sharded", "query", "--sql", sql, "--format", "csv")
		if strings.Count(whole, "\n") < 2 {
			t.Fatalf("%q returned no rows", sql)
		}
		if whole != sharded {
			t.Fatalf("two shards in the image differ from the unsharded run for %q", sql)
		}
	}
}

// runShards runs analyze as shards 0/2 and 1/2 at once, as two pods of an
// Indexed Job (JOB_COMPLETION_INDEX, JOB_COMPLETIONS) sharing one folder.
func runShards(t *testing.T, r rootfs, args []string) {
	t.Helper()
	var cmds []*exec.Cmd
	var logs []*bytes.Buffer
	for i := range 2 {
		c := r.cmd([]string{fmt.Sprintf("JOB_COMPLETION_INDEX=%d", i), "JOB_COMPLETIONS=2"}, args...)
		var stderr bytes.Buffer
		c.Stderr = &stderr
		if err := c.Start(); err != nil {
			t.Fatal(err)
		}
		cmds, logs = append(cmds, c), append(logs, &stderr)
	}
	for i, c := range cmds {
		if err := c.Wait(); err != nil {
			t.Fatalf("shard %d/2 in the image: %v\n%s", i, err, logs[i].String())
		}
	}
}
