#!/usr/bin/env bash
# Static validation of everything operational, offline (no Docker engine, no
# cluster): compose file, Prometheus config + alert rules + rule unit tests,
# Grafana dashboards/provisioning, kustomize bases + overlay (+ schema),
# the service image template, GitHub workflow YAML. Installs missing Debian tools.
#
#   bash infra/validate.sh            # from anywhere; exits non-zero on any failure
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
export DEBIAN_FRONTEND=noninteractive

CHECKS=0
step() { printf '\n==> %s\n' "$*"; }
ok() { CHECKS=$((CHECKS + 1)); printf '    ok: %s\n' "$*"; }
fail() { printf '    FAILED: %s\n' "$*" >&2; exit 1; }
trap 'rc=$?; if [ $rc -ne 0 ]; then printf "\nvalidate.sh: FAILED (exit %s) after %s checks\n" "$rc" "$CHECKS" >&2; fi' EXIT

# ---------------------------------------------------------------- tools --
SUDO=""
if [ "$(id -u)" -ne 0 ] && command -v sudo > /dev/null; then SUDO="sudo -n"; fi
APT_UPDATED=0
apt_install() {
  if [ "$APT_UPDATED" -eq 0 ]; then
    $SUDO apt-get update -qq < /dev/null
    APT_UPDATED=1
  fi
  # RUNLEVEL=1: do not start the packaged daemons (prometheus) on install.
  $SUDO env RUNLEVEL=1 DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" < /dev/null > /dev/null
}

step "tools"
command -v docker-compose > /dev/null || apt_install docker-compose
command -v promtool > /dev/null || apt_install prometheus
command -v kubectl > /dev/null || apt_install kubernetes-client
command -v python3 > /dev/null || apt_install python3
python3 -c 'import yaml' 2> /dev/null || apt_install python3-yaml
command -v node > /dev/null || fail "node is required"
printf '    docker-compose %s | %s | kubectl %s | node %s\n' \
  "$(docker-compose version --short 2> /dev/null)" \
  "$(promtool --version 2>&1 | head -1)" \
  "$(kubectl version --client 2> /dev/null | head -1 | sed 's/Client Version: //')" \
  "$(node --version)"
HAVE_NODE_MODULES=0
if node -e "require.resolve('yaml'); require.resolve('kubernetes-models/package.json')" 2> /dev/null; then HAVE_NODE_MODULES=1; fi

# -------------------------------------------------------------- compose --
step "docker-compose config (docker-compose.yml with .env)"
docker-compose -f docker-compose.yml config -q
ok "docker-compose config -q"
services="$(docker-compose -f docker-compose.yml config --services | sort | tr '\n' ' ')"
for s in customer order product payment customer-db order-db product-db payment-db redis jaeger prometheus grafana; do
  case " $services " in *" $s "*) ;; *) fail "compose service $s missing (have: $services)";; esac
done
ok "compose defines the 4 services, 4 databases, redis, jaeger, prometheus, grafana"
if command -v docker > /dev/null && docker compose version > /dev/null 2>&1; then
  docker compose -f docker-compose.yml config -q
  ok "docker compose (v2) config -q"
fi

