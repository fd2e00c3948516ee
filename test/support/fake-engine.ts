// An in-memory engine behind the EnginePort, for fast planner/executor/command tests. It keeps state
// the way a Docker Engine does where the compose engine can tell the difference (names unique,
// 404/409/304 answers, label filters, networks in use refuse removal, health and exit events) and
// records every call, so a test can assert "no engine writes" or the exact order of operations.
// It runs no processes: what a container "does" after start is a behaviour the test chooses
// (keep running, exit with a code, become healthy), and the test can drive it further by hand.

import { createHash } from 'node:crypto';
import { EventEmitter } from 'node:events';
import {
  EnginePortError,
  type ContainerCreateBody,
  type ContainerStats,
  type ContainerInspect,
  type ContainerSummary,
  type EndpointSettings,
  type EngineEvent,
  type EnginePort,
  type EngineVersion,
  type ExecCreateBody,
  type ExecInspect,
  type Filters,
  type ImageInspect,
  type ImageSummary,
  type NetworkCreateBody,
  type NetworkInspect,
  type OutputChunk,
  type VolumeCreateBody,
  type VolumeInspect,
} from '../../src/client/engine-port.js';

/** One recorded call: `container.create` on `app-web-1`. */
export interface FakeCall {
  op: string;
  target?: string;
}

/** Calls that change nothing; everything else counts as a write. */
const READ_OPS = new Set([
  'container.list', 'container.inspect', 'container.logs', 'container.wait', 'container.top', 'container.attach',
  'exec.inspect', 'network.list', 'network.inspect', 'volume.list', 'volume.inspect', 'image.list', 'image.inspect',
  'events', 'ping', 'version',
]);

/** What a container does once started. */
export interface FakeBehaviour {
  /** Exit with this code right after starting (a one-shot job). */
  exitCode?: number;
  /** Health reported after start when the container has a healthcheck: default `healthy`. */
  health?: 'healthy' | 'unhealthy' | 'starting';
  /** Lines written to stdout on start. */
  output?: string[];
}

export interface FakeContainer {
  Id: string;
  Name: string;
  Created: number;
  body: ContainerCreateBody;
  status: 'created' | 'running' | 'paused' | 'exited' | 'dead';
  exitCode: number;
  health: 'none' | 'starting' | 'healthy' | 'unhealthy';
  startedAt: string;
  finishedAt: string;
  networks: Record<string, EndpointSettings>;
  restartCount: number;
  log: { stream: 'stdout' | 'stderr'; data: Buffer }[];
  /** The image's id when the container was made (a later pull moves the tag, not the container). */
  imageId?: string;
}

export interface FakeEngineOptions {
  /** Image references present from the start (`busybox:latest`, `berth/host:latest`). */
  images?: string[];
  /**
   * What the fake registry serves: reference → a version string; a pull of it creates (or, when
   * the version changed, replaces) the image. A reference not listed fails to pull (404).
   */
  registry?: Record<string, string>;
  /** Milliseconds since the epoch; inject to make timestamps deterministic. */
  now?: () => number;
  /** Decides each container's behaviour at start; default: keeps running, becomes healthy. */
  behaviour?: (c: FakeContainer) => FakeBehaviour | undefined;
  /** Whether networks and volumes exist (the built-in engine before `net`/`vol` had neither). */
  networks?: boolean;
  volumes?: boolean;
  /** Like berth's engine and Docker API ≥ 1.44: a create attaches every network it names. */
  createsWithAllNetworks?: boolean;
}

interface FakeNetwork {
  inspect: NetworkInspect;
}

interface FakeExec {
  id: string;
  containerId: string;
  body: ExecCreateBody;
  running: boolean;
  exitCode: number | null;
}

const notFound = (op: string, target: string, what: string): EnginePortError => new EnginePortError(op, target, 404, `No such ${what}: ${target}`);
const conflict = (op: string, target: string, msg: string): EnginePortError => new EnginePortError(op, target, 409, msg);

function hex(n: number, seed: string): string {
  return createHash('sha256').update(seed).digest('hex').slice(0, n);
}

function normaliseRef(ref: string): string {
  const lastSlash = ref.lastIndexOf('/');
  return ref.indexOf(':', lastSlash + 1) >= 0 || ref.includes('@') ? ref : `${ref}:latest`;
}

export class FakeEngine implements EnginePort {
  readonly description = 'fake engine';
  readonly createsWithAllNetworks: boolean;
  readonly calls: FakeCall[] = [];
  readonly store = {
    containers: new Map<string, FakeContainer>(),
    networks: new Map<string, FakeNetwork>(),
    volumes: new Map<string, VolumeInspect>(),
    images: new Map<string, { id: string; tags: string[]; lastTagTime?: string; digests?: string[] }>(),
    execs: new Map<string, FakeExec>(),
  };
  private readonly bus = new EventEmitter();
  private readonly history: EngineEvent[] = [];
  private seq = 0;
  private readonly now: () => number;
  behaviour: (c: FakeContainer) => FakeBehaviour | undefined;
  readonly supportsNetworks: boolean;
  readonly supportsVolumes: boolean;
  /** The fake registry (see FakeEngineOptions.registry); tests may change it between calls. */
  readonly registry: Record<string, string>;
  /** What pushes sent: reference → image id. */
  readonly pushed = new Map<string, string>();

