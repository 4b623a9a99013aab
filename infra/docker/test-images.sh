#!/usr/bin/env bash
# Builds every service image from infra/docker/service.Dockerfile with podman
# and tests each one for real, against the host's PostgreSQL and Redis:
#
#   non-root user · only its own service's code · size within budget ·
#   /health and /ready answer · the image's HEALTHCHECK passes
#   (podman healthcheck run) · one real MCP tool call succeeds · read-only
#   root filesystem with a tmpfs /tmp · SIGTERM: graceful exit 0 within
#   SHUTDOWN_TIMEOUT_MS
#
#   bash infra/docker/test-images.sh                 # all services (CI step)
#   bash infra/docker/test-images.sh customer        # some services
#   SKIP_BUILD=1 bash infra/docker/test-images.sh    # test the images already built
#   bash infra/docker/test-images.sh --selftest      # the tests catch a root user and a wrong CMD
#
# Podman absent and not installable: skipped (exit 0, says so). Podman present
# but not working: FAILS. Needs the repository built (npm install + turbo
# build: the MCP call uses @fedmcp/testing), PostgreSQL on 127.0.0.1:5432
# (user postgres, trust) and Redis on 127.0.0.1:6379. Containers use the host
# network (the host's databases listen on loopback only) and bind
# HOST=127.0.0.1 on ports IMAGE_TEST_PORT.. (default 4800..).
set -euo pipefail
LOG_PREFIX=test-images
# shellcheck source=podman-lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/podman-lib.sh"
cd "$REPO_ROOT"

# Size budget per service image (MB, as `podman image inspect` reports it):
# the base (Debian minbase + Node 22 + npm, ~215 MB) + the production
# node_modules of one service (~60-90 MB) + margin. Raise it deliberately.
SIZE_BUDGET_MB="${SIZE_BUDGET_MB:-400}"
SHUTDOWN_TIMEOUT_MS=5000
TAG="${IMAGE_TEST_TAG:-imagetest}"
PG_URL_BASE="postgres://postgres@127.0.0.1:5432"
REDIS_URL="redis://127.0.0.1:6379"

# service | default port (fleet manifest) | one read tool + arguments
# (auth is no MCP server: its real call is the RFC 8414 metadata document)
SERVICES_TABLE='customer|3001|search_customers|{"query":"nobody"}
order|3002|list_orders|{}
product|3003|search_products|{"query":"nothing"}
payment|3004|list_payments|{}
auth|3005|-|-'

service_port() { printf '%s\n' "$SERVICES_TABLE" | awk -F'|' -v s="$1" '$1 == s { print $2 }'; }
service_tool() { printf '%s\n' "$SERVICES_TABLE" | awk -F'|' -v s="$1" '$1 == s { print $3 }'; }
service_args() { printf '%s\n' "$SERVICES_TABLE" | awk -F'|' -v s="$1" '$1 == s { print $4 }'; }

FAILURES=()
fail_check() { printf '    FAILED: %s\n' "$*" >&2; CHECK_FAILED=1; }
pass() { printf '    ok: %s\n' "$*"; }
psql_admin() { psql -X -q -v ON_ERROR_STOP=1 "$PG_URL_BASE/postgres" -c "$1" > /dev/null; }

# test_image SERVICE IMAGE PORT: returns non-zero if any check fails (all are
# run and reported where possible; a container that never gets healthy stops
# the rest).
# runtime_shared SVC: the shared/ folders in SVC's runtime dependency closure,
# as an ERE alternation (e.g. "instrumentation|service-kit|contracts").
runtime_shared() {
  node -e '
    const fs = require("fs"), path = require("path"); const dirs = {};
    for (const root of ["shared", "services"]) for (const d of fs.readdirSync(root)) {
      const f = path.join(root, d, "package.json");
      if (fs.existsSync(f)) dirs[JSON.parse(fs.readFileSync(f, "utf8")).name] = [root, d]; }
    const seen = new Set();
    const walk = (n) => { if (seen.has(n) || !dirs[n]) return; seen.add(n);
      Object.keys(JSON.parse(fs.readFileSync(path.join(...dirs[n], "package.json"), "utf8")).dependencies || {}).forEach(walk); };
    walk("@fedmcp/" + process.argv[1]);
    console.log([...seen].filter((n) => dirs[n][0] === "shared").map((n) => dirs[n][1]).join("|") || "-");' "$1"
}

