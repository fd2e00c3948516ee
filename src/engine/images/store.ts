// The built-in engine's image store: content-addressed, in OCI image-layout under one root, with
// berth's own records beside it:
//
//   <root>/oci-layout, index.json        the OCI layout (layout.ts): one manifest descriptor per image and name
//   <root>/blobs/sha256/<hex>            configs, manifests and layer blobs
//   <root>/images/<hex>.json             berth's record of one image (records.ts; id = config digest)
//   <root>/repositories.json             full tagged name → image id
//   <root>/layers/<diffhex>/ and .json   each layer unpacked once, an overlay lower dir of its own (snapshots.ts)
//   <root>/tmp/<pid>-<random>            work in progress; left-overs of dead processes are removed on open
//
// The store answers with its own records (StoredImage: ids, names, config, layers, sizes);
// turning them into the Docker API's shapes is the daemon's job (daemon/image-views.ts).
//
// Every record is written atomically (write, fsync, rename, fsync dir). Read-modify-write of the
// shared records (repositories.json, index.json, image records) happens under a per-root lock;
// the slow parts (hashing, unpacking) happen outside it.
import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { MediaType } from '../distribution/manifest.js';
import { withLock } from '../../lib/atomic.js';
import { processAlive } from '../../lib/process.js';
import type { ByteSource } from '../../lib/tar.js';
import { ImageError } from './errors.js';
import { HOST_BASE_LABEL, HOST_IMAGE_TAG, hostImageConfig } from './host-image.js';
import { createBuiltImage, type BuiltLayerFiles } from './built-layers.js';
import { parseImageConfig, sha256, shortId, type ImageConfigFile } from './image-config.js';
import { checkConsistency, collect, type CollectResult, type GcContext } from './gc.js';
import { commitChanges, importRootfs, loadArchive, tryNormalize, type CommitOptions, type ImportOptions, type IngestContext, type LoadedImage } from './ingest.js';
import type { LayerStoreContext } from './layers.js';
import { exists, OciLayout, type BlobRef } from './layout.js';
import { Records, type ImageRecord, type LayerRecord } from './records.js';
import { familiarName, normalizeTagged, parseReference, repositoryOf } from '../reference/reference.js';
import { saveArchive } from './save.js';
import { Snapshots } from './snapshots.js';

export { HOST_BASE_LABEL, HOST_IMAGE_PATH, HOST_IMAGE_TAG } from './host-image.js';
export type { ImportOptions, LoadedImage } from './ingest.js';

export interface ImageStoreOptions {
  root: string;
  /** Injected clock for `created` of imported images and tag times. */
  now?: () => Date;
  /** Offer the built-in host image (default true). */
  hostImage?: boolean;
  /** The host image's root filesystem (default `/`). */
  hostRoot?: string;
  /** Create root-owned device nodes found in layers (default false: skipped with a warning). */
  allowDevices?: boolean;
  /** The container using an image, if any; the engine answers from its container table (default: none does). */
  inUse?: (id: string) => ImageUser | undefined;
  /** The engine's version, recorded as `docker_version` in the images the store makes (import, commit). */
  dockerVersion?: string;
}

/** What the store knows of one image. */
export interface StoredImage {
  id: string;
  /** Full tagged names (`docker.io/library/busybox:latest`), sorted. */
  names: string[];
  /** Full `repository@sha256:…` names, sorted. */
  digests: string[];
  config: ImageConfigFile;
  /** Unpacked size of its layers in bytes. */
  size: number;
  layers: LayerRecord[];
  /** Overlay lower dirs, top-most first (the order of `lowerdir=`). */
  lowerDirs: string[];
  /** Undefined for the host image, which has no manifest. */
  manifest?: BlobRef;
  lastTagTime?: string;
  host: boolean;
}

/**
 * A container using an image, named in `remove`'s refusals as dockerd names it. The engine answers
 * with a running one when there is one: that is a conflict even `force` cannot override (as in Docker).
 */
export interface ImageUser {
  container: string;
  running: boolean;
}

export interface RemoveOptions {
  force?: boolean;
  inUse?: (id: string) => ImageUser | undefined;
}

