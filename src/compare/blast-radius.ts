// Blast radius: hurt the database member and record what happened to every member of the group
// and how long until the application served requests again. Two experiments:
//   - kill: SIGKILL to the database's main process, from the host (what a crash or the kernel's
//     OOM killer does), in every mode the same way;
//   - memory-limit: run the stack's `x-compare.memory_hog` inside the database's container so the
//     database itself grows into its cgroup memory limit (for PostgreSQL, a sort with a huge
//     work_mem: the kernel kills the backend, and the postmaster resets every connection).
// Members are compared before and after: a member in its own container by its container state
// (StartedAt, RestartCount, running); members sharing one container (`single`) by their processes,
// since only the processes tell one member from another there.

import type { BlastOutcome, MemberOutcome } from './result.js';
import type { ContainerProcess, ContainerState, EngineProbe } from './engine-probe.js';
import { waitServed } from './http-workload.js';

export interface MemberPlacement {
  service: string;
  containerId: string;
  /** True when other members live in the same container. */
  shared: boolean;
}

interface MemberSnapshot {
  service: string;
  containerId: string;
  shared: boolean;
  state?: ContainerState;
  /** Host pids of this member's processes. */
  pids: number[];
  /** The member's main process (its tree's root), when it has processes. */
  mainPid?: number;
}

export interface BlastContext {
  probe: EngineProbe;
  /** Where each member runs now (re-read after the hit: containers may have been replaced). */
  placements: () => Promise<MemberPlacement[]>;
  database: string;
  /** Matches the command line of the database's processes. */
  databaseProcess: RegExp;
  /** A URL of the app that answers 2xx only when the database answered too (read on each use:
   *  a recreated stack publishes on a new ephemeral port). */
  appUrl: () => string;
  /** How long to wait for the app to be served again. */
  recoveryTimeoutMs: number;
  /** Sends a signal to a host pid (injected: tests and non-local engines). */
  signal: (pid: number, signal: NodeJS.Signals) => void;
}

function memberProcesses(procs: ContainerProcess[], service: string, ctx: BlastContext): ContainerProcess[] {
  const isDb = (p: ContainerProcess) => ctx.databaseProcess.test(p.command);
  return procs.filter((p) => (service === ctx.database ? isDb(p) : !isDb(p)));
}

/** The root of a member's process tree: the one whose parent is not one of them. */
export function mainProcess(procs: readonly ContainerProcess[]): number | undefined {
  const pids = new Set(procs.map((p) => p.pid));
  return procs.find((p) => !pids.has(p.ppid))?.pid;
}

async function snapshot(ctx: BlastContext): Promise<MemberSnapshot[]> {
  const placements = await ctx.placements();
  return Promise.all(
    placements.map(async (m) => {
      const state = await ctx.probe.state(m.containerId);
      // Processes are read for every member: they judge shared containers, and say what a database
      // did inside its own (main process kept, workers replaced) where the container state cannot.
      const procs = memberProcesses(await ctx.probe.processes(m.containerId), m.service, ctx);
      return { ...m, state, pids: procs.map((p) => p.pid), mainPid: mainProcess(procs) };
    }),
  );
}

function restarted(before: ContainerState | undefined, after: ContainerState | undefined): boolean {
  if (!before || !after) return false;
  return after.restartCount > before.restartCount || after.startedAt !== before.startedAt || after.id !== before.id;
}

/** What happened to one member between two snapshots, with a short reason. */
export function judgeMember(before: MemberSnapshot, after: MemberSnapshot | undefined): { outcome: Exclude<MemberOutcome, 'target'>; detail: string } {
  if (!after || !after.state) return { outcome: 'died', detail: 'its container is gone' };
  if (!after.state.running) return { outcome: 'died', detail: `container not running (exit ${after.state.exitCode}${after.state.oomKilled ? ', OOM-killed' : ''})` };
  if (restarted(before.state, after.state)) {
    // A restarted shared container runs its main process again, not necessarily this member.
    if (before.shared && after.pids.length === 0) return { outcome: 'died', detail: 'the shared container restarted without it' };
    return { outcome: 'restarted', detail: `container restarted (restarts ${after.state.restartCount})` };
  }
  if (before.shared) {
    const alive = before.pids.filter((p) => after.pids.includes(p));
    if (before.pids.length > 0 && alive.length === before.pids.length) return { outcome: 'survived', detail: 'same processes' };
    if (after.pids.length > 0) return { outcome: 'restarted', detail: 'its processes were replaced inside the shared container' };
    return { outcome: 'died', detail: 'its processes are gone from the shared container' };
  }
  return { outcome: 'survived', detail: 'same container, never stopped' };
}