  constructor(options: FakeEngineOptions = {}) {
    this.now = options.now ?? Date.now;
    this.behaviour = options.behaviour ?? (() => undefined);
    this.supportsNetworks = options.networks ?? true;
    this.supportsVolumes = options.volumes ?? true;
    this.createsWithAllNetworks = options.createsWithAllNetworks ?? false;
    this.registry = { ...(options.registry ?? {}) };
    this.bus.setMaxListeners(0);
    for (const ref of options.images ?? []) this.addImage(ref);
    if (this.supportsNetworks) {
      for (const name of ['bridge', 'host', 'none']) this.addNetwork({ Name: name, Driver: name === 'bridge' ? 'bridge' : name });
    }
  }

  // -------------------------------------------------------------------------------------------
  // Test controls

  /** Calls that changed something, in order. */
  writes(): FakeCall[] {
    return this.calls.filter((c) => !READ_OPS.has(c.op));
  }

  /** `op target` per write, for compact assertions. */
  writeLog(): string[] {
    return this.writes().map((c) => `${c.op}${c.target ? ` ${c.target}` : ''}`);
  }

  resetCalls(): void {
    this.calls.length = 0;
  }

  addImage(ref: string): string {
    const tag = normaliseRef(ref);
    const id = `sha256:${hex(64, tag)}`;
    this.store.images.set(id, { id, tags: [tag] });
    return id;
  }