export type DeleteResponseItem = { Untagged: string } | { Deleted: string };

export interface PruneOptions {
  /** Only images without tags (`docker image prune`); false: every unused image (`-a`). */
  dangling: boolean;
  /** Only images created before this time. */
  until?: Date;
  /** `key` or `key=value` the image's labels must have (all of them), and must not have. */
  labels?: string[];
  notLabels?: string[];
}

export interface PruneResult {
  deleted: DeleteResponseItem[];
  /** The unpacked bytes of the layers the prune freed, as dockerd reports SpaceReclaimed. */
  reclaimed: number;
}

/** In-flight work (imports, pulls) per store root: digests that must not be collected yet. */
const pins = new Map<string, Map<string, number>>();

export class ImageStore {
  readonly root: string;
  readonly layout: OciLayout;
  readonly snapshots: Snapshots;
  readonly records: Records;
  private readonly now: () => Date;
  private readonly inUseOf: (id: string) => ImageUser | undefined;
  private readonly hostEnabled: boolean;
  private readonly hostRoot: string;
  private readonly dockerVersion: string | undefined;
  private readonly host = hostImageConfig();
  /** The host image's id: the digest of its (deterministic) config. */
  readonly hostImageId: string;

  private constructor(options: ImageStoreOptions) {
    this.root = path.resolve(options.root);
    this.now = options.now ?? (() => new Date());
    this.hostEnabled = options.hostImage ?? true;
    this.hostRoot = options.hostRoot ?? '/';
    this.dockerVersion = options.dockerVersion;
    this.inUseOf = options.inUse ?? (() => undefined);
    this.hostImageId = this.host.id;
    this.layout = new OciLayout(this.root);
    this.records = new Records(this.root, (d) => this.layout.size(d));
    this.snapshots = new Snapshots(this.root, () => this.tmpPath(), options.allowDevices ?? false);
  }

  /** Opens (creating if needed) a store under `options.root`. */
  static async open(options: ImageStoreOptions): Promise<ImageStore> {
    const store = new ImageStore(options);
    await store.init();
    return store;
  }

  private async init(): Promise<void> {
    await fs.mkdir(path.join(this.root, 'tmp'), { recursive: true });
    await this.layout.init();
    await this.records.init();
    await this.snapshots.init();
    await this.locked(async () => {
      if (!(await exists(path.join(this.root, 'repositories.json')))) await this.records.writeRepositories({});
      if (!(await exists(path.join(this.root, 'index.json')))) await this.writeIndex();
    });
    // Work left by a process that died mid-import or mid-pull; a live process's work is left alone.
    for (const name of await fs.readdir(path.join(this.root, 'tmp'))) {
      const pid = Number(name.split('-')[0]);
      if (pid === process.pid || (Number.isInteger(pid) && processAlive(pid))) continue;
      await fs.rm(path.join(this.root, 'tmp', name), { recursive: true, force: true });
    }
    // Blobs and snapshots a dead process put in place but never recorded an image for. The
    // containers are not known yet, so every tombstone's layers stay.
    await this.locked(() => collect(this.gcContext(), { keepTombstones: true }));
  }

  private gcContext(): GcContext {
    return { root: this.root, layout: this.layout, snapshots: this.snapshots, records: this.records, pinned: () => this.pinned(), inUse: (id) => this.inUseOf(id) !== undefined };
  }

  /** Removes every blob and snapshot no image, tombstone in use, or work in flight references. */
  collect(): Promise<CollectResult> {
    return this.locked(() => collect(this.gcContext()));
  }

  /** The consistency check (gc.ts); `deep` also hashes every blob. Returns the problems found. */
  check(opts: { deep?: boolean } = {}): Promise<string[]> {
    return this.locked(() => checkConsistency(this.gcContext(), { ...opts, ...(this.hostEnabled ? { hostImageId: this.hostImageId } : {}) }));
  }

  locked<T>(fn: () => Promise<T>): Promise<T> {
    return withLock(`image-store:${this.root}`, fn);
  }

