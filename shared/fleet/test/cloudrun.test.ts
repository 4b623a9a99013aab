/**
 * Static checks of the Cloud Run target (infra/cloudrun): no terraform or
 * gcloud binary installs here, so what can be checked offline is: every HCL
 * file parses, every variable is declared and used, the module gets what it
 * needs, images/ports/OTel names match the fleet manifest, probes hit /health,
 * and every environment variable set is one the services actually read.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parse as parseHcl } from '@cdktf/hcl2json';
import { parse as parseYaml } from 'yaml';
import { FLEET } from '../src/services';
import { repoPath } from './repo';

type Obj = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const CLOUDRUN = 'infra/cloudrun';
const MODULE = `${CLOUDRUN}/modules/mcp-service`;

/** Every key of the services' zod config schemas: the only variables they read (plus OTEL_*). */
function variablesServicesRead(): Set<string> {
  const kit = require(repoPath('shared/service-kit/dist/config.js')) as { baseConfigSchema: { shape: Obj } };
  const order = require(repoPath('services/order/dist/order.service.js')) as { orderConfig: { shape: Obj } };
  return new Set([...Object.keys(kit.baseConfigSchema.shape), ...Object.keys(order.orderConfig.shape)]);
}

async function parseFolder(dir: string): Promise<{ files: Record<string, Obj>; text: Record<string, string> }> {
  const files: Record<string, Obj> = {};
  const text: Record<string, string> = {};
  for (const name of fs.readdirSync(repoPath(dir)).filter((f) => f.endsWith('.tf'))) {
    text[name] = fs.readFileSync(repoPath(dir, name), 'utf8');
    files[name] = await parseHcl(name, text[name]);
  }
  return { files, text };
}

const declared = (files: Record<string, Obj>) => new Set(Object.values(files).flatMap((f) => Object.keys(f.variable ?? {})));
const referenced = (text: Record<string, string>) =>
  new Set(Object.entries(text).filter(([name]) => name !== 'variables.tf').flatMap(([, t]) => [...t.matchAll(/\bvar\.([a-z_][a-z0-9_]*)/g)].map((m) => m[1])));
/** Names assigned in HCL object expressions (`NAME = ...`): environment variable names. */
const envNames = (expression: string) => [...expression.matchAll(/\b([A-Z][A-Z0-9_]+)\s*=(?!=)/g)].map((m) => m[1]);

