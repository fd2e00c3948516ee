// Image references the way Docker reads them (distribution/reference): `busybox` is
// `docker.io/library/busybox:latest`, `me/app` is `docker.io/me/app:latest`, a first component
// with a `.` or `:` or equal to `localhost` is a registry. The store keys tags by the full form
// and shows the short ("familiar") form, as `docker images` does. Its own room, below both the
// image store and the registry client, as moby's distribution/reference is: one grammar for all.
import { BerthError } from '../../errors.js';
import type { ApiErrorKind } from '../backend.js';

/** A reference Docker would refuse; the API answers 400. */
export class InvalidReferenceError extends BerthError {
  readonly kind = 'invalid';

  get apiKind(): ApiErrorKind {
    return 'invalid';
  }
}

export const DEFAULT_DOMAIN = 'docker.io';
export const DEFAULT_TAG = 'latest';
/** Where `docker.io` names are actually served from (the API host, not the name's domain). */
export const DEFAULT_REGISTRY_HOST = 'registry-1.docker.io';

export interface ImageReference {
  domain: string;
  /** Repository path without the domain, e.g. `library/busybox`. */
  path: string;
  tag?: string;
  digest?: string;
}

const COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const TAG = /^[\w][\w.-]{0,127}$/;
const DIGEST = /^sha256:[0-9a-f]{64}$/;
const DOMAIN = /^(?:localhost|[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)*|\[[0-9a-fA-F:]+\])(?::[0-9]+)?$/;

/** Parses and normalises a reference; throws `InvalidReferenceError` for anything Docker would refuse. */
export function parseReference(ref: string): ImageReference {
  const invalid = (why: string): InvalidReferenceError => new InvalidReferenceError(`invalid reference format: ${JSON.stringify(ref)}: ${why}`);
  let rest = ref;
  let digest: string | undefined;
  const at = rest.indexOf('@');
  if (at !== -1) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
    if (!DIGEST.test(digest)) throw invalid('the digest must be sha256:<64 hex digits>');
  }
  let tag: string | undefined;
  const colon = rest.lastIndexOf(':');
  if (colon > rest.lastIndexOf('/')) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
    if (!TAG.test(tag)) throw invalid('the tag has characters a tag cannot have');
  }
  if (rest === '') throw invalid('the name is empty');
  let domain = DEFAULT_DOMAIN;
  let path = rest;
  const slash = rest.indexOf('/');
  const first = slash === -1 ? '' : rest.slice(0, slash);
  if (slash !== -1 && (first.includes('.') || first.includes(':') || first === 'localhost')) {
    if (!DOMAIN.test(first)) throw invalid(`${JSON.stringify(first)} is not a registry host`);
    domain = first === 'index.docker.io' ? DEFAULT_DOMAIN : first;
    path = rest.slice(slash + 1);
  }
  if (path !== path.toLowerCase()) throw invalid('repository names must be lowercase');
  for (const component of path.split('/')) {
    if (!COMPONENT.test(component)) throw invalid(`${JSON.stringify(component)} is not a valid name component`);
  }
  if (domain === DEFAULT_DOMAIN && !path.includes('/')) path = `library/${path}`;
  if (domain.length + 1 + path.length > 255) throw invalid('the name is longer than 255 characters');
  return { domain, path, ...(tag !== undefined ? { tag } : {}), ...(digest !== undefined ? { digest } : {}) };
}

/** `docker.io/library/busybox:latest` for `busybox`; a missing tag becomes `latest` (unless there is a digest). */
export function normalizeTagged(ref: string): string {
  const r = parseReference(ref);
  if (r.digest) throw new InvalidReferenceError(`${JSON.stringify(ref)} is a digest reference; a tag is needed here`);
  return `${r.domain}/${r.path}:${r.tag ?? DEFAULT_TAG}`;
}

/** The short form Docker prints: `busybox:latest`, `me/app:1`, `localhost:5000/x:y`. */
export function familiarName(full: string): string {
  let s = full;
  if (s.startsWith(`${DEFAULT_DOMAIN}/`)) {
    s = s.slice(DEFAULT_DOMAIN.length + 1);
    if (s.startsWith('library/') && !s.slice('library/'.length).split(':')[0].includes('/')) s = s.slice('library/'.length);
  }
  return s;
}

/** The repository part of a full tagged name (`docker.io/library/busybox`). */
export function repositoryOf(full: string): string {
  const colon = full.lastIndexOf(':');
  return colon > full.lastIndexOf('/') ? full.slice(0, colon) : full;
}

/** The host to talk to for a reference's domain: `docker.io` is served by `registry-1.docker.io`. */
export function registryHostOf(domain: string): string {
  return domain === DEFAULT_DOMAIN ? DEFAULT_REGISTRY_HOST : domain;
}

/**
 * The canonical string of a parsed reference: `docker.io/library/busybox:latest`,
 * `host:5000/app@sha256:…`, `host/app:1@sha256:…` (both kept when both were given).
 */
export function formatReference(r: ImageReference): string {
  return `${r.domain}/${r.path}${r.tag !== undefined ? `:${r.tag}` : ''}${r.digest !== undefined ? `@${r.digest}` : ''}`;
}