  tmpPath(): string {
    return path.join(this.root, 'tmp', `${process.pid}-${randomBytes(8).toString('hex')}`);
  }

  /** Keeps digests (blobs, snapshots) from being collected until the returned function is called. */
  pin(digests: string[]): () => void {
    let byRoot = pins.get(this.root);
    if (!byRoot) pins.set(this.root, (byRoot = new Map()));
    const held = byRoot;
    for (const d of digests) held.set(d, (held.get(d) ?? 0) + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      for (const d of digests) {
        const n = (held.get(d) ?? 1) - 1;
        if (n <= 0) held.delete(d);
        else held.set(d, n);
      }
    };
  }

  private pinned(): Set<string> {
    return new Set(pins.get(this.root)?.keys() ?? []);
  }

  private isHost(id: string): boolean {
    return this.hostEnabled && id === this.hostImageId;
  }

  private async liveRecords(): Promise<ImageRecord[]> {
    return (await this.records.all()).filter((r) => !r.deleted);
  }

  private async writeIndex(): Promise<void> {
    const repos = await this.records.readRepositories();
    const entries = (await this.liveRecords()).map((r) => ({ manifest: r.manifest, names: Object.keys(repos).filter((t) => repos[t] === r.id) }));
    await this.layout.writeIndex(entries);
  }

  /** What storing a layer needs (layers.ts): the layout, the snapshots, tmp paths and pins. */
  layerContext(): LayerStoreContext {
    return { layout: this.layout, snapshots: this.snapshots, tmpPath: () => this.tmpPath(), pin: (d) => this.pin(d) };
  }

  private ingestContext(): IngestContext {
    return {
      layout: this.layout,
      snapshots: this.snapshots,
      now: this.now,
      ...(this.dockerVersion ? { dockerVersion: this.dockerVersion } : {}),
      tmpPath: () => this.tmpPath(),
      pin: (d) => this.pin(d),
      assertTaggable: (n) => this.assertTaggable(n),
      commitImage: (config, layers, tags) => this.commitImage(config, layers, tags),
    };
  }

  assertTaggable(full: string): void {
    if (this.hostEnabled && full === HOST_IMAGE_TAG) {
      throw new ImageError('conflict', `${familiarName(HOST_IMAGE_TAG)} is the built-in host image's name and cannot be given to another image`);
    }
  }

  /**
   * Writes the config blob, a manifest (the one given, as the registry served it, or a new OCI
   * manifest over the layer blobs), the record and the names, under the lock.
   */
  async commitImage(configBytes: Buffer, layers: LayerRecord[], repoTags: string[], extra: { manifest?: { bytes: Buffer; mediaType: string }; repoDigests?: string[] } = {}): Promise<LoadedImage> {
    const id = sha256(configBytes);
    const manifestBytes =
      extra.manifest?.bytes ??
      Buffer.from(
        JSON.stringify({
          schemaVersion: 2,
          mediaType: MediaType.ociManifest,
          config: { mediaType: MediaType.ociConfig, digest: id, size: configBytes.length },
          layers: layers.map((l) => l.blob),
        }),
      );
    const manifest: BlobRef = { mediaType: extra.manifest?.mediaType ?? MediaType.ociManifest, digest: sha256(manifestBytes), size: manifestBytes.length };
    const full = repoTags.map((t) => normalizeTagged(t));
    for (const t of full) this.assertTaggable(t);
    // Pinned until the record names them, so a collection meanwhile cannot take the blobs.
    const release = this.pin([id, manifest.digest]);
    try {
      await this.layout.put(configBytes);
      await this.layout.put(manifestBytes);
      return await this.writeImage(id, manifest, layers, full, extra.repoDigests ?? []);
    } finally {
      release();
    }
  }

