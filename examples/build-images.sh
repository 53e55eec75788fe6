#!/usr/bin/env bash
# build-images.sh TAG... builds the example service image twittix/hello:TAG for each TAG, without
# pulling anything: a static binary built with the local Go toolchain in a FROM scratch image.
set -euo pipefail
cd "$(dirname "$0")/stack"
mkdir -p build
CGO_ENABLED=0 go build -trimpath -ldflags "-s -w" -o build/hello ./hello
for tag in "$@"; do
	# Each tag is a distinct image: the version is baked in as a label.
	docker build -q --label "org.opencontainers.image.version=$tag" -t "twittix/hello:$tag" -f Dockerfile build >/dev/null
	echo "built twittix/hello:$tag"
done
