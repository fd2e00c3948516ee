// The built-in engine as a process: where its root, runtime dir and socket are (flags, then
// BERTH_ROOT / BERTH_RUN_ROOT, then /var/lib/berth and /run/berth), starting it in the background
// (`berth engine run`, detached, waiting until it answers /_ping), stopping it and asking whether it
// runs. Engine selection starts it on demand from here; `berth engine start|stop|status` are thin
// over it.

import { spawn } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync } from 'node:fs';
import { connect } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { DaemonFlags } from '../engine/daemon/daemon-config.js';
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
  /** Access (engine/daemon/listen-config.ts): `-H` hosts, the socket's group, TLS for TCP. */
  host?: string[];
  group?: string;
  tls?: boolean;
  tlsverify?: boolean;
  tlscacert?: string;
  tlscert?: string;
  tlskey?: string;
}

/**
 * The daemon's flags as daemon-config.ts takes them: each read by name (the CLI's options audit
 * holds every command to that), file paths made absolute against the caller's directory.
 */
export function daemonFlagsOf(flags: EngineFlags, cwd: string): DaemonFlags {
  const abs = (file: string | undefined): string | undefined => (file ? path.resolve(cwd, file) : undefined);
  const all: DaemonFlags = {
    configFile: abs(flags.configFile),
    registryMirror: flags.registryMirror,
    insecureRegistry: flags.insecureRegistry,
    maxConcurrentDownloads: flags.maxConcurrentDownloads,
    maxConcurrentUploads: flags.maxConcurrentUploads,
    host: flags.host,
    group: flags.group,
    tls: flags.tls,
    tlsverify: flags.tlsverify,
    tlscacert: abs(flags.tlscacert),
    tlscert: abs(flags.tlscert),
    tlskey: abs(flags.tlskey),
  };
  return Object.fromEntries(Object.entries(all).filter(([, v]) => v !== undefined)) as DaemonFlags;
}

/** The same flags as `engine run` arguments, for the background start. */
function daemonArgs(d: DaemonFlags): string[] {
  const args: string[] = [];
  for (const [flag, value] of [
    ['--config-file', d.configFile],
    ['--max-concurrent-downloads', d.maxConcurrentDownloads],
    ['--max-concurrent-uploads', d.maxConcurrentUploads],
    ['--group', d.group],
    ['--tlscacert', d.tlscacert],
    ['--tlscert', d.tlscert],
    ['--tlskey', d.tlskey],
  ] as const) {
    if (value !== undefined) args.push(flag, value);
  }
  for (const [flag, list] of [
    ['--registry-mirror', d.registryMirror],
    ['--insecure-registry', d.insecureRegistry],
    ['--host', d.host],
  ] as const) {
    for (const value of list ?? []) args.push(flag, value);
  }
  if (d.tls) args.push('--tls');
  if (d.tlsverify) args.push('--tlsverify');
  return args;
}

/**
 * `--socket` names the socket served when no host is given; with hosts (`-H`, or "hosts" in
 * daemon.json) it would be ignored, so the two together are refused.
 */
export function checkSocketAndHosts(socketFlag: string | undefined, hosts: string[] | undefined): void {
  if (socketFlag !== undefined && hosts?.length) throw new UsageError(`--socket and -H (or "hosts" in daemon.json) both say where to serve: name the socket among the hosts as -H unix://${socketFlag}`);
}

/**
 * How the launcher tells that the engine answers: /_ping on its first unix socket, else a TCP
 * connection to its first tcp host (the launcher holds no client certificate to say more).
 */
export async function engineProbe(hosts: string[] | undefined, socketPath: string): Promise<{ where: string; socket?: string; answers(timeoutMs?: number): Promise<boolean> }> {
  const { pingSocket } = await import('../engine/daemon/daemon.js');
  const { parseHost } = await import('../engine/daemon/listen-config.js');
  const parsed = (hosts?.length ? hosts : [`unix://${socketPath}`]).map((h) => parseHost(h, socketPath));
  const unix = parsed.find((h) => h.kind === 'unix');
  if (unix) return { where: unix.path, socket: unix.path, answers: (ms) => pingSocket(unix.path, ms) };
  const tcp = parsed[0] as { host: string; port: number };
  return { where: `tcp://${tcp.host}:${tcp.port}`, answers: (ms) => portOpen(tcp.host, tcp.port, ms ?? 1000) };
}

function portOpen(host: string, port: number, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port, timeout: timeoutMs });
    const done = (open: boolean): void => {
      socket.destroy();
      resolve(open);
    };
    socket.once('connect', () => done(true));
    socket.once('timeout', () => done(false));
    socket.once('error', () => done(false));
  });
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

/** Background: starts `berth engine run` detached and waits until it answers (engineProbe). */
export async function startEngineBackground(flags: EngineFlags, io: LauncherIO): Promise<void> {
  const { readLockPid, lockPath, processAlive } = await import('../engine/daemon/daemon.js');
  const { daemonSettings } = await import('../engine/daemon/daemon-config.js');
  const r = resolveEnginePaths(flags, io);
  const timeoutMs = engineTimeoutMs(flags.timeout);
  const daemonFlags = daemonFlagsOf(flags, io.cwd);
  const args = ['engine', 'run', '--root', r.root, '--run-root', r.runRoot, ...(flags.socket !== undefined ? ['--socket', r.socketPath] : [])];
  for (const [flag, value] of [
    ['--runc', flags.runc],
    ['--shim', flags.shim],
    ['--cgroup-parent', flags.cgroupParent],
    ['--log', flags.log],
  ] as const) {
    if (value) args.push(flag, value);
  }
  args.push(...daemonArgs(daemonFlags));
  // The settings the engine will read (daemon.json and these flags): a bad one is reported here,
  // and the hosts say where to watch for the engine.
  const hosts = (await daemonSettings(r.root, daemonFlags)).access.hosts;
  checkSocketAndHosts(flags.socket, hosts);
  const probe = await engineProbe(hosts, r.socketPath);
  if (await probe.answers()) {
    io.stdout(`berth engine already running on ${probe.where}\n`);
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
    if (await probe.answers(500)) {
      io.stdout(`berth engine started (pid ${(await readLockPid(lockPath(r.root))) ?? child.pid}) on ${probe.where}\n`);
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
  const { readLockPid, lockPath, processAlive } = await import('../engine/daemon/daemon.js');
  const r = resolveEnginePaths(flags, io);
  // -H, else the hosts in <root>/daemon.json: where the engine serves.
  const { daemonSettings } = await import('../engine/daemon/daemon-config.js');
  const hosts = (await daemonSettings(r.root, { ...(flags.host ? { host: flags.host } : {}) })).access.hosts;
  checkSocketAndHosts(flags.socket, hosts);
  const probe = await engineProbe(hosts, r.socketPath);
  const pid = await readLockPid(lockPath(r.root));
  const alive = pid !== undefined && processAlive(pid);
  if (alive && (await probe.answers())) {
    io.stdout(`running (pid ${pid})\n${probe.socket ? `socket: ${probe.socket}` : `host: ${probe.where}`}\nroot: ${r.root}\n`);
    return;
  }
  io.stdout(alive ? `starting or unresponsive (pid ${pid})\n` : 'not running\n');
  throw new BerthError(alive ? 'the engine does not answer on its socket' : 'the engine is not running');
}
