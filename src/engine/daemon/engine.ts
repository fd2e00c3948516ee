// BuiltinEngine: the real EngineBackend. It keeps one record per container (persisted atomically
// under <root>/records), runs containers through ContainerRunner (bundle, overlay, berth-shim),
// notices exits by polling the shim's status files (the shim, not this process, is the parent of
// each container, so a restarted daemon sees exits the same way), and applies restart policies.
//
// Layout: <root>/records/<id>.json (records), <root>/containers/<id>/ (runner: bundle, rootfs,
// upper, log, status), <root>/image/ (ImageStore); <runRoot>/runc (runc state).
//
// Concurrency: every state-changing call on one container runs through that container's queue
// (`serial`), so start/stop/remove never interleave; exit handling only updates the record and
// queues follow-up work (cleanup, restart, auto-remove) on the same queue.

import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, watch, type FSWatcher } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, unlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import PQueue from 'p-queue';
import path from 'node:path';
import { Readable } from 'node:stream';
import {
  ConflictError,
  EngineError,
  ForbiddenError,
  InternalError,
  InvalidArgumentError,
  NotFoundError,
  NotImplementedError,
  NotModifiedError,
  type ArchivePutOptions,
  type AttachOptions,
  type AttachSession,
  type ContainerBackend,
  type ContainerCreateOptions,
  type ContainerCreateRequest,
  type ContainerCreateResponse,
  type ContainerInspect,
  type ContainerListOptions,
  type ContainerStats,
  type ContainerStopOptions,
  type ContainerSummary,
  type ContainerUpdateRequest,
  type ContainerWaitResponse,
  type ContainerWaiter,
  type EngineBackend,
  type EventMessage,
  type ExecBackend,
  type ExecCreateRequest,
  type ExecInspect,
  type ExecSession,
  type ExecStartOptions,
  type ImageBackend,
  type ImageInspect,
  type LogEntry,
  type LogStream,
  type LogsOptions,
  type MountPoint,
  type EndpointSettings,
  type NetworkBackend,
  type PortBinding,
  type PortSummary,
  type OutputChunk,
  type PathStat,
  type ProcessList,
  type ProgressMessage,
  type StatsOptions,
  type SystemBackend,
  type SystemInfo,
  type SystemVersion,
  type VolumeBackend,
  type WaitCondition,
} from '../backend.js';
import { ContainerRunner, type CreateRequest } from '../containers/container-runner.js';
import { IpamError, type AddressPool } from '../networks/ipam.js';
import { NetworkManager, type AttachedContainer } from '../networks/manager.js';
import { planPortRequests, PortError } from '../networks/ports.js';
import type { EndpointState } from '../networks/store.js';
import { applyChanges } from '../images/changes.js';
import { ImageError } from '../images/errors.js';
import { ImageStore } from '../images/store.js';
import { withLock, writeJsonAtomic } from '../../lib/atomic.js';
import { hostCgroupMounts } from '../runtime/cgroups.js';
import { attachStdin, defaultShimPath, monitorAlive, readExitStatus, resizeTty, type ExitStatus } from '../runtime/monitor.js';
import { ContainerSpecError, type OciSpec } from '../runtime/oci-spec.js';
import { mountsUnder, unmountRootfs } from '../runtime/rootfs.js';
import { RuncError } from '../runtime/runc.js';
import { resolveUser, resolveUserInRootfs, UserResolveError } from '../runtime/user.js';
import { systemClock, type Clock } from '../../lib/clock.js';
import { HealthMonitor, probeCommand, type HealthState } from '../supervise/health.js';
import { RestartSupervisor, shouldRestartOnDaemonStart } from '../supervise/restart.js';
import { Channel } from '../../lib/channel.js';
import { EventBus } from './events.js';
import { fileSize, followLog, parseChunk, readFrom } from './logs.js';
import { loadRecords, recordPath, type ContainerRecord } from './records.js';
import { sampleCgroups } from './stats.js';
import { VolumeService, type ContainerMount, type VolumesFromSource } from '../volumes/service.js';
import { archiveContainerPath, extractIntoContainer, statContainerPath, type ContainerRoot } from '../archive/archive.js';
import { PathResolveError } from '../archive/resolve.js';
import { mountStoppedRoot } from '../archive/stopped-root.js';
import { TarError } from '../images/errors.js';
import {
  buildContainerSpec,
  commandOf,
  networkChoice,
  humanDuration,
  mergeImageConfig,
  parseExtraHosts,
  planMounts,
  restartPolicyOf,
  signalNumber,
  TranslateError,
  type ImageRunConfig,
} from './translate.js';

export const ENGINE_VERSION = '0.1.0';
const ZERO_TIME = '0001-01-01T00:00:00Z';
const NAME_PATTERN = /^\/?[a-zA-Z0-9][a-zA-Z0-9_.-]+$/;

export type { Clock } from '../../lib/clock.js';

export interface EngineLogger {
  info(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
}

const silentLogger: EngineLogger = { info: () => {}, error: () => {} };

export interface BuiltinEngineOptions {
  /** Persistent state (default /var/lib/berth). */
  root?: string;
  /** Runtime files: runc state (default /run/berth). */
  runRoot?: string;
  runcBinary?: string;
  shimBinary?: string;
  /** Parent cgroup of every container (default /berth). */
  cgroupParent?: string;
  clock?: Clock;
  logger?: EngineLogger;
  /** How often exit status files are polled (ms). */
  pollMs?: number;
  /** Host path of a reaping init for `Init: true`; default: the first of docker-init, tini, catatonit found. */
  initBinary?: string;
  hostImage?: boolean;
  /** Pools subnets of new networks come from (default: Docker's 172.17-31 and 192.168 /24s). */
  addressPools?: readonly AddressPool[];
  /** Upstream DNS servers (`ip` or `ip:port`) for names the engine does not know; default none. */
  dnsUpstream?: readonly string[];
  /** Masquerade containers' outbound traffic on non-internal networks (needs iptables); default off. */
  outboundNat?: boolean;
  /** Seccomp filters also admit 32-bit and x32 programs, as Docker's do (each ABI costs a start ~7 ms). */
  seccompCompatArches?: boolean;
  /**
   * Prepare a container's run as soon as it is created (default on): bundle, rootfs, network
   * sandbox and `runc create` happen then, in the background, so `start` only releases its process.
   * A prepared run nobody starts within `prepareAheadMs` (default 30 s) is undone.
   */
  prepareAhead?: boolean;
  prepareAheadMs?: number;
}

const INIT_CANDIDATES = ['/usr/bin/docker-init', '/usr/libexec/docker/docker-init', '/usr/bin/tini-static', '/usr/bin/tini', '/usr/bin/catatonit', '/usr/libexec/podman/catatonit'];

interface Live {
  rec: ContainerRecord;
  queue: Promise<unknown>;
  exitWaiters: ((r: ContainerWaitResponse) => void)[];
  removeWaiters: ((r: ContainerWaitResponse) => void)[];
  /** Exits observed since the daemon started: followers end when it passes the value they saw. */
  exits: number;
  /** Resolves the current run's exit (stop waits on it). */
  onExit: (() => void)[];
  removing: boolean;
  execIds: string[];
  /** The last run's exit as recorded (state set and persisted): stop and kill answer once it is. */
  recorded: Promise<void>;
  /**
   * The cleanup of the last run (unmount, runc delete, sandbox), which runs after `recorded`, in the
   * background. Everything that needs it awaits it: every serialized operation on the container
   * (start, restart, remove, cp, connect…), `docker wait`, engine close.
   */
  cleaning: Promise<void>;
  /** Client stdin attached before the run started (`docker run -i` attaches, then starts). */
  pendingStdin: Readable[];
  /** A run created ahead of its start (runc create done, process not yet exec'd). */
  prepared?: PreparedRun;
}

interface PreparedRun {
  pid: number;
  monitorPid: number;
  /** Undoes the preparation when no start comes. */
  expiry: NodeJS.Timeout;
}

interface ExecRecord {
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

/** Maps what the lower layers throw to the API's status-carrying errors. */
export function toEngineError(e: unknown): Error {
  if (e instanceof EngineError) return e;
  if (e instanceof ImageError) {
    if (e.kind === 'not-found') return new NotFoundError(e.message, { cause: e });
    if (e.kind === 'conflict') return new ConflictError(e.message, { cause: e });
    return new InvalidArgumentError(e.message, { cause: e });
  }
  if (e instanceof TranslateError) return e.notImplemented ? new NotImplementedError(e.message, { cause: e }) : new InvalidArgumentError(e.message, { cause: e });
  if (e instanceof IpamError) return new InvalidArgumentError(e.message, { cause: e });
  if (e instanceof ContainerSpecError || e instanceof UserResolveError) return new InvalidArgumentError(e.message, { cause: e });
  return new InternalError(e instanceof Error ? e.message : String(e), { cause: e });
}

function randomId(): string {
  for (;;) {
    const id = randomBytes(32).toString('hex');
    // Docker never hands out an id whose short form is all digits (it would read as a number).
    if (!/^\d{12}/.test(id)) return id;
  }
}

const ADJECTIVES = ['brave', 'calm', 'eager', 'fancy', 'gentle', 'happy', 'jolly', 'keen', 'lucid', 'merry', 'nifty', 'proud', 'quiet', 'sharp', 'tender', 'vivid', 'witty', 'zen'];
const NOUNS = ['albatross', 'beacon', 'capstan', 'dinghy', 'estuary', 'ferry', 'galley', 'harbor', 'island', 'jetty', 'keel', 'lighthouse', 'mooring', 'narwhal', 'oar', 'pier', 'quay', 'rudder', 'schooner', 'tide'];

function iso(ms: number): string {
  return new Date(ms).toISOString();
}

export class BuiltinEngine implements EngineBackend {
  readonly root: string;
  readonly runRoot: string;
  readonly runner: ContainerRunner;
  readonly events: EventBus;
  private store!: ImageStore;
  private vols!: VolumeService;
  private readonly clock: Clock;
  private readonly logger: EngineLogger;
  private readonly recordsDir: string;
  private readonly cgroupParent: string;
  private readonly live = new Map<string, Live>();
  private readonly execs = new Map<string, ExecRecord>();
  private pollTimer: NodeJS.Timeout | undefined;
  private polling = false;
  /** A poll was asked for while one ran: run once more when it ends. */
  private pollAgain = false;
  /** inotify on each running container's directory: the shim's status.json appears by rename, so exits are seen at once, not at the next poll. */
  private readonly exitWatchers = new Map<string, FSWatcher>();
  private closed = false;
  private readonly initBinary: string | undefined;
  private readonly prepareAhead: boolean;
  private readonly prepareAheadMs: number;
  /** Preparations run at most one per core, in creation order: the first created is ready first. */
  private readonly prepareQueue = new PQueue({ concurrency: Math.max(1, os.availableParallelism()) });
  private readonly shimBinary: string;
  private readonly pollMs: number;
  private readonly hostImage: boolean;
  private readonly restarts: RestartSupervisor;
  private readonly health: HealthMonitor;

  readonly containers: ContainerBackend;
  readonly networks: NetworkBackend;
  private net!: NetworkManager;
  private readonly netOptions: Pick<BuiltinEngineOptions, 'addressPools' | 'dnsUpstream' | 'outboundNat'>;
  readonly exec: ExecBackend;
  readonly images: ImageBackend;
  readonly system: SystemBackend;

  get volumes(): VolumeBackend {
    return this.vols;
  }

