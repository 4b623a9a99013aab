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

module.exports = { cpuSeconds, rssMb, pin, canPin, allCores };
