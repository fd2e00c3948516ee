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
import { resolveUserInRootfs } from '../runtime/user.js';
import { Channel } from '../../lib/channel.js';

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
}

export class Execs implements ExecBackend {
  private readonly records = new Map<string, ExecRecord>();

  constructor(private readonly host: ExecHost) {}

  async create(ref: string, request: ExecCreateRequest): Promise<{ Id: string }> {
    const live = this.host.find(ref);
    if (!live.rec.state.Running) throw new ConflictError(`Container ${live.rec.id} is not running`);
    if (live.rec.state.Paused) throw new ConflictError(`Container ${live.rec.id} is paused, unpause the container before exec`);
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
        if (at >= 0) env[at] = e;
        else env.push(e);
      }
      proc.env = env;
    }
    if (req.WorkingDir) proc.cwd = req.WorkingDir;
    if (req.User) {
      const u = await resolveUserInRootfs(p.rootfs, req.User);
      proc.user = { uid: u.uid, gid: u.gid, ...(u.additionalGids.length ? { additionalGids: u.additionalGids } : {}) };
    }
    return proc;
  }

  async start(execId: string, options: ExecStartOptions): Promise<ExecSession> {
    const ex = this.find(execId);
    if (ex.started) throw new ConflictError(`Error: Exec command ${execId} has already run`);
    const live = this.host.find(ex.containerId);
    if (!live.rec.state.Running) throw new ConflictError(`Container ${live.rec.id} is not running`);
    let proc: OciSpec['process'];
    try {
      proc = await this.processSpec(live, ex.request, options.consoleSize ?? ex.request.ConsoleSize ?? undefined);
    } catch (e) {
      throw toEngineError(e);
    }
    ex.started = true;
    ex.running = true;
    const dir = await mkdtemp(path.join(os.tmpdir(), 'berth-exec-'));
    const processFile = path.join(dir, 'process.json');
    const pidFile = path.join(dir, 'pid');
    await writeFile(processFile, JSON.stringify(proc), { mode: 0o600 });
    const withStdin = ex.request.AttachStdin === true && options.stdin !== undefined && !options.detach;
    const tty = ex.request.Tty === true || options.tty;
    const runc = this.host.runner.runc;
    // A TTY exec needs runc's console socket (the pty master comes by fd passing), which only the
    // native shim can receive: it relays its stdio to the pty and takes resize lines on fd 3.
    const [command, args] = tty
      ? [this.host.shimBinary, ['--exec-tty', '--runc', runc.binary, '--root', runc.root, '--id', live.rec.id, '--process', processFile, '--pid-file', pidFile, ...(withStdin ? ['--stdin'] : [])]]
      : [runc.binary, ['--root', runc.root, 'exec', '--process', processFile, '--pid-file', pidFile, live.rec.id]];
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
    if (!options.detach) {
      child.stdout?.on('data', (d: Buffer) => out.push({ stream: 'stdout', data: d }));
      child.stderr?.on('data', (d: Buffer) => out.push({ stream: tty ? 'stdout' : 'stderr', data: d }));
    }
    if (withStdin && child.stdin && options.stdin) {
      child.stdin.on('error', () => undefined);
      options.stdin.pipe(child.stdin);
    }
    void readFile(pidFile, 'utf8').then((t) => (ex.pid = Number(t.trim()) || 0), () => undefined);
    child.on('close', (code, signal) => {
      ex.running = false;
      ex.exitCode = code ?? (signal ? 128 + (signalNumber(signal) ?? 0) : 255);
      out.end();
      void rm(dir, { recursive: true, force: true });
      this.host.emit(live, 'exec_die', { execID: ex.id, exitCode: String(ex.exitCode) });
    });
    child.on('error', (e) => {
      ex.running = false;
      ex.exitCode = 126;
      out.push({ stream: 'stderr', data: Buffer.from(`${e.message}\n`) });
      out.end();
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