  private writeImage(id: string, manifest: BlobRef, layers: LayerRecord[], full: string[], newDigests: string[]): Promise<LoadedImage> {
    return this.locked(async () => {
      const before = await this.records.read(id);
      const repoDigests = [...new Set([...(before && !before.deleted ? (before.repoDigests ?? []) : []), ...newDigests])].sort();
      const record: ImageRecord = {
        id,
        manifest,
        layers,
        size: layers.reduce((n, l) => n + l.size, 0),
        ...(full.length > 0 ? { lastTagTime: this.now().toISOString() } : before?.lastTagTime && !before.deleted ? { lastTagTime: before.lastTagTime } : {}),
        ...(repoDigests.length > 0 ? { repoDigests } : {}),
      };
      await this.records.write(record);
      if (full.length > 0) {
        const repos = await this.records.readRepositories();
        for (const t of full) repos[t] = id;
        await this.records.writeRepositories(repos);
      }
      await this.writeIndex();
      return { id, repoTags: full.map(familiarName) };
    });
  }

  // ------------------------------------------------------------------------------------------
  // Reading

  /** Resolves a reference to an image id: full or short id (with or without `sha256:`), `name`, `name:tag`, `name@digest`. */
  async resolve(ref: string): Promise<string> {
    return (await this.resolveDetailed(ref)).id;
  }

  private async imageIds(): Promise<string[]> {
    const ids = (await this.liveRecords()).map((r) => r.id);
    if (this.hostEnabled) ids.push(this.hostImageId);
    return ids;
  }

  /** The id, and the name (tag or digest reference, full form) the reference went through, if any. */
  private async resolveDetailed(ref: string): Promise<{ id: string; tag?: string; digestRef?: string }> {
    const ids = await this.imageIds();
    const asId = /^(?:sha256:)?([0-9a-f]{64})$/.exec(ref);
    if (asId) {
      const id = `sha256:${asId[1]}`;
      if (ids.includes(id)) return { id };
      throw new ImageError('not-found', `No such image: ${ref}`);
    }
    if (ref.includes('@')) {
      const r = parseReference(ref);
      const name = `${r.domain}/${r.path}@${r.digest}`;
      const hit = (await this.liveRecords()).find((rec) => rec.repoDigests?.includes(name) || (rec.manifest.digest === r.digest && this.hasRepository(rec, `${r.domain}/${r.path}`)));
      if (hit) return { id: hit.id, digestRef: name };
      throw new ImageError('not-found', `No such image: ${ref}`);
    }
    const full = tryNormalize(ref);
    if (full) {
      const repos = await this.records.readRepositories();
      if (repos[full] && ids.includes(repos[full])) return { id: repos[full], tag: full };
      if (this.hostEnabled && full === HOST_IMAGE_TAG) return { id: this.hostImageId, tag: full };
    }
    const prefix = /^(?:sha256:)?([0-9a-f]+)$/.exec(ref);
    if (prefix) {
      const matches = ids.filter((id) => id.slice(7).startsWith(prefix[1]));
      if (matches.length === 1) return { id: matches[0] };
      if (matches.length > 1) throw new ImageError('conflict', `${ref} is ambiguous: it is the start of ${matches.length} image ids`);
    }
    if (!full && !prefix) parseReference(ref); // throws the precise "invalid reference format" message
    throw new ImageError('not-found', `No such image: ${ref}`);
  }

  private hasRepository(rec: ImageRecord, repository: string): boolean {
    return (rec.repoDigests ?? []).some((d) => d.slice(0, d.indexOf('@')) === repository);
  }

  private async tagsOf(id: string, repos?: Record<string, string>): Promise<string[]> {
    const r = repos ?? (await this.records.readRepositories());
    const tags = Object.keys(r).filter((t) => r[t] === id);
    if (this.isHost(id)) tags.push(HOST_IMAGE_TAG);
    return tags.sort();
  }

