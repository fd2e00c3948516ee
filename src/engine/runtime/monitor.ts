// Starts berth-shim (native/berth-shim.c), the per-container monitor, and reads what it leaves:
// the json-file log and the exit status. MONITOR.md explains why the monitor is a C process.

import net from 'node:net';
import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { nativeBinaryPath } from './native-binaries.js';
import { runCommand } from './spawner.js';

export interface MonitorOptions {
  runcRoot: string;
  id: string;
  bundle: string;
  /** Docker json-file log the monitor appends to. */
  logPath: string;
  /** Written atomically when the container's init exits. */
  statusPath: string;
  pidFile: string;
  /** runc's own log (JSON lines), useful when create fails. */
  runcLog?: string;
  /** Memory cgroup directory, for OOM detection. */
  memoryCgroup?: string;
  tty?: boolean;
  /** `OpenStdin`: the container's stdin is a pipe fed through the monitor's io socket (else /dev/null). */
  openStdin?: boolean;
  /** `StdinOnce`: the end of the first attached stdin closes the container's stdin. */
  stdinOnce?: boolean;
  /** The monitor's unix socket for stdin, tty resize and signals (see berth-shim.c). */
  ioSocket?: string;
  runcBinary?: string;
  shimBinary?: string;
  /**
   * The monitor mounts the overlay root itself (these mount options at `rootfs`) before runc: a
   * mount(2) instead of a mount(8) process. Only where nothing needs the root before the run.
   */
  overlay?: { options: string; rootfs: string };
  /** Create only (`runc create`); `startPrepared` starts it later. Needs ioSocket. */
  prepare?: boolean;
  /** How long a prepared container waits for its start before the monitor deletes it (default 120 s). */
  prepareTimeoutMs?: number;
  /** json-file rotation: the monitor rotates the log once it holds this many bytes, keeping `logMaxFiles` files. */
  logMaxSize?: number;
  logMaxFiles?: number;
}

export interface MonitorStarted {
  /** Host pid of the container's init. */
  pid: number;
  /** Host pid of the monitor (re-parented to init or a subreaper; no longer our child). */
  monitorPid: number;
}

export interface ExitStatus {
  pid: number;
  /** 128 + signal when killed by a signal, as Docker reports it. */
  exitCode: number;
  /** Terminating signal number, 0 when the process exited. */
  signal: number;
  oomKilled: boolean;
  startedAt: string;
  finishedAt: string;
}

export interface LogEntry {
  log: string;
  stream: 'stdout' | 'stderr';
  time: string;
}

export class MonitorError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'MonitorError';
  }
}

/** Where the compiled shim is: $BERTH_SHIM, else dist/native/berth-shim of this package. */
export function defaultShimPath(): string {
  return nativeBinaryPath('berth-shim', 'BERTH_SHIM');
}

export function shimArgs(o: MonitorOptions): string[] {
  const args = [
    '--runc', o.runcBinary ?? '/usr/sbin/runc',
    '--root', o.runcRoot,
    '--id', o.id,
    '--bundle', o.bundle,
    '--log-path', o.logPath,
    '--status-path', o.statusPath,
    '--pid-file', o.pidFile,
  ];
  if (o.runcLog) args.push('--runc-log', o.runcLog);
  if (o.memoryCgroup) args.push('--memory-cgroup', o.memoryCgroup);
  if (o.tty) args.push('--tty');
  if (o.openStdin) args.push('--stdin');
  if (o.stdinOnce) args.push('--stdin-once');
  if (o.ioSocket) args.push('--io-socket', o.ioSocket);
  if (o.overlay) args.push('--mount-overlay', o.overlay.options, '--rootfs', o.overlay.rootfs);
  if (o.prepare) args.push('--prepare');
  if (o.prepareTimeoutMs !== undefined) args.push('--prepare-timeout-ms', String(o.prepareTimeoutMs));
  if (o.logMaxSize !== undefined) args.push('--log-max-size', String(o.logMaxSize), '--log-max-files', String(o.logMaxFiles ?? 1));
  return args;
}

/** Creates and starts the container under a new monitor; resolves once the container runs. */
export function startMonitor(o: MonitorOptions): Promise<MonitorStarted> {
  const shim = o.shimBinary ?? defaultShimPath();
  return runCommand(shim, shimArgs(o), { timeoutMs: 60_000 }).then(
    (r) => {
      const stdout = r.stdout.toString('utf8').trim();
      if (r.code !== 0) {
        const how = r.timedOut ? 'timed out after 60 s' : r.code !== null ? `exit status ${r.code}` : `signal ${r.signal}`;
        throw new MonitorError(`starting container ${o.id}: ${r.stderr.toString('utf8').trim() || how}`);
      }
      const [pid, monitorPid] = stdout.split(/\s+/).map(Number);
      if (!Number.isInteger(pid) || !Number.isInteger(monitorPid)) throw new MonitorError(`starting container ${o.id}: unexpected monitor output "${stdout}"`);
      return { pid, monitorPid };
    },
    (e: Error) => {
      throw new MonitorError(`starting container ${o.id}: ${e.message}`, { cause: e });
    },
  );
}

/**
 * One request on the monitor's io socket and its one-line answer (without the newline). Rejects
 * when the socket cannot be reached, closes without a line, or stays silent for `timeoutMs`.
 */
