// A thin typed wrapper around the runc CLI. Every call passes `--root`, so berth's containers live
// in their own runc state directory (default /run/berth/runc) apart from any other engine's.

import { runCommand } from './spawner.js';
import { mkdtemp, readFile, rm, rmdir, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { OciSpec } from './oci-spec.js';

export type RuncStatus = 'creating' | 'created' | 'running' | 'paused' | 'stopped';

export interface RuncState {
  ociVersion: string;
  id: string;
  pid: number;
  status: RuncStatus;
  bundle: string;
  rootfs: string;
  created: string;
  owner?: string;
}

export type ResourceUpdate = Partial<Pick<OciSpec['linux']['resources'], 'memory' | 'cpu' | 'pids'>>;

export type ExecProcess = OciSpec['process'];

export interface ExecResult {
  exitCode: number;
  stdout: string;
  stderr: string;
}

/** runc exited non-zero; `message` is runc's own error line without logrus decoration. */
export class RuncError extends Error {
  constructor(
    readonly command: string,
    readonly exitCode: number | null,
    readonly stderr: string,
    message: string,
  ) {
    super(`runc ${command}: ${message}`);
    this.name = 'RuncError';
  }
}

/** The container id is unknown to this runc root. */
export class RuncNotFoundError extends RuncError {
  override name = 'RuncNotFoundError';
}

/** Extracts runc's message from `time=".." level=error msg="..."` or a plain line (pure). */
export function runcMessage(stderr: string): string {
  const lines = stderr.split('\n').map((l) => l.trim()).filter((l) => l !== '');
  for (let i = lines.length - 1; i >= 0; i--) {
    const m = /level=(?:error|fatal) msg="((?:[^"\\]|\\.)*)"/.exec(lines[i]);
    if (m) return m[1].replace(/\\(.)/g, '$1');
  }
  return lines.at(-1) ?? 'failed without a message';
}

export interface RuncOptions {
  root: string;
  binary?: string;
}

export class Runc {
  readonly root: string;
  readonly binary: string;

  constructor(opts: RuncOptions) {
    this.root = opts.root;
    this.binary = opts.binary ?? 'runc';
  }

  private async call(args: readonly string[], input?: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
    const r = await runCommand(this.binary, ['--root', this.root, ...args], input === undefined ? {} : { input });
    return { code: r.code, stdout: r.stdout.toString('utf8'), stderr: r.stderr.toString('utf8') };
  }

  private async ok(command: string, args: readonly string[], input?: string): Promise<string> {
    const r = await this.call(args, input);
    if (r.code === 0) return r.stdout;
    const message = runcMessage(r.stderr);
    const Err = /container does not exist|container with id .* does not exist/.test(message) ? RuncNotFoundError : RuncError;
    throw new Err(command, r.code, r.stderr, message);
  }

  async create(id: string, opts: { bundle: string; pidFile?: string; consoleSocket?: string }): Promise<void> {
    const args = ['create', '--bundle', opts.bundle];
    if (opts.pidFile) args.push('--pid-file', opts.pidFile);
    if (opts.consoleSocket) args.push('--console-socket', opts.consoleSocket);
    await this.ok('create', [...args, id]);
  }

  async start(id: string): Promise<void> {
    await this.ok('start', ['start', id]);
  }

  async state(id: string): Promise<RuncState> {
    return JSON.parse(await this.ok('state', ['state', id])) as RuncState;
  }

  /** Whether runc keeps state for the id (<root>/<id>/state.json; a stat, no runc process). */
  async hasState(id: string): Promise<boolean> {
    return stat(path.join(this.root, id, 'state.json')).then(() => true, () => false);
  }

  /** The state, or undefined when runc does not know the id. */
  async stateIfExists(id: string): Promise<RuncState | undefined> {
    // runc keeps each container's state in <root>/<id>/state.json: without that file it knows nothing
    // of the id, and a stat is far cheaper than spawning runc (two of these ran before every start).
    if (!(await this.hasState(id))) return undefined;
    try {
      return await this.state(id);
    } catch (err) {
      if (err instanceof RuncNotFoundError) return undefined;
      throw err;
    }
  }

  async list(): Promise<RuncState[]> {
    const out = await this.ok('list', ['list', '--format', 'json']);
    return (JSON.parse(out) as RuncState[] | null) ?? [];
  }

