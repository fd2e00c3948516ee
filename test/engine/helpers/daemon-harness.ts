// A real built-in engine for tests: its own temp state root, runtime dir, socket and cgroup parent,
// the shim built into the temp dir, and a busybox image imported as `busybox:latest`. `close()`
// removes every container and volume and asserts nothing is left behind (mounts, runc state,
// cgroups, volume mounts).

import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, rmdirSync } from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import { startDaemon, type RunningDaemon } from '../../../src/engine/daemon/daemon.js';
import type { BuiltinEngineOptions } from '../../../src/engine/daemon/engine.js';
import { cgroupDirs } from '../../../src/engine/runtime/cgroups.js';
import { mountsUnder } from '../../../src/engine/runtime/rootfs.js';
import { buildShim, RUNC } from './engine-env.js';
import { buildBusyboxImage } from './images.js';

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
   * What is left behind on the host: mounts under the root and the runtime dir (network
   * namespaces), runc containers, cgroup dirs, links (bridges, veths) carrying this engine's alias,
   * host ports the engine bound that something still listens on, and (a subset of the mounts,
   * named apart) volume data directories still mounted by the local driver.
   */
  leftovers(): Promise<{ mounts: string[]; runc: string[]; cgroups: string[]; links: string[]; listeners: string[]; volumes: string[]; ioSockets: string[] }>;
  close(): Promise<void>;
}

let seq = 0;

export async function busyboxTar(dir: string): Promise<Buffer> {
  const image = buildBusyboxImage(path.join(dir, 'busybox-rootfs'));
  const tar = execFileSync('tar', ['-C', image, '-cf', '-', '.'], { maxBuffer: 64 * 1024 * 1024 });
  rmSync(image, { recursive: true, force: true });
  return tar;
}

/** `runcBinary`: another runc (e.g. a wrapper that logs its invocations); default the system's. `engine`: more engine options. */
export async function startTestEngine(name: string, opts: { importBusybox?: boolean; runcBinary?: string; engine?: Partial<BuiltinEngineOptions> } = {}): Promise<TestEngine> {
  // Short paths: overlay options must fit in one page.
  const dir = mkdtempSync(`/tmp/bd-${name}-`);
  const root = path.join(dir, 'root');
  const runRoot = path.join(dir, 'run');
  const socketPath = path.join(runRoot, 'engine.sock');
  const cgroupParent = `/berth-test-${process.pid}-${++seq}`;
  const shim = buildShim(dir);
  const options = { root, runRoot, socketPath, cgroupParent, shimBinary: shim, runcBinary: opts.runcBinary ?? RUNC, pollMs: 20, ...opts.engine };
  let daemon = await startDaemon(options);
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
    async leftovers() {
      const runc = existsSync(path.join(runRoot, 'runc'))
        ? readdirSync(path.join(runRoot, 'runc')).filter((n) => !n.startsWith('.'))
        : [];
      const cgroups: string[] = [];
      for (const d of cgroupDirs(cgroupParent)) {
        if (!existsSync(d)) continue;
        for (const e of readdirSync(d, { withFileTypes: true })) if (e.isDirectory()) cgroups.push(path.join(d, e.name));
      }
      const net = await daemon.engine.networkLeftovers();
      const listening = new Set(
        execFileSync('ss', ['-Hltun'], { encoding: 'utf8' })
          .split('\n')
          .map((l) => l.trim().split(/\s+/))
          .filter((f) => f.length >= 5)
          .map((f) => `${f[0]}:${f[4].replace(/^\[?::ffff:|\]$/g, '').replace(/^\*:/, '0.0.0.0:')}`),
      );
      const listeners = [...new Set(net.listeners)].filter((l) => listening.has(l));
      // The monitors' stdin/resize sockets (<run-root>/io) go with their containers.
      const ioDir = path.join(runRoot, 'io');
      const ioSockets = existsSync(ioDir) ? readdirSync(ioDir) : [];
      return { mounts: [...(await mountsUnder(root)), ...(await mountsUnder(runRoot))], runc, cgroups, links: net.links, listeners, volumes: await mountsUnder(path.join(root, 'volumes')), ioSockets };
    },
    async close() {
      const list = await daemon.engine.containers.list({ all: true, size: false, filters: {} });
      for (const c of list) await daemon.engine.containers.remove(c.Id, { force: true, volumes: false, link: false }).catch(() => undefined);
      // With every container gone no volume may be in use: a refused remove is a leak of its own.
      const stuck: string[] = [];
      for (const v of (await daemon.engine.volumes.list({})).Volumes) {
        await daemon.engine.volumes.remove(v.Name, { force: true }).catch((e: unknown) => stuck.push(`${v.Name}: ${String(e)}`));
      }
      // Networks (the predefined `bridge` too) and their bridges go with the test's engine.
      await daemon.engine.dismantleNetworks().catch((e: unknown) => console.error('dismantling networks failed:', e));
      await daemon.close();
      const left = await engine.leftovers();
      for (const d of cgroupDirs(cgroupParent)) {
        try {
          rmdirSync(d);
        } catch {
          // not created under this hierarchy
        }
      }
      if (left.mounts.length === 0) rmSync(dir, { recursive: true, force: true });
      if (left.mounts.length || left.runc.length || left.cgroups.length || left.links.length || left.listeners.length || left.ioSockets.length || stuck.length) throw new Error(`left behind: ${JSON.stringify({ ...left, stuckVolumes: stuck })}`);
    },
  };
  return engine;
}
