// The built-in engine as a real process of its own, on a private root: what `kill -9` of the
// daemon needs (an in-process daemon cannot be killed without killing the test). The CLI is
// compiled from src/ into node_modules/.cache (so node resolves the package's dependencies from
// the repo, and this repo's dist/ is neither needed nor touched), once per content of src/: test
// files running at the same time share one compile. The engine's native helpers are built into
// the test's temp dir and handed over in the environment.
//
// `close()` ends the daemon process and goes through the same end as every test engine
// (`closeOnRoot`, for other tests that run an engine process too): an engine opened in-process
// on the same root removes what is left through the API, and the host is checked for leftovers.

import { createHash } from 'node:crypto';
import { execFile, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { build } from 'esbuild';
import { lockPath, pingSocket, processAlive, readLockPid, startDaemon } from '../../../src/engine/daemon/daemon.js';
import { closeChecked } from './daemon-harness.js';
import { buildFsops, buildNetns, buildShim, buildSpawner, RUNC } from './engine-env.js';
import { engineLeftovers, recordedBridges, type EngineTrace, type Leftovers } from './leftovers.js';

const repoRoot = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../../..');

function sourceFiles(dir: string, out: string[] = []): string[] {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) sourceFiles(p, out);
    else if (p.endsWith('.ts') && !p.endsWith('.d.ts')) out.push(p);
  }
  return out.sort();
}

/**
 * The CLI's entry (an .mjs that runs main()) compiled from src/ as it is now. Each module is
 * transformed on its own (esbuild, a few seconds; tsc takes most of a minute), keeping src/'s
 * layout; built aside and renamed into place, so a concurrent test file uses a whole build or
 * makes its own.
 */
export async function compiledCli(): Promise<string> {
  const src = path.join(repoRoot, 'src');
  const files = sourceFiles(src);
  const hash = createHash('sha256');
  for (const f of files) hash.update(path.relative(src, f)).update('\0').update(readFileSync(f)).update('\0');
  const cacheDir = path.join(repoRoot, 'node_modules/.cache');
  const out = path.join(cacheDir, `berth-cli-${hash.digest('hex').slice(0, 16)}`);
  const entry = path.join(out, 'entry.mjs');
  if (existsSync(entry)) return entry;
  mkdirSync(cacheDir, { recursive: true });
  // Builds of older sources go (an hour old at least: a test file may still be using one).
  for (const old of readdirSync(cacheDir).filter((n) => n.startsWith('berth-cli-'))) {
    const p = path.join(cacheDir, old);
    if (Date.now() - statSync(p).mtimeMs > 3_600_000) rmSync(p, { recursive: true, force: true });
  }
  const tmp = `${out}.tmp-${process.pid}`;
  rmSync(tmp, { recursive: true, force: true });
  await build({ entryPoints: files, outdir: tmp, outbase: src, format: 'esm', platform: 'node', target: 'node20', logLevel: 'warning' });
  writeFileSync(path.join(tmp, 'entry.mjs'), "import { main } from './cli/main.js';\nprocess.exitCode = await main(process.argv);\n");
  try {
    renameSync(tmp, out);
  } catch {
    // Another test file renamed its build into place first: the same sources, so the same build.
    rmSync(tmp, { recursive: true, force: true });
  }
  return entry;
}

export interface ProcessResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface EngineProcess extends EngineTrace {
  dir: string;
  socketPath: string;
  shim: string;
  /** The environment the compiled CLI runs with (native helpers' paths). */
  env: NodeJS.ProcessEnv;
  /** `--root R --run-root RR --socket S`: how a CLI command names this engine. */
  flags: string[];
  /** `--shim`, `--runc`, `--cgroup-parent`: what `engine run|start` need besides. */
  runFlags: string[];
  /** `berth ARGS` as a process of its own (the compiled CLI). */
  berth(args: string[], opts?: { timeoutMs?: number }): Promise<ProcessResult>;
  /** `berth engine run` in the background (a child of the test), once it answers on its socket. */
  start(): Promise<number>;
  /** The daemon's pid (from its lock), if one runs. */
  pid(): Promise<number | undefined>;
  /** `kill -9` of the daemon; resolves once it is gone. */
  kill(): Promise<void>;
  /**
   * What is on the host now (the daemon may be dead or alive; its socket and pid file count once
   * it is dead): bridges of its networks count unless `liveNetworks`; `bound` are host ports it
   * published (`tcp:127.0.0.1:8080`), which must not listen.
   */
  leftovers(opts?: { liveNetworks?: boolean; bound?: string[] }): Promise<Leftovers>;
  /** Ends the daemon, removes what is left through an engine on the same root, and checks the host. */
  close(): Promise<void>;
}

let seq = 0;

