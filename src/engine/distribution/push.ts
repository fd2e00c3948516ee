// Pushing, per the distribution spec: each blob is checked with HEAD first (the registry may
// have it already), then mounted from another repository of the same registry when we know one
// that holds it (the registry answers 202 with an upload session when it cannot mount), then
// uploaded: monolithic (POST, then one PUT with the body and digest) when the size is known and
// small, chunked (POST, PATCHes with Content-Range, an empty PUT with the digest) otherwise.
// A source without a digest is always sent chunked, its digest computed on the way, so a layer
// can be compressed while it is pushed. The manifest goes last, by tag or by digest, with its
// own media type as Content-Type — registries store and serve it by that type.
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { repositoryScope } from './auth.js';
import type { RegistryClient } from './client.js';
import type { Endpoint } from './config.js';
import { RegistryError } from './errors.js';
import { MediaType, sha256, type Descriptor, type ImageManifest } from './manifest.js';
import { parseRegistryReference, type RegistryReference } from './names.js';
import { header, type HttpResponse } from './transport.js';
import type { BlobProgress } from './blobs.js';

export interface PushBlobSource {
  mediaType: string;
  /** Known digest and size allow HEAD, mount and a monolithic upload; without them the blob is streamed chunked. */
  digest?: string;
  size?: number;
  /** Opens the blob's bytes (called at most once per push). */
  open(): Readable | AsyncIterable<Uint8Array> | Iterable<Uint8Array>;
  /** Repositories (paths on the same registry) believed to hold the blob, for a cross-repository mount. */
  mountFrom?: string[];
  annotations?: Record<string, string>;
}

export interface PushOptions {
  /** Blobs up to this size (bytes, known in advance) go in one PUT; larger ones in chunks. Default 32 MiB. */
  chunkThreshold?: number;
  /** Size of each PATCH of a chunked upload. Default 16 MiB (held in memory one at a time). */
  chunkSize?: number;
  onProgress?: (p: BlobProgress) => void;
  signal?: AbortSignal;
}

export type BlobPushOutcome = 'exists' | 'mounted' | 'uploaded-monolithic' | 'uploaded-chunked';

export interface PushedBlob {
  descriptor: Descriptor;
  outcome: BlobPushOutcome;
}

interface Target {
  client: RegistryClient;
  endpoint: Endpoint;
  ref: RegistryReference;
  opts: PushOptions;
}

const DEFAULT_THRESHOLD = 32 * 1024 * 1024;
const DEFAULT_CHUNK = 16 * 1024 * 1024;

function target(client: RegistryClient, reference: string | RegistryReference, opts: PushOptions): Target {
  const ref = typeof reference === 'string' ? parseRegistryReference(reference) : reference;
  return { client, endpoint: client.registryEndpoint(ref.host), ref, opts };
}

export async function pushBlob(client: RegistryClient, reference: string | RegistryReference, src: PushBlobSource, opts: PushOptions = {}): Promise<PushedBlob> {
  const t = target(client, reference, opts);
  const base = { mediaType: src.mediaType, ...(src.annotations ? { annotations: src.annotations } : {}) };
  if (src.digest !== undefined) {
    const size = await existingSize(t, src.digest);
    if (size !== undefined) return { descriptor: { ...base, digest: src.digest, size: src.size ?? size }, outcome: 'exists' };
  }
  let location: URL | undefined;
  if (src.digest !== undefined) {
    for (const from of src.mountFrom ?? []) {
      if (from === t.ref.path) continue;
      const res = await request(t, 'POST', `${t.ref.path}/blobs/uploads/?mount=${encodeURIComponent(src.digest)}&from=${encodeURIComponent(from)}`, {}, undefined, [
        repositoryScope(t.ref.path, ['pull', 'push']),
        repositoryScope(from, ['pull']),
      ]);
      if (res.status === 201) {
        res.discard();
        return { descriptor: { ...base, digest: src.digest, size: src.size ?? (await existingSize(t, src.digest)) ?? 0 }, outcome: 'mounted' };
      }
      if (res.status === 202) {
        // Not mountable (not there, or not readable to us): the registry opened an upload instead.
        location = uploadLocation(t, res);
        res.discard();
        break;
      }
      throw await t.client.errorFor(res, { host: t.endpoint.host, reference: t.ref.canonical, what: `mount of ${src.digest} from ${from}` });
    }
  }
  if (!location) {
    const res = await request(t, 'POST', `${t.ref.path}/blobs/uploads/`, {}, undefined);
    if (res.status !== 202) throw await t.client.errorFor(res, { host: t.endpoint.host, reference: t.ref.canonical, what: 'starting a blob upload' });
    location = uploadLocation(t, res);
    res.discard();
  }
  const threshold = opts.chunkThreshold ?? DEFAULT_THRESHOLD;
  if (src.digest !== undefined && src.size !== undefined && src.size <= threshold) {
    await uploadMonolithic(t, location, src as PushBlobSource & { digest: string; size: number });
    return { descriptor: { ...base, digest: src.digest, size: src.size }, outcome: 'uploaded-monolithic' };
  }
  const { digest, size } = await uploadChunked(t, location, src);
  return { descriptor: { ...base, digest, size }, outcome: 'uploaded-chunked' };
}

