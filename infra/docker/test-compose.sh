#!/usr/bin/env bash
# Brings the compose stack (docker-compose.yml) up for real with podman-compose,
# the upstream images swapped for local stand-ins built from Debian packages
# (infra/docker/compose-test/: PostgreSQL, Redis, Prometheus, and the OTLP
# receiver of @fedmcp/testing in place of Jaeger; Grafana left out), then:
#
#   every container healthy · the four services ready · an order placed through
#   the published ports is confirmed and its trace reached the collector with
#   spans of all four services · Prometheus (inside the network) scrapes the
#   four targets and loaded the rules without error · payment-db stopped:
#   payment not ready, orders fail fast with DEPENDENCY_UNAVAILABLE · payment-db
#   started again: payment ready, orders confirmed again
#
#   bash infra/docker/test-compose.sh        # builds what is missing, tears down after
#   KEEP=1 bash infra/docker/test-compose.sh # leave the stack running (podman-compose -p fedmcp-composetest down -v)
#
# Merging: docker-compose (v1, Debian) merges docker-compose.yml + the override
# with these ports exactly as Docker Compose would and writes one resolved
# file; podman-compose 1.0.3 runs it (it reads .env over the shell's
# variables, so it could not take the test ports itself). Published ports are
# 127.0.0.1:COMPOSE_TEST_PORT.. (default 4810..). Uses the service images of
# test-images.sh (fedmcp/<svc>:imagetest) and builds them when missing.
set -euo pipefail
LOG_PREFIX=test-compose
# shellcheck source=podman-lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/podman-lib.sh"
cd "$REPO_ROOT"

PROJECT=fedmcp-composetest
TAG="${IMAGE_TEST_TAG:-imagetest}"
P="${COMPOSE_TEST_PORT:-4810}"
export FEDMCP_TAG="$TAG" SEED_DEMO_DATA=true LOG_LEVEL=warn \
  CUSTOMER_PORT="127.0.0.1:$((P + 1))" ORDER_PORT="127.0.0.1:$((P + 2))" PRODUCT_PORT="127.0.0.1:$((P + 3))" PAYMENT_PORT="127.0.0.1:$((P + 4))" \
  JAEGER_UI_PORT="127.0.0.1:$((P + 5))" OTLP_GRPC_PORT="127.0.0.1:$((P + 6))" OTLP_HTTP_PORT="127.0.0.1:$((P + 7))" \
  PROMETHEUS_PORT="127.0.0.1:$((P + 8))" GRAFANA_PORT="127.0.0.1:$((P + 9))"
mcp() { echo "http://127.0.0.1:$((P + $1))/mcp"; }
base() { echo "http://127.0.0.1:$((P + $1))"; }
SERVICES=(customer order product payment)
port_of() { case "$1" in customer) echo 1;; order) echo 2;; product) echo 3;; payment) echo 4;; esac; }
default_port_of() { echo $((3000 + $(port_of "$1"))); }

rc=0
podman_ready || rc=$?
if [ "$rc" -eq 2 ]; then
  log "SKIPPED: podman is not installed and cannot be installed here"
  exit 0
fi
command -v podman-compose > /dev/null || apt_install podman-compose || die "podman-compose missing and not installable"
command -v docker-compose > /dev/null || apt_install docker-compose || die "docker-compose (for merging) missing and not installable"
# --init (compose `init: true`) needs catatonit; service-name DNS on podman's
# CNI networks needs the dnsname plugin.
[ -x /usr/libexec/podman/catatonit ] || apt_install catatonit || die "catatonit missing"
[ -x /usr/lib/cni/dnsname ] || apt_install golang-github-containernetworking-plugin-dnsname || die "CNI dnsname plugin missing"
[ -f shared/testing/dist/otlp-receiver.js ] || die "build the repository first (npm install && npx turbo run build)"

