/**
 * The test harness's startPlatform when a service cannot start: it throws,
 * and the services it had already spawned are stopped (a test that fails in
 * its setup must not leave servers running for the rest of the suite).
 */
import { execFileSync } from 'node:child_process';
import { startPlatform } from '@fedmcp/testing';

/** Node processes of this test process running a service's dist/main.js. */
function serviceChildren(): string[] {
  const out = execFileSync('ps', ['-o', 'args=', '--ppid', String(process.pid)], { encoding: 'utf8' });
  return out.split('\n').filter((line) => /services[\\/](customer|product|payment|order)[\\/]dist[\\/]main\.js/.test(line));
}

it('stops the services it started when a later one fails to start', async () => {
  expect(serviceChildren()).toEqual([]);
  // The order service refuses to start on an invalid configuration; the other three are up by then.
  await expect(startPlatform({ serviceEnv: { order: { AUTH_ISSUER: 'not a url' } } })).rejects.toThrow(/order/);
  expect(serviceChildren()).toEqual([]);
}, 120_000);