describe('Cloud Run Terraform (infra/cloudrun)', () => {
  let root: Awaited<ReturnType<typeof parseFolder>>;
  let mod: Awaited<ReturnType<typeof parseFolder>>;

  beforeAll(async () => {
    root = await parseFolder(CLOUDRUN);
    mod = await parseFolder(MODULE);
  });

  it('the HCL parser rejects broken HCL (so "parses" means something)', async () => {
    await expect(parseHcl('broken.tf', 'resource "google_cloud_run_v2_service" "x" {\n  name = \n')).rejects.toThrow();
  });

  it('every file of the root and the module parses', () => {
    expect(Object.keys(root.files).sort()).toEqual(['main.tf', 'outputs.tf', 'variables.tf', 'versions.tf']);
    expect(Object.keys(mod.files).sort()).toEqual(['main.tf', 'outputs.tf', 'variables.tf', 'versions.tf']);
  });

  it.each([
    ['root', () => root],
    ['module', () => mod],
  ])('%s: every variable is declared, described and used', (_label, get) => {
    const { files, text } = get();
    const vars = declared(files);
    expect([...referenced(text)].filter((v) => !vars.has(v))).toEqual([]);
    expect([...vars].filter((v) => !referenced(text).has(v))).toEqual([]);
    for (const f of Object.values(files)) for (const [name, [body]] of Object.entries((f.variable ?? {}) as Record<string, Obj[]>)) expect([name, typeof body.description]).toEqual([name, 'string']);
  });

  it('the module call passes every required module variable and nothing unknown', () => {
    const call = root.files['main.tf'].module.service[0] as Obj;
    const moduleVars = Object.values(mod.files).flatMap((f) => Object.entries((f.variable ?? {}) as Record<string, Obj[]>));
    const passed = new Set(Object.keys(call).filter((k) => !['source', 'for_each', 'depends_on'].includes(k)));
    const known = new Set(moduleVars.map(([name]) => name));
    expect([...passed].filter((k) => !known.has(k))).toEqual([]);
    const required = moduleVars.filter(([, [body]]) => !('default' in body)).map(([name]) => name);
    expect(required.filter((k) => !passed.has(k))).toEqual([]);
    expect(call.source).toBe('./modules/mcp-service');
  });

  it('services, ports and OTel names match the fleet manifest', () => {
    const services = root.files['main.tf'].locals[0].services as Record<string, { port: number; otel_service_name: string }>;
    expect(Object.keys(services).sort()).toEqual(FLEET.map((s) => s.name).sort());
    for (const svc of FLEET) expect(services[svc.name]).toEqual({ port: svc.port, otel_service_name: svc.otelServiceName });
    const upstreams = root.files['main.tf'].locals[0].upstreams as string[];
    expect(upstreams.sort()).toEqual(FLEET.filter((s) => s.mcpUrlEnv).map((s) => s.name).sort());
    expect(root.files['main.tf'].module.service[0].image).toBe('${var.image_registry}/${each.key}:${lookup(var.image_tags, each.key, var.image_tag)}');
  });

  it('startup and liveness probes hit /health on the service port; the request timeout exceeds the tool budget', () => {
    const run = mod.files['main.tf'].resource.google_cloud_run_v2_service.this[0] as Obj;
    const container = run.template[0].containers[0];
    expect(container.ports[0].container_port).toBe('${var.port}');
    for (const probe of ['startup_probe', 'liveness_probe']) expect(container[probe][0].http_get[0]).toEqual({ path: '/health', port: '${var.port}' });
    const timeout = (mod.files['variables.tf'].variable.request_timeout_seconds[0] as Obj).default as number;
    expect(timeout * 1000).toBeGreaterThan(5000);
    expect(run.template[0].timeout).toBe('${var.request_timeout_seconds}s');
  });

  it('sets only environment variables the services read, with DATABASE_URL and the client secret from Secret Manager', () => {
    const reads = variablesServicesRead();
    const locals = root.files['main.tf'].locals[0] as Obj;
    const moduleLocals = mod.files['main.tf'].locals[0] as Obj;
    const names = [...envNames(locals.common_env), ...envNames(locals.order_env), ...envNames(moduleLocals.env), ...envNames(moduleLocals.secrets), ...envNames(root.files['main.tf'].module.service[0].secret_env)];
    expect(locals.order_env).toContain('"${upper(name)}_MCP_URL"');
    for (const svc of FLEET.filter((s) => s.mcpUrlEnv)) names.push(svc.mcpUrlEnv!);
    expect(names.filter((n) => !n.startsWith('OTEL_') && !reads.has(n))).toEqual([]);
    expect(names).toEqual(expect.arrayContaining(['DATABASE_URL', 'AUTH_ISSUER', 'PUBLIC_URL', 'AUTH_CLIENT_ID', 'AUTH_CLIENT_SECRET', 'HOST']));
    expect(moduleLocals.secrets).toContain('DATABASE_URL = google_secret_manager_secret.database_url.secret_id');
    expect(root.files['main.tf'].module.service[0].secret_env).toContain('AUTH_CLIENT_SECRET = google_secret_manager_secret.order_client_secret.secret_id');
  });
});

describe('gcloud run services replace YAML (infra/cloudrun/gcloud)', () => {
  const reads = () => variablesServicesRead();

  it.each(FLEET.map((s) => [s.name, s] as const))('%s: image, port, probes and environment match the fleet and the Terraform', (name, svc) => {
    const doc = parseYaml(fs.readFileSync(repoPath(CLOUDRUN, 'gcloud', `${name}.yaml`), 'utf8')) as Obj;
    expect(doc).toMatchObject({ apiVersion: 'serving.knative.dev/v1', kind: 'Service', metadata: { name } });
    const spec = doc.spec.template.spec;
    expect(spec.timeoutSeconds * 1000).toBeGreaterThan(5000);
    const [container] = spec.containers;
    expect(container.image).toBe(`REGISTRY/${name}:TAG`);
    expect(container.ports).toEqual([{ name: 'http1', containerPort: svc.port }]);
    for (const probe of ['startupProbe', 'livenessProbe']) expect(container[probe].httpGet).toEqual({ path: '/health', port: svc.port });
    const env = Object.fromEntries((container.env as Obj[]).map((e) => [e.name, e]));
    expect(Object.keys(env).filter((n) => !n.startsWith('OTEL_') && !reads().has(n))).toEqual([]);
    expect(env.PUBLIC_URL.value).toBe(`https://${name}-PROJECT_NUMBER.REGION.run.app/mcp`);
    expect(env.OTEL_SERVICE_NAME.value).toBe(svc.otelServiceName);
    expect(env.DATABASE_URL.valueFrom.secretKeyRef).toEqual({ name: `fedmcp-${name}-database-url`, key: 'latest' });
    if (name === 'order') {
      for (const up of FLEET.filter((s) => s.mcpUrlEnv)) expect(env[up.mcpUrlEnv!].value).toBe(`https://${up.name}-PROJECT_NUMBER.REGION.run.app/mcp`);
      expect(env.AUTH_CLIENT_SECRET.valueFrom.secretKeyRef.name).toBe('fedmcp-order-client-secret');
    }
    expect(path.basename(doc.spec.template.spec.serviceAccountName)).toBe(`fedmcp-${name}@PROJECT_ID.iam.gserviceaccount.com`);
  });
});