/** HEAD the blob: its size when the registry has it, undefined when not. */
async function existingSize(t: Target, digest: string): Promise<number | undefined> {
  const res = await request(t, 'HEAD', `${t.ref.path}/blobs/${digest}`, {}, undefined);
  res.discard();
  if (res.status === 200) return Number(header(res, 'content-length') ?? 0);
  if (res.status === 404) return undefined;
  throw await t.client.errorFor(res, { host: t.endpoint.host, reference: t.ref.canonical, what: `checking blob ${digest}` });
}

async function uploadMonolithic(t: Target, location: URL, src: PushBlobSource & { digest: string; size: number }): Promise<void> {
  const url = new URL(location);
  url.searchParams.set('digest', src.digest);
  let sent = 0;
  const body = Readable.from(
    (async function* () {
      for await (const chunk of src.open()) {
        sent += chunk.length;
        yield chunk;
        t.opts.onProgress?.({ digest: src.digest, current: sent, total: src.size });
      }
    })(),
  );
  const res = await request(t, 'PUT', url, { 'Content-Type': 'application/octet-stream', 'Content-Length': String(src.size) }, body);
  if (res.status !== 201) throw await t.client.errorFor(res, { host: t.endpoint.host, reference: t.ref.canonical, what: `uploading blob ${src.digest}` });
  res.discard();
}

async function uploadChunked(t: Target, start: URL, src: PushBlobSource): Promise<{ digest: string; size: number }> {
  const chunkSize = t.opts.chunkSize ?? DEFAULT_CHUNK;
  const hash = createHash('sha256');
  let location = start;
  let offset = 0;
  for await (const chunk of fixedChunks(src.open(), chunkSize)) {
    hash.update(chunk);
    const res = await request(t, 'PATCH', location, {
      'Content-Type': 'application/octet-stream',
      'Content-Range': `${offset}-${offset + chunk.length - 1}`,
    }, chunk);
    if (res.status !== 202) throw await t.client.errorFor(res, { host: t.endpoint.host, reference: t.ref.canonical, what: `uploading a chunk at byte ${offset}` });
    // The registry says how much it holds; a disagreement means a lost or doubled chunk.
    const held = /^(?:bytes=)?0-(\d+)$/.exec(header(res, 'range') ?? '');
    if (held && Number(held[1]) !== offset + chunk.length - 1) {
      res.discard();
      throw new RegistryError('registry', `after a chunk ending at byte ${offset + chunk.length - 1} the registry holds 0-${held[1]}`, { host: t.endpoint.host, reference: t.ref.canonical });
    }
    location = uploadLocation(t, res);
    res.discard();
    offset += chunk.length;
    t.opts.onProgress?.({ digest: src.digest ?? '', current: offset, total: src.size ?? offset });
  }
  const digest = `sha256:${hash.digest('hex')}`;
  if (src.digest !== undefined && src.digest !== digest) {
    await request(t, 'DELETE', location, {}, undefined).then((r) => r.discard(), () => undefined);
    throw new RegistryError('digest-mismatch', `the blob read for ${src.digest} hashes to ${digest}; nothing was committed`, { host: t.endpoint.host, reference: t.ref.canonical });
  }
  if (src.size !== undefined && src.size !== offset) {
    await request(t, 'DELETE', location, {}, undefined).then((r) => r.discard(), () => undefined);
    throw new RegistryError('digest-mismatch', `the blob ${digest} is ${offset} bytes, not the ${src.size} announced; nothing was committed`, { host: t.endpoint.host, reference: t.ref.canonical });
  }
  const url = new URL(location);
  url.searchParams.set('digest', digest);
  const res = await request(t, 'PUT', url, {}, Buffer.alloc(0));
  if (res.status !== 201) throw await t.client.errorFor(res, { host: t.endpoint.host, reference: t.ref.canonical, what: `completing the upload of ${digest}` });
  res.discard();
  return { digest, size: offset };
}

/** Re-cuts a byte stream into buffers of exactly `size` bytes (the last one shorter). */
async function* fixedChunks(source: AsyncIterable<Uint8Array> | Iterable<Uint8Array>, size: number): AsyncGenerator<Buffer> {
  let parts: Buffer[] = [];
  let have = 0;
  for await (const c of source) {
    let chunk = Buffer.from(c.buffer, c.byteOffset, c.byteLength);
    while (have + chunk.length >= size) {
      const take = size - have;
      parts.push(chunk.subarray(0, take));
      yield Buffer.concat(parts);
      parts = [];
      have = 0;
      chunk = chunk.subarray(take);
    }
    if (chunk.length > 0) {
      parts.push(Buffer.from(chunk)); // copy: the source may reuse its buffer
      have += chunk.length;
    }
  }
  if (have > 0) yield Buffer.concat(parts);
}

