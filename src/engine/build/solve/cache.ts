// The build cache: step results by cache key, persisted under the engine root so it survives a
// restart, with its own layers (the store adopts the ones an image needs, by hard link):
//
//   <root>/build/index.json          records: key → diff id (or none), size, times, description
//   <root>/build/layers/<hex>/        a layer, overlay-ready (a RUN's upper dir, renamed here)
//   <root>/build/layers/<hex>.tar     the same layer as the uncompressed tar its diff id names
//   <root>/build/cache-mounts/<hex>/  RUN --mount=type=cache directories, by id
//   <root>/build/tmp/                 work in progress (emptied on open)
//
// Growth is bounded (moby#47089): after every build the least recently used records are dropped
// until the cache is under its keep-storage limit (default 10% of the filesystem, at least 1 GiB;
// BERTH_BUILD_KEEP_STORAGE overrides), and layers no record names go with them. Layers of builds
// in progress are pinned and never dropped under them.
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { withLock, writeJsonAtomic } from '../../../lib/atomic.js';
import { BerthError } from '../../../errors.js';

export type CacheRecordType = 'regular' | 'exec.cachemount';

export interface CacheRecord {
  key: string;
  /** The layer this step produced; undefined when it changed no file. */
  diffId?: string;
  /** Bytes of its layer tar (0 without a layer). */
  size: number;
  createdAt: string;
  lastUsedAt: string;
  usageCount: number;
  /** `[builder 3/5] RUN make`: what `system df -v` shows. */
  description: string;
}

interface IndexFile {
  version: 1;
  records: Record<string, CacheRecord>;
  mounts: Record<string, { id: string; createdAt: string; lastUsedAt: string; usageCount: number }>;
}

/** One row of `GET /system/df`'s BuildCache (Docker's types.BuildCache). */
export interface BuildCacheUsage {
  ID: string;
  Parent: string;
  Parents: string[];
  Type: CacheRecordType;
  Description: string;
  InUse: boolean;
  Shared: boolean;
  Size: number;
  CreatedAt: string;
  LastUsedAt: string | null;
  UsageCount: number;
}

export interface PruneOptions {
  /** Everything, not only what is unused (nothing else is "used" here: same as BuildKit's --all). */
  all?: boolean;
  /** Keep this many bytes, dropping the least recently used first. */
  keepStorage?: number;
  /** `until` (a duration: records unused for longer), `id`, `type`. */
  filters?: Readonly<Record<string, readonly string[]>>;
}

export interface PruneResult {
  CachesDeleted: string[];
  SpaceReclaimed: number;
}

export class BuildCacheError extends BerthError {}

const hexOf = (digest: string): string => digest.replace(/^sha256:/, '');
const shortId = (key: string): string => hexOf(key).slice(0, 25);

export function parseDuration(text: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)?$/.exec(text.trim());
  if (!m) {
    const total = [...text.matchAll(/(\d+(?:\.\d+)?)(h|m|s|ms)/g)];
    if (total.length === 0 || total.map((t) => t[0]).join('') !== text.trim()) throw new BuildCacheError(`invalid duration ${JSON.stringify(text)}`);
    return total.reduce((n, t) => n + Number(t[1]) * { h: 3_600_000, m: 60_000, s: 1000, ms: 1 }[t[2] as 'h' | 'm' | 's' | 'ms'], 0);
  }
  return Number(m[1]) * { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }[(m[2] ?? 's') as 'ms' | 's' | 'm' | 'h' | 'd'];
}

async function du(dir: string): Promise<number> {
  let total = 0;
  const walk = async (p: string): Promise<void> => {
    const entries = await fs.readdir(p, { withFileTypes: true }).catch(() => []);
    for (const e of entries) {
      const abs = path.join(p, e.name);
      if (e.isDirectory()) await walk(abs);
      else if (e.isFile()) total += (await fs.lstat(abs).catch(() => undefined))?.size ?? 0;
    }
  };
  await walk(dir);
  return total;
}

export class BuildCache {
  readonly dir: string;
  private index: IndexFile = { version: 1, records: {}, mounts: {} };
  private readonly pins = new Map<string, number>();
  private readonly mountUsers = new Map<string, number>();
  readonly keepBytes: number;

  private constructor(root: string, keepBytes: number) {
    this.dir = path.join(root, 'build');
    this.keepBytes = keepBytes;
  }

