#!/usr/bin/env bash
# Installs what gradprint needs on a fresh Debian machine: OpenBLAS headers
# and library for the cgo GEMM backend. Idempotent: does nothing when present.
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
