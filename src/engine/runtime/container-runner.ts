// Glue from "these layers + this ContainerSpec" to a running container and back to nothing.
//
// Layout of one container under <stateRoot>/containers/<id>/:
//   bundle/config.json  rootfs/ (overlay mount point)  upper/ work/  etc/{hosts,hostname,resolv.conf}
//   container-json.log  status.json  init.pid  runc.log
// Ordering on create: files first, then the mount, then the monitor; any failure undoes what was
// done (remove is idempotent), so bad input never leaves a half-made container behind.

import { readFile, rm, rmdir, writeFile, mkdir, rename } from 'node:fs/promises';
import { constants } from 'node:os';
import path from 'node:path';
import { buildOciSpec, DEFAULT_SHM_SIZE, type ContainerSpec } from './oci-spec.js';
import { execCommand as run } from './spawner.js';
import { cgroupDirs, memoryCgroupDir } from './cgroups.js';
import { renderHostname, renderHosts, renderResolvConf, type HostsEntry, type ResolvConfOverrides } from './etc-files.js';
import { readExitStatus, signalInit, startMonitor, startPrepared, waitForExit, type ExitStatus, type MonitorOptions, type MonitorStarted } from './monitor.js';
import { ensureInitLayer } from './init-layer.js';
import { hostImageMaskedPaths, isHostImage, mountRootfs, mountsUnder, prepareRootfsDirs, stackableLowerDirs, unmountRootfs } from './rootfs.js';
import { Runc } from './runc.js';

export interface RunnerOptions {
  /** Persistent state root (e.g. /var/lib/berth). */
  stateRoot: string;
  /** runc --root (e.g. /run/berth/runc). */
  runcRoot: string;
  /** Parent of every container's cgroup (absolute cgroupsPath prefix), e.g. /berth. */
  cgroupParent?: string;
  runcBinary?: string;
  shimBinary?: string;
  /** Host resolv.conf to derive the containers' from. */
  hostResolvConf?: string;
  /** Seccomp filters also cover 32-bit/x32 programs (Docker's default; slower starts, see seccomp-profile.ts). */
  seccompCompatArches?: boolean;
}

export interface CreateRequest {
  id: string;
  /** Image layers, top first; `['/']` is the host image. */
  lowerDirs: readonly string[];
  /** Everything but what the runner decides: rootfs, cgroupsPath, etc files. */
  spec: Omit<ContainerSpec, 'rootfs' | 'cgroupsPath' | 'etcFiles'>;
  ip?: string;
  extraHosts?: readonly HostsEntry[];
  /** The whole /etc/hosts (the network manager's, with peers); otherwise rendered from ip and extraHosts. */
  hostsContent?: string;
  /** resolv.conf: nameservers (the engine's DNS servers; undefined keeps the host's reachable ones), search, options. */
  resolvConf?: ResolvConfOverrides;
  /** The name for /etc/hostname when the spec sets none (a container in the host's UTS namespace). */
  hostname?: string;
  /** HostConfig.CgroupParent: the container's cgroups go under it instead of the engine's parent. */
  cgroupParent?: string;
  /** Log rotation the monitor applies (container/log-config.ts). */
  log?: { maxSize?: number; maxFiles: number };
  /** Runs once the rootfs is mounted, before the container starts (volume copy-up reads the image there). */
  prepareRootfs?: (rootfs: string) => Promise<void>;
  /** The container's stdin comes through the monitor (OpenStdin / StdinOnce). */
  stdin?: { open: boolean; once: boolean };
}

export interface ContainerPaths {
  dir: string;
  bundle: string;
  config: string;
  rootfs: string;
  upper: string;
  work: string;
  /** The init layer (init-layer.ts), between the upper dir and the image's layers. */
  init: string;
  /** A shareable container's /dev/shm, a tmpfs mounted here on the host side so others can bind it. */
  shm: string;
  etc: string;
  log: string;
  status: string;
  pidFile: string;
  runcLog: string;
  /** The monitor's stdin/resize socket: under the run root, where unix socket paths stay short. */
  ioSocket: string;
}

export interface RunningContainer extends MonitorStarted {
  id: string;
  paths: ContainerPaths;
  cgroupsPath: string;
}