test_image() {
  local svc="$1" image="$2" port="$3"
  local name="fedmcp-imagetest-$svc-$$" db="fedmcp_imagetest_${svc}_$$" url="http://127.0.0.1:$port"
  CHECK_FAILED=0
  log "== $svc ($image) on $url"

  local user size_mb listing
  user="$(podman image inspect --format '{{.Config.User}}' "$image")"
  case "$user" in '' | root | 0 | 0:* | root:*) fail_check "image user is '${user:-<unset>}' (must be non-root)";; *) pass "image user: $user";; esac
  size_mb=$(($(podman image inspect --format '{{.Size}}' "$image") / 1024 / 1024))
  if [ "$size_mb" -le "$SIZE_BUDGET_MB" ]; then pass "size ${size_mb} MB (budget ${SIZE_BUDGET_MB} MB)"; else fail_check "size ${size_mb} MB over the budget of ${SIZE_BUDGET_MB} MB"; fi
  # Only its own service's code: /app/services holds just $svc, /app/shared only
  # the runtime packages, node_modules/@fedmcp links nothing else.
  listing="$(podman run --rm --pull=never --entrypoint /bin/sh "$image" -c \
    'echo services: $(ls /app/services); echo shared: $(ls /app/shared); echo fedmcp: $(ls /app/node_modules/@fedmcp)' 2> /dev/null)"
  # The shared packages it may hold: those its package.json "dependencies"
  # reach, computed here from the repository (not from the image).
  local allowed
  allowed="$(runtime_shared "$svc")"
  if [ "$(sed -n 's/^services: //p' <<< "$listing")" = "$svc" ] \
    && [ -z "$(sed -n 's/^shared: //p' <<< "$listing" | tr ' ' '\n' | grep -vxE "$allowed" || true)" ] \
    && [ -z "$(sed -n 's/^fedmcp: //p' <<< "$listing" | tr ' ' '\n' | grep -vxE "$allowed|$svc" || true)" ]; then
    pass "holds only its own code ($(tr '\n' ' ' <<< "$listing"))"
  else
    fail_check "holds more than its own service: $(tr '\n' ' ' <<< "$listing")"
  fi

  psql_admin "CREATE DATABASE $db"
  # The authorization server keeps its signing keys in DATA_DIR (a volume in
  # a deployment; here the tmpfs /tmp: podman 4.3 ignores a tmpfs mode, so a
  # tmpfs on /app/.data stays root-owned).
  local extra=()
  [ "$svc" != auth ] || extra=(-e DATA_DIR=/tmp/data -e AUTH_ISSUER="$url")
  # Read-only root filesystem with a tmpfs /tmp, as the Kubernetes manifests run it.
  podman run -d --pull=never --name "$name" --network host --read-only --tmpfs /tmp:rw,size=64m "${extra[@]}" \
    -e HOST=127.0.0.1 -e PORT="$port" -e DATABASE_URL="$PG_URL_BASE/$db" -e REDIS_URL="$REDIS_URL" \
    -e SHUTDOWN_TIMEOUT_MS="$SHUTDOWN_TIMEOUT_MS" -e LOG_LEVEL=info -e OTEL_TRACES_EXPORTER=none \
    -e CUSTOMER_MCP_URL=http://127.0.0.1:9/mcp -e PRODUCT_MCP_URL=http://127.0.0.1:9/mcp -e PAYMENT_MCP_URL=http://127.0.0.1:9/mcp \
    "$image" > /dev/null 2> "/tmp/$name.run.log" \
    || { cat "/tmp/$name.run.log" >&2; fail_check "podman run failed"; }
  # (podman's "unable to get systemd connection to add healthchecks" on hosts
  # without systemd is expected: the healthcheck is run by hand below.)
  rm -f "/tmp/$name.run.log"
  local healthy=0
  for _ in $(seq 1 120); do
    if [ "$(podman inspect --format '{{.State.Running}}' "$name" 2> /dev/null)" != true ]; then break; fi
    if curl -fsS -o /dev/null --max-time 2 "$url/health" 2> /dev/null; then healthy=1; break; fi
    sleep 1
  done
  if [ "$healthy" -ne 1 ]; then
    fail_check "/health never answered 200 (container state: $(podman inspect --format '{{.State.Status}} exit={{.State.ExitCode}}' "$name" 2> /dev/null))"
    podman logs --tail 20 "$name" 2>&1 | sed 's/^/      | /' >&2
  else
    pass "/health 200"
    local uid
    uid="$(podman exec "$name" sh -c "awk '/^Uid:/ { print \$2 }' /proc/1/status")"
    if [ "$uid" != 0 ]; then pass "PID 1 runs as uid $uid"; else fail_check "PID 1 runs as root"; fi
    local ready=""
    for _ in $(seq 1 30); do
      ready="$(curl -s -o /dev/null -w '%{http_code}' --max-time 3 "$url/ready" || true)"
      [ "$ready" = 200 ] && break
      sleep 1
    done
    if [ "$ready" = 200 ]; then pass "/ready 200 (PostgreSQL + Redis on the host)"; else fail_check "/ready answered $ready: $(curl -s --max-time 3 "$url/ready")"; fi
    if podman healthcheck run "$name" > /dev/null 2>&1; then pass "HEALTHCHECK passes (podman healthcheck run)"; else fail_check "HEALTHCHECK fails or is missing: $(podman healthcheck run "$name" 2>&1 | tail -1)"; fi
    if [ "$svc" = auth ]; then
      if grep -qF "\"issuer\":\"$url\"" <<< "$(curl -fsS --max-time 5 "$url/.well-known/oauth-authorization-server" || true)"; then
        pass "authorization server metadata names issuer $url"
      else
        fail_check "authorization server metadata missing or wrong issuer"
      fi
    elif out="$(node infra/docker/mcp-smoke.js "$url/mcp" "$(service_tool "$svc")" "$(service_args "$svc")" 2>&1)"; then
      pass "MCP call $out"
    else
      fail_check "MCP call: $out"
    fi
    if podman exec "$name" sh -c 'touch /app/probe' 2> /dev/null; then fail_check "root filesystem is writable"; else pass "root filesystem read-only"; fi
    if podman exec "$name" sh -c 'touch /tmp/probe'; then pass "/tmp writable (tmpfs)"; else fail_check "/tmp not writable"; fi
    # SIGTERM: the service drains and exits 0 by itself within SHUTDOWN_TIMEOUT_MS.
    local t0 t1 code
    t0=$(date +%s%N)
    podman kill --signal TERM "$name" > /dev/null
    code="$(timeout $((SHUTDOWN_TIMEOUT_MS / 1000 + 10)) podman wait "$name" 2> /dev/null || echo timeout)"
    t1=$(date +%s%N)
    local ms=$(((t1 - t0) / 1000000))
    if [ "$code" = 0 ] && [ "$ms" -le $((SHUTDOWN_TIMEOUT_MS + 2000)) ]; then
      pass "SIGTERM: exit 0 after ${ms} ms (SHUTDOWN_TIMEOUT_MS=$SHUTDOWN_TIMEOUT_MS)"
    else
      fail_check "SIGTERM: exit code $code after ${ms} ms (want 0 within ${SHUTDOWN_TIMEOUT_MS} ms + 2 s)"
    fi
    # The logs are read whole before grep: with pipefail, `podman logs | grep -q` fails whenever
    # grep stops at its match before podman has written everything (SIGPIPE), so the check was
    # flaky. conmon may also still be writing the last lines when the exit is seen: look for 3 s.
    local logged=0 logs
    for _ in $(seq 1 15); do
      logs="$(podman logs "$name" 2>&1 || true)"
      if grep -qE '"(shutting down|stopping)"' <<< "$logs"; then logged=1; break; fi
      sleep 0.2
    done
    if [ "$logged" = 1 ]; then pass "logged its shutdown"; else fail_check "no 'shutting down' log line"; fi
  fi
  podman rm -f "$name" > /dev/null 2>&1 || true
  psql_admin "DROP DATABASE IF EXISTS $db WITH (FORCE)" || true
  return "$CHECK_FAILED"
}