  static async open(root: string, opts: { keepBytes?: number } = {}): Promise<BuildCache> {
    let keep = opts.keepBytes;
    if (keep === undefined && process.env.BERTH_BUILD_KEEP_STORAGE) keep = parseBytesValue(process.env.BERTH_BUILD_KEEP_STORAGE);
    if (keep === undefined) {
      const st = await fs.statfs(root).catch(() => undefined);
      keep = Math.max(1 << 30, st ? Math.floor((st.blocks * st.bsize) / 10) : 1 << 30);
    }
    const cache = new BuildCache(root, keep);
    for (const d of ['layers', 'cache-mounts', 'tmp']) await fs.mkdir(path.join(cache.dir, d), { recursive: true, mode: 0o700 });
    await fs.rm(path.join(cache.dir, 'tmp'), { recursive: true, force: true });
    await fs.mkdir(path.join(cache.dir, 'tmp'), { mode: 0o700 });
    try {
      const parsed = JSON.parse(await fs.readFile(path.join(cache.dir, 'index.json'), 'utf8')) as IndexFile;
      if (parsed.version === 1) cache.index = { version: 1, records: parsed.records ?? {}, mounts: parsed.mounts ?? {} };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw new BuildCacheError(`the build cache index is unreadable: ${(e as Error).message}`);
    }
    return cache;
  }

  private locked<T>(fn: () => Promise<T>): Promise<T> {
    return withLock(`build-cache:${this.dir}`, fn);
  }

  layerDir(diffId: string): string {
    return path.join(this.dir, 'layers', hexOf(diffId));
  }

  layerTar(diffId: string): string {
    return path.join(this.dir, 'layers', `${hexOf(diffId)}.tar`);
  }

  /** A fresh private directory for work in progress (removed by the caller, or on the next open). */
  async tmpDir(label = 'work'): Promise<string> {
    const dir = path.join(this.dir, 'tmp', `${label}-${randomBytes(6).toString('hex')}`);
    await fs.mkdir(dir, { mode: 0o700 });
    return dir;
  }

  /** A record whose layer is still on disk, or undefined (a miss). */
  async lookup(key: string): Promise<CacheRecord | undefined> {
    const rec = this.index.records[key];
    if (!rec) return undefined;
    if (rec.diffId) {
      const ok = await fs.stat(this.layerTar(rec.diffId)).then(() => fs.stat(this.layerDir(rec.diffId!))).then(() => true, () => false);
      if (!ok) return undefined;
    }
    return rec;
  }

  /** Marks a record used now (LRU order and `docker system df`). */
  touch(key: string, now: Date): void {
    const rec = this.index.records[key];
    if (!rec) return;
    rec.lastUsedAt = now.toISOString();
    rec.usageCount++;
  }

  /** Keeps a layer from eviction while a build uses it; returns the release. */
  pin(diffId: string): () => void {
    this.pins.set(diffId, (this.pins.get(diffId) ?? 0) + 1);
    let done = false;
    return () => {
      if (done) return;
      done = true;
      const n = (this.pins.get(diffId) ?? 1) - 1;
      if (n <= 0) this.pins.delete(diffId);
      else this.pins.set(diffId, n);
    };
  }

  /**
   * Takes a step's result into the cache: the upper dir and tar move under layers/ (when another
   * build made the same layer meanwhile, theirs stays and ours is dropped), and the record is set.
   */
  async commit(rec: Omit<CacheRecord, 'usageCount' | 'lastUsedAt'>, layer?: { upper: string; tarPath: string }): Promise<CacheRecord> {
    if (rec.diffId && layer) {
      const dir = this.layerDir(rec.diffId);
      const tar = this.layerTar(rec.diffId);
      await this.locked(async () => {
        const have = await fs.stat(tar).then(() => fs.stat(dir)).then(() => true, () => false);
        if (!have) {
          await fs.rm(dir, { recursive: true, force: true });
          await fs.rename(layer.upper, dir);
          await fs.rename(layer.tarPath, tar);
        }
      });
      await fs.rm(layer.upper, { recursive: true, force: true });
      await fs.rm(layer.tarPath, { force: true });
    }
    const full: CacheRecord = { ...rec, lastUsedAt: rec.createdAt, usageCount: 1 };
    this.index.records[rec.key] = full;
    return full;
  }

  async save(): Promise<void> {
    await this.locked(() => writeJsonAtomic(path.join(this.dir, 'index.json'), this.index));
  }