function judgeTarget(before: MemberSnapshot, after: MemberSnapshot | undefined): string {
  if (!after?.state?.running) return 'did not come back';
  if (restarted(before.state, after.state)) return `container restarted (restarts ${after.state.restartCount})`;
  const main = before.mainPid;
  if (main === undefined) return 'same container';
  if (!after.pids.includes(main)) return after.pids.length ? 'main process replaced, container kept' : 'no process left';
  const replaced = before.pids.filter((p) => !after.pids.includes(p)).length;
  return replaced ? `main process kept, ${replaced} of its ${before.pids.length} processes replaced` : 'same processes';
}

async function outcomes(ctx: BlastContext, before: MemberSnapshot[], experiment: BlastOutcome['experiment'], recoveredMs: number | undefined, effective: boolean, note?: string): Promise<BlastOutcome> {
  const after = await snapshot(ctx);
  const members = before.map((b) => {
    const a = after.find((x) => x.service === b.service);
    if (b.service === ctx.database) return { service: b.service, outcome: 'target' as const, detail: judgeTarget(b, a) };
    return { service: b.service, ...judgeMember(b, a) };
  });
  return { experiment, target: ctx.database, effective, members, recoveredMs, ...(note ? { note } : {}) };
}

/** The database's main process (for PostgreSQL the postmaster): the root of the matching tree. */
function databasePid(ctx: BlastContext, before: MemberSnapshot[]): number | undefined {
  return before.find((m) => m.service === ctx.database)?.mainPid;
}

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

export async function killDatabase(ctx: BlastContext): Promise<BlastOutcome> {
  const before = await snapshot(ctx);
  const pid = databasePid(ctx, before);
  if (pid === undefined) return { experiment: 'kill', target: ctx.database, effective: false, members: [], note: `no process matching /${ctx.databaseProcess.source}/ in ${ctx.database}` };
  const t0 = process.hrtime.bigint();
  ctx.signal(pid, 'SIGKILL');
  // Wait until the process is really gone, so a request answered before the kill is not "recovery".
  for (let i = 0; i < 500 && alive(pid); i++) await new Promise((r) => setTimeout(r, 2));
  const servedAfter = await waitServed(ctx.appUrl(), ctx.recoveryTimeoutMs);
  const recoveredMs = servedAfter === undefined ? undefined : Number(process.hrtime.bigint() - t0) / 1e6;
  await new Promise((r) => setTimeout(r, 500)); // let restarts that follow the first answer show up
  return outcomes(ctx, before, 'kill', recoveredMs, true);
}

export async function exhaustDatabaseMemory(ctx: BlastContext, hog: { cmd: string[]; user?: string }): Promise<BlastOutcome> {
  const before = await snapshot(ctx);
  const db = before.find((m) => m.service === ctx.database);
  if (!db) return { experiment: 'memory-limit', target: ctx.database, effective: false, members: [], note: `${ctx.database} is not running` };
  const limit = (await ctx.probe.sample(db.containerId))?.memoryLimitBytes;
  let exitCode: number;
  let lastLine: string;
  try {
    const r = await ctx.probe.exec(db.containerId, hog.cmd, { user: hog.user, timeoutMs: 120_000 });
    exitCode = r.exitCode;
    lastLine = (r.stderr.trim() || r.stdout.trim()).split('\n').at(-1) ?? '';
  } catch (e) {
    // The exec itself can die with the container (single mode, or a main-process database).
    exitCode = -1;
    lastLine = e instanceof Error ? e.message : String(e);
  }
  const t0 = process.hrtime.bigint();
  const limitText = limit ? `limit ${Math.round(limit / 2 ** 20)} MiB` : 'no limit';
  if (exitCode === 0) {
    return outcomes(ctx, before, 'memory-limit', undefined, false, `the memory hog completed within the ${limitText}`);
  }
  const servedAfter = await waitServed(ctx.appUrl(), ctx.recoveryTimeoutMs);
  const recoveredMs = servedAfter === undefined ? undefined : Number(process.hrtime.bigint() - t0) / 1e6;
  await new Promise((r) => setTimeout(r, 500));
  return outcomes(ctx, before, 'memory-limit', recoveredMs, true, `${limitText}; ${lastLine.slice(0, 160)}`);
}
