// Unpacked layers: one directory per diff id under `layers/`, each an overlay lower dir of its own
// (whiteouts are recorded as overlay whiteouts, not applied, so a layer does not depend on the
// ones beneath it and one diff is stored once however many images share it).
//
// A layer is unpacked into a fresh dir under the store's tmp/, its metadata (`layers/<hex>.json`)
// written, and only then renamed into place; the dir without metadata is never trusted. So a
// process killed mid-unpack leaves work in tmp/ (removed at the next open) and never a half
// snapshot under layers/. Removal renames the dir away before deleting it, for the same reason.
// Layer contents are not fsynced, as Docker's and containerd's snapshotters do not: the store
// survives the engine's death, and a power loss costs at most a re-pull of what was being
// written.
import fs from 'node:fs/promises';
import path from 'node:path';
import { fsyncDir, writeFileAtomic } from '../../lib/atomic.js';
import type { ByteSource } from '../../lib/tar.js';
import { applyLayer, type ApplyLayerResult } from './extract.js';
import { hexOf } from './image-config.js';
import { exists } from './layout.js';
import { readJson } from './records.js';

export interface SnapshotMeta {
  diffId: string;
  /** Bytes of regular-file content. */
  size: number;
}

export class Snapshots {
  readonly dirRoot: string;

  constructor(
    storeRoot: string,
    private readonly tmpPath: () => string,
    private readonly allowDevices: boolean,
  ) {
    this.dirRoot = path.join(storeRoot, 'layers');
  }

  async init(): Promise<void> {
    await fs.mkdir(this.dirRoot, { recursive: true });
  }

  dir(diffId: string): string {
    return path.join(this.dirRoot, hexOf(diffId));
  }

  private metaFile(diffId: string): string {
    return path.join(this.dirRoot, `${hexOf(diffId)}.json`);
  }

  /** The snapshot's metadata when it is complete (dir and metadata both there), else undefined. */
  async get(diffId: string): Promise<SnapshotMeta | undefined> {
    if (!(await exists(this.dir(diffId)))) return undefined;
    return readJson<SnapshotMeta>(this.metaFile(diffId));
  }

  /**
   * Unpacks a layer tar into the snapshot for `diffId`, unless it is there already. The source
   * must fail (not end) when its content is not `diffId` — a pulled layer's stream does — or the
   * caller must have verified it; nothing is renamed into place before the source ended cleanly.
   */
  async unpack(source: ByteSource, diffId: string): Promise<SnapshotMeta & { warnings: ApplyLayerResult['warnings'] }> {
    const have = await this.get(diffId);
    if (have) {
      // Someone else's copy: the source still has to be consumed so its verification completes.
      for await (const _ of source) {
        // draining
      }
      return { ...have, warnings: [] };
    }
    const work = await this.unpackToWork(source);
    try {
      return { ...(await this.commit(work.dir, diffId, work.result.size)), warnings: work.result.warnings };
    } finally {
      await fs.rm(work.dir, { recursive: true, force: true });
    }
  }

  /** Unpacks into a fresh work dir (removed again if unpacking fails); `commit` or remove it after. */
  async unpackToWork(source: ByteSource): Promise<{ dir: string; result: ApplyLayerResult }> {
    const dir = this.tmpPath();
    try {
      return { dir, result: await applyLayer(source, dir, { devices: this.allowDevices ? 'root-owned' : 'skip' }) };
    } catch (e) {
      await fs.rm(dir, { recursive: true, force: true });
      throw e;
    }
  }

  /** Makes an unpacked work dir the snapshot of `diffId` (metadata first, then the rename); an existing one wins. */
  async commit(work: string, diffId: string, size: number): Promise<SnapshotMeta> {
    const have = await this.get(diffId);
    if (have) return have;
    const meta: SnapshotMeta = { diffId, size };
    await writeFileAtomic(this.metaFile(diffId), JSON.stringify(meta));
    await fs.rename(work, this.dir(diffId)).catch(async (e: NodeJS.ErrnoException) => {
      // Someone else unpacked the same layer meanwhile: theirs is as good as ours.
      if (e.code !== 'ENOTEMPTY' && e.code !== 'EEXIST') throw e;
    });
    await fsyncDir(this.dirRoot);
    return meta;
  }

  async remove(diffId: string): Promise<void> {
    // Renamed away first: a half-deleted dir must never pass for an unpacked layer; then the
    // metadata goes, so a dir left without it would be unpacked again, never trusted.
    const doomed = this.tmpPath();
    await fs.rename(this.dir(diffId), doomed).catch(() => undefined);
    await fs.rm(this.metaFile(diffId), { force: true });
    await fs.rm(doomed, { recursive: true, force: true });
  }

  /** Diff ids of every complete snapshot, and the names of anything else under layers/ (left-overs). */
  async scan(): Promise<{ complete: string[]; stray: string[] }> {
    const names = await fs.readdir(this.dirRoot);
    const dirs = new Set(names.filter((n) => /^[0-9a-f]{64}$/.test(n)));
    const metas = new Set(names.filter((n) => /^[0-9a-f]{64}\.json$/.test(n)).map((n) => n.slice(0, 64)));
    const complete = [...dirs].filter((h) => metas.has(h)).map((h) => `sha256:${h}`);
    const stray = names.filter((n) => !(dirs.has(n) && metas.has(n)) && !(n.endsWith('.json') && dirs.has(n.slice(0, 64))));
    return { complete, stray };
  }
}
