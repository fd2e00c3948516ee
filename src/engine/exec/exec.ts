// `docker exec`: a process started in a running container with the container's own process spec
// (capabilities, rlimits, environment) and the exec's command, user, working directory and TTY.
// A plain exec is `runc exec`; a TTY exec goes through the shim, which receives the pty master from
// runc's console socket and relays it. Exec records live here, by exec id, until their container goes.

import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import {
  ConflictError,
  InternalError,
  InvalidArgumentError,
  NotFoundError,
  toEngineError,
  type ExecBackend,
  type ExecCreateRequest,
  type ExecInspect,
  type ExecSession,
  type ExecStartOptions,
  type OutputChunk,
} from '../backend.js';
import type { LiveContainer } from '../container/table.js';
import type { ContainerPaths } from '../runtime/container-runner.js';
import type { OciSpec } from '../runtime/oci-spec.js';
import type { Runc } from '../runtime/runc.js';
import { signalNumber } from '../runtime/translate.js';
import { dockerAdditionalGids, resolveUserInRootfs } from '../runtime/user.js';
import { ALL_CAPABILITIES } from '../runtime/oci-spec.js';
import { Channel } from '../../lib/channel.js';
import { parseDetachKeys, watchDetachKeys } from '../runtime/detach-keys.js';

/** What exec needs of the engine: its containers, their paths, runc, the shim, events. */
export interface ExecHost {
  find(ref: string): LiveContainer;
  paths(id: string): ContainerPaths;
  emit(live: LiveContainer, action: string, extra?: Record<string, string>): void;
  readonly runner: { readonly runc: Runc };
  readonly shimBinary: string;
}

export interface ExecRecord {
  id: string;
  containerId: string;
  request: ExecCreateRequest;
  running: boolean;
  exitCode: number | null;
  pid: number;
  started: boolean;
  /** A TTY exec's resize channel (fd 3 of berth-shim --exec-tty). */
  resize?: NodeJS.WritableStream;
  /** When the process ended (or failed to start), for the record's collection. */
  finishedAt?: number;
}

/** How long a finished exec stays inspectable (dockerd collects them every few minutes). */
const EXEC_RECORD_TTL_MS = 5 * 60_000;

/** The error runc logged (JSON lines) when it could not start the process; undefined when it logged none. */
async function runcFailure(logFile: string): Promise<string | undefined> {
  const text = await readFile(logFile, 'utf8').catch(() => '');
  let found: string | undefined;
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    try {
      const entry = JSON.parse(line) as { level?: string; msg?: string };
      if ((entry.level === 'error' || entry.level === 'fatal') && entry.msg) found = entry.msg;
    } catch {
      // not JSON: runc wrote something else
    }
  }
  return found;
}

export class Execs implements ExecBackend {
  private readonly records = new Map<string, ExecRecord>();

  constructor(private readonly host: ExecHost) {}

  async create(ref: string, request: ExecCreateRequest): Promise<{ Id: string }> {
    const live = this.host.find(ref);
    if (!live.rec.state.Running) throw new ConflictError(`Container ${live.rec.id} is not running`);
    // dockerd names the container as the client did here (errExecPaused(name)).
    if (live.rec.state.Paused) throw new ConflictError(`Container ${ref} is paused, unpause the container before exec`);
    if (!request.Cmd || request.Cmd.length === 0) throw new InvalidArgumentError('No exec command specified');
    const id = randomBytes(32).toString('hex');
    this.records.set(id, { id, containerId: live.rec.id, request, running: false, exitCode: null, pid: 0, started: false });
    live.execIds.push(id);
    this.host.emit(live, `exec_create: ${request.Cmd.join(' ')}`, { execID: id });
    return { Id: id };
  }

  find(id: string): ExecRecord {
    const e = this.records.get(id);
    if (!e) throw new NotFoundError(`No such exec instance: ${id}`);
    return e;
  }

  /** Drops exec records (their container is gone, or a health probe is done with its own). */
  forget(ids: readonly string[]): void {
    for (const id of ids) this.records.delete(id);
  }