  /** The container by id, id prefix or name. */
  container(ref: string): FakeContainer | undefined {
    const byId = this.store.containers.get(ref);
    if (byId) return byId;
    const name = ref.replace(/^\//, '');
    for (const c of this.store.containers.values()) if (c.Name === name || (ref.length >= 12 && c.Id.startsWith(ref))) return c;
    return undefined;
  }

  /** The container exits with `code` (as if its process ended). */
  exit(ref: string, code: number): void {
    const c = this.mustContainer('test.exit', ref);
    if (c.status !== 'running' && c.status !== 'paused') return;
    c.status = 'exited';
    c.exitCode = code;
    c.finishedAt = new Date(this.now()).toISOString();
    this.emit('container', 'die', c.Id, { ...this.attrs(c), exitCode: String(code) });
    this.bus.emit(`exit:${c.Id}`);
  }

  setHealth(ref: string, health: 'starting' | 'healthy' | 'unhealthy'): void {
    const c = this.mustContainer('test.health', ref);
    if (c.health === health) return;
    c.health = health;
    this.emit('container', `health_status: ${health}`, c.Id, this.attrs(c));
  }

  /** The container writes a line (followers of its logs see it). */
  write(ref: string, stream: 'stdout' | 'stderr', text: string): void {
    const c = this.mustContainer('test.write', ref);
    const chunk = { stream, data: Buffer.from(text) };
    c.log.push(chunk);
    this.bus.emit(`log:${c.Id}`, chunk);
  }

  // -------------------------------------------------------------------------------------------
  // Internals

  private record(op: string, target?: string): void {
    this.calls.push(target === undefined ? { op } : { op, target });
  }

  private nextId(seed: string): string {
    return hex(64, `${seed}#${++this.seq}`);
  }

  private emit(type: string, action: string, id: string, attributes: Record<string, string>): void {
    const ms = this.now();
    const event: EngineEvent = { Type: type, Action: action, Actor: { ID: id, Attributes: attributes }, scope: 'local', time: Math.floor(ms / 1000), timeNano: ms * 1e6 };
    this.history.push(event);
    this.bus.emit('event', event);
  }

  private attrs(c: FakeContainer): Record<string, string> {
    return { ...(c.body.Labels ?? {}), name: c.Name, image: c.body.Image ?? '' };
  }

  private mustContainer(op: string, ref: string): FakeContainer {
    const c = this.container(ref);
    if (!c) throw notFound(op, ref, 'container');
    return c;
  }

  private findImage(ref: string): { id: string; tags: string[]; lastTagTime?: string; digests?: string[] } | undefined {
    if (this.store.images.has(ref)) return this.store.images.get(ref);
    const tag = normaliseRef(ref);
    for (const img of this.store.images.values()) if (img.tags.includes(tag) || img.id.startsWith(`sha256:${ref}`)) return img;
    return undefined;
  }

  private findNetwork(ref: string): FakeNetwork | undefined {
    for (const n of this.store.networks.values()) if (n.inspect.Id === ref || n.inspect.Name === ref || (ref.length >= 12 && n.inspect.Id.startsWith(ref))) return n;
    return undefined;
  }

  private addNetwork(body: NetworkCreateBody): string {
    const Id = this.nextId(`net:${body.Name}`);
    this.store.networks.set(Id, {
      inspect: {
        Name: body.Name,
        Id,
        Created: new Date(this.now()).toISOString(),
        Scope: 'local',
        Driver: body.Driver ?? 'bridge',
        EnableIPv6: body.EnableIPv6 ?? false,
        IPAM: body.IPAM ?? { Driver: 'default', Config: [] },
        Internal: body.Internal ?? false,
        Attachable: body.Attachable ?? false,
        Ingress: false,
        ConfigOnly: false,
        Containers: {},
        Options: body.Options ?? {},
        Labels: body.Labels ?? {},
      },
    });
    return Id;
  }

  private matchesLabels(labels: Record<string, string>, wanted: string[] | undefined): boolean {
    return (wanted ?? []).every((l) => {
      const eq = l.indexOf('=');
      return eq < 0 ? l in labels : labels[l.slice(0, eq)] === l.slice(eq + 1);
    });
  }

  private summary(c: FakeContainer): ContainerSummary {
    const health = c.health !== 'none' && c.status === 'running' ? ` (${c.health === 'starting' ? 'health: starting' : c.health})` : '';
    const status = c.status === 'running' ? `Up${health}` : c.status === 'exited' ? `Exited (${c.exitCode})` : c.status === 'paused' ? 'Up (Paused)' : 'Created';
    const image = (c.imageId ? this.store.images.get(c.imageId) ?? { id: c.imageId, tags: [] } : this.findImage(c.body.Image ?? ''));
    return {
      Id: c.Id,
      Names: [`/${c.Name}`],
      Image: c.body.Image ?? '',
      ImageID: image?.id ?? '',
      Command: [...((c.body.Entrypoint as string[] | undefined) ?? []), ...(c.body.Cmd ?? [])].join(' '),
      Created: Math.floor(c.Created / 1000),
      Ports: Object.entries(c.body.HostConfig?.PortBindings ?? {}).flatMap(([key, bindings]) =>
        ((bindings as { HostIp?: string; HostPort?: string }[] | null) ?? []).map((b) => ({
          IP: b.HostIp || '0.0.0.0',
          PrivatePort: Number(key.split('/')[0]),
          PublicPort: Number(b.HostPort),
          Type: key.split('/')[1] ?? 'tcp',
        })),
      ),
      Labels: { ...(c.body.Labels ?? {}) },
      State: c.status,
      Status: status,
      HostConfig: { NetworkMode: c.body.HostConfig?.NetworkMode ?? 'default' },
      NetworkSettings: { Networks: Object.fromEntries(Object.entries(c.networks).map(([k, v]) => [k, { NetworkID: v.NetworkID ?? '', EndpointID: '', Gateway: '', IPAddress: '', IPPrefixLen: 0, IPv6Gateway: '', GlobalIPv6Address: '', GlobalIPv6PrefixLen: 0, MacAddress: '', Aliases: v.Aliases }])) },
      Mounts: ((c.body.HostConfig?.Mounts ?? []) as { Type: string; Source?: string; Target: string; ReadOnly?: boolean }[]).map((m) => ({
        Type: m.Type,
        ...(m.Type === 'volume' ? { Name: m.Source ?? '' } : {}),
        Source: m.Source ?? '',
        Destination: m.Target,
        Mode: '',
        RW: !m.ReadOnly,
        Propagation: '',
      })),
    };
  }

  private inspectOf(c: FakeContainer): ContainerInspect {
    const image = (c.imageId ? this.store.images.get(c.imageId) ?? { id: c.imageId, tags: [] } : this.findImage(c.body.Image ?? ''));
    return {
      Id: c.Id,
      Created: new Date(c.Created).toISOString(),
      Path: ((c.body.Entrypoint as string[] | undefined) ?? c.body.Cmd ?? [''])[0] ?? '',
      Args: [],
      State: {
        Status: c.status,
        Running: c.status === 'running' || c.status === 'paused',
        Paused: c.status === 'paused',
        Restarting: false,
        OOMKilled: false,
        Dead: c.status === 'dead',
        Pid: c.status === 'running' ? 1000 + (this.seq % 1000) : 0,
        ExitCode: c.exitCode,
        Error: '',
        StartedAt: c.startedAt,
        FinishedAt: c.finishedAt,
        ...(c.health !== 'none' ? { Health: { Status: c.health, FailingStreak: 0, Log: [] } } : {}),
      },
      Image: image?.id ?? '',
      ResolvConfPath: '',
      HostnamePath: '',
      HostsPath: '',
      LogPath: '',
      Name: `/${c.Name}`,
      RestartCount: c.restartCount,
      Driver: 'fake',
      Platform: 'linux',
      MountLabel: '',
      ProcessLabel: '',
      AppArmorProfile: '',
      HostConfig: (c.body.HostConfig ?? {}) as ContainerInspect['HostConfig'],
      GraphDriver: { Name: 'fake', Data: { DeviceId: '', DeviceName: '', DeviceSize: '' } },
      Mounts: ((c.body.HostConfig?.Mounts ?? []) as { Type: string; Source?: string; Target: string; ReadOnly?: boolean }[]).map((m) => ({
        Type: m.Type,
        ...(m.Type === 'volume' ? { Name: m.Source ?? '' } : {}),
        Source: m.Source ?? '',
        Destination: m.Target,
        Mode: '',
        RW: !m.ReadOnly,
        Propagation: '',
      })),
      Config: {
        Hostname: c.body.Hostname ?? c.Id.slice(0, 12),
        Domainname: '',
        User: c.body.User ?? '',
        AttachStdin: false,
        AttachStdout: false,
        AttachStderr: false,
        ExposedPorts: c.body.ExposedPorts ?? {},
        Tty: c.body.Tty ?? false,
        OpenStdin: c.body.OpenStdin ?? false,
        StdinOnce: false,
        Env: c.body.Env ?? [],
        Cmd: c.body.Cmd ?? [],
        Image: c.body.Image ?? '',
        Volumes: {},
        WorkingDir: c.body.WorkingDir ?? '',
        Entrypoint: (c.body.Entrypoint as string[] | undefined) ?? undefined,
        OnBuild: undefined,
        Labels: { ...(c.body.Labels ?? {}) },
        ...(c.body.Healthcheck ? { Healthcheck: c.body.Healthcheck } : {}),
        ...(c.body.StopSignal ? { StopSignal: c.body.StopSignal } : {}),
      } as ContainerInspect['Config'],
      NetworkSettings: {
        Bridge: '',
        SandboxID: '',
        HairpinMode: false,
        LinkLocalIPv6Address: '',
        LinkLocalIPv6PrefixLen: 0,
        Ports: {},
        SandboxKey: '',
        SecondaryIPAddresses: null,
        SecondaryIPv6Addresses: null,
        EndpointID: '',
        Gateway: '',
        GlobalIPv6Address: '',
        GlobalIPv6PrefixLen: 0,
        IPAddress: '',
        IPPrefixLen: 0,
        IPv6Gateway: '',
        MacAddress: '',
        Networks: Object.fromEntries(Object.entries(c.networks).map(([k, v]) => [k, { IPAMConfig: null, Links: null, Aliases: v.Aliases ?? null, NetworkID: v.NetworkID ?? '', EndpointID: '', Gateway: '', IPAddress: '', IPPrefixLen: 0, IPv6Gateway: '', GlobalIPv6Address: '', GlobalIPv6PrefixLen: 0, MacAddress: '' }])),
      } as unknown as ContainerInspect['NetworkSettings'],
    } as ContainerInspect;
  }

  private attach(c: FakeContainer, network: string, endpoint: EndpointSettings | undefined): void {
    const n = this.findNetwork(network);
    if (!n) throw notFound('network.connect', network, 'network');
    c.networks[n.inspect.Name] = { ...(endpoint ?? {}), NetworkID: n.inspect.Id };
    n.inspect.Containers = { ...(n.inspect.Containers ?? {}), [c.Id]: { Name: c.Name, EndpointID: '', MacAddress: '', IPv4Address: '', IPv6Address: '' } };
  }

  private detach(c: FakeContainer, network: string): void {
    const n = this.findNetwork(network);
    if (!n) return;
    delete c.networks[n.inspect.Name];
    delete n.inspect.Containers?.[c.Id];
  }

  private startContainer(c: FakeContainer): void {
    c.status = 'running';
    c.exitCode = 0;
    c.startedAt = new Date(this.now()).toISOString();
    const hasHealthcheck = Boolean(c.body.Healthcheck?.Test?.length && c.body.Healthcheck.Test[0] !== 'NONE');
    c.health = hasHealthcheck ? 'starting' : 'none';
    this.emit('container', 'start', c.Id, this.attrs(c));
    const behaviour = this.behaviour(c) ?? {};
    for (const line of behaviour.output ?? []) this.write(c.Id, 'stdout', line.endsWith('\n') ? line : `${line}\n`);
    if (behaviour.exitCode !== undefined) {
      this.exit(c.Id, behaviour.exitCode);
      return;
    }
    if (hasHealthcheck) {
      const health = behaviour.health ?? 'healthy';
      if (health !== 'starting') this.setHealth(c.Id, health);
    }
  }

  private stopContainer(c: FakeContainer, code: number): void {
    if (c.status !== 'running' && c.status !== 'paused') throw new EnginePortError('container.stop', c.Name, 304, 'container already stopped');
    this.emit('container', 'kill', c.Id, this.attrs(c));
    this.exit(c.Id, code);
    this.emit('container', 'stop', c.Id, this.attrs(c));
  }

  // -------------------------------------------------------------------------------------------
  // The port

  readonly containers: EnginePort['containers'] = {
    list: async (o = {}) => {
      this.record('container.list');
      const f: Filters = o.filters ?? {};
      return [...this.store.containers.values()]
        .filter((c) => (o.all ? true : c.status === 'running' || c.status === 'paused'))
        .filter((c) => this.matchesLabels(c.body.Labels ?? {}, f.label))
        .filter((c) => !f.name || f.name.some((n) => c.Name.includes(n.replace(/^\//, ''))))
        .filter((c) => !f.status || f.status.includes(c.status))
        .filter((c) => !f.id || f.id.some((id) => c.Id.startsWith(id)))
        .sort((a, b) => b.Created - a.Created || (a.Name < b.Name ? -1 : 1))
        .map((c) => this.summary(c));
    },
    inspect: async (id) => {
      this.record('container.inspect', id);
      return this.inspectOf(this.mustContainer('container.inspect', id));
    },
    create: async (name, body) => {
      this.record('container.create', name);
      if (!body.Image || !this.findImage(body.Image)) throw notFound('container.create', name, `image: ${body.Image}`);
      if (name && this.container(name)) throw conflict('container.create', name, `Conflict. The container name "/${name}" is already in use`);
      const Id = this.nextId(`container:${name}`);
      const c: FakeContainer = {
        Id,
        Name: name || `fake_${this.seq}`,
        Created: this.now(),
        body: structuredClone(body),
        imageId: this.findImage(body.Image)?.id,
        status: 'created',
        exitCode: 0,
        health: 'none',
        startedAt: '0001-01-01T00:00:00Z',
        finishedAt: '0001-01-01T00:00:00Z',
        networks: {},
        restartCount: 0,
        log: [],
      };
      const mode = body.HostConfig?.NetworkMode ?? '';
      for (const ref of [mode, body.HostConfig?.IpcMode ?? '', body.HostConfig?.PidMode ?? '']) {
        if (ref.startsWith('container:') && !this.container(ref.slice('container:'.length))) throw notFound('container.create', name, `container: ${ref.slice(10)}`);
      }
      if (this.supportsNetworks) {
        const endpoints = body.NetworkingConfig?.EndpointsConfig ?? {};
        const wanted = Object.keys(endpoints).length ? Object.keys(endpoints) : mode && !mode.startsWith('container:') && mode !== 'default' ? [mode] : mode.startsWith('container:') ? [] : ['bridge'];
        for (const net of wanted) if (!this.findNetwork(net)) throw notFound('container.create', name, `network: ${net}`);
        for (const net of wanted) this.attach(c, net, endpoints[net]);
      }
      // Anonymous volumes get a generated name at create, as on Docker.
      for (const m of (c.body.HostConfig?.Mounts ?? []) as { Type: string; Source?: string }[]) {
        if (m.Type !== 'volume') continue;
        if (!m.Source) {
          if (!this.supportsVolumes) continue;
          m.Source = this.nextId('anon');
          this.store.volumes.set(m.Source, { Name: m.Source, Driver: 'local', Mountpoint: `/fake/volumes/${m.Source}/_data`, Labels: { 'com.docker.volume.anonymous': '' }, Scope: 'local', Options: null });
        } else if (this.supportsVolumes && !this.store.volumes.has(m.Source)) {
          this.store.volumes.set(m.Source, { Name: m.Source, Driver: 'local', Mountpoint: `/fake/volumes/${m.Source}/_data`, Labels: {}, Scope: 'local', Options: null });
        }
      }
      this.store.containers.set(Id, c);
      this.emit('container', 'create', Id, this.attrs(c));
      return { Id, Warnings: [] };
    },
    start: async (id) => {
      this.record('container.start', id);
      const c = this.mustContainer('container.start', id);
      if (c.status === 'running' || c.status === 'paused') return;
      for (const ref of [c.body.HostConfig?.NetworkMode ?? '', c.body.HostConfig?.IpcMode ?? '', c.body.HostConfig?.PidMode ?? '']) {
        if (!ref.startsWith('container:')) continue;
        const parent = this.container(ref.slice('container:'.length));
        if (!parent || parent.status !== 'running') throw conflict('container.start', id, `cannot join namespace of a non running container: ${ref.slice(10)}`);
      }
      this.startContainer(c);
    },
    stop: async (id) => {
      this.record('container.stop', id);
      const c = this.mustContainer('container.stop', id);
      if (c.status !== 'running' && c.status !== 'paused') return;
      this.stopContainer(c, 0);
    },
    kill: async (id, signal) => {
      this.record('container.kill', id);
      const c = this.mustContainer('container.kill', id);
      if (c.status !== 'running') throw conflict('container.kill', id, `Container ${c.Id} is not running`);
      this.emit('container', 'kill', c.Id, { ...this.attrs(c), signal: signal ?? 'SIGKILL' });
      this.exit(c.Id, 137);
    },
    restart: async (id) => {
      this.record('container.restart', id);
      const c = this.mustContainer('container.restart', id);
      if (c.status === 'running' || c.status === 'paused') this.stopContainer(c, 0);
      c.restartCount++;
      this.startContainer(c);
      this.emit('container', 'restart', c.Id, this.attrs(c));
    },
    remove: async (id, o = {}) => {
      this.record('container.remove', id);
      const c = this.mustContainer('container.remove', id);
      if ((c.status === 'running' || c.status === 'paused') && !o.force) {
        throw conflict('container.remove', id, `cannot remove container "/${c.Name}": container is running: stop the container before removing or force remove`);
      }
      if (c.status === 'running' || c.status === 'paused') this.exit(c.Id, 137);
      for (const net of Object.keys(c.networks)) this.detach(c, net);
      if (o.volumes) {
        for (const m of (c.body.HostConfig?.Mounts ?? []) as { Type: string; Source?: string }[]) {
          if (m.Type === 'volume' && m.Source && this.store.volumes.get(m.Source)?.Labels?.['com.docker.volume.anonymous'] !== undefined) this.store.volumes.delete(m.Source);
        }
      }
      this.store.containers.delete(c.Id);
      this.emit('container', 'destroy', c.Id, this.attrs(c));
      this.bus.emit(`removed:${c.Id}`);
    },
    wait: async (id, condition = 'not-running', signal) => {
      this.record('container.wait', id);
      const c = this.mustContainer('container.wait', id);
      const done = (): boolean => (condition === 'removed' ? !this.store.containers.has(c.Id) : condition === 'not-running' && c.status !== 'running' && c.status !== 'paused');
      if (done()) return { StatusCode: c.exitCode };
      await new Promise<void>((resolve, reject) => {
        const key = condition === 'removed' ? `removed:${c.Id}` : `exit:${c.Id}`;
        const onAbort = (): void => {
          this.bus.off(key, finish);
          reject(new EnginePortError('container.wait', id, 0, 'aborted'));
        };
        const finish = (): void => {
          signal?.removeEventListener('abort', onAbort);
          resolve();
        };
        this.bus.once(key, finish);
        signal?.addEventListener('abort', onAbort, { once: true });
      });
      return { StatusCode: c.exitCode };
    },
    logs: (id, o = {}) => this.logStream('container.logs', id, Boolean(o.follow), o.signal, true),
    attach: async (id, o = {}) => this.logStream('container.attach', id, true, o.signal, o.logs ?? false),
    pause: async (id) => {
      this.record('container.pause', id);
      const c = this.mustContainer('container.pause', id);
      if (c.status !== 'running') throw conflict('container.pause', id, `Container ${c.Id} is not running`);
      c.status = 'paused';
      this.emit('container', 'pause', c.Id, this.attrs(c));
    },
    unpause: async (id) => {
      this.record('container.unpause', id);
      const c = this.mustContainer('container.unpause', id);
      if (c.status !== 'paused') throw conflict('container.unpause', id, `Container ${c.Id} is not paused`);
      c.status = 'running';
      this.emit('container', 'unpause', c.Id, this.attrs(c));
    },
    top: async (id) => {
      this.record('container.top', id);
      const c = this.mustContainer('container.top', id);
      if (c.status !== 'running') throw conflict('container.top', id, `Container ${c.Id} is not running`);
      return { Titles: ['PID', 'CMD'], Processes: [['1', [...((c.body.Entrypoint as string[] | undefined) ?? []), ...(c.body.Cmd ?? [])].join(' ')]] };
    },
    stats: async (id) => {
      this.record('container.stats', id);
      const c = this.mustContainer('container.stats', id);
      const running = c.status === 'running' || c.status === 'paused';
      const memory = running ? { usage: 8 << 20, limit: 1 << 30, stats: { total_inactive_file: 1 << 20 } } : {};
      return { read: new Date(this.now()).toISOString(), memory_stats: memory, cpu_stats: { cpu_usage: { total_usage: running ? 1_000_000 : 0 } } } as unknown as ContainerStats;
    },
    rename: async (id, newName) => {
      this.record('container.rename', id);
      const c = this.mustContainer('container.rename', id);
      if (this.container(newName)) throw conflict('container.rename', id, `Conflict. The container name "/${newName}" is already in use`);
      c.Name = newName;
      this.emit('container', 'rename', c.Id, this.attrs(c));
    },
    statsStream: (id, signal) => {
      const self = this;
      return (async function* () {
        while (!signal?.aborted) {
          yield await self.containers.stats(id);
          await new Promise((r) => setTimeout(r, 10));
        }
      })();
    },
    putArchive: async (id) => {
      this.record('container.putArchive', id);
      this.mustContainer('container.putArchive', id);
    },
    // No filesystem here: the archive API tests use the API fake backend (test/support/api-fake-backend.ts).
    archiveStat: async (id, path) => {
      this.record('container.archiveStat', id);
      this.mustContainer('container.archiveStat', id);
      throw new EnginePortError('container.archiveStat', `${id}:${path}`, 404, `Could not find the file ${path} in container ${id}`);
    },
    getArchive: async (id, path) => {
      this.record('container.getArchive', id);
      this.mustContainer('container.getArchive', id);
      throw new EnginePortError('container.getArchive', `${id}:${path}`, 404, `Could not find the file ${path} in container ${id}`);
    },
  };

  private logStream(op: string, id: string, follow: boolean, signal: AbortSignal | undefined, replay: boolean): AsyncIterable<OutputChunk> {
    this.record(op, id);
    const c = this.mustContainer(op, id);
    const bus = this.bus;
    return (async function* () {
      if (replay) for (const chunk of [...c.log]) yield chunk;
      if (!follow || c.status !== 'running') return;
      const queue: (OutputChunk | null)[] = [];
      let wake: (() => void) | undefined;
      const onLog = (chunk: OutputChunk): void => {
        queue.push(chunk);
        wake?.();
      };
      const onEnd = (): void => {
        queue.push(null);
        wake?.();
      };
      bus.on(`log:${c.Id}`, onLog);
      bus.once(`exit:${c.Id}`, onEnd);
      signal?.addEventListener('abort', onEnd, { once: true });
      try {
        for (;;) {
          while (queue.length) {
            const next = queue.shift()!;
            if (next === null) return;
            yield next;
          }
          await new Promise<void>((r) => (wake = r));
        }
      } finally {
        bus.off(`log:${c.Id}`, onLog);
        bus.off(`exit:${c.Id}`, onEnd);
        signal?.removeEventListener('abort', onEnd);
      }
    })();
  }

  readonly exec: EnginePort['exec'] = {
    create: async (containerId, body) => {
      this.record('exec.create', containerId);
      const c = this.mustContainer('exec.create', containerId);
      if (c.status !== 'running') throw conflict('exec.create', containerId, `Container ${c.Id} is not running`);
      const id = this.nextId(`exec:${containerId}`);
      this.store.execs.set(id, { id, containerId: c.Id, body, running: false, exitCode: null });
      return { Id: id };
    },
    start: async (execId) => {
      this.record('exec.start', execId);
      const e = this.store.execs.get(execId);
      if (!e) throw notFound('exec.start', execId, 'exec instance');
      // A fake process: it runs and exits 0 at once.
      e.running = false;
      e.exitCode = 0;
      return (async function* () {})();
    },
    inspect: async (execId): Promise<ExecInspect> => {
      this.record('exec.inspect', execId);
      const e = this.store.execs.get(execId);
      if (!e) throw notFound('exec.inspect', execId, 'exec instance');
      return {
        CanRemove: false,
        DetachKeys: '',
        ID: e.id,
        Running: e.running,
        ExitCode: e.exitCode,
        ProcessConfig: { privileged: false, user: e.body.User ?? '', tty: e.body.Tty ?? false, entrypoint: e.body.Cmd?.[0] ?? '', arguments: e.body.Cmd?.slice(1) ?? [] },
        OpenStdin: false,
        OpenStderr: true,
        OpenStdout: true,
        ContainerID: e.containerId,
        Pid: 0,
      };
    },
  };

  private requireNetworks(op: string): void {
    if (!this.supportsNetworks) throw new EnginePortError(op, undefined, 404, 'page not found');
  }

  private requireVolumes(op: string): void {
    if (!this.supportsVolumes) throw new EnginePortError(op, undefined, 404, 'page not found');
  }

  readonly networks: EnginePort['networks'] = {
    list: async (filters = {}) => {
      this.record('network.list');
      this.requireNetworks('network.list');
      return [...this.store.networks.values()]
        .map((n) => n.inspect)
        .filter((n) => this.matchesLabels(n.Labels ?? {}, filters.label))
        .filter((n) => !filters.name || filters.name.some((x) => n.Name.includes(x)))
        .map((n) => structuredClone(n));
    },
    inspect: async (id) => {
      this.record('network.inspect', id);
      this.requireNetworks('network.inspect');
      const n = this.findNetwork(id);
      if (!n) throw notFound('network.inspect', id, 'network');
      return structuredClone(n.inspect);
    },
    create: async (body) => {
      this.record('network.create', body.Name);
      this.requireNetworks('network.create');
      if (this.findNetwork(body.Name)) throw conflict('network.create', body.Name, `network with name ${body.Name} already exists`);
      const Id = this.addNetwork(body);
      this.emit('network', 'create', Id, { name: body.Name, type: body.Driver ?? 'bridge' });
      return { Id };
    },
    remove: async (id) => {
      this.record('network.remove', id);
      this.requireNetworks('network.remove');
      const n = this.findNetwork(id);
      if (!n) throw notFound('network.remove', id, 'network');
      if (Object.keys(n.inspect.Containers ?? {}).length) throw new EnginePortError('network.remove', id, 403, `error while removing network: network ${n.inspect.Name} id ${n.inspect.Id} has active endpoints`);
      this.store.networks.delete(n.inspect.Id);
      this.emit('network', 'destroy', n.inspect.Id, { name: n.inspect.Name });
    },
    connect: async (network, container, endpoint) => {
      this.record('network.connect', `${network} ${container}`);
      this.requireNetworks('network.connect');
      this.attach(this.mustContainer('network.connect', container), network, endpoint);
    },
    disconnect: async (network, container) => {
      this.record('network.disconnect', `${network} ${container}`);
      this.requireNetworks('network.disconnect');
      this.detach(this.mustContainer('network.disconnect', container), network);
    },
  };

  readonly volumes: EnginePort['volumes'] = {
    list: async (filters = {}) => {
      this.record('volume.list');
      this.requireVolumes('volume.list');
      return [...this.store.volumes.values()].filter((v) => this.matchesLabels(v.Labels ?? {}, filters.label)).map((v) => structuredClone(v));
    },
    inspect: async (name) => {
      this.record('volume.inspect', name);
      this.requireVolumes('volume.inspect');
      const v = this.store.volumes.get(name);
      if (!v) throw notFound('volume.inspect', name, 'volume');
      return structuredClone(v);
    },
    create: async (body: VolumeCreateBody) => {
      const name = body.Name || this.nextId('volume');
      this.record('volume.create', name);
      this.requireVolumes('volume.create');
      const existing = this.store.volumes.get(name);
      if (existing) return structuredClone(existing);
      const v: VolumeInspect = { Name: name, Driver: body.Driver ?? 'local', Mountpoint: `/fake/volumes/${name}/_data`, Labels: body.Labels ?? {}, Scope: 'local', Options: body.DriverOpts ?? null };
      this.store.volumes.set(name, v);
      this.emit('volume', 'create', name, { driver: v.Driver });
      return structuredClone(v);
    },
    remove: async (name) => {
      this.record('volume.remove', name);
      this.requireVolumes('volume.remove');
      if (!this.store.volumes.has(name)) throw notFound('volume.remove', name, 'volume');
      for (const c of this.store.containers.values()) {
        if (((c.body.HostConfig?.Mounts ?? []) as { Type: string; Source?: string }[]).some((m) => m.Type === 'volume' && m.Source === name)) {
          throw conflict('volume.remove', name, `remove ${name}: volume is in use - [${c.Id}]`);
        }
      }
      this.store.volumes.delete(name);
      this.emit('volume', 'destroy', name, {});
    },
  };

  readonly images: EnginePort['images'] = {
    list: async (filters = {}): Promise<ImageSummary[]> => {
      this.record('image.list');
      return [...this.store.images.values()]
        .filter((i) => !filters.reference || filters.reference.some((r) => i.tags.includes(normaliseRef(r))))
        .map((i) => ({ Id: i.id, ParentId: '', RepoTags: [...i.tags], RepoDigests: [], Created: 0, Size: 0, VirtualSize: 0, SharedSize: 0, Labels: {}, Containers: 0 }));
    },
    inspect: async (name): Promise<ImageInspect> => {
      this.record('image.inspect', name);
      const i = this.findImage(name);
      if (!i) throw notFound('image.inspect', name, `image: ${name}`);
      return { Metadata: { LastTagTime: i.lastTagTime ?? '0001-01-01T00:00:00Z' }, Id: i.id, RepoTags: [...i.tags], RepoDigests: [...(i.digests ?? [])], Parent: '', Comment: '', Created: new Date(0).toISOString(), Container: '', ContainerConfig: {}, DockerVersion: '', Author: '', Config: { Cmd: ['sh'] }, Architecture: 'amd64', Os: 'linux', Size: 0, VirtualSize: 0, GraphDriver: { Name: 'fake', Data: {} }, RootFS: { Type: 'layers', Layers: [] } } as unknown as ImageInspect;
    },
    remove: async (name) => {
      this.record('image.remove', name);
      const i = this.findImage(name);
      if (!i) throw notFound('image.remove', name, `image: ${name}`);
      for (const c of this.store.containers.values()) {
        if ((c.imageId ? this.store.images.get(c.imageId) ?? { id: c.imageId, tags: [] } : this.findImage(c.body.Image ?? ''))?.id === i.id) throw conflict('image.remove', name, `conflict: unable to remove repository reference "${name}" (must force) - container ${c.Id.slice(0, 12)} is using its referenced image`);
      }
      this.store.images.delete(i.id);
      this.emit('image', 'delete', i.id, { name });
    },
    pull: async (ref, o = {}) => {
      this.record('image.pull', ref);
      const tag = normaliseRef(ref);
      const version = this.registry[tag] ?? this.registry[ref];
      if (version === undefined) throw new EnginePortError('image.pull', ref, 404, `manifest for ${ref} not found: manifest unknown`);
      const id = `sha256:${hex(64, `${tag}@${version}`)}`;
      const digest = `sha256:${hex(64, `manifest ${tag}@${version}`)}`;
      const before = this.findImage(tag);
      o.onProgress?.({ status: `Pulling from ${tag}`, id: 'latest' });
      if (before?.id !== id) {
        o.onProgress?.({ id: id.slice(7, 19), status: 'Downloading', current: 1, total: 2 });
        o.onProgress?.({ id: id.slice(7, 19), status: 'Pull complete' });
      }
      if (before) before.tags = before.tags.filter((t) => t !== tag);
      const image = this.store.images.get(id) ?? { id, tags: [] };
      if (!image.tags.includes(tag)) image.tags.push(tag);
      image.lastTagTime = new Date(this.now()).toISOString();
      image.digests = [`${tag.slice(0, tag.lastIndexOf(':'))}@${digest}`];
      this.store.images.set(id, image);
      this.emit('image', 'pull', id, { name: tag });
      return { digest, updated: before?.id !== id };
    },
    registryDigest: async (ref) => {
      this.record('image.distribution', ref);
      const tag = normaliseRef(ref);
      const version = this.registry[tag] ?? this.registry[ref];
      if (version === undefined) throw new EnginePortError('image.distribution', ref, 404, `${ref}: manifest unknown`);
      return `sha256:${hex(64, `manifest ${tag}@${version}`)}`;
    },
    push: async (ref) => {
      this.record('image.push', ref);
      const i = this.findImage(ref);
      if (!i) throw notFound('image.push', ref, `image: ${ref}`);
      this.pushed.set(normaliseRef(ref), i.id);
      return { digest: `sha256:${hex(64, `pushed ${i.id}`)}` };
    },
    build: async (req, onEvent) => {
      this.record('image.build', req.tags[0]);
      this.builds.push(req);
      onEvent?.({ kind: 'step', number: 1, total: 1, text: 'FROM busybox' });
      onEvent?.({ kind: 'cached' });
      const id = this.addImage(req.tags[0] ?? `built-${this.builds.length}`);
      for (const t of req.tags.slice(1)) this.store.images.get(id)!.tags.push(normaliseRef(t));
      return { id };
    },
  };

  /** Build requests the fake received, in order. */
  readonly builds: import('../../src/client/engine-port.js').ImageBuildRequest[] = [];

  events(o: { filters?: Filters; since?: number; signal?: AbortSignal } = {}): AsyncIterable<EngineEvent> {
    this.record('events');
    const matches = (e: EngineEvent): boolean => {
      const f = o.filters ?? {};
      if (f.type && !f.type.includes(e.Type)) return false;
      if (f.event && !f.event.some((x) => e.Action === x || e.Action.startsWith(`${x}:`))) return false;
      if (f.container && !f.container.some((x) => e.Actor.ID.startsWith(x) || e.Actor.Attributes.name === x)) return false;
      return this.matchesLabels(e.Actor.Attributes, f.label);
    };
    const bus = this.bus;
    const replay = o.since !== undefined ? this.history.filter((e) => e.time >= o.since!) : [];
    const queue: EngineEvent[] = [];
    let wake: (() => void) | undefined;
    const onEvent = (e: EngineEvent): void => {
      queue.push(e);
      wake?.();
    };
    // Subscribed now, not at the first next(): events right after this call are not lost.
    bus.on('event', onEvent);
    const signal = o.signal;
    return (async function* () {
      const onAbort = (): void => wake?.();
      signal?.addEventListener('abort', onAbort, { once: true });
      try {
        for (const e of replay) if (matches(e)) yield e;
        while (!signal?.aborted) {
          while (queue.length && !signal?.aborted) {
            const e = queue.shift()!;
            if (matches(e)) yield e;
          }
          if (signal?.aborted) return;
          await new Promise<void>((r) => (wake = r));
        }
      } finally {
        bus.off('event', onEvent);
        signal?.removeEventListener('abort', onAbort);
      }
    })();
  }

  async ping(): Promise<void> {
    this.record('ping');
  }

  async version(): Promise<EngineVersion> {
    this.record('version');
    return { version: '0.0.0-fake', apiVersion: '1.43', flavour: 'docker', os: 'linux', arch: 'amd64' };
  }
}
