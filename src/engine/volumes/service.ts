// Volumes as the engine serves them: the `/volumes` API over the VolumeStore, and the container
// side — which mounts a container gets (decided once, at create, and kept in its record), taking
// and giving back its volumes around each run, filling an empty volume from the image (copy-up),
// and removing a container's anonymous volumes with it.

import fs from 'node:fs/promises';
import {
  ConflictError,
  InvalidArgumentError,
  NotFoundError,
  type Filters,
  type MountPoint,
  type Volume,
  type VolumeBackend,
  type VolumeCreateRequest,
  type VolumeListResponse,
  type VolumePruneResponse,
} from '../backend.js';
import { resolveInRoot } from '../archive/resolve.js';
import { boolFilter, exactMatch, labelMatches, regexMatch, validateFilterKeys } from '../filters.js';
import type { PlannedMount } from '../runtime/translate.js';
import type { MountSpec, Propagation } from '../runtime/oci-spec.js';
import { ANONYMOUS_LABEL, VolumeStore, type VolumeRecord } from './store.js';
import { execCommand as run } from '../runtime/spawner.js';


/** One mount of a container as its record keeps it: what inspect's `Mounts` shows and what each start mounts. */
export interface ContainerMount {
  type: 'volume' | 'bind' | 'tmpfs';
  /** Volume name (type volume). */
  name?: string;
  /** Host path: the bind source, or the volume's data directory; '' for tmpfs. */
  source: string;
  destination: string;
  readonly: boolean;
  propagation?: Propagation;
  /** Binds: `bind` instead of `rbind` (BindOptions.NonRecursive). */
  nonRecursive?: boolean;
  /** Do not fill the volume from the image when it is empty. */
  noCopy?: boolean;
  /** The request named no volume (`VOLUME`, `-v /path`, a volume mount without Source): `rm -v` removes it. */
  anonymous?: boolean;
  /** Binds: create a missing source (HostConfig.Binds) or refuse it (HostConfig.Mounts). */
  createSource?: boolean;
  requireSource?: boolean;
  tmpfs?: { sizeBytes?: number; mode?: number; options?: string[] };
  /** HostConfig.Tmpfs mounts: applied, but not in inspect's Mounts, as with dockerd. */
  unlisted?: boolean;
}

export interface VolumeServiceHooks {
  emit(action: 'create' | 'mount' | 'unmount' | 'destroy', name: string, attributes: Record<string, string>): void;
  /** Ids of the containers (any state) whose mounts name the volume. */
  referencedBy(name: string): string[];
  now(): Date;
}

/** `VolumesFrom` of another container, already looked up. */
export interface VolumesFromSource {
  mounts: readonly ContainerMount[];
  mode?: 'ro' | 'rw';
}

const LABEL_FILTER = labelMatches;

function filterBool(filters: Filters, key: string): boolean {
  return boolFilter(filters, key) === true;
}

export class VolumeService implements VolumeBackend {
  /** Container id → volume names it holds for its current run. */
  private readonly held = new Map<string, string[]>();

  private constructor(
    readonly store: VolumeStore,
    private readonly hooks: VolumeServiceHooks,
  ) {}

  static async open(dir: string, hooks: VolumeServiceHooks): Promise<VolumeService> {
    return new VolumeService(await VolumeStore.open(dir), hooks);
  }

  // -------------------------------------------------------------------------------------------
  // The API

  private view(rec: VolumeRecord): Volume {
    return {
      Name: rec.name,
      Driver: rec.driver,
      Mountpoint: this.store.dataDir(rec.name),
      CreatedAt: rec.createdAt,
      Labels: rec.nullLabels && Object.keys(rec.labels).length === 0 ? null : { ...rec.labels },
      Scope: 'local',
      Options: rec.nullOptions && Object.keys(rec.options).length === 0 ? null : { ...rec.options },
      // UsageData is only filled by `system df -v` (dockerd leaves it out of inspect and list).
    };
  }

  private async ensure(input: { name?: string; driver?: string; driverOpts?: Record<string, string> | null; labels?: Record<string, string> | null }): Promise<VolumeRecord> {
    const { record, created } = await this.store.create(input, this.hooks.now());
    if (created) this.hooks.emit('create', record.name, { driver: record.driver });
    return record;
  }