# --selftest: derive two broken images from a built one and require that
# test_image rejects both (a root user; a CMD that does not start the server).
selftest() {
  local good="fedmcp/customer:$TAG" dir rc=0
  podman image exists "$good" || die "--selftest needs $good (run the image tests first)"
  dir="$(mktemp -d)"
  printf 'FROM %s\nUSER root\n' "$good" > "$dir/root.Dockerfile"
  printf 'FROM %s\nCMD ["node", "dist/no-such-main.js"]\n' "$good" > "$dir/cmd.Dockerfile"
  for kind in root cmd; do
    podman build --pull=never --format docker -q -f "$dir/$kind.Dockerfile" -t "fedmcp/broken-$kind:$TAG" "$dir" > /dev/null
    if test_image customer "fedmcp/broken-$kind:$TAG" "${IMAGE_TEST_PORT:-4800}"; then
      printf 'test-images: SELFTEST FAILED: the broken image (%s) passed\n' "$kind" >&2
      rc=1
    else
      log "selftest: broken image ($kind) rejected, as it must be"
    fi
    podman rmi -f "fedmcp/broken-$kind:$TAG" > /dev/null 2>&1 || true
  done
  rm -rf "$dir"
  return "$rc"
}

rc=0
podman_ready || rc=$?
if [ "$rc" -eq 2 ]; then
  log "SKIPPED: podman is not installed and cannot be installed here (no images built or tested)"
  exit 0
