/**
 * Process accounting from /proc (Linux): CPU time and resident memory of a
 * service process, and CPU pinning with taskset. CPU time is what the bench
 * optimises against: unlike wall-clock throughput it does not change when
 * other work shares the machine.
 */
const fs = require('node:fs');
const { execFileSync } = require('node:child_process');

const TICKS_PER_SECOND = 100; // getconf CLK_TCK on Linux

/** User + system CPU seconds the process has used so far. */
function cpuSeconds(pid) {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the command name (which may contain spaces) start after the last ')'.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND;
}

/** Resident set size in MB. */
function rssMb(pid) {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
  return Math.round(kb / 102.4) / 10;
}

/**
 * Where a service's memory is, and what collecting it cost: resident pages
 * (all, and the anonymous ones: heap and native allocations, not code mapped
 * from files) from /proc; the V8 heap (committed, used), memory outside it
 * (Buffers) and main-thread seconds in garbage collection by kind since start
 * from the service's Prometheus metrics.
 */
async function memoryOf(pid, metricsUrl) {
  const mb = (bytes) => Math.round(bytes / 104857.6) / 10;
  const memory = {};
  const gc = {};
  try {
    const rollup = fs.readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8');
    const kb = (field) => Number(new RegExp(`^${field}:\\s+(\\d+)`, 'm').exec(rollup)?.[1] ?? 0);
    memory.rss = mb(kb('Rss') * 1024);
    memory.anonymous = mb(kb('Anonymous') * 1024);
  } catch {
    // smaps_rollup needs Linux 4.14+
  }
  try {
    const text = await (await fetch(metricsUrl)).text();
    const gauge = (name) => Number(new RegExp(`^${name}(?:\\{[^}]*\\})? (\\S+)`, 'm').exec(text)?.[1] ?? NaN);
    memory.heap_total = mb(gauge('nodejs_heap_size_total_bytes'));
    memory.heap_used = mb(gauge('nodejs_heap_size_used_bytes'));
    memory.external = mb(gauge('nodejs_external_memory_bytes'));
    for (const m of text.matchAll(/^nodejs_gc_duration_seconds_sum\{[^}]*kind="(\w+)"[^}]*\} (\S+)/gm)) gc[m[1]] = Math.round(Number(m[2]) * 100) / 100;
  } catch {
    // a service without metrics: /proc alone
  }
  return { memory, gc };
}

let tasksetChecked;
/** True when `taskset` exists and the machine has more than one core. */
function canPin() {
  if (tasksetChecked !== undefined) return tasksetChecked;
  try {
    execFileSync('taskset', ['-p', String(process.pid)], { stdio: 'ignore' });
    tasksetChecked = require('node:os').cpus().length > 1;
  } catch {
    tasksetChecked = false;
  }
  return tasksetChecked;
}

/** Pins every thread of `pid` to the given cores ("1", "0,1"); false when pinning is not possible. */
function pin(pid, cores) {
  if (!canPin()) return false;
  execFileSync('taskset', ['-a', '-p', '-c', cores, String(pid)], { stdio: 'ignore' });
  return true;
}

/** All cores of this machine, as taskset writes them. */
const allCores = () => `0-${require('node:os').cpus().length - 1}`;

module.exports = { cpuSeconds, rssMb, memoryOf, pin, canPin, allCores };
