#!/usr/bin/env bash
# Builds the gradprint OCI image from scratch with buildah: no base image is
# pulled, so it works on machines that reach no container registry. The
# image holds the binary (built with -trimpath and a stamped version), the
# shared libraries ldd lists at the paths the loader looks in, CA
# certificates for `datasets fetch`, and a non-root user (uid 65532) with
# /data and /out as mount points; gradprint is the entrypoint.
#
#   IMAGE=localhost/gradprint TAG=v1 bash scripts/build-image.sh
#
# Environment: IMAGE, TAG (default VERSION), VERSION (default git describe),
# COMMIT (default git rev-parse HEAD), GOTAGS (default duckdb_arrow),
# ARCHIVE (also write the image as an OCI archive to this path).
# The last line of stdout is the image reference.
set -euo pipefail
cd "$(dirname "$0")/.."

VERSION=${VERSION:-$(git describe --tags --always --dirty 2>/dev/null || echo dev)}
COMMIT=${COMMIT:-$(git rev-parse HEAD 2>/dev/null || echo unknown)}
IMAGE=${IMAGE:-localhost/gradprint}
TAG=${TAG:-$VERSION}
GOTAGS=${GOTAGS:-duckdb_arrow}
USER_ID=65532

if ! command -v buildah >/dev/null 2>&1; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "build-image: buildah is missing and this is not root; run: sudo apt-get install -y buildah" >&2
    exit 1
  fi
  echo "build-image: installing buildah with apt-get" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq buildah >/dev/null
fi
if [ ! -f /etc/ssl/certs/ca-certificates.crt ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "build-image: /etc/ssl/certs/ca-certificates.crt is missing; run: sudo apt-get install -y ca-certificates" >&2
    exit 1
  fi
  apt-get install -y -qq ca-certificates >/dev/null
fi

start=$(date +%s)
work=$(mktemp -d)
ctr=""
cleanup() {
  if [ -n "$ctr" ]; then buildah rm "$ctr" >/dev/null 2>&1 || true; fi
  rm -rf "$work"
}
trap cleanup EXIT
root=$work/rootfs
mkdir -p "$root/usr/local/bin" "$root/etc/ssl/certs" "$root/tmp" "$root/data" "$root/out" "$work/home"

echo "build-image: go build -trimpath (version $VERSION, commit $COMMIT)" >&2
go build -trimpath -tags "$GOTAGS" -ldflags "-s -w -X main.version=$VERSION -X main.commit=$COMMIT" \
  -o "$root/usr/local/bin/gradprint" ./cmd/gradprint

# Merged /usr (Debian 12): /lib and /lib64 are links into /usr, as on the
# build machine, so each library goes where ldd found it.
for l in lib lib64; do
  if [ -L "/$l" ]; then
    mkdir -p "$root/$(readlink "/$l")"
    ln -s "$(readlink "/$l")" "$root/$l"
  fi
done
libs=$(ldd "$root/usr/local/bin/gradprint" | awk '$2 == "=>" && $3 ~ /^\// {print $3} $1 ~ /^\// {print $1}')
for lib in $libs; do
  mkdir -p "$root$(dirname "$lib")"
  cp -L "$lib" "$root$lib"
done
cp -L /etc/ssl/certs/ca-certificates.crt "$root/etc/ssl/certs/"
printf 'root:x:0:0:root:/root:/sbin/nologin\ngradprint:x:%d:%d:gradprint:/home/gradprint:/sbin/nologin\n' $USER_ID $USER_ID >"$root/etc/passwd"
printf 'root:x:0:\ngradprint:x:%d:\n' $USER_ID >"$root/etc/group"
chmod 1777 "$root/tmp"

ctr=$(buildah from scratch)
buildah copy --quiet "$ctr" "$root" / >/dev/null
# buildah copy gives root ownership unless told: the user's home and the
# default output mount point are the user's.
buildah copy --quiet --chown $USER_ID:$USER_ID "$ctr" "$work/home" /home/gradprint >/dev/null
buildah copy --quiet --chown $USER_ID:$USER_ID "$ctr" "$work/home" /out >/dev/null
buildah config \
  --entrypoint '["/usr/local/bin/gradprint"]' --cmd '["--help"]' \
  --user $USER_ID:$USER_ID --workingdir /home/gradprint \
  --env HOME=/home/gradprint --env OPENBLAS_NUM_THREADS=1 --env GRADPRINT_DATA_DIR=/data \
  --label org.opencontainers.image.title=gradprint \
  --label org.opencontainers.image.version="$VERSION" \
  --label org.opencontainers.image.revision="$COMMIT" \
  --label org.opencontainers.image.description="gradprint: saliency fingerprints and failure detection for medical image classifiers" \
  "$ctr"
buildah commit --quiet --rm "$ctr" "$IMAGE:$TAG" >/dev/null
ctr=""
if [ -n "${ARCHIVE:-}" ]; then
  buildah push --quiet "$IMAGE:$TAG" "oci-archive:$ARCHIVE:$IMAGE:$TAG" >/dev/null
fi
size=$(buildah images --format '{{.Size}}' "$IMAGE:$TAG" | head -1)
echo "build-image: $IMAGE:$TAG ($size) in $(( $(date +%s) - start )) s" >&2
echo "$IMAGE:$TAG"