fi
command -v psql > /dev/null || die "psql (PostgreSQL client) is required"
command -v curl > /dev/null || apt_install curl
pg_isready -h 127.0.0.1 -p 5432 -q || die "PostgreSQL is not answering on 127.0.0.1:5432"
[ "$(redis-cli -h 127.0.0.1 -p 6379 ping 2> /dev/null)" = PONG ] || die "Redis is not answering on 127.0.0.1:6379"
node -e "require.resolve('@fedmcp/testing')" 2> /dev/null && [ -f shared/testing/dist/index.js ] \
  || die "build the repository first (npm install && npx turbo run build): the MCP call uses @fedmcp/testing"

if [ "${1:-}" = --selftest ]; then
  selftest || exit 1
  log "selftest passed"
  exit 0
fi

services=("$@")
if [ "${#services[@]}" -eq 0 ]; then
  for svc in $(printf '%s\n' "$SERVICES_TABLE" | cut -d'|' -f1); do
    [ -f "services/$svc/src/main.ts" ] && services+=("$svc")
  done
fi
bash "$INFRA_DOCKER_DIR/base-image.sh"
started=$SECONDS
port="${IMAGE_TEST_PORT:-4800}"
for svc in "${services[@]}"; do
  [ -n "$(service_port "$svc")" ] || die "unknown service '$svc' (have: $(printf '%s\n' "$SERVICES_TABLE" | cut -d'|' -f1 | tr '\n' ' '))"
  [ -n "${SKIP_BUILD:-}" ] || build_image "$svc" "$(service_port "$svc")" "fedmcp/$svc:$TAG"
  port=$((port + 1))
  test_image "$svc" "fedmcp/$svc:$TAG" "$port" || FAILURES+=("$svc")
done
if [ -z "${SKIP_SELFTEST:-}" ] && [[ " ${services[*]} " == *" customer "* ]]; then
  selftest || FAILURES+=(selftest)
fi
if [ "${#FAILURES[@]}" -gt 0 ]; then
  die "image tests failed for: ${FAILURES[*]}"
fi
log "all images passed (${services[*]}) in $((SECONDS - started)) s"
