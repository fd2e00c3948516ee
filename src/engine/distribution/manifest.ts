// Manifests and image configs as the OCI image spec and Docker's schema 2 define them: parse,
// validate, and pick a platform from an index. Pure functions over bytes; fetching is pull.ts.
import { createHash } from 'node:crypto';
import { RegistryError } from './errors.js';

export const MediaType = {
  ociIndex: 'application/vnd.oci.image.index.v1+json',
  ociManifest: 'application/vnd.oci.image.manifest.v1+json',
  ociConfig: 'application/vnd.oci.image.config.v1+json',
  ociLayer: 'application/vnd.oci.image.layer.v1.tar',
  ociLayerGzip: 'application/vnd.oci.image.layer.v1.tar+gzip',
  ociLayerZstd: 'application/vnd.oci.image.layer.v1.tar+zstd',
  dockerList: 'application/vnd.docker.distribution.manifest.list.v2+json',
  dockerManifest: 'application/vnd.docker.distribution.manifest.v2+json',
  dockerConfig: 'application/vnd.docker.container.image.v1+json',
  dockerLayerGzip: 'application/vnd.docker.image.rootfs.diff.tar.gzip',
  dockerForeignLayerGzip: 'application/vnd.docker.image.rootfs.foreign.diff.tar.gzip',
  dockerSchema1: 'application/vnd.docker.distribution.manifest.v1+json',
  dockerSchema1Signed: 'application/vnd.docker.distribution.manifest.v1+prettyjws',
} as const;

/** What a manifest GET accepts: both index kinds, both manifest kinds, and schema 1 so we can name it when refusing. */
export const MANIFEST_ACCEPT = [
  MediaType.ociIndex,
  MediaType.dockerList,
  MediaType.ociManifest,
  MediaType.dockerManifest,
  MediaType.dockerSchema1Signed,
  MediaType.dockerSchema1,
].join(', ');

const LAYER_TYPES = new Set<string>([
  MediaType.ociLayer,
  MediaType.ociLayerGzip,
  MediaType.ociLayerZstd,
  MediaType.dockerLayerGzip,
  MediaType.dockerForeignLayerGzip,
  'application/vnd.oci.image.layer.nondistributable.v1.tar',
  'application/vnd.oci.image.layer.nondistributable.v1.tar+gzip',
  'application/vnd.oci.image.layer.nondistributable.v1.tar+zstd',
]);

const DIGEST = /^sha256:[0-9a-f]{64}$/;

export interface Platform {
  os: string;
  architecture: string;
  variant?: string;
  'os.version'?: string;
  'os.features'?: string[];
}

export interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
  urls?: string[];
  annotations?: Record<string, string>;
  platform?: Platform;
}

export interface ImageManifest {
  schemaVersion: 2;
  mediaType: string;
  config: Descriptor;
  layers: Descriptor[];
  annotations?: Record<string, string>;
}

export interface ImageIndex {
  schemaVersion: 2;
  mediaType: string;
  manifests: Descriptor[];
  annotations?: Record<string, string>;
}

export type ParsedManifest = { kind: 'index'; index: ImageIndex } | { kind: 'manifest'; manifest: ImageManifest };

/** The image config blob, as far as pulling needs it; the rest is kept as is. */
export interface ImageConfig {
  architecture: string;
  os: string;
  variant?: string;
  rootfs: { type: string; diff_ids: string[] };
  config?: Record<string, unknown>;
  history?: { created?: string; created_by?: string; empty_layer?: boolean; comment?: string }[];
  [key: string]: unknown;
}

export function sha256(data: Uint8Array): string {
  return `sha256:${createHash('sha256').update(data).digest('hex')}`;
}

export function isIndexType(mediaType: string): boolean {
  return mediaType === MediaType.ociIndex || mediaType === MediaType.dockerList;
}

export function isManifestType(mediaType: string): boolean {
  return mediaType === MediaType.ociManifest || mediaType === MediaType.dockerManifest;
}

export function isSchema1(mediaType: string): boolean {
  return mediaType === MediaType.dockerSchema1 || mediaType === MediaType.dockerSchema1Signed;
}

