// A real built-in engine for tests: its own temp state root, runtime dir, socket and cgroup parent,
// the shim built into the temp dir, and a busybox image imported as `busybox:latest`. `close()`
// removes every container and volume and asserts nothing is left behind (leftovers.ts: mounts,
// runc state, cgroups, links, isolation and firewall rules, netns, listeners, io sockets).

import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, rmdirSync } from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import { startDaemon, type RunningDaemon } from '../../../src/engine/daemon/daemon.js';
import type { BuiltinEngineOptions } from '../../../src/engine/daemon/engine.js';
import { cgroupDirs } from '../../../src/engine/runtime/cgroups.js';
import { buildShim, RUNC } from './engine-env.js';
import { buildBusyboxImage } from './images.js';
import { describeLeftovers, engineLeftovers, recordedBridges, type EngineTrace, type Leftovers } from './leftovers.js';

export interface TestEngine {
  dir: string;
  root: string;
  runRoot: string;
  socketPath: string;
  cgroupParent: string;
  shim: string;
  daemon: RunningDaemon;
  /** Starts a fresh daemon on the same root (live restore); `whileDown` runs between the two. */
  restartDaemon(opts?: { kill?: boolean; whileDown?: () => Promise<void> }): Promise<void>;
  /**
   * What is left behind on the host (leftovers.ts), the bridges of networks that exist now left
   * out: mounts under the root and the runtime dir, runc containers, cgroup dirs, links, rules,
   * netns files, host ports the engine bound that something still listens on, io sockets.
   */
  leftovers(): Promise<Leftovers>;
  close(): Promise<void>;
}

let seq = 0;

/** What a running daemon has left, its live networks' bridges aside (they are the engine's while it runs). */
export async function leftoversOf(daemon: RunningDaemon, trace: EngineTrace & { bridges: Set<string> }): Promise<Leftovers> {
  const live = recordedBridges(trace.root);
  for (const b of live) trace.bridges.add(b);
  return engineLeftovers({ ...trace, liveBridges: live, bound: daemon.engine.publishedPorts() });
}

/**
 * The end of every test engine: removes its containers, volumes and networks through the engine,
 * closes the daemon, and throws when anything is left on the host (leftovers.ts). Removes
 * `removeDirs` unless something is still mounted under the engine's roots.
 */
export async function closeChecked(daemon: RunningDaemon, trace: EngineTrace & { bridges: Set<string> }, removeDirs: readonly string[]): Promise<void> {
  const list = await daemon.engine.containers.list({ all: true, size: false, filters: {} });
  for (const c of list) await daemon.engine.containers.remove(c.Id, { force: true, volumes: false, link: false }).catch(() => undefined);
  // With every container gone no volume may be in use: a refused remove is a leak of its own.
  const stuck: string[] = [];
  for (const v of (await daemon.engine.volumes.list({})).Volumes) {
    await daemon.engine.volumes.remove(v.Name, { force: true }).catch((e: unknown) => stuck.push(`${v.Name}: ${String(e)}`));
  }
  for (const b of recordedBridges(trace.root)) trace.bridges.add(b);
  const bound = daemon.engine.publishedPorts();
  // Networks (the predefined `bridge` too) and their bridges go with the test's engine.
  await daemon.engine.dismantleNetworks().catch((e: unknown) => console.error('dismantling networks failed:', e));
  await daemon.close();
  const left = await engineLeftovers({ ...trace, bound, daemonDown: true });
  for (const d of cgroupDirs(trace.cgroupParent)) {
    try {
      rmdirSync(d);
    } catch {
      // not created under this hierarchy
    }
  }
  if (left.mounts.length === 0) for (const d of removeDirs) rmSync(d, { recursive: true, force: true });
  const found = describeLeftovers(left);
  if (found || stuck.length) throw new Error(`left behind: ${found ?? '{}'}${stuck.length ? ` stuck volumes: ${JSON.stringify(stuck)}` : ''}`);
}

export async function busyboxTar(dir: string): Promise<Buffer> {
  const image = buildBusyboxImage(path.join(dir, 'busybox-rootfs'));
  const tar = execFileSync('tar', ['-C', image, '-cf', '-', '.'], { maxBuffer: 64 * 1024 * 1024 });
  rmSync(image, { recursive: true, force: true });
  return tar;
}

/**
 * `runcBinary`: another runc (e.g. a wrapper that logs its invocations); default the system's.
 * `engine`: more engine options. `dir`: the directory to put the engine in (the caller's, e.g. a
 * small tmpfs; close() empties it but leaves it), else a new temp dir that close() removes.
 */
export async function startTestEngine(name: string, opts: { importBusybox?: boolean; runcBinary?: string; engine?: Partial<BuiltinEngineOptions>; dir?: string } = {}): Promise<TestEngine> {
  // Short paths: overlay options must fit in one page.
  const dir = opts.dir ?? mkdtempSync(`/tmp/bd-${name}-`);
  const root = path.join(dir, 'root');
  const runRoot = path.join(dir, 'run');
  const socketPath = path.join(runRoot, 'engine.sock');
  const cgroupParent = `/berth-test-${process.pid}-${++seq}`;
  const shim = buildShim(dir);
  const options = { root, runRoot, socketPath, cgroupParent, shimBinary: shim, runcBinary: opts.runcBinary ?? RUNC, pollMs: 20, ...opts.engine };
  let daemon = await startDaemon(options);
  const trace: EngineTrace & { bridges: Set<string> } = { root, runRoot, socketPath, cgroupParent, bridges: new Set() };
  if (opts.importBusybox ?? true) {
    const tar = await busyboxTar(dir);
    for await (const _ of daemon.engine.images.import({ source: Readable.from([tar]), repo: 'busybox', tag: 'latest', changes: ['CMD ["sh"]'], signal: new AbortController().signal })) {
      // progress is not interesting here
    }
  }
  const engine: TestEngine = {
    dir,
    root,
    runRoot,
    socketPath,
    cgroupParent,
    shim,
    get daemon() {
      return daemon;
    },
    async restartDaemon(opts = {}) {
      // Closing only stops serving and supervising: containers keep running, like after kill -9.
      await daemon.close();
      await opts.whileDown?.();
      daemon = await startDaemon(options);
    },
    leftovers() {
      return leftoversOf(daemon, trace);
    },
    async close() {
      await closeChecked(daemon, trace, opts.dir ? readdirSync(dir).map((n) => path.join(dir, n)) : [dir]);
    },
  };
  return engine;
}