  private constructor(opts: BuiltinEngineOptions) {
    this.root = path.resolve(opts.root ?? '/var/lib/berth');
    this.runRoot = path.resolve(opts.runRoot ?? '/run/berth');
    this.clock = opts.clock ?? systemClock;
    this.logger = opts.logger ?? silentLogger;
    this.recordsDir = path.join(this.root, 'records');
    this.cgroupParent = opts.cgroupParent ?? '/berth';
    this.pollMs = opts.pollMs ?? 50;
    this.hostImage = opts.hostImage ?? true;
    this.shimBinary = opts.shimBinary ?? defaultShimPath();
    this.initBinary = opts.initBinary ?? INIT_CANDIDATES.find((p) => existsSync(p));
    this.prepareAhead = opts.prepareAhead ?? true;
    this.prepareAheadMs = opts.prepareAheadMs ?? 30_000;
    this.runner = new ContainerRunner({
      stateRoot: this.root,
      runcRoot: path.join(this.runRoot, 'runc'),
      cgroupParent: this.cgroupParent,
      ...(opts.runcBinary ? { runcBinary: opts.runcBinary } : {}),
      ...(opts.shimBinary ? { shimBinary: opts.shimBinary } : {}),
      ...(opts.seccompCompatArches ? { seccompCompatArches: true } : {}),
    });
    this.events = new EventBus(() => this.clock.now());
    this.restarts = new RestartSupervisor({
      clock: this.clock,
      restart: (id) => this.policyRestart(id),
      onGiveUp: (id, reason) => this.logger.info('restart policy gave up', { id, reason }),
    });
    this.health = new HealthMonitor({
      clock: this.clock,
      exec: (id, cmd, timeoutMs) => this.probe(id, cmd, timeoutMs),
      onChange: (id, health) => this.healthChanged(id, health),
    });
    this.netOptions = { addressPools: opts.addressPools, dnsUpstream: opts.dnsUpstream, outboundNat: opts.outboundNat };
    this.containers = this.containerBackend();
    this.networks = this.networkBackend();
    this.exec = this.execBackend();
    this.images = this.imageBackend();
    this.system = this.systemBackend();
  }

  /** Opens the state under `root`, re-adopts containers left by an earlier daemon and starts supervising. */
  static async open(opts: BuiltinEngineOptions = {}): Promise<BuiltinEngine> {
    const engine = new BuiltinEngine(opts);
    await mkdir(engine.recordsDir, { recursive: true, mode: 0o700 });
    await mkdir(path.join(engine.runRoot, 'runc'), { recursive: true, mode: 0o700 });
    engine.store = await ImageStore.open({ root: path.join(engine.root, 'image'), hostImage: engine.hostImage });
    engine.net = await NetworkManager.open({
      root: engine.root,
      runRoot: engine.runRoot,
      events: engine.events,
      logger: engine.logger,
      containers: () => [...engine.live.values()].map((l) => engine.attachedView(l)),
      ...(engine.netOptions.addressPools ? { pools: engine.netOptions.addressPools } : {}),
      ...(engine.netOptions.dnsUpstream ? { dnsUpstream: engine.netOptions.dnsUpstream.map((u) => (u.includes(':') ? u : `${u}:53`)) } : {}),
      outboundNat: engine.netOptions.outboundNat === true,
      now: () => engine.clock.now(),
    });
    engine.vols = await VolumeService.open(path.join(engine.root, 'volumes'), {
      emit: (action, name, attributes) => engine.events.emit('volume', action, name, attributes),
      referencedBy: (name) => [...engine.live.values()].filter((l) => engine.mountsOf(l.rec).some((m) => m.type === 'volume' && m.name === name)).map((l) => l.rec.id),
      now: () => new Date(engine.clock.now()),
    });
    await engine.restore();
    for (const name of await engine.vols.store.unmountUnused()) engine.logger.info('unused volume unmounted', { name });
    engine.pollTimer = setInterval(() => void engine.pollExits(), engine.pollMs);
    return engine;
  }

  /** Stops supervising; containers keep running under their monitors (live restore picks them up). */
  async close(): Promise<void> {
    this.closed = true;
    for (const w of this.exitWatchers.values()) w.close();
    this.exitWatchers.clear();
    if (this.pollTimer) clearInterval(this.pollTimer);
    for (const id of this.live.keys()) {
      this.restarts.forget(id);
      this.health.forget(id);
    }
    // In-flight calls get a moment to finish; one waiting for an exit nobody will now notice must not hold shutdown.
    // Cleanups of runs that ended are awaited too: nothing is left half-unmounted.
    await Promise.race([Promise.all([...this.live.values()].map((l) => Promise.all([l.queue.catch(() => undefined), l.cleaning]))), new Promise((r) => setTimeout(r, 5_000).unref())]);
    // Prepared runs are not runs: they are undone (the next daemon prepares at start).
    for (const l of this.live.values()) {
      if (l.prepared) await this.serial(l, () => this.discardPrepared(l)).catch((e: unknown) => this.logger.error('undoing a prepared run failed', { id: l.rec.id, error: String(e) }));
    }
    // Published ports and DNS servers live in this process: they stop now and the next daemon re-binds them.
    await this.net?.close();
  }

  /** Removes every network and bridge, predefined ones too (after the containers are gone): uninstall, tests. */
  async dismantleNetworks(): Promise<void> {
    if (this.live.size > 0) throw new ConflictError(`${this.live.size} containers still exist`);
    await this.net.dismantle();
  }

  /** Kernel objects and listeners this engine's networking still holds (the test harness checks them). */
  async networkLeftovers(): Promise<{ links: string[]; listeners: string[] }> {
    const { links, rules } = await this.net.leftovers({ excludeLiveBridges: true });
    return { links: [...links, ...rules], listeners: this.net.ports.everBound.map((b) => `${b.proto}:${b.hostIp || '0.0.0.0'}:${b.hostPort}`) };
  }

  private attachedView(l: Live): AttachedContainer {
    const rec = l.rec;
    return {
      id: rec.id,
      name: rec.name,
      running: rec.state.Running,
      labels: rec.config.Labels ?? {},
      links: rec.hostConfig.Links ?? [],
      endpoints: rec.endpoints ?? {},
      hostsFile: path.join(this.paths(rec.id).etc, 'hosts'),
      hostname: rec.config.Hostname ?? rec.id.slice(0, 12),
      extraHosts: (() => {
        try {
          return parseExtraHosts(rec.hostConfig.ExtraHosts ?? [], this.primaryEndpoint(rec)?.gateway);
        } catch {
          return [];
        }
      })(),
    };
  }

  // -------------------------------------------------------------------------------------------
  // Records, lookup, events

  private async persist(live: Live): Promise<void> {
    if (live.removing && !this.live.has(live.rec.id)) return;
    // One write at a time per record, each taking the state as it is then: the newest always lands last.
    const file = recordPath(this.recordsDir, live.rec.id);
    await withLock(file, async () => {
      if (live.removing && !this.live.has(live.rec.id)) return;
      await writeJsonAtomic(file, live.rec);
    });
  }

  /** Runs `fn` after the container's earlier operations, and after the cleanup of its last run. */
  private serial<T>(live: Live, fn: () => Promise<T>): Promise<T> {
    const run = live.queue.then(() => live.cleaning).then(fn, fn);
    live.queue = run.catch(() => undefined);
    return run;
  }

  private newLive(rec: ContainerRecord): Live {
    return { rec, queue: Promise.resolve(), exitWaiters: [], removeWaiters: [], exits: 0, onExit: [], removing: false, execIds: [], recorded: Promise.resolve(), cleaning: Promise.resolve(), pendingStdin: [] };
  }