/**
 * The end of a test whose engine ran as a process (stopped or killed by now): an engine opened
 * in-process on the same root removes what is left through the API, then the host is checked
 * (daemon-harness.ts closeChecked). `removeDirs` go once nothing is mounted under the roots.
 */
export async function closeOnRoot(e: { root: string; runRoot: string; socketPath?: string; cgroupParent: string; shim?: string; bridges?: Set<string> }, removeDirs: readonly string[]): Promise<void> {
  const socketPath = e.socketPath ?? path.join(e.runRoot, 'engine.sock');
  const daemon = await startDaemon({ root: e.root, runRoot: e.runRoot, socketPath, cgroupParent: e.cgroupParent, ...(e.shim ? { shimBinary: e.shim } : {}), runcBinary: RUNC, pollMs: 20, logFile: path.join(e.runRoot, 'engine-close.log') });
  await closeChecked(daemon, { root: e.root, runRoot: e.runRoot, socketPath, cgroupParent: e.cgroupParent, bridges: e.bridges ?? new Set() }, removeDirs);
}

export async function startEngineProcess(name: string, opts: { start?: boolean } = {}): Promise<EngineProcess> {
  const entry = await compiledCli();
  // Short paths: overlay options must fit in one page.
  const dir = mkdtempSync(`/tmp/bd-${name}-`);
  const root = path.join(dir, 'root');
  const runRoot = path.join(dir, 'run');
  const socketPath = path.join(runRoot, 'engine.sock');
  const cgroupParent = `/berth-test-${name}-${process.pid}-${++seq}`;
  const shim = buildShim(dir);
  const env = { ...process.env, BERTH_NETNS_BINARY: buildNetns(dir), BERTH_FSOPS: buildFsops(dir), BERTH_SPAWNER_BINARY: buildSpawner(dir), BERTH_SHIM: shim };
  const flags = ['--root', root, '--run-root', runRoot, '--socket', socketPath];
  const runFlags = ['--shim', shim, '--runc', RUNC ?? 'runc', '--cgroup-parent', cgroupParent];
  const bridges = new Set<string>();
  const pid = (): Promise<number | undefined> => readLockPid(lockPath(root)).then((p) => (p !== undefined && processAlive(p) ? p : undefined));
  const berth = (args: string[], o: { timeoutMs?: number } = {}): Promise<ProcessResult> =>
    new Promise((resolve) => {
      execFile(process.execPath, [entry, ...args], { timeout: o.timeoutMs ?? 60_000, env, maxBuffer: 16 * 1024 * 1024 }, (err, stdout, stderr) => {
        resolve({ code: err ? (typeof (err as { code?: unknown }).code === 'number' ? ((err as { code: number }).code) : 1) : 0, stdout: String(stdout), stderr: String(stderr) });
      });
    });
  const e: EngineProcess = {
    dir,
    root,
    runRoot,
    socketPath,
    cgroupParent,
    shim,
    env,
    flags,
    runFlags,
    bridges,
    berth,
    pid,
    async start() {
      const child = spawn(process.execPath, [entry, 'engine', 'run', ...flags, ...runFlags, '--log', path.join(dir, 'engine.log')], { env, stdio: ['ignore', 'ignore', 'ignore'] });
      child.unref();
      for (const end = Date.now() + 30_000; Date.now() < end; await new Promise((r) => setTimeout(r, 50))) {
        if (await pingSocket(socketPath, 500)) return child.pid!;
        if (child.exitCode !== null) break;
      }
      throw new Error(`the engine did not start (exit ${child.exitCode}); see ${path.join(dir, 'engine.log')}`);
    },
    async kill() {
      const p = await pid();
      if (p === undefined) return;
      for (const b of recordedBridges(root)) bridges.add(b);
      process.kill(p, 'SIGKILL');
      for (let i = 0; i < 250 && processAlive(p); i++) await new Promise((r) => setTimeout(r, 20));
      if (processAlive(p)) throw new Error(`the engine (pid ${p}) outlived SIGKILL`);
    },
    async leftovers(o = {}) {
      const live = recordedBridges(root);
      for (const b of live) bridges.add(b);
      const daemonDown = (await pid()) === undefined;
      return engineLeftovers({ root, runRoot, socketPath, cgroupParent, bridges, daemonDown, ...(o.liveNetworks ? { liveBridges: live } : {}), ...(o.bound ? { bound: o.bound } : {}) });
    },
    async close() {
      const p = await pid();
      if (p !== undefined) {
        process.kill(p, 'SIGTERM');
        for (let i = 0; i < 500 && processAlive(p); i++) await new Promise((r) => setTimeout(r, 20));
        if (processAlive(p)) process.kill(p, 'SIGKILL');
      }
      await closeOnRoot({ root, runRoot, socketPath, cgroupParent, shim, bridges }, [dir]);
    },
  };
  if (opts.start ?? true) await e.start();
  return e;
}