  async create(request: VolumeCreateRequest): Promise<Volume> {
    // As dockerd's volume service: a volume created without a name is anonymous (prune takes it by default).
    const labels = request.Name ? request.Labels : { ...(request.Labels ?? {}), [ANONYMOUS_LABEL]: '' };
    try {
      return this.view(await this.ensure({ name: request.Name, driver: request.Driver, driverOpts: request.DriverOpts, labels }));
    } catch (e) {
      // dockerd's volume create names the volume in front of a refusal of it.
      if (e instanceof InvalidArgumentError && request.Name && e.message.includes('includes invalid characters')) throw new InvalidArgumentError(`create ${request.Name}: ${e.message}`, { cause: e });
      throw e;
    }
  }

  async list(filters: Filters): Promise<VolumeListResponse> {
    validateFilterKeys(filters, ['name', 'label', 'dangling', 'driver']);
    let list = this.store.list();
    const f = filters;
    list = list.filter((v) => regexMatch(f, 'name', v.name) && exactMatch(f, 'driver', v.driver));
    for (const want of f.label ?? []) list = list.filter((v) => LABEL_FILTER(v.labels, want));
    if (f.dangling?.length) {
      const dangling = filterBool(f, 'dangling');
      list = list.filter((v) => (this.hooks.referencedBy(v.name).length === 0) === dangling);
    }
    return { Volumes: list.map((v) => this.view(v)), Warnings: null };
  }

  /**
   * `system df`'s volumes, as dockerd 20.10 counts them: the ones without driver options (a tmpfs
   * or a mount of something else does not hold this disk's bytes), each with its size and how many
   * containers, in any state, reference it.
   */
  async diskUsage(): Promise<Volume[]> {
    const out: Volume[] = [];
    for (const v of this.store.list()) {
      if (Object.keys(v.options).length > 0) continue;
      out.push({ ...this.view(v), UsageData: { Size: await this.store.size(v.name), RefCount: this.hooks.referencedBy(v.name).length } });
    }
    return out;
  }

  async inspect(name: string): Promise<Volume> {
    return this.view(this.store.get(name));
  }

  async remove(name: string, options: { force: boolean }): Promise<void> {
    if (!this.store.has(name)) {
      if (options.force) return;
      throw new NotFoundError(`get ${name}: no such volume`);
    }
    const users = this.hooks.referencedBy(name);
    if (users.length > 0) {
      throw new ConflictError(`remove ${name}: volume is in use - [${users.join(', ')}]`);
    }
    const rec = this.store.get(name);
    await this.store.remove(name);
    this.hooks.emit('destroy', name, { driver: rec.driver });
  }

  async prune(filters: Filters, options: { allByDefault: boolean }): Promise<VolumePruneResponse> {
    validateFilterKeys(filters, ['label', 'label!', 'all']);
    const all = filters.all?.length ? filterBool(filters, 'all') : options.allByDefault;
    const deleted: string[] = [];
    let reclaimed = 0;
    for (const v of this.store.list()) {
      if (!all && !(ANONYMOUS_LABEL in v.labels)) continue;
      if (!(filters.label ?? []).every((want) => LABEL_FILTER(v.labels, want))) continue;
      if ((filters['label!'] ?? []).some((want) => LABEL_FILTER(v.labels, want))) continue;
      if (this.hooks.referencedBy(v.name).length > 0) continue;
      const size = await this.store.size(v.name);
      try {
        await this.store.remove(v.name);
      } catch {
        continue; // taken into use meanwhile
      }
      this.hooks.emit('destroy', v.name, { driver: v.driver });
      deleted.push(v.name);
      reclaimed += size;
    }
    return { VolumesDeleted: deleted.length > 0 ? deleted : null, SpaceReclaimed: reclaimed };
  }

  // -------------------------------------------------------------------------------------------
  // Containers

