# The twittix-infra image that every action runs (docker://ghcr.io/twittix/infra).
# GitHub's rules for container actions: run as root, an absolute exec-form ENTRYPOINT, no WORKDIR
# (the runner sets --workdir /github/workspace).
#
# Multi-platform without emulation: the build stage runs on the builder's own platform
# (BUILDPLATFORM) and cross-compiles for each target (TARGETOS/TARGETARCH, set by buildx for
# `--platform linux/amd64,linux/arm64`); the final stage only copies files.

FROM --platform=$BUILDPLATFORM golang:1.26-bookworm AS build
ARG VERSION=dev
ARG TARGETOS
ARG TARGETARCH
COPY go.mod go.sum /src/
RUN cd /src && go mod download
COPY . /src
RUN cd /src && CGO_ENABLED=0 GOOS=${TARGETOS} GOARCH=${TARGETARCH} go build -trimpath \
      -ldflags "-s -w -X github.com/twittix/infra/pkg/action.Version=${VERSION}" \
      -o /out/twittix-infra ./cmd/twittix-infra

FROM scratch
LABEL org.opencontainers.image.source="https://github.com/twittix/infra" \
      org.opencontainers.image.description="twittix deploy actions: deploy-swarm, cloud-build, promote"
COPY --from=build /etc/ssl/certs/ca-certificates.crt /etc/ssl/certs/ca-certificates.crt
COPY --from=build /out/twittix-infra /twittix-infra
USER 0:0
ENTRYPOINT ["/twittix-infra"]
