/**
 * CPU time of process trees, read from /proc (Linux): a benchmark takes a snapshot of each party
 * (platform, simulator, Dovecot, PostgreSQL…) before and after its run and prints CPU ms per item, so the
 * floor set by the parts we do not write is visible beside ours.
 *
 * The CPU of a tree is, for the root and each live descendant, utime + stime + cutime + cstime: a child
 * that exited and was reaped is in its parent's cutime/cstime, a live one in its own utime/stime, so
 * nothing is counted twice and short-lived workers (Dovecot's imap and lmtp processes, PostgreSQL's
 * backends) are not lost.
 */
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';

let ticksPerSecond: number | undefined;

function clockTicks(): number {
  if (ticksPerSecond === undefined) {
    try {
      ticksPerSecond = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      ticksPerSecond = 100;
    }
  }
  return ticksPerSecond;
}

interface ProcStat {
  pid: number;
  ppid: number;
  /** utime + stime + cutime + cstime, in clock ticks. */
  ticks: number;
}

function readStat(pid: number): ProcStat | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // The command name (field 2) is in parentheses and may contain spaces: fields start after the last ')'.
  const f = text.slice(text.lastIndexOf(')') + 2).split(' ');
  // f[0] = state (field 3), f[1] = ppid (4), f[11..14] = utime, stime, cutime, cstime (14..17).
  return { pid, ppid: Number(f[1]), ticks: Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14]) };
}

function allStats(): ProcStat[] {
  const out: ProcStat[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const s = readStat(Number(name));
    if (s) out.push(s);
  }
  return out;
}

/** CPU milliseconds used so far by each tree (root pid and its live descendants). */
export function treeCpuMs(roots: Record<string, number | undefined>): Record<string, number> {
  const stats = allStats();
  const children = new Map<number, ProcStat[]>();
  for (const s of stats) children.set(s.ppid, [...(children.get(s.ppid) ?? []), s]);
  const byPid = new Map(stats.map((s) => [s.pid, s]));
  const out: Record<string, number> = {};
  for (const [name, root] of Object.entries(roots)) {
    if (root === undefined || !byPid.has(root)) continue;
    let ticks = 0;
    const stack = [byPid.get(root)!];
    while (stack.length) {
      const s = stack.pop()!;
      ticks += s.ticks;
      stack.push(...(children.get(s.pid) ?? []));
    }
    out[name] = (ticks * 1000) / clockTicks();
  }
  return out;
}

/** The difference of two snapshots, per tree. */
export function cpuDelta(before: Record<string, number>, after: Record<string, number>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const k of Object.keys(after)) if (before[k] !== undefined) out[k] = after[k]! - before[k]!;
  return out;
}
