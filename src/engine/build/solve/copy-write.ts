// Writing copied entries into a root being built (COPY, ADD, heredoc files): every parent is
// resolved in-root (see in-root.ts), an existing entry is replaced unless both are directories,
// files are created exclusively and never written through a symlink, owner and mode are set
// after the content (chown clears setuid bits), directory times last, deepest first.
import { closeSync, constants as fsc, fchmodSync, fchownSync, futimesSync, openSync, readFileSync, writeSync } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import type { Chmod } from '../dockerfile/values.js';
import { resolveInRoot } from './in-root.js';

const SMALL_FILE = 256 * 1024;
/** The process's umask, read once (set and put back), to know when a create mode needs no chmod. */
const UMASK = ((): number => {
  const u = process.umask(0o022);
  process.umask(u);
  return u;
})();

export interface Owner {
  uid: number;
  gid: number;
}

/** One entry to write, relative to the copy's destination (`''` is the destination itself). */
export interface CopyItem {
  rel: string;
  type: 'file' | 'dir' | 'symlink';
  mode: number;
  uid: number;
  gid: number;
  /** Seconds since the epoch. */
  mtime: number;
  /** Host path to read a file from. */
  source?: string;
  /** Its size, when known (small files are copied with synchronous calls). */
  size?: number;
  /** Content for files that have no source (heredocs, downloads). */
  data?: Buffer;
  linkTarget?: string;
}

export interface WriteOptions {
  /** --chown: every entry (and created parents) owned so. */
  owner?: Owner;
  chmod?: Chmod;
  /** Owner of parent directories created on the way (root unless --chown). */
  parentOwner: Owner;
  /** Filled with what was written from memory, by host path: the layer's differ need not read it back. */
  written?: Map<string, Buffer>;
}

/** Applies a symbolic mode (`u+x,go-w`, `a=rX`) as chmod(1) does. */
export function applySymbolicMode(mode: number, expression: string, isDir: boolean): number {
  let out = mode & 0o7777;
  for (const clause of expression.split(',')) {
    const m = /^([ugoa]*)(.*)$/.exec(clause)!;
    const who = m[1] === '' || m[1].includes('a') ? 'ugo' : m[1];
    for (const op of m[2].matchAll(/([-+=])([rwxXst]*|[ugo])/g)) {
      let bits = 0;
      const perms = op[2];
      if (/^[ugo]$/.test(perms)) {
        const shift = { u: 6, g: 3, o: 0 }[perms as 'u' | 'g' | 'o'];
        const v = (out >> shift) & 7;
        for (const w of who) bits |= v << { u: 6, g: 3, o: 0 }[w as 'u' | 'g' | 'o'];
      } else {
        for (const w of who) {
          const shift = { u: 6, g: 3, o: 0 }[w as 'u' | 'g' | 'o'];
          if (perms.includes('r')) bits |= 4 << shift;
          if (perms.includes('w')) bits |= 2 << shift;
          if (perms.includes('x') || (perms.includes('X') && (isDir || (mode & 0o111) !== 0))) bits |= 1 << shift;
          if (perms.includes('s') && w === 'u') bits |= 0o4000;
          if (perms.includes('s') && w === 'g') bits |= 0o2000;
          if (perms.includes('t') && w === 'o') bits |= 0o1000;
        }
      }
      if (op[1] === '+') out |= bits;
      else if (op[1] === '-') out &= ~bits;
      else {
        let mask = 0;
        for (const w of who) mask |= 7 << { u: 6, g: 3, o: 0 }[w as 'u' | 'g' | 'o'];
        out = (out & ~mask) | bits;
      }
    }
  }
  return out;
}

function modeOf(item: CopyItem, chmod: Chmod | undefined): number {
  if (!chmod) return item.mode & 0o7777;
  return chmod.kind === 'octal' ? chmod.mode : applySymbolicMode(item.mode, chmod.expression, item.type === 'dir');
}