  /** By full id, name (with or without `/`), or unique id prefix, as dockerd looks containers up. */
  private find(ref: string): Live {
    const byId = this.live.get(ref);
    if (byId) return byId;
    const name = ref.replace(/^\//, '');
    for (const l of this.live.values()) if (l.rec.name === name) return l;
    if (/^[0-9a-f]+$/.test(ref)) {
      const matches = [...this.live.values()].filter((l) => l.rec.id.startsWith(ref));
      if (matches.length === 1) return matches[0];
      if (matches.length > 1) throw new InvalidArgumentError(`multiple IDs found with provided prefix: ${ref}`);
    }
    throw new NotFoundError(`No such container: ${ref}`);
  }

  private emit(live: Live, action: string, extra: Record<string, string> = {}): void {
    const r = live.rec;
    this.events.emit('container', action, r.id, { ...(r.config.Labels ?? {}), image: r.imageRef, name: r.name, ...extra });
  }

  private paths(id: string) {
    return this.runner.paths(id);
  }

  // -------------------------------------------------------------------------------------------
  // Lifecycle

  private async create(request: ContainerCreateRequest, options: ContainerCreateOptions): Promise<ContainerCreateResponse> {
    if (!request.Image) throw new InvalidArgumentError('config.Image must be set');
    const hostConfig = request.HostConfig ?? {};
    const warnings: string[] = [];
    let name = options.name ?? '';
    if (name !== '' && !NAME_PATTERN.test(name)) {
      throw new InvalidArgumentError(`Invalid container name (${name}), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed`);
    }
    name = name.replace(/^\//, '');
    let imageId: string;
    let imageConfig: ImageRunConfig | undefined;
    try {
      const found = await this.store.config(request.Image);
      imageId = found.id;
      imageConfig = found.config.config;
    } catch (e) {
      if (e instanceof ImageError && e.kind === 'not-found') throw new NotFoundError(`No such image: ${request.Image}`);
      throw toEngineError(e);
    }
    try {
      restartPolicyOf(hostConfig);
      planMounts(hostConfig);
      // host-gateway is resolved at start, from the network the container is then on.
      parseExtraHosts(hostConfig.ExtraHosts ?? [], networkChoice(hostConfig.NetworkMode).kind === 'network' ? '0.0.0.0' : undefined);
      const lt = hostConfig.LogConfig?.Type ?? '';
      if (lt !== '' && lt !== 'json-file') throw new TranslateError([`logging driver "${lt}" is not supported by the built-in engine (json-file only)`], true);
    } catch (e) {
      throw toEngineError(e);
    }
    let choice: ReturnType<typeof networkChoice>;
    try {
      choice = networkChoice(hostConfig.NetworkMode);
      planPortRequests(hostConfig.PortBindings, hostConfig.PublishAllPorts === true, { ...(request.ExposedPorts ?? {}) });
    } catch (e) {
      if (e instanceof PortError) throw new InvalidArgumentError(e.message, { cause: e });
      throw toEngineError(e);
    }
    const publishes = Object.keys(hostConfig.PortBindings ?? {}).length > 0 || hostConfig.PublishAllPorts === true;
    if (choice.kind === 'container') {
      this.find(choice.ref);
      if (publishes) throw new InvalidArgumentError('conflicting options: port publishing and the container type network mode');
    }
    if (choice.kind === 'host' && publishes) warnings.push('Published ports are discarded when using host network mode');
    const wantedNetworks: { net: NonNullable<ReturnType<NetworkManager['tryFind']>>; cfg: EndpointSettings }[] = [];
    if (choice.kind === 'network') {
      const primary = this.net.tryFind(choice.network);
      if (!primary) throw new NotFoundError(`network ${choice.network} not found`);
      if (primary.driver !== 'bridge') throw new InvalidArgumentError(`network ${primary.name} (driver ${primary.driver}) is only usable as NetworkMode ${primary.driver === 'null' ? 'none' : 'host'}`);
      const configs = request.NetworkingConfig?.EndpointsConfig ?? {};
      const cfgOf = (n: { id: string; name: string }): EndpointSettings => configs[n.name] ?? configs[n.id] ?? (n.name === 'bridge' ? configs.default ?? configs[choice.network] : configs[choice.network]) ?? {};
      wantedNetworks.push({ net: primary, cfg: cfgOf(primary) });
      for (const key of Object.keys(configs)) {
        const n = this.net.tryFind(key === 'default' ? 'bridge' : key);
        if (!n) throw new NotFoundError(`network ${key} not found`);
        if (wantedNetworks.some((w) => w.net.id === n.id)) continue;
        if (n.driver !== 'bridge') throw new InvalidArgumentError(`container cannot be connected to network ${n.name} (driver ${n.driver}) besides ${primary.name}`);
        wantedNetworks.push({ net: n, cfg: cfgOf(n) });
      }
    }
    if (hostConfig.Init && !this.initBinary) warnings.push('Init requested but no init binary (docker-init, tini, catatonit) is installed: running without one');
    const { HostConfig: _h, NetworkingConfig: _n, ...userConfig } = request;
    const id = randomId();
    const config = mergeImageConfig(userConfig, imageConfig);
    // With the host's network a container is named like the host, as dockerd does.
    if (!config.Hostname) config.Hostname = hostConfig.NetworkMode === 'host' ? os.hostname() : id.slice(0, 12);
    if (commandOf(config).length === 0) throw new InvalidArgumentError('No command specified');
    // Validate the runtime translation now (namespaces, caps), so errors come at create like dockerd's.
    try {
      buildContainerSpec({ config, hostConfig, user: { uid: 0, gid: 0 }, mounts: [], containerPid: () => 1 });
    } catch (e) {
      throw toEngineError(e);
    }
    if (name === '') {
      do name = `${ADJECTIVES[randomBytes(1)[0] % ADJECTIVES.length]}_${NOUNS[randomBytes(1)[0] % NOUNS.length]}${randomBytes(1)[0] % 10}`;
      while ([...this.live.values()].some((l) => l.rec.name === name));
    }
    for (const l of this.live.values()) {
      if (l.rec.name === name) {
        throw new ConflictError(`Conflict. The container name "/${name}" is already in use by container "${l.rec.id}". You have to remove (or rename) that container to be able to reuse that name.`);
      }
    }
    let mounts: ContainerMount[];
    try {
      mounts = await this.vols.planContainerMounts({
        planned: planMounts(hostConfig),
        configVolumes: Object.keys(config.Volumes ?? {}),
        volumesFrom: this.volumesFromSources(hostConfig.VolumesFrom ?? []),
      });
    } catch (e) {
      throw toEngineError(e);
    }
    const rec: ContainerRecord = {
      id,
      name,
      created: iso(this.clock.now()),
      image: imageId,
      imageRef: request.Image,
      config,
      hostConfig: { ...hostConfig, NetworkMode: hostConfig.NetworkMode || 'bridge', LogConfig: { Type: 'json-file', Config: hostConfig.LogConfig?.Config ?? {} } },
      state: { Status: 'created', Running: false, Paused: false, Restarting: false, OOMKilled: false, Dead: false, Pid: 0, ExitCode: 0, Error: '', StartedAt: ZERO_TIME, FinishedAt: ZERO_TIME },
      monitorPid: 0,
      restartCount: 0,
      manuallyStopped: false,
      hasBeenStarted: false,
      warnings,
      mounts,
    };
    if (request.Healthcheck || config.Healthcheck) {
      const test = config.Healthcheck?.Test ?? [];
      if (test.length > 0 && test[0] !== 'NONE') rec.state.Health = { Status: 'starting', FailingStreak: 0, Log: [] };
    }
    const live = this.newLive(rec);
    // In the table before addresses are planned: allocation reads the table, so two creates never get one address.
    this.live.set(id, live);
    try {
      if (wantedNetworks.length > 0) rec.endpoints = {};
      for (const w of wantedNetworks) {
        const ep = await this.net.planEndpoint(this.attachedView(live), w.net, w.cfg);
        rec.endpoints = { ...rec.endpoints, [w.net.id]: ep };
      }
      await this.persist(live);
    } catch (e) {
      this.live.delete(id);
      throw toEngineError(e);
    }
    this.emit(live, 'create');
    for (const w of wantedNetworks) this.net.event(w.net, 'connect', id);
    this.logger.info('container created', { id, name });
    // The start's work begins now, in the container's queue: a start (or remove) waits for it there.
    if (this.preparable(rec)) void this.serial(live, () => this.prepareRun(live));
    return { Id: id, Warnings: warnings };
  }

  /** Undoes what a finished run left: runc state, the rootfs mount, the volumes it held and the old status file. */
  private async cleanupRun(id: string): Promise<void> {
    const p = this.paths(id);
    const rec = this.live.get(id)?.rec;
    // The network side and the filesystem side are independent: they go concurrently.
    await Promise.all([
      (async () => {
        await this.net.ports.unpublish(id);
        // As in dockerd the sandbox goes with the run (addresses stay reserved in the record); pod
        // members join the sandbox container's namespace by path, so they survive their own restarts.
        await this.net.destroySandbox({ id, endpoints: rec?.endpoints ?? {} }).catch((e: unknown) => this.logger.error('removing the network sandbox failed', { id, error: String(e) }));
      })(),
      (async () => {
        await this.deleteStoppedRunc(id);
        await unmountRootfs(p.rootfs).catch(() => undefined);
        await this.vols.release(id).catch((e: unknown) => this.logger.error('releasing volumes failed', { id, error: String(e) }));
      })(),
    ]);
  }

  /**
   * Deletes runc's state of a run that is over: directly when its cgroups are empty (Runc.deleteExited),
   * else with plain `runc delete` (no --force), which deletes a stopped or created container and
   * refuses a running or paused one.
   */
  private async deleteStoppedRunc(id: string): Promise<void> {
    await this.runner.runc.deleteExited(id).catch((e: unknown) => {
      if (!(e instanceof RuncError && /not stopped|does not exist/.test(e.message))) this.logger.error('runc delete after the run failed', { id, error: String(e) });
    });
  }

  /** The record's mounts; records of engines before volumes kept only HostConfig (binds and tmpfs). */
  private mountsOf(rec: ContainerRecord): ContainerMount[] {
    if (rec.mounts) return rec.mounts;
    try {
      return planMounts(rec.hostConfig).flatMap((m): ContainerMount[] =>
        m.volume
          ? []
          : m.spec.type === 'bind'
            ? [{ type: 'bind', source: m.spec.source, destination: m.spec.target, readonly: m.spec.readonly === true, propagation: m.spec.propagation ?? 'rprivate', createSource: m.createSource === true }]
            : [{ type: 'tmpfs', source: '', destination: m.spec.target, readonly: m.spec.readonly === true, tmpfs: { sizeBytes: m.spec.sizeBytes, mode: m.spec.mode, options: m.spec.options } }],
      );
    } catch {
      return [];
    }
  }

  /** `HostConfig.VolumesFrom` entries (`container[:ro|rw]`) → the mounts to copy. */
  private volumesFromSources(entries: readonly string[]): VolumesFromSource[] {
    return entries.map((entry) => {
      const colon = entry.lastIndexOf(':');
      const mode = colon > 0 ? entry.slice(colon + 1) : '';
      const ref = colon > 0 && (mode === 'ro' || mode === 'rw' || mode === 'z' || mode === 'Z') ? entry.slice(0, colon) : entry;
      if (colon > 0 && ref === entry) throw new InvalidArgumentError(`invalid mode for volumes-from: ${mode}`);
      const other = this.find(ref);
      return { mounts: this.mountsOf(other.rec), ...(mode === 'ro' || mode === 'rw' ? { mode } : {}) };
    });
  }

  /** /etc/passwd and /etc/group as the container will see them: the writable layer first, then the image layers. */
  private async readImageFile(upper: string, lowerDirs: readonly string[], rel: string): Promise<string | undefined> {
    for (const dir of [upper, ...lowerDirs]) {
      try {
        return await readFile(path.join(dir, rel), 'utf8');
      } catch {
        // not in this layer
      }
    }
    return undefined;
  }

  private containerPid(ref: string): number {
    const other = this.find(ref);
    if (!other.rec.state.Running) throw new ConflictError(`cannot join namespace of a non running container: ${other.rec.id}`);
    return other.rec.state.Pid;
  }

  /**
   * The network namespace a run joins, and what its /etc/hosts and resolv.conf say: its own sandbox
   * (made now if missing, endpoints plugged), another container's (container:<ref>), or the host's.
   */
  private async sandboxFor(live: Live, depth = 0): Promise<{ netnsPath?: string; hosts?: string; nameservers?: string[] }> {
    const choice = networkChoice(live.rec.hostConfig.NetworkMode);
    if (choice.kind === 'host') return {};
    if (choice.kind === 'container') {
      const other = this.find(choice.ref);
      if (other.rec.id === live.rec.id || depth > 8) throw new InvalidArgumentError(`cannot join the network namespace of container ${choice.ref}: it leads back to itself`);
      if (!other.rec.state.Running) throw new ConflictError(`cannot join network namespace of a non running container: ${other.rec.id}`);
      // A sandbox without networks (`none`) has no named namespace: members join its process's.
      if (networkChoice(other.rec.hostConfig.NetworkMode).kind === 'none') return { netnsPath: `/proc/${other.rec.state.Pid}/ns/net`, nameservers: [] };
      const theirs = await this.sandboxFor(other, depth + 1);
      // A member shares the sandbox's stack, so also its view of names (hostname stays its own).
      return { ...theirs, ...(theirs.hosts !== undefined ? { hosts: this.net.hostsFor({ ...this.attachedView(other), hostname: live.rec.config.Hostname ?? other.rec.config.Hostname ?? '' }) } : {}) };
    }
    // `none`: runc makes a fresh namespace with loopback only; nothing to create or tear down.
    if (choice.kind === 'none') return { nameservers: [] };
    const view = this.attachedView(live);
    const netnsPath = await this.net.ensureSandbox(view);
    return { netnsPath, hosts: this.net.hostsFor(view), nameservers: this.net.nameserversFor(view) };
  }

  /** The endpoint published ports forward to: the container's first interface. */
  private primaryEndpoint(rec: ContainerRecord): EndpointState | undefined {
    return Object.values(rec.endpoints ?? {}).sort((a, b) => Number(a.ifName.slice(3)) - Number(b.ifName.slice(3)))[0];
  }

  private async publishPorts(live: Live): Promise<ContainerRecord['ports']> {
    const rec = live.rec;
    const hc = rec.hostConfig;
    if (networkChoice(hc.NetworkMode).kind !== 'network') return [];
    const target = this.primaryEndpoint(rec);
    let requests;
    try {
      requests = planPortRequests(hc.PortBindings, hc.PublishAllPorts === true, rec.config.ExposedPorts);
    } catch (e) {
      throw new InvalidArgumentError((e as Error).message, { cause: e });
    }
    if (requests.length === 0) return [];
    if (!target) throw new ConflictError(`container ${rec.name} publishes ports but is attached to no network`);
    try {
      return await this.net.ports.publish(rec.id, requests, target.address, rec.ports ?? []);
    } catch (e) {
      if (e instanceof PortError) throw e.kind === 'conflict' ? new ConflictError(e.message, { cause: e }) : new InvalidArgumentError(e.message, { cause: e });
      throw e;
    }
  }

  /**
   * What the runner needs to create a run: bundle inputs, the network sandbox (made now), volumes
   * (acquired now). Undoes the previous run's leftovers first. Ports are not published here.
   */
  private async runRequest(live: Live): Promise<CreateRequest> {
    const rec = live.rec;
    const id = rec.id;
    const p = this.paths(id);
    await live.cleaning;
    // A container that never ran has nothing to undo (a failed or discarded preparation cleaned up after itself).
    if (rec.hasBeenStarted) {
      await this.cleanupRun(id);
      await rm(p.status, { force: true });
    }
    const hc = rec.hostConfig;
    let lowerDirs: string[];
    try {
      lowerDirs = await this.store.lowerDirs(rec.image);
    } catch (e) {
      throw toEngineError(e);
    }
    const volumes = await this.vols.acquire(id, this.mountsOf(rec));
    const passwd = await this.readImageFile(p.upper, lowerDirs, 'etc/passwd');
    const group = await this.readImageFile(p.upper, lowerDirs, 'etc/group');
    const user = resolveUser(rec.config.User ?? '', passwd, group, hc.GroupAdd ?? []);
    const config = { ...rec.config };
    // dockerd sets HOME from the passwd entry unless the container's env has one.
    if (!(config.Env ?? []).some((e) => e.startsWith('HOME='))) config.Env = [...(config.Env ?? []), `HOME=${user.home}`];
    const sandbox = await this.sandboxFor(live);
    const spec = buildContainerSpec({
      config,
      hostConfig: hc,
      user: { uid: user.uid, gid: user.gid, additionalGids: user.additionalGids },
      mounts: volumes.specs,
      containerPid: (ref) => this.containerPid(ref),
      ...(this.initBinary ? { initBinary: this.initBinary } : {}),
      ...(sandbox.netnsPath ? { netnsPath: sandbox.netnsPath } : {}),
    });
    return {
      id,
      lowerDirs,
      spec,
      extraHosts: parseExtraHosts(hc.ExtraHosts ?? [], this.primaryEndpoint(rec)?.gateway),
      ...(sandbox.hosts !== undefined ? { hostsContent: sandbox.hosts } : {}),
      ...(sandbox.nameservers ? { nameservers: sandbox.nameservers } : {}),
      prepareRootfs: volumes.populate,
      stdin: { open: rec.config.OpenStdin === true, once: rec.config.StdinOnce === true },
    };
  }

  /** Whether a run can be prepared at create: a `container:` namespace needs its owner running at start. */
  private preparable(rec: ContainerRecord): boolean {
    const hc = rec.hostConfig;
    return this.prepareAhead && !this.closed && networkChoice(hc.NetworkMode).kind !== 'container' && ![hc.IpcMode, hc.PidMode, hc.UTSMode].some((m) => m?.startsWith('container:'));
  }

  /**
   * Does a start's work ahead of it (runs in the container's queue, right after create): the run is
   * created under a monitor that waits for the start. A failure here is not the caller's: the
   * start does everything afresh and reports what goes wrong then.
   */
  private async prepareRun(live: Live): Promise<void> {
    const rec = live.rec;
    if (live.prepared || live.removing || rec.state.Running || !this.preparable(rec) || !this.live.has(rec.id)) return;
    await this.prepareQueue.add(
      async () => {
        if (live.removing || !this.live.has(rec.id) || this.closed) return;
        try {
          const started = await this.runner.create(await this.runRequest(live), { prepare: true, prepareTimeoutMs: this.prepareAheadMs + 60_000 });
          const expiry = setTimeout(() => void this.serial(live, () => this.discardPrepared(live)).catch(() => undefined), this.prepareAheadMs);
          expiry.unref();
          live.prepared = { pid: started.pid, monitorPid: started.monitorPid, expiry };
        } catch (e) {
          this.logger.info('preparing a run ahead of its start failed; the start will do it', { id: rec.id, error: String(e) });
          await this.cleanupRun(rec.id).catch(() => undefined);
        }
      },
      { id: rec.id },
    );
  }

  /** The prepared run, no longer the container's (its expiry cancelled), if it had one. */
  private takePrepared(live: Live): PreparedRun | undefined {
    const prepared = live.prepared;
    live.prepared = undefined;
    if (prepared) clearTimeout(prepared.expiry);
    return prepared;
  }

  /** Undoes a prepared run (the monitor sees its init go and ends). Call from the container's queue. */
  private async discardPrepared(live: Live): Promise<void> {
    if (this.takePrepared(live)) await this.cleanupRun(live.rec.id);
  }

  /** Starts the prepared run, if there is one; undefined (with the preparation undone) otherwise. */
  private async startPreparedRun(live: Live): Promise<{ pid: number; monitorPid: number } | undefined> {
    const prepared = this.takePrepared(live);
    if (!prepared) return undefined;
    const id = live.rec.id;
    // Ports are bound before the process runs: a taken port fails the start (the error path undoes the run).
    try {
      live.rec.ports = await this.publishPorts(live);
    } catch (e) {
      await this.cleanupRun(id).catch(() => undefined);
      throw e;
    }
    try {
      await this.runner.startPrepared(id);
      return { pid: prepared.pid, monitorPid: prepared.monitorPid };
    } catch (e) {
      // The monitor gave up or the run was deleted under it: start afresh.
      this.logger.info('the prepared run could not be started; starting afresh', { id, error: String(e) });
      await this.net.ports.unpublish(id);
      await this.cleanupRun(id);
      return undefined;
    }
  }

  private async startRun(live: Live): Promise<void> {
    const rec = live.rec;
    const id = rec.id;
    let started = await this.startPreparedRun(live);
    if (!started) {
      const request = await this.runRequest(live);
      // Ports are bound before the container exists: a taken port fails the start with nothing to undo.
      rec.ports = await this.publishPorts(live);
      try {
        started = await this.runner.create(request);
      } catch (e) {
        await this.net.ports.unpublish(id);
        throw e;
      }
    }
    for (const input of live.pendingStdin.splice(0)) this.connectStdin(live, input);
    rec.state = {
      ...rec.state,
      Status: 'running',
      Running: true,
      Paused: false,
      Restarting: false,
      OOMKilled: false,
      Dead: false,
      Pid: started.pid,
      ExitCode: 0,
      Error: '',
      StartedAt: iso(this.clock.now()),
    };
    if (rec.state.Health) rec.state.Health = { Status: 'starting', FailingStreak: 0, Log: [] };
    rec.monitorPid = started.monitorPid;
    rec.hasBeenStarted = true;
    rec.manuallyStopped = false;
    this.onStarted(live);
    await this.persist(live);
    this.emit(live, 'start');
    await this.net.refreshHosts(this.attachedView(live));
    this.logger.info('container started', { id, pid: started.pid });
  }

  private async start(ref: string): Promise<void> {
    const live = this.find(ref);
    // A start waits for its preparation: that one goes first among those not yet begun.
    // (setPriority throws when it is not waiting: running already, done, or never queued.)
    try {
      this.prepareQueue.setPriority(live.rec.id, 1);
    } catch {
      // nothing waiting to hurry
    }
    await this.serial(live, async () => {
      if (live.removing) throw new ConflictError(`container ${live.rec.id} is marked for removal and cannot be started`);
      if (live.rec.state.Paused) throw new ConflictError('cannot start a paused container, try unpause instead');
      if (live.rec.state.Running) throw new NotModifiedError('container already started');
      try {
        await this.startRun(live);
      } catch (e) {
        const err = toEngineError(e);
        const message = e instanceof Error ? e.message : String(e);
        // The runtime's "executable not found" is the user's mistake, with Docker's 127/126 codes.
        const notFound = /not found|no such file/i.test(message);
        const denied = /permission denied/i.test(message);
        live.rec.state = { ...live.rec.state, Status: live.rec.hasBeenStarted ? 'exited' : 'created', Running: false, Restarting: false, Pid: 0, Error: message, ExitCode: notFound ? 127 : denied ? 126 : 128 };
        await this.persist(live).catch(() => undefined);
        await this.cleanupRun(live.rec.id).catch(() => undefined);
        this.logger.error('container start failed', { id: live.rec.id, error: message });
        // dockerd removes an AutoRemove container whose start failed (`docker run --rm` waits for that).
        if (live.rec.hostConfig.AutoRemove) await this.removeNow(live, true, true).catch(() => undefined);
        if (err instanceof InternalError && (notFound || denied)) throw new InvalidArgumentError(message, { cause: e });
        throw err;
      }
    });
  }

  /**
   * Waits for the current run to end (its exit recorded; cleanup may still run: what needs it
   * awaits `cleaning`), or `timeoutMs` (false then).
   */
  private waitExit(live: Live, timeoutMs: number): Promise<boolean> {
    // Not running may mean "exited a moment ago, the exit not yet persisted".
    if (!live.rec.state.Running) return live.recorded.then(() => true);
    return new Promise((resolve) => {
      let timer: NodeJS.Timeout | undefined;
      const done = (): void => {
        if (timer) clearTimeout(timer);
        resolve(true);
      };
      live.onExit.push(done);
      if (timeoutMs >= 0) {
        timer = setTimeout(() => {
          live.onExit = live.onExit.filter((f) => f !== done);
          resolve(false);
        }, timeoutMs);
      }
    });
  }

  private async signal(live: Live, signal: string | number): Promise<void> {
    const pid = live.rec.state.Pid;
    try {
      await this.runner.kill(live.rec.id, signal, { viaRunc: live.rec.state.Paused });
    } catch (e) {
      // The run may have ended between our check and the signal, and its cleanup may already have
      // deleted runc's state ("container does not exist"): the signal's purpose is served.
      if (e instanceof RuncError && /not running|process already finished|container not running/.test(e.message)) return;
      if (await this.runEnded(live, pid)) return;
      throw toEngineError(e);
    }
  }

  /** Whether the run whose init had `pid` is over: recorded as exited, or its exit status written by the shim. */
  private async runEnded(live: Live, pid: number): Promise<boolean> {
    if (!live.rec.state.Running || live.rec.state.Pid !== pid) return true;
    const status = await readExitStatus(this.paths(live.rec.id).status).catch(() => undefined);
    if (status?.pid !== pid) return false;
    void this.pollExits();
    return true;
  }

  private async stopRun(live: Live, options: ContainerStopOptions): Promise<void> {
    const rec = live.rec;
    rec.manuallyStopped = true;
    const sig = options.signal || rec.config.StopSignal || 'SIGTERM';
    const timeout = options.timeout ?? rec.config.StopTimeout ?? 10;
    if (signalNumber(sig) === undefined) throw new InvalidArgumentError(`Invalid signal: ${sig}`);
    this.emit(live, 'kill', { signal: String(signalNumber(sig)) });
    await this.signal(live, sig);
    if (rec.state.Paused) await this.runner.runc.resume(rec.id).catch(() => undefined);
    if (!(await this.waitExit(live, timeout < 0 ? -1 : timeout * 1000))) {
      this.emit(live, 'kill', { signal: '9' });
      await this.signal(live, 'SIGKILL');
      if (!(await this.waitExit(live, 10_000))) throw new InternalError(`container ${rec.id} did not exit after SIGKILL`);
    }
  }

  private async stop(ref: string, options: ContainerStopOptions): Promise<void> {
    const live = this.find(ref);
    await this.serial(live, async () => {
      if (live.rec.state.Restarting && !live.rec.state.Running) {
        // Stopping a container that waits to be restarted cancels the restart.
        this.restarts.exited(live.rec.id, { exitCode: live.rec.state.ExitCode, manualStop: true });
        live.rec.manuallyStopped = true;
        live.rec.state = { ...live.rec.state, Restarting: false, Status: 'exited' };
        await this.persist(live);
        this.emit(live, 'stop');
        return;
      }
      if (!live.rec.state.Running) throw new NotModifiedError('container already stopped');
      await this.stopRun(live, options);
      this.emit(live, 'stop');
    });
  }

  private async kill(ref: string, signal: string | undefined): Promise<void> {
    const live = this.find(ref);
    const sig = signal || 'SIGKILL';
    const num = signalNumber(sig);
    if (num === undefined) throw new InvalidArgumentError(`Invalid signal: ${sig}`);
    await this.serial(live, async () => {
      if (!live.rec.state.Running) throw new ConflictError(`Cannot kill container: ${ref}: Container ${live.rec.id} is not running`);
      this.emit(live, 'kill', { signal: String(num) });
      await this.signal(live, sig);
      if (num === 9) await this.waitExit(live, 10_000);
    });
  }

  private async restart(ref: string, options: ContainerStopOptions): Promise<void> {
    const live = this.find(ref);
    await this.serial(live, async () => {
      if (live.rec.state.Restarting && !live.rec.state.Running) this.restarts.exited(live.rec.id, { exitCode: live.rec.state.ExitCode, manualStop: true });
      if (live.rec.state.Running) {
        await this.stopRun(live, options);
        this.emit(live, 'stop');
      }
      await this.startRun(live);
      this.emit(live, 'restart');
    });
  }

  private async wait(ref: string, condition: WaitCondition): Promise<ContainerWaiter> {
    const live = this.find(ref);
    const rec = live.rec;
    if (condition === 'not-running' && !rec.state.Running && !rec.state.Restarting) {
      // An exit seen but not yet cleaned up (rootfs, volumes) is answered once it is.
      return { exited: live.cleaning.then(() => ({ StatusCode: rec.state.ExitCode, Error: rec.state.Error ? { Message: rec.state.Error } : null })) };
    }
    const exited = new Promise<ContainerWaitResponse>((resolve) => {
      (condition === 'removed' ? live.removeWaiters : live.exitWaiters).push(resolve);
    });
    return { exited };
  }

  private async remove(ref: string, options: { force: boolean; volumes: boolean; link: boolean }): Promise<void> {
    if (options.link) throw new NotImplementedError('legacy links are not supported by the built-in engine');
    const live = this.find(ref);
    await this.serial(live, () => this.removeNow(live, options.force, options.volumes));
  }

  private async removeNow(live: Live, force: boolean, volumes = false): Promise<void> {
    const rec = live.rec;
    if (!this.live.has(rec.id)) return;
    if (rec.state.Running && !force) {
      throw new ConflictError(
        rec.state.Paused
          ? `cannot remove container "/${rec.name}": container is paused and must be unpaused first`
          : `cannot remove container "/${rec.name}": container is running: stop the container before removing or force remove`,
      );
    }
    live.removing = true;
    this.restarts.forget(rec.id);
    await this.discardPrepared(live);
    if (rec.state.Running) {
      rec.manuallyStopped = true;
      this.emit(live, 'kill', { signal: '9' });
      if (rec.state.Paused) await this.runner.runc.resume(rec.id).catch(() => undefined);
      await this.signal(live, 'SIGKILL').catch(() => undefined);
      await this.waitExit(live, 10_000);
    }
    await live.cleaning;
    this.unwatchExit(rec.id);
    try {
      await this.runner.remove(rec.id);
    } catch (e) {
      live.removing = false;
      throw toEngineError(e);
    }
    try {
      await this.net.destroySandbox({ id: rec.id, endpoints: rec.endpoints ?? {} });
    } catch (e) {
      live.removing = false;
      throw toEngineError(e);
    }
    for (const execId of live.execIds) this.execs.delete(execId);
    this.health.forget(rec.id);
    this.live.delete(rec.id);
    await unlink(recordPath(this.recordsDir, rec.id)).catch(() => undefined);
    for (const netId of Object.keys(rec.endpoints ?? {})) {
      const n = this.net.get(netId);
      if (n) this.net.event(n, 'disconnect', rec.id);
    }
    await this.net.refreshHosts({ endpoints: rec.endpoints ?? {} });
    // Only now, with the container gone, are its anonymous volumes unreferenced.
    if (volumes) await this.vols.removeAnonymous(this.mountsOf(rec)).catch((e: unknown) => this.logger.error('removing anonymous volumes failed', { id: rec.id, error: String(e) }));
    this.emit(live, 'destroy');
    this.logger.info('container removed', { id: rec.id });
    for (const w of live.removeWaiters.splice(0)) w({ StatusCode: rec.state.ExitCode, Error: null });
    for (const w of live.exitWaiters.splice(0)) w({ StatusCode: rec.state.ExitCode, Error: null });
  }

  // -------------------------------------------------------------------------------------------
  // Exits, restart policies, live restore

  private async pollExits(): Promise<void> {
    if (this.closed) return;
    if (this.polling) {
      this.pollAgain = true;
      return;
    }
    this.polling = true;
    try {
      do {
        this.pollAgain = false;
        for (const live of [...this.live.values()]) {
          if (!live.rec.state.Running) continue;
          const status = await readExitStatus(this.paths(live.rec.id).status).catch(() => undefined);
          if (status && status.pid === live.rec.state.Pid) await this.handleExit(live, status);
        }
      } while (this.pollAgain && !this.closed);
    } finally {
      this.polling = false;
    }
  }

  /** Watches the container's directory for its status file; the interval poll stays as the fallback. */
  private watchExit(id: string): void {
    if (this.closed || this.exitWatchers.has(id)) return;
    try {
      const w = watch(this.paths(id).dir, { persistent: false }, (_event, file) => {
        if (file === null || file === 'status.json') void this.pollExits();
      });
      w.on('error', () => this.unwatchExit(id));
      this.exitWatchers.set(id, w);
    } catch {
      // no inotify (or the directory is gone): polling notices the exit
    }
  }

  private unwatchExit(id: string): void {
    this.exitWatchers.get(id)?.close();
    this.exitWatchers.delete(id);
  }

  private async handleExit(live: Live, status: ExitStatus): Promise<void> {
    const rec = live.rec;
    if (!rec.state.Running) return;
    this.unwatchExit(rec.id);
    rec.state = {
      ...rec.state,
      Status: 'exited',
      Running: false,
      Paused: false,
      Pid: 0,
      ExitCode: status.exitCode,
      OOMKilled: status.oomKilled,
      FinishedAt: Number.isNaN(Date.parse(status.finishedAt)) ? iso(this.clock.now()) : status.finishedAt,
    };
    rec.monitorPid = 0;
    const restart = this.onExited(live);
    if (restart) rec.state = { ...rec.state, Status: 'restarting', Restarting: true };
    // The exit is recorded, then the run is cleaned up (sandbox, runc state, rootfs, volumes) in the
    // background: stop answers once the exit is recorded, so compose's reverse-order stop of a chain does
    // not pay each link's cleanup. Both promises are set before the first await: whatever sees the exited
    // state (remove, start, the next serialized call, `docker wait`) finds the cleanup to wait for.
    live.recorded = this.persist(live).catch((e: unknown) => this.logger.error('persisting exit failed', { id: rec.id, error: String(e) }));
    // The cleanup starts a turn later: its process spawns block this thread for a moment each, and the
    // stop waiting on this exit answers first.
    live.cleaning = live.recorded
      .then(() => new Promise<void>((r) => setImmediate(r)))
      .then(() => this.cleanupRun(rec.id).catch((e: unknown) => this.logger.error('cleanup after exit failed', { id: rec.id, error: String(e) })));
    // Peers' /etc/hosts drop this container (the state already says it is not running) while the exit is
    // persisted. Waiting for the write also keeps die after start for a container that exits at once.
    await Promise.all([live.recorded, this.net.refreshHosts({ endpoints: rec.endpoints ?? {} })]);
    // Followers (logs -f, attach) end on this: the shim wrote the last output before the status.
    live.exits++;
    if (status.oomKilled) this.emit(live, 'oom');
    this.emit(live, 'die', { exitCode: String(status.exitCode) });
    this.logger.info('container exited', { id: rec.id, exitCode: status.exitCode, oomKilled: status.oomKilled });
    for (const f of live.onExit.splice(0)) f();
    // Taken now: a `docker wait` that comes after this exit waits for the next one.
    const waiters = live.exitWaiters.splice(0);
    // Not awaited: the exit poll must not wait for one container's cleanup to notice the next exit.
    void this.afterCleanup(live, live.cleaning, () => {
      for (const w of waiters) w({ StatusCode: status.exitCode, Error: null });
    });
  }

  /** What waits for the cleanup of a run: `docker wait` (a client may reuse the volumes next) and AutoRemove. */
  private async afterCleanup(live: Live, cleaning: Promise<void>, answerWaiters: () => void): Promise<void> {
    await cleaning;
    answerWaiters();
    if (live.rec.hostConfig.AutoRemove && !live.removing) {
      void this.serial(live, () => this.removeNow(live, true, true)).catch((e: unknown) => this.logger.error('auto-remove failed', { id: live.rec.id, error: String(e) }));
    }
  }

  // Supervision hooks: every start and exit passes through these two, so restart policies and
  // health checks see the same lifecycle whether the user, a policy or live restore drove it.

  private onStarted(live: Live, restored = false): void {
    const rec = live.rec;
    this.watchExit(rec.id);
    const startedAt = Date.parse(rec.state.StartedAt);
    this.restarts.started(rec.id, rec.hostConfig.RestartPolicy ?? {}, startedAt, restored ? { restartCount: rec.restartCount } : undefined);
    rec.restartCount = this.restarts.restartCount(rec.id);
    if (probeCommand(rec.config.Healthcheck?.Test) !== undefined) {
      this.health.start(rec.id, rec.config.Healthcheck, startedAt);
      rec.state.Health = this.health.get(rec.id) ?? rec.state.Health;
    } else delete rec.state.Health;
  }

  /** True when the restart policy will start the container again (after its back-off). */
  private onExited(live: Live): boolean {
    const rec = live.rec;
    this.health.stop(rec.id);
    if (rec.state.Health) rec.state.Health = { ...rec.state.Health, Status: 'unhealthy' };
    const manualStop = rec.manuallyStopped || live.removing || rec.hostConfig.AutoRemove === true;
    const decision = this.restarts.exited(rec.id, { exitCode: rec.state.ExitCode, manualStop, daemonShutdown: this.closed });
    rec.restartCount = this.restarts.restartCount(rec.id);
    return decision.willRestart;
  }

  /** What the RestartSupervisor calls when a back-off ends. */
  private policyRestart(id: string): Promise<void> {
    const live = this.live.get(id);
    if (!live) return Promise.resolve();
    return this.serial(live, async () => {
      if (live.removing || !this.live.has(id) || live.rec.state.Running) return;
      try {
        await this.startRun(live);
      } catch (e) {
        this.logger.error('restart failed', { id, error: String(e) });
        live.rec.state = { ...live.rec.state, Status: 'exited', Restarting: false, Error: e instanceof Error ? e.message : String(e) };
        await this.persist(live).catch(() => undefined);
        throw e;
      }
    });
  }

  private healthChanged(id: string, health: HealthState): void {
    const live = this.live.get(id);
    if (!live || !live.rec.state.Running) return;
    live.rec.state.Health = health;
    void this.persist(live).catch(() => undefined);
    this.emit(live, `health_status: ${health.Status}`);
  }

  /** A health probe: the command as an exec in the container, killed when it overruns. */
  private async probe(id: string, cmd: string[], timeoutMs: number): Promise<{ exitCode: number; output: string }> {
    const live = this.live.get(id);
    if (!live || !live.rec.state.Running) return { exitCode: -1, output: 'container is not running' };
    const { Id } = await this.execCreate(id, { Cmd: cmd, AttachStdout: true, AttachStderr: true });
    const ac = new AbortController();
    const session = await this.execStart(Id, { detach: false, tty: false, signal: ac.signal });
    const ex = this.findExec(Id);
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
    // Probes are not user execs: they do not linger in ExecIDs.
    this.execs.delete(Id);
    live.execIds = live.execIds.filter((x) => x !== Id);
    if (timedOut) return { exitCode: -1, output: `Health check exceeded timeout (${timeoutMs}ms)` };
    return { exitCode: ex.exitCode ?? -1, output };
  }

  /** Re-adopts the containers of an earlier daemon: running ones are watched again, exits that happened meanwhile are processed. */
  /** A created runc container, a mounted rootfs or a network sandbox of a container that does not run. */
  private async hasRunLeftovers(id: string): Promise<boolean> {
    if (await this.runner.runc.stateIfExists(id).catch(() => undefined)) return true;
    if (await this.net.hasSandbox(id)) return true;
    return (await mountsUnder(this.paths(id).rootfs)).length > 0;
  }

  private async restore(): Promise<void> {
    const { records, broken } = await loadRecords(this.recordsDir);
    for (const b of broken) this.logger.error('unreadable container record skipped', { file: b });
    for (const rec of records) this.live.set(rec.id, this.newLive(rec));
    for (const live of this.live.values()) {
      const rec = live.rec;
      if (rec.state.Running) {
        // The supervisor learns of the run first, so an exit found now still gets its restart policy.
        this.onStarted(live, true);
        const status = await readExitStatus(this.paths(rec.id).status).catch(() => undefined);
        if (status && status.pid === rec.state.Pid) {
          await this.handleExit(live, status);
          continue;
        }
        const runcState = await this.runner.runc.stateIfExists(rec.id).catch(() => undefined);
        if ((rec.monitorPid && monitorAlive(rec.monitorPid)) || runcState?.status === 'running' || runcState?.status === 'paused') {
          rec.state.Paused = runcState?.status === 'paused';
          rec.state.Status = rec.state.Paused ? 'paused' : 'running';
          // The proxies died with the previous daemon; the same host ports are bound again.
          await this.publishPorts(live).then(
            (ports) => (rec.ports = ports),
            (e: unknown) => this.logger.error('re-publishing ports failed', { id: rec.id, error: String(e) }),
          );
          await this.vols.adopt(rec.id, this.mountsOf(rec));
          this.logger.info('container re-adopted', { id: rec.id, pid: rec.state.Pid });
          continue;
        }
        // Neither a status nor a monitor: the machine rebooted, or the monitor was killed.
        await this.handleExit(live, { pid: rec.state.Pid, exitCode: 255, signal: 0, oomKilled: false, startedAt: rec.state.StartedAt, finishedAt: iso(this.clock.now()) });
        rec.state.Error = 'the container\'s monitor disappeared while the engine was down';
        await this.persist(live);
      } else {
        // Prepared by an earlier daemon (or it died preparing) and never started: undo; a start prepares anew.
        if (await this.hasRunLeftovers(rec.id)) {
          await this.cleanupRun(rec.id).catch((e: unknown) => this.logger.error('undoing a prepared run failed', { id: rec.id, error: String(e) }));
        }
        if (rec.hasBeenStarted && (rec.state.Restarting || shouldRestartOnDaemonStart(rec.hostConfig.RestartPolicy, { exitCode: rec.state.ExitCode, manuallyStopped: rec.manuallyStopped, restartCount: rec.restartCount }))) {
          void this.serial(live, () => this.startRun(live)).catch((e: unknown) => this.logger.error('restart at daemon start failed', { id: rec.id, error: String(e) }));
        }
      }
    }
  }

  // -------------------------------------------------------------------------------------------
  // Views

  private mountPoints(rec: ContainerRecord): MountPoint[] {
    return this.vols.mountPoints(this.mountsOf(rec));
  }

  private inspectOf(live: Live): ContainerInspect {
    const rec = live.rec;
    const p = this.paths(rec.id);
    const cmd = commandOf(rec.config);
    const networks = this.endpointViews(rec);
    const primary = this.primaryEndpoint(rec);
    const onDefault = primary && this.net.get(primary.networkId)?.name === 'bridge' ? primary : undefined;
    return {
      Id: rec.id,
      Created: rec.created,
      Path: cmd[0] ?? '',
      Args: cmd.slice(1),
      State: { ...rec.state, ...(rec.state.Running && this.health.get(rec.id) ? { Health: this.health.get(rec.id) } : {}) },
      Image: rec.image,
      ResolvConfPath: path.join(p.etc, 'resolv.conf'),
      HostnamePath: path.join(p.etc, 'hostname'),
      HostsPath: path.join(p.etc, 'hosts'),
      LogPath: p.log,
      Name: `/${rec.name}`,
      RestartCount: rec.restartCount,
      Driver: 'overlay',
      Platform: 'linux',
      MountLabel: '',
      ProcessLabel: '',
      AppArmorProfile: '',
      ExecIDs: live.execIds.length > 0 ? [...live.execIds] : null,
      HostConfig: rec.hostConfig,
      GraphDriver: { Name: 'overlay', Data: { MergedDir: p.rootfs, UpperDir: p.upper, WorkDir: p.work } },
      Mounts: this.mountPoints(rec),
      Config: rec.config,
      NetworkSettings: {
        Bridge: '',
        SandboxID: rec.endpoints ? rec.id : '',
        SandboxKey: rec.endpoints ? this.net.netnsPath(rec.id) : '',
        Ports: this.portsView(rec),
        // The pre-1.44 top-level fields describe the default bridge endpoint (`docker inspect -f '{{.NetworkSettings.IPAddress}}'`).
        Gateway: onDefault?.gateway ?? '',
        IPAddress: onDefault?.address ?? '',
        IPPrefixLen: onDefault?.prefix ?? 0,
        MacAddress: onDefault?.mac ?? '',
        EndpointID: onDefault?.endpointId ?? '',
        Networks: networks,
      },
    };
  }

  private statusText(rec: ContainerRecord): string {
    const now = this.clock.now();
    const s = rec.state;
    if (s.Restarting) return `Restarting (${s.ExitCode}) ${humanDuration(now - Date.parse(s.FinishedAt))} ago`;
    if (s.Running) {
      const health = s.Health && s.Health.Status !== 'none' ? ` (${s.Health.Status === 'starting' ? 'health: starting' : s.Health.Status})` : '';
      return `Up ${humanDuration(now - Date.parse(s.StartedAt))}${s.Paused ? ' (Paused)' : health}`;
    }
    if (s.Status === 'created') return 'Created';
    return `Exited (${s.ExitCode}) ${humanDuration(now - Date.parse(s.FinishedAt))} ago`;
  }

  /** NetworkSettings.Networks: endpoints by network name; `host`/`none` as dockerd shows them. */
  private endpointViews(rec: ContainerRecord): Record<string, EndpointSettings> {
    const choice = networkChoice(rec.hostConfig.NetworkMode);
    if (choice.kind === 'host' || choice.kind === 'none') {
      const n = this.net.tryFind(choice.kind);
      return { [choice.kind]: { IPAMConfig: null, Links: null, Aliases: null, NetworkID: n?.id ?? '', EndpointID: '', Gateway: '', IPAddress: '', IPPrefixLen: 0, MacAddress: '', DNSNames: null } };
    }
    const out: Record<string, EndpointSettings> = {};
    for (const ep of Object.values(rec.endpoints ?? {})) {
      const n = this.net.get(ep.networkId);
      if (!n) continue;
      out[n.name] = {
        IPAMConfig: ep.requestedAddress ? { IPv4Address: ep.requestedAddress } : null,
        Links: rec.hostConfig.Links && rec.hostConfig.Links.length > 0 ? [...rec.hostConfig.Links] : null,
        Aliases: ep.aliases.length > 0 ? [...ep.aliases] : null,
        MacAddress: ep.mac,
        NetworkID: n.id,
        EndpointID: ep.endpointId,
        Gateway: ep.gateway,
        IPAddress: ep.address,
        IPPrefixLen: ep.prefix,
        IPv6Gateway: '',
        GlobalIPv6Address: '',
        GlobalIPv6PrefixLen: 0,
        DNSNames: n.predefined ? null : [rec.name, rec.id.slice(0, 12), ...ep.aliases],
      };
    }
    return out;
  }

  /** NetworkSettings.Ports: every exposed or published port, with its host bindings while running. */
  private portsView(rec: ContainerRecord): Record<string, PortBinding[] | null> {
    const out: Record<string, PortBinding[] | null> = {};
    for (const key of Object.keys(rec.config.ExposedPorts ?? {})) out[key.includes('/') ? key : `${key}/tcp`] = null;
    if (rec.state.Running) {
      for (const p of rec.ports ?? []) {
        const key = `${p.containerPort}/${p.proto}`;
        out[key] = [...(out[key] ?? []), { HostIp: p.hostIp || '0.0.0.0', HostPort: String(p.hostPort) }];
      }
    }
    return out;
  }

  private portSummaries(rec: ContainerRecord): PortSummary[] {
    const out: PortSummary[] = [];
    for (const [key, bindings] of Object.entries(this.portsView(rec))) {
      const [port, proto] = key.split('/');
      const Type = (proto ?? 'tcp') as PortSummary['Type'];
      if (!bindings) out.push({ PrivatePort: Number(port), Type });
      else for (const b of bindings) out.push({ IP: b.HostIp, PrivatePort: Number(port), PublicPort: Number(b.HostPort), Type });
    }
    return out;
  }

  private summaryOf(live: Live): ContainerSummary {
    const rec = live.rec;
    return {
      Id: rec.id,
      Names: [`/${rec.name}`],
      Image: rec.imageRef,
      ImageID: rec.image,
      Command: commandOf(rec.config).join(' '),
      Created: Math.floor(Date.parse(rec.created) / 1000),
      Ports: this.portSummaries(rec),
      Labels: rec.config.Labels ?? {},
      State: rec.state.Status,
      Status: this.statusText(rec),
      HostConfig: { NetworkMode: rec.hostConfig.NetworkMode ?? 'bridge' },
      NetworkSettings: { Networks: this.endpointViews(rec) },
      Mounts: this.mountPoints(rec),
    };
  }

  private async list(options: ContainerListOptions): Promise<ContainerSummary[]> {
    const f = options.filters;
    const ancestors = new Set<string>();
    for (const a of f.ancestor ?? []) {
      const id = await this.store.resolve(a).catch(() => undefined);
      if (id) ancestors.add(id);
    }
    const all = options.all || (f.status ?? []).some((s) => s !== 'running') || (f.exited ?? []).length > 0;
    let list = [...this.live.values()].filter((l) => all || l.rec.state.Running);
    const keep = (key: string, test: (l: Live, v: string) => boolean): void => {
      const values = f[key];
      if (values && values.length > 0) list = list.filter((l) => values.some((v) => test(l, v)));
    };
    keep('status', (l, v) => l.rec.state.Status === v);
    keep('id', (l, v) => l.rec.id.startsWith(v));
    keep('name', (l, v) => {
      try {
        return new RegExp(v.replace(/^\//, '')).test(l.rec.name);
      } catch {
        return l.rec.name.includes(v);
      }
    });
    keep('ancestor', (l, v) => ancestors.has(l.rec.image) || l.rec.imageRef === v);
    // `volume=` matches a volume name or a mount destination (moby's container list filter).
    keep('volume', (l, v) => this.mountsOf(l.rec).some((m) => m.name === v || m.destination === v || (m.type === 'bind' && m.source === v)));
    keep('exited', (l, v) => !l.rec.state.Running && l.rec.hasBeenStarted && l.rec.state.ExitCode === Number(v));
    // Labels AND together (docker ps --filter label=a --filter label=b needs both).
    for (const label of f.label ?? []) {
      const eq = label.indexOf('=');
      list = list.filter((l) => {
        const labels = l.rec.config.Labels ?? {};
        return eq < 0 ? label in labels : labels[label.slice(0, eq)] === label.slice(eq + 1);
      });
    }
    const out = list.map((l) => this.summaryOf(l)).sort((a, b) => b.Created - a.Created || (a.Id < b.Id ? -1 : 1));
    return options.limit !== undefined && options.limit > 0 ? out.slice(0, options.limit) : out;
  }

  // -------------------------------------------------------------------------------------------
  // Streams: logs, attach

  private async logs(ref: string, options: LogsOptions): Promise<LogStream> {
    const live = this.find(ref);
    const file = this.paths(live.rec.id).log;
    const out = new Channel<LogEntry>(options.signal);
    const wanted = (e: LogEntry): boolean =>
      (e.stream === 'stdout' ? options.stdout : options.stderr) &&
      (!options.since || e.time.getTime() >= options.since.getTime()) &&
      (!options.until || e.time.getTime() < options.until.getTime());
    const buf = await readFrom(file, 0);
    const { entries, consumed } = parseChunk(buf);
    let past = entries.filter(wanted);
    if (options.tail !== undefined) past = options.tail <= 0 ? [] : past.slice(Math.max(0, past.length - options.tail));
    for (const e of past) out.push(e);
    const untilPassed = options.until !== undefined && options.until.getTime() <= this.clock.now();
    if (options.follow && live.rec.state.Running && !untilPassed) {
      const target = live.exits;
      followLog({
        file,
        offset: consumed,
        finished: () => live.exits > target || !this.live.has(live.rec.id) || (options.until !== undefined && options.until.getTime() <= Date.now()),
        signal: options.signal,
        onEntry: (e) => {
          if (wanted(e)) out.push(e);
        },
        onEnd: () => out.end(),
      });
    } else out.end();
    return { tty: live.rec.config.Tty === true, entries: out };
  }

  /** Relays a client's input to the running container's stdin through its monitor. */
  private connectStdin(live: Live, input: Readable): void {
    attachStdin(this.paths(live.rec.id).ioSocket, input).catch((e: unknown) => {
      this.logger.error('attaching stdin failed', { id: live.rec.id, error: String(e) });
      input.resume();
    });
  }

  private async attach(ref: string, options: AttachOptions): Promise<AttachSession> {
    const live = this.find(ref);
    if (live.rec.state.Paused) throw new ConflictError('You cannot attach to a paused container, unpause it first');
    const file = this.paths(live.rec.id).log;
    const out = new Channel<OutputChunk>(options.signal);
    const wanted = (e: LogEntry): boolean => (e.stream === 'stdout' ? options.stdout : options.stderr);
    if (options.stdin) {
      // Without OpenStdin the container's stdin is /dev/null: input is read and dropped so the connection does not stall.
      if (live.rec.config.OpenStdin !== true) options.stdin.resume();
      else if (live.rec.state.Running) this.connectStdin(live, options.stdin);
      else live.pendingStdin.push(options.stdin);
    }
    const offset = options.logs ? 0 : await fileSize(file);
    if (!options.stream) {
      const { entries } = parseChunk(await readFrom(file, 0));
      for (const e of entries) if (wanted(e)) out.push({ stream: e.stream, data: e.line });
      out.end();
      return { tty: live.rec.config.Tty === true, output: out };
    }
    // An attach to a container that is not running follows its next run (`docker start -a`, `docker run`).
    const target = live.exits;
    followLog({
      file,
      offset,
      finished: () => live.exits > target || !this.live.has(live.rec.id),
      signal: options.signal,
      pollMs: 20,
      onEntry: (e) => {
        if (wanted(e)) out.push({ stream: e.stream, data: e.line });
      },
      onEnd: () => out.end(),
    });
    return { tty: live.rec.config.Tty === true, output: out };
  }

  // -------------------------------------------------------------------------------------------
  // top, stats, update, pause

  private async top(ref: string, psArgs: string | undefined): Promise<ProcessList> {
    const live = this.find(ref);
    if (!live.rec.state.Running) throw new ConflictError(`Container ${live.rec.id} is not running`);
    const pids = new Set((await this.runner.runc.ps(live.rec.id).catch((e: unknown) => {
      throw toEngineError(e);
    })).map(String));
    const args = (psArgs ?? '-ef').split(/\s+/).filter((a) => a !== '');
    const text = await new Promise<string>((resolve, reject) => {
      const child = spawn('ps', args, { stdio: ['ignore', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      child.on('error', reject);
      child.on('close', (code) => (code === 0 ? resolve(stdout) : reject(new InternalError(`ps: ${stderr.trim() || `exit status ${code}`}`))));
    });
    const lines = text.split('\n').filter((l) => l.trim() !== '');
    const titles = (lines[0] ?? '').trim().split(/\s+/);
    const pidCol = titles.indexOf('PID');
    if (pidCol < 0) throw new InternalError(`Couldn't find PID field in ps output`);
    const processes: string[][] = [];
    for (const line of lines.slice(1)) {
      const fields = line.trim().split(/\s+/);
      // The last column (the command) keeps its spaces.
      const row = [...fields.slice(0, titles.length - 1), fields.slice(titles.length - 1).join(' ')];
      if (pids.has(row[pidCol])) processes.push(row);
    }
    return { Titles: titles, Processes: processes };
  }

  private stats(ref: string, options: StatsOptions): AsyncIterable<ContainerStats> {
    const self = this;
    return (async function* () {
      const live = self.find(ref);
      const mounts = hostCgroupMounts();
      const sample = async (): Promise<ContainerStats> => {
        const base: ContainerStats = { read: new Date().toISOString(), preread: ZERO_TIME, id: live.rec.id, name: `/${live.rec.name}` };
        if (!live.rec.state.Running) return { ...base, pids_stats: {}, cpu_stats: {}, memory_stats: {}, blkio_stats: {} };
        return { ...base, ...(await sampleCgroups(self.runner.cgroupsPath(live.rec.id), mounts)), blkio_stats: {}, num_procs: 0 };
      };
      let prev: ContainerStats | undefined;
      if (!options.stream && !options.oneShot) {
        // dockerd's one-shot-less answer carries a previous sample so clients can compute CPU %.
        prev = await sample();
        await new Promise((r) => setTimeout(r, 100));
      }
      for (;;) {
        const s = await sample();
        if (prev) {
          s.preread = prev.read;
          s.precpu_stats = prev.cpu_stats;
        } else s.precpu_stats = {};
        yield s;
        if (!options.stream || options.signal.aborted) return;
        prev = s;
        await new Promise<void>((resolve) => {
          const t = setTimeout(resolve, 1000);
          options.signal.addEventListener('abort', () => {
            clearTimeout(t);
            resolve();
          }, { once: true });
        });
        if (options.signal.aborted) return;
      }
    })();
  }

  private async update(ref: string, u: ContainerUpdateRequest): Promise<{ Warnings: string[] }> {
    const live = this.find(ref);
    return this.serial(live, async () => {
      const rec = live.rec;
      // A prepared run has the old limits in its cgroup and bundle: its start makes them anew.
      await this.discardPrepared(live);
      const { RestartPolicy, ...resources } = u;
      const next = { ...rec.hostConfig };
      for (const [k, v] of Object.entries(resources)) if (v !== undefined && v !== null && v !== 0 && v !== '') (next as Record<string, unknown>)[k] = v;
      if (RestartPolicy) next.RestartPolicy = RestartPolicy;
      try {
        restartPolicyOf(next);
      } catch (e) {
        throw toEngineError(e);
      }
      if (rec.state.Running) {
        const spec = buildContainerSpec({ config: rec.config, hostConfig: next, user: { uid: 0, gid: 0 }, mounts: [], containerPid: () => 1 });
        const r = spec.resources ?? {};
        const update: Record<string, unknown> = {};
        if (r.memory || r.memoryReservation) update.memory = { ...(r.memory ? { limit: r.memory, swap: r.memorySwap ?? r.memory * 2 } : {}), ...(r.memoryReservation ? { reservation: r.memoryReservation } : {}) };
        const cpu: Record<string, unknown> = {};
        if (r.cpuShares) cpu.shares = r.cpuShares;
        if (r.nanoCpus) Object.assign(cpu, { period: 100_000, quota: Math.floor((r.nanoCpus * 100_000) / 1e9) });
        if (r.cpusetCpus) cpu.cpus = r.cpusetCpus;
        if (Object.keys(cpu).length > 0) update.cpu = cpu;
        if (r.pidsLimit && r.pidsLimit > 0) update.pids = { limit: r.pidsLimit };
        try {
          await this.runner.runc.update(rec.id, update);
        } catch (e) {
          throw toEngineError(e);
        }
      }
      rec.hostConfig = next;
      await this.persist(live);
      this.emit(live, 'update');
      return { Warnings: [] };
    });
  }

  private async pause(ref: string, pause: boolean): Promise<void> {
    const live = this.find(ref);
    await this.serial(live, async () => {
      const rec = live.rec;
      if (!rec.state.Running) throw new ConflictError(`Container ${rec.id} is not running`);
      if (pause && rec.state.Paused) throw new ConflictError(`Container ${rec.id} is already paused`);
      if (!pause && !rec.state.Paused) throw new ConflictError(`Container ${rec.id} is not paused`);
      try {
        if (pause) await this.runner.runc.pause(rec.id);
        else await this.runner.runc.resume(rec.id);
      } catch (e) {
        throw toEngineError(e);
      }
      rec.state = { ...rec.state, Paused: pause, Status: pause ? 'paused' : 'running' };
      await this.persist(live);
      this.emit(live, pause ? 'pause' : 'unpause');
    });
  }

  private async rename(ref: string, newName: string): Promise<void> {
    const live = this.find(ref);
    const name = newName.replace(/^\//, '');
    if (!NAME_PATTERN.test(newName)) throw new InvalidArgumentError(`Invalid container name (${newName}), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed`);
    const old = live.rec.name;
    if (name === old) throw new InvalidArgumentError('Renaming a container with the same name as its current name');
    for (const l of this.live.values()) {
      if (l.rec.name === name) throw new ConflictError(`Conflict. The container name "/${name}" is already in use by container "${l.rec.id}". You have to remove (or rename) that container to be able to reuse that name.`);
    }
    live.rec.name = name;
    await this.persist(live);
    this.emit(live, 'rename', { oldName: `/${old}` });
  }

  // -------------------------------------------------------------------------------------------
  // Exec

  private async execCreate(ref: string, request: ExecCreateRequest): Promise<{ Id: string }> {
    const live = this.find(ref);
    if (!live.rec.state.Running) throw new ConflictError(`Container ${live.rec.id} is not running`);
    if (live.rec.state.Paused) throw new ConflictError(`Container ${live.rec.id} is paused, unpause the container before exec`);
    if (!request.Cmd || request.Cmd.length === 0) throw new InvalidArgumentError('No exec command specified');
    const id = randomBytes(32).toString('hex');
    this.execs.set(id, { id, containerId: live.rec.id, request, running: false, exitCode: null, pid: 0, started: false });
    live.execIds.push(id);
    this.emit(live, `exec_create: ${request.Cmd.join(' ')}`, { execID: id });
    return { Id: id };
  }

  private findExec(id: string): ExecRecord {
    const e = this.execs.get(id);
    if (!e) throw new NotFoundError(`No such exec instance: ${id}`);
    return e;
  }

  /** The process spec for an exec: the container's own process (caps, rlimits, env) with the exec's command. */
  private async execProcess(live: Live, req: ExecCreateRequest, consoleSize?: readonly [number, number]): Promise<OciSpec['process']> {
    const p = this.paths(live.rec.id);
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

  private async execStart(execId: string, options: ExecStartOptions): Promise<ExecSession> {
    const ex = this.findExec(execId);
    if (ex.started) throw new ConflictError(`Error: Exec command ${execId} has already run`);
    const live = this.find(ex.containerId);
    if (!live.rec.state.Running) throw new ConflictError(`Container ${live.rec.id} is not running`);
    let proc: OciSpec['process'];
    try {
      proc = await this.execProcess(live, ex.request, options.consoleSize ?? ex.request.ConsoleSize ?? undefined);
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
    const runc = this.runner.runc;
    // A TTY exec needs runc's console socket (the pty master comes by fd passing), which only the
    // native shim can receive: it relays its stdio to the pty and takes resize lines on fd 3.
    const [command, args] = tty
      ? [this.shimBinary, ['--exec-tty', '--runc', runc.binary, '--root', runc.root, '--id', live.rec.id, '--process', processFile, '--pid-file', pidFile, ...(withStdin ? ['--stdin'] : [])]]
      : [runc.binary, ['--root', runc.root, 'exec', '--process', processFile, '--pid-file', pidFile, live.rec.id]];
    const child = spawn(command, args, {
      stdio: [withStdin ? 'pipe' : 'ignore', options.detach ? 'ignore' : 'pipe', options.detach ? 'ignore' : 'pipe', tty ? 'pipe' : 'ignore'],
    });
    if (tty) {
      const resize = child.stdio[3] as NodeJS.WritableStream & { on(e: 'error', f: () => void): void };
      resize.on('error', () => undefined);
      ex.resize = resize;
    }
    this.emit(live, `exec_start: ${ex.request.Cmd.join(' ')}`, { execID: ex.id });
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
      this.emit(live, 'exec_die', { execID: ex.id, exitCode: String(ex.exitCode) });
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

  private execInspect(execId: string): ExecInspect {
    const ex = this.findExec(execId);
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

  // -------------------------------------------------------------------------------------------
  // Archive (docker cp)

  /**
   * Runs `use` on the container's filesystem, on the container's queue (no start, stop or pause
   * overlaps), until the promise `use` returns as `finished` settles (a GET streams after the call
   * has answered). A running container is reached through /proc/<pid>/root, its own mounts
   * included, and is frozen meanwhile: a process in it that swapped a directory for a symlink
   * between our lookup and our open could otherwise point the engine at a host path (the
   * CVE-2018-15664 race). A stopped one gets its rootfs and volumes mounted for the call.
   */
  private withContainerRoot<T>(ref: string, use: (c: ContainerRoot, undone: Promise<void>) => Promise<{ value: T; finished?: Promise<void> }>): Promise<T> {
    const live = this.find(ref);
    const rec = live.rec;
    const mounts = this.mountsOf(rec);
    const view = (root: string): ContainerRoot => ({ root, containerId: rec.id, mounts: mounts.map((m) => ({ destination: m.destination, readonly: m.readonly })), readonlyRootfs: rec.hostConfig.ReadonlyRootfs === true });
    const wrap = (e: unknown): Error => (e instanceof TarError || e instanceof PathResolveError ? new InvalidArgumentError(e.message, { cause: e }) : toEngineError(e));
    let markUndone!: () => void;
    // Settles once the container is thawed or unmounted again: a streamed answer ends only then, so
    // a client's next call (an exec right after `docker cp`) never meets a frozen container.
    const undone = new Promise<void>((r) => (markUndone = r));
    return new Promise<T>((resolve, reject) => {
      void this.serial(live, async () => {
        let undo: (() => Promise<void>) | undefined;
        try {
          let root: string;
          if (rec.state.Running && rec.state.Pid > 0) {
            if (!rec.state.Paused) {
              await this.runner.runc.pause(rec.id);
              undo = () => this.runner.runc.resume(rec.id);
            }
            root = `/proc/${rec.state.Pid}/root`;
          } else {
            // The archive mounts the root itself (a prepared run holds it mounted): the start prepares again.
            await this.discardPrepared(live);
            const p = this.paths(rec.id);
            const holder = `${rec.id}-archive`;
            const lowerDirs = await this.store.lowerDirs(rec.image);
            const volumes = await this.vols.acquire(holder, mounts.filter((m) => m.type !== 'tmpfs'), { quiet: true });
            const release = (): Promise<void> => this.vols.release(holder, { quiet: true });
            undo = release;
            const binds = volumes.specs.flatMap((m) => (m.type === 'bind' ? [{ source: m.source, destination: m.target, readonly: m.readonly === true }] : []));
            const unmount = await mountStoppedRoot({ lowerDirs, upperDir: p.upper, workDir: p.work, target: p.rootfs, binds });
            undo = async () => {
              await unmount();
              await release();
            };
            root = p.rootfs;
          }
          const { value, finished } = await use(view(root), undone);
          if (finished) {
            resolve(value);
            await finished;
          } else {
            // Answered only once undone, for the same reason.
            await undo?.();
            undo = undefined;
            resolve(value);
          }
        } catch (e) {
          // A refusal, too, is answered only with the container thawed.
          await undo?.().catch((err: unknown) => this.logger.error('undoing the setup of docker cp failed', { id: rec.id, error: String(err) }));
          undo = undefined;
          reject(wrap(e));
        } finally {
          await undo?.().catch((e: unknown) => this.logger.error('undoing the setup of docker cp failed', { id: rec.id, error: String(e) }));
          markUndone();
        }
      });
    });
  }

  private archiveStat(ref: string, p: string): Promise<PathStat> {
    return this.withContainerRoot(ref, async (c) => ({ value: await statContainerPath(c, p) }));
  }

  private archiveGet(ref: string, p: string, signal: AbortSignal): Promise<{ stat: PathStat; tar: Readable }> {
    return this.withContainerRoot(ref, async (c, undone) => {
      const { stat, tar, done } = await archiveContainerPath(c, p, signal);
      signal.addEventListener('abort', () => tar.destroy(), { once: true });
      this.emit(this.find(ref), 'archive-path');
      const outer = Readable.from(
        (async function* () {
          try {
            yield* tar;
          } finally {
            tar.destroy();
            await undone;
          }
        })(),
        { objectMode: false },
      );
      return { value: { stat, tar: outer }, finished: done };
    });
  }

  private archivePut(ref: string, p: string, tar: Readable, options: ArchivePutOptions): Promise<void> {
    const live = this.find(ref);
    return this.withContainerRoot(ref, async (c) => {
      // `docker cp -a`: files belong to the container's user, as dockerd's tarCopyOptions does it.
      const user = options.copyUIDGID && live.rec.config.User ? await resolveUserInRootfs(c.root, live.rec.config.User) : undefined;
      await extractIntoContainer(c, p, tar as AsyncIterable<Uint8Array>, { noOverwriteDirNonDir: options.noOverwriteDirNonDir, ...(user ? { owner: { uid: user.uid, gid: user.gid } } : {}) });
      this.emit(live, 'extract-to-dir');
      return { value: undefined };
    });
  }

  // -------------------------------------------------------------------------------------------
  // Backends

  private containerBackend(): ContainerBackend {
    return {
      create: (r, o) => this.create(r, o),
      start: (id) => this.start(id),
      stop: (id, o) => this.stop(id, o),
      kill: (id, s) => this.kill(id, s),
      restart: (id, o) => this.restart(id, o),
      wait: (id, c) => this.wait(id, c),
      remove: (id, o) => this.remove(id, o),
      inspect: async (id) => this.inspectOf(this.find(id)),
      list: (o) => this.list(o),
      logs: (id, o) => this.logs(id, o),
      attach: (id, o) => this.attach(id, o),
      resize: async (id, size) => {
        const live = this.find(id);
        if (!live.rec.state.Running) throw new ConflictError(`Container ${live.rec.id} is not running`);
        if (live.rec.config.Tty === true) await resizeTty(this.paths(live.rec.id).ioSocket, size).catch((e: unknown) => {
          throw toEngineError(e);
        });
      },
      top: (id, a) => this.top(id, a),
      stats: (id, o) => this.stats(id, o),
      rename: (id, n) => this.rename(id, n),
      update: (id, u) => this.update(id, u),
      pause: (id) => this.pause(id, true),
      unpause: (id) => this.pause(id, false),
      archiveStat: (id, p) => this.archiveStat(id, p),
      archiveGet: (id, p, signal) => this.archiveGet(id, p, signal),
      archivePut: (id, p, tar, o) => this.archivePut(id, p, tar, o),
    };
  }

  private async connect(netRef: string, containerRef: string, cfg: EndpointSettings): Promise<void> {
    const r = this.net.find(netRef);
    const live = this.find(containerRef);
    await this.serial(live, async () => {
      const rec = live.rec;
      const mode = networkChoice(rec.hostConfig.NetworkMode);
      if (mode.kind !== 'network') throw new InvalidArgumentError(`container ${rec.name} uses network mode ${rec.hostConfig.NetworkMode}: it cannot be connected to other networks`);
      if (r.driver !== 'bridge') throw new InvalidArgumentError(`container cannot be connected to network ${r.name} (driver ${r.driver})`);
      const ep = await this.net.planEndpoint(this.attachedView(live), r, cfg);
      try {
        await this.net.plug(this.attachedView(live), ep);
      } catch (e) {
        await this.net.unplug(ep).catch(() => undefined);
        throw toEngineError(e);
      }
      rec.endpoints = { ...(rec.endpoints ?? {}), [r.id]: ep };
      // A prepared run got the endpoint plugged into its sandbox like a running one; its resolv.conf
      // (bind-mounted already) now names this network's DNS too. Compose connects right after create.
      if (live.prepared) {
        await this.runner.rewriteResolvConf(rec.id, this.net.nameserversFor(this.attachedView(live))).catch(async (e: unknown) => {
          this.logger.info('updating a prepared run after connect failed; the start will do it', { id: rec.id, error: String(e) });
          await this.discardPrepared(live);
        });
      }
      await this.persist(live);
      this.net.event(r, 'connect', rec.id);
      await this.net.refreshHosts(this.attachedView(live));
    });
  }

  private async disconnect(netRef: string, containerRef: string): Promise<void> {
    const r = this.net.find(netRef);
    const live = this.find(containerRef);
    await this.serial(live, async () => {
      const rec = live.rec;
      const ep = rec.endpoints?.[r.id];
      if (!ep) throw new ForbiddenError(`container ${rec.id} is not connected to network ${r.name}`);
      await this.discardPrepared(live);
      await this.net.unplug(ep);
      const { [r.id]: _gone, ...rest } = rec.endpoints ?? {};
      rec.endpoints = rest;
      await this.persist(live);
      this.net.event(r, 'disconnect', rec.id);
      await this.net.refreshHosts({ endpoints: { ...rest, [r.id]: ep } });
    });
  }

  private networkBackend(): NetworkBackend {
    const wrap = async <T>(fn: () => Promise<T>): Promise<T> => {
      try {
        return await fn();
      } catch (e) {
        throw toEngineError(e);
      }
    };
    return {
      list: (filters) => wrap(() => this.net.list(filters)),
      inspect: (ref) => wrap(async () => this.net.inspectOf(this.net.find(ref))),
      create: (request) => wrap(() => this.net.create(request)),
      remove: (ref) => wrap(() => this.net.remove(ref)),
      connect: (ref, request) => wrap(() => this.connect(ref, request.Container, request.EndpointConfig ?? {})),
      disconnect: (ref, request) => wrap(() => this.disconnect(ref, request.Container)),
      prune: (filters) => wrap(() => this.net.prune(filters)),
    };
  }

  private execBackend(): ExecBackend {
    return {
      create: (id, r) => this.execCreate(id, r),
      start: (id, o) => this.execStart(id, o),
      inspect: async (id) => this.execInspect(id),
      resize: async (id, size) => {
        const ex = this.findExec(id);
        if (!ex.running) throw new ConflictError(`Exec ${id} is not running`);
        ex.resize?.write(`${size.height} ${size.width}\n`);
      },
    };
  }

  private imageInUse(imageId: string): boolean | 'running' {
    let used: boolean | 'running' = false;
    for (const l of this.live.values()) {
      if (l.rec.image !== imageId) continue;
      if (l.rec.state.Running) return 'running';
      used = true;
    }
    return used;
  }

  private imageBackend(): ImageBackend {
    const wrap = async <T>(fn: () => Promise<T>): Promise<T> => {
      try {
        return await fn();
      } catch (e) {
        throw toEngineError(e);
      }
    };
    const self = this;
    return {
      list: () => wrap(async () => (await this.store.list()).map((i) => ({ ...i, Containers: -1 }))),
      inspect: (name) => wrap(async () => (await this.store.inspect(name)) as unknown as ImageInspect),
      import(options) {
        return (async function* (): AsyncGenerator<ProgressMessage> {
          const repoTag = options.repo ? (options.tag ? `${options.repo}:${options.tag}` : options.repo) : undefined;
          const loaded = await wrap(async () => {
            const changes = applyChanges({}, options.changes);
            return self.store.importRootfs(options.source as AsyncIterable<Uint8Array>, {
              ...(repoTag ? { repoTag } : {}),
              changes,
              ...(options.message ? { message: options.message } : {}),
            });
          });
          self.events.emit('image', 'import', loaded.id, { name: repoTag ?? loaded.id });
          if (repoTag) self.events.emit('image', 'tag', loaded.id, { name: repoTag });
          yield { status: loaded.id };
        })();
      },
      load(tar) {
        return (async function* (): AsyncGenerator<ProgressMessage> {
          const loaded = await wrap(() => self.store.load(tar as AsyncIterable<Uint8Array>));
          for (const image of loaded) {
            self.events.emit('image', 'load', image.id, { name: image.repoTags[0] ?? image.id });
            if (image.repoTags.length === 0) yield { stream: `Loaded image ID: ${image.id}\n` };
            for (const t of image.repoTags) yield { stream: `Loaded image: ${t}\n` };
          }
        })();
      },
      tag: (name, repo, tag) =>
        wrap(async () => {
          const target = tag ? `${repo}:${tag}` : repo;
          await this.store.tag(name, target);
          this.events.emit('image', 'tag', await this.store.resolve(target), { name: target });
        }),
      remove: (name, options) =>
        wrap(async () => {
          const items = await this.store.remove(name, { force: options.force, inUse: (id) => this.imageInUse(id) });
          for (const item of items) {
            if ('Untagged' in item) this.events.emit('image', 'untag', item.Untagged, { name: item.Untagged });
            else this.events.emit('image', 'delete', item.Deleted, { name: item.Deleted });
          }
          return items;
        }),
      save: (names) => wrap(() => this.store.save(names) as Promise<Readable>),
    };
  }

  private async info(): Promise<SystemInfo> {
    const all = [...this.live.values()];
    const running = all.filter((l) => l.rec.state.Running && !l.rec.state.Paused).length;
    const paused = all.filter((l) => l.rec.state.Paused).length;
    const mounts = hostCgroupMounts();
    const images = await this.store.list().catch(() => []);
    return {
      ID: `berth:${os.hostname()}`,
      Containers: all.length,
      ContainersRunning: running,
      ContainersPaused: paused,
      ContainersStopped: all.length - running - paused,
      Images: images.length,
      Driver: 'overlay',
      DriverStatus: [['Backing Filesystem', 'overlayfs']],
      Plugins: { Volume: ['local'], Network: ['bridge', 'host', 'null'], Authorization: null, Log: ['json-file'] },
      MemoryLimit: true,
      SwapLimit: true,
      CpuCfsPeriod: true,
      CpuCfsQuota: true,
      CPUShares: true,
      CPUSet: true,
      PidsLimit: true,
      IPv4Forwarding: this.netOptions.outboundNat === true,
      Debug: false,
      NFd: 0,
      OomKillDisable: false,
      NGoroutines: 0,
      SystemTime: iso(this.clock.now()),
      LoggingDriver: 'json-file',
      CgroupDriver: 'cgroupfs',
      CgroupVersion: mounts.some((m) => m.version === 1) ? '1' : '2',
      NEventsListener: this.events.listenerCount,
      KernelVersion: os.release(),
      OperatingSystem: 'berth built-in engine',
      OSVersion: '',
      OSType: 'linux',
      Architecture: os.machine(),
      NCPU: os.cpus().length,
      MemTotal: os.totalmem(),
      IndexServerAddress: '',
      DockerRootDir: this.root,
      HttpProxy: '',
      HttpsProxy: '',
      NoProxy: '',
      Name: os.hostname(),
      Labels: [],
      ExperimentalBuild: false,
      ServerVersion: ENGINE_VERSION,
      Runtimes: { runc: { path: this.runner.runc.binary } },
      DefaultRuntime: 'runc',
      LiveRestoreEnabled: true,
      Isolation: '',
      InitBinary: this.initBinary ?? '',
      SecurityOptions: ['name=seccomp,profile=builtin'],
      Warnings: null,
    };
  }

  private systemBackend(): SystemBackend {
    return {
      info: () => this.info(),
      version: async (): Promise<SystemVersion> => ({
        Platform: { Name: 'berth built-in engine' },
        Components: [{ Name: 'Engine', Version: ENGINE_VERSION, Details: { Runtime: 'runc', Monitor: 'berth-shim' } }],
        Version: ENGINE_VERSION,
        GitCommit: '',
        GoVersion: `node ${process.version}`,
        Os: 'linux',
        Arch: process.arch === 'x64' ? 'amd64' : process.arch,
        KernelVersion: os.release(),
        BuildTime: '',
      }),
      ping: async () => {
        if (this.closed) throw new InternalError('the engine is shutting down');
      },
      experimental: () => false,
      events: (o): AsyncIterable<EventMessage> => this.events.subscribe(o),
    };
  }
}
