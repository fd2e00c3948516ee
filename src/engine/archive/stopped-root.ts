// A stopped container's filesystem for `docker cp`: its overlay mounted where a run would mount it,
// with its volumes and binds bound in at their destinations (as dockerd mounts them for archive
// calls on a stopped container), so a copy reads and writes the same files a run would see.
// tmpfs mounts exist only while the container runs: for a stopped one the path is in the rootfs.

import fs from 'node:fs/promises';
import path from 'node:path';
import { mountRootfs, unmountRootfs } from '../runtime/rootfs.js';
import { resolveInRoot } from './resolve.js';
import { execCommand as run } from '../runtime/spawner.js';


export interface StoppedRootLayout {
  lowerDirs: readonly string[];
  upperDir: string;
  workDir: string;
  target: string;
  binds: readonly { source: string; destination: string; readonly: boolean }[];
}

/** Mounts the root and its binds (parents first); on failure everything is unmounted again. */
export async function mountStoppedRoot(layout: StoppedRootLayout): Promise<() => Promise<void>> {
  await mountRootfs({ lowerDirs: layout.lowerDirs, upperDir: layout.upperDir, workDir: layout.workDir, target: layout.target });
  const unmount = (): Promise<void> => unmountRootfs(layout.target);
  try {
    const binds = [...layout.binds].sort((a, b) => a.destination.split('/').length - b.destination.split('/').length);
    for (const b of binds) {
      // The mount point is made inside the container root, never through a symlink out of it.
      const { hostPath } = await resolveInRoot(layout.target, b.destination);
      const isDir = (await fs.stat(b.source)).isDirectory();
      if (isDir) await fs.mkdir(hostPath, { recursive: true });
      else {
        await fs.mkdir(path.dirname(hostPath), { recursive: true });
        await (await fs.open(hostPath, 'a')).close();
      }
      await run('mount', ['--bind', b.source, hostPath]);
      if (b.readonly) await run('mount', ['-o', 'remount,bind,ro', hostPath]);
    }
  } catch (e) {
    await unmount().catch(() => undefined);
    throw e;
  }
  return unmount;
}
