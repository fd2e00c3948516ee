// An overlay upper dir (what a RUN or COPY changed) → a layer tar, written deterministically:
// entries in byte order of their paths, parents before children, owners as numbers (no names),
// xattrs sorted, hardlinks kept as links, and mtimes clamped to SOURCE_DATE_EPOCH when it is set —
// so the same change gives the same diff id. Overlay's own forms become Docker's: a whiteout
// (char 0/0) → `.wh.<name>`, an opaque directory → `<dir>/.wh..wh..opq`. A directory the step only
// passed through (it exists below with the same mode and owner, nothing under it changed: the
// copy-up of /etc for runc's mount points) is left out, as BuildKit's differ does.
import { createHash } from 'node:crypto';
import { createReadStream, lstatSync, readFileSync, type Stats } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { writeTar, type TarWriteEntry } from '../../../lib/tar.js';
import { treeXattrs, XattrError } from './xattrs.js';

const OPAQUE = 'trusted.overlay.opaque';
const SMALL_FILE = 256 * 1024;
/** Markers that mean the upper dir does not hold the whole change (overlay features berth never turns on). */
const UNSUPPORTED = ['trusted.overlay.redirect', 'trusted.overlay.metacopy'];

export interface DiffOptions {
  upper: string;
  /** The layers under it, top first: a directory's metadata there decides whether it changed. */
  lowerDirs: readonly string[];
  tarPath: string;
  /** Clamp mtimes to this (seconds since the epoch). */
  sourceDateEpoch?: number;
  /** Contents the step wrote from memory, by path relative to the upper dir (used when the size agrees). */
  known?: ReadonlyMap<string, Buffer>;
}

export interface DiffResult {
  /** Undefined when nothing changed: no layer. */
  diffId?: string;
  /** Bytes of the tar. */
  size: number;
  entries: number;
}

const byBytes = (a: string, b: string): number => Buffer.compare(Buffer.from(a), Buffer.from(b));

/** The first lower that has `rel`: its stat, or undefined (absent or whited out). */
async function lowerStat(lowerDirs: readonly string[], rel: string): Promise<Stats | undefined> {
  for (const dir of lowerDirs) {
    const st = await fs.lstat(path.join(dir, rel)).catch(() => undefined);
    if (!st) continue;
    if (st.isCharacterDevice() && st.rdev === 0) return undefined;
    return st;
  }
  return undefined;
}

const keptXattrs = (all: Record<string, Buffer> | undefined): Record<string, Buffer> | undefined => {
  if (!all) return undefined;
  const kept = Object.entries(all).filter(([k]) => !k.startsWith('trusted.overlay.'));
  return kept.length > 0 ? Object.fromEntries(kept) : undefined;
};

