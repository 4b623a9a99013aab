/**
 * The fault matrix: what the chaos run does to the platform, one fault at a
 * time, each injected while orders flow and then healed. Every fault is real:
 * processes are killed with signals, databases and Redis are cut away at TCP
 * proxies in front of them (and the database's server-side connections are
 * terminated), an upstream is slowed and then dropped at a proxy between the
 * order service and it.
 */
import type { Platform, PlatformService, TcpProxy } from '@fedmcp/testing';

export type Upstream = Exclude<PlatformService, 'order'>;

export interface FaultContext {
  platform: Platform;
  proxies: { redis: TcpProxy; database: Record<PlatformService, TcpProxy>; upstream: Record<Upstream, TcpProxy> };
  /** pg_terminate_backend of every server-side connection of a service's database. */
  terminateConnections(service: PlatformService): Promise<number>;
  /** How long each fault lasts. */
  faultMs: number;
  log(line: string): void;
}

export interface Fault {
  name: string;
  description: string;
  /** Injects the fault, keeps it `faultMs`, heals it; resolves with the time healing began. */
  run(ctx: FaultContext): Promise<number>;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Keeps `proxy` cut for `ms` (after `also` ran), then lets traffic through again; resolves with the time healing began. */
async function cutFor(proxy: TcpProxy, ms: number, also: () => Promise<void> = async () => undefined): Promise<number> {
  proxy.cut();
  await also();
  await sleep(ms);
  const healedAt = Date.now();
  proxy.delayMs = 0;
  proxy.restore();
  return healedAt;
}

function kill(service: PlatformService): Fault {
  return {
    name: `kill-${service}`,
    description: `SIGKILL of the ${service} service${service === 'order' ? ' (sagas in flight)' : ''}; restarted after the fault window`,
    async run(ctx) {
      const proc = ctx.platform.processes[service];
      proc.signal('SIGKILL');
      await proc.exited;
      await sleep(ctx.faultMs);
      const healedAt = Date.now();
      await ctx.platform.restart(service);
      return healedAt;
    },
  };
}

function databaseDown(service: PlatformService): Fault {
  return {
    name: `db-${service}`,
    description: `the ${service} service's PostgreSQL database unreachable (cut at a TCP proxy, its connections terminated)`,
    run: (ctx) =>
      cutFor(ctx.proxies.database[service], ctx.faultMs, async () => {
        const terminated = await ctx.terminateConnections(service);
        ctx.log(`  ${service} database cut; ${terminated} server connection(s) terminated`);
      }),
  };
}

const redisDown: Fault = {
  name: 'redis-down',
  description: 'Redis unreachable for every service (cut at a TCP proxy in front of it)',
  run: (ctx) => cutFor(ctx.proxies.redis, ctx.faultMs),
};

function slowThenDropped(service: Upstream): Fault {
  return {
    name: `slow-then-drop-${service}`,
    description: `the ${service} service answers the order service 2 s slower (1 s each way at a proxy), then its connections are dropped`,
    async run(ctx) {
      const proxy = ctx.proxies.upstream[service];
      proxy.delayMs = 1000;
      await sleep(ctx.faultMs);
      return cutFor(proxy, ctx.faultMs);
    },
  };
}

const orderRestartedTwice: Fault = {
  name: 'order-restart-twice',
  description: 'the order service restarted (SIGTERM, start again) twice within a minute',
  async run(ctx) {
    await ctx.platform.processes.order.stop();
    await ctx.platform.restart('order');
    await sleep(ctx.faultMs);
    await ctx.platform.processes.order.stop();
    const healedAt = Date.now();
    await ctx.platform.restart('order');
    return healedAt;
  },
};

/** Every fault, in the order the run applies them. */
export const FAULTS: readonly Fault[] = [
  kill('customer'),
  kill('product'),
  kill('payment'),
  kill('order'),
  databaseDown('order'),
  databaseDown('product'),
  redisDown,
  slowThenDropped('payment'),
  orderRestartedTwice,
];
