#!/usr/bin/env bash
# build-images.sh TAG... builds the example service image twittix/hello:TAG for each TAG, without
# pulling anything: a static binary built with the local Go toolchain in a FROM scratch image.
set -euo pipefail
cd "$(dirname "$0")/stack"
mkdir -p build
CGO_ENABLED=0 go build -trimpath -ldflags "-s -w" -o build/hello ./hello
for tag in "$@"; do
	# Each tag is a distinct image: the version is baked in as a label.
	# docker's stderr (the legacy builder's deprecation notice) is shown only when the build fails.
	if ! err=$(docker build -q --label "org.opencontainers.image.version=$tag" -t "twittix/hello:$tag" -f Dockerfile build 2>&1 >/dev/null); then
		echo "$err" >&2
		exit 1
	fi
	echo "built twittix/hello:$tag"
done