started=$SECONDS
bash "$INFRA_DOCKER_DIR/base-image.sh"
for target in postgres redis prometheus otlp-receiver; do
  podman build --pull=never --format docker -q --target "$target" -t "localhost/fedmcp-standin-$target:test" \
    -f "$INFRA_DOCKER_DIR/compose-test/standins.Dockerfile" "$INFRA_DOCKER_DIR/compose-test" > /dev/null \
    || die "stand-in image $target did not build"
done
log "stand-in images ready"
for svc in "${SERVICES[@]}"; do
  podman image exists "fedmcp/$svc:$TAG" || build_image "$svc" "$(default_port_of "$svc")" "fedmcp/$svc:$TAG"
done

work="$(mktemp -d)"
compose_file="$work/compose.yml"
pc() { podman-compose -p "$PROJECT" -f "$compose_file" "$@"; }
cleanup() {
  local code=$?
  if [ -z "${KEEP:-}" ]; then pc down -v > /dev/null 2>&1 || true; fi
  rm -rf "$work"
  [ "$code" -eq 0 ] || log "FAILED (logs of the stack were printed above where relevant)"
}
trap cleanup EXIT

docker-compose -f docker-compose.yml -f "$INFRA_DOCKER_DIR/compose-test/compose.podman-test.yml" config > "$work/merged.yml"
# Grafana is left out (no Debian package); images are never built by
# podman-compose here (they are built above, with the build mounts they need).
# podman-compose 1.0.3 mangles the quoting of an exec-form healthcheck
# (["CMD", "node", "-e", "fetch('...')"] becomes a broken sh -c line: the
# services would never be healthy), so exec-form tests are handed to it as the
# equivalent CMD-SHELL line.
python3 - "$work/merged.yml" "$compose_file" << 'EOF'
import shlex, sys, yaml
c = yaml.safe_load(open(sys.argv[1]))
c['services'].pop('grafana')
c['volumes'].pop('grafana-data', None)
for s in c['services'].values():
    s.pop('build', None)
    test = (s.get('healthcheck') or {}).get('test')
    if isinstance(test, list) and test[0] == 'CMD':
        s['healthcheck']['test'] = ['CMD-SHELL', shlex.join(test[1:])]
yaml.safe_dump(c, open(sys.argv[2], 'w'), sort_keys=False)
EOF
log "docker-compose.yml + override merged; grafana left out"

pc down -v > /dev/null 2>&1 || true
pc up -d > "$work/up.log" 2>&1 || { cat "$work/up.log" >&2; die "podman-compose up failed"; }
containers="$(podman ps -a --filter "label=io.podman.compose.project=$PROJECT" --format '{{.Names}}' | sort)"
log "up: $(tr '\n' ' ' <<< "$containers")"
cname() { grep -E "^${PROJECT}_$1_[0-9]+$" <<< "$containers" | head -n1; }

# Healthy: podman runs healthchecks from systemd timers; where there is no
# systemd (this CI) nothing runs them, so run each one until it passes.
pending="$containers"
for _ in $(seq 1 90); do
  next=""
  for c in $pending; do
    if [ "$(podman inspect --format '{{.Config.Healthcheck}}' "$c")" = '<nil>' ]; then
      [ "$(podman inspect --format '{{.State.Running}}' "$c")" = true ] || next="$next $c"
    else
      podman healthcheck run "$c" > /dev/null 2>&1 || next="$next $c"
    fi
  done
  pending="$next"
  [ -z "$pending" ] && break
  sleep 2
done
if [ -n "$pending" ]; then
  for c in $pending; do printf '%s: not healthy; last logs:\n' "$c" >&2; podman logs --tail 15 "$c" 2>&1 | sed 's/^/  | /' >&2; done
  die "not healthy after 180 s:$pending"
fi
log "ok: all $(wc -l <<< "$containers") containers healthy (healthchecks: podman healthcheck run)"

