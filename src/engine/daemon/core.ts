// The small core every daemon command works over: the engine's options, its rooms (image store,
// networks, volumes, the runner), the container table, supervision, and the few primitives the
// commands share (persist a record, emit an event, the network view of a container). The commands
// themselves live one verb per module beside it (create.ts, run.ts, stop.ts, delete.ts, exits.ts…),
// as moby's daemon/ keeps create.go, start.go, delete.go and monitor.go; engine.ts wires them.
//
// Layout under the roots: <root>/records/<id>.json (records), <root>/containers/<id>/ (runner:
// bundle, rootfs, upper, log, status), <root>/image/ (ImageStore); <runRoot>/runc (runc state).

import { existsSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import PQueue from 'p-queue';
import { ConflictError, InvalidArgumentError, type MountPoint } from '../backend.js';
import { recordPath, primaryEndpoint, type ContainerRecord } from '../container/record.js';
import { ContainerTable, type LiveContainer } from '../container/table.js';
import type { HostFacts } from '../container/resource-checks.js';
import type { ContainerViewContext } from '../container/views.js';
import { RegistryClient, type RegistryConfig } from '../distribution/index.js';
import { EventBus } from '../events/bus.js';
import type { ImageStore, ImageUser } from '../images/store.js';
import type { AddressPool } from '../networks/ipam.js';
import type { NetworkManager } from '../networks/manager.js';
import type { AttachedContainer } from '../networks/store.js';
import { hostCgroupMounts } from '../runtime/cgroups.js';
import { ContainerRunner, type ContainerPaths } from '../runtime/container-runner.js';
import { defaultShimPath } from '../runtime/monitor.js';
import { parseExtraHosts, planMounts } from '../runtime/translate.js';
import type { HealthMonitor } from '../supervise/health.js';
import type { RestartSupervisor } from '../supervise/restart.js';
import type { ContainerMount, VolumeService, VolumesFromSource } from '../volumes/service.js';
import { systemClock, type Clock } from '../../lib/clock.js';
import { withLock, writeJsonAtomic } from '../../lib/atomic.js';
import { ExitWatch } from './exit-watch.js';

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
  /** Mirrors, insecure registries, proxy (daemon.json / `--registry-mirror`, `--insecure-registry`). */
  registry?: RegistryConfig;
  /** Layers a pull fetches and unpacks at once (default 4; daemon.json `max-concurrent-downloads`). */
  maxConcurrentDownloads?: number;
  /** Layers a push uploads at once (default 4; daemon.json `max-concurrent-uploads`). */
  maxConcurrentUploads?: number;
}

const INIT_CANDIDATES = ['/usr/bin/docker-init', '/usr/libexec/docker/docker-init', '/usr/bin/tini-static', '/usr/bin/tini', '/usr/bin/catatonit', '/usr/libexec/podman/catatonit'];

export const ZERO_TIME = '0001-01-01T00:00:00Z';

export function iso(ms: number): string {
  return new Date(ms).toISOString();
}

export class EngineCore {
  readonly root: string;
  readonly runRoot: string;
  readonly recordsDir: string;
  readonly cgroupParent: string;
  readonly clock: Clock;
  readonly logger: EngineLogger;
  readonly runner: ContainerRunner;
  readonly events: EventBus;
  readonly containers = new ContainerTable();
  readonly initBinary: string | undefined;
  readonly shimBinary: string;
  readonly pollMs: number;
  readonly hostImage: boolean;
  readonly prepareAhead: boolean;
  readonly prepareAheadMs: number;
  readonly options: BuiltinEngineOptions;
  /** Preparations run at most one per core, in creation order: the first created is ready first. */
  readonly prepareQueue = new PQueue({ concurrency: Math.max(1, os.availableParallelism()) });
  /** Set by the exit handler at wiring time: inotify and the poll tell it to look at the status files. */
  readonly exitWatch: ExitWatch;
  /** The rooms opened in BuiltinEngine.open (they read their state from disk). */
  store!: ImageStore;
  vols!: VolumeService;
  net!: NetworkManager;
  restarts!: RestartSupervisor;
  health!: HealthMonitor;
  readonly registryConfig: RegistryConfig;
  /** The engine's anonymous registry client (pings and tokens cached); requests with credentials get their own. */
  readonly registryClient: RegistryClient;
  /** The exec room's records: a removed container's execs go with it. */
  execs: { forget(ids: readonly string[]): void } = { forget: () => undefined };
  closed = false;

  constructor(opts: BuiltinEngineOptions, onStatusChange: () => void) {
    this.options = opts;
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
    this.registryConfig = opts.registry ?? {};
    // The engine reads no credentials of its own: only what a request carries (X-Registry-Auth).
    this.registryClient = new RegistryClient({ config: this.registryConfig, credentials: async () => undefined });
    this.exitWatch = new ExitWatch(onStatusChange);
  }

  private cgroupV1Cached: boolean | undefined;

  /** Whether the host's cgroups are v1 (or hybrid): what CgroupnsMode defaults to depends on it. */
  get cgroupV1(): boolean {
    this.cgroupV1Cached ??= hostCgroupMounts().some((m) => m.version === 1 && m.controllers.includes('memory'));
    return this.cgroupV1Cached;
  }

  private hostFactsCached: HostFacts | undefined;