function askMonitor(ioSocket: string, request: string, timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const sock = net.connect({ path: ioSocket });
    let answer = '';
    let settled = false;
    const settle = (fn: () => void): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      sock.destroy();
      fn();
    };
    const timer = setTimeout(() => settle(() => reject(new MonitorError(`no answer from the monitor in ${timeoutMs} ms`))), timeoutMs);
    sock.setEncoding('utf8');
    sock.on('error', (e) => settle(() => reject(new MonitorError(e.message, { cause: e }))));
    sock.once('connect', () => sock.write(request));
    sock.on('data', (d: string) => {
      answer += d;
      const nl = answer.indexOf('\n');
      if (nl >= 0) settle(() => resolve(answer.slice(0, nl)));
    });
    sock.once('close', () => settle(() => reject(new MonitorError('the monitor closed the connection'))));
  });
}

/**
 * Starts a container its monitor prepared (MonitorOptions.prepare): one round trip on the io
 * socket, no runtime process. Rejects with the monitor's reason, or when the monitor is gone
 * (it gave up waiting, or the container was deleted meanwhile).
 */
export async function startPrepared(ioSocket: string, timeoutMs = 15_000): Promise<void> {
  let answer: string;
  try {
    answer = await askMonitor(ioSocket, 's', timeoutMs);
  } catch (e) {
    throw new MonitorError(`starting the prepared container: ${(e as Error).message}`, { cause: e });
  }
  if (answer !== 'ok') throw new MonitorError(`starting the prepared container: ${answer.startsWith('err ') ? answer.slice(4).trim() : `unexpected answer "${answer}"`}`);
}

/** The exit status, or undefined while the container has not exited (the file appears atomically). */
export async function readExitStatus(statusPath: string): Promise<ExitStatus | undefined> {
  let text: string;
  try {
    text = await readFile(statusPath, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  return JSON.parse(text) as ExitStatus;
}

/** Polls for the status file; the monitor may have been started by an earlier daemon. */
export async function waitForExit(statusPath: string, opts: { timeoutMs?: number; pollMs?: number } = {}): Promise<ExitStatus> {
  const deadline = Date.now() + (opts.timeoutMs ?? 30_000);
  for (;;) {
    const status = await readExitStatus(statusPath);
    if (status) return status;
    if (Date.now() > deadline) throw new MonitorError(`no exit status at ${statusPath} after ${opts.timeoutMs ?? 30_000} ms`);
    await new Promise((r) => setTimeout(r, opts.pollMs ?? 10));
  }
}

/** True while the monitor process runs (a zombie counts as gone). */
export function monitorAlive(monitorPid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${monitorPid}/stat`, 'utf8');
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    const cmd = readFileSync(`/proc/${monitorPid}/cmdline`, 'utf8');
    return state !== 'Z' && state !== 'X' && cmd.includes('berth-shim');
  } catch {
    return false;
  }
}

/** Parses a json-file log (pure); a torn last line (the monitor still writing) is left out. */
export function parseJsonFileLog(text: string): LogEntry[] {
  const out: LogEntry[] = [];
  for (const line of text.split('\n')) {
    if (line === '') continue;
    try {
      out.push(JSON.parse(line) as LogEntry);
    } catch {
      // only the line being written can be incomplete
    }
  }
  return out;
}

function connectIo(ioSocket: string, kind: 'i' | 'r' | 'k'): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const sock = net.connect({ path: ioSocket });
    sock.once('error', (e) => reject(new MonitorError(`monitor io socket ${ioSocket}: ${e.message}`, { cause: e })));
    sock.once('connect', () => {
      sock.write(kind);
      resolve(sock);
    });
  });
}

/**
 * Feeds `input` to the container's stdin until it ends; the socket is half-closed then, which with
 * StdinOnce closes the container's stdin. Resolves once connected.
 */
export async function attachStdin(ioSocket: string, input: NodeJS.ReadableStream): Promise<net.Socket> {
  const sock = await connectIo(ioSocket, 'i');
  sock.on('error', () => undefined);
  // The container may exit (and the monitor close the socket) while the client still writes.
  input.pipe(sock);
  sock.on('close', () => input.unpipe(sock));
  return sock;
}

/** Sets the size of a tty container's terminal. */
export async function resizeTty(ioSocket: string, size: { height: number; width: number }): Promise<void> {
  const sock = await connectIo(ioSocket, 'r');
  sock.on('error', () => undefined);
  await new Promise<void>((resolve) => sock.end(`${size.height} ${size.width}\n`, () => resolve()));
}

/**
 * Has the monitor signal the container's init (kind 'k' on the io socket): true once sent. The
 * monitor reaps init itself, so this is as safe against pid reuse as `runc kill`, without
 * starting runc. False whenever the monitor does not confirm — no socket (not started yet, monitor
 * gone), a monitor older than 'k', init already reaped, the kernel refused — or stays silent for
 * `timeoutMs`: the caller then asks runc, whose answer about a stopped container is authoritative.
 */
export function signalInit(ioSocket: string, signo: number, timeoutMs = 2_000): Promise<boolean> {
  return askMonitor(ioSocket, `k${signo}\n`, timeoutMs).then(
    (answer) => answer.trim() === '0',
    () => false,
  );
}
