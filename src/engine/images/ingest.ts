// Images that arrive whole rather than from a registry: `docker import` (a root filesystem tar
// becomes a one-layer image) and `docker load` (a `docker save` archive, legacy or Docker 25+
// layout, or an OCI image layout archive). Every blob is checked against its digest and every
// layer against the config's diff ids before anything is committed; layers are pinned while
// they are being stored, so a concurrent removal cannot collect them.
import fs from 'node:fs/promises';
import type { ContainerConfig } from '../backend.js';
import { RegistryError } from '../distribution/errors.js';
import type { ByteSource } from '../../lib/tar.js';
import { ImageError } from './errors.js';
import { hexOf, ociArchitecture, parseImageConfig, sha256, type ImageConfigFile } from './image-config.js';
import { storeLayer, type LayerStoreContext } from './layers.js';
import type { LayerRecord } from './records.js';
import { normalizeTagged } from '../reference/reference.js';
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
export interface IngestContext extends LayerStoreContext {
  now(): Date;
  /** The engine's version, recorded as `docker_version` in the images it makes (import, commit), as dockerd records its own. */
  dockerVersion?: string;
  assertTaggable(fullName: string): void;
  commitImage(configBytes: Buffer, layers: LayerRecord[], repoTags: string[]): Promise<LoadedImage>;
}

interface Descriptor {
  mediaType?: string;
  digest: string;
  size?: number;
  platform?: { os?: string; architecture?: string };
  annotations?: Record<string, string>;
}

/** `docker import` / `POST /images/create?fromSrc=-`: a root filesystem tarball (plain or gzip) becomes a one-layer image. */
export async function importRootfs(ctx: IngestContext, source: ByteSource, options: ImportOptions = {}): Promise<LoadedImage> {
  if (options.repoTag) ctx.assertTaggable(normalizeTagged(options.repoTag));
  const { layer, release } = await storeLayer(ctx, chunks(source), { what: 'the imported root filesystem' });
  try {
    const created = ctx.now().toISOString();
    const config: ImageConfigFile = {
      architecture: ociArchitecture(),
      os: 'linux',
      created,
      // dockerd's words when `docker import` is given no message (the source is the request body).
      comment: options.message || 'Imported from -',
      ...(ctx.dockerVersion ? { docker_version: ctx.dockerVersion } : {}),
      config: { ...options.changes },
      rootfs: { type: 'layers', diff_ids: [layer.diffId] },
      history: [{ created, comment: options.message || 'Imported from -' }],
    };
    return await ctx.commitImage(Buffer.from(JSON.stringify(config)), [layer], options.repoTag ? [options.repoTag] : []);
  } finally {
    release();
  }
}

export interface CommitOptions {
  config: ContainerConfig;
  /** The container committed and its config, recorded as Docker records them (`container`, `container_config`). */
  container?: { id: string; config: ContainerConfig };
  repoTag?: string;
  comment?: string;
  author?: string;
  createdBy?: string;
}

/**
 * `docker commit`: a container's changes (a layer in Docker's format, whiteouts as `.wh.` files)
 * on top of the image it was made from (`base`), with the container's config.
 */
export async function commitChanges(ctx: IngestContext, base: { config: ImageConfigFile; layers: LayerRecord[] }, source: ByteSource, options: CommitOptions): Promise<LoadedImage> {
  if (options.repoTag) ctx.assertTaggable(normalizeTagged(options.repoTag));
  const { layer, release } = await storeLayer(ctx, chunks(source), { what: "the container's changes" });
  try {
    const created = ctx.now().toISOString();
    const config: ImageConfigFile = {
      architecture: base.config.architecture,
      os: base.config.os,
      ...(base.config.variant ? { variant: base.config.variant } : {}),
      created,
      ...(options.comment ? { comment: options.comment } : {}),
      ...(options.container ? { container: options.container.id, container_config: options.container.config } : {}),
      ...(ctx.dockerVersion ? { docker_version: ctx.dockerVersion } : {}),
      ...(options.author ? { author: options.author } : {}),
      config: options.config,
      rootfs: { type: 'layers', diff_ids: [...base.config.rootfs.diff_ids, layer.diffId] },
      history: [...(base.config.history ?? []), { created, ...(options.createdBy ? { created_by: options.createdBy } : {}), ...(options.comment ? { comment: options.comment } : {}) }],
    };
    return await ctx.commitImage(Buffer.from(JSON.stringify(config)), [...base.layers, layer], options.repoTag ? [options.repoTag] : []);
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
      const { path: p, digest } = layerPaths[i];
      const stored = await storeLayer(ctx, chunks(files.open(p)), { diffId: diffIds[i], ...(digest ? { digest } : {}), what: `layer ${p}` }).catch((e: unknown) => {
        // A digest mismatch in an archive is bad input, whoever noticed it.
        if (e instanceof RegistryError && e.kind === 'digest-mismatch') throw new ImageError('invalid', `layer ${p} does not match its digest: ${e.detail}`, { cause: e });
        throw e;
      });
      releases.push(stored.release);
      layers.push(stored.layer);
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

async function* chunks(source: ByteSource): AsyncGenerator<Uint8Array> {
  yield* source;
}

export function tryNormalize(ref: string): string | undefined {
  try {
    return normalizeTagged(ref);
  } catch {
    return undefined;
  }
}
