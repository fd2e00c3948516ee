// Resolving a path as a container sees it, on the host, without ever leaving the container's root:
// every component is looked up with lstat under `root`; a symlink is expanded in place, absolute
// targets restarting from `root` and `..` clamped at it, exactly as if the process were chrooted
// there (moby's symlink.FollowSymlinkInScope). `root` is the container's root as the host sees it:
// `/proc/<pid>/root` of a running container (its mounts — volumes, binds, tmpfs — included) or the
// engine's own mount of a stopped container's rootfs with its volumes bound in.

import fs from 'node:fs/promises';
import path from 'node:path';

const MAX_SYMLINK_HOPS = 255;

export class PathResolveError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PathResolveError';
  }
}

export interface ResolvedPath {
  /** The host path (under root). */
  hostPath: string;
  /** The same place as an absolute path inside the container, symlinks expanded. */
  containerPath: string;
}

/**
 * Resolves `containerPath` under `root`. Symlinks are followed in every component; the last one
 * too unless `followFinal` is false (then a final symlink is returned as itself, as `docker cp`
 * copies a link, not its target). Components that do not exist are kept as they are.
 */
export async function resolveInRoot(root: string, containerPath: string, options: { followFinal?: boolean } = {}): Promise<ResolvedPath> {
  const followFinal = options.followFinal ?? true;
  const resolved: string[] = [];
  const pending = containerPath.split('/').filter((p) => p !== '' && p !== '.');
  let hops = 0;
  while (pending.length > 0) {
    const part = pending.shift()!;
    if (part === '.' || part === '') continue;
    if (part === '..') {
      resolved.pop();
      continue;
    }
    const here = path.join(root, ...resolved, part);
    if (pending.length === 0 && !followFinal) {
      resolved.push(part);
      break;
    }
    let isLink = false;
    try {
      isLink = (await fs.lstat(here)).isSymbolicLink();
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT' && (e as NodeJS.ErrnoException).code !== 'ENOTDIR') throw e;
    }
    if (!isLink) {
      resolved.push(part);
      continue;
    }
    if (++hops > MAX_SYMLINK_HOPS) throw new PathResolveError(`${containerPath}: too many levels of symbolic links`);
    const target = await fs.readlink(here);
    if (target.startsWith('/')) resolved.length = 0;
    pending.unshift(...target.split('/').filter((p) => p !== '' && p !== '.'));
  }
  return { hostPath: path.join(root, ...resolved), containerPath: `/${resolved.join('/')}` };
}

/** Whether `child` is `parent` or below it (both absolute, normalised). */
export function isWithin(parent: string, child: string): boolean {
  if (parent === '/') return child.startsWith('/');
  return child === parent || child.startsWith(`${parent}/`);
}
