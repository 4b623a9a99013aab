/**
 * The operational files agree with the fleet manifest and with the contract:
 * ports, health/readiness endpoints, graceful shutdown, one database per
 * service, secrets from Secrets, workflows per service.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import { parse as parseYaml, parseAllDocuments } from 'yaml';
import { FLEET } from '../src/services';
import { ROOT, listFiles, repoPath } from './repo';

type Obj = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

/** The one Dockerfile all four services build from (build args SERVICE, SERVICE_PORT). */
const SERVICE_DOCKERFILE = 'infra/docker/service.Dockerfile';

const read = (p: string) => fs.readFileSync(repoPath(p), 'utf8');
const dotenv = Object.fromEntries(
  read('.env')
    .split('\n')
    .filter((l) => /^[A-Z_][A-Z0-9_]*=/.test(l))
    .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
);

describe('docker-compose.yml', () => {
  const compose = parseYaml(read('docker-compose.yml'), { merge: true }) as Obj;
  const services = compose.services as Record<string, Obj>;

  it.each(FLEET.map((s) => [s.name, s] as const))('%s: own database, port, health, env', (name, svc) => {
    const s = services[name];
    expect(s).toBeDefined();
    // One image template for every service, selected by build args.
    expect(s.build.dockerfile).toBe(SERVICE_DOCKERFILE);
    expect(s.build.context).toBe('.');
    expect(s.build.args).toMatchObject({ SERVICE: name, SERVICE_PORT: String(svc.port) });
    expect(s.ports).toEqual([`\${${name.toUpperCase()}_PORT:-${svc.port}}:${svc.port}`]);
    expect(dotenv[`${name.toUpperCase()}_PORT`]).toBe(String(svc.port));
    expect(s.environment.PORT).toBe(String(svc.port));
    expect(s.environment.HOST).toBe('0.0.0.0');
    expect(s.environment.OTEL_SERVICE_NAME).toBe(svc.otelServiceName);
    expect(s.environment.OTEL_EXPORTER_OTLP_ENDPOINT).toBe('http://jaeger:4318');
    expect(s.environment.REDIS_URL).toBe('redis://redis:6379');
    expect(s.environment.DATABASE_URL).toMatch(new RegExp(`^postgres://${name}:.*@${name}-db:5432/${name}$`));
    expect(s.depends_on[`${name}-db`]).toEqual({ condition: 'service_healthy' });
    expect(s.depends_on.redis).toEqual({ condition: 'service_healthy' });
    expect(s.healthcheck.test.join(' ')).toContain('/health');
    expect(s.mem_limit).toBeDefined();
    expect(s.init).toBe(true);
    const db = services[`${name}-db`];
    expect(db.environment).toMatchObject({ POSTGRES_DB: name, POSTGRES_USER: name });
    expect(db.healthcheck).toBeDefined();
    expect(db.volumes[0]).toMatch(new RegExp(`^${name}-db-data:`));
  });

  it('the order service reaches the other three by service name', () => {
    const env = services.order.environment;
    for (const svc of FLEET.filter((s) => s.mcpUrlEnv)) {
      expect(env[svc.mcpUrlEnv!]).toBe(`http://${svc.name}:${svc.port}/mcp`);
    }
  });

  it('stop grace period exceeds SHUTDOWN_TIMEOUT_MS', () => {
    const grace = Number(String(services.customer.stop_grace_period).replace(/s$/, ''));
    expect(grace * 1000).toBeGreaterThan(Number(dotenv.SHUTDOWN_TIMEOUT_MS) + 5000);
  });

  it('every service has a memory limit and every image version comes from .env', () => {
    for (const [name, s] of Object.entries(services)) {
      expect({ name, mem: s.mem_limit !== undefined }).toEqual({ name, mem: true });
      if (s.image && !s.build) expect({ name, image: s.image }).toEqual({ name, image: expect.stringMatching(/:\$\{[A-Z_]+_VERSION:-[^}]+\}$/) });
    }
    for (const v of ['POSTGRES_VERSION', 'REDIS_VERSION', 'JAEGER_VERSION', 'PROMETHEUS_VERSION', 'GRAFANA_VERSION']) {
      expect(dotenv[v]).toBeTruthy();
    }
  });

  it('Jaeger v2 takes OTLP and serves the UI; Prometheus and Grafana load the provisioned files', () => {
    expect(services.jaeger.image).toMatch(/^jaegertracing\/jaeger:/);
    expect(services.jaeger.ports).toEqual(
      expect.arrayContaining(['${JAEGER_UI_PORT:-16686}:16686', '${OTLP_GRPC_PORT:-4317}:4317', '${OTLP_HTTP_PORT:-4318}:4318']),
    );
    expect(services.prometheus.volumes).toEqual(
      expect.arrayContaining(['./infra/prometheus/prometheus.yml:/etc/prometheus/prometheus.yml:ro', './infra/prometheus/rules:/etc/prometheus/rules:ro']),
    );
    expect(services.grafana.volumes).toEqual(expect.arrayContaining(['./infra/grafana/provisioning:/etc/grafana/provisioning:ro']));
  });
});