/** A small counting semaphore. */
export function limiter(n: number): <T>(fn: () => Promise<T>) => Promise<T> {
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

async function clearFor(target: string, keepDir: boolean): Promise<boolean> {
  const st = await fs.lstat(target).catch(() => undefined);
  if (!st) return false;
  if (keepDir && st.isDirectory()) return true;
  await fs.rm(target, { recursive: true, force: true });
  return false;
}

/**
 * Writes `items` under `dest` (a path in the root; a dir when a `''` dir item or several items
 * say so). Items must list parents before children (sorted paths do).
 */
export async function writeItems(root: string, dest: string, items: readonly CopyItem[], o: WriteOptions): Promise<void> {
  const create = { ...o.parentOwner, mode: 0o755 };
  const dirs = new Map<string, string>();
  /** Directories this copy made: nothing is in them but what it writes, so no entry needs clearing. */
  const fresh = new Set<string>();
  const dirMeta: [string, CopyItem][] = [];
  const hostDir = async (rel: string): Promise<string> => {
    const cached = dirs.get(rel);
    if (cached) return cached;
    const host = (await resolveInRoot(root, path.posix.join(dest, rel), { create, followLast: true }))!;
    const st = await fs.lstat(host).catch(() => undefined);
    if (!st) {
      await fs.mkdir(host, { mode: 0o755 });
      await fs.chown(host, create.uid, create.gid);
    } else if (!st.isDirectory()) {
      await fs.rm(host, { force: true });
      await fs.mkdir(host, { mode: 0o755 });
      await fs.chown(host, create.uid, create.gid);
    }
    dirs.set(rel, host);
    return host;
  };
  const parentOf = (rel: string): string => (rel.includes('/') ? rel.slice(0, rel.lastIndexOf('/')) : '');

  // Directories first, in order (a child's parent exists before it), then the rest at once.
  for (const item of items) {
    if (item.type !== 'dir') continue;
    let host: string;
    if (item.rel === '') {
      // The destination itself keeps its own metadata (copying into `/` must not chmod `/`), but --chown owns it.
      host = await hostDir('');
      if (o.owner) await fs.lchown(host, o.owner.uid, o.owner.gid);
      continue;
    } else {
      const parentRel = parentOf(item.rel);
      const parent = await hostDir(parentRel);
      host = path.join(parent, path.posix.basename(item.rel));
      const kept = fresh.has(parentRel) ? false : await clearFor(host, true);
      if (!kept) {
        await fs.mkdir(host, { mode: 0o700 });
        fresh.add(item.rel);
      }
      dirs.set(item.rel, host);
    }
    dirMeta.push([host, item]);
  }
  const limit = limiter(16);
  await Promise.all(
    items
      .filter((i) => i.type !== 'dir')
      .map((item) =>
        limit(async () => {
          const parent = item.rel === '' ? path.dirname((await resolveInRoot(root, dest, { create }))!) : await hostDir(parentOf(item.rel));
          const target = item.rel === '' ? (await resolveInRoot(root, dest, { create }))! : path.join(parent, path.posix.basename(item.rel));
          if (item.rel === '' || !fresh.has(parentOf(item.rel))) await clearFor(target, false);
          const uid = o.owner?.uid ?? item.uid;
          const gid = o.owner?.gid ?? item.gid;
          if (item.type === 'symlink') {
            await fs.symlink(item.linkTarget ?? '', target);
            await fs.lchown(target, uid, gid);
            await fs.lutimes(target, item.mtime, item.mtime);
            return;
          }
          const data = item.data ?? (item.source !== undefined && (item.size ?? Infinity) <= SMALL_FILE ? readFileSync(item.source) : undefined);
          if (data !== undefined) {
            // Small files in a few synchronous calls on one descriptor: a tree of thousands of
            // them otherwise waits on the thread pool four times a file.
            const mode = modeOf(item, o.chmod);
            const fd = openSync(target, fsc.O_WRONLY | fsc.O_CREAT | fsc.O_EXCL | fsc.O_NOFOLLOW, mode & 0o777);
            try {
              if (data.length > 0) writeSync(fd, data);
              // A root-owned file in a directory this copy made is already 0:0 (no setgid parent);
              // a mode the umask leaves whole and without special bits is already right.
              if (uid !== 0 || gid !== 0 || !fresh.has(parentOf(item.rel))) fchownSync(fd, uid, gid);
              if ((mode & UMASK) !== 0 || (mode & 0o7000) !== 0 || uid !== 0 || gid !== 0 || !fresh.has(parentOf(item.rel))) fchmodSync(fd, mode);
              futimesSync(fd, item.mtime, item.mtime);
            } finally {
              closeSync(fd);
            }
            o.written?.set(target, data);
            return;
          }
          await fs.copyFile(item.source!, target, fsc.COPYFILE_EXCL);
          await fs.lchown(target, uid, gid);
          await fs.chmod(target, modeOf(item, o.chmod));
          await fs.utimes(target, item.mtime, item.mtime);
        }),
      ),
  );
  for (const [host, item] of dirMeta.sort(([a], [b]) => b.length - a.length)) {
    await fs.lchown(host, o.owner?.uid ?? item.uid, o.owner?.gid ?? item.gid);
    await fs.chmod(host, modeOf(item, o.chmod));
    await fs.utimes(host, item.mtime, item.mtime);
  }
}
