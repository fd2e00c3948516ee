// The built-in engine as a process: where its root, runtime dir and socket are (flags, then
// BERTH_ROOT / BERTH_RUN_ROOT, then /var/lib/berth and /run/berth), starting it in the background
// (`berth engine run`, detached, waiting until it answers /_ping), stopping it and asking whether it
// runs. Engine selection starts it on demand from here; `berth engine start|stop|status` are thin
// over it.

import { spawn } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { BerthError, UsageError } from '../errors.js';

/** Where the launcher reports and resolves relative paths. */
export interface LauncherIO {
  env: Readonly<Record<string, string | undefined>>;
  cwd: string;
  stdout: (text: string) => void;
}

export interface EngineFlags {
  root?: string;
  runRoot?: string;
  socket?: string;
  runc?: string;
  shim?: string;
  cgroupParent?: string;
  log?: string;
  timeout?: string;
  /** Registry settings (engine/daemon/daemon-config.ts). */
  configFile?: string;
  registryMirror?: string[];
  insecureRegistry?: string[];
  maxConcurrentDownloads?: string;
  maxConcurrentUploads?: string;
}

export interface Resolved {
  root: string;
  runRoot: string;
  socketPath: string;
}

export function resolveEnginePaths(flags: EngineFlags, io: Pick<LauncherIO, 'env' | 'cwd'>): Resolved {
  const root = path.resolve(io.cwd, flags.root ?? io.env.BERTH_ROOT ?? '/var/lib/berth');
  const runRoot = path.resolve(io.cwd, flags.runRoot ?? io.env.BERTH_RUN_ROOT ?? '/run/berth');
  const socketPath = path.resolve(io.cwd, flags.socket ?? path.join(runRoot, 'engine.sock'));
  return { root, runRoot, socketPath };
}

/** bin/berth.js, two levels up from src/client/ and from dist/client/. */
export const BERTH_LAUNCHER = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../bin/berth.js');

/**
 * How to run this very CLI tree as a new process: bin/berth.js when this module sits in the
 * package's dist/, otherwise (a build elsewhere, as tests and embedders make) an inline entry that
 * imports the main.js beside this module — never another tree's code.
 */
export function selfCommand(args: readonly string[]): string[] {
  const here = path.dirname(fileURLToPath(import.meta.url));
  const packageRoot = path.resolve(here, '../..');
  // `--` first: node reads `--env-file` anywhere before one, the script's arguments included
  // (see bin/berth.js).
  if (here === path.join(packageRoot, 'dist', 'client') && existsSync(BERTH_LAUNCHER)) return ['--', BERTH_LAUNCHER, ...args];
  const main = new URL('../cli/main.js', import.meta.url).href;
  return ['--input-type=module', '-e', `import { main } from ${JSON.stringify(main)}; process.exitCode = await main(['node', 'berth', ...process.argv.slice(1)]);`, '--', ...args];
}

/** Where the built-in engine's socket is by default (flags aside): <run-root>/engine.sock. */
export function builtinSocketPath(env: Readonly<Record<string, string | undefined>>, cwd: string): string {
  return resolveEnginePaths({}, { env, cwd }).socketPath;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Background: starts `berth engine run` detached and waits until the socket answers. */
export async function startEngineBackground(flags: EngineFlags, io: LauncherIO): Promise<void> {
  const { pingSocket, readLockPid, lockPath, processAlive } = await import('../engine/daemon/daemon.js');
  const r = resolveEnginePaths(flags, io);
  const timeoutMs = engineTimeoutMs(flags.timeout);
  const args = ['engine', 'run', '--root', r.root, '--run-root', r.runRoot, '--socket', r.socketPath];
  for (const [flag, value] of [
    ['--runc', flags.runc],
    ['--shim', flags.shim],
    ['--cgroup-parent', flags.cgroupParent],
    ['--log', flags.log],
    ['--config-file', flags.configFile ? path.resolve(io.cwd, flags.configFile) : undefined],
    ['--max-concurrent-downloads', flags.maxConcurrentDownloads],
    ['--max-concurrent-uploads', flags.maxConcurrentUploads],
  ] as const) {
    if (value) args.push(flag, value);
  }
  for (const m of flags.registryMirror ?? []) args.push('--registry-mirror', m);
  for (const r of flags.insecureRegistry ?? []) args.push('--insecure-registry', r);
  if (await pingSocket(r.socketPath)) {
    io.stdout(`berth engine already running on ${r.socketPath}\n`);
    return;
  }
  // The daemon's own stderr (crashes before its logger exists) goes next to its JSON log.
  let errFd: number;
  try {
    mkdirSync(r.runRoot, { recursive: true });
    errFd = openSync(path.join(r.runRoot, 'engine.stderr'), 'a', 0o600);
  } catch (e) {
    throw new BerthError(`cannot prepare the engine's runtime directory ${r.runRoot}: ${(e as NodeJS.ErrnoException).code ?? String(e)} (choose another with --run-root or BERTH_RUN_ROOT)`);
  }
  // The launcher next to this module's tree (not process.argv[1]: an embedding program — a test
  // runner, a bench — may start the engine too).
  const child = spawn(process.execPath, selfCommand(args), { detached: true, stdio: ['ignore', 'ignore', errFd] });
  closeSync(errFd);
  child.unref();
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await pingSocket(r.socketPath, 500)) {
      io.stdout(`berth engine started (pid ${(await readLockPid(lockPath(r.root))) ?? child.pid}) on ${r.socketPath}\n`);
      return;
    }
    if (child.pid !== undefined && !processAlive(child.pid)) break;
    await sleep(100);
  }
  throw new BerthError(`berth engine did not start; see ${path.join(r.runRoot, 'engine.stderr')} and ${path.join(r.runRoot, 'engine.log')}`);
}

/** `--timeout S` of engine start/stop: seconds, else a usage error. */
export function engineTimeoutMs(value: string | undefined): number {
  if (value === undefined) return 15_000;
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n < 0) throw new UsageError(`--timeout ${value}: expected a number of seconds`);
  return n * 1000;
}

export async function stopEngine(flags: EngineFlags, io: LauncherIO): Promise<void> {
  const { readLockPid, lockPath, processAlive } = await import('../engine/daemon/daemon.js');
  const r = resolveEnginePaths(flags, io);
  const timeoutMs = engineTimeoutMs(flags.timeout);
  const pid = await readLockPid(lockPath(r.root));
  if (pid === undefined || !processAlive(pid)) {
    io.stdout('berth engine is not running\n');
    return;
  }
  process.kill(pid, 'SIGTERM');
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (!processAlive(pid)) {
      io.stdout(`berth engine stopped (pid ${pid}); containers keep running\n`);
      return;
    }
    await sleep(100);
  }
  throw new BerthError(`berth engine (pid ${pid}) did not stop within ${flags.timeout ?? 15}s`);
}

export async function engineStatus(flags: EngineFlags, io: LauncherIO): Promise<void> {
  const { readLockPid, lockPath, processAlive, pingSocket } = await import('../engine/daemon/daemon.js');
  const r = resolveEnginePaths(flags, io);
  const pid = await readLockPid(lockPath(r.root));
  const alive = pid !== undefined && processAlive(pid);
  const answers = await pingSocket(r.socketPath);
  if (alive && answers) {
    io.stdout(`running (pid ${pid})\nsocket: ${r.socketPath}\nroot: ${r.root}\n`);
    return;
  }
  io.stdout(alive ? `starting or unresponsive (pid ${pid})\n` : 'not running\n');
  throw new BerthError(alive ? 'the engine does not answer on its socket' : 'the engine is not running');
}