export const SCHEMA1_MESSAGE = 'schema 1 images are not supported; re-push with a current docker/skopeo';

/**
 * Parses manifest bytes. The media type comes from the body's `mediaType` when present
 * (required for Docker types, optional for OCI), else from the Content-Type it was served with.
 */
export function parseManifest(bytes: Buffer, contentType: string | undefined, ctx: { reference?: string; host?: string }): ParsedManifest {
  let doc: Record<string, unknown>;
  try {
    doc = JSON.parse(bytes.toString('utf8')) as Record<string, unknown>;
  } catch {
    throw new RegistryError('invalid-content', 'the manifest is not valid JSON', ctx);
  }
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) throw new RegistryError('invalid-content', 'the manifest is not a JSON object', ctx);
  const served = (contentType ?? '').split(';')[0].trim();
  if (doc.schemaVersion === 1 || isSchema1(served)) throw new RegistryError('unsupported', SCHEMA1_MESSAGE, ctx);
  if (doc.schemaVersion !== 2) throw new RegistryError('invalid-content', `the manifest has schemaVersion ${JSON.stringify(doc.schemaVersion)}, expected 2`, ctx);
  let mediaType = typeof doc.mediaType === 'string' ? doc.mediaType : '';
  if (!mediaType) {
    if (isIndexType(served) || isManifestType(served)) mediaType = served;
    else mediaType = Array.isArray(doc.manifests) ? MediaType.ociIndex : MediaType.ociManifest;
  }
  if (isIndexType(mediaType)) {
    if (!Array.isArray(doc.manifests)) throw new RegistryError('invalid-content', 'the image index has no "manifests" list', ctx);
    const manifests = doc.manifests.map((d, i) => descriptor(d, `manifests[${i}]`, ctx));
    return { kind: 'index', index: { ...(doc as object), schemaVersion: 2, mediaType, manifests } };
  }
  if (isManifestType(mediaType)) {
    const config = descriptor(doc.config, 'config', ctx);
    if (!Array.isArray(doc.layers)) throw new RegistryError('invalid-content', 'the image manifest has no "layers" list', ctx);
    const layers = doc.layers.map((d, i) => descriptor(d, `layers[${i}]`, ctx));
    for (const [i, l] of layers.entries()) {
      if (!LAYER_TYPES.has(l.mediaType)) throw new RegistryError('unsupported', `layers[${i}] has media type ${l.mediaType}, which is not an image layer berth can unpack`, ctx);
    }
    return { kind: 'manifest', manifest: { ...(doc as object), schemaVersion: 2, mediaType, config, layers } };
  }
  throw new RegistryError('unsupported', `the manifest has media type ${mediaType}, which is neither an image manifest nor an index`, ctx);
}

function descriptor(d: unknown, where: string, ctx: { reference?: string; host?: string }): Descriptor {
  const bad = (why: string): RegistryError => new RegistryError('invalid-content', `${where} is not a valid descriptor: ${why}`, ctx);
  if (typeof d !== 'object' || d === null) throw bad('not an object');
  const o = d as Record<string, unknown>;
  if (typeof o.mediaType !== 'string' || !o.mediaType) throw bad('no mediaType');
  if (typeof o.digest !== 'string' || !DIGEST.test(o.digest)) throw bad(`digest ${JSON.stringify(o.digest)} is not sha256:<64 hex>`);
  if (typeof o.size !== 'number' || !Number.isSafeInteger(o.size) || o.size < 0) throw bad('size is not a non-negative integer');
  return o as unknown as Descriptor;
}

/** `linux/arm64/v8` → {os, architecture, variant}, with Go's spellings (x86_64 → amd64, aarch64 → arm64). */
export function parsePlatform(text: string): Platform {
  const parts = text.trim().toLowerCase().split('/');
  if (parts.length < 2 || parts.length > 3 || parts.some((p) => p === '')) {
    throw new RegistryError('invalid-reference', `${JSON.stringify(text)} is not a platform; expected os/arch[/variant], e.g. linux/amd64`);
  }
  return normalizePlatform({ os: parts[0], architecture: parts[1], ...(parts[2] ? { variant: parts[2] } : {}) });
}