  private async stored(id: string, repos: Record<string, string>, tombstones = false): Promise<StoredImage> {
    if (this.isHost(id)) {
      return { id, names: await this.tagsOf(id, repos), digests: [], config: this.host.config, size: 0, layers: [], lowerDirs: [this.hostRoot], host: true };
    }
    const record = await this.records.read(id);
    if (!record || (record.deleted && !tombstones)) throw new ImageError('not-found', `No such image: ${id}`);
    const config = parseImageConfig(await this.layout.read(id), `the config of ${shortId(id)}`);
    return {
      id,
      names: await this.tagsOf(id, repos),
      digests: [...(record.repoDigests ?? [])].sort(),
      config,
      size: record.size,
      layers: record.layers,
      // An image built FROM the host image inherits its label: its layers stack on the host's root.
      lowerDirs: [...record.layers.map((l) => this.snapshots.dir(l.diffId)).reverse(), ...(this.hostEnabled && config.config?.Labels?.[HOST_BASE_LABEL] === 'true' ? [this.hostRoot] : [])],
      manifest: record.manifest,
      ...(record.lastTagTime ? { lastTagTime: record.lastTagTime } : {}),
      host: false,
    };
  }

  /** The image a reference names, as the store knows it. */
  async get(ref: string): Promise<StoredImage> {
    return this.stored(await this.resolve(ref), await this.records.readRepositories());
  }

  /** Every image, newest first (ties by id, so the order is stable). */
  async list(): Promise<StoredImage[]> {
    const repos = await this.records.readRepositories();
    const out: StoredImage[] = [];
    for (const id of await this.imageIds()) {
      // An image removed while we were listing is simply not listed.
      const image = await this.stored(id, repos).catch((e: unknown) => {
        if (e instanceof ImageError && e.kind === 'not-found') return undefined;
        throw e;
      });
      if (image) out.push(image);
    }
    const created = (i: StoredImage): number => Date.parse(i.config.created ?? '1970-01-01T00:00:00Z') || 0;
    return out.sort((a, b) => created(b) - created(a) || (a.id < b.id ? -1 : 1));
  }

  /**
   * Overlay lower dirs of an image, top-most first. A full id also finds an image force-removed
   * from under its containers (a tombstone): they still start from its layers.
   */
  async lowerDirs(ref: string): Promise<string[]> {
    const full = /^(?:sha256:)?([0-9a-f]{64})$/.exec(ref);
    if (full) {
      const record = await this.records.read(`sha256:${full[1]}`);
      if (record?.deleted) return (await this.stored(record.id, {}, true)).lowerDirs;
    }
    return (await this.get(ref)).lowerDirs;
  }

  /** The image's OCI config (what a container of it starts with). */
  async config(ref: string): Promise<{ id: string; config: ImageConfigFile }> {
    const id = await this.resolve(ref);
    if (this.isHost(id)) return { id, config: this.host.config };
    return { id, config: parseImageConfig(await this.layout.read(id)) };
  }

  // ------------------------------------------------------------------------------------------
  // Names

  /** `docker tag`: points `newRef` (default tag `latest`) at the image `ref` names, moving it if it named another. */
  async tag(ref: string, newRef: string): Promise<void> {
    const full = normalizeTagged(newRef);
    this.assertTaggable(full);
    await this.locked(async () => {
      const id = await this.resolve(ref).catch((e: unknown) => {
        // As dockerd says it for a tag's source: the name with its implied tag.
        throw e instanceof ImageError && e.kind === 'not-found' && !/[:@]/.test(ref.slice(ref.lastIndexOf('/') + 1)) && !/^[0-9a-f]{12,64}$/.test(ref) ? new ImageError('not-found', `No such image: ${ref}:latest`) : e;
      });
      const repos = await this.records.readRepositories();
      repos[full] = id;
      await this.records.writeRepositories(repos);
      const record = await this.records.read(id);
      if (record) await this.records.write({ ...record, lastTagTime: this.now().toISOString() });
      await this.writeIndex();
    });
  }

  /** Adds `repository@digest` names (after a pull or push). */
  async addRepoDigests(id: string, names: string[]): Promise<void> {
    await this.locked(async () => {
      const record = await this.records.read(id);
      if (!record) return;
      await this.records.write({ ...record, repoDigests: [...new Set([...(record.repoDigests ?? []), ...names])].sort() });
    });
  }

  /**
   * `docker rmi`, with Docker's rules: a name is untagged, and the image goes only with its last
   * tag (its digest names go with it); an id deletes the image with all its names when they are
   * all in one repository (or `force`). An image a container uses stays unless forced; a running
   * container's image stays even then. Layers no other image uses are removed with the image,
   * except when it was force-removed from under a container, which still needs them.
   */
  remove(ref: string, options: RemoveOptions = {}): Promise<DeleteResponseItem[]> {
    return this.removeImage(ref, options, true);
  }

