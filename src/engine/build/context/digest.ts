// Content digests of context entries: the cache key's input for COPY/ADD. A file's digest covers
// its type, permission bits, owner and content; a symlink's its target; a directory's its own
// metadata and its children (name and digest, sorted). Times never count, so touching a file
// changes nothing and two walks of an unchanged tree agree.
import { createHash, type Hash } from 'node:crypto';

export type EntryType = 'file' | 'dir' | 'symlink' | 'other';

export interface EntryMeta {
  type: EntryType;
  /** Permission bits with setuid/setgid/sticky (0o7777). */
  mode: number;
  uid: number;
  gid: number;
  /** Symlink target, as written. */
  linkTarget?: string;
}

export interface ContextEntry extends EntryMeta {
  /** Relative to the context root, `/`-separated; the root itself is `.`. */
  path: string;
  /** Bytes for files, 0 otherwise. */
  size: number;
  digest: string;
}

const header = (m: EntryMeta): string => `${m.type}\0${m.mode.toString(8)}\0${m.uid}\0${m.gid}\0${m.linkTarget ?? ''}\0`;
const hex = (h: Hash): string => `sha256:${h.digest('hex')}`;

/** A hash already holding the entry's metadata: the caller feeds the content and finishes it. */
export function startFileDigest(meta: EntryMeta): Hash {
  return createHash('sha256').update(header(meta));
}

export const finishDigest = hex;

/** Symlinks, FIFOs, devices: metadata only (their "content" is never read). */
export function leafDigest(meta: EntryMeta): string {
  return hex(createHash('sha256').update(header(meta)));
}

/** A directory over its children, given as [name, digest] in any order. */
export function dirDigest(meta: EntryMeta, children: readonly (readonly [string, string])[]): string {
  const h = createHash('sha256').update(header(meta));
  for (const [name, digest] of [...children].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))) h.update(`${name}\0${digest}\n`);
  return hex(h);
}

/** A selection of entries by their paths (sorted here): what a COPY's cache key takes. */
export function selectionDigest(items: readonly { path: string; digest: string }[]): string {
  const h = createHash('sha256');
  for (const item of [...items].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0))) h.update(`${item.path}\0${item.digest}\n`);
  return hex(h);
}