export function normalizePlatform(p: Platform): Platform {
  let arch = p.architecture.toLowerCase();
  let variant = p.variant?.toLowerCase();
  if (arch === 'x86_64' || arch === 'x86-64') arch = 'amd64';
  if (arch === 'aarch64') arch = 'arm64';
  if (arch === 'armhf') [arch, variant] = ['arm', variant ?? 'v7'];
  if (arch === 'armel') [arch, variant] = ['arm', variant ?? 'v6'];
  if (arch === 'i386' || arch === 'i686') arch = '386';
  if (arch === 'arm64' && (variant === '8' || variant === 'v8')) variant = undefined; // v8 is arm64's default
  if (arch === 'arm' && variant && /^\d$/.test(variant)) variant = `v${variant}`;
  return { os: p.os.toLowerCase(), architecture: arch, ...(variant ? { variant } : {}) };
}

export function formatPlatform(p: Platform): string {
  return `${p.os}/${p.architecture}${p.variant ? `/${p.variant}` : ''}`;
}

export const DEFAULT_PLATFORM: Platform = { os: 'linux', architecture: 'amd64' };

/**
 * The index entry for a platform: os and architecture must match; a requested variant must
 * match too, and without one the entry with the default variant (none, or v7 for arm) wins over
 * others. Entries for `unknown/unknown` (BuildKit's attestations) never match.
 */
export function selectPlatform(index: ImageIndex, wanted: Platform, ctx: { reference?: string; host?: string }): Descriptor {
  const want = normalizePlatform(wanted);
  const candidates = index.manifests.filter((d) => d.platform !== undefined && isManifestType(d.mediaType));
  const matches = candidates.filter((d) => {
    const p = normalizePlatform(d.platform!);
    return p.os === want.os && p.architecture === want.architecture && (want.variant === undefined || p.variant === want.variant);
  });
  if (matches.length > 0) {
    const preferred = want.variant === undefined ? matches.find((d) => normalizePlatform(d.platform!).variant === (want.architecture === 'arm' ? 'v7' : undefined)) : undefined;
    return preferred ?? matches[0];
  }
  const available = [...new Set(index.manifests.filter((d) => d.platform && d.platform.os !== 'unknown').map((d) => formatPlatform(normalizePlatform(d.platform!))))].sort();
  throw new RegistryError('platform-not-found', `no manifest for ${formatPlatform(want)} in the image index; available: ${available.length > 0 ? available.join(', ') : 'none with a platform'}`, ctx);
}

/** Parses and checks the image config against its manifest: a rootfs of layers, one diff id per layer. */
export function parseImageConfig(bytes: Buffer, manifest: ImageManifest, ctx: { reference?: string; host?: string }): ImageConfig {
  let doc: unknown;
  try {
    doc = JSON.parse(bytes.toString('utf8'));
  } catch {
    throw new RegistryError('invalid-content', 'the image config is not valid JSON', ctx);
  }
  const bad = (why: string): RegistryError => new RegistryError('invalid-content', `the image config is invalid: ${why}`, ctx);
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) throw bad('not a JSON object');
  const c = doc as Record<string, unknown>;
  if (typeof c.os !== 'string' || !c.os) throw bad('"os" is missing');
  if (typeof c.architecture !== 'string' || !c.architecture) throw bad('"architecture" is missing');
  const rootfs = c.rootfs as { type?: unknown; diff_ids?: unknown } | undefined;
  if (typeof rootfs !== 'object' || rootfs === null) throw bad('"rootfs" is missing');
  if (rootfs.type !== 'layers') throw bad(`rootfs.type is ${JSON.stringify(rootfs.type)}, expected "layers"`);
  if (!Array.isArray(rootfs.diff_ids) || rootfs.diff_ids.some((d) => typeof d !== 'string' || !DIGEST.test(d))) throw bad('rootfs.diff_ids is not a list of sha256 digests');
  if (rootfs.diff_ids.length !== manifest.layers.length) {
    throw bad(`it lists ${rootfs.diff_ids.length} diff ids for the manifest's ${manifest.layers.length} layers`);
  }
  return c as ImageConfig;
}