# The podman test override (test-only stand-ins) merges cleanly with the file.
docker-compose -f docker-compose.yml -f infra/docker/compose-test/compose.podman-test.yml config -q
ok "docker-compose config -q with infra/docker/compose-test/compose.podman-test.yml"
for f in infra/docker/*.sh infra/docker/compose-test/*.sh; do bash -n "$f" || fail "$f: bash syntax"; done
ok "infra/docker scripts parse (bash -n)"

# ----------------------------------------------------------- prometheus --
step "Prometheus"
tmp="$(mktemp -d)"
trap 'rc=$?; rm -rf "$tmp"; if [ $rc -ne 0 ]; then printf "\nvalidate.sh: FAILED (exit %s) after %s checks\n" "$rc" "$CHECKS" >&2; fi' EXIT
# The compose mount path of the rules, rewritten to this checkout, so that
# check config also loads and checks the rule files it references.
sed "s#/etc/prometheus/rules/#$ROOT/infra/prometheus/rules/#" infra/prometheus/prometheus.yml > "$tmp/prometheus.yml"
promtool check config "$tmp/prometheus.yml"
ok "promtool check config infra/prometheus/prometheus.yml (+ its rule files)"
promtool check rules infra/prometheus/rules/*.yml
ok "promtool check rules"
promtool test rules infra/prometheus/tests/*.yml
ok "promtool test rules (firing and not-firing cases)"

# --------------------------------------------------------------- grafana --
step "Grafana"
node infra/grafana/build-dashboards.js --check
ok "dashboards match infra/grafana/build-dashboards.js"
for f in infra/grafana/dashboards/*.json; do
  node -e "const d = JSON.parse(require('fs').readFileSync(process.argv[1], 'utf8')); if (!d.uid || !Array.isArray(d.panels) || !d.panels.length) process.exit(1)" "$f" \
    || fail "$f is not a dashboard"
done
ok "dashboard JSON parses"
python3 - infra/grafana/provisioning/datasources/*.yml infra/grafana/provisioning/dashboards/*.yml << 'EOF'
import sys, yaml
for f in sys.argv[1:]:
    d = yaml.safe_load(open(f))
    assert d.get('apiVersion') == 1, f
    assert d.get('datasources') or d.get('providers'), f
uids = {ds['uid'] for f in sys.argv[1:] for ds in (yaml.safe_load(open(f)).get('datasources') or [])}
assert {'prometheus', 'jaeger'} <= uids, uids
EOF
ok "Grafana provisioning YAML (Prometheus + Jaeger datasources, dashboard provider)"

# ------------------------------------------------------------ kubernetes --
step "Kubernetes (kustomize)"
for dir in infra/k8s/base/* infra/k8s/overlays/*; do
  [ -f "$dir/kustomization.yaml" ] || continue
  out="$tmp/$(echo "$dir" | tr '/' '_').yaml"
  kubectl kustomize "$dir" > "$out"
  n="$(grep -c '^kind:' "$out")"
  ok "kubectl kustomize $dir ($n objects)"
  if [ "$HAVE_NODE_MODULES" -eq 1 ]; then
    node infra/k8s/check-schema.mjs "$out" > "$tmp/schema.log" 2>&1 || { cat "$tmp/schema.log" >&2; fail "schema check of $dir"; }
    ok "schema (kubernetes-models OpenAPI): $(tail -1 "$tmp/schema.log")"
  fi
done
if [ "$HAVE_NODE_MODULES" -eq 0 ]; then
  echo "    SKIPPED: Kubernetes schema check (node_modules missing: run npm install first)"
fi
# Every service's base backs its own database up: a CronJob (Forbid, limits,
# non-root) running the backup image for that service with its Secret <svc>-db,
# writing to its PersistentVolumeClaim <svc>-backups, with a retention.
for svc in customer order product payment; do
  python3 - "$tmp/infra_k8s_base_$svc.yaml" "$svc" << 'EOF'
import sys, yaml
objs = [o for o in yaml.safe_load_all(open(sys.argv[1])) if o]
svc = sys.argv[2]
crons = [o for o in objs if o['kind'] == 'CronJob']
assert [c['metadata']['name'] for c in crons] == [f'{svc}-backup'], f'{svc}: CronJobs {[c["metadata"]["name"] for c in crons]}'
spec = crons[0]['spec']
assert spec.get('concurrencyPolicy') == 'Forbid', f'{svc}-backup: concurrencyPolicy is not Forbid'
pod = spec['jobTemplate']['spec']['template']['spec']
c = pod['containers'][0]
assert c['image'].startswith('fedmcp/backup:'), f'{svc}-backup: image {c["image"]}'
assert c['args'] == ['backup', svc], f'{svc}-backup: args {c["args"]}'
env = {e['name']: e for e in c['env']}
assert env['DATABASE_URL']['valueFrom']['secretKeyRef'] == {'name': f'{svc}-db', 'key': 'DATABASE_URL'}, f'{svc}-backup: DATABASE_URL not from Secret {svc}-db'
assert int(env['BACKUP_KEEP_DAYS']['value']) > 0, f'{svc}-backup: no retention'
claims = {v['name']: v['persistentVolumeClaim']['claimName'] for v in pod['volumes'] if 'persistentVolumeClaim' in v}
assert list(claims.values()) == [f'{svc}-backups'], f'{svc}-backup: volume claims {claims}'
assert any(o['kind'] == 'PersistentVolumeClaim' and o['metadata']['name'] == f'{svc}-backups' for o in objs), f'{svc}: no PersistentVolumeClaim {svc}-backups'
mount = {m['name']: m['mountPath'] for m in c['volumeMounts']}
assert mount[next(iter(claims))] == env['BACKUP_DIR']['value'], f'{svc}-backup: BACKUP_DIR is not the volume'
assert c['resources']['limits'].get('memory') and c['resources']['limits'].get('cpu'), f'{svc}-backup: no cpu/memory limits'
assert pod['securityContext'].get('runAsNonRoot') is True, f'{svc}-backup: may run as root'
assert c['securityContext'].get('allowPrivilegeEscalation') is False and c['securityContext'].get('readOnlyRootFilesystem') is True, f'{svc}-backup: container security context'
EOF
done
ok "each base has its backup CronJob (Forbid, Secret <svc>-db, PVC <svc>-backups, retention, limits, non-root)"

# ------------------------------------------------------------ dockerfiles --
step "Dockerfile (one template for the four services)"
f="infra/docker/service.Dockerfile"
[ -f "$f" ] || fail "$f missing"
[ "$(grep -c '^FROM ' "$f")" -ge 3 ] || fail "$f: not multi-stage"
# One line per property: grep mode (F substring, Fx whole line, E regex) | text (no '|') | what is wrong otherwise.
while IFS='|' read -r mode want why; do
  grep -q"$mode" -- "$want" "$f" || fail "$f: $why"
done << 'CHECKS'
E|^FROM .* AS runtime$|no runtime stage
F|build arg SERVICE is required|does not fail early without the SERVICE build arg
F|turbo prune "@fedmcp/${SERVICE}" --docker|not pruned to @fedmcp/${SERVICE}
E|^RUN npm ci .*npm install|no npm ci (with npm install fallback)
F|npm prune --omit=dev|dev dependencies not dropped
F|services/${SERVICE}/drizzle|migrations not copied
Fx|    OTEL_SERVICE_NAME=${SERVICE}-service|OTEL_SERVICE_NAME not derived from SERVICE
Fx|    PORT=${SERVICE_PORT} \|PORT not derived from SERVICE_PORT
Fx|EXPOSE ${SERVICE_PORT}|EXPOSE not derived from SERVICE_PORT
Fx|WORKDIR /app/services/${SERVICE}|WORKDIR not the service package
Fx|USER node|not running as the node user
E|^HEALTHCHECK |no HEALTHCHECK
F|/health|HEALTHCHECK not on /health
Fx|STOPSIGNAL SIGTERM|no STOPSIGNAL SIGTERM
Fx|CMD ["node", "--require", "@fedmcp/instrumentation/register", "dist/main.js"]|CMD must exec node with the instrumentation preloaded
CHECKS
ok "$f (multi-stage, pruned, SERVICE required, port/paths/labels derived, non-root, HEALTHCHECK, SIGTERM to node, telemetry first)"
# Each service builds from the template with its own name and port (the fleet
# manifest's), and no per-service copy has crept back.
docker-compose -f docker-compose.yml config > "$tmp/compose.yml"
python3 - "$tmp/compose.yml" shared/fleet/src/services.ts << 'EOF'
import os, re, sys, yaml
compose = yaml.safe_load(open(sys.argv[1]))['services']
fleet = dict(re.findall(r"name: '([a-z]+)',\s*port: (\d+),", open(sys.argv[2]).read()))
# The four servers and the development authorization server (AUTH_SERVER), all from the template.
assert sorted(fleet) == ['auth', 'customer', 'order', 'payment', 'product'], fleet
for svc, port in fleet.items():
    b = compose[svc]['build']
    assert b['dockerfile'] == 'infra/docker/service.Dockerfile', f'{svc}: builds {b["dockerfile"]}'
    args = b.get('args') or {}
    assert str(args.get('SERVICE')) == svc, f'{svc}: build arg SERVICE={args.get("SERVICE")}'
    assert str(args.get('SERVICE_PORT')) == port, f'{svc}: build arg SERVICE_PORT={args.get("SERVICE_PORT")}, fleet port {port}'
    assert not os.path.lexists(f'services/{svc}/Dockerfile'), f'services/{svc}/Dockerfile: per-service copy (build from infra/docker/service.Dockerfile)'
EOF
ok "compose builds each service from the template with SERVICE and SERVICE_PORT (= fleet manifest port); no per-service Dockerfile"
# One heap budget: the launchers' (launch.ts), the image's, the manifests' and the services' own start scripts.
heap=$(sed -n 's/^export const SERVICE_HEAP_MB = \([0-9]*\);$/\1/p' shared/instrumentation/src/launch.ts)
[ -n "$heap" ] || fail "shared/instrumentation/src/launch.ts: no SERVICE_HEAP_MB"
grep -qF "NODE_OPTIONS=--max-old-space-size=$heap " infra/docker/service.Dockerfile || fail "service.Dockerfile: NODE_OPTIONS is not --max-old-space-size=$heap"
for svc in customer order payment product; do
  grep -qxF "  NODE_OPTIONS: --max-old-space-size=$heap" "infra/k8s/base/$svc/configmap.yaml" || fail "$svc configmap: NODE_OPTIONS is not --max-old-space-size=$heap"
  grep -qF "\"start\": \"node --max-old-space-size=$heap --require @fedmcp/instrumentation/register dist/main.js\"" "services/$svc/package.json" || fail "services/$svc/package.json: start script without --max-old-space-size=$heap"
done
ok "one heap budget ($heap MB) in launch.ts, the image, the manifests and the start scripts"
grep -qF 'file: infra/docker/service.Dockerfile' .github/workflows/_service.yml || fail "_service.yml does not build the template"
grep -qF 'SERVICE=${{ inputs.service }}' .github/workflows/_service.yml || fail "_service.yml does not pass SERVICE"
grep -qF 'SERVICE_PORT=${{ inputs.port }}' .github/workflows/_service.yml || fail "_service.yml does not pass SERVICE_PORT"
ok "_service.yml builds the template with SERVICE and SERVICE_PORT"

f="infra/docker/backup.Dockerfile"
[ -f "$f" ] || fail "$f missing"
while IFS='|' read -r mode want why; do
  grep -q"$mode" -- "$want" "$f" || fail "$f: $why"
done << 'CHECKS'
F|turbo prune "@fedmcp/fleet" --docker|not pruned to @fedmcp/fleet
F|"postgresql-client-${PG_MAJOR}"|no PostgreSQL client of PG_MAJOR
F|for d in services/*/drizzle|migrations of the services not copied (the manifest names the migration level)
Fx|USER node|not running as the node user
Fx|ENTRYPOINT ["node", "shared/fleet/dist/backup/main.js"]|does not run the fleet backup command
CHECKS
ok "$f (fleet backup command, postgresql-client, migrations, non-root)"