  /** The process spec for an exec: the container's own process (caps, rlimits, env) with the exec's command. */
  private async processSpec(live: LiveContainer, req: ExecCreateRequest, consoleSize?: readonly [number, number]): Promise<OciSpec['process']> {
    const p = this.host.paths(live.rec.id);
    const bundle = JSON.parse(await readFile(p.config, 'utf8')) as OciSpec;
    const proc: OciSpec['process'] = { ...bundle.process, terminal: req.Tty === true, args: [...req.Cmd] };
    if (req.Tty === true) {
      proc.env = [...proc.env.filter((e) => !e.startsWith('TERM=')), 'TERM=xterm'];
      // runc sizes the pty before the process starts, so its first look at the size is right.
      if (consoleSize && consoleSize[0] > 0 && consoleSize[1] > 0) proc.consoleSize = { height: consoleSize[0], width: consoleSize[1] };
    }
    if (req.Env && req.Env.length > 0) {
      const env = [...proc.env];
      for (const e of req.Env) {
        const key = e.split('=')[0];
        const at = env.findIndex((x) => x.split('=')[0] === key);
        // `-e KEY` for a variable the CLI does not have arrives bare: it removes KEY, as with dockerd.
        if (!e.includes('=')) {
          if (at >= 0) env.splice(at, 1);
        } else if (at >= 0) env[at] = e;
        else env.push(e);
      }
      proc.env = env;
    }
    if (req.WorkingDir) proc.cwd = req.WorkingDir;
    if (req.User) {
      const u = await resolveUserInRootfs(p.rootfs, req.User);
      proc.user = { uid: u.uid, gid: u.gid, additionalGids: dockerAdditionalGids(u) };
    }
    // moby's exec --privileged: every capability in every set (the container's seccomp filter stays:
    // runc applies the container's to every process it starts in it).
    if (req.Privileged) {
      const all = [...ALL_CAPABILITIES];
      proc.capabilities = { bounding: all, effective: all, permitted: all, inheritable: all };
    }
    return proc;
  }

  /**
   * An exec that could not start (unknown user, missing binary or directory): as dockerd answers
   * it — the connection is upgraded as for any exec, the reason is written on its output and the
   * exit code is 126. A detached one gets the reason as its error.
   */
  private failed(ex: ExecRecord, live: LiveContainer, message: string, options: ExecStartOptions): ExecSession {
    ex.running = false;
    ex.exitCode = 126;
    this.finished(ex, live);
    if (options.detach) throw new InternalError(message);
    const out = new Channel<OutputChunk>(options.signal);
    out.push({ stream: 'stdout', data: Buffer.from(`${message}\r\n`) });
    out.end();
    return { tty: ex.request.Tty === true || options.tty, output: out };
  }

  /**
   * A finished exec leaves its container's ExecIDs, as dockerd removes it from the container's exec
   * store at exit; its record stays inspectable (`docker exec` reads the exit code after the
   * stream ends) until the container goes or it is collected (`collect`).
   */
  private finished(ex: ExecRecord, live: LiveContainer): void {
    live.execIds = live.execIds.filter((x) => x !== ex.id);
    ex.finishedAt = Date.now();
    this.collect();
  }

  /** Drops records of execs finished more than EXEC_RECORD_TTL_MS ago (dockerd's exec GC). */
  private collect(): void {
    const cutoff = Date.now() - EXEC_RECORD_TTL_MS;
    for (const [id, r] of this.records) if (r.finishedAt !== undefined && r.finishedAt < cutoff) this.records.delete(id);
  }

