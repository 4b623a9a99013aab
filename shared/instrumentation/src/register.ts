/**
 * Preload entry: `node --require @fedmcp/instrumentation/register dist/main.js`.
 * Starts OpenTelemetry before any instrumented module is loaded. The service
 * name comes from OTEL_SERVICE_NAME or, failing that, from the package.json
 * next to the entry script (`@fedmcp/customer` → `customer-service`).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { startTelemetry } from './sdk';

interface PackageIdentity {
  name: string;
  version: string;
}

function findPackage(start: string): PackageIdentity | undefined {
  let dir = start;
  for (let i = 0; i < 6; i++) {
    const file = path.join(dir, 'package.json');
    if (fs.existsSync(file)) {
      const pkg = JSON.parse(fs.readFileSync(file, 'utf8')) as Partial<PackageIdentity>;
      return { name: pkg.name ?? 'unknown', version: pkg.version ?? '0.0.0' };
    }
    const parent = path.dirname(dir);
    if (parent === dir) break;
    dir = parent;
  }
  return undefined;
}

export function serviceNameFromPackage(packageName: string): string {
  const bare = packageName.replace(/^@[^/]+\//, '');
  return bare.endsWith('-service') ? bare : `${bare}-service`;
}

const entry = process.argv[1] ? path.dirname(path.resolve(process.argv[1])) : process.cwd();
const pkg = findPackage(entry);
startTelemetry({
  serviceName: process.env.OTEL_SERVICE_NAME ?? serviceNameFromPackage(pkg?.name ?? 'unknown'),
  serviceVersion: pkg?.version,
  environment: process.env.NODE_ENV === 'production' ? 'production' : 'development',
});