export class ContainerRunnerError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ContainerRunnerError';
  }
}

const ID_PATTERN = /^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,127}$/;

/** `15`, `TERM`, `SIGTERM` → 15; undefined for what only runc can name (e.g. `RTMIN+3`). */
function signalNumberOf(signal: string | number): number | undefined {
  if (typeof signal === 'number') return Number.isInteger(signal) && signal > 0 ? signal : undefined;
  const s = signal.trim().toUpperCase();
  if (/^\d+$/.test(s)) return Number(s) > 0 ? Number(s) : undefined;
  return (constants.signals as Record<string, number | undefined>)[s.startsWith('SIG') ? s : `SIG${s}`];
}

async function writeAtomic(file: string, data: string): Promise<void> {
  const tmp = `${file}.tmp`;
  await writeFile(tmp, data, { mode: 0o644 });
  await rename(tmp, file);
}

/** A tmpfs for a shareable /dev/shm, on the host side (moby's containers/<id>/mounts/shm). */
async function mountShareableShm(dir: string, size: number): Promise<void> {
  await mkdir(dir, { recursive: true, mode: 0o1777 });
  try {
    await run('mount', ['-t', 'tmpfs', '-o', `nosuid,noexec,nodev,mode=1777,size=${size}`, 'shm', dir]);
  } catch (err) {
    const stderr = (err as { stderr?: string }).stderr?.trim();
    throw new ContainerRunnerError(`mounting the shareable /dev/shm at ${dir} failed: ${stderr || String(err)}`);
  }
}

export class ContainerRunner {
  readonly runc: Runc;
  private readonly cgroupParent: string;

  constructor(private readonly opts: RunnerOptions) {
    this.runc = new Runc({ root: opts.runcRoot, binary: opts.runcBinary ?? '/usr/sbin/runc' });
    this.cgroupParent = (opts.cgroupParent ?? '/berth').replace(/\/+$/, '');
  }

  paths(id: string): ContainerPaths {
    if (!ID_PATTERN.test(id)) throw new ContainerRunnerError(`invalid container id "${id}"`);
    const dir = path.join(this.opts.stateRoot, 'containers', id);
    return {
      dir,
      bundle: path.join(dir, 'bundle'),
      config: path.join(dir, 'bundle', 'config.json'),
      rootfs: path.join(dir, 'rootfs'),
      upper: path.join(dir, 'upper'),
      work: path.join(dir, 'work'),
      init: path.join(dir, 'init'),
      shm: path.join(dir, 'shm'),
      etc: path.join(dir, 'etc'),
      log: path.join(dir, 'container-json.log'),
      status: path.join(dir, 'status.json'),
      pidFile: path.join(dir, 'init.pid'),
      runcLog: path.join(dir, 'runc.log'),
      ioSocket: path.join(path.dirname(this.opts.runcRoot), 'io', `${id.slice(0, 32)}.sock`),
    };
  }

  /**
   * The read-only layers of a container's root, top first: its init layer, then its image's.
   * The host image (`/`) gets none: the init layer lives under `/`, and overlayfs refuses a lower
   * layer inside another ("overlapping lowerdir path", ELOOP, since Linux 5.2's layer checks).
   * Its containers' upper dirs then hold the runtime's mount points, as they do under runc alone.
   */
  async layers(id: string, imageLowerDirs: readonly string[]): Promise<string[]> {
    if (imageLowerDirs.length === 1 && imageLowerDirs[0] === '/') return ['/'];
    const init = this.paths(id).init;
    await ensureInitLayer(init);
    // An image built FROM the host image ends in `/`: stacked as the host root view (rootfs.ts).
    return [init, ...(await stackableLowerDirs(imageLowerDirs, path.dirname(this.opts.runcRoot)))];
  }

  /**
   * Where a container's cgroups are: under its own --cgroup-parent when it has one (absolute, or
   * relative to the root as dockerd's cgroupfs driver reads it), else under the engine's parent.
   */
  cgroupsPath(id: string, cgroupParent?: string): string {
    if (cgroupParent) return path.posix.join('/', cgroupParent, id);
    return `${this.cgroupParent}/${id}`;
  }