  /** `remove`, collecting what the image held afterwards only when `sweep` (prune sweeps once, at the end). */
  private async removeImage(ref: string, options: RemoveOptions, sweep: boolean): Promise<DeleteResponseItem[]> {
    const force = options.force ?? false;
    return this.locked(async () => {
      const { id, tag, digestRef } = await this.resolveDetailed(ref);
      const isHost = this.isHost(id);
      const repos = await this.records.readRepositories();
      const tags = await this.tagsOf(id, repos);
      const record = isHost ? undefined : await this.records.read(id);
      const digests = record?.repoDigests ?? [];
      const user = (options.inUse ?? this.inUseOf)(id);
      const out: DeleteResponseItem[] = [];

      if (tag || digestRef) {
        const name = (tag ?? digestRef)!;
        if (isHost && tag === HOST_IMAGE_TAG) throw new ImageError('conflict', `${familiarName(HOST_IMAGE_TAG)} is the built-in host image and cannot be removed`);
        const leftTags = tags.filter((t) => t !== name);
        if (!force && leftTags.length === 0 && user && tag) {
          throw new ImageError('conflict', `conflict: unable to remove repository reference "${ref}" (must force) - container ${shortId(user.container)} is using its referenced image ${shortId(id)}`);
        }
        if (tag) delete repos[tag];
        out.push({ Untagged: familiarName(name) });
        let leftDigests = digests.filter((d) => d !== name);
        // Docker: digest names of a repository whose last tag went are cleaned up with it.
        if (tag && !leftTags.some((t) => repositoryOf(t) === repositoryOf(tag))) {
          for (const d of leftDigests.filter((d) => d.slice(0, d.indexOf('@')) === repositoryOf(tag))) out.push({ Untagged: familiarName(d) });
          leftDigests = leftDigests.filter((d) => d.slice(0, d.indexOf('@')) !== repositoryOf(tag));
        }
        if (record) await this.records.write({ ...record, repoDigests: leftDigests });
        if (leftTags.length > 0 || leftDigests.length > 0 || isHost || user) {
          // Still named, built in, or (forced) in use: the image itself stays, possibly dangling.
          await this.records.writeRepositories(repos);
          await this.writeIndex();
          return out;
        }
      } else {
        if (isHost) throw new ImageError('conflict', `unable to delete ${shortId(id)}: it is the built-in host image`);
        if (user?.running) throw new ImageError('conflict', `conflict: unable to delete ${shortId(id)} (cannot be forced) - image is being used by running container ${shortId(user.container)}`);
        if (!force && user) throw new ImageError('conflict', `conflict: unable to delete ${shortId(id)} (must be forced) - image is being used by stopped container ${shortId(user.container)}`);
        const repositories = new Set(tags.map(repositoryOf));
        if (!force && repositories.size > 1) {
          throw new ImageError('conflict', `conflict: unable to delete ${shortId(id)} (must be forced) - image is referenced in multiple repositories`);
        }
        for (const t of tags) {
          delete repos[t];
          out.push({ Untagged: familiarName(t) });
        }
        for (const d of digests) out.push({ Untagged: familiarName(d) });
      }

      // Forced from under a container: a tombstone keeps the layers its root is made of.
      if (record && user) await this.records.write({ ...record, repoDigests: [], deleted: true });
      else await this.records.remove(id);
      await this.records.writeRepositories(repos);
      await this.writeIndex();
      out.push({ Deleted: id });
      if (record && !user && sweep) await collect(this.gcContext());
      return out;
    });
  }

