// A container's init layer: the read-only layer dockerd puts between a container's own (upper)
// layer and its image (moby daemon/initlayer). It holds what every container has whatever its
// image: /.dockerenv (programs test for it to know they run in a container), /etc/mtab →
// /proc/mounts, and the mount points of the files and directories the runtime mounts over
// (/etc/hosts, /etc/hostname, /etc/resolv.conf, /proc, /sys, /dev/pts, /dev/shm, /dev/console).
// With them here, runc never creates them in the upper dir, so `docker diff`, `docker commit`
// and `ps -s` see only what the container itself changed.

import { lstat, mkdir, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';

const ENTRIES: readonly (readonly [string, 'dir' | 'file' | { link: string }])[] = [
  ['dev/pts', 'dir'],
  ['dev/shm', 'dir'],
  ['proc', 'dir'],
  ['sys', 'dir'],
  ['.dockerenv', 'file'],
  ['etc/resolv.conf', 'file'],
  ['etc/hosts', 'file'],
  ['etc/hostname', 'file'],
  ['dev/console', 'file'],
  ['etc/mtab', { link: '/proc/mounts' }],
];

async function exists(p: string): Promise<boolean> {
  return lstat(p).then(
    () => true,
    () => false,
  );
}

/** Makes the init layer at `dir` (idempotent: what exists is kept). */
export async function ensureInitLayer(dir: string): Promise<void> {
  for (const [rel, kind] of ENTRIES) {
    const p = path.join(dir, rel);
    if (await exists(p)) continue;
    await mkdir(path.dirname(p), { recursive: true, mode: 0o755 });
    if (kind === 'dir') await mkdir(p, { recursive: true, mode: 0o755 });
    else if (kind === 'file') await writeFile(p, '', { mode: 0o755 });
    else await symlink(kind.link, p);
  }
}