  /**
   * The mounts of a new container, in dockerd's order: VolumesFrom first, then Binds, Mounts and
   * Tmpfs (a later one at the same destination replaces an earlier one), then an anonymous volume
   * for every Config.Volumes path nothing is mounted on. Named volumes that do not exist yet and
   * the anonymous ones are created here.
   */
  async planContainerMounts(input: { planned: readonly PlannedMount[]; configVolumes: readonly string[]; volumesFrom: readonly VolumesFromSource[] }): Promise<ContainerMount[]> {
    const byTarget = new Map<string, ContainerMount>();
    for (const from of input.volumesFrom) {
      for (const m of from.mounts) {
        if (m.type === 'tmpfs') continue;
        byTarget.set(m.destination, { ...m, readonly: from.mode === 'ro' ? true : from.mode === 'rw' ? false : m.readonly, noCopy: true, createSource: false, requireSource: false });
      }
    }
    for (const p of input.planned) {
      if (p.volume) {
        const v = p.volume;
        // An existing volume is used as it is: options only matter when the volume is made here.
        const rec = v.name && this.store.has(v.name) ? this.store.get(v.name) : await this.ensure({
          ...(v.name ? { name: v.name } : {}),
          driver: v.driver,
          driverOpts: v.driverOpts,
          labels: v.name ? v.labels : { ...(v.labels ?? {}), [ANONYMOUS_LABEL]: '' },
        });
        byTarget.set(v.target, { type: 'volume', name: rec.name, source: this.store.dataDir(rec.name), destination: v.target, readonly: v.readonly, noCopy: v.noCopy, anonymous: v.name === '' });
      } else if (p.spec.type === 'bind') {
        byTarget.set(p.spec.target, {
          type: 'bind',
          source: p.spec.source,
          destination: p.spec.target,
          readonly: p.spec.readonly === true,
          propagation: p.spec.propagation ?? 'rprivate',
          ...(p.spec.nonRecursive ? { nonRecursive: true } : {}),
          ...(p.createSource ? { createSource: true } : {}),
          ...(p.requireSource ? { requireSource: true } : {}),
        });
      } else {
        const { sizeBytes, mode, options } = p.spec;
        byTarget.set(p.spec.target, { type: 'tmpfs', source: '', destination: p.spec.target, readonly: p.spec.readonly === true, tmpfs: { sizeBytes, mode, options }, ...(p.unlisted ? { unlisted: true } : {}) });
      }
    }
    for (const m of byTarget.values()) {
      if (m.type === 'bind' && m.requireSource && !(await fs.stat(m.source).then(() => true, () => false))) {
        throw new InvalidArgumentError(`invalid mount config for type "bind": bind source path does not exist: ${m.source}`);
      }
    }
    for (const raw of input.configVolumes) {
      const target = raw.replace(/\/+$/, '') || '/';
      if (byTarget.has(target)) continue;
      const rec = await this.ensure({ labels: { [ANONYMOUS_LABEL]: '' } });
      byTarget.set(target, { type: 'volume', name: rec.name, source: this.store.dataDir(rec.name), destination: target, readonly: false, anonymous: true });
    }
    return [...byTarget.values()];
  }

  /**
   * Takes the container's volumes for a run (mounting driver volumes on first use) and returns
   * the runtime mounts, plus `populate`, which the runner calls with the mounted rootfs before the
   * container starts, to copy the image's content into empty volumes.
   */
  async acquire(containerId: string, mounts: readonly ContainerMount[], options: { quiet?: boolean } = {}): Promise<{ specs: MountSpec[]; populate?: (rootfs: string) => Promise<void> }> {
    await this.release(containerId, options);
    const specs: MountSpec[] = [];
    const held: string[] = [];
    const copyInto: { data: string; destination: string }[] = [];
    this.held.set(containerId, held);
    try {
      for (const m of mounts) {
        if (m.type === 'tmpfs') {
          specs.push({ type: 'tmpfs', target: m.destination, readonly: m.readonly, ...(m.tmpfs?.sizeBytes ? { sizeBytes: m.tmpfs.sizeBytes } : {}), ...(m.tmpfs?.mode ? { mode: m.tmpfs.mode } : {}), ...(m.tmpfs?.options?.length ? { options: m.tmpfs.options } : {}) });
          continue;
        }
        if (m.type === 'bind') {
          const exists = await fs.stat(m.source).then(() => true, () => false);
          if (!exists && !m.createSource) throw new InvalidArgumentError(`invalid mount config for type "bind": bind source path does not exist: ${m.source}`);
          if (!exists) await fs.mkdir(m.source, { recursive: true });
          specs.push({ type: 'bind', source: m.source, target: m.destination, readonly: m.readonly, ...(m.propagation ? { propagation: m.propagation } : {}), ...(m.nonRecursive ? { nonRecursive: true } : {}) });
          continue;
        }
        const name = m.name!;
        if (!this.store.has(name)) await this.ensure({ name });
        const { source } = await this.store.acquire(name, containerId);
        held.push(name);
        if (!options.quiet) this.hooks.emit('mount', name, { container: containerId, destination: m.destination, driver: 'local', propagation: '', 'read/write': String(!m.readonly) });
        if (!m.noCopy) copyInto.push({ data: source, destination: m.destination });
        specs.push({ type: 'bind', source, target: m.destination, readonly: m.readonly });
      }
    } catch (e) {
      await this.release(containerId, options);
      throw e;
    }
    // Without a volume to fill, nothing needs the root before the run: the monitor may mount it.
    return { specs, ...(copyInto.length > 0 ? { populate: (rootfs: string) => this.copyUp(rootfs, copyInto) } : {}) };
  }

