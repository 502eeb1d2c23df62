# syntax=docker/dockerfile:1
# Sluice's release image: one static binary on distroless, running as the
# unprivileged user 65532 (nonroot) that the Helm chart also expects.
#
#   docker build --build-arg VERSION=$(git describe --tags --always) -t sluice .

FROM --platform=$BUILDPLATFORM golang:1.26 AS build
ARG TARGETOS TARGETARCH
ARG VERSION=dev
WORKDIR /src
COPY go.mod go.sum ./
RUN --mount=type=cache,target=/go/pkg/mod go mod download
COPY . .
RUN --mount=type=cache,target=/go/pkg/mod --mount=type=cache,target=/root/.cache/go-build \
    CGO_ENABLED=0 GOOS=$TARGETOS GOARCH=$TARGETARCH \
    go build -trimpath -ldflags "-s -w -X main.version=${VERSION}" -o /out/sluice ./cmd/sluice

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/sluice /sluice
USER nonroot
# ext_proc gRPC, and admin HTTP (health, readiness, metrics).
EXPOSE 50051 9090
# There is no shell in this image: the binary checks its own gRPC health.
HEALTHCHECK --interval=10s --timeout=3s --start-period=5s --retries=3 \
    CMD ["/sluice", "health", "--addr", "127.0.0.1:50051", "--timeout", "2s"]
ENTRYPOINT ["/sluice"]
CMD ["serve", "--config", "/etc/sluice/sluice.yaml"]
