import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';

/** Clock ticks per second of /proc's CPU times (almost always 100 on Linux; asked, not assumed). */
const TICKS_PER_SECOND = Number(execFileSync('getconf', ['CLK_TCK']).toString().trim()) || 100;

interface ProcStat {
  pid: number;
  ppid: number;
  /** utime + stime: this process's own CPU (all its threads). */
  ownTicks: number;
  /** cutime + cstime: the CPU of its children that have exited and that it has waited for. */
  reapedTicks: number;
}

function readStat(pid: number): ProcStat | null {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return null; // gone
  }
  // The command name (field 2) may hold spaces and parentheses: the fields after it start past the last ')'.
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  return {
    pid,
    ppid: Number(fields[1]),
    ownTicks: Number(fields[11]) + Number(fields[12]),
    reapedTicks: Number(fields[13]) + Number(fields[14]),
  };
}

function allStats(): ProcStat[] {
  return readdirSync('/proc')
    .filter((name) => /^\d+$/.test(name))
    .map((name) => readStat(Number(name)))
    .filter((stat): stat is ProcStat => stat !== null);
}

/**
 * CPU seconds used so far by a process and every process under it, counted so that the total only grows:
 * the live ones' own time plus the root's reaped children. A PostgreSQL backend that ends between two
 * readings (a connection closed) moves its time into the postmaster's reaped time, so it is neither lost
 * nor counted twice.
 */
export function treeCpuSeconds(rootPid: number): number {
  const stats = allStats();
  const children = new Map<number, ProcStat[]>();
  for (const stat of stats) children.set(stat.ppid, [...(children.get(stat.ppid) ?? []), stat]);
  const root = stats.find((stat) => stat.pid === rootPid);
  if (!root) throw new Error(`no process ${rootPid}`);
  let ticks = root.reapedTicks;
  const pending = [root];
  while (pending.length > 0) {
    const next = pending.pop()!;
    ticks += next.ownTicks;
    pending.push(...(children.get(next.pid) ?? []));
  }
  return ticks / TICKS_PER_SECOND;
}

/** CPU seconds one process (all its threads) used so far; 0 once it is gone. */
export function processCpuSeconds(pid: number): number {
  return (readStat(pid)?.ownTicks ?? 0) / TICKS_PER_SECOND;
}

/** A reading of several named CPU counters, to subtract a later one from. */
export class CpuMeter {
  private constructor(
    private readonly counters: Record<string, () => number>,
    private readonly startedAtMs: number,
    private readonly start: Record<string, number>,
  ) {}

  static start(counters: Record<string, () => number>): CpuMeter {
    const start = Object.fromEntries(Object.entries(counters).map(([name, read]) => [name, read()]));
    return new CpuMeter(counters, performance.now(), start);
  }

  /** Cores used since the start (CPU seconds per second of wall time), by counter, and the seconds measured. */
  read(): { cores: Record<string, number>; seconds: number } {
    const seconds = (performance.now() - this.startedAtMs) / 1000;
    const cores = Object.fromEntries(
      Object.entries(this.counters).map(([name, read]) => [name, (read() - this.start[name]) / seconds]),
    );
    return { cores, seconds };
  }
}
