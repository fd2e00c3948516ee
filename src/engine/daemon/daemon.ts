// The daemon process around BuiltinEngine: a pid lock so two daemons never share a state root, the
// API server on its unix socket (and TCP with mutual TLS when configured: listen-config.ts),
// JSON-lines logs under the runtime dir, and an orderly shutdown that leaves containers running
// (the next daemon re-adopts them).

import { createWriteStream, readFileSync, type WriteStream } from 'node:fs';
import { mkdir, open, readFile, unlink } from 'node:fs/promises';
import { request } from 'node:http';
import path from 'node:path';
import { createApiServer, type ApiServer } from '../api/server.js';
import { BuiltinEngine, ENGINE_VERSION, type BuiltinEngineOptions, type EngineLogger } from './engine.js';
import { listenAddresses, type AccessSettings } from './listen-config.js';
import { processAlive } from '../../lib/process.js';

// Callers outside the engine (the launcher, tests) ask the daemon module whether a pid lives.
export { processAlive };

export const DEFAULT_ROOT = '/var/lib/berth';
export const DEFAULT_RUN_ROOT = '/run/berth';

export interface DaemonOptions extends BuiltinEngineOptions {
  root: string;
  runRoot: string;
  /** The socket served when `access.hosts` names none; default `<runRoot>/engine.sock`. */
  socketPath?: string;
  /** Hosts, socket group and TLS (listen-config.ts); default: the socket, group `docker` when it exists. */
  access?: AccessSettings;
  /** Default `<runRoot>/engine.log`; `-` writes the log lines to stderr. */
  logFile?: string;
}

export class DaemonLockError extends Error {
  constructor(
    message: string,
    readonly pid: number,
  ) {
    super(message);
    this.name = 'DaemonLockError';
  }
}

export function lockPath(root: string): string {
  return path.join(root, 'engine.pid');
}

export function defaultSocket(runRoot: string): string {
  return path.join(runRoot, 'engine.sock');
}

/** The pid in a lock file, or undefined when there is none. */
export async function readLockPid(file: string): Promise<number | undefined> {
  try {
    const n = Number((await readFile(file, 'utf8')).trim());
    return Number.isInteger(n) && n > 0 ? n : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Takes the root's lock: the file is created with O_EXCL and holds our pid. A file whose pid is no
 * longer alive is stale (the daemon was killed) and is replaced. Returns the release function.
 */
// Locks this process holds: our own pid in a lock file is only stale when we did not write it
// (a daemon running as PID 1 of a container gets the same pid after every restart).
const heldLocks = new Set<string>();

export async function acquirePidLock(file: string, pid: number = process.pid): Promise<() => Promise<void>> {
  await mkdir(path.dirname(file), { recursive: true });
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const fh = await open(file, 'wx', 0o644);
      await fh.writeFile(`${pid}\n`);
      await fh.sync();
      await fh.close();
      if (pid === process.pid) heldLocks.add(path.resolve(file));
      return async () => {
        heldLocks.delete(path.resolve(file));
        if ((await readLockPid(file)) === pid) await unlink(file).catch(() => undefined);
      };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      const holder = await readLockPid(file);
      const ours = holder === process.pid && heldLocks.has(path.resolve(file));
      if (holder !== undefined && (ours || (holder !== process.pid && processAlive(holder)))) {
        throw new DaemonLockError(`another berth engine (pid ${holder}) is using ${path.dirname(file)}`, holder);
      }
      // Stale (or torn) lock: remove and retry; O_EXCL settles a race between two newcomers.
      await unlink(file).catch(() => undefined);
    }
  }
  throw new DaemonLockError(`could not take the lock ${file}`, 0);
}

/** Structured log: one JSON object per line. */
export function jsonLogger(out: { write(line: string): unknown }): EngineLogger & { debug(m: string): void; warn(m: string): void } {
  const line = (level: string, message: string, fields?: Record<string, unknown>): void => {
    out.write(`${JSON.stringify({ time: new Date().toISOString(), level, msg: message, ...fields })}\n`);
  };
  return {
    info: (m, f) => line('info', m, f),
    error: (m, f) => line('error', m, f),
    warn: (m) => line('warning', m),
    debug: (m) => line('debug', m),
  };
}

export interface RunningDaemon {
  engine: BuiltinEngine;
  server: ApiServer;
  /** The first unix socket served; undefined when only TCP is. */
  socketPath: string | undefined;
  /** Every address served: `unix:///…`, `tcp://host:port` (the bound port). */
  addresses: string[];
  /** Stops serving and releases the lock; containers keep running. */
  close(): Promise<void>;
}

export async function startDaemon(opts: DaemonOptions): Promise<RunningDaemon> {
  await mkdir(opts.root, { recursive: true, mode: 0o711 });
  await mkdir(opts.runRoot, { recursive: true, mode: 0o711 });
  const release = await acquirePidLock(lockPath(opts.root));
  let logStream: WriteStream | undefined;
  try {
    const logFile = opts.logFile ?? path.join(opts.runRoot, 'engine.log');
    const sink = logFile === '-' ? process.stderr : (logStream = createWriteStream(logFile, { flags: 'a', mode: 0o600 }));
    // A log that cannot be written (its disk is full) must not take the daemon down: an 'error'
    // nobody listens to would. The lines are lost; stderr says so once.
    logStream?.once('error', (e) => process.stderr.write(`berth engine: the log ${logFile} cannot be written (${e.message}); logging stops\n`));
    logStream?.on('error', () => undefined);
    const logger = jsonLogger(sink);
    // Before the engine opens: a bad host, group or certificate costs no engine work.
    const listen = await listenAddresses(opts.access ?? {}, opts.socketPath ?? defaultSocket(opts.runRoot), (m) => logger.warn(m));
    const engine = await BuiltinEngine.open({ ...opts, logger });
    const server = createApiServer(engine, {
      listen,
      serverVersion: ENGINE_VERSION,
      logger: { debug: (m) => logger.debug(m), error: (m) => logger.error(m) },
    });
    try {
      await server.listen();
    } catch (e) {
      await engine.close();
      throw e;
    }
    const addresses = server.addresses();
    const socketPath = listen.find((a) => a.kind === 'unix')?.path;
    logger.info('engine started', { pid: process.pid, root: opts.root, runRoot: opts.runRoot, hosts: addresses });
    let closed = false;
    return {
      engine,
      server,
      socketPath,
      addresses,
      async close() {
        if (closed) return;
        closed = true;
        await server.close();
        await engine.close();
        logger.info('engine stopped', { pid: process.pid });
        await release();
        await new Promise<void>((r) => (logStream ? logStream.end(r) : r()));
      },
    };
  } catch (e) {
    await release();
    logStream?.end();
    throw e;
  }
}

/** Answers whether an engine serves `/_ping` on the socket (within `timeoutMs`). */
export function pingSocket(socketPath: string, timeoutMs = 1000): Promise<boolean> {
  return new Promise((resolve) => {
    const req = request({ socketPath, path: '/_ping', method: 'GET', timeout: timeoutMs }, (res) => {
      res.resume();
      resolve(res.statusCode === 200);
    });
    req.on('timeout', () => {
      req.destroy();
      resolve(false);
    });
    req.on('error', () => resolve(false));
    req.end();
  });
}
