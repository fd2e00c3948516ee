// The built-in engine's image store: content-addressed, in OCI image-layout under one root,
// with berth's own records beside it:
//
//   <root>/oci-layout                     {"imageLayoutVersion":"1.0.0"}
//   <root>/index.json                     OCI index: one manifest descriptor per image and tag
//   <root>/blobs/sha256/<hex>             configs, manifests, layer tars (stored uncompressed, so a
//                                         layer's blob digest is its diff id)
//   <root>/images/<hex>.json              berth's record of one image (id = config digest)
//   <root>/repositories.json              full tagged name → image id
//   <root>/layers/<diffhex>/              the layer extracted once, overlay-ready (whiteouts as
//                                         char 0/0 devices, opaque dirs as xattrs); an overlay lower dir
//   <root>/layers/<diffhex>.json          its size
//   <root>/tmp/<pid>-<random>             work in progress; left-overs of dead processes are removed on open
//
// Layer dirs are keyed by diff id rather than chain id: an extracted overlay layer does not
// depend on the layers under it (whiteouts are recorded, not applied), so one diff is stored once
// however many images share it.
//
// Every record is written atomically (write, fsync, rename, fsync dir). Read-modify-write of the
// shared records (repositories.json, index.json) happens under a per-root lock; the slow parts
// (hashing, extraction) happen outside it.
//
// The built-in host image (`berth/host:latest`) is virtual: nothing is stored for it. Its only
// "layer" is the machine's own `/`, used read-only as the overlay lower dir, so a container of it
// sees the host's programs without a copy. It is listed and inspected like any image but cannot be
// removed, saved or have its name taken by another image.
import { createHash, randomBytes } from 'node:crypto';
import { execFile } from 'node:child_process';
import { createReadStream } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { promisify } from 'node:util';
import { fsyncDir, withLock, writeFileAtomic } from '../../lib/atomic.js';
import { ImageError } from './errors.js';
import { applyLayer } from './extract.js';
import { familiarName, normalizeTagged, parseReference, repositoryOf } from './reference.js';
import { spoolArchive, type SpooledFiles } from './spool.js';
import { maybeGunzip, tarStream, type ByteSource, type TarWriteEntry } from '../../lib/tar.js';

export const HOST_IMAGE_TAG = 'docker.io/berth/host:latest';
/** The host image's label; images built on it inherit it, which stacks their layers on the host's root. */
export const HOST_BASE_LABEL = 'io.berth.image.host';
export const HOST_IMAGE_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

const MEDIA = {
  index: 'application/vnd.oci.image.index.v1+json',
  manifest: 'application/vnd.oci.image.manifest.v1+json',
  config: 'application/vnd.oci.image.config.v1+json',
  layer: 'application/vnd.oci.image.layer.v1.tar',
  dockerManifestList: 'application/vnd.docker.distribution.manifest.list.v2+json',
};

export interface HealthConfig {
  Test?: string[];
  Interval?: number;
  Timeout?: number;
  StartPeriod?: number;
  StartInterval?: number;
  Retries?: number;
}

/** The `config` part of an image config: what a container of the image starts with. */
export interface ContainerConfig {
  User?: string;
  ExposedPorts?: Record<string, Record<string, never>> | null;
  Env?: string[] | null;
  Entrypoint?: string[] | null;
  Cmd?: string[] | null;
  Volumes?: Record<string, Record<string, never>> | null;
  WorkingDir?: string;
  Labels?: Record<string, string> | null;
  StopSignal?: string;
  Healthcheck?: HealthConfig;
  OnBuild?: string[] | null;
  Shell?: string[];
}

/** The OCI image config (the blob whose digest is the image id). */
export interface ImageConfigFile {
  architecture: string;
  os: string;
  variant?: string;
  created?: string;
  author?: string;
  comment?: string;
  config?: ContainerConfig;
  rootfs: { type: string; diff_ids: string[] };
  history?: { created?: string; created_by?: string; comment?: string; empty_layer?: boolean }[];
}

export interface ImageStoreOptions {
  root: string;
  /** Injected clock for `created` of imported images. */
  now?: () => Date;
  /** Offer the built-in host image (default true). */
  hostImage?: boolean;
  /** The host image's root filesystem (default `/`). */
  hostRoot?: string;
  /** Create root-owned device nodes found in layers (default false: skipped with a warning). */
  allowDevices?: boolean;
}

export interface ImportOptions {
  repoTag?: string;
  changes?: ContainerConfig;
  /** History comment, as `docker import -m`. */
  message?: string;
}

export interface LoadedImage {
  id: string;
  repoTags: string[];
}

