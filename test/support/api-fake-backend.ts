// An in-memory EngineBackend for the API-layer tests ONLY: it records every call and serves canned
// containers whose "process" is a tiny script (`echo x`, `echo x >&2`, `cat`, `sleep`, `exit N`,
// separated by `;`), so clients see real output, stdin echo and exit codes without any runtime.

import { createHash, randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import {
  ConflictError,
  InvalidArgumentError,
  NotFoundError,
  NotImplementedError,
  UnauthorizedError,
  NotModifiedError,
  type AttachOptions,
  type Volume,
  type ContainerCreateRequest,
  type ContainerInspect,
  type ContainerStats,
  type ContainerSummary,
  type ContainerWaitResponse,
  type EngineBackend,
  type EventMessage,
  type EventsOptions,
  type ExecCreateRequest,
  type ExecInspect,
  type ImageInspect,
  type ImageSummary,
  type LogEntry,
  type NetworkInspect,
  type OutputChunk,
  type PathStat,
  type ProgressMessage,
  type SystemInfo,
  type SystemVersion,
  type WaitCondition,
} from '../../src/engine/backend.js';
import { Channel } from '../../src/lib/channel.js';
import { FakeArchiveFs } from './fake-archive-fs.js';

interface FakeProcess {
  exitCode: number;
  /** Resolves when the script finished or was killed. */
  done: Promise<void>;
  kill(code: number): void;
}

/** Runs a fake script; output goes to `emit`, input comes from `stdin`. */
function runScript(cmd: string[], emit: (c: OutputChunk) => void, stdin: () => Readable | undefined, openStdin = false): FakeProcess {
  const script = cmd[0] === 'sh' && cmd[1] === '-c' ? (cmd[2] ?? '') : cmd.join(' ');
  let killed: ((code: number) => void) | undefined;
  const killedP = new Promise<number>((resolve) => {
    killed = resolve;
  });
  const proc: FakeProcess = {
    exitCode: 0,
    done: Promise.resolve(),
    kill: (code) => killed?.(code),
  };
  proc.done = (async () => {
    for (const raw of script.split(/[;\n]/)) {
      const stmt = raw.trim();
      if (stmt === '') continue;
      const echo = /^echo\s+(.*?)(\s*>&2)?$/.exec(stmt);
      if (echo) {
        emit({ stream: echo[2] ? 'stderr' : 'stdout', data: Buffer.from(`${echo[1]}\n`) });
      } else if (stmt === 'cat') {
        // A container started with open stdin (`stdin_open`, `docker run -i`) waits for an attach.
        let input = stdin();
        let stopped = false;
        void killedP.then(() => (stopped = true));
        while (!input && openStdin && !stopped) {
          await new Promise((r) => setTimeout(r, 5));
          input = stdin();
        }
        if (stopped) {
          proc.exitCode = await killedP;
          return;
        }
        if (input) for await (const chunk of input) emit({ stream: 'stdout', data: Buffer.from(chunk as Buffer) });
      } else if (stmt === 'sleep') {
        proc.exitCode = await killedP;
        return;
      } else if (stmt.startsWith('exit')) {
        proc.exitCode = Number.parseInt(stmt.slice(4).trim() || '0', 10);
        return;
      } else {
        emit({ stream: 'stderr', data: Buffer.from(`sh: ${stmt}: not found\n`) });
        proc.exitCode = 127;
        return;
      }
    }
  })();
  return proc;
}

interface FakeContainer {
  id: string;
  name: string;
  created: Date;
  request: ContainerCreateRequest;
  status: 'created' | 'running' | 'paused' | 'exited';
  exitCode: number;
  startedAt?: Date;
  finishedAt?: Date;
  logs: LogEntry[];
  live: Set<Channel<OutputChunk>>;
  logFollowers: Set<Channel<LogEntry>>;
  stdin?: Readable;
  process?: FakeProcess;
  exitWaiters: ((r: ContainerWaitResponse) => void)[];
  removeWaiters: ((r: ContainerWaitResponse) => void)[];
}

interface FakeExec {
  id: string;
  container: FakeContainer;
  request: ExecCreateRequest;
  running: boolean;
  exitCode: number | null;
}

interface FakeImage {
  id: string;
  tags: string[];
  created: Date;
  size: number;
  comment: string;
}

export interface RecordedCall {
  method: string;
  args: unknown[];
}

const ZERO_TIME = '0001-01-01T00:00:00Z';

function hexId(): string {
  return randomBytes(32).toString('hex');
}

/** `busybox` → `busybox:latest`, as the reference store names it. */
function withTag(ref: string): string {
  const lastSlash = ref.lastIndexOf('/');
  return ref.slice(lastSlash + 1).includes(':') ? ref : `${ref}:latest`;
}

export class FakeBackend {
  readonly calls: RecordedCall[] = [];
  readonly containers = new Map<string, FakeContainer>();
  readonly execs = new Map<string, FakeExec>();
  readonly images = new Map<string, FakeImage>();
  readonly volumes = new Map<string, Volume>();
  readonly networks = new Map<string, NetworkInspect>();
  /**
   * Containers (by id) whose archive calls use an in-memory filesystem instead of the canned
   * `/etc/hostname` answers: set one with `filesystemFor(name)`.
   */
  readonly filesystems = new Map<string, FakeArchiveFs>();

  filesystemFor(ref: string, seed: ConstructorParameters<typeof FakeArchiveFs>[0] = {}): FakeArchiveFs {
    const fs = new FakeArchiveFs(seed);
    this.filesystems.set(this.find(ref).id, fs);
    return fs;
  }
  readonly events: EventMessage[] = [];
  private readonly eventListeners = new Set<Channel<EventMessage>>();
  /** The signal of the latest streaming call, to check the server aborts it when a client leaves. */
  lastSignal: AbortSignal | undefined;
  /** When set, ping() fails with it (to test error mapping on /_ping). */
  pingError: Error | undefined;

  constructor() {
    this.addImage(['busybox:latest'], Buffer.from('busybox rootfs'));
  }

  callsTo(method: string): RecordedCall[] {
    return this.calls.filter((c) => c.method === method);
  }

  private record(method: string, ...args: unknown[]): void {
    this.calls.push({ method, args });
  }

  private addImage(tags: string[], content: Buffer): FakeImage {
    const id = `sha256:${createHash('sha256').update(content).digest('hex')}`;
    const image: FakeImage = { id, tags, created: new Date(), size: content.length, comment: '' };
    this.images.set(id, image);
    return image;
  }

  private findImage(ref: string): FakeImage {
    const full = withTag(ref);
    for (const image of this.images.values()) {
      if (image.tags.includes(full) || image.id === ref || image.id === `sha256:${ref}` || image.id.startsWith(`sha256:${ref}`))
        return image;
    }
    throw new NotFoundError(`No such image: ${full}`);
  }

  private find(ref: string): FakeContainer {
    for (const c of this.containers.values()) if (c.id === ref || c.name === ref.replace(/^\//, '')) return c;
    const byPrefix = [...this.containers.values()].filter((c) => c.id.startsWith(ref));
    if (byPrefix.length === 1) return byPrefix[0];
    throw new NotFoundError(`No such container: ${ref}`);
  }

  private emitEvent(type: EventMessage['Type'], action: string, id: string, attributes: Record<string, string>): void {
    const now = Date.now();
    const event: EventMessage = {
      Type: type,
      Action: action,
      Actor: { ID: id, Attributes: attributes },
      scope: 'local',
      time: Math.floor(now / 1000),
      timeNano: now * 1e6,
      status: action,
      id,
      from: attributes.image,
    };
    this.events.push(event);
    for (const l of this.eventListeners) l.push(event);
  }

  private containerEvent(c: FakeContainer, action: string, extra: Record<string, string> = {}): void {
    this.emitEvent('container', action, c.id, { image: c.request.Image ?? '', name: c.name, ...(c.request.Labels ?? {}), ...extra });
  }

  private output(c: FakeContainer, chunk: OutputChunk): void {
    const entry: LogEntry = { stream: chunk.stream, line: chunk.data, time: new Date() };
    c.logs.push(entry);
    for (const l of c.live) l.push(chunk);
    for (const f of c.logFollowers) f.push(entry);
  }

  private finish(c: FakeContainer, exitCode: number): void {
    c.status = 'exited';
    c.exitCode = exitCode;
    c.finishedAt = new Date();
    c.process = undefined;
    for (const l of c.live) l.end();
    c.live.clear();
    for (const f of c.logFollowers) f.end();
    c.logFollowers.clear();
    this.containerEvent(c, 'die', { exitCode: String(exitCode) });
    for (const w of c.exitWaiters.splice(0)) w({ StatusCode: exitCode });
    if (c.request.HostConfig?.AutoRemove) this.destroy(c);
  }

  private destroy(c: FakeContainer): void {
    this.containers.delete(c.id);
    this.containerEvent(c, 'destroy');
    for (const w of c.removeWaiters.splice(0)) w({ StatusCode: c.exitCode });
  }

  private summary(c: FakeContainer): ContainerSummary {
    const image = this.findImageOrUndefined(c.request.Image ?? '');
    return {
      Id: c.id,
      Names: [`/${c.name}`],
      Image: c.request.Image ?? '',
      ImageID: image?.id ?? '',
      Command: [...(c.request.Entrypoint ?? []), ...(c.request.Cmd ?? [])].join(' '),
      Created: Math.floor(c.created.getTime() / 1000),
      Ports: [],
      Labels: c.request.Labels ?? {},
      State: c.status,
      Status: c.status === 'running' ? 'Up Less than a second' : c.status === 'exited' ? `Exited (${c.exitCode}) Less than a second ago` : 'Created',
      HostConfig: { NetworkMode: c.request.HostConfig?.NetworkMode ?? 'bridge' },
      NetworkSettings: { Networks: {} },
      Mounts: [],
    };
  }

  private findImageOrUndefined(ref: string): FakeImage | undefined {
    try {
      return this.findImage(ref);
    } catch {
      return undefined;
    }
  }

  private inspectOf(c: FakeContainer): ContainerInspect {
    const cmd = [...(c.request.Entrypoint ?? []), ...(c.request.Cmd ?? [])];
    return {
      Id: c.id,
      Created: c.created.toISOString(),
      Path: cmd[0] ?? '',
      Args: cmd.slice(1),
      State: {
        Status: c.status,
        Running: c.status === 'running',
        Paused: c.status === 'paused',
        Restarting: false,
        OOMKilled: false,
        Dead: false,
        Pid: c.status === 'running' ? 4242 : 0,
        ExitCode: c.exitCode,
        Error: '',
        StartedAt: c.startedAt?.toISOString() ?? ZERO_TIME,
        FinishedAt: c.finishedAt?.toISOString() ?? ZERO_TIME,
      },
      Image: this.findImageOrUndefined(c.request.Image ?? '')?.id ?? '',
      ResolvConfPath: '',
      HostnamePath: '',
      HostsPath: '',
      LogPath: '',
      Name: `/${c.name}`,
      RestartCount: 0,
      Driver: 'overlay',
      Platform: 'linux',
      MountLabel: '',
      ProcessLabel: '',
      AppArmorProfile: '',
      ExecIDs: null,
      HostConfig: c.request.HostConfig ?? {},
      GraphDriver: { Name: 'overlay', Data: null },
      Mounts: [],
      Config: { ...c.request, HostConfig: undefined, NetworkingConfig: undefined } as ContainerInspect['Config'],
      NetworkSettings: { SandboxID: '', SandboxKey: '', Ports: {}, Networks: {} },
    };
  }

  private statsSample(c: FakeContainer, n: number): ContainerStats {
    return { read: new Date().toISOString(), preread: ZERO_TIME, id: c.id, name: `/${c.name}`, pids_stats: { current: n }, memory_stats: { usage: 1024 * n } };
  }

  /** The EngineBackend view, every method recorded. */
  backend(): EngineBackend {
    const self = this;
    const notModelled = async (): Promise<never> => {
      throw new NotImplementedError('not modelled by the fake backend');
    };
    // Networks are records only (no endpoints): enough for a compose client to create, find and
    // remove a project's networks.
    const network = (ref: string): NetworkInspect => {
      const found = [...self.networks.values()].find((n) => n.Id === ref || n.Name === ref || (ref.length >= 12 && n.Id.startsWith(ref)));
      if (!found) throw new NotFoundError(`network ${ref} not found`);
      return found;
    };
    return {
      networks: {
        list: async (filters) =>
          [...self.networks.values()].filter((n) =>
            (filters.label ?? []).every((l) => {
              const [k, v] = l.split('=', 2);
              return k in n.Labels && (v === undefined || n.Labels[k] === v);
            }) && (filters.name ?? []).every((name) => n.Name.includes(name)),
          ),
        inspect: async (ref) => network(ref),
        async create(request) {
          self.record('networks.create', request);
          if ([...self.networks.values()].some((n) => n.Name === request.Name)) throw new ConflictError(`network with name ${request.Name} already exists`);
          const n: NetworkInspect = {
            Name: request.Name, Id: hexId(), Created: new Date().toISOString(), Scope: 'local', Driver: request.Driver ?? 'bridge', EnableIPv6: false,
            IPAM: { Driver: 'default', Options: null, Config: [] }, Internal: request.Internal ?? false, Attachable: request.Attachable ?? false, Ingress: false,
            ConfigFrom: { Network: '' }, ConfigOnly: false, Containers: {}, Options: request.Options ?? {}, Labels: request.Labels ?? {},
          };
          self.networks.set(n.Id, n);
          return { Id: n.Id, Warning: '' };
        },
        async remove(ref) {
          self.record('networks.remove', ref);
          self.networks.delete(network(ref).Id);
        },
        connect: async (ref) => void network(ref),
        disconnect: async (ref) => void network(ref),
        prune: async () => ({ NetworksDeleted: [] }),
      },
      containers: {
        async create(request, options) {
          self.record('containers.create', request, options);
          if (!request.Image) throw new InvalidArgumentError('Config cannot be empty in order to create a container');
          self.findImage(request.Image);
          const name = options.name ?? `fake_${self.containers.size + 1}`;
          if (!/^\/?[a-zA-Z0-9][a-zA-Z0-9_.-]+$/.test(name)) {
            throw new InvalidArgumentError(`Invalid container name (${name}), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed`);
          }
          for (const c of self.containers.values()) {
            if (c.name === name) {
              throw new ConflictError(`Conflict. The container name "/${name}" is already in use by container "${c.id}". You have to remove (or rename) that container to be able to reuse that name.`);
            }
          }
          const c: FakeContainer = {
            id: hexId(),
            name,
            created: new Date(),
            request,
            status: 'created',
            exitCode: 0,
            logs: [],
            live: new Set(),
            logFollowers: new Set(),
            exitWaiters: [],
            removeWaiters: [],
          };
          self.containers.set(c.id, c);
          self.containerEvent(c, 'create');
          return { Id: c.id, Warnings: [] };
        },
        async start(id) {
          self.record('containers.start', id);
          const c = self.find(id);
          if (c.status === 'running' || c.status === 'paused') throw new NotModifiedError('container already started');
          c.status = 'running';
          c.startedAt = new Date();
          self.containerEvent(c, 'start');
          const proc = runScript([...(c.request.Entrypoint ?? []), ...(c.request.Cmd ?? [])], (chunk) => self.output(c, chunk), () => c.stdin, Boolean(c.request.OpenStdin));
          c.process = proc;
          void proc.done.then(() => self.finish(c, proc.exitCode));
        },
        async stop(id, options) {
          self.record('containers.stop', id, options);
          const c = self.find(id);
          if (c.status !== 'running') throw new NotModifiedError('container already stopped');
          const done = c.process?.done;
          c.process?.kill(143);
          await done;
        },
        async kill(id, signal) {
          self.record('containers.kill', id, signal);
          const c = self.find(id);
          if (c.status !== 'running') throw new ConflictError(`Cannot kill container: ${id}: container ${c.id} is not running`);
          const done = c.process?.done;
          c.process?.kill(137);
          await done;
        },
        async restart(id, options) {
          self.record('containers.restart', id, options);
          self.find(id);
        },
        async wait(id, condition: WaitCondition) {
          self.record('containers.wait', id, condition);
          const c = self.find(id);
          if (condition === 'not-running' && c.status !== 'running') return { exited: Promise.resolve({ StatusCode: c.exitCode }) };
          const exited = new Promise<ContainerWaitResponse>((resolve) => {
            (condition === 'removed' ? c.removeWaiters : c.exitWaiters).push(resolve);
          });
          return { exited };
        },
        async remove(id, options) {
          self.record('containers.remove', id, options);
          const c = self.find(id);
          if (c.status === 'running' && !options.force) {
            throw new ConflictError(`cannot remove container "/${c.name}": container is running: stop the container before removing or force remove`);
          }
          if (c.status === 'running') {
            c.process?.kill(137);
            await c.process?.done;
          }
          if (self.containers.has(c.id)) self.destroy(c);
        },
        async inspect(id, options) {
          self.record('containers.inspect', id, options);
          return self.inspectOf(self.find(id));
        },
        async list(options) {
          self.record('containers.list', options);
          let list = [...self.containers.values()].filter((c) => options.all || c.status === 'running');
          for (const status of [options.filters.status ?? []]) if (status.length) list = list.filter((c) => status.includes(c.status));
          for (const label of options.filters.label ?? []) {
            const [k, v] = label.split('=', 2);
            list = list.filter((c) => (v === undefined ? k in (c.request.Labels ?? {}) : c.request.Labels?.[k] === v));
          }
          for (const name of options.filters.name ?? []) list = list.filter((c) => c.name.includes(name));
          return list.map((c) => self.summary(c)).sort((a, b) => b.Created - a.Created);
        },
        async logs(id, options) {
          self.record('containers.logs', id, { ...options, signal: undefined });
          const c = self.find(id);
          const channel = new Channel<LogEntry>(options.signal);
          let past = c.logs.filter((e) => (e.stream === 'stdout' ? options.stdout : options.stderr));
          if (options.tail !== undefined) past = past.slice(Math.max(0, past.length - options.tail));
          for (const e of past) channel.push(e);
          if (options.follow && c.status === 'running') {
            const follower = new Channel<LogEntry>(options.signal);
            c.logFollowers.add(follower);
            void (async () => {
              for await (const e of follower) if (e.stream === 'stdout' ? options.stdout : options.stderr) channel.push(e);
              channel.end();
            })();
          } else channel.end();
          return { tty: c.request.Tty === true, entries: channel };
        },
        async attach(id, options: AttachOptions) {
          self.record('containers.attach', id, { ...options, stdin: options.stdin !== undefined, signal: undefined });
          const c = self.find(id);
          if (c.status === 'paused') throw new ConflictError('You cannot attach to a paused container, unpause it first');
          const channel = new Channel<OutputChunk>(options.signal);
          if (options.stdin) c.stdin = options.stdin;
          const filtered = new Channel<OutputChunk>(options.signal);
          c.live.add(channel);
          if (c.status === 'exited') channel.end();
          void (async () => {
            for await (const chunk of channel) if (chunk.stream === 'stdout' ? options.stdout : options.stderr) filtered.push(chunk);
            filtered.end();
          })();
          return { tty: c.request.Tty === true, output: filtered };
        },
        async resize(id, size) {
          self.record('containers.resize', id, size);
          self.find(id);
        },
        async top(id, psArgs) {
          self.record('containers.top', id, psArgs);
          self.find(id);
          return { Titles: ['PID', 'CMD'], Processes: [['4242', 'sleep']] };
        },
        stats(id, options) {
          self.record('containers.stats', id, { stream: options.stream, oneShot: options.oneShot });
          return (async function* () {
            const c = self.find(id);
            for (let n = 1; ; n++) {
              yield self.statsSample(c, n);
              if (!options.stream || options.signal.aborted) return;
              await new Promise((r) => setTimeout(r, 20));
              if (options.signal.aborted) return;
            }
          })();
        },
        async rename(id, newName) {
          self.record('containers.rename', id, newName);
          self.find(id).name = newName;
        },
        async update(id, update) {
          self.record('containers.update', id, update);
          self.find(id);
          return { Warnings: [] };
        },
        async pause(id) {
          self.record('containers.pause', id);
          self.find(id).status = 'paused';
        },
        async unpause(id) {
          self.record('containers.unpause', id);
          self.find(id).status = 'running';
        },
        async archiveStat(id, path) {
          self.record('containers.archiveStat', id, path);
          const c = self.find(id);
          const fs = self.filesystems.get(c.id);
          if (fs) return fs.stat(path, id);
          if (path !== '/etc/hostname') throw new NotFoundError(`Could not find the file ${path} in container ${id}`);
          const stat: PathStat = { name: 'hostname', size: 5, mode: 0o644, mtime: '2024-01-02T03:04:05Z', linkTarget: '' };
          return stat;
        },
        async archiveGet(id, path) {
          self.record('containers.archiveGet', id, path);
          const stat = await this.archiveStat(id, path);
          const fs = self.filesystems.get(self.find(id).id);
          if (fs) return { stat, tar: fs.archive(path, id) };
          return { stat, tar: Readable.from([Buffer.from('fake tar of '), Buffer.from(path)]) };
        },
        async archivePut(id, path, tar, options) {
          const fs = self.filesystems.get(self.find(id).id);
          if (fs) {
            self.record('containers.archivePut', id, path, await fs.extract(path, tar as AsyncIterable<Buffer>, id, options), options);
            return;
          }
          const chunks: Buffer[] = [];
          for await (const chunk of tar) chunks.push(chunk as Buffer);
          self.record('containers.archivePut', id, path, Buffer.concat(chunks).toString(), options);
          self.find(id);
        },
        // Filesystem changes are not modelled: the engine's own tests cover diff, export and commit.
        changes: notModelled,
        export: notModelled,
        commit: notModelled,
      },
      exec: {
        async create(containerId, request) {
          self.record('exec.create', containerId, request);
          const container = self.find(containerId);
          if (container.status !== 'running') throw new ConflictError(`container ${container.id} is not running`);
          const exec: FakeExec = { id: hexId(), container, request, running: false, exitCode: null };
          self.execs.set(exec.id, exec);
          return { Id: exec.id };
        },
        async start(execId, options) {
          self.record('exec.start', execId, { detach: options.detach, tty: options.tty, stdin: options.stdin !== undefined });
          const exec = self.execs.get(execId);
          if (!exec) throw new NotFoundError(`No such exec instance: ${execId}`);
          if (exec.running || exec.exitCode !== null) throw new ConflictError(`exec ${execId} has already been started`);
          exec.running = true;
          const output = new Channel<OutputChunk>(options.signal);
          const stdin = exec.request.AttachStdin ? options.stdin : undefined;
          const proc = runScript(exec.request.Cmd, (c) => output.push(c), () => stdin);
          void proc.done.then(() => {
            exec.running = false;
            exec.exitCode = proc.exitCode;
            output.end();
          });
          if (options.detach) output.end();
          return { tty: exec.request.Tty === true, output };
        },
        async inspect(execId) {
          self.record('exec.inspect', execId);
          const exec = self.execs.get(execId);
          if (!exec) throw new NotFoundError(`No such exec instance: ${execId}`);
          const inspect: ExecInspect = {
            CanRemove: false,
            DetachKeys: '',
            ID: exec.id,
            Running: exec.running,
            ExitCode: exec.exitCode,
            ProcessConfig: { privileged: false, user: '', tty: exec.request.Tty === true, entrypoint: exec.request.Cmd[0], arguments: exec.request.Cmd.slice(1) },
            OpenStdin: exec.request.AttachStdin === true,
            OpenStderr: exec.request.AttachStderr === true,
            OpenStdout: exec.request.AttachStdout === true,
            ContainerID: exec.container.id,
            Pid: 4343,
          };
          return inspect;
        },
        async resize(execId, size) {
          self.record('exec.resize', execId, size);
          if (!self.execs.has(execId)) throw new NotFoundError(`No such exec instance: ${execId}`);
        },
      },
      volumes: {
        async create(request) {
          self.record('volumes.create', request);
          const name = request.Name || 'anon0123456789';
          const v: Volume = { Name: name, Driver: 'local', Mountpoint: `/fake/volumes/${name}/_data`, CreatedAt: '2024-01-01T00:00:00Z', Labels: request.Labels ?? {}, Scope: 'local', Options: request.DriverOpts ?? null, UsageData: null };
          self.volumes.set(name, v);
          return v;
        },
        async list(filters) {
          self.record('volumes.list', filters);
          return { Volumes: [...self.volumes.values()], Warnings: null };
        },
        async inspect(name) {
          self.record('volumes.inspect', name);
          const v = self.volumes.get(name);
          if (!v) throw new NotFoundError(`get ${name}: no such volume`);
          return v;
        },
        async remove(name, options) {
          self.record('volumes.remove', name, options);
          if (!self.volumes.delete(name) && !options.force) throw new NotFoundError(`get ${name}: no such volume`);
        },
        async prune(filters, options) {
          self.record('volumes.prune', filters, options);
          const deleted = [...self.volumes.keys()];
          self.volumes.clear();
          return { VolumesDeleted: deleted, SpaceReclaimed: 0 };
        },
      },
      images: {
        async list(options) {
          self.record('images.list', options);
          return [...self.images.values()].map(
            (i): ImageSummary => ({
              Id: i.id,
              ParentId: '',
              RepoTags: i.tags,
              RepoDigests: [],
              Created: Math.floor(i.created.getTime() / 1000),
              Size: i.size,
              SharedSize: -1,
              Labels: {},
              Containers: -1,
            }),
          );
        },
        async inspect(name) {
          self.record('images.inspect', name);
          const i = self.findImage(name);
          const inspect: ImageInspect = {
            Id: i.id,
            RepoTags: i.tags,
            RepoDigests: [],
            Parent: '',
            Comment: i.comment,
            Created: i.created.toISOString(),
            Container: '',
            ContainerConfig: {},
            DockerVersion: '',
            Author: '',
            Config: { Cmd: ['sh'] },
            Architecture: 'amd64',
            Os: 'linux',
            Size: i.size,
            GraphDriver: { Name: 'overlay', Data: null },
            RootFS: { Type: 'layers', Layers: [i.id] },
            Metadata: {},
          };
          return inspect;
        },
        import(options) {
          self.record('images.import', { repo: options.repo, tag: options.tag, changes: options.changes, message: options.message });
          return (async function* (): AsyncGenerator<ProgressMessage> {
            const chunks: Buffer[] = [];
            for await (const chunk of options.source) chunks.push(chunk as Buffer);
            const content = Buffer.concat(chunks);
            if (content.length === 0) throw new InvalidArgumentError('the import source is empty');
            const tags = options.repo ? [withTag(options.tag ? `${options.repo}:${options.tag}` : options.repo)] : [];
            const image = self.addImage(tags, content);
            image.comment = options.message ?? '';
            self.emitEvent('image', 'import', image.id, { name: tags[0] ?? image.id });
            yield { status: image.id };
          })();
        },
        load(tar, options) {
          self.record('images.load', options.quiet);
          return (async function* (): AsyncGenerator<ProgressMessage> {
            const chunks: Buffer[] = [];
            for await (const chunk of tar) chunks.push(chunk as Buffer);
            for (const name of Buffer.concat(chunks).toString().trim().split(/\s+/)) {
              if (name === 'broken') throw new InvalidArgumentError('unexpected EOF in layer 2');
              self.addImage([withTag(name)], Buffer.from(name));
              yield { stream: `Loaded image: ${withTag(name)}\n` };
            }
          })();
        },
        async tag(name, repo, tag) {
          self.record('images.tag', name, repo, tag);
          self.findImage(name).tags.push(withTag(tag ? `${repo}:${tag}` : repo));
        },
        async remove(name, options) {
          self.record('images.remove', name, options);
          const image = self.findImage(name);
          self.images.delete(image.id);
          return [...image.tags.map((t) => ({ Untagged: t })), { Deleted: image.id }];
        },
        async save(names) {
          self.record('images.save', names);
          for (const n of names) self.findImage(n);
          return Readable.from([Buffer.from(`tar of ${names.join(',')}`)]);
        },
        async history(name) {
          self.record('images.history', name);
          const i = self.findImage(name);
          return [{ Id: i.id, Created: Math.floor(i.created.getTime() / 1000), CreatedBy: 'fake', Tags: i.tags, Size: i.size, Comment: i.comment }];
        },
        pull(options) {
          self.record('images.pull', { fromImage: options.fromImage, tag: options.tag, platform: options.platform, auth: options.auth });
          return (async function* (): AsyncGenerator<ProgressMessage> {
            // A name with "missing" in it stands for a reference the registry does not have.
            if (options.fromImage.includes('missing')) throw new NotFoundError(`manifest for ${options.fromImage} not found: manifest unknown`);
            const name = withTag(options.tag ? `${options.fromImage}:${options.tag}` : options.fromImage);
            yield { status: `Pulling from ${options.fromImage}`, id: options.tag ?? 'latest' };
            yield { status: 'Pull complete', progressDetail: {}, id: 'aaaaaaaaaaaa' };
            if (![...self.images.values()].some((i) => i.tags.includes(name))) self.addImage([name], Buffer.from(name));
            yield { status: `Status: Downloaded newer image for ${name}` };
          })();
        },
        push(name, options) {
          self.record('images.push', name, { tag: options.tag, auth: options.auth });
          return (async function* (): AsyncGenerator<ProgressMessage> {
            self.findImage(options.tag ? `${name}:${options.tag}` : name);
            yield { status: `The push refers to repository [${name}]` };
            yield { progressDetail: {}, aux: { Tag: options.tag ?? 'latest', Digest: `sha256:${'f'.repeat(64)}`, Size: 1 } };
          })();
        },
        async prune(filters) {
          self.record('images.prune', filters);
          return { ImagesDeleted: null, SpaceReclaimed: 0 };
        },
        async distribution(name, auth) {
          self.record('images.distribution', name, auth);
          return { Descriptor: { mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: `sha256:${'e'.repeat(64)}`, size: 1 }, Platforms: [{ architecture: 'amd64', os: 'linux' }] };
        },
      },
      system: {
        async auth(config) {
          self.record('system.auth', config.serveraddress, config.username);
          if (config.password !== 'secret') throw new UnauthorizedError('login failed: incorrect username or password');
          return { Status: 'Login Succeeded' };
        },
        async dataUsage(types) {
          self.record('system.dataUsage', types);
          return { LayersSize: 0, Images: [], Containers: [], Volumes: [], BuildCache: [] };
        },
        async info() {
          self.record('system.info');
          const running = [...self.containers.values()].filter((c) => c.status === 'running').length;
          const info: SystemInfo = {
            ID: 'FAKE:ENGINE',
            Containers: self.containers.size,
            ContainersRunning: running,
            ContainersPaused: 0,
            ContainersStopped: self.containers.size - running,
            Images: self.images.size,
            Driver: 'overlay',
            DriverStatus: [['Backing Filesystem', 'extfs']],
            Plugins: { Volume: ['local'], Network: ['bridge'], Authorization: null, Log: ['json-file'] },
            MemoryLimit: true,
            SwapLimit: false,
            CpuCfsPeriod: true,
            CpuCfsQuota: true,
            CPUShares: true,
            CPUSet: true,
            PidsLimit: true,
            IPv4Forwarding: false,
            Debug: false,
            NFd: 10,
            OomKillDisable: false,
            NGoroutines: 1,
            SystemTime: new Date().toISOString(),
            LoggingDriver: 'json-file',
            CgroupDriver: 'cgroupfs',
            CgroupVersion: '1',
            NEventsListener: self.eventListeners.size,
            KernelVersion: '6.1.0',
            OperatingSystem: 'berth fake engine',
            OSVersion: '',
            OSType: 'linux',
            Architecture: 'x86_64',
            NCPU: 2,
            MemTotal: 2 * 1024 ** 3,
            IndexServerAddress: '',
            DockerRootDir: '/var/lib/berth',
            HttpProxy: '',
            HttpsProxy: '',
            NoProxy: '',
            Name: 'fakehost',
            Labels: [],
            ExperimentalBuild: false,
            ServerVersion: '0.1.0-fake',
            Runtimes: { runc: { path: 'runc' } },
            DefaultRuntime: 'runc',
            LiveRestoreEnabled: false,
            Isolation: '',
            InitBinary: '',
            SecurityOptions: [],
            Warnings: null,
          };
          return info;
        },
        async version() {
          self.record('system.version');
          const version: SystemVersion = {
            Platform: { Name: 'berth engine' },
            Components: [{ Name: 'Engine', Version: '0.1.0-fake' }],
            Version: '0.1.0-fake',
            GitCommit: 'fake',
            GoVersion: 'node',
            Os: 'linux',
            Arch: 'amd64',
            KernelVersion: '6.1.0',
            BuildTime: '2024-01-02T03:04:05Z',
          };
          return version;
        },
        async ping() {
          self.record('system.ping');
          if (self.pingError) throw self.pingError;
        },
        experimental: () => false,
        events(options: EventsOptions) {
          self.record('system.events', { filters: options.filters, since: options.since, until: options.until });
          self.lastSignal = options.signal;
          const matches = (e: EventMessage) => {
            const f = options.filters;
            if (f.type && !f.type.includes(e.Type)) return false;
            if (f.event && !f.event.includes(e.Action)) return false;
            if (f.container && !f.container.some((c) => c === e.Actor.ID || c === e.Actor.Attributes.name)) return false;
            return true;
          };
          // timeNano exceeds 2^53; rounding back to milliseconds undoes the float error.
          const ms = (e: EventMessage) => Math.round(e.timeNano / 1e6);
          const inRange = (e: EventMessage) =>
            (!options.since || ms(e) >= options.since.getTime()) && (!options.until || ms(e) <= options.until.getTime());
          const channel = new Channel<EventMessage>(options.signal);
          if (options.since) for (const e of self.events) if (inRange(e) && matches(e)) channel.push(e);
          if (options.until && options.until.getTime() <= Date.now()) {
            channel.end();
            return channel;
          }
          const live = new Channel<EventMessage>(options.signal);
          self.eventListeners.add(live);
          const timer = options.until ? setTimeout(() => live.end(), options.until.getTime() - Date.now()) : undefined;
          void (async () => {
            for await (const e of live) if (matches(e)) channel.push(e);
            self.eventListeners.delete(live);
            if (timer) clearTimeout(timer);
            channel.end();
          })();
          return channel;
        },
      },
    };
  }
}
