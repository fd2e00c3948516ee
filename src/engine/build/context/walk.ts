// The build context on disk → an index of entries with digests. This module and the tar reader
// are the only I/O of the build frontend. The walk is confined: symlinks are recorded as
// symlinks and never followed, files are opened with O_NOFOLLOW, FIFOs and devices are never
// opened, and file content is streamed into the hash in 1 MiB chunks, so a huge file costs time,
// not memory. Ignore rules come from `<Dockerfile>.dockerignore` when it exists, else
// `.dockerignore`; the Dockerfile and the ignore file are kept even when the rules match them.
import { closeSync, constants as fsc, fstatSync, lstatSync, openSync, readSync, type Stats } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import type { Warning } from '../../../errors.js';
import { dirDigest, finishDigest, leafDigest, startFileDigest, type ContextEntry, type EntryMeta, type EntryType } from './digest.js';
import { ContextError } from './errors.js';
import { IgnoreMatcher, NO_RULES, parseIgnoreFile, type IgnoreRules } from './ignore.js';

export const DEFAULT_LARGE_CONTEXT_BYTES = 512 * 1024 * 1024;
const CHUNK = 1 << 20;

/** Metadata that replaces what lstat says (a context extracted from a tar keeps the tar's). */
export interface MetaOverride {
  mode?: number;
  uid?: number;
  gid?: number;
}

export interface WalkOptions {
  /** The Dockerfile, relative to the context: its own ignore file is looked for beside it. */
  dockerfile?: string;
  /** Rules to use instead of reading the ignore files. */
  ignore?: IgnoreRules;
  /** Above this many bytes of files, a warning suggests a .dockerignore. */
  largeContextBytes?: number;
  metadata?: ReadonlyMap<string, MetaOverride>;
  /** Files hashed at the same time. */
  concurrency?: number;
}

export interface ContextIndex {
  root: string;
  /** Every included entry by relative path, the root as `.`. */
  entries: ReadonlyMap<string, ContextEntry>;
  ignore: IgnoreMatcher;
  /** Paths left out by the ignore rules (a left-out directory is listed, not its content). */
  excluded: readonly string[];
  totalBytes: number;
  fileCount: number;
  warnings: Warning[];
}

const posixJoin = (dir: string, name: string): string => (dir === '.' ? name : `${dir}/${name}`);

/** Reads the ignore rules for a build: `<Dockerfile>.dockerignore` wins over `.dockerignore`. */
export async function loadIgnoreRules(root: string, dockerfile?: string): Promise<IgnoreRules> {
  const candidates = [...(dockerfile ? [`${path.posix.normalize(dockerfile)}.dockerignore`] : []), '.dockerignore'];
  for (const rel of candidates) {
    if (rel.startsWith('../')) continue;
    try {
      const st = await fs.lstat(path.join(root, rel));
      if (!st.isFile()) continue;
      return parseIgnoreFile(await fs.readFile(path.join(root, rel), 'utf8'), rel);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') continue;
      throw new ContextError('io', `cannot read ${rel}: ${(e as Error).message}`, undefined, { cause: e });
    }
  }
  return NO_RULES;
}

/** A small counting semaphore: at most `n` of the wrapped operations at once. */
function limiter(n: number): <T>(fn: () => Promise<T>) => Promise<T> {
  let active = 0;
  const queue: (() => void)[] = [];
  return async (fn) => {
    if (active >= n) await new Promise<void>((resolve) => queue.push(resolve));
    active++;
    try {
      return await fn();
    } finally {
      active--;
      queue.shift()?.();
    }
  };
}

function typeOf(st: Stats): EntryType {
  if (st.isFile()) return 'file';
  if (st.isDirectory()) return 'dir';
  if (st.isSymbolicLink()) return 'symlink';
  return 'other';
}

const SMALL_FILE = 256 * 1024;