  // ------------------------------------------------------------------------------------------
  // Cache mounts

  /**
   * The directory of `RUN --mount=type=cache,id=…`: kept across builds. `shared` hands out the
   * same directory to concurrent steps; `locked` makes them take turns; `private` gives a step a
   * fresh directory when another holds the cache (as BuildKit does).
   */
  async cacheMount(id: string, sharing: 'shared' | 'private' | 'locked', owner: { uid: number; gid: number; mode: number }, now: Date): Promise<{ dir: string; release(): Promise<void> }> {
    const hex = createHash('sha256').update(id).digest('hex').slice(0, 32);
    const dir = path.join(this.dir, 'cache-mounts', hex);
    const meta = this.index.mounts[hex] ?? { id, createdAt: now.toISOString(), lastUsedAt: now.toISOString(), usageCount: 0 };
    meta.lastUsedAt = now.toISOString();
    meta.usageCount++;
    this.index.mounts[hex] = meta;
    const ensure = async (d: string): Promise<void> => {
      const made = await fs.mkdir(d, { recursive: true });
      if (made) {
        await fs.chown(d, owner.uid, owner.gid);
        await fs.chmod(d, owner.mode);
      }
    };
    if (sharing === 'private' && (this.mountUsers.get(hex) ?? 0) > 0) {
      const tmp = await this.tmpDir('cache-private');
      await ensure(path.join(tmp, 'd'));
      return { dir: path.join(tmp, 'd'), release: () => fs.rm(tmp, { recursive: true, force: true }) };
    }
    const use = async (): Promise<{ dir: string; release(): Promise<void> }> => {
      this.mountUsers.set(hex, (this.mountUsers.get(hex) ?? 0) + 1);
      await ensure(dir);
      return {
        dir,
        release: async () => {
          this.mountUsers.set(hex, (this.mountUsers.get(hex) ?? 1) - 1);
        },
      };
    };
    if (sharing !== 'locked') return use();
    // Locked: the lock is held until the step releases it.
    let releaseLock!: () => void;
    const held = new Promise<void>((r) => (releaseLock = r));
    const got = new Promise<{ dir: string; release(): Promise<void> }>((resolve) => {
      void withLock(`build-cache-mount:${dir}`, async () => {
        const m = await use();
        resolve({ dir: m.dir, release: async () => { await m.release(); releaseLock(); } });
        await held;
      });
    });
    return got;
  }

  // ------------------------------------------------------------------------------------------
  // Upkeep: df, prune, eviction

  private layerUsers(): Map<string, number> {
    const users = new Map<string, number>();
    for (const r of Object.values(this.index.records)) if (r.diffId) users.set(r.diffId, (users.get(r.diffId) ?? 0) + 1);
    return users;
  }

  /** `GET /system/df`'s BuildCache rows. */
  async usage(): Promise<BuildCacheUsage[]> {
    const users = this.layerUsers();
    const seen = new Set<string>();
    const rows: BuildCacheUsage[] = [];
    for (const r of Object.values(this.index.records).sort((a, b) => (a.lastUsedAt < b.lastUsedAt ? 1 : -1))) {
      // A layer two records share is counted once, on the first (most recent) of them.
      const first = r.diffId !== undefined && !seen.has(r.diffId);
      if (r.diffId) seen.add(r.diffId);
      rows.push({
        ID: shortId(r.key),
        Parent: '',
        Parents: [],
        Type: 'regular',
        Description: r.description,
        InUse: r.diffId !== undefined && this.pins.has(r.diffId),
        Shared: r.diffId !== undefined && (users.get(r.diffId) ?? 0) > 1,
        Size: first ? r.size : 0,
        CreatedAt: r.createdAt,
        LastUsedAt: r.lastUsedAt,
        UsageCount: r.usageCount,
      });
    }
    for (const [hex, m] of Object.entries(this.index.mounts)) {
      rows.push({
        ID: hex.slice(0, 25),
        Parent: '',
        Parents: [],
        Type: 'exec.cachemount',
        Description: `cached mount ${m.id}`,
        InUse: (this.mountUsers.get(hex) ?? 0) > 0,
        Shared: false,
        Size: await du(path.join(this.dir, 'cache-mounts', hex)),
        CreatedAt: m.createdAt,
        LastUsedAt: m.lastUsedAt,
        UsageCount: m.usageCount,
      });
    }
    return rows;
  }