  /**
   * `docker image prune`: unused images (no container uses them, not even a stopped one) that are
   * dangling (or any, with `dangling: false`), created before `until`, with the labels asked for;
   * each is removed with all its names, then everything unreferenced is collected. The host image
   * is never pruned.
   */
  async prune(options: PruneOptions): Promise<PruneResult> {
    const deleted: DeleteResponseItem[] = [];
    const candidates = (await this.list()).filter((image) => {
      if (image.host || this.inUseOf(image.id) !== undefined) return false;
      if (options.dangling && image.names.length > 0) return false;
      if (options.until && (Date.parse(image.config.created ?? '') || 0) >= options.until.getTime()) return false;
      const labels = image.config.config?.Labels ?? {};
      const has = (want: string): boolean => {
        const eq = want.indexOf('=');
        return eq === -1 ? want in labels : labels[want.slice(0, eq)] === want.slice(eq + 1);
      };
      return (options.labels ?? []).every(has) && !(options.notLabels ?? []).some(has);
    });
    for (const image of candidates) {
      // Forced past the several-repositories rule, never past a container (checked again inside).
      const items = await this.removeImage(image.id, { force: true }, false).catch((e: unknown) => {
        if (e instanceof ImageError && (e.kind === 'conflict' || e.kind === 'not-found')) return [];
        throw e;
      });
      deleted.push(...items);
    }
    // What dockerd counts as freed: the unpacked size of the layers nothing else uses any more
    // (0 when only the image record goes), not the config, manifest and compressed layer blobs.
    const swept = await this.collect();
    return { deleted, reclaimed: swept.layerBytes };
  }

  // ------------------------------------------------------------------------------------------
  // Import, load, save

  /** `docker import` / `POST /images/create?fromSrc=-`: a root filesystem tarball (plain or gzip) becomes a one-layer image. */
  importRootfs(source: ByteSource, options: ImportOptions = {}): Promise<LoadedImage> {
    return importRootfs(this.ingestContext(), source, options);
  }

  /** `docker load`: a `docker save` archive or an OCI image-layout archive, plain or gzip. */
  load(archive: ByteSource): Promise<LoadedImage[]> {
    return loadArchive(this.ingestContext(), archive);
  }

  /**
   * The image builder's entry point (daemon/build-store.ts): a config over layers the build made
   * (`built`, adopted as they are: hard links, nothing extracted again) and layers the store has
   * (the base image's), tagged.
   */
  createBuiltImage(configBytes: Buffer, built: readonly BuiltLayerFiles[], repoTags: readonly string[]): Promise<LoadedImage> {
    return createBuiltImage(
      {
        ...this.layerContext(),
        knownLayers: async () => (await this.liveRecords()).flatMap((r) => r.layers),
        assertTaggable: (n) => this.assertTaggable(n),
        commitImage: (config, layers, tags) => this.commitImage(config, layers, tags),
      },
      configBytes,
      built,
      repoTags,
    );
  }

  /** `docker commit` (daemon/commit.ts): a container's changes as a layer on its image (never the host image). */
  async commit(parent: string, layer: ByteSource, options: CommitOptions): Promise<LoadedImage> {
    const parentId = await this.resolve(parent);
    if (this.isHost(parentId)) throw new ImageError('invalid', `a container of ${familiarName(HOST_IMAGE_TAG)} cannot be committed: the host image has no layers to build on`);
    const record = await this.records.read(parentId);
    if (!record) throw new ImageError('not-found', `No such image: ${parent}`);
    const { config } = await this.config(parentId);
    return commitChanges(this.ingestContext(), { config, layers: record.layers }, layer, options);
  }

  /** `docker save` (save.ts); references are resolved before the stream starts: a missing image fails early. */
  async save(refs: readonly string[]): Promise<Readable> {
    const images = new Map<string, string[]>();
    for (const ref of refs) {
      const { id, tag } = await this.resolveDetailed(ref);
      if (this.isHost(id)) throw new ImageError('invalid', `${ref} is the built-in host image: it is this machine's filesystem and cannot be saved`);
      const tags = images.get(id) ?? [];
      if (tag && !tags.includes(tag)) tags.push(tag);
      images.set(id, tags);
    }
    const saved = [];
    for (const [id, names] of images) {
      const record = await this.records.read(id);
      if (!record) throw new ImageError('not-found', `No such image: ${id}`);
      saved.push({ record, names });
    }
    return saveArchive(this.layout, saved);
  }
}