/** Small files hashed in a few synchronous calls: a context of thousands would otherwise wait on the thread pool per call. */
function hashSmallFile(abs: string, rel: string, meta: EntryMeta, size: number): string {
  let fd: number;
  try {
    fd = openSync(abs, fsc.O_RDONLY | fsc.O_NOFOLLOW);
  } catch (e) {
    throw new ContextError('io', `cannot read ${rel} in the build context: ${(e as Error).message}`, 'make it readable or exclude it in .dockerignore', { cause: e });
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile() || st.size !== size) throw new ContextError('io', `${rel} changed while the context was read`);
    const buf = Buffer.allocUnsafe(size);
    let off = 0;
    while (off < size) {
      const n = readSync(fd, buf, off, size - off, off);
      if (n === 0) throw new ContextError('io', `${rel} changed while the context was read`);
      off += n;
    }
    return finishDigest(startFileDigest(meta).update(buf));
  } finally {
    closeSync(fd);
  }
}

async function hashFile(abs: string, rel: string, meta: EntryMeta, size: number): Promise<string> {
  if (size <= SMALL_FILE) return hashSmallFile(abs, rel, meta, size);
  let handle: fs.FileHandle;
  try {
    handle = await fs.open(abs, fsc.O_RDONLY | fsc.O_NOFOLLOW);
  } catch (e) {
    throw new ContextError('io', `cannot read ${rel} in the build context: ${(e as Error).message}`, 'make it readable or exclude it in .dockerignore', { cause: e });
  }
  try {
    if (!(await handle.stat()).isFile()) throw new ContextError('io', `${rel} changed while the context was read`);
    // One reused buffer per file being hashed: memory stays flat whatever the size.
    const h = startFileDigest(meta);
    const buf = Buffer.allocUnsafe(CHUNK);
    for (;;) {
      const { bytesRead } = await handle.read(buf, 0, CHUNK, null);
      if (bytesRead === 0) break;
      h.update(buf.subarray(0, bytesRead));
    }
    return finishDigest(h);
  } finally {
    await handle.close();
  }
}

/** A tree the walker reads: a directory on disk, or a context tar held in memory (tar-index.ts). */
export interface TreeSource {
  /** lstat: undefined when absent. */
  stat(rel: string): TreeStat | undefined;
  readdir(rel: string): Promise<string[]>;
  readlink(rel: string): Promise<string>;
  /** The content digest of a regular file (startFileDigest(meta) + content). */
  fileDigest(rel: string, meta: EntryMeta, size: number): string | Promise<string>;
}

export interface TreeStat {
  type: EntryType;
  mode: number;
  uid: number;
  gid: number;
  size: number;
}

function diskSource(root: string, limit: <T>(fn: () => Promise<T>) => Promise<T>): TreeSource {
  const abs = (rel: string): string => (rel === '.' ? root : path.join(root, rel));
  return {
    stat: (rel) => {
      let st: Stats;
      try {
        st = lstatSync(abs(rel));
      } catch {
        return undefined;
      }
      return { type: typeOf(st), mode: st.mode & 0o7777, uid: st.uid, gid: st.gid, size: st.size };
    },
    readdir: (rel) => limit(() => fs.readdir(abs(rel))),
    readlink: (rel) => limit(() => fs.readlink(abs(rel))),
    fileDigest: (rel, meta, size) => (size <= SMALL_FILE ? hashSmallFile(abs(rel), rel, meta, size) : limit(() => hashFile(abs(rel), rel, meta, size))),
  };
}

export async function walkContext(rootDir: string, opts: WalkOptions = {}): Promise<ContextIndex> {
  const root = path.resolve(rootDir);
  const rootStat = await fs.stat(root).catch((e: unknown) => {
    throw new ContextError('not-found', `build context ${root} cannot be read: ${(e as Error).message}`, undefined, { cause: e });
  });
  if (!rootStat.isDirectory()) throw new ContextError('invalid', `build context ${root} is not a directory`);
  const rules = opts.ignore ?? (await loadIgnoreRules(root, opts.dockerfile));
  return walkTree(diskSource(root, limiter(opts.concurrency ?? 8)), root, { ...opts, ignore: rules });
}

