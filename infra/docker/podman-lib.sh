# Shared setup of the podman scripts in infra/docker/ (sourced, not run).
#
# podman_ready: podman present (installed from Debian with apt-get when missing
#   and possible), the rlimit workaround in place (CONTAINERS_CONF), and one
#   `podman info` that works. Returns 2 when podman is absent and cannot be
#   installed (callers skip), exits non-zero when podman is there but broken.

INFRA_DOCKER_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_ROOT="$(cd "$INFRA_DOCKER_DIR/../.." && pwd)"
# podman's default rlimits are refused on some machines (this CI's among
# them); an empty default_ulimits keeps the host's.
export CONTAINERS_CONF="${CONTAINERS_CONF:-$INFRA_DOCKER_DIR/containers.conf}"
export DEBIAN_FRONTEND=noninteractive

log() { printf '%s: %s\n' "${LOG_PREFIX:-podman}" "$*"; }
die() { printf '%s: FAILED: %s\n' "${LOG_PREFIX:-podman}" "$*" >&2; exit 1; }

SUDO=""
if [ "$(id -u)" -ne 0 ] && command -v sudo > /dev/null; then SUDO="sudo -n"; fi
APT_UPDATED=0
# apt_install PKG...: install Debian packages quietly (apt-get update once).
apt_install() {
  command -v apt-get > /dev/null || return 1
  if [ "$APT_UPDATED" -eq 0 ]; then
    $SUDO apt-get update -qq < /dev/null > /dev/null || return 1
    APT_UPDATED=1
  fi
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" < /dev/null > /dev/null
}

podman_ready() {
  if ! command -v podman > /dev/null; then
    log "podman not found: installing it from Debian (apt-get install podman)"
    apt_install podman runc conmon containernetworking-plugins fuse-overlayfs slirp4netns uidmap iptables \
      || { log "podman is absent and could not be installed"; return 2; }
  fi
  command -v runc > /dev/null || apt_install runc || die "runc (the OCI runtime containers.conf selects) missing and not installable"
  podman info > /dev/null || die "podman is installed but 'podman info' fails (CONTAINERS_CONF=$CONTAINERS_CONF)"
}

# build_image SERVICE PORT IMAGE: the Dockerfile as a team with a registry uses it,
# with three build-time-only mounts that never reach a layer: the host's npm
# cache (CI installed the same lockfile a minute ago: no re-download), and the
# host's CA bundle + an npmrc pointing npm at it (machines whose egress goes
# through a TLS-intercepting proxy). --format docker: the OCI image format has
# no HEALTHCHECK, podman would drop it.
build_image() {
  local svc="$1" port="$2" image="$3" npmrc
  npmrc="$(mktemp)"
  local mounts=(-v "${NPM_CACHE:-$HOME/.npm}:/root/.npm")
  if [ -f /etc/ssl/certs/ca-certificates.crt ]; then
    printf 'cafile=/etc/ssl/certs/ca-certificates.crt\n' > "$npmrc"
    mounts+=(-v /etc/ssl/certs/ca-certificates.crt:/etc/ssl/certs/ca-certificates.crt:ro -v "$npmrc:/usr/local/etc/npmrc:ro")
  fi
  mkdir -p "${NPM_CACHE:-$HOME/.npm}"
  local started=$SECONDS
  (cd "$REPO_ROOT" && podman build --pull=never --format docker "${mounts[@]}" -f infra/docker/service.Dockerfile \
    --build-arg SERVICE="$svc" --build-arg SERVICE_PORT="$port" \
    --build-arg VERSION="$(node -p "require('$REPO_ROOT/services/$svc/package.json').version")" \
    -t "$image" . > "/tmp/fedmcp-build-$svc.log" 2>&1) \
    || { rm -f "$npmrc"; tail -n 40 "/tmp/fedmcp-build-$svc.log" >&2; die "podman build $svc failed (log: /tmp/fedmcp-build-$svc.log)"; }
  rm -f "$npmrc"
  log "built $image in $((SECONDS - started)) s"
}
