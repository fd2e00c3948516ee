// References as the registry client needs them: the parsed name (from the engine's one grammar,
// reference/reference.ts), plus which host serves it and which manifest to ask
// for. A digest wins over a tag (`repo:tag@sha256:…` fetches by digest, as Docker does); the tag
// is then kept only for display.
import { DEFAULT_TAG, formatReference, InvalidReferenceError, parseReference, registryHostOf, type ImageReference } from '../reference/reference.js';
import { RegistryError } from './errors.js';

export interface RegistryReference extends ImageReference {
  /** The host[:port] the API is served on (`registry-1.docker.io` for `docker.io`). */
  host: string;
  /** What `GET /v2/<path>/manifests/<manifestRef>` asks for: the digest if any, else the tag (default `latest`). */
  manifestRef: string;
  /** Canonical text, e.g. `docker.io/library/busybox:latest`; used in messages. */
  canonical: string;
}

/** Parses a user's reference; `busybox` → docker.io/library/busybox:latest on registry-1.docker.io. */
export function parseRegistryReference(ref: string): RegistryReference {
  let parsed: ImageReference;
  try {
    parsed = parseReference(ref);
  } catch (e) {
    if (e instanceof InvalidReferenceError) throw new RegistryError('invalid-reference', e.message, { reference: ref });
    throw e;
  }
  return withRegistry(parsed);
}

/** Completes an already parsed reference (a missing tag and digest mean `latest`). */
export function withRegistry(parsed: ImageReference): RegistryReference {
  const r: ImageReference = parsed.tag === undefined && parsed.digest === undefined ? { ...parsed, tag: DEFAULT_TAG } : parsed;
  return { ...r, host: registryHostOf(r.domain), manifestRef: r.digest ?? r.tag ?? DEFAULT_TAG, canonical: formatReference(r) };
}

/** The same repository at another tag or digest (used when an index entry is followed). */
export function atDigest(ref: RegistryReference, digest: string): RegistryReference {
  return withRegistry({ domain: ref.domain, path: ref.path, ...(ref.tag !== undefined ? { tag: ref.tag } : {}), digest });
}

/**
 * The registry a `docker login` argument names: `docker.io`, `index.docker.io`,
 * `https://index.docker.io/v1/` and nothing at all mean Docker Hub; otherwise `host[:port]`,
 * with any scheme and path dropped.
 */
export function parseRegistryHost(server: string | undefined): { domain: string; host: string } {
  let s = (server ?? '').trim();
  s = s.replace(/^[a-z]+:\/\//i, '');
  s = s.replace(/\/.*$/, '');
  if (s === '' || s === 'docker.io' || s === 'index.docker.io' || s === 'registry-1.docker.io') {
    return { domain: 'docker.io', host: registryHostOf('docker.io') };
  }
  if (!/^(?:\[[0-9a-fA-F:]+\]|[a-zA-Z0-9.-]+)(?::\d+)?$/.test(s)) {
    throw new RegistryError('invalid-reference', `${JSON.stringify(server)} is not a registry host`);
  }
  return { domain: s.toLowerCase(), host: s.toLowerCase() };
}