  async kill(id: string, signal: string | number = 'SIGTERM', opts: { all?: boolean } = {}): Promise<void> {
    await this.ok('kill', ['kill', ...(opts.all ? ['--all'] : []), id, String(signal)]);
  }

  async delete(id: string, opts: { force?: boolean } = {}): Promise<void> {
    await this.ok('delete', ['delete', ...(opts.force ? ['--force'] : []), id]);
  }

  /**
   * Deletes the state of a container whose init has exited, without a runc process where it can.
   * For a stopped container `runc delete` is: SIGKILL what is left in its cgroups (only when it had
   * no pid namespace of its own), remove the cgroups named in state.json, remove the state
   * directory, run poststop hooks. When the cgroups are empty (the init is gone and took its pid
   * namespace with it) and there are no hooks or RDT groups, the two removals are all of it: done
   * here with rmdir and rm (a runc process costs ~15–30 ms of CPU here, ten per `down`). Anything
   * else — a process still in a cgroup, hooks, a state file this code does not read — is left to
   * plain `runc delete`, which refuses a running container as before. Returns how it was done.
   */
  async deleteExited(id: string): Promise<'direct' | 'runc' | 'absent'> {
    const dir = path.join(this.root, id);
    let state: { cgroup_paths?: Record<string, string>; intel_rdt_path?: string; config?: { Hooks?: Record<string, unknown[] | null>; hooks?: Record<string, unknown[] | null> } };
    try {
      state = JSON.parse(await readFile(path.join(dir, 'state.json'), 'utf8')) as typeof state;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return 'absent';
      await this.delete(id);
      return 'runc';
    }
    // runc 1.1 writes the config's hooks as "Hooks"; "hooks" too, should a later one rename it.
    const hooks = Object.values({ ...state.config?.Hooks, ...state.config?.hooks }).some((list) => (list?.length ?? 0) > 0);
    const cgroups = state.cgroup_paths;
    if (hooks || state.intel_rdt_path || !cgroups || typeof cgroups !== 'object') {
      await this.delete(id);
      return 'runc';
    }
    // A live process keeps every cgroup it is in busy, so either all of them go or none of its do.
    const busy = await Promise.all(
      [...new Set(Object.values(cgroups))].map((d) => rmdir(d).then(() => false, (e: NodeJS.ErrnoException) => e.code !== 'ENOENT')),
    );
    if (busy.some(Boolean)) {
      await this.delete(id);
      return 'runc';
    }
    await rm(dir, { recursive: true, force: true });
    return 'direct';
  }

  async pause(id: string): Promise<void> {
    await this.ok('pause', ['pause', id]);
  }

  async resume(id: string): Promise<void> {
    await this.ok('resume', ['resume', id]);
  }

  /** Applies new cgroup limits (runc update --resources -, OCI LinuxResources JSON on stdin). */
  async update(id: string, resources: ResourceUpdate): Promise<void> {
    await this.ok('update', ['update', '--resources', '-', id], JSON.stringify(resources));
  }

  /** Host pids of the container's processes. */
  async ps(id: string): Promise<number[]> {
    const out = await this.ok('ps', ['ps', '--format', 'json', id]);
    return (JSON.parse(out) as number[] | null) ?? [];
  }

  /**
   * Runs a process in the container and waits for it (no tty). The process JSON goes through
   * --process, so arguments are never re-parsed by a shell or by runc's flag parser. It is a
   * private file, not stdin: Node's stdio "pipes" are socketpairs, which runc cannot open by path.
   */
  async exec(id: string, processSpec: ExecProcess): Promise<ExecResult> {
    const dir = await mkdtemp(path.join(tmpdir(), 'berth-exec-'));
    const file = path.join(dir, 'process.json');
    let r: Awaited<ReturnType<Runc['call']>>;
    try {
      await writeFile(file, JSON.stringify(processSpec), { mode: 0o600 });
      r = await this.call(['exec', '--process', file, id]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
    // runc exec exits with the process's status; 255 with nothing but a runc error means runc failed.
    if (r.code === null) throw new RuncError('exec', null, r.stderr, 'killed');
    if (r.code === 255 && /level=(error|fatal)/.test(r.stderr)) {
      throw new RuncError('exec', r.code, r.stderr, runcMessage(r.stderr));
    }
    return { exitCode: r.code, stdout: r.stdout, stderr: r.stderr };
  }
}
