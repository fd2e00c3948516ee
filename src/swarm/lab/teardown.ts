// `down`: removes a lab completely, whatever state it is in — running, stopped, or left half
// made by a failed `up` (then only some of the recorded pieces exist; `up` records each piece
// before making it). Order matters:
//   1. dockerd and the registry get SIGTERM (dockerd stops its containers), then SIGKILL;
//   2. any process still of the lab is killed: containerd and shims under the lab directory,
//      processes in the lab's network namespaces, task processes in the lab's cgroups;
//   3. mounts under the lab directory (overlay roots, dockerd's netns files, our namespace
//      files), deepest first — the namespaces die with their last mount and process;
//   4. links (veth host sides, then the bridge), cgroups, and last the directory.
// Each step tolerates what is already gone; what remains at the end is reported as an error.
import { existsSync, rmdirSync, rmSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { cgroupDirs, isGone, LabError, listProcesses, mountsUnder, namespaceInode, pidAlive, runQuiet, sleep, type ProcessInfo } from './host.js';
import { deleteLink } from './netns.js';
import { readLabState, STATE_FILE, type LabState } from './state.js';

export interface DownOptions {
  /** How long dockerd may take to stop its containers and exit before SIGKILL (default 20 s). */
  graceMs?: number;
  log?: (line: string) => void;
}

export interface DownReport {
  /** What was there and is gone now, for the user (`dockerd node1 (pid 123)`, `link berthlab3`). */
  removed: string[];
}

/** Programs a lab runs; only these are matched by command line, so no user's shell is ever hit. */
const LAB_PROGRAMS = new Set(['dockerd', 'containerd', 'containerd-shim', 'containerd-shim-runc-v2', 'docker-registry', 'docker-proxy', 'docker-init', 'runc', 'nsenter']);

export async function downLab(dirArg: string, opts: DownOptions = {}): Promise<DownReport> {
  const dir = path.resolve(dirArg);
  const log = opts.log ?? (() => undefined);
  const removed: string[] = [];
  const note = (what: string): void => {
    removed.push(what);
    log(`removed ${what}`);
  };
  // Without its state file a directory is not known to be a lab: only an empty one (an `up` that
  // stopped before writing anything) is removed. Anything else could be a user's directory, and
  // the sweeps below (processes by path, mounts under it) must never run on one.
  const state = readLabState(dir);
  if (!state) {
    if (!existsSync(dir)) return { removed };
    if (readdirSync(dir).length > 0) throw new LabError(`${dir} holds no swarm lab (no ${STATE_FILE}); nothing was removed`);
    rmdirSync(dir);
    note(`directory ${dir}`);
    return { removed };
  }
  if (state.dir !== dir) throw new LabError(`${dir}/${STATE_FILE} describes a lab in ${state.dir}; it was moved, so its paths are wrong: run down with --dir ${state.dir}`);

  // Taken before the namespace files are unmounted: afterwards only these inodes identify them.
  const scope = labScope(dir, state);
  await stopDaemons(state, opts.graceMs ?? 20_000, note);
  await killLeftovers(scope, note);
  await unmountAll(dir, note);
  for (const link of [...state.nodes.map((n) => n.hostLink), state.registry.hostLink, state.bridge]) {
    if (await deleteLink(link)) note(`link ${link}`);
  }
  await removeCgroups(state.cgroupParent, note);
  if (existsSync(dir)) {
    rmSync(dir, { recursive: true, force: true });
    note(`directory ${dir}`);
  }
  // A task whose shim was killed mid-start can surface once the sweeps above have passed.
  await killLeftovers(scope, note);
  const left = await leftovers(scope);
  if (left.length > 0) throw new LabError(`swarm-lab down left ${left.join(', ')}`);
  return { removed };
}

/** SIGTERM to every dockerd and the registry, a grace period, then SIGKILL to what still runs. */
async function stopDaemons(state: LabState, graceMs: number, note: (w: string) => void): Promise<void> {
  const daemons = [...state.nodes.map((n) => ({ what: `dockerd ${n.name}`, pid: n.pid })), { what: 'registry', pid: state.registry.pid }].filter(
    (d): d is { what: string; pid: number } => pidAlive(d.pid) && isLabProcess(d.pid, state.dir),
  );
  for (const d of daemons) process.kill(d.pid, 'SIGTERM');
  const deadline = Date.now() + graceMs;
  while (daemons.some((d) => pidAlive(d.pid)) && Date.now() < deadline) {
    // A lab is disposable: its task containers are killed, not stopped. Otherwise dockerd waits
    // out each task's stop grace period (10 s by default) before it exits.
    killTasks(state.cgroupParent);
    await sleep(100);
  }
  for (const d of daemons) {
    if (pidAlive(d.pid)) {
      process.kill(d.pid, 'SIGKILL');
      note(`${d.what} (pid ${d.pid}, killed after ${Math.round(graceMs / 1000)} s)`);
    } else note(`${d.what} (pid ${d.pid})`);
  }
}

function killTasks(cgroupParent: string): void {
  const prefix = `${cgroupParent}/`;
  for (const p of listProcesses()) {
    if (!p.cgroups.some((c) => c.startsWith(prefix))) continue;
    try {
      process.kill(p.pid, 'SIGKILL');
    } catch {
      // exited meanwhile
    }
  }
}

/** A recorded pid is only signalled while it still runs a lab program with the lab's paths (pids get reused). */
function isLabProcess(pid: number, dir: string): boolean {
  const p = listProcesses().find((x) => x.pid === pid);
  return p !== undefined && LAB_PROGRAMS.has(p.exe) && p.cmdline.some((a) => a.includes(dir));
}

/** How the lab's processes are recognised: the directory, the namespaces' inodes, the cgroup parent. */
export interface LabScope {
  dir: string;
  state: LabState;
  nsInodes: Set<number>;
}

export function labScope(dir: string, state: LabState): LabScope {
  const nsInodes = new Set<number>();
  for (const f of [...state.nodes.map((n) => n.netns), state.registry.netns]) {
    const ino = namespaceInode(f);
    if (ino !== undefined) nsInodes.add(ino);
  }
  return { dir, state, nsInodes };
}

/** Processes of the lab that outlived their dockerd: by program and path, by namespace, by cgroup. */
function labProcesses(scope: LabScope): ProcessInfo[] {
  const prefix = `${scope.dir}/`;
  const cgroup = `${scope.state.cgroupParent}/`;
  const own = new Set([process.pid, process.ppid]);
  return listProcesses().filter((p) => {
    if (own.has(p.pid)) return false;
    if (LAB_PROGRAMS.has(p.exe) && p.cmdline.some((a) => a.includes(prefix))) return true;
    if (p.netnsInode !== undefined && scope.nsInodes.has(p.netnsInode)) return true;
    return p.cgroups.some((c) => c.startsWith(cgroup));
  });
}

async function killLeftovers(scope: LabScope, note: (w: string) => void): Promise<void> {
  // Up to 10 s: on a loaded machine a killed task can take seconds to leave (uninterruptible I/O).
  for (let round = 0; round < 100; round++) {
    const procs = labProcesses(scope);
    if (procs.length === 0) return;
    for (const p of procs) {
      try {
        process.kill(p.pid, 'SIGKILL');
        if (round === 0) note(`process ${p.exe} (pid ${p.pid})`);
      } catch {
        // exited meanwhile
      }
    }
    await sleep(100);
  }
}

async function unmountAll(dir: string, note: (w: string) => void): Promise<void> {
  // Stacked mounts reappear one level down after an unmount: loop until none is left.
  for (let round = 0; round < 10; round++) {
    const points = mountsUnder(dir);
    if (points.length === 0) return;
    for (const m of points) {
      const r = await runQuiet('umount', ['-l', m]);
      if (r.code === 0) note(`mount ${m}`);
      else if (!isGone(r.stderr)) throw new LabError(`umount ${m}: ${r.stderr.trim()}`);
    }
  }
}

/** The lab's cgroups, children first, in every hierarchy; retried while the kernel reaps the last tasks. */
async function removeCgroups(parent: string, note: (w: string) => void): Promise<void> {
  for (const top of cgroupDirs(parent)) {
    const dirs = subdirsDeepestFirst(top);
    for (let attempt = 0; attempt < 20 && dirs.some((d) => existsSync(d)); attempt++) {
      for (const d of dirs) {
        try {
          rmdirSync(d);
        } catch {
          // busy for a moment more, or gone
        }
      }
      if (dirs.some((d) => existsSync(d))) await sleep(100);
    }
    if (!existsSync(top)) note(`cgroup ${top}`);
  }
}

function subdirsDeepestFirst(top: string): string[] {
  const out: string[] = [];
  const walk = (d: string): void => {
    let entries: string[] = [];
    try {
      entries = readdirSync(d);
    } catch {
      return;
    }
    for (const e of entries) {
      const p = path.join(d, e);
      try {
        if (statSync(p).isDirectory()) walk(p);
      } catch {
        // vanished
      }
    }
    out.push(d);
  };
  walk(top);
  return out;
}

/** What would show that the lab is not fully gone. */
export async function leftovers(scope: LabScope): Promise<string[]> {
  const { dir, state } = scope;
  const left: string[] = [];
  const procs = labProcesses(scope);
  if (procs.length) left.push(`processes ${procs.map((p) => `${p.exe}:${p.pid}`).join(' ')}`);
  const mounts = mountsUnder(dir);
  if (mounts.length) left.push(`mounts ${mounts.join(' ')}`);
  for (const link of [...state.nodes.map((n) => n.hostLink), state.registry.hostLink, state.bridge]) {
    const r = await runQuiet('ip', ['link', 'show', link]);
    if (r.code === 0) left.push(`link ${link}`);
  }
  const cg = cgroupDirs(state.cgroupParent);
  if (cg.length) left.push(`cgroups ${cg.join(' ')}`);
  if (existsSync(dir)) left.push(`directory ${dir}`);
  return left;
}