  async start(execId: string, options: ExecStartOptions): Promise<ExecSession> {
    const ex = this.find(execId);
    if (ex.started) throw new ConflictError(`Error: Exec command ${execId} has already run`);
    const live = this.host.find(ex.containerId);
    if (!live.rec.state.Running) throw new ConflictError(`Container ${live.rec.id} is not running`);
    const detachKeys = parseDetachKeys(ex.request.DetachKeys);
    ex.started = true;
    let proc: OciSpec['process'];
    try {
      proc = await this.processSpec(live, ex.request, options.consoleSize ?? ex.request.ConsoleSize ?? undefined);
    } catch (e) {
      const err = toEngineError(e);
      if (err instanceof InternalError) throw err;
      return this.failed(ex, live, err.message, options);
    }
    ex.running = true;
    const dir = await mkdtemp(path.join(os.tmpdir(), 'berth-exec-'));
    const processFile = path.join(dir, 'process.json');
    const pidFile = path.join(dir, 'pid');
    const runcLog = path.join(dir, 'runc.log');
    await writeFile(processFile, JSON.stringify(proc), { mode: 0o600 });
    const withStdin = ex.request.AttachStdin === true && options.stdin !== undefined && !options.detach;
    const tty = ex.request.Tty === true || options.tty;
    const runc = this.host.runner.runc;
    // A TTY exec needs runc's console socket (the pty master comes by fd passing), which only the
    // native shim can receive: it relays its stdio to the pty and takes resize lines on fd 3.
    const [command, args] = tty
      ? [this.host.shimBinary, ['--exec-tty', '--runc', runc.binary, '--root', runc.root, '--id', live.rec.id, '--process', processFile, '--pid-file', pidFile, ...(withStdin ? ['--stdin'] : [])]]
      : [runc.binary, ['--root', runc.root, '--log', runcLog, '--log-format', 'json', 'exec', '--process', processFile, '--pid-file', pidFile, live.rec.id]];
    const child = spawn(command, args, {
      stdio: [withStdin ? 'pipe' : 'ignore', options.detach ? 'ignore' : 'pipe', options.detach ? 'ignore' : 'pipe', tty ? 'pipe' : 'ignore'],
    });
    if (tty) {
      const resize = child.stdio[3] as NodeJS.WritableStream & { on(e: 'error', f: () => void): void };
      resize.on('error', () => undefined);
      ex.resize = resize;
    }
    this.host.emit(live, `exec_start: ${ex.request.Cmd.join(' ')}`, { execID: ex.id });
    const out = new Channel<OutputChunk>(options.detach ? undefined : options.signal);
    // runc also prints its own failure on the stderr it shares with the process: until the process
    // is known to run (runc wrote its pid), stderr is held back, and dropped if runc failed.
    let held: Buffer[] | undefined = tty ? undefined : [];
    const release = (): void => {
      for (const d of held ?? []) out.push({ stream: 'stderr', data: d });
      held = undefined;
    };
    if (!options.detach) {
      child.stdout?.on('data', (d: Buffer) => out.push({ stream: 'stdout', data: d }));
      child.stderr?.on('data', (d: Buffer) => {
        if (held) held.push(d);
        else out.push({ stream: tty ? 'stdout' : 'stderr', data: d });
      });
    }
    if (withStdin && child.stdin && options.stdin) {
      child.stdin.on('error', () => undefined);
      // The detach keys end the client's session; the process goes on.
      watchDetachKeys(options.stdin, detachKeys, () => out.end()).pipe(child.stdin);
    }
    let closed = false;
    void (async () => {
      while (!closed) {
        const text = await readFile(pidFile, 'utf8').catch(() => '');
        if (text.trim() !== '') {
          ex.pid = Number(text.trim()) || 0;
          release();
          return;
        }
        await new Promise((r) => setTimeout(r, 10));
      }
    })();
    child.on('close', (code, signal) => {
      closed = true;
      void (async () => {
        ex.running = false;
        ex.exitCode = code ?? (signal ? 128 + (signalNumber(signal) ?? 0) : 255);
        // runc's own failure (the process never ran) is in its log, not the process's output.
        const failure = !tty && code === 255 ? await runcFailure(runcLog) : undefined;
        if (failure !== undefined) {
          held = undefined;
          ex.exitCode = 126;
          out.push({ stream: 'stdout', data: Buffer.from(`OCI runtime exec failed: ${failure}: unknown\r\n`) });
        } else release();
        out.end();
        this.finished(ex, live);
        await rm(dir, { recursive: true, force: true });
        this.host.emit(live, 'exec_die', { execID: ex.id, exitCode: String(ex.exitCode) });
      })();
    });
    child.on('error', (e) => {
      ex.running = false;
      ex.exitCode = 126;
      out.push({ stream: 'stderr', data: Buffer.from(`${e.message}\n`) });
      out.end();
      this.finished(ex, live);
    });
    if (options.detach) out.end();
    return { tty, output: out };
  }

  async inspect(execId: string): Promise<ExecInspect> {
    const ex = this.find(execId);
    return {
      CanRemove: false,
      DetachKeys: ex.request.DetachKeys ?? '',
      ID: ex.id,
      Running: ex.running,
      ExitCode: ex.exitCode,
      ProcessConfig: { privileged: ex.request.Privileged === true, user: ex.request.User ?? '', tty: ex.request.Tty === true, entrypoint: ex.request.Cmd[0], arguments: ex.request.Cmd.slice(1) },
      OpenStdin: ex.request.AttachStdin === true,
      OpenStderr: ex.request.AttachStderr === true,
      OpenStdout: ex.request.AttachStdout === true,
      ContainerID: ex.containerId,
      Pid: ex.pid,
    };
  }

  async resize(execId: string, size: { height: number; width: number }): Promise<void> {
    const ex = this.find(execId);
    if (!ex.running) throw new ConflictError(`Exec ${execId} is not running`);
    ex.resize?.write(`${size.height} ${size.width}\n`);
  }

  /** A health probe: the command as an exec in the container, killed when it overruns. Probes do not linger in ExecIDs. */
  async probe(id: string, cmd: string[], timeoutMs: number): Promise<{ exitCode: number; output: string }> {
    let live: LiveContainer;
    try {
      live = this.host.find(id);
    } catch {
      return { exitCode: -1, output: 'container is not running' };
    }
    if (live.rec.id !== id || !live.rec.state.Running) return { exitCode: -1, output: 'container is not running' };
    const { Id } = await this.create(id, { Cmd: cmd, AttachStdout: true, AttachStderr: true });
    const ac = new AbortController();
    const session = await this.start(Id, { detach: false, tty: false, signal: ac.signal });
    const ex = this.find(Id);
    let output = '';
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      if (ex.pid > 0) {
        try {
          process.kill(ex.pid, 'SIGKILL');
        } catch {
          // already gone
        }
      }
    }, timeoutMs);
    for await (const chunk of session.output) output += chunk.data.toString('utf8');
    await new Promise((r) => setTimeout(r, 0));
    clearTimeout(timer);
    this.records.delete(Id);
    live.execIds = live.execIds.filter((x) => x !== Id);
    if (timedOut) return { exitCode: -1, output: `Health check exceeded timeout (${timeoutMs}ms)` };
    return { exitCode: ex.exitCode ?? -1, output };
  }
}
