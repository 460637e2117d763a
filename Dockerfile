# gradprint for build machines that reach a container registry:
#   docker build --build-arg VERSION=$(git describe --tags --always --dirty) \
#     --build-arg COMMIT=$(git rev-parse HEAD) -t gradprint:dev .
# Where no registry is reachable, `make image` builds the same layout from
# scratch with buildah (scripts/build-image.sh); only that path is tested
# here (internal/image), this file is not.

FROM golang:1.26-bookworm AS build
RUN apt-get update && apt-get install -y --no-install-recommends libopenblas-dev && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG VERSION=dev
ARG COMMIT=unknown
RUN go build -trimpath -tags duckdb_arrow \
      -ldflags "-s -w -X main.version=${VERSION} -X main.commit=${COMMIT}" \
      -o /out/gradprint ./cmd/gradprint

FROM debian:bookworm-slim
RUN apt-get update && apt-get install -y --no-install-recommends libopenblas0-pthread ca-certificates \
    && rm -rf /var/lib/apt/lists/* \
    && groupadd --gid 65532 gradprint && useradd --uid 65532 --gid 65532 --home-dir /home/gradprint --create-home gradprint \
    && mkdir -p /data /out && chown 65532:65532 /out
COPY --from=build /out/gradprint /usr/local/bin/gradprint
ENV HOME=/home/gradprint OPENBLAS_NUM_THREADS=1 GRADPRINT_DATA_DIR=/data
USER 65532:65532
WORKDIR /home/gradprint
ENTRYPOINT ["/usr/local/bin/gradprint"]
CMD ["--help"]
ARG VERSION=dev
ARG COMMIT=unknown
LABEL org.opencontainers.image.title=gradprint \
      org.opencontainers.image.version=${VERSION} \
      org.opencontainers.image.revision=${COMMIT}