# ------------------------------------------------------------ workflows --
step "GitHub workflows"
python3 - .github/workflows/*.yml << 'EOF'
import sys, yaml
for f in sys.argv[1:]:
    d = yaml.safe_load(open(f))
    on = d.get('on', d.get(True))  # YAML 1.1 reads the key `on` as true
    assert on, f'{f}: no triggers'
    assert isinstance(d.get('jobs'), dict) and d['jobs'], f'{f}: no jobs'
    for name, job in d['jobs'].items():
        assert 'runs-on' in job or 'uses' in job, f'{f}: job {name} has neither runs-on nor uses'
    print(f'    parsed {f}: jobs {", ".join(d["jobs"])}')
for svc in ('customer', 'order', 'product', 'payment'):
    d = yaml.safe_load(open(f'.github/workflows/{svc}.yml'))
    on = d.get('on', d.get(True))
    for ev in ('push', 'pull_request'):
        paths = on[ev]['paths']
        for p in (f'services/{svc}/**', 'shared/**', 'package-lock.json'):
            assert p in paths, f'{svc}.yml {ev}: path filter lacks {p}'
        others = [o for o in ('customer', 'order', 'product', 'payment') if o != svc]
        assert not any(f'services/{o}/' in p for p in paths for o in others), f'{svc}.yml reacts to another service'
EOF
ok "workflow YAML parses; each service workflow is path-filtered on its service, shared/** and the lockfile"

printf '\nvalidate.sh: all %s checks passed\n' "$CHECKS"
