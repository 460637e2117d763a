#!/usr/bin/env bash
# Installs what gradprint needs on a fresh Debian machine: OpenBLAS headers
# and library for the cgo GEMM backend, and buildah for the container image.
# Idempotent: does nothing when present.
set -euo pipefail

if ! command -v go >/dev/null 2>&1; then
  echo "install-deps: the Go toolchain (1.26+) is not on PATH; install it from the Go project and retry" >&2
  exit 1
fi

have_openblas() {
  [ -f /usr/include/cblas.h ] || [ -f /usr/include/x86_64-linux-gnu/cblas.h ] || [ -f /usr/include/openblas/cblas.h ] || [ -f /usr/include/aarch64-linux-gnu/cblas.h ]
}

if ! have_openblas; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "install-deps: OpenBLAS (cblas.h) is missing and this is not root." >&2
    echo "  run: sudo apt-get install -y libopenblas-dev" >&2
    echo "  or build without it: make GOTAGS=purego ..." >&2
    exit 1
  fi
  echo "install-deps: installing libopenblas-dev with apt-get" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq libopenblas-dev >/dev/null
fi

# buildah builds the container image (make image) and lets the image test
# run; without it that test skips, saying so.
if ! command -v buildah >/dev/null 2>&1; then
  if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "install-deps: installing buildah with apt-get (for make image and its test)" >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get install -y -qq buildah >/dev/null 2>&1 || { apt-get update -qq && apt-get install -y -qq buildah >/dev/null; } ||
      echo "install-deps: buildah could not be installed; the image test will skip" >&2
  else
    echo "install-deps: buildah is missing (sudo apt-get install -y buildah); the image test will skip" >&2
  fi
fi
