// Package image holds the end-to-end test of the container image that
// `make image` (scripts/build-image.sh) builds: the image is built with
// buildah, its root file system mounted, and gradprint run from it under
// chroot as the image's non-root user, with bind-mounted data and output
// folders, as a pod of the Kubernetes Indexed Job would run it.
// podman run is refused by the sandboxes gradprint is developed in (crun
// cannot set RLIMIT_NPROC), so the test enters the root file system itself.
package image