  /**
   * Writes the bundle, mounts the rootfs, creates and starts the container under its monitor.
   * With `prepare`, only creates it (runc create: everything but the exec of its process), and
   * `startPrepared` starts it later in one round trip to the monitor.
   */
  async create(req: CreateRequest, opts: { prepare?: boolean; prepareTimeoutMs?: number } = {}): Promise<RunningContainer> {
    const monitor = await this.prepare(req);
    try {
      const started = await startMonitor({ ...monitor, ...(opts.prepare ? { prepare: true } : {}), ...(opts.prepareTimeoutMs !== undefined ? { prepareTimeoutMs: opts.prepareTimeoutMs } : {}) });
      return { id: req.id, paths: this.paths(req.id), cgroupsPath: this.cgroupsPath(req.id, req.cgroupParent), ...started };
    } catch (err) {
      await this.remove(req.id, { cgroupParent: req.cgroupParent }).catch(() => undefined);
      throw err;
    }
  }

  /**
   * Everything before the monitor: bundle, etc files, rootfs mount. Returns the monitor's options,
   * so a caller (or a test standing in for a daemon that dies) can start the monitor itself.
   */
  async prepare(req: CreateRequest): Promise<MonitorOptions> {
    const p = this.paths(req.id);
    if (await this.runc.stateIfExists(req.id)) throw new ContainerRunnerError(`container ${req.id} already exists`);
    const cgroupsPath = this.cgroupsPath(req.id, req.cgroupParent);
    // A container in the host's UTS namespace has no hostname of its own to set (runc refuses
    // one there), but its /etc/hostname still names it (the host's name, chosen at create).
    const hostname = req.spec.hostname ?? req.hostname ?? req.id.slice(0, 12);
    const shareableShm = req.spec.shm?.kind === 'shareable';
    const spec: ContainerSpec = {
      ...req.spec,
      ...(shareableShm ? { shm: { kind: 'bind', source: p.shm } } : {}),
      ...(this.opts.seccompCompatArches ? { seccompCompatArches: true } : {}),
      ...(req.spec.hostname !== undefined || req.hostname === undefined ? { hostname } : {}),
      rootfs: p.rootfs,
      cgroupsPath,
      etcFiles: { hosts: path.join(p.etc, 'hosts'), hostname: path.join(p.etc, 'hostname'), resolvConf: path.join(p.etc, 'resolv.conf') },
      extraMaskedPaths: [
        ...(req.spec.extraMaskedPaths ?? []),
        ...(isHostImage(req.lowerDirs) ? hostImageMaskedPaths([this.opts.stateRoot, this.opts.runcRoot]) : []),
      ],
    };
    // Validate before touching the disk: a bad spec leaves nothing behind.
    const config = buildOciSpec(spec);

    const hostResolv = await this.hostResolvConf();
    try {
      await mkdir(p.bundle, { recursive: true });
      await mkdir(p.etc, { recursive: true });
      await mkdir(path.dirname(p.ioSocket), { recursive: true, mode: 0o700 });
      if (shareableShm) await mountShareableShm(p.shm, req.spec.shmSize ?? DEFAULT_SHM_SIZE);
      await Promise.all([
        writeAtomic(path.join(p.etc, 'hosts'), req.hostsContent ?? renderHosts({ hostname, ip: req.ip, extraHosts: req.extraHosts })),
        writeAtomic(path.join(p.etc, 'hostname'), renderHostname(hostname)),
        writeAtomic(path.join(p.etc, 'resolv.conf'), renderResolvConf(hostResolv, req.resolvConf ?? {})),
        writeAtomic(p.config, `${JSON.stringify(config, null, 2)}\n`),
      ]);
      const layout = { lowerDirs: await this.layers(req.id, req.lowerDirs), upperDir: p.upper, workDir: p.work, target: p.rootfs };
      // The root is mounted here only when something must work in it before the run (volume copy-up);
      // otherwise the monitor mounts it, one process spawn less.
      let overlay: MonitorOptions['overlay'];
      if (req.prepareRootfs) {
        await mountRootfs(layout);
        await req.prepareRootfs(p.rootfs);
      } else {
        overlay = { options: await prepareRootfsDirs(layout), rootfs: p.rootfs };
      }
      return {
        runcRoot: this.opts.runcRoot,
        runcBinary: this.runc.binary,
        shimBinary: this.opts.shimBinary,
        id: req.id,
        bundle: p.bundle,
        logPath: p.log,
        statusPath: p.status,
        pidFile: p.pidFile,
        runcLog: p.runcLog,
        memoryCgroup: memoryCgroupDir(cgroupsPath),
        tty: req.spec.tty,
        openStdin: req.stdin?.open ?? false,
        stdinOnce: req.stdin?.once ?? false,
        ioSocket: p.ioSocket,
        ...(req.log?.maxSize !== undefined ? { logMaxSize: req.log.maxSize, logMaxFiles: req.log.maxFiles } : {}),
        ...(overlay ? { overlay } : {}),
      };
    } catch (err) {
      await this.remove(req.id, { cgroupParent: req.cgroupParent }).catch(() => undefined);
      throw err;
    }
  }