wait_ready() { # SERVICE WANT_CODE SECONDS
  local code=""
  for _ in $(seq 1 "$3"); do
    code="$(curl -s -o /dev/null -w '%{http_code}' --max-time 3 "$(base "$(port_of "$1")")/ready" || true)"
    [ "$code" = "$2" ] && return 0
    sleep 1
  done
  log "$1 /ready is $code, want $2"
  return 1
}
for svc in "${SERVICES[@]}"; do wait_ready "$svc" 200 60 || die "$svc not ready"; done
log "ok: the four services answer /ready 200 on the published ports"

order_json="$(node "$INFRA_DOCKER_DIR/compose-test/order-flow.js" place "$(mcp 1)" "$(mcp 3)" "$(mcp 2)")"
grep -q '"status":"confirmed"' <<< "$order_json" || die "order not confirmed: $order_json"
log "ok: order through the published ports confirmed: $order_json"
trace=""
for _ in $(seq 1 30); do
  trace="$(node "$INFRA_DOCKER_DIR/compose-test/order-flow.js" trace "$(base 5)/spans")"
  grep -q '"services":\["customer-service","order-service","payment-service","product-service"\]' <<< "$trace" && break
  sleep 1
done
grep -q '"services":\["customer-service","order-service","payment-service","product-service"\]' <<< "$trace" \
  || die "the order's trace did not reach the collector with spans of all four services: $trace"
log "ok: the order's trace reached the collector: $trace"

# Prometheus inside the network: the four targets up, the rules loaded.
prom="$(base 8)"
targets=""
for _ in $(seq 1 45); do
  targets="$(curl -fsS "$prom/api/v1/targets" | python3 -c '
import json, sys
t = json.load(sys.stdin)["data"]["activeTargets"]
print(" ".join(sorted(x["labels"]["service"] + "=" + x["health"] for x in t if x["labels"].get("job") == "fedmcp")))')"
  [ "$targets" = "customer=up order=up payment=up product=up" ] && break
  sleep 2
done
[ "$targets" = "customer=up order=up payment=up product=up" ] || die "Prometheus targets: $targets"
rules="$(curl -fsS "$prom/api/v1/rules" | python3 -c '
import json, sys
groups = json.load(sys.stdin)["data"]["groups"]
rules = [r for g in groups for r in g["rules"]]
bad = [r["name"] for r in rules if r.get("health") == "err" or r.get("lastError")]
print(f"{len(groups)} groups, {len(rules)} rules" + (f", ERRORS: {bad}" if bad else ""))')"
case "$rules" in *ERRORS* | "0 groups"*) die "Prometheus rules: $rules";; esac
log "ok: Prometheus scrapes $targets; rules loaded: $rules"

# payment-db down: payment not ready, orders fail fast with DEPENDENCY_UNAVAILABLE.
podman stop -t 10 "$(cname payment-db)" > /dev/null
wait_ready payment 503 60 || die "payment still ready with payment-db stopped"
down_json="$(node "$INFRA_DOCKER_DIR/compose-test/order-flow.js" place "$(mcp 1)" "$(mcp 3)" "$(mcp 2)")"
grep -q 'DEPENDENCY_UNAVAILABLE' <<< "$down_json" || die "with payment-db stopped, the order did not fail with DEPENDENCY_UNAVAILABLE: $down_json"
log "ok: payment-db stopped: payment /ready 503, order failed: $down_json"
podman start "$(cname payment-db)" > /dev/null
wait_ready payment 200 90 || die "payment did not recover after payment-db started"
again_json="$(node "$INFRA_DOCKER_DIR/compose-test/order-flow.js" place "$(mcp 1)" "$(mcp 3)" "$(mcp 2)")"
grep -q '"status":"confirmed"' <<< "$again_json" || die "after payment-db came back, the order was not confirmed: $again_json"
log "ok: payment-db started again: payment ready, order confirmed: $again_json"

log "compose stack passed in $((SECONDS - started)) s"