  /** What the resource checks compare against: CPUs, memory nodes, block I/O weight support. */
  get hostFacts(): HostFacts {
    const read = (file: string, fallback: string): string => {
      try {
        return readFileSync(file, 'utf8').trim();
      } catch {
        return fallback;
      }
    };
    const ncpu = os.availableParallelism();
    this.hostFactsCached ??= {
      ncpu,
      cpus: read('/sys/devices/system/cpu/online', `0-${ncpu - 1}`),
      mems: read('/sys/devices/system/node/online', '0'),
      blkioWeight: ['/sys/fs/cgroup/blkio/blkio.weight', '/sys/fs/cgroup/blkio/blkio.bfq.weight', '/sys/fs/cgroup/io.weight'].some((f) => existsSync(f)),
    };
    return this.hostFactsCached;
  }

  paths(id: string): ContainerPaths {
    return this.runner.paths(id);
  }

  find(ref: string): LiveContainer {
    return this.containers.find(ref);
  }

  serial<T>(live: LiveContainer, fn: () => Promise<T>): Promise<T> {
    return this.containers.serial(live, fn);
  }

  async persist(live: LiveContainer): Promise<void> {
    if (live.removing && !this.containers.has(live.rec.id)) return;
    // One write at a time per record, each taking the state as it is then: the newest always lands last.
    const file = recordPath(this.recordsDir, live.rec.id);
    await withLock(file, async () => {
      if (live.removing && !this.containers.has(live.rec.id)) return;
      await writeJsonAtomic(file, live.rec);
    });
  }

  forgetExecs(live: LiveContainer): void {
    this.execs.forget(live.execIds);
  }

  emit(live: LiveContainer, action: string, extra: Record<string, string> = {}): void {
    const r = live.rec;
    this.events.emit('container', action, r.id, { ...(r.config.Labels ?? {}), image: r.imageRef, name: r.name, ...extra });
  }

  /** A container using the image, a running one first (force cannot remove the image then); undefined when none does. */
  imageUser(imageId: string): ImageUser | undefined {
    let stopped: ImageUser | undefined;
    for (const l of this.containers.values()) {
      if (l.rec.image !== imageId) continue;
      if (l.rec.state.Running) return { container: l.rec.id, running: true };
      stopped ??= { container: l.rec.id, running: false };
    }
    return stopped;
  }

  /** The container as the network room sees it (names, endpoints, hosts file). */
  attachedView(l: LiveContainer): AttachedContainer {
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
      ...(rec.config.Domainname ? { domainname: rec.config.Domainname } : {}),
      ...(rec.hostConfig.Dns && rec.hostConfig.Dns.length > 0 ? { dns: rec.hostConfig.Dns } : {}),
      extraHosts: (() => {
        try {
          return parseExtraHosts(rec.hostConfig.ExtraHosts ?? [], primaryEndpoint(rec)?.gateway);
        } catch {
          return [];
        }
      })(),
    };
  }

  /** The record's mounts; records of engines before volumes kept only HostConfig (binds and tmpfs). */
  mountsOf(rec: ContainerRecord): ContainerMount[] {
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
  volumesFromSources(entries: readonly string[]): VolumesFromSource[] {
    return entries.map((entry) => {
      const colon = entry.lastIndexOf(':');
      const mode = colon > 0 ? entry.slice(colon + 1) : '';
      const ref = colon > 0 && (mode === 'ro' || mode === 'rw' || mode === 'z' || mode === 'Z') ? entry.slice(0, colon) : entry;
      if (colon > 0 && ref === entry) throw new InvalidArgumentError(`invalid mode for volumes-from: ${mode}`);
      const other = this.find(ref);
      return { mounts: this.mountsOf(other.rec), ...(mode === 'ro' || mode === 'rw' ? { mode } : {}) };
    });
  }

  /** The init pid of a running container whose namespaces another joins (`container:<ref>` modes). */
  containerPid(ref: string): number {
    const other = this.find(ref);
    if (!other.rec.state.Running) throw new ConflictError(`cannot join namespace of a non running container: ${other.rec.id}`);
    return other.rec.state.Pid;
  }

  /**
   * The host-side /dev/shm of a running container another joins with `--ipc container:<ref>`:
   * only a shareable one has it (moby's getIpcContainer refuses the others the same way).
   */
  containerShm(ref: string): string {
    const other = this.find(ref);
    if (!other.rec.state.Running) throw new ConflictError(`cannot join IPC of a non running container: ${other.rec.id}`);
    if (other.rec.hostConfig.IpcMode !== 'shareable') {
      throw new ConflictError(`container ${other.rec.id}: non-shareable IPC (hint: use IpcMode:shareable for the donor container)`);
    }
    return this.runner.paths(other.rec.id).shm;
  }

  /** What the inspect and list views read from the other rooms. */
  readonly viewContext: ContainerViewContext = {
    now: () => this.clock.now(),
    paths: (id) => this.paths(id),
    health: (id) => this.health.get(id),
    network: (id) => this.net.get(id),
    networkNamed: (ref) => this.net.tryFind(ref),
    netnsPath: (id) => this.net.netnsPath(id),
    mounts: (rec) => this.mountsOf(rec),
    mountPoints: (mounts): MountPoint[] => this.vols.mountPoints(mounts),
  };
}
