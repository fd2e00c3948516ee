// berth's own records beside the OCI layout: one JSON file per image (`images/<hex>.json`: which
// manifest, which layers with their blobs and unpacked sizes, the repo digests it was pulled or
// pushed as) and `repositories.json` (full tagged name → image id). Every write is atomic.
// Records written by engines before the content store (uncompressed layer blobs only, keyed by
// diff id) are read in the current shape.
import fs from 'node:fs/promises';
import path from 'node:path';
import { MediaType } from '../distribution/manifest.js';
import { writeFileAtomic } from '../../lib/atomic.js';
import { hexOf } from './image-config.js';
import type { BlobRef } from './layout.js';

export interface LayerRecord {
  diffId: string;
  /** Bytes of file content in the unpacked layer (Docker's layer size). */
  size: number;
  /** The layer's blob as stored: compressed as the registry or archive gave it, or the plain tar. */
  blob: BlobRef;
}

export interface ImageRecord {
  /** The config's digest. */
  id: string;
  manifest: BlobRef;
  layers: LayerRecord[];
  /** Unpacked size of all layers. */
  size: number;
  lastTagTime?: string;
  /** Full `repository@sha256:…` names the image was pulled or pushed as (Docker's RepoDigests). */
  repoDigests?: string[];
  /**
   * A tombstone: the image was force-removed while a container used it. It is no longer listed
   * or found by name, but its layers stay (the container's root is made of them) until no
   * container uses it; then a collection removes it.
   */
  deleted?: true;
}

/** The shape engines before the content store wrote. */
interface LegacyRecord {
  id: string;
  manifestDigest: string;
  manifestSize: number;
  layers: { diffId: string; size: number }[];
  size: number;
  lastTagTime?: string;
}

export async function readJson<T>(file: string): Promise<T | undefined> {
  try {
    return JSON.parse(await fs.readFile(file, 'utf8')) as T;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
}

function sortedObject<T>(o: Record<string, T>): Record<string, T> {
  return Object.fromEntries(Object.entries(o).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

export class Records {
  constructor(
    private readonly root: string,
    /** Size of a stored blob, for legacy records that did not keep it. */
    private readonly blobSize: (digest: string) => Promise<number>,
  ) {}

  private file(id: string): string {
    return path.join(this.root, 'images', `${hexOf(id)}.json`);
  }

  async init(): Promise<void> {
    await fs.mkdir(path.join(this.root, 'images'), { recursive: true });
  }

  async read(id: string): Promise<ImageRecord | undefined> {
    const raw = await readJson<ImageRecord | LegacyRecord>(this.file(id));
    return raw ? this.current(raw) : undefined;
  }

  async all(): Promise<ImageRecord[]> {
    const names = (await fs.readdir(path.join(this.root, 'images'))).filter((n) => /^[0-9a-f]{64}\.json$/.test(n)).sort();
    const raws = await Promise.all(names.map((n) => readJson<ImageRecord | LegacyRecord>(path.join(this.root, 'images', n))));
    return Promise.all(raws.filter((r): r is ImageRecord | LegacyRecord => r !== undefined).map((r) => this.current(r)));
  }

  async write(record: ImageRecord): Promise<void> {
    await writeFileAtomic(this.file(record.id), `${JSON.stringify(record, null, 2)}\n`);
  }

  async remove(id: string): Promise<void> {
    await fs.rm(this.file(id), { force: true });
  }

  private async current(r: ImageRecord | LegacyRecord): Promise<ImageRecord> {
    if ('manifest' in r) return r;
    const layers = await Promise.all(
      r.layers.map(async (l) => ({ ...l, blob: { mediaType: MediaType.ociLayer, digest: l.diffId, size: await this.blobSize(l.diffId).catch(() => 0) } })),
    );
    return {
      id: r.id,
      manifest: { mediaType: MediaType.ociManifest, digest: r.manifestDigest, size: r.manifestSize },
      layers,
      size: r.size,
      ...(r.lastTagTime ? { lastTagTime: r.lastTagTime } : {}),
    };
  }

  async readRepositories(): Promise<Record<string, string>> {
    return (await readJson<Record<string, string>>(path.join(this.root, 'repositories.json'))) ?? {};
  }

  async writeRepositories(repos: Record<string, string>): Promise<void> {
    await writeFileAtomic(path.join(this.root, 'repositories.json'), `${JSON.stringify(sortedObject(repos), null, 2)}\n`);
  }
}
