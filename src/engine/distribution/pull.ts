// Pulling, in two steps the engine can pipeline:
//
//   resolveImage  reference → index (if any) → platform manifest → config, each verified by
//                 digest; yields the layer list with compressed digest and diff id side by side.
//   fetchLayer    one layer → download (verified) → decompress → diff id check, as one stream of
//                 the uncompressed tar. Layers are independent, so the engine can run several
//                 at once and unpack each while it arrives.
//
// Endpoints: a reference's mirrors are asked first, in order; a mirror that is down, refuses,
// or lacks the image is passed over for the next, and the registry itself is last. Blobs come
// from the endpoint that served the manifest, then the others.
import { repositoryScope } from './auth.js';
import type { RegistryClient } from './client.js';
import { pullEndpoints, type Endpoint } from './config.js';
import { describeCause, RegistryError } from './errors.js';
import { fetchBlob, fetchBlobBuffer, type BlobProgress } from './blobs.js';
import { decompress, verifyDiff } from './decompress.js';
import {
  DEFAULT_PLATFORM,
  formatPlatform,
  MANIFEST_ACCEPT,
  normalizePlatform,
  parseImageConfig,
  parseManifest,
  parsePlatform,
  selectPlatform,
  sha256,
  type Descriptor,
  type ImageConfig,
  type ImageIndex,
  type ImageManifest,
  type Platform,
} from './manifest.js';
import { atDigest, parseRegistryReference, type RegistryReference } from './names.js';
import { header } from './transport.js';
import { pipeline, type Readable } from 'node:stream';

export interface ResolveOptions {
  /** `os/arch[/variant]` or a Platform; default linux/amd64. */
  platform?: string | Platform;
  signal?: AbortSignal;
}

export interface ResolvedLayer extends Descriptor {
  /** The uncompressed digest the image config lists for this layer. */
  diffId: string;
}

export interface ResolvedImage {
  reference: RegistryReference;
  /** The endpoint that served the manifest (a mirror or the registry) and all of them in order. */
  endpoint: Endpoint;
  endpoints: Endpoint[];
  /** Set when the reference named an index (manifest list). */
  indexDigest?: string;
  index?: ImageIndex;
  indexMediaType?: string;
  indexSize?: number;
  manifestDigest: string;
  manifestMediaType: string;
  manifest: ImageManifest;
  manifestBytes: Buffer;
  configDigest: string;
  config: ImageConfig;
  configBytes: Buffer;
  layers: ResolvedLayer[];
  platform: Platform;
}

interface FetchedManifest {
  bytes: Buffer;
  contentType?: string;
  digest: string;
  endpoint: Endpoint;
}

const MANIFEST_LIMIT = 4 * 1024 * 1024;

export async function resolveImage(client: RegistryClient, reference: string | RegistryReference, opts: ResolveOptions = {}): Promise<ResolvedImage> {
  const ref = typeof reference === 'string' ? parseRegistryReference(reference) : reference;
  const requested = opts.platform === undefined ? undefined : typeof opts.platform === 'string' ? parsePlatform(opts.platform) : normalizePlatform(opts.platform);
  const wanted = requested ?? DEFAULT_PLATFORM;
  const endpoints = pullEndpoints(client.config, ref.domain, ref.host);

  const top = await fetchManifest(client, endpoints, ref, opts.signal);
  const ctx = { reference: ref.canonical, host: top.endpoint.host };
  let parsed = parseManifest(top.bytes, top.contentType, ctx);
  let chosen = top;
  let index: ImageIndex | undefined;
  if (parsed.kind === 'index') {
    index = parsed.index;
    const entry = selectPlatform(parsed.index, wanted, ctx);
    const ordered = [top.endpoint, ...endpoints.filter((e) => e !== top.endpoint)];
    chosen = await fetchManifest(client, ordered, atDigest(ref, entry.digest), opts.signal);
    parsed = parseManifest(chosen.bytes, chosen.contentType, { reference: ref.canonical, host: chosen.endpoint.host });
    if (parsed.kind === 'index') throw new RegistryError('unsupported', `the index entry for ${formatPlatform(wanted)} is itself an index; nested indexes are not supported`, ctx);
  }
  const manifest = parsed.manifest;
  const blobEndpoints = [chosen.endpoint, ...endpoints.filter((e) => e !== chosen.endpoint)];
  const configBytes = await fetchBlobBuffer(client, manifest.config, { endpoints: blobEndpoints, repository: ref.path, reference: ref.canonical, signal: opts.signal });
  const config = parseImageConfig(configBytes, manifest, { reference: ref.canonical, host: chosen.endpoint.host });
  const platform = normalizePlatform({ os: config.os, architecture: config.architecture, ...(config.variant ? { variant: config.variant } : {}) });
  if (!index && requested && (platform.os !== requested.os || platform.architecture !== requested.architecture)) {
    throw new RegistryError('platform-not-found', `the image is for ${formatPlatform(platform)}, not the requested ${formatPlatform(requested)}`, ctx);
  }
  return {
    reference: ref,
    endpoint: chosen.endpoint,
    endpoints: blobEndpoints,
    ...(index ? { index, indexDigest: top.digest, indexMediaType: index.mediaType, indexSize: top.bytes.length } : {}),
    manifestDigest: chosen.digest,
    manifestMediaType: manifest.mediaType,
    manifest,
    manifestBytes: chosen.bytes,
    configDigest: manifest.config.digest,
    config,
    configBytes,
    layers: manifest.layers.map((l, i) => ({ ...l, diffId: config.rootfs.diff_ids[i] })),
    platform,
  };
}