export interface ImageSummary {
  Id: string;
  ParentId: string;
  RepoTags: string[];
  RepoDigests: string[];
  Created: number;
  Size: number;
  SharedSize: number;
  Labels: Record<string, string>;
  Containers: number;
}

export interface ImageInspect {
  Id: string;
  RepoTags: string[];
  RepoDigests: string[];
  Parent: string;
  Comment: string;
  Created: string;
  Author: string;
  Config: {
    User: string;
    Env: string[];
    Cmd: string[] | null;
    Entrypoint: string[] | null;
    WorkingDir: string;
    ExposedPorts: Record<string, Record<string, never>> | null;
    Volumes: Record<string, Record<string, never>> | null;
    Labels: Record<string, string> | null;
    OnBuild: string[] | null;
    StopSignal?: string;
    Healthcheck?: HealthConfig;
    Shell?: string[];
  };
  Architecture: string;
  Variant?: string;
  Os: string;
  Size: number;
  GraphDriver: { Name: string; Data: { LowerDir: string } };
  RootFS: { Type: string; Layers: string[] };
  Metadata: { LastTagTime: string };
}

/** In-use answer for `remove`: a running container is a conflict even `force` cannot override (as in Docker). */
export type InUse = boolean | 'running';

export interface RemoveOptions {
  force?: boolean;
  inUse?: (id: string) => InUse;
}

export type DeleteResponseItem = { Untagged: string } | { Deleted: string };

interface LayerRecord {
  diffId: string;
  size: number;
}

interface ImageRecord {
  id: string;
  manifestDigest: string;
  manifestSize: number;
  layers: LayerRecord[];
  size: number;
  lastTagTime?: string;
}

interface IngestedLayer {
  diffId: string;
  size: number;
  /** Digest and size of the bytes as they came (compressed or not), for verifying descriptors. */
  rawDigest: string;
  tmpPath: string;
}

const pins = new Map<string, Map<string, number>>();
const execFileAsync = promisify(execFile);

function sha256(data: Buffer | string): string {
  return `sha256:${createHash('sha256').update(data).digest('hex')}`;
}

function hexOf(digest: string): string {
  const hex = digest.startsWith('sha256:') ? digest.slice(7) : digest;
  if (!/^[0-9a-f]{64}$/.test(hex)) throw new ImageError('invalid', `invalid digest ${JSON.stringify(digest)}`);
  return hex;
}

export function ociArchitecture(arch: string = process.arch): string {
  const map: Record<string, string> = { x64: 'amd64', ia32: '386', arm64: 'arm64', arm: 'arm', ppc64: 'ppc64le', s390x: 's390x', riscv64: 'riscv64' };
  return map[arch] ?? arch;
}

function shortId(id: string): string {
  return id.replace(/^sha256:/, '').slice(0, 12);
}

async function exists(p: string): Promise<boolean> {
  try {
    await fs.lstat(p);
    return true;
  } catch {
    return false;
  }
}