export async function diffUpper(o: DiffOptions): Promise<DiffResult> {
  const xattrs = await treeXattrs(o.upper);
  for (const [rel, attrs] of xattrs) {
    const bad = UNSUPPORTED.find((k) => k in attrs);
    if (bad) throw new XattrError(`the layer's upper dir has ${bad} on ${rel}: overlayfs redirect_dir/metacopy must be off for builds`);
  }
  const clamp = (mtime: number): number => (o.sourceDateEpoch !== undefined ? Math.min(mtime, o.sourceDateEpoch) : mtime);
  const links = new Map<string, string>();

  const visit = async (rel: string): Promise<TarWriteEntry[]> => {
    const abs = rel === '.' ? o.upper : path.join(o.upper, rel);
    const names = (await fs.readdir(abs)).sort(byBytes);
    const out: TarWriteEntry[] = [];
    for (const name of names) {
      const childRel = rel === '.' ? name : `${rel}/${name}`;
      const childAbs = path.join(abs, name);
      const st = lstatSync(childAbs);
      const mtime = clamp(Math.floor(st.mtimeMs / 1000));
      const base = { mode: st.mode & 0o7777, uid: st.uid, gid: st.gid, mtime };
      const attrs = xattrs.get(childRel);
      const kept = keptXattrs(attrs);
      if (st.isCharacterDevice() && st.rdev === 0) {
        out.push({ path: rel === '.' ? `.wh.${name}` : `${rel}/.wh.${name}`, type: 'file', mode: 0, uid: st.uid, gid: st.gid, mtime, body: '' });
        continue;
      }
      if (st.isDirectory()) {
        const opaque = attrs?.[OPAQUE]?.toString() === 'y';
        const children = await visit(childRel);
        let keep = children.length > 0 || opaque || kept !== undefined;
        if (!keep) {
          const below = await lowerStat(o.lowerDirs, childRel);
          keep = !below || !below.isDirectory() || (below.mode & 0o7777) !== base.mode || below.uid !== st.uid || below.gid !== st.gid;
        }
        if (!keep) continue;
        out.push({ path: `${childRel}/`, type: 'directory', ...base, ...(kept ? { xattrs: kept } : {}) });
        if (opaque) out.push({ path: `${childRel}/.wh..wh..opq`, type: 'file', ...base, body: '' });
        out.push(...children);
        continue;
      }
      const common = { path: childRel, ...base, ...(kept ? { xattrs: kept } : {}) };
      if (st.isSymbolicLink()) {
        out.push({ ...common, type: 'symlink', linkpath: await fs.readlink(childAbs) });
      } else if (st.isFile()) {
        const inode = `${st.dev}:${st.ino}`;
        const first = st.nlink > 1 ? links.get(inode) : undefined;
        if (first !== undefined) {
          out.push({ ...common, type: 'hardlink', linkpath: first });
        } else {
          if (st.nlink > 1) links.set(inode, childRel);
          // Small files are read in one synchronous call when the writer reaches them: a stream each costs more than the file.
          const known = o.known?.get(childRel);
          out.push({ ...common, type: 'file', size: st.size, body: known?.length === st.size ? known : st.size <= SMALL_FILE ? () => [readFileSync(childAbs)] : () => createReadStream(childAbs) });
        }
      } else if (st.isFIFO()) {
        out.push({ ...common, type: 'fifo' });
      } else if (st.isCharacterDevice() || st.isBlockDevice()) {
        out.push({ ...common, type: st.isCharacterDevice() ? 'char' : 'block', devmajor: Math.floor(st.rdev / 256) & 0xfff, devminor: (st.rdev & 0xff) | ((st.rdev >> 12) & 0xfff00) });
      }
      // Sockets cannot be archived: left out, as tar does.
    }
    return out;
  };

  const entries = await visit('.');
  if (entries.length === 0) return { size: 0, entries: 0 };
  const hash = createHash('sha256');
  const handle = await fs.open(o.tarPath, 'w', 0o644);
  let size = 0;
  try {
    // Chunks are gathered into writes of ~1 MiB: one write per tar block would cost a call each.
    let pending: Buffer[] = [];
    let pendingBytes = 0;
    const flush = async (): Promise<void> => {
      if (pendingBytes === 0) return;
      await handle.write(Buffer.concat(pending, pendingBytes));
      pending = [];
      pendingBytes = 0;
    };
    for await (const chunk of writeTar(entries)) {
      hash.update(chunk);
      size += chunk.length;
      pending.push(chunk);
      pendingBytes += chunk.length;
      if (pendingBytes >= 1 << 20) await flush();
    }
    await flush();
  } finally {
    await handle.close();
  }
  return { diffId: `sha256:${hash.digest('hex')}`, size, entries: entries.length };
}

/** Where runc and the step's mounts put their mount points, besides the step's own mount targets. */
export const RUNTIME_MOUNT_POINTS = ['/proc', '/sys', '/dev', '/etc/hosts', '/etc/hostname', '/etc/resolv.conf'];

/**
 * Removes from a RUN's upper dir the mount points runc had to create (an empty file or directory
 * that no layer below has: /etc/hosts, a cache mount's target …) and the parents made only for
 * them, so the layer holds what the command wrote and nothing the sandbox needed, as BuildKit's.
 */
export async function removeMountStubs(upper: string, lowerDirs: readonly string[], targets: readonly string[]): Promise<void> {
  for (const target of [...new Set(targets)].sort((a, b) => b.length - a.length)) {
    let rel = target.replace(/^\/+|\/+$/g, '');
    while (rel !== '' && rel !== '.') {
      const abs = path.join(upper, rel);
      const st = await fs.lstat(abs).catch(() => undefined);
      if (!st || (await lowerStat(lowerDirs, rel))) break;
      const empty = st.isDirectory() ? (await fs.readdir(abs)).length === 0 : st.isFile() && st.size === 0;
      if (!empty) break;
      await fs.rm(abs, { recursive: true, force: true });
      rel = path.posix.dirname(rel);
    }
  }
}