function uploadLocation(t: Target, res: HttpResponse): URL {
  const loc = header(res, 'location');
  if (!loc) throw new RegistryError('registry', `the registry answered ${res.status} to an upload without a Location`, { host: t.endpoint.host, reference: t.ref.canonical });
  return new URL(loc, res.url);
}

function request(t: Target, method: 'GET' | 'HEAD' | 'POST' | 'PUT' | 'PATCH' | 'DELETE', path: string | URL, headers: Record<string, string>, body: Buffer | Readable | undefined, scopes?: string[]): Promise<HttpResponse> {
  return t.client.request(t.endpoint, {
    method,
    path,
    headers,
    body,
    scopes: scopes ?? [repositoryScope(t.ref.path, ['pull', 'push'])],
    reference: t.ref.canonical,
    signal: t.opts.signal,
  });
}

/** PUTs a manifest or index under the reference's tag, or its digest when it names one. Returns the digest. */
export async function pushManifest(client: RegistryClient, reference: string | RegistryReference, bytes: Buffer, mediaType: string, opts: PushOptions = {}): Promise<string> {
  const t = target(client, reference, opts);
  const digest = sha256(bytes);
  if (t.ref.digest !== undefined && t.ref.digest !== digest) {
    throw new RegistryError('digest-mismatch', `the manifest hashes to ${digest}, not the ${t.ref.digest} it is pushed as`, { host: t.endpoint.host, reference: t.ref.canonical });
  }
  const res = await request(t, 'PUT', `${t.ref.path}/manifests/${t.ref.digest ?? t.ref.tag ?? 'latest'}`, { 'Content-Type': mediaType }, bytes);
  if (res.status !== 201 && res.status !== 200) throw await client.errorFor(res, { host: t.endpoint.host, reference: t.ref.canonical, what: 'pushing the manifest' });
  res.discard();
  const announced = header(res, 'docker-content-digest');
  if (announced && announced !== digest) {
    throw new RegistryError('digest-mismatch', `the registry stored the manifest as ${announced}, but it hashes to ${digest}`, { host: t.endpoint.host, reference: t.ref.canonical });
  }
  return digest;
}

export interface PushImageInput {
  config: { data: Buffer; mediaType?: string };
  layers: PushBlobSource[];
  /** `oci` (default) or `docker` (schema 2) manifest. */
  format?: 'oci' | 'docker';
  annotations?: Record<string, string>;
}

export interface PushedImage {
  digest: string;
  size: number;
  mediaType: string;
  manifest: ImageManifest;
  manifestBytes: Buffer;
  blobs: PushedBlob[];
}

/** Pushes layers (in order), the config, then the manifest; returns the manifest's descriptor and what each blob needed. */
export async function pushImage(client: RegistryClient, reference: string | RegistryReference, input: PushImageInput, opts: PushOptions = {}): Promise<PushedImage> {
  const ref = typeof reference === 'string' ? parseRegistryReference(reference) : reference;
  const docker = input.format === 'docker';
  const blobs: PushedBlob[] = [];
  for (const layer of input.layers) blobs.push(await pushBlob(client, ref, layer, opts));
  const configType = input.config.mediaType ?? (docker ? MediaType.dockerConfig : MediaType.ociConfig);
  const configBlob = await pushBlob(client, ref, { mediaType: configType, digest: sha256(input.config.data), size: input.config.data.length, open: () => [input.config.data] }, opts);
  const mediaType = docker ? MediaType.dockerManifest : MediaType.ociManifest;
  const manifest: ImageManifest = {
    schemaVersion: 2,
    mediaType,
    config: configBlob.descriptor,
    layers: blobs.map((b) => b.descriptor),
    ...(input.annotations ? { annotations: input.annotations } : {}),
  };
  const manifestBytes = Buffer.from(JSON.stringify(manifest));
  const digest = await pushManifest(client, ref, manifestBytes, mediaType, opts);
  return { digest, size: manifestBytes.length, mediaType, manifest, manifestBytes, blobs: [...blobs, configBlob] };
}

/** Pushes an index (manifest list) over manifests already in the repository; each entry needs its platform. */
export async function pushIndex(client: RegistryClient, reference: string | RegistryReference, manifests: Descriptor[], opts: PushOptions & { format?: 'oci' | 'docker' } = {}): Promise<{ digest: string; bytes: Buffer; mediaType: string }> {
  const mediaType = opts.format === 'docker' ? MediaType.dockerList : MediaType.ociIndex;
  for (const m of manifests) {
    if (!m.platform) throw new RegistryError('invalid-content', `index entry ${m.digest} has no platform`, { reference: typeof reference === 'string' ? reference : reference.canonical });
  }
  const bytes = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType, manifests }));
  const digest = await pushManifest(client, reference, bytes, mediaType, opts);
  return { digest, bytes, mediaType };
}
