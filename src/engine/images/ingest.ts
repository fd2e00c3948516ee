// Images that arrive whole rather than from a registry: `docker import` (a root filesystem tar
// becomes a one-layer image) and `docker load` (a `docker save` archive, legacy or Docker 25+
// layout, or an OCI image layout archive). Every blob is checked against its digest and every
// layer against the config's diff ids before anything is committed; layers are pinned while
// they are being stored, so a concurrent removal cannot collect them.
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import fs from 'node:fs/promises';
import { MediaType } from '../distribution/manifest.js';
import type { ContainerConfig } from '../backend.js';
import { maybeGunzip, type ByteSource } from '../../lib/tar.js';
import { ImageError } from './errors.js';
import { hexOf, ociArchitecture, parseImageConfig, sha256, type ImageConfigFile } from './image-config.js';
import type { OciLayout } from './layout.js';
import type { LayerRecord } from './records.js';
import { normalizeTagged } from './reference.js';
import type { Snapshots } from './snapshots.js';
import { spoolArchive, type SpooledFiles } from './spool.js';

export interface ImportOptions {
  repoTag?: string;
  changes?: ContainerConfig;
  /** History comment, as `docker import -m`. */
  message?: string;
}

export interface LoadedImage {
  id: string;
  /** Familiar names (`busybox:latest`). */
  repoTags: string[];
}

/** What ingestion needs from the store. */
export interface IngestContext {
  layout: OciLayout;
  snapshots: Snapshots;
  now(): Date;
  tmpPath(): string;
  /** Keeps blobs and snapshots from being collected until the returned function is called. */
  pin(digests: string[]): () => void;
  assertTaggable(fullName: string): void;
  commitImage(configBytes: Buffer, layers: LayerRecord[], repoTags: string[]): Promise<LoadedImage>;
}

interface IngestedLayer {
  diffId: string;
  /** Uncompressed size. */
  size: number;
  /** Digest of the bytes as they came (compressed or not), for checking descriptors. */
  rawDigest: string;
  tmpPath: string;
}

interface Descriptor {
  mediaType?: string;
  digest: string;
  size?: number;
  platform?: { os?: string; architecture?: string };
  annotations?: Record<string, string>;
}

/** Streams a (possibly gzip) layer into a temporary uncompressed file, hashing both forms. */
async function ingestLayer(ctx: IngestContext, source: ByteSource): Promise<IngestedLayer> {
  const raw = createHash('sha256');
  async function* tap(): AsyncGenerator<Uint8Array> {
    for await (const chunk of source) {
      raw.update(chunk);
      yield chunk;
    }
  }
  const tmpPath = ctx.tmpPath();
  const handle = await fs.open(tmpPath, 'wx', 0o644);
  const plain = createHash('sha256');
  let size = 0;
  try {
    for await (const chunk of maybeGunzip(tap())) {
      plain.update(chunk);
      size += chunk.length;
      await handle.write(chunk);
    }
    await handle.sync();
  } catch (e) {
    await handle.close();
    await fs.rm(tmpPath, { force: true });
    throw e;
  }
  await handle.close();
  return { diffId: `sha256:${plain.digest('hex')}`, size, rawDigest: `sha256:${raw.digest('hex')}`, tmpPath };
}

/** Unpacks the layer once and moves its blob in; the temporary file is gone afterwards either way. */
async function commitLayer(ctx: IngestContext, layer: IngestedLayer): Promise<LayerRecord> {
  try {
    const snap = await ctx.snapshots.unpack(createReadStream(layer.tmpPath), layer.diffId);
    await ctx.layout.adopt(layer.tmpPath, layer.diffId);
    return { diffId: layer.diffId, size: snap.size, blob: { mediaType: MediaType.ociLayer, digest: layer.diffId, size: layer.size } };
  } finally {
    await fs.rm(layer.tmpPath, { force: true });
  }
}

/** `docker import` / `POST /images/create?fromSrc=-`: a root filesystem tarball (plain or gzip) becomes a one-layer image. */
export async function importRootfs(ctx: IngestContext, source: ByteSource, options: ImportOptions = {}): Promise<LoadedImage> {
  if (options.repoTag) ctx.assertTaggable(normalizeTagged(options.repoTag));
  const layer = await ingestLayer(ctx, source);
  const release = ctx.pin([layer.diffId]);
  try {
    const record = await commitLayer(ctx, layer);
    const created = ctx.now().toISOString();
    const config: ImageConfigFile = {
      architecture: ociArchitecture(),
      os: 'linux',
      created,
      ...(options.message ? { comment: options.message } : {}),
      config: { ...options.changes },
      rootfs: { type: 'layers', diff_ids: [layer.diffId] },
      history: [{ created, created_by: 'berth import', ...(options.message ? { comment: options.message } : {}) }],
    };
    return await ctx.commitImage(Buffer.from(JSON.stringify(config)), [record], options.repoTag ? [options.repoTag] : []);
  } finally {
    release();
  }
}

/**
 * `docker load`: a `docker save` archive (manifest.json, legacy or OCI-style paths) or an OCI
 * image-layout archive (index.json), plain or gzip.
 */
export async function loadArchive(ctx: IngestContext, archive: ByteSource): Promise<LoadedImage[]> {
  const work = ctx.tmpPath();
  await fs.mkdir(work);
  try {
    const files = await spoolArchive(archive, work);
    if (files.has('manifest.json')) return await loadDockerArchive(ctx, files);
    if (files.has('index.json')) return await loadOciArchive(ctx, files);
    throw new ImageError('invalid', 'not an image archive: it has neither manifest.json (docker save) nor index.json (OCI layout)');
  } finally {
    await fs.rm(work, { recursive: true, force: true });
  }
}