/**
 * GET the manifest from the first endpoint that has it. Verified against the reference's digest
 * when there is one, else against the Docker-Content-Digest the registry announced.
 */
async function fetchManifest(client: RegistryClient, endpoints: Endpoint[], ref: RegistryReference, signal?: AbortSignal): Promise<FetchedManifest> {
  const failures: { endpoint: Endpoint; error: RegistryError }[] = [];
  for (const endpoint of endpoints) {
    try {
      const res = await client.request(endpoint, {
        method: 'GET',
        path: `${ref.path}/manifests/${ref.manifestRef}`,
        headers: { Accept: MANIFEST_ACCEPT },
        scopes: [repositoryScope(ref.path, ['pull'])],
        reference: ref.canonical,
        signal,
      });
      if (res.status !== 200) throw await client.errorFor(res, { host: endpoint.host, reference: ref.canonical, what: 'manifest' });
      let bytes: Buffer;
      try {
        bytes = await res.buffer(MANIFEST_LIMIT);
      } catch (e) {
        throw new RegistryError('invalid-content', `the manifest could not be read: ${describeCause(e)}`, { host: endpoint.host, reference: ref.canonical, cause: e });
      }
      const digest = sha256(bytes);
      const expected = ref.digest ?? header(res, 'docker-content-digest');
      if (expected !== undefined && expected.startsWith('sha256:') && expected !== digest) {
        throw new RegistryError('digest-mismatch', `the manifest hashes to ${digest}, not ${expected}`, { host: endpoint.host, reference: ref.canonical });
      }
      return { bytes, contentType: header(res, 'content-type'), digest, endpoint };
    } catch (e) {
      if (!(e instanceof RegistryError)) throw e;
      failures.push({ endpoint, error: e });
      // Content the user asked for by digest that fails verification, or schema 1, is final anywhere.
      if (e.kind === 'unsupported' || e.kind === 'invalid-reference') throw e;
    }
  }
  throw combineFailures(failures, ref);
}

/**
 * The error to report when no endpoint served the manifest: the registry's own answer when it
 * gave one, and when nothing answered, one `unreachable` naming every endpoint tried.
 */
function combineFailures(failures: { endpoint: Endpoint; error: RegistryError }[], ref: RegistryReference): RegistryError {
  const last = failures[failures.length - 1];
  if (failures.length === 1 || last.error.kind !== 'unreachable') return last.error;
  const tried = failures.map((f) => `${f.endpoint.mirror ? 'mirror ' : ''}${f.endpoint.host}: ${f.error.detail}`).join('; ');
  return new RegistryError('unreachable', `no endpoint could be reached (tried ${failures.map((f) => f.endpoint.host).join(', ')}): ${tried}`, {
    host: last.endpoint.host,
    reference: ref.canonical,
    cause: last.error,
  });
}

export interface FetchLayerOptions {
  onProgress?: (p: BlobProgress) => void;
  signal?: AbortSignal;
}

export interface FetchedLayer {
  /** The uncompressed layer tar. It ends only after both digests were verified; on a mismatch it errors instead. */
  stream: Readable;
  /** Settles when the stream has been consumed and verified. */
  done: Promise<{ digest: string; diffId: string; size: number; uncompressedSize: number }>;
}

export function fetchLayer(client: RegistryClient, image: Pick<ResolvedImage, 'reference' | 'endpoints'>, layer: ResolvedLayer, opts: FetchLayerOptions = {}): FetchedLayer {
  const ctx = { reference: image.reference.canonical, host: image.endpoints[0]?.host, layer: layer.digest };
  const raw = fetchBlob(client, layer, { endpoints: image.endpoints, repository: image.reference.path, reference: image.reference.canonical, onProgress: opts.onProgress, signal: opts.signal });
  const { stream, result } = verifyDiff(layer.diffId, ctx);
  pipeline(decompress(raw), stream, () => undefined);
  const done = result.then((r) => ({ digest: layer.digest, diffId: r.diffId, size: layer.size, uncompressedSize: r.size }));
  done.catch(() => undefined);
  return { stream, done };
}