  /** Re-registers a running container's volumes after an engine restart (nothing is mounted again). */
  async adopt(containerId: string, mounts: readonly ContainerMount[]): Promise<void> {
    const held: string[] = [];
    for (const m of mounts) {
      if (m.type !== 'volume' || !m.name || !this.store.has(m.name)) continue;
      await this.store.acquire(m.name, containerId, { adopt: true });
      held.push(m.name);
    }
    this.held.set(containerId, held);
  }

  /** Gives back what `acquire` took; a driver volume's last user unmounts it. */
  async release(containerId: string, options: { quiet?: boolean } = {}): Promise<void> {
    const held = this.held.get(containerId);
    if (!held) return;
    this.held.delete(containerId);
    for (const name of held) {
      if ((await this.store.release(name, containerId)) && !options.quiet) this.hooks.emit('unmount', name, { container: containerId, driver: 'local' });
    }
  }

  /** `rm -v`: the container's anonymous volumes go too, unless another container still uses one. */
  async removeAnonymous(mounts: readonly ContainerMount[]): Promise<void> {
    for (const m of mounts) {
      if (m.type !== 'volume' || !m.anonymous || !m.name || !this.store.has(m.name)) continue;
      await this.remove(m.name, { force: true }).catch(() => undefined);
    }
  }

  /** Copy-up (moby volume.copyExistingContents): only into an empty volume, owners, modes and times kept. */
  private async copyUp(rootfs: string, targets: readonly { data: string; destination: string }[]): Promise<void> {
    for (const t of targets) {
      if ((await fs.readdir(t.data)).length > 0) continue;
      const { hostPath } = await resolveInRoot(rootfs, t.destination);
      const st = await fs.stat(hostPath).catch(() => undefined);
      if (!st?.isDirectory()) continue;
      try {
        await run('cp', ['-a', '--', `${hostPath}/.`, `${t.data}/`]);
      } catch (e) {
        throw new InvalidArgumentError(`copying the image's content at ${t.destination} into the volume failed: ${(e as { stderr?: string }).stderr?.trim() || String(e)}`);
      }
    }
  }

  /** inspect's and list's `Mounts`. */
  mountPoints(mounts: readonly ContainerMount[]): MountPoint[] {
    return mounts.filter((m) => !m.unlisted).map((m): MountPoint => {
      if (m.type === 'volume') return { Type: 'volume', Name: m.name, Source: m.source, Destination: m.destination, Driver: 'local', Mode: m.readonly ? 'ro' : 'z', RW: !m.readonly, Propagation: '' };
      if (m.type === 'bind') return { Type: 'bind', Source: m.source, Destination: m.destination, Mode: m.readonly ? 'ro' : '', RW: !m.readonly, Propagation: m.propagation ?? 'rprivate' };
      return { Type: 'tmpfs', Source: '', Destination: m.destination, Mode: '', RW: !m.readonly, Propagation: '' };
    });
  }
}
