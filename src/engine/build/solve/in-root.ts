// Paths inside a root filesystem being built, resolved as if the root were `/`: symlinks met on
// the way are followed inside it (an absolute target restarts at the root, `..` stops there), so
// a hostile image or context (`app -> /etc`, `../../..`) can never make a copy read or write
// outside the root. The final component is never followed: it is what gets replaced.
import fs from 'node:fs/promises';
import path from 'node:path';
import { BerthError } from '../../../errors.js';

export class InRootError extends BerthError {}

const MAX_HOPS = 255;

export interface ResolveOptions {
  /** Create missing directories (with this owner and mode) instead of failing. */
  create?: { uid: number; gid: number; mode: number };
  /** Also follow the last component when it is a symlink (source roots: BuildKit follows them). */
  followLast?: boolean;
}

/** Components of `p` (absolute or relative to the root), `.` and empty ones dropped; `..` kept for the walk. */
export function splitPath(p: string): string[] {
  return p.split('/').filter((c) => c !== '' && c !== '.');
}

/**
 * The host path of `p` in `root`, parents resolved in-root. Returns undefined when a parent is
 * missing (and `create` is not given). A parent that exists and is not a directory throws.
 */
export async function resolveInRoot(root: string, p: string, opts: ResolveOptions = {}): Promise<string | undefined> {
  const resolved: string[] = [];
  const pending = splitPath(p);
  let hops = 0;
  while (pending.length > 0) {
    const part = pending.shift()!;
    if (part === '..') {
      resolved.pop();
      continue;
    }
    const last = pending.length === 0;
    const here = path.join(root, ...resolved, part);
    const st = await fs.lstat(here).catch((e: NodeJS.ErrnoException) => {
      if (e.code === 'ENOENT') return undefined;
      throw e;
    });
    if (last && !opts.followLast) {
      resolved.push(part);
      break;
    }
    if (!st) {
      if (last) {
        resolved.push(part);
        break;
      }
      if (!opts.create) return undefined;
      await fs.mkdir(here, { mode: opts.create.mode });
      await fs.chown(here, opts.create.uid, opts.create.gid);
      await fs.chmod(here, opts.create.mode);
      resolved.push(part);
      continue;
    }
    if (st.isSymbolicLink()) {
      if (++hops > MAX_HOPS) throw new InRootError(`${p}: too many levels of symbolic links`);
      const target = await fs.readlink(here);
      if (target.startsWith('/')) resolved.length = 0;
      pending.unshift(...target.split('/').filter((c) => c !== '' && c !== '.'));
      continue;
    }
    if (!last && !st.isDirectory()) throw new InRootError(`${p}: /${[...resolved, part].join('/')} is not a directory`);
    resolved.push(part);
  }
  return path.join(root, ...resolved);
}
