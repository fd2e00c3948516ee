// The engine's volumes, laid out like dockerd's `local` driver: <root>/volumes/<name>/_data holds
// the data, <root>/volumes/<name>/volume.json what `docker volume inspect` shows (written
// atomically, so a crash leaves the old or the new record). Volumes with DriverOpts (`type`,
// `o`, `device`: a tmpfs, a bind of a host directory, any mount(8) source) are mounted on _data
// when the first container starts using them and unmounted when the last one stops, as the
// local driver does. Who uses a volume right now is kept in memory: the engine re-adopts its
// running containers after a restart and tells the store again.

import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { ConflictError, InternalError, InvalidArgumentError, NotFoundError } from '../backend.js';
import { writeFileAtomic, withLock } from '../../lib/atomic.js';
import { mountsUnder } from '../runtime/rootfs.js';
import { execCommand as run } from '../runtime/spawner.js';
import { directorySize } from '../../lib/du.js';


/** dockerd's volume name rule (volume/local: validName). */
const NAME_PATTERN = /^[a-zA-Z0-9][a-zA-Z0-9_.-]+$/;
const KNOWN_OPTIONS = new Set(['type', 'o', 'device']);

/** Label dockerd (≥ 23) puts on volumes it made for `VOLUME` or `-v /path`: `docker volume prune` removes only these by default. */
export const ANONYMOUS_LABEL = 'com.docker.volume.anonymous';

export interface VolumeRecord {
  name: string;
  driver: 'local';
  /** RFC 3339. */
  createdAt: string;
  labels: Record<string, string>;
  /** DriverOpts as given. */
  options: Record<string, string>;
  /** Created without labels / driver options at all (not even `{}`): inspect shows null, as dockerd's does. */
  nullLabels?: true;
  nullOptions?: true;
}

export interface VolumeCreateInput {
  name?: string;
  driver?: string;
  driverOpts?: Record<string, string> | null;
  labels?: Record<string, string> | null;
}

const sameMap = (a: Record<string, string>, b: Record<string, string>): boolean => {
  const ka = Object.keys(a).sort();
  const kb = Object.keys(b).sort();
  return ka.length === kb.length && ka.every((k, i) => k === kb[i] && a[k] === b[k]);
};

export class VolumeStore {
  private readonly records = new Map<string, VolumeRecord>();
  /** Volume name → ids of containers that have it mounted now. */
  private readonly users = new Map<string, Set<string>>();

  private constructor(readonly dir: string) {}

  static async open(dir: string): Promise<VolumeStore> {
    const store = new VolumeStore(path.resolve(dir));
    await fs.mkdir(store.dir, { recursive: true, mode: 0o701 });
    for (const entry of await fs.readdir(store.dir, { withFileTypes: true })) {
      if (!entry.isDirectory()) continue;
      try {
        const rec = JSON.parse(await fs.readFile(path.join(store.dir, entry.name, 'volume.json'), 'utf8')) as VolumeRecord;
        if (rec.name === entry.name) store.records.set(rec.name, rec);
      } catch {
        // A directory without a readable record is a create that did not finish: not a volume.
      }
    }
    return store;
  }

  private lock<T>(fn: () => Promise<T>): Promise<T> {
    return withLock(`volumes:${this.dir}`, fn);
  }

  dataDir(name: string): string {
    return path.join(this.dir, name, '_data');
  }

  get(name: string): VolumeRecord {
    const rec = this.records.get(name);
    if (!rec) throw new NotFoundError(`get ${name}: no such volume`);
    return rec;
  }

  has(name: string): boolean {
    return this.records.has(name);
  }