async function readJson<T>(file: string): Promise<T | undefined> {
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

export class ImageStore {
  readonly root: string;
  private readonly now: () => Date;
  private readonly hostEnabled: boolean;
  private readonly hostRoot: string;
  private readonly allowDevices: boolean;
  private readonly hostConfigBytes: Buffer;
  /** The host image's id: the digest of its (deterministic) config. */
  readonly hostImageId: string;

  private constructor(options: ImageStoreOptions) {
    this.root = path.resolve(options.root);
    this.now = options.now ?? (() => new Date());
    this.hostEnabled = options.hostImage ?? true;
    this.hostRoot = options.hostRoot ?? '/';
    this.allowDevices = options.allowDevices ?? false;
    const hostConfig: ImageConfigFile = {
      architecture: ociArchitecture(),
      os: 'linux',
      // Fixed, so the host image keeps one id across restarts and containers can refer to it.
      created: '1970-01-01T00:00:00Z',
      comment: "this machine's root filesystem, read-only",
      config: { Env: [`PATH=${HOST_IMAGE_PATH}`], Cmd: ['/bin/sh'], Labels: { [HOST_BASE_LABEL]: 'true' } },
      rootfs: { type: 'layers', diff_ids: [] },
    };
    this.hostConfigBytes = Buffer.from(JSON.stringify(hostConfig));
    this.hostImageId = sha256(this.hostConfigBytes);
  }

  /** Opens (creating if needed) a store under `options.root`. */
  static async open(options: ImageStoreOptions): Promise<ImageStore> {
    const store = new ImageStore(options);
    await store.init();
    return store;
  }

  private p(...parts: string[]): string {
    return path.join(this.root, ...parts);
  }

  private async init(): Promise<void> {
    for (const dir of ['blobs/sha256', 'images', 'layers', 'tmp']) await fs.mkdir(this.p(dir), { recursive: true });
    if (!(await exists(this.p('oci-layout')))) await writeFileAtomic(this.p('oci-layout'), '{"imageLayoutVersion":"1.0.0"}');
    if (!(await exists(this.p('repositories.json')))) {
      await this.locked(async () => {
        if (!(await exists(this.p('repositories.json')))) await this.writeRepositories({});
      });
    }
    if (!(await exists(this.p('index.json')))) await this.locked(() => this.writeIndex());
    // Work left by a process that died mid-import; a live process's work is left alone.
    for (const name of await fs.readdir(this.p('tmp'))) {
      const pid = Number(name.split('-')[0]);
      if (pid === process.pid || (Number.isInteger(pid) && isAlive(pid))) continue;
      await fs.rm(this.p('tmp', name), { recursive: true, force: true });
    }
  }

  private locked<T>(fn: () => Promise<T>): Promise<T> {
    return withLock(`image-store:${this.root}`, fn);
  }

  private tmpPath(): string {
    return this.p('tmp', `${process.pid}-${randomBytes(8).toString('hex')}`);
  }

  // ------------------------------------------------------------------------------------------
  // Records

  private async readRepositories(): Promise<Record<string, string>> {
    return (await readJson<Record<string, string>>(this.p('repositories.json'))) ?? {};
  }

  private async writeRepositories(repos: Record<string, string>): Promise<void> {
    await writeFileAtomic(this.p('repositories.json'), `${JSON.stringify(sortedObject(repos), null, 2)}\n`);
  }

  private async readRecord(id: string): Promise<ImageRecord | undefined> {
    return readJson<ImageRecord>(this.p('images', `${hexOf(id)}.json`));
  }

  private async allRecords(): Promise<ImageRecord[]> {
    const names = (await fs.readdir(this.p('images'))).filter((n) => /^[0-9a-f]{64}\.json$/.test(n)).sort();
    const records = await Promise.all(names.map((n) => readJson<ImageRecord>(this.p('images', n))));
    return records.filter((r): r is ImageRecord => r !== undefined);
  }

  private async imageIds(): Promise<string[]> {
    const ids = (await this.allRecords()).map((r) => r.id);
    if (this.hostEnabled) ids.push(this.hostImageId);
    return ids;
  }

  private async readConfig(id: string): Promise<ImageConfigFile> {
    if (this.hostEnabled && id === this.hostImageId) return JSON.parse(this.hostConfigBytes.toString()) as ImageConfigFile;
    return JSON.parse(await fs.readFile(this.blobPath(id), 'utf8')) as ImageConfigFile;
  }

  private blobPath(digest: string): string {
    return this.p('blobs', 'sha256', hexOf(digest));
  }

  private async writeIndex(): Promise<void> {
    const repos = await this.readRepositories();
    const manifests: Record<string, unknown>[] = [];
    for (const record of await this.allRecords()) {
      const base = { mediaType: MEDIA.manifest, digest: record.manifestDigest, size: record.manifestSize };
      const tags = Object.keys(repos)
        .filter((t) => repos[t] === record.id)
        .sort();
      if (tags.length === 0) manifests.push(base);
      for (const tag of tags) {
        manifests.push({ ...base, annotations: { 'io.containerd.image.name': tag, 'org.opencontainers.image.ref.name': tag.slice(tag.lastIndexOf(':') + 1) } });
      }
    }
    await writeFileAtomic(this.p('index.json'), `${JSON.stringify({ schemaVersion: 2, mediaType: MEDIA.index, manifests }, null, 2)}\n`);
  }

  // ------------------------------------------------------------------------------------------
  // Blobs and layers

  private async putBlob(data: Buffer): Promise<string> {
    const digest = sha256(data);
    const file = this.blobPath(digest);
    if (!(await exists(file))) await writeFileAtomic(file, data);
    return digest;
  }

  /** Streams a (possibly gzip) layer into a temporary uncompressed blob, hashing both forms. */
  private async ingestLayer(source: ByteSource): Promise<IngestedLayer> {
    const raw = createHash('sha256');
    async function* tap(): AsyncGenerator<Uint8Array> {
      for await (const chunk of source) {
        raw.update(chunk);
        yield chunk;
      }
    }
    const tmpPath = this.tmpPath();
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

  private pin(diffId: string): () => void {
    let byRoot = pins.get(this.root);
    if (!byRoot) pins.set(this.root, (byRoot = new Map()));
    byRoot.set(diffId, (byRoot.get(diffId) ?? 0) + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const n = (byRoot.get(diffId) ?? 1) - 1;
      if (n <= 0) byRoot.delete(diffId);
      else byRoot.set(diffId, n);
    };
  }

  /**
   * Makes the layer's blob and extracted dir exist (extracting at most once), then removes the
   * temporary blob. Extraction happens in a temporary dir renamed into place, so a layer that is
   * rejected half-way leaves nothing behind.
   */
  private async commitLayer(layer: IngestedLayer): Promise<LayerRecord> {
    const hex = hexOf(layer.diffId);
    const dir = this.p('layers', hex);
    const metaFile = this.p('layers', `${hex}.json`);
    try {
      let meta = (await exists(dir)) ? await readJson<LayerRecord>(metaFile) : undefined;
      if (!meta) {
        const work = this.tmpPath();
        try {
          const result = await applyLayer(createReadStream(layer.tmpPath), work, { allowDevices: this.allowDevices });
          meta = { diffId: layer.diffId, size: result.size };
          await writeFileAtomic(metaFile, JSON.stringify(meta));
          await fs.rename(work, dir).catch(async (e: NodeJS.ErrnoException) => {
            // Someone else extracted the same layer meanwhile: theirs is as good as ours.
            if (e.code !== 'ENOTEMPTY' && e.code !== 'EEXIST') throw e;
          });
          await fsyncDir(this.p('layers'));
        } finally {
          await fs.rm(work, { recursive: true, force: true });
        }
      }
      const blob = this.blobPath(layer.diffId);
      if (!(await exists(blob))) {
        await fs.rename(layer.tmpPath, blob);
        await fsyncDir(path.dirname(blob));
      }
      return meta;
    } finally {
      await fs.rm(layer.tmpPath, { force: true });
    }
  }

  /** Writes config and manifest blobs, the record, and the tags, under the lock. */
  private async commitImage(configBytes: Buffer, layers: LayerRecord[], repoTags: string[]): Promise<LoadedImage> {
    const id = await this.putBlob(configBytes);
    const layerDescriptors = [];
    for (const l of layers) {
      layerDescriptors.push({ mediaType: MEDIA.layer, digest: l.diffId, size: (await fs.stat(this.blobPath(l.diffId))).size });
    }
    const manifestBytes = Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: MEDIA.manifest,
        config: { mediaType: MEDIA.config, digest: id, size: configBytes.length },
        layers: layerDescriptors,
      }),
    );
    const manifestDigest = await this.putBlob(manifestBytes);
    const full = repoTags.map((t) => normalizeTagged(t));
    return this.locked(async () => {
      const record: ImageRecord = {
        id,
        manifestDigest,
        manifestSize: manifestBytes.length,
        layers,
        size: layers.reduce((n, l) => n + l.size, 0),
        ...(full.length > 0 ? { lastTagTime: this.now().toISOString() } : {}),
      };
      await writeFileAtomic(this.p('images', `${hexOf(id)}.json`), `${JSON.stringify(record, null, 2)}\n`);
      if (full.length > 0) {
        const repos = await this.readRepositories();
        for (const t of full) {
          this.assertTaggable(t);
          repos[t] = id;
        }
        await this.writeRepositories(repos);
      }
      await this.writeIndex();
      return { id, repoTags: full.map(familiarName) };
    });
  }

  private assertTaggable(full: string): void {
    if (this.hostEnabled && full === HOST_IMAGE_TAG) {
      throw new ImageError('conflict', `${familiarName(HOST_IMAGE_TAG)} is the built-in host image's name and cannot be given to another image`);
    }
  }

  // ------------------------------------------------------------------------------------------
  // Operations

  /** `docker import` / `POST /images/create?fromSrc=-`: a root filesystem tarball (plain or gzip) becomes a one-layer image. */
  async importRootfs(source: ByteSource, options: ImportOptions = {}): Promise<LoadedImage> {
    if (options.repoTag) this.assertTaggable(normalizeTagged(options.repoTag));
    const layer = await this.ingestLayer(source);
    const release = this.pin(layer.diffId);
    try {
      const record = await this.commitLayer(layer);
      const created = this.now().toISOString();
      const config: ImageConfigFile = {
        architecture: ociArchitecture(),
        os: 'linux',
        created,
        ...(options.message ? { comment: options.message } : {}),
        config: { ...options.changes },
        rootfs: { type: 'layers', diff_ids: [layer.diffId] },
        history: [{ created, created_by: 'berth import', ...(options.message ? { comment: options.message } : {}) }],
      };
      return await this.commitImage(Buffer.from(JSON.stringify(config)), [record], options.repoTag ? [options.repoTag] : []);
    } finally {
      release();
    }
  }

  /**
   * `docker load`: a `docker save` archive (manifest.json, legacy or OCI-style paths) or an OCI
   * image-layout archive (index.json), plain or gzip. Every blob is checked against its digest
   * and every layer against the config's diff ids.
   */
  async load(archive: ByteSource): Promise<LoadedImage[]> {
    const work = this.tmpPath();
    await fs.mkdir(work);
    try {
      const files = await spoolArchive(archive, work);
      if (files.has('manifest.json')) return await this.loadDockerArchive(files);
      if (files.has('index.json')) return await this.loadOciArchive(files);
      throw new ImageError('invalid', 'not an image archive: it has neither manifest.json (docker save) nor index.json (OCI layout)');
    } finally {
      await fs.rm(work, { recursive: true, force: true });
    }
  }

  private async loadImage(files: SpooledFiles, configBytes: Buffer, layerPaths: { path: string; digest?: string }[], repoTags: string[]): Promise<LoadedImage> {
    let config: ImageConfigFile;
    try {
      config = JSON.parse(configBytes.toString('utf8')) as ImageConfigFile;
    } catch {
      throw new ImageError('invalid', 'image config is not valid JSON');
    }
    const diffIds = config.rootfs?.diff_ids ?? [];
    if (diffIds.length !== layerPaths.length) {
      throw new ImageError('invalid', `image config lists ${diffIds.length} layers but the manifest has ${layerPaths.length}`);
    }
    const releases: (() => void)[] = [];
    try {
      const layers: LayerRecord[] = [];
      for (let i = 0; i < layerPaths.length; i++) {
        const layer = await this.ingestLayer(files.open(layerPaths[i].path));
        releases.push(this.pin(layer.diffId));
        const expected = layerPaths[i].digest;
        if (layer.diffId !== diffIds[i] || (expected && expected !== layer.rawDigest && expected !== layer.diffId)) {
          await fs.rm(layer.tmpPath, { force: true });
          throw new ImageError('invalid', `layer ${layerPaths[i].path} does not match its digest: got ${layer.diffId}, the config says ${diffIds[i]}`);
        }
        layers.push(await this.commitLayer(layer));
      }
      return await this.commitImage(configBytes, layers, repoTags);
    } finally {
      for (const r of releases) r();
    }
  }

  private async loadDockerArchive(files: SpooledFiles): Promise<LoadedImage[]> {
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
      out.push(await this.loadImage(files, configBytes, layerPaths, entry.RepoTags ?? []));
    }
    return out;
  }

  private async loadOciArchive(files: SpooledFiles): Promise<LoadedImage[]> {
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
      out.push(await this.loadImage(files, configBytes, layerPaths, name ? [name] : []));
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

  /** Resolves a reference to an image id: full or short id (with or without `sha256:`), `name`, `name:tag`. */
  async resolve(ref: string): Promise<string> {
    return (await this.resolveDetailed(ref)).id;
  }

  private async resolveDetailed(ref: string): Promise<{ id: string; tag?: string }> {
    const ids = await this.imageIds();
    const asId = /^(?:sha256:)?([0-9a-f]{64})$/.exec(ref);
    if (asId) {
      const id = `sha256:${asId[1]}`;
      if (ids.includes(id)) return { id };
      throw new ImageError('not-found', `No such image: ${ref}`);
    }
    const full = tryNormalize(ref);
    if (full) {
      const repos = await this.readRepositories();
      if (repos[full] && ids.includes(repos[full])) return { id: repos[full], tag: full };
      if (this.hostEnabled && full === HOST_IMAGE_TAG) return { id: this.hostImageId, tag: full };
    }
    const prefix = /^(?:sha256:)?([0-9a-f]+)$/.exec(ref);
    if (prefix) {
      const matches = ids.filter((id) => id.slice(7).startsWith(prefix[1]));
      if (matches.length === 1) return { id: matches[0] };
      if (matches.length > 1) throw new ImageError('conflict', `${ref} is ambiguous: it is the start of ${matches.length} image ids`);
    }
    if (!full && !prefix) parseReference(ref); // throws the precise "invalid reference" message
    throw new ImageError('not-found', `No such image: ${ref}`);
  }

  private async tagsOf(id: string, repos?: Record<string, string>): Promise<string[]> {
    const r = repos ?? (await this.readRepositories());
    const tags = Object.keys(r).filter((t) => r[t] === id);
    if (this.hostEnabled && id === this.hostImageId) tags.push(HOST_IMAGE_TAG);
    return tags.sort();
  }

  /** `docker tag`: points `newRef` (default tag `latest`) at the image `ref` names, moving it if it named another. */
  async tag(ref: string, newRef: string): Promise<void> {
    const full = normalizeTagged(newRef);
    this.assertTaggable(full);
    await this.locked(async () => {
      const id = await this.resolve(ref);
      const repos = await this.readRepositories();
      repos[full] = id;
      await this.writeRepositories(repos);
      const record = await this.readRecord(id).catch(() => undefined);
      if (record) await writeFileAtomic(this.p('images', `${hexOf(id)}.json`), `${JSON.stringify({ ...record, lastTagTime: this.now().toISOString() }, null, 2)}\n`);
      await this.writeIndex();
    });
  }

  /**
   * `docker rmi`, with Docker's rules: a name is untagged, and the image goes only with its last
   * name; an id deletes the image with all its names when they are all in one repository (or
   * `force`). An image a container uses stays unless forced; a running container's image stays
   * even then. Layers no other image uses are removed with the image, except when it was
   * force-removed from under a container, which still needs them.
   */
  async remove(ref: string, options: RemoveOptions = {}): Promise<DeleteResponseItem[]> {
    const force = options.force ?? false;
    return this.locked(async () => {
      const { id, tag } = await this.resolveDetailed(ref);
      const isHost = this.hostEnabled && id === this.hostImageId;
      const repos = await this.readRepositories();
      const tags = await this.tagsOf(id, repos);
      const use = options.inUse?.(id) ?? false;
      const out: DeleteResponseItem[] = [];

      if (tag) {
        if (isHost && tag === HOST_IMAGE_TAG) throw new ImageError('conflict', `${familiarName(tag)} is the built-in host image and cannot be removed`);
        if (!force && tags.length === 1 && use) {
          throw new ImageError(
            'conflict',
            `conflict: unable to remove repository reference "${ref}" (must force) - a ${use === 'running' ? 'running' : 'stopped'} container is using its referenced image ${shortId(id)}`,
          );
        }
        delete repos[tag];
        out.push({ Untagged: familiarName(tag) });
        const left = tags.filter((t) => t !== tag);
        if (left.length > 0 || isHost || use) {
          // Still named, built in, or (forced) in use: the image itself stays, possibly dangling.
          await this.writeRepositories(repos);
          await this.writeIndex();
          return out;
        }
      } else {
        if (isHost) throw new ImageError('conflict', `unable to delete ${shortId(id)}: it is the built-in host image`);
        if (use === 'running') throw new ImageError('conflict', `conflict: unable to delete ${shortId(id)} (cannot be forced) - image is being used by a running container`);
        if (!force && use) throw new ImageError('conflict', `conflict: unable to delete ${shortId(id)} (must be forced) - image is being used by a stopped container`);
        const repositories = new Set(tags.map(repositoryOf));
        if (!force && repositories.size > 1) {
          throw new ImageError('conflict', `conflict: unable to delete ${shortId(id)} (must be forced) - image is referenced in multiple repositories`);
        }
        for (const t of tags) {
          delete repos[t];
          out.push({ Untagged: familiarName(t) });
        }
      }

      const record = await this.readRecord(id);
      await fs.rm(this.p('images', `${hexOf(id)}.json`), { force: true });
      await this.writeRepositories(repos);
      await this.writeIndex();
      out.push({ Deleted: id });
      if (record && !use) await this.collectGarbage(record);
      return out;
    });
  }

  /** Removes the blobs and layer dirs of a deleted image that no remaining image (or import in flight) uses. */
  private async collectGarbage(deleted: ImageRecord): Promise<void> {
    const remaining = await this.allRecords();
    const used = new Set<string>();
    for (const r of remaining) {
      used.add(r.id);
      used.add(r.manifestDigest);
      for (const l of r.layers) used.add(l.diffId);
    }
    const pinned = pins.get(this.root) ?? new Map<string, number>();
    for (const digest of [deleted.id, deleted.manifestDigest]) {
      if (!used.has(digest)) await fs.rm(this.blobPath(digest), { force: true });
    }
    for (const l of deleted.layers) {
      if (used.has(l.diffId) || pinned.has(l.diffId)) continue;
      const hex = hexOf(l.diffId);
      // The dir is renamed away first (a half-deleted dir must never pass for an extracted
      // layer), then its metadata goes: a dir without metadata is re-extracted, never trusted.
      const doomed = this.tmpPath();
      await fs.rename(this.p('layers', hex), doomed).catch(() => undefined);
      await fs.rm(this.p('layers', `${hex}.json`), { force: true });
      await fs.rm(this.blobPath(l.diffId), { force: true });
      await fs.rm(doomed, { recursive: true, force: true });
    }
  }

  /** Overlay lower dirs of an image, top-most first (the order of overlayfs's `lowerdir=`). */
  async lowerDirs(ref: string): Promise<string[]> {
    const id = await this.resolve(ref);
    if (this.hostEnabled && id === this.hostImageId) return [this.hostRoot];
    const record = await this.readRecord(id);
    if (!record) throw new ImageError('not-found', `No such image: ${ref}`);
    const dirs = record.layers.map((l) => this.p('layers', hexOf(l.diffId))).reverse();
    // An image built FROM the host image inherits its label: its layers stack on the host's root.
    if (this.hostEnabled && (await this.readConfig(id)).config?.Labels?.[HOST_BASE_LABEL] === 'true') dirs.push(this.hostRoot);
    return dirs;
  }

  // ------------------------------------------------------------------------------------------
  // For the image builder (daemon/build-store.ts): it makes its layers itself, as an uncompressed
  // tar and the same content as an overlay-ready dir, so the store takes them as they are — hard
  // links, nothing extracted again.

  /** A built layer joins the store (a layer it has is left as it is). */
  async adoptLayer(diffId: string, tarPath: string, dir: string): Promise<void> {
    const hex = hexOf(diffId);
    const target = this.p('layers', hex);
    const metaFile = this.p('layers', `${hex}.json`);
    if ((await exists(target)) && (await readJson<LayerRecord>(metaFile))) return;
    const work = this.tmpPath();
    try {
      await execFileAsync('cp', ['-al', dir, work]);
      const size = (await fs.stat(tarPath)).size;
      await writeFileAtomic(metaFile, JSON.stringify({ diffId, size }));
      await fs.rename(work, target).catch((e: NodeJS.ErrnoException) => {
        if (e.code !== 'ENOTEMPTY' && e.code !== 'EEXIST') throw e;
      });
      const blob = this.blobPath(diffId);
      if (!(await exists(blob))) await fs.link(tarPath, blob).catch(() => fs.copyFile(tarPath, blob));
      await fsyncDir(this.p('layers'));
    } finally {
      await fs.rm(work, { recursive: true, force: true });
    }
  }

  /** An image from its config over layers the store has, tagged. */
  async createImage(configBytes: Buffer, repoTags: readonly string[]): Promise<LoadedImage> {
    const config = JSON.parse(configBytes.toString('utf8')) as ImageConfigFile;
    const layers: LayerRecord[] = [];
    for (const diffId of config.rootfs.diff_ids) {
      const meta = await readJson<LayerRecord>(this.p('layers', `${hexOf(diffId)}.json`));
      if (!meta || !(await exists(this.blobPath(diffId)))) throw new ImageError('not-found', `layer ${diffId} is not in the store`);
      layers.push(meta);
    }
    for (const t of repoTags) this.assertTaggable(normalizeTagged(t));
    return this.commitImage(configBytes, layers, [...repoTags]);
  }

  /** The image's OCI config (what a container of it starts with). */
  async config(ref: string): Promise<{ id: string; config: ImageConfigFile }> {
    const id = await this.resolve(ref);
    return { id, config: await this.readConfig(id) };
  }

  /** `GET /images/json`: every image, newest first (ties by id, so the order is stable). */
  async list(): Promise<ImageSummary[]> {
    const repos = await this.readRepositories();
    const out: ImageSummary[] = [];
    for (const id of await this.imageIds()) {
      const config = await this.readConfig(id);
      const record = id === this.hostImageId ? undefined : await this.readRecord(id);
      out.push({
        Id: id,
        ParentId: '',
        RepoTags: (await this.tagsOf(id, repos)).map(familiarName),
        RepoDigests: [],
        Created: Math.floor(Date.parse(config.created ?? '1970-01-01T00:00:00Z') / 1000),
        Size: record?.size ?? 0,
        SharedSize: -1,
        Labels: config.config?.Labels ?? {},
        Containers: -1,
      });
    }
    return out.sort((a, b) => b.Created - a.Created || (a.Id < b.Id ? -1 : 1));
  }

  /** `GET /images/{name}/json`. */
  async inspect(ref: string): Promise<ImageInspect> {
    const id = await this.resolve(ref);
    const config = await this.readConfig(id);
    const record = id === this.hostImageId ? undefined : await this.readRecord(id);
    const c = config.config ?? {};
    return {
      Id: id,
      RepoTags: (await this.tagsOf(id)).map(familiarName),
      RepoDigests: [],
      Parent: '',
      Comment: config.comment ?? '',
      Created: config.created ?? '',
      Author: config.author ?? '',
      Config: {
        User: c.User ?? '',
        Env: c.Env ?? [],
        Cmd: c.Cmd ?? null,
        Entrypoint: c.Entrypoint ?? null,
        WorkingDir: c.WorkingDir ?? '',
        ExposedPorts: c.ExposedPorts ?? null,
        Volumes: c.Volumes ?? null,
        Labels: c.Labels ?? null,
        OnBuild: c.OnBuild ?? null,
        ...(c.StopSignal !== undefined ? { StopSignal: c.StopSignal } : {}),
        ...(c.Healthcheck !== undefined ? { Healthcheck: c.Healthcheck } : {}),
        ...(c.Shell !== undefined ? { Shell: c.Shell } : {}),
      },
      Architecture: config.architecture,
      ...(config.variant ? { Variant: config.variant } : {}),
      Os: config.os,
      Size: record?.size ?? 0,
      GraphDriver: { Name: 'overlay', Data: { LowerDir: (await this.lowerDirs(id)).join(':') } },
      RootFS: { Type: 'layers', Layers: config.rootfs?.diff_ids ?? [] },
      Metadata: { LastTagTime: record?.lastTagTime ?? '0001-01-01T00:00:00Z' },
    };
  }

  /**
   * `docker save`: a tar with Docker 25's layout — OCI `blobs/sha256/…`, `index.json`,
   * `oci-layout`, and `manifest.json` with `RepoTags` — so both `docker load` and OCI tools read it.
   * References are resolved before the stream starts, so a missing image fails early.
   */
  async save(refs: readonly string[]): Promise<Readable> {
    const images = new Map<string, string[]>();
    for (const ref of refs) {
      const { id, tag } = await this.resolveDetailed(ref);
      if (this.hostEnabled && id === this.hostImageId) throw new ImageError('invalid', `${ref} is the built-in host image: it is this machine's filesystem and cannot be saved`);
      const tags = images.get(id) ?? [];
      if (tag && !tags.includes(tag)) tags.push(tag);
      images.set(id, tags);
    }
    const manifestJson: { Config: string; RepoTags: string[]; Layers: string[] }[] = [];
    const index: Record<string, unknown>[] = [];
    const blobs = new Set<string>();
    for (const [id, tags] of images) {
      const record = await this.readRecord(id);
      if (!record) throw new ImageError('not-found', `No such image: ${id}`);
      blobs.add(id).add(record.manifestDigest);
      for (const l of record.layers) blobs.add(l.diffId);
      manifestJson.push({
        Config: `blobs/sha256/${hexOf(id)}`,
        RepoTags: tags.map(familiarName),
        Layers: record.layers.map((l) => `blobs/sha256/${hexOf(l.diffId)}`),
      });
      const base = { mediaType: MEDIA.manifest, digest: record.manifestDigest, size: record.manifestSize };
      if (tags.length === 0) index.push(base);
      for (const t of tags) index.push({ ...base, annotations: { 'io.containerd.image.name': t, 'org.opencontainers.image.ref.name': t.slice(t.lastIndexOf(':') + 1) } });
    }
    const sizes = new Map<string, number>();
    for (const digest of blobs) sizes.set(digest, (await fs.stat(this.blobPath(digest))).size);
    const entries: TarWriteEntry[] = [
      { path: 'blobs/', type: 'directory' },
      { path: 'blobs/sha256/', type: 'directory' },
      ...[...blobs].sort().map(
        (digest): TarWriteEntry => ({
          path: `blobs/sha256/${hexOf(digest)}`,
          size: sizes.get(digest),
          body: () => createReadStream(this.blobPath(digest)),
        }),
      ),
      { path: 'index.json', body: JSON.stringify({ schemaVersion: 2, mediaType: MEDIA.index, manifests: index }) },
      { path: 'manifest.json', body: JSON.stringify(manifestJson) },
      { path: 'oci-layout', body: '{"imageLayoutVersion":"1.0.0"}' },
    ];
    return tarStream(entries);
  }
}

interface Descriptor {
  mediaType?: string;
  digest: string;
  size?: number;
  platform?: { os?: string; architecture?: string };
  annotations?: Record<string, string>;
}

function tryNormalize(ref: string): string | undefined {
  try {
    return normalizeTagged(ref);
  } catch {
    return undefined;
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}