/** The walk itself, over any tree: ignore rules, kept files, digests, the large-context warning. */
export async function walkTree(source: TreeSource, label: string, opts: WalkOptions & { ignore: IgnoreRules }): Promise<ContextIndex> {
  const root = label;
  const rules = opts.ignore;
  const ignore = new IgnoreMatcher(rules);
  const keep = new Set([opts.dockerfile, rules.source].filter((k): k is string => !!k).map((k) => path.posix.normalize(k)));
  const keepsBelow = (rel: string): boolean => [...keep].some((k) => rel === '.' || k.startsWith(`${rel}/`));
  const entries = new Map<string, ContextEntry>();
  const excluded = new Set<string>();
  let totalBytes = 0;
  let fileCount = 0;

  const metaOf = (rel: string, st: TreeStat, linkTarget?: string): EntryMeta => {
    const o = opts.metadata?.get(rel);
    return { type: st.type, mode: o?.mode ?? st.mode, uid: o?.uid ?? st.uid, gid: o?.gid ?? st.gid, ...(linkTarget !== undefined ? { linkTarget } : {}) };
  };

  /** Visits an entry; `implicit` directories are kept only for the included entries under them. */
  const visit = async (rel: string, st: TreeStat, implicit: boolean): Promise<ContextEntry | undefined> => {
    const type = st.type;
    let entry: ContextEntry;
    if (type === 'dir') {
      const names = (await source.readdir(rel)).sort();
      const children = await Promise.all(
        names.map(async (name) => {
          const childRel = posixJoin(rel, name);
          const cst = source.stat(childRel);
          if (!cst) return undefined;
          const forced = keep.has(childRel);
          if (!forced && ignore.ignores(childRel)) {
            // An excluded directory may still hold re-included (`!`) or kept files.
            if (cst.type === 'dir' && (ignore.hasExceptions || keepsBelow(childRel))) {
              const inner = await visit(childRel, cst, true);
              if (!inner) {
                // Nothing under it came back: list the directory, not its content.
                for (const e of [...excluded]) if (e.startsWith(`${childRel}/`)) excluded.delete(e);
                excluded.add(childRel);
              }
              return inner ? ([name, inner.digest] as const) : undefined;
            }
            excluded.add(childRel);
            return undefined;
          }
          const child = await visit(childRel, cst, false);
          return child ? ([name, child.digest] as const) : undefined;
        }),
      );
      const kids = children.filter((c): c is readonly [string, string] => c !== undefined);
      if (implicit && kids.length === 0) return undefined;
      const meta = metaOf(rel, st);
      entry = { path: rel, ...meta, size: 0, digest: dirDigest(meta, kids) };
    } else if (type === 'symlink') {
      const target = await source.readlink(rel);
      const meta = metaOf(rel, st, target);
      entry = { path: rel, ...meta, size: 0, digest: leafDigest(meta) };
    } else if (type === 'file') {
      const meta = metaOf(rel, st);
      const digest = await source.fileDigest(rel, meta, st.size);
      entry = { path: rel, ...meta, size: st.size, digest };
      totalBytes += st.size;
      fileCount++;
    } else {
      const meta = metaOf(rel, st);
      entry = { path: rel, ...meta, size: 0, digest: leafDigest(meta) };
    }
    entries.set(rel, entry);
    return entry;
  };

  const top = source.stat('.');
  if (!top || top.type !== 'dir') throw new ContextError('invalid', `build context ${label} is not a directory`);
  await visit('.', top, false);
  const warnings: Warning[] = [];
  const threshold = opts.largeContextBytes ?? DEFAULT_LARGE_CONTEXT_BYTES;
  if (totalBytes > threshold) {
    warnings.push({
      message: `the build context is ${formatBytes(totalBytes)} in ${fileCount} files; a .dockerignore could leave out what the build does not need`,
    });
  }
  // Siblings are walked concurrently, so entries arrive in completion order: the index is handed
  // out in path order, the same on every walk (what iterates it — a context tar — is then stable too).
  const ordered = new Map([...entries].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
  return { root, entries: ordered, ignore, excluded: [...excluded].sort(), totalBytes, fileCount, warnings };
}

export function formatBytes(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = n;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${i === 0 ? v : v.toFixed(1)} ${units[i]}`;
}