  list(): VolumeRecord[] {
    return [...this.records.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  /** Validates a create request; the error texts are dockerd's. */
  static validate(input: VolumeCreateInput): void {
    const driver = input.driver || 'local';
    if (driver !== 'local') throw new NotFoundError(`error looking up volume plugin ${driver}: plugin "${driver}" not found`);
    if (input.name !== undefined && input.name !== '') {
      if (input.name.length < 2) throw new InvalidArgumentError(`volume name is too short, names should be at least two alphanumeric characters`);
      if (!NAME_PATTERN.test(input.name)) {
        throw new InvalidArgumentError(
          `"${input.name}" includes invalid characters for a local volume name, only "[a-zA-Z0-9][a-zA-Z0-9_.-]" are allowed. If you intended to pass a host directory, use absolute path`,
        );
      }
    }
    const opts = input.driverOpts ?? {};
    for (const key of Object.keys(opts)) if (!KNOWN_OPTIONS.has(key)) throw new InvalidArgumentError(`invalid option key: "${key}"`);
    if (Object.keys(opts).length > 0 && !opts.type && !(opts.o ?? '').split(',').includes('bind')) {
      throw new InvalidArgumentError('missing required option: "type"');
    }
    if ((opts.type || (opts.o ?? '').split(',').includes('bind')) && !opts.device) throw new InvalidArgumentError('missing required option: "device"');
  }

  /**
   * Creates the volume, or returns the existing one of that name when it was made with the same
   * driver options (compose and `docker run -v name:` create before every use).
   */
  create(input: VolumeCreateInput, now: Date): Promise<{ record: VolumeRecord; created: boolean }> {
    VolumeStore.validate(input);
    return this.lock(async () => {
      const name = input.name || randomBytes(32).toString('hex');
      const options = { ...(input.driverOpts ?? {}) };
      const existing = this.records.get(name);
      if (existing) {
        if (!sameMap(existing.options, options)) {
          throw new ConflictError(`volume ${name} already exists with different driver options: remove it first or use the same options`);
        }
        return { record: existing, created: false };
      }
      const record: VolumeRecord = {
        name,
        driver: 'local',
        createdAt: now.toISOString().replace(/\.\d+Z$/, 'Z'),
        labels: { ...(input.labels ?? {}) },
        options,
        ...(input.labels === undefined || input.labels === null ? { nullLabels: true as const } : {}),
        ...(input.driverOpts === undefined || input.driverOpts === null ? { nullOptions: true as const } : {}),
      };
      const dir = path.join(this.dir, name);
      await fs.mkdir(path.join(dir, '_data'), { recursive: true, mode: 0o755 });
      await writeFileAtomic(path.join(dir, 'volume.json'), `${JSON.stringify(record, null, 2)}\n`);
      this.records.set(name, record);
      return { record, created: true };
    });
  }

  /** Containers that have the volume mounted right now. */
  activeUsers(name: string): string[] {
    return [...(this.users.get(name) ?? [])];
  }

  private needsMount(rec: VolumeRecord): boolean {
    return Object.keys(rec.options).length > 0;
  }

  /**
   * Marks `user` as using the volume and returns the host directory to bind; a volume with driver
   * options is mounted on its first user. `adopt` re-registers a user without mounting (live restore).
   */
  acquire(name: string, user: string, options: { adopt?: boolean } = {}): Promise<{ source: string; mounted: boolean }> {
    return this.lock(async () => {
      const rec = this.get(name);
      const data = this.dataDir(name);
      const users = this.users.get(name) ?? new Set<string>();
      let mounted = false;
      if (!options.adopt && users.size === 0 && this.needsMount(rec) && !(await this.isMounted(data))) {
        await this.mountDriver(rec, data);
        mounted = true;
      }
      users.add(user);
      this.users.set(name, users);
      return { source: data, mounted };
    });
  }

  /** Drops `user`; the last user of a mounted volume unmounts it. Returns whether it was in use by `user`. */
  release(name: string, user: string): Promise<boolean> {
    return this.lock(async () => {
      const users = this.users.get(name);
      if (!users || !users.delete(user)) return false;
      if (users.size === 0) {
        this.users.delete(name);
        const rec = this.records.get(name);
        if (rec && this.needsMount(rec)) await this.unmountData(this.dataDir(name));
      }
      return true;
    });
  }

  private async isMounted(dir: string): Promise<boolean> {
    return (await mountsUnder(dir)).length > 0;
  }

  private async mountDriver(rec: VolumeRecord, data: string): Promise<void> {
    const o = rec.options;
    const bind = (o.o ?? '').split(',').includes('bind');
    const args = ['-t', o.type || 'none', ...(o.o ? ['-o', o.o] : []), o.device, data];
    if (bind) {
      const exists = await fs.stat(o.device).then((s) => s.isDirectory() || s.isFile(), () => false);
      if (!exists) throw new InvalidArgumentError(`error while mounting volume '${data}': failed to mount local volume: mount ${o.device}:${data}, flags: 0x1000: no such file or directory`);
    }
    try {
      await run('mount', args);
    } catch (e) {
      const stderr = (e as { stderr?: string }).stderr?.trim();
      throw new InternalError(`error while mounting volume '${data}': failed to mount local volume: ${stderr || String(e)}`, { cause: e });
    }
  }

  private async unmountData(data: string): Promise<void> {
    for (const mp of await mountsUnder(data)) {
      try {
        await run('umount', [mp]);
      } catch {
        // Still open somewhere (a process outside the engine): detach now, freed when released.
        await run('umount', ['-l', mp]);
      }
    }
  }

  /**
   * Unmounts driver volumes nobody uses (an engine that died with containers stopping under it
   * left them mounted). Call after every running container has been re-adopted.
   */
  unmountUnused(): Promise<string[]> {
    return this.lock(async () => {
      const done: string[] = [];
      for (const rec of this.records.values()) {
        if (!this.needsMount(rec) || (this.users.get(rec.name)?.size ?? 0) > 0) continue;
        const data = this.dataDir(rec.name);
        if (!(await this.isMounted(data))) continue;
        await this.unmountData(data);
        done.push(rec.name);
      }
      return done;
    });
  }

  /** Deletes the volume and its data. The caller has checked that no container references it. */
  remove(name: string): Promise<void> {
    return this.lock(async () => {
      this.get(name);
      if ((this.users.get(name)?.size ?? 0) > 0) throw new ConflictError(`remove ${name}: volume is in use - [${this.activeUsers(name).join(', ')}]`);
      const data = this.dataDir(name);
      // Only volumes with driver options are ever mounted on _data (reading the mount table is not free).
      if (this.needsMount(this.get(name))) {
        await this.unmountData(data);
        // Never recurse into a mount: that would delete a bound host directory's content.
        if (await this.isMounted(data)) throw new InternalError(`remove ${name}: ${data} is still mounted`);
      }
      const dir = path.join(this.dir, name);
      // The record goes first: a crash half-way leaves a directory that is no longer a volume.
      await fs.rm(path.join(dir, 'volume.json'), { force: true });
      this.records.delete(name);
      await fs.rm(dir, { recursive: true, force: true });
    });
  }

  /** Bytes under the volume's data directory (for prune's SpaceReclaimed). */
  async size(name: string): Promise<number> {
    return directorySize(this.dataDir(name));
  }

}