  /**
   * Rewrites a created container's resolv.conf in place (runc has bind-mounted the file: a rename
   * would leave the container the old one) — for a network connected before its start.
   */
  async rewriteResolvConf(id: string, overrides: ResolvConfOverrides): Promise<void> {
    await writeFile(path.join(this.paths(id).etc, 'resolv.conf'), renderResolvConf(await this.hostResolvConf(), overrides));
  }

  /** The host's resolv.conf, which containers' are derived from; empty when it has none. */
  private async hostResolvConf(): Promise<string> {
    try {
      return await readFile(this.opts.hostResolvConf ?? '/etc/resolv.conf', 'utf8');
    } catch {
      return ''; // no host resolver configuration: the container gets an empty one
    }
  }

  /** Starts a container created with `create(…, { prepare: true })`. */
  startPrepared(id: string): Promise<void> {
    return startPrepared(this.paths(id).ioSocket);
  }

  wait(id: string, opts: { timeoutMs?: number } = {}): Promise<ExitStatus> {
    return waitForExit(this.paths(id).status, opts);
  }

  status(id: string): Promise<ExitStatus | undefined> {
    return readExitStatus(this.paths(id).status);
  }

  /**
   * Signals the container's init: through its monitor when it can (no runc process per signal:
   * compose stops chains of containers one after another), else with `runc kill`. `viaRunc`
   * forces runc, for a paused container: runc also thaws a v1 freezer cgroup for SIGKILL.
   */
  async kill(id: string, signal: string | number = 'SIGTERM', opts: { viaRunc?: boolean } = {}): Promise<void> {
    const signo = signalNumberOf(signal);
    if (!opts.viaRunc && signo !== undefined && (await signalInit(this.paths(id).ioSocket, signo))) return;
    await this.runc.kill(id, signal);
  }

  /**
   * Removes everything the container had: runc state (killing it if it still runs), its cgroups,
   * the rootfs mount and the state directory. Idempotent.
   */
  async remove(id: string, opts: { cgroupParent?: string } = {}): Promise<void> {
    const p = this.paths(id);
    const state = await this.runc.stateIfExists(id);
    if (state) {
      if (state.status === 'running' || state.status === 'paused' || state.status === 'created') {
        await this.runc.kill(id, 'SIGKILL', { all: true }).catch(() => undefined);
        // The monitor records the exit; give it the moment it needs so the status is not lost.
        if (state.status !== 'created') await waitForExit(p.status, { timeoutMs: 5_000 }).catch(() => undefined);
      }
      await this.runc.delete(id, { force: true });
    }
    // runc removes the cgroups it made; an interrupted create can leave empty ones behind.
    for (const dir of cgroupDirs(this.cgroupsPath(id, opts.cgroupParent))) await rmdir(dir).catch(() => undefined);
    await unmountRootfs(p.rootfs);
    await unmountRootfs(p.shm);
    const left = await mountsUnder(p.dir);
    if (left.length > 0) throw new ContainerRunnerError(`container ${id}: still mounted: ${left.join(', ')}`);
    await rm(p.dir, { recursive: true, force: true });
    await rm(p.ioSocket, { force: true });
  }
}