async function loadImage(ctx: IngestContext, files: SpooledFiles, configBytes: Buffer, layerPaths: { path: string; digest?: string }[], repoTags: string[]): Promise<LoadedImage> {
  const config = parseImageConfig(configBytes);
  const diffIds = config.rootfs.diff_ids;
  if (diffIds.length !== layerPaths.length) {
    throw new ImageError('invalid', `image config lists ${diffIds.length} layers but the manifest has ${layerPaths.length}`);
  }
  const releases: (() => void)[] = [];
  try {
    const layers: LayerRecord[] = [];
    for (let i = 0; i < layerPaths.length; i++) {
      const layer = await ingestLayer(ctx, files.open(layerPaths[i].path));
      releases.push(ctx.pin([layer.diffId]));
      const expected = layerPaths[i].digest;
      if (layer.diffId !== diffIds[i] || (expected && expected !== layer.rawDigest && expected !== layer.diffId)) {
        await fs.rm(layer.tmpPath, { force: true });
        throw new ImageError('invalid', `layer ${layerPaths[i].path} does not match its digest: got ${layer.diffId}, the config says ${diffIds[i]}`);
      }
      layers.push(await commitLayer(ctx, layer));
    }
    return await ctx.commitImage(configBytes, layers, repoTags);
  } finally {
    for (const r of releases) r();
  }
}

async function loadDockerArchive(ctx: IngestContext, files: SpooledFiles): Promise<LoadedImage[]> {
  const manifest = JSON.parse((await files.read('manifest.json')).toString('utf8')) as unknown;
  if (!Array.isArray(manifest)) throw new ImageError('invalid', 'manifest.json must be a sequence of images');
  const out: LoadedImage[] = [];
  for (const entry of manifest as { Config?: string; RepoTags?: string[] | null; Layers?: string[] }[]) {
    if (typeof entry.Config !== 'string' || !Array.isArray(entry.Layers)) throw new ImageError('invalid', 'manifest.json entry needs Config and Layers');
    const configBytes = await files.read(entry.Config);
    const blobDigest = /^blobs\/sha256\/([0-9a-f]{64})$/.exec(entry.Config);
    if (blobDigest && sha256(configBytes) !== `sha256:${blobDigest[1]}`) throw new ImageError('invalid', `${entry.Config} does not match its digest`);
    const layerPaths = entry.Layers.map((p) => {
      const m = /^blobs\/sha256\/([0-9a-f]{64})$/.exec(p);
      return m ? { path: p, digest: `sha256:${m[1]}` } : { path: p };
    });
    out.push(await loadImage(ctx, files, configBytes, layerPaths, entry.RepoTags ?? []));
  }
  return out;
}

async function loadOciArchive(ctx: IngestContext, files: SpooledFiles): Promise<LoadedImage[]> {
  const out: LoadedImage[] = [];
  const readBlob = async (d: Descriptor): Promise<Buffer> => {
    const data = await files.read(`blobs/sha256/${hexOf(d.digest)}`);
    if (sha256(data) !== d.digest) throw new ImageError('invalid', `blob ${d.digest} does not match its digest`);
    return data;
  };
  const visit = async (d: Descriptor, name: string | undefined): Promise<void> => {
    const data = await readBlob(d);
    const doc = JSON.parse(data.toString('utf8')) as { mediaType?: string; manifests?: Descriptor[]; config?: Descriptor; layers?: Descriptor[] };
    if (Array.isArray(doc.manifests)) {
      // A multi-platform index: take this machine's platform, or the only/first entry.
      const arch = ociArchitecture();
      const pick = doc.manifests.find((m) => m.platform?.os === 'linux' && m.platform.architecture === arch) ?? doc.manifests.find((m) => !m.platform) ?? doc.manifests[0];
      if (!pick) throw new ImageError('invalid', `index ${d.digest} lists no manifests`);
      await visit(pick, name);
      return;
    }
    if (!doc.config || !Array.isArray(doc.layers)) throw new ImageError('invalid', `blob ${d.digest} is neither an image index nor a manifest`);
    for (const l of doc.layers) {
      if (/zstd/.test(l.mediaType ?? '')) throw new ImageError('invalid', `layer ${l.digest} is zstd-compressed, which is not supported; gzip or plain tar is`);
    }
    const configBytes = await readBlob(doc.config);
    const layerPaths = doc.layers.map((l) => ({ path: `blobs/sha256/${hexOf(l.digest)}`, digest: l.digest }));
    out.push(await loadImage(ctx, files, configBytes, layerPaths, name ? [name] : []));
  };
  const index = JSON.parse((await files.read('index.json')).toString('utf8')) as { manifests?: Descriptor[] };
  for (const d of index.manifests ?? []) {
    const ann = d.annotations ?? {};
    let name = ann['io.containerd.image.name'];
    const refName = ann['org.opencontainers.image.ref.name'];
    // A bare ref.name is only a tag; it names an image only when it is a full reference.
    if (!name && refName && refName.includes(':') && tryNormalize(refName)) name = refName;
    await visit(d, name);
  }
  return out;
}

export function tryNormalize(ref: string): string | undefined {
  try {
    return normalizeTagged(ref);
  } catch {
    return undefined;
  }
}