  /** `docker builder prune`: records matching the filters, oldest use first, until `keepStorage` is met. */
  async prune(opts: PruneOptions, now: Date): Promise<PruneResult> {
    const filters = opts.filters ?? {};
    for (const k of Object.keys(filters)) {
      if (!['until', 'id', 'type', 'unused-for'].includes(k)) throw new BuildCacheError(`build cache prune: filter ${JSON.stringify(k)} is not supported (until, id, type are)`);
    }
    const until = [...(filters.until ?? []), ...(filters['unused-for'] ?? [])].map(parseDuration);
    const olderThan = until.length > 0 ? now.getTime() - Math.min(...until) : undefined;
    const ids = filters.id ?? [];
    const types = filters.type ?? [];
    const match = (id: string, type: CacheRecordType, lastUsed: string): boolean =>
      (ids.length === 0 || ids.some((i) => id.startsWith(i) || i.startsWith(id))) &&
      (types.length === 0 || types.includes(type)) &&
      (olderThan === undefined || Date.parse(lastUsed) < olderThan);
    return this.locked(async () => {
      const deleted: string[] = [];
      let reclaimed = 0;
      let total = await this.totalBytes();
      const keep = opts.keepStorage ?? 0;
      const candidates = Object.values(this.index.records)
        .filter((r) => !(r.diffId && this.pins.has(r.diffId)) && match(shortId(r.key), 'regular', r.lastUsedAt))
        .sort((a, b) => (a.lastUsedAt < b.lastUsedAt ? -1 : 1));
      for (const r of candidates) {
        if (keep > 0 && total <= keep) break;
        delete this.index.records[r.key];
        deleted.push(shortId(r.key));
        const freed = await this.dropUnusedLayers();
        reclaimed += freed;
        total -= freed;
      }
      if (keep === 0 || total > keep) {
        for (const [hex, m] of Object.entries(this.index.mounts)) {
          if ((this.mountUsers.get(hex) ?? 0) > 0 || !match(hex.slice(0, 25), 'exec.cachemount', m.lastUsedAt)) continue;
          const dir = path.join(this.dir, 'cache-mounts', hex);
          const size = await du(dir);
          await fs.rm(dir, { recursive: true, force: true });
          delete this.index.mounts[hex];
          deleted.push(hex.slice(0, 25));
          reclaimed += size;
          total -= size;
          if (keep > 0 && total <= keep) break;
        }
      }
      await writeJsonAtomic(path.join(this.dir, 'index.json'), this.index);
      return { CachesDeleted: deleted, SpaceReclaimed: reclaimed };
    });
  }

  /** After a build: least recently used records go until the cache fits its limit. */
  async evict(now: Date): Promise<PruneResult> {
    if ((await this.totalBytes()) <= this.keepBytes) return { CachesDeleted: [], SpaceReclaimed: 0 };
    return this.prune({ keepStorage: this.keepBytes }, now);
  }

  private async totalBytes(): Promise<number> {
    let total = 0;
    const seen = new Set<string>();
    for (const r of Object.values(this.index.records)) {
      if (!r.diffId || seen.has(r.diffId)) continue;
      seen.add(r.diffId);
      total += r.size;
    }
    return total;
  }

  /** Removes layer files no record names and no build pins; returns the bytes freed. */
  private async dropUnusedLayers(): Promise<number> {
    const used = this.layerUsers();
    let freed = 0;
    for (const name of await fs.readdir(path.join(this.dir, 'layers'))) {
      const m = /^([0-9a-f]{64})(\.tar)?$/.exec(name);
      if (!m) continue;
      const diffId = `sha256:${m[1]}`;
      if (used.has(diffId) || this.pins.has(diffId)) continue;
      const abs = path.join(this.dir, 'layers', name);
      if (m[2]) freed += (await fs.stat(abs).catch(() => undefined))?.size ?? 0;
      await fs.rm(abs, { recursive: true, force: true });
    }
    return freed;
  }
}

/** `10GB`, `512MiB`, `1e9`: bytes. */
export function parseBytesValue(text: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*([kmgt]?i?b?)?$/i.exec(text.trim());
  if (!m) throw new BuildCacheError(`invalid size ${JSON.stringify(text)}`);
  const unit = (m[2] ?? '').toLowerCase().replace(/i?b$/, '');
  const mult = { '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3, t: 1024 ** 4 }[unit as '' | 'k' | 'm' | 'g' | 't'];
  return Math.floor(Number(m[1]) * mult);
}