describe('Prometheus scrape config', () => {
  it('scrapes every service at its port', () => {
    const cfg = parseYaml(read('infra/prometheus/prometheus.yml')) as Obj;
    const job = cfg.scrape_configs.find((j: Obj) => j.job_name === 'fedmcp');
    expect(job.honor_labels).toBe(true);
    const targets = job.static_configs.map((c: Obj) => [c.labels.service, c.targets[0]]);
    expect(targets).toEqual(FLEET.map((s) => [s.name, `${s.name}:${s.port}`]));
  });
});

describe('service image template (infra/docker/service.Dockerfile)', () => {
  const text = read(SERVICE_DOCKERFILE);

  it('is multi-stage, pruned to @fedmcp/${SERVICE}, and requires SERVICE and SERVICE_PORT', () => {
    expect(text.match(/^FROM /gm)!.length).toBeGreaterThanOrEqual(3);
    expect(text).toMatch(/^FROM node:\$\{NODE_VERSION\}-slim AS runtime$/m);
    // The argument check is the prune stage's first step, before anything slow.
    const prune = text.slice(text.indexOf('AS prune'), text.indexOf('AS build'));
    expect(prune.indexOf('build arg SERVICE is required')).toBeGreaterThan(0);
    expect(prune.indexOf('build arg SERVICE is required')).toBeLessThan(prune.indexOf('npm install -g turbo'));
    expect(prune).toContain('build arg SERVICE_PORT is required');
    expect(text).toContain('turbo prune "@fedmcp/${SERVICE}" --docker');
    expect(text).toContain('npm ci || ');
    expect(text).toContain('npm prune --omit=dev');
    expect(text).toContain('"services/${SERVICE}/drizzle"');
  });

  it('derives port, paths, labels and the OTel service name from the build args', () => {
    expect(text).toMatch(/^EXPOSE \$\{SERVICE_PORT\}$/m);
    expect(text).toMatch(/^\s+PORT=\$\{SERVICE_PORT\} \\$/m);
    expect(text).toMatch(/^\s+OTEL_SERVICE_NAME=\$\{SERVICE\}-service$/m);
    expect(text).toMatch(/^WORKDIR \/app\/services\/\$\{SERVICE\}$/m);
    expect(text).toContain('org.opencontainers.image.title="fedmcp-${SERVICE}"');
    expect(text).toMatch(/HOST=0\.0\.0\.0/);
    expect(text).toMatch(/NODE_ENV=production/);
    // The template's naming rule matches the fleet manifest.
    for (const svc of FLEET) expect(svc.otelServiceName).toBe(`${svc.name}-service`);
  });

  it('runs as node, health-checks /health on PORT, stops on SIGTERM, preloads telemetry', () => {
    expect(text).toMatch(/^USER node$/m);
    expect(text).toMatch(/^HEALTHCHECK .*\n\s+CMD \["node", "-e", "fetch\('http:\/\/127\.0\.0\.1:' \+ process\.env\.PORT \+ '\/health'\)/m);
    expect(text).toMatch(/^STOPSIGNAL SIGTERM$/m);
    expect(text).toMatch(/^CMD \["node", "--require", "@fedmcp\/instrumentation\/register", "dist\/main\.js"\]$/m);
  });

  it.each(FLEET.map((s) => [s.name] as const))('%s has no Dockerfile copy of its own', (name) => {
    expect(fs.existsSync(repoPath(`services/${name}/Dockerfile`))).toBe(false);
  });

  it('CI builds the template with SERVICE and SERVICE_PORT from the workflow inputs', () => {
    const wf = parseYaml(read('.github/workflows/_service.yml')) as Obj;
    const build = wf.jobs.image.steps.find((s: Obj) => String(s.uses).startsWith('docker/build-push-action'));
    expect(build.with.file).toBe(SERVICE_DOCKERFILE);
    expect(build.with.context).toBe('.');
    expect(String(build.with['build-args']).trim().split('\n')).toEqual(
      expect.arrayContaining(['SERVICE=${{ inputs.service }}', 'SERVICE_PORT=${{ inputs.port }}']),
    );
  });
});

describe('backup image (infra/docker/backup.Dockerfile)', () => {
  const text = read('infra/docker/backup.Dockerfile');

  it("runs this repository's backup command with pg_dump of the major version the CronJobs' image tag names", () => {
    expect(text).toContain('turbo prune "@fedmcp/fleet" --docker');
    expect(text).toContain('ENTRYPOINT ["node", "shared/fleet/dist/backup/main.js"]');
    const major = /^ARG PG_MAJOR=(\d+)$/m.exec(text)![1];
    expect(text).toContain('"postgresql-client-${PG_MAJOR}"');
    expect(text).toContain('PG_BIN_DIR=/usr/lib/postgresql/${PG_MAJOR}/bin');
    for (const svc of FLEET) expect(read(`infra/k8s/base/${svc.name}/kustomization.yaml`)).toContain(`- name: fedmcp/backup\n    newTag: "${major}"`);
    // pg_dump must not be older than the servers (compose runs postgres:${POSTGRES_VERSION}).
    const server = /^POSTGRES_VERSION=(\d+)/m.exec(read('.env'))?.[1] ?? /postgres:\$\{POSTGRES_VERSION:-(\d+)/.exec(read('docker-compose.yml'))![1];
    expect(Number(major)).toBeGreaterThanOrEqual(Number(server));
  });

  it("carries every service's migrations (the manifest names the last applied one) and runs as node", () => {
    expect(text).toMatch(/for d in services\/\*\/drizzle/);
    expect(text).toMatch(/^USER node$/m);
    expect(text).toMatch(/^FROM node:\$\{NODE_VERSION\}-slim AS runtime$/m);
  });
});

const kubectl = spawnSync('kubectl', ['version', '--client'], { encoding: 'utf8' }).status === 0;
const describeK8s = kubectl ? describe : describe.skip;

describeK8s('Kubernetes manifests (kubectl kustomize)', () => {
  const render = (dir: string): Obj[] =>
    parseAllDocuments(execFileSync('kubectl', ['kustomize', repoPath(dir)], { encoding: 'utf8', cwd: ROOT }))
      .map((d) => d.toJS() as Obj)
      .filter(Boolean);

  it('the overlay composes all four services in one namespace', () => {
    const objs = render('infra/k8s/overlays/fleet');
    const kinds = (k: string) => objs.filter((o) => o.kind === k).map((o) => o.metadata.name).sort();
    const names = FLEET.map((s) => s.name).sort();
    for (const k of ['Deployment', 'Service', 'HorizontalPodAutoscaler', 'PodDisruptionBudget', 'ServiceAccount']) {
      expect({ k, names: kinds(k) }).toEqual({ k, names });
    }
    expect(kinds('CronJob')).toEqual(names.map((n) => `${n}-backup`).sort());
    expect(kinds('PersistentVolumeClaim')).toEqual(names.map((n) => `${n}-backups`).sort());
    expect(objs.filter((o) => o.kind !== 'Namespace').every((o) => o.metadata.namespace === 'fedmcp')).toBe(true);
  });

  it.each(FLEET.map((s) => [s.name, s] as const))('base/%s', (name, svc) => {
    const objs = render(`infra/k8s/base/${name}`);
    const get = (kind: string) => objs.find((o) => o.kind === kind)!;
    const dep = get('Deployment');
    const cm = get('ConfigMap');
    const pod = dep.spec.template.spec;
    const c = pod.containers[0];
    expect(c.ports[0].containerPort).toBe(svc.port);
    expect(c.livenessProbe.httpGet.path).toBe('/health');
    expect(c.readinessProbe.httpGet.path).toBe('/ready');
    expect(c.resources.requests.cpu).toBeDefined();
    expect(c.resources.limits.memory).toBeDefined();
    expect(pod.securityContext.runAsNonRoot).toBe(true);
    expect(c.securityContext).toMatchObject({ allowPrivilegeEscalation: false, readOnlyRootFilesystem: true });
    const db = c.env.find((e: Obj) => e.name === 'DATABASE_URL');
    expect(db.valueFrom.secretKeyRef).toEqual({ name: `${name}-db`, key: 'DATABASE_URL' });
    expect(c.envFrom[0].configMapRef.name).toBe(cm.metadata.name);
    expect(cm.data.PORT).toBe(String(svc.port));
    expect(cm.data.OTEL_SERVICE_NAME).toBe(svc.otelServiceName);
    // Grace period covers preStop + the service's own shutdown deadline + margin.
    const preStop = Number(c.lifecycle.preStop.exec.command[1]);
    expect(pod.terminationGracePeriodSeconds).toBeGreaterThanOrEqual(preStop + Number(cm.data.SHUTDOWN_TIMEOUT_MS) / 1000 + 5);
    expect(dep.spec.strategy.rollingUpdate.maxUnavailable).toBe(0);
    const selector = dep.spec.selector.matchLabels;
    expect(get('Service').spec.selector).toEqual(selector);
    expect(get('PodDisruptionBudget').spec.selector.matchLabels).toEqual(selector);
    expect(get('HorizontalPodAutoscaler').spec.scaleTargetRef).toEqual({ apiVersion: 'apps/v1', kind: 'Deployment', name });
    expect(get('HorizontalPodAutoscaler').spec.minReplicas).toBeGreaterThanOrEqual(2);
    if (svc.name === 'order') {
      for (const up of FLEET.filter((s) => s.mcpUrlEnv)) expect(cm.data[up.mcpUrlEnv!]).toBe(`http://${up.name}:${up.port}/mcp`);
    }
  });

  it.each(FLEET.map((s) => [s.name] as const))('base/%s backs its database up with a CronJob to its own volume', (name) => {
    const objs = render(`infra/k8s/base/${name}`);
    const cron = objs.find((o) => o.kind === 'CronJob')!;
    expect(cron.metadata.name).toBe(`${name}-backup`);
    expect(cron.spec.concurrencyPolicy).toBe('Forbid');
    expect(cron.spec.schedule).toMatch(/^\S+ \S+ \S+ \S+ \S+$/);
    const job = cron.spec.jobTemplate.spec;
    expect(job.activeDeadlineSeconds).toBeGreaterThan(0);
    const pod = job.template.spec;
    const c = pod.containers[0];
    // The backup command of this repository, for this service, against the service's own database Secret.
    expect(c.image).toBe('fedmcp/backup:17');
    expect(c.args).toEqual(['backup', name]);
    const env = Object.fromEntries(c.env.map((e: Obj) => [e.name, e]));
    expect(env.DATABASE_URL.valueFrom.secretKeyRef).toEqual({ name: `${name}-db`, key: 'DATABASE_URL' });
    expect(Number(env.BACKUP_KEEP_DAYS.value)).toBeGreaterThan(0);
    expect(Number(env.BACKUP_KEEP_AT_LEAST.value)).toBeGreaterThanOrEqual(1);
    // Written to the service's PersistentVolumeClaim, mounted at BACKUP_DIR.
    const pvc = objs.find((o) => o.kind === 'PersistentVolumeClaim')!;
    expect(pvc.metadata.name).toBe(`${name}-backups`);
    const volume = pod.volumes.find((v: Obj) => v.persistentVolumeClaim);
    expect(volume.persistentVolumeClaim.claimName).toBe(pvc.metadata.name);
    expect(c.volumeMounts.find((m: Obj) => m.name === volume.name).mountPath).toBe(env.BACKUP_DIR.value);
    // Limited, non-root, nothing writable but the volume and /tmp.
    expect(c.resources.limits.memory).toBeDefined();
    expect(c.resources.limits.cpu).toBeDefined();
    expect(pod.securityContext).toMatchObject({ runAsNonRoot: true, fsGroup: 1000 });
    expect(c.securityContext).toMatchObject({ allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } });
    // Its pods are not the service's: the Deployment's selector must not match them.
    const selector = objs.find((o) => o.kind === 'Deployment')!.spec.selector.matchLabels as Record<string, string>;
    const labels = job.template.metadata.labels as Record<string, string>;
    expect(Object.entries(selector).every(([k, v]) => labels[k] === v)).toBe(false);
  });
});

describe('GitHub workflows', () => {
  const files = listFiles('.github/workflows', /\.ya?ml$/);

  it.each(files)('%s parses', (f) => {
    const wf = parseYaml(read(f)) as Obj;
    expect(wf.on).toBeDefined();
    expect(Object.keys(wf.jobs).length).toBeGreaterThan(0);
  });

  it.each(FLEET.map((s) => [s.name, s] as const))('%s.yml ships the service on its own', (name, svc) => {
    const wf = parseYaml(read(`.github/workflows/${name}.yml`)) as Obj;
    for (const ev of ['push', 'pull_request']) {
      expect(wf.on[ev].paths).toEqual(expect.arrayContaining([`services/${name}/**`, SERVICE_DOCKERFILE, 'shared/**', 'package-lock.json']));
      for (const other of FLEET.filter((o) => o.name !== name)) {
        expect(wf.on[ev].paths.some((p: string) => p.startsWith(`services/${other.name}/`))).toBe(false);
      }
    }
    expect(wf.jobs.pipeline.uses).toBe('./.github/workflows/_service.yml');
    expect(wf.jobs.pipeline.with).toEqual({ service: name, port: svc.port });
  });

  it('the reusable pipeline tests with postgres and redis and tags the image with the package version', () => {
    const wf = parseYaml(read('.github/workflows/_service.yml')) as Obj;
    expect(Object.keys(wf.jobs.test.services).sort()).toEqual(['postgres', 'redis']);
    const text = read('.github/workflows/_service.yml');
    expect(text).toContain("--filter=@fedmcp/${{ inputs.service }}");
    expect(text).toContain("require('./services/${{ inputs.service }}/package.json').version");
  });
});
