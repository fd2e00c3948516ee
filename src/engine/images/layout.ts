// The OCI image layout on disk: `oci-layout`, `index.json` and content-addressed blobs under
// `blobs/sha256/`, so skopeo (`oci:<root>:<tag>`) and umoci read the store as it is. A blob is
// written to the store's tmp dir, verified, and renamed into place, so a blob file under its
// digest always holds exactly that content.
import { createReadStream, type ReadStream } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { MediaType } from '../distribution/manifest.js';
import { fsyncDir, writeFileAtomic } from '../../lib/atomic.js';
import { hexOf, sha256 } from './image-config.js';

/** A blob as a manifest or index names it. */
export interface BlobRef {
  mediaType: string;
  digest: string;
  size: number;
}

/** One image as index.json lists it: its manifest, under each of its full tagged names (or none). */
export interface IndexEntry {
  manifest: BlobRef;
  names: string[];
}

export const OCI_LAYOUT = '{"imageLayoutVersion":"1.0.0"}';

export async function exists(p: string): Promise<boolean> {
  try {
    await fs.lstat(p);
    return true;
  } catch {
    return false;
  }
}

/** The annotations containerd and the OCI spec use to name an index entry (full name, and the tag alone). */
export function nameAnnotations(fullName: string): Record<string, string> {
  return { 'io.containerd.image.name': fullName, 'org.opencontainers.image.ref.name': fullName.slice(fullName.lastIndexOf(':') + 1) };
}

/** index.json's manifests: one descriptor per image and name (an unnamed image once, without annotations). */
export function indexManifests(entries: readonly IndexEntry[]): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = [];
  for (const e of entries) {
    const base = { mediaType: e.manifest.mediaType, digest: e.manifest.digest, size: e.manifest.size };
    if (e.names.length === 0) out.push(base);
    for (const name of [...e.names].sort()) out.push({ ...base, annotations: nameAnnotations(name) });
  }
  return out;
}

export class OciLayout {
  constructor(readonly root: string) {}

  async init(): Promise<void> {
    await fs.mkdir(path.join(this.root, 'blobs', 'sha256'), { recursive: true });
    if (!(await exists(path.join(this.root, 'oci-layout')))) await writeFileAtomic(path.join(this.root, 'oci-layout'), OCI_LAYOUT);
  }

  blobPath(digest: string): string {
    return path.join(this.root, 'blobs', 'sha256', hexOf(digest));
  }

  has(digest: string): Promise<boolean> {
    return exists(this.blobPath(digest));
  }

  async size(digest: string): Promise<number> {
    return (await fs.stat(this.blobPath(digest))).size;
  }

  read(digest: string): Promise<Buffer> {
    return fs.readFile(this.blobPath(digest));
  }

  open(digest: string, start?: number): ReadStream {
    return createReadStream(this.blobPath(digest), { highWaterMark: 1 << 20, ...(start ? { start } : {}) });
  }

  /** Stores a small blob (config, manifest) and returns its digest. */
  async put(data: Buffer): Promise<string> {
    const digest = sha256(data);
    const file = this.blobPath(digest);
    if (!(await exists(file))) await writeFileAtomic(file, data);
    return digest;
  }

  /** Moves a verified file (written and fsynced elsewhere on this filesystem) in as the blob `digest`. */
  async adopt(tmpFile: string, digest: string): Promise<void> {
    const file = this.blobPath(digest);
    if (await exists(file)) {
      await fs.rm(tmpFile, { force: true });
      return;
    }
    await fs.rename(tmpFile, file);
    await fsyncDir(path.dirname(file));
  }

  async remove(digest: string): Promise<void> {
    await fs.rm(this.blobPath(digest), { force: true });
  }

  /** Every blob digest present. */
  async digests(): Promise<string[]> {
    const names = await fs.readdir(path.join(this.root, 'blobs', 'sha256')).catch(() => [] as string[]);
    return names.filter((n) => /^[0-9a-f]{64}$/.test(n)).map((n) => `sha256:${n}`);
  }

  async writeIndex(entries: readonly IndexEntry[]): Promise<void> {
    const index = { schemaVersion: 2, mediaType: MediaType.ociIndex, manifests: indexManifests(entries) };
    await writeFileAtomic(path.join(this.root, 'index.json'), `${JSON.stringify(index, null, 2)}\n`);
  }
}
