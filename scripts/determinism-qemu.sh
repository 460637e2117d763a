#!/usr/bin/env bash
# The deterministic mode's cross-CPU check. Two test binaries, the pure-Go
# build (tag purego) and the deterministic build (tag deterministic: its
# GEMM in C, whose AVX-512, AVX2 and SSE2 clones the loader picks per CPU),
# both GOAMD64=v1, run TestDeterministicTraining natively and under QEMU's
# user-mode emulation of older and other x86-64 CPUs (no AVX, no FMA, AMD);
# each run must train weights whose SHA-256 is the one in
# compute/resnet/testdata. Needs qemu-user (apt-get install qemu-user);
# up to a minute per emulated CPU and build.
#
#   scripts/determinism-qemu.sh [CPU ...]   # default: Nehalem Westmere-v1 qemu64 Haswell-v4 EPYC
set -euo pipefail
cd "$(dirname "$0")/.."
command -v qemu-x86_64 >/dev/null || { echo "determinism-qemu: qemu-x86_64 not found (apt-get install qemu-user)" >&2; exit 1; }
cpus=("$@")
[[ ${#cpus[@]} -gt 0 ]] || cpus=(Nehalem Westmere-v1 qemu64 Haswell-v4 EPYC)
dir=$(mktemp -d)
for tag in purego deterministic; do
	GOAMD64=v1 go test -c -tags "$tag" -o "$dir/$tag.test" ./compute/resnet
done
cd compute/resnet
status=0
check() { # label, command...
	local label=$1 out
	shift
	if out=$("$@" -test.run '^TestDeterministicTraining$' -test.count=1 2>&1); then
		echo "ok    $label"
	else
		echo "FAIL  $label"
		grep -v "TCG doesn't support" <<<"$out" | tail -3
		status=1
	fi
}
native=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //')
for tag in purego deterministic; do
	check "$tag, native ($native)" "$dir/$tag.test"
	for cpu in "${cpus[@]}"; do
		check "$tag, qemu -cpu $cpu" qemu-x86_64 -cpu "$cpu" "$dir/$tag.test"
	done
done
exit $status
