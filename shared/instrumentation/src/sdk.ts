import { NodeSDK } from '@opentelemetry/sdk-node';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { ATTR_SERVICE_NAME, ATTR_SERVICE_VERSION } from '@opentelemetry/semantic-conventions';
import { UndiciInstrumentation } from '@opentelemetry/instrumentation-undici';
import { IORedisInstrumentation } from '@opentelemetry/instrumentation-ioredis';
// Not re-exported by the package root; pinned with sdk-node 0.223.
import { getSpanProcessorsFromEnv } from '@opentelemetry/sdk-node/build/src/utils';
import { RedactingSpanProcessor } from './redact-spans';

export interface TelemetryOptions {
  serviceName: string;
  serviceVersion?: string;
  /** Defaults to `development`; `OTEL_RESOURCE_ATTRIBUTES` may override. */
  environment?: string;
  env?: NodeJS.ProcessEnv;
}

const ATTR_DEPLOYMENT_ENVIRONMENT_NAME = 'deployment.environment.name';

let sdk: NodeSDK | undefined;
let started: TelemetryOptions | undefined;

/** True when some OTLP endpoint is configured through the standard variables. */
export function otlpExportConfigured(env: NodeJS.ProcessEnv = process.env): boolean {
  return Boolean(env.OTEL_EXPORTER_OTLP_ENDPOINT || env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT);
}

/**
 * Starts the OpenTelemetry NodeSDK once per process. Must run before express,
 * http, undici or ioredis are loaded (see `register.ts`). Exporters follow the
 * standard `OTEL_*` variables; with no endpoint configured nothing is exported
 * but spans are still created, so logs keep their trace ids.
 */
export function startTelemetry(options: TelemetryOptions): void {
  if (sdk) return;
  const env = options.env ?? process.env;
  const exporting = otlpExportConfigured(env);
  // The SDK reads these itself; we only decide the defaults. Metrics go to
  // Prometheus through prom-client, logs to stdout, so neither is exported over OTLP.
  env.OTEL_METRICS_EXPORTER ??= 'none';
  env.OTEL_LOGS_EXPORTER ??= 'none';
  if (!exporting) env.OTEL_TRACES_EXPORTER ??= 'none';

  sdk = new NodeSDK({
    resource: resourceFromAttributes({
      [ATTR_SERVICE_NAME]: env.OTEL_SERVICE_NAME ?? options.serviceName,
      [ATTR_SERVICE_VERSION]: options.serviceVersion ?? '0.0.0',
      [ATTR_DEPLOYMENT_ENVIRONMENT_NAME]: options.environment ?? 'development',
    }),
    // Exporting: the redaction layer first, then the exporters the OTEL_*
    // variables ask for. No exporter configured: an empty processor list still
    // installs a real tracer provider (ids for log correlation) that exports nothing.
    spanProcessors: exporting ? [new RedactingSpanProcessor(), ...getSpanProcessorsFromEnv(undefined)] : [],
    // No HTTP auto-instrumentation: its spans cost a quarter of a cached
    // read's CPU. A service's incoming requests get their SERVER span from
    // `httpServerSpans`, its calls to other services carry `traceparent` from
    // `injectTraceHeaders` (http-spans.ts); global fetch is still traced (undici).
    instrumentations: [
      new UndiciInstrumentation(),
      new IORedisInstrumentation(),
    ],
  });
  sdk.start();
  started = options;
}

/** The options telemetry was started with, if it was. */
export function telemetryStarted(): TelemetryOptions | undefined {
  return started;
}

/**
 * Flushes and stops telemetry, bounded by `timeoutMs`: with the collector
 * down, `sdk.shutdown()` alone can stall for tens of seconds.
 */
export async function shutdownTelemetry(timeoutMs = 3000): Promise<void> {
  const current = sdk;
  sdk = undefined;
  if (!current) return;
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([
    current.shutdown().catch(() => undefined),
    new Promise<void>((resolve) => {
      timer = setTimeout(resolve, timeoutMs);
    }),
  ]);
  if (timer) clearTimeout(timer);
}
