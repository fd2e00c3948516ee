// What a COPY/ADD source stands for, as entries to write: a selection of the build context (the
// walker already applied .dockerignore and --exclude), or a path in another stage's or image's
// root (a read-only view), matched with filepath.Match wildcards per component, its root
// followed through symlinks in-root as BuildKit does, its content never followed.
import { lstatSync } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import type { ContextEntry } from '../context/digest.js';
import { ContextError } from '../context/errors.js';
import { hasWildcard, matchPath } from '../context/glob.js';
import { IgnoreMatcher } from '../context/ignore.js';
import type { CopyItem } from './copy-write.js';
import { resolveInRoot, splitPath } from './in-root.js';

/** One matched source root and what is under it. */
export interface SourceTree {
  /** The root's base name: the file name when a file is copied into a directory. */
  name: string;
  isDir: boolean;
  /** Host path of the root (for archive detection). */
  host: string;
  /** The root's path relative to where it was taken from (COPY --parents keeps it). */
  path: string;
  items: CopyItem[];
}

const mtimeOf = (abs: string): number => {
  try {
    return Math.floor(lstatSync(abs).mtimeMs / 1000);
  } catch {
    return 0;
  }
};

/** How COPY reads context files: from a directory, or (an archive held in memory) by path. */
export type ContextFiles = { dir: string } | { source(rel: string): { data: Buffer; mtime: number } | { path: string; mtime: number } | undefined };

/** A context selection's root and the entries under it, as items (owned by root, as Docker does). */
export async function contextTree(files: ContextFiles, root: string, entries: readonly ContextEntry[]): Promise<SourceTree> {
  const contextDir = 'dir' in files ? files.dir : '';
  const under = (p: string): boolean => root === '.' || p === root || p.startsWith(`${root}/`);
  const mine = entries.filter((e) => under(e.path));
  const items = await Promise.all(
    mine.map(async (e): Promise<CopyItem> => {
      const rel = e.path === root ? '' : root === '.' ? e.path : e.path.slice(root.length + 1);
      const type = e.type === 'dir' ? 'dir' : e.type === 'symlink' ? 'symlink' : 'file';
      const base = { rel, type, mode: e.mode, uid: 0, gid: 0, ...(e.linkTarget !== undefined ? { linkTarget: e.linkTarget } : {}) } as const;
      if (!('dir' in files)) {
        const src = type === 'file' ? files.source(e.path) : undefined;
        if (!src) return { ...base, mtime: 0 };
        return 'data' in src ? { ...base, mtime: src.mtime, data: src.data } : { ...base, mtime: src.mtime, source: src.path, size: e.size };
      }
      const abs = path.join(contextDir, e.path);
      return { ...base, mtime: mtimeOf(abs), ...(type === 'file' ? { source: abs, size: e.size } : {}) };
    }),
  );
  const top = mine.find((e) => e.path === root);
  return {
    name: root === '.' ? '.' : path.posix.basename(root),
    isDir: top?.type === 'dir',
    host: 'dir' in files ? path.join(contextDir, root) : root,
    path: root,
    items: items.filter((i) => i.type === 'dir' || i.type === 'file' || i.type === 'symlink').sort((a, b) => (a.rel < b.rel ? -1 : a.rel > b.rel ? 1 : 0)),
  };
}

/** Every path under `root` (a host dir) as items, owners and modes kept. */
async function walkHost(root: string, excludes: IgnoreMatcher | undefined): Promise<CopyItem[]> {
  const out: CopyItem[] = [];
  const visit = async (rel: string): Promise<void> => {
    const abs = rel === '' ? root : path.join(root, rel);
    const st = lstatSync(abs);
    const base = { rel, mode: st.mode & 0o7777, uid: st.uid, gid: st.gid, mtime: Math.floor(st.mtimeMs / 1000) };
    if (rel !== '' && excludes?.ignores(rel)) return;
    if (st.isDirectory()) {
      out.push({ ...base, type: 'dir' });
      for (const name of (await fs.readdir(abs)).sort()) await visit(rel === '' ? name : `${rel}/${name}`);
    } else if (st.isSymbolicLink()) out.push({ ...base, type: 'symlink', linkTarget: await fs.readlink(abs) });
    else if (st.isFile()) out.push({ ...base, type: 'file', source: abs, size: st.size });
    // Devices, FIFOs and whiteouts of a plain layer dir are not copied.
  };
  await visit('');
  return out;
}

/**
 * A path (maybe with wildcards) in a stage's or image's root → the trees it names. A missing
 * path throws a ContextError naming `what` and the source as written.
 */
export async function viewTrees(viewRoot: string, source: string, what: string, excludes: readonly string[]): Promise<SourceTree[]> {
  const parts = splitPath(source);
  let candidates: string[] = [''];
  for (const part of parts) {
    const next: string[] = [];
    for (const c of candidates) {
      if (!hasWildcard(part)) {
        next.push(c === '' ? part : `${c}/${part}`);
        continue;
      }
      const host = await resolveInRoot(viewRoot, c, { followLast: true });
      const names = host ? await fs.readdir(host).catch(() => [] as string[]) : [];
      for (const n of names.sort()) if (matchPath(part, n)) next.push(c === '' ? n : `${c}/${n}`);
    }
    candidates = next;
  }
  const matcher = excludes.length > 0 ? new IgnoreMatcher({ patterns: excludes.map((pattern, i) => ({ pattern, line: i + 1 })) }) : undefined;
  const trees: SourceTree[] = [];
  for (const rel of candidates) {
    const host = await resolveInRoot(viewRoot, rel, { followLast: true });
    const st = host ? await fs.lstat(host).catch(() => undefined) : undefined;
    if (!host || !st) continue;
    trees.push({ name: rel === '' ? '.' : path.posix.basename(rel), isDir: st.isDirectory(), host, path: rel || '.', items: await walkHost(host, matcher) });
  }
  if (trees.length === 0) throw new ContextError('not-found', `${what} source ${JSON.stringify(`/${parts.join('/')}`)} not found`, 'check the path in the stage or image it is copied from');
  return trees;
}
