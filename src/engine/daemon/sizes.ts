// `docker ps -s` / `docker inspect -s`: SizeRw is what the container wrote (its upper dir), SizeRootFs
// that plus its image. Counted as moby's pkg/directory counts: regular files only, a hard-linked
// inode once, directories and zero-size entries (whiteouts) nothing.

import { lstat, readdir } from 'node:fs/promises';
import path from 'node:path';
import type { ContainerRecord } from '../container/record.js';
import type { EngineCore } from './core.js';

/** Bytes of the files under `dir` (0 when it does not exist). */
export async function directorySize(dir: string): Promise<number> {
  const seen = new Set<string>();
  let total = 0;
  const walk = async (d: string): Promise<void> => {
    let entries;
    try {
      entries = await readdir(d, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) {
        await walk(p);
        continue;
      }
      const st = await lstat(p).catch(() => undefined);
      if (!st || st.size === 0) continue;
      const key = `${st.dev}:${st.ino}`;
      if (st.nlink > 1) {
        if (seen.has(key)) continue;
        seen.add(key);
      }
      total += st.size;
    }
  };
  await walk(dir);
  return total;
}

export async function containerSizes(core: EngineCore, rec: ContainerRecord): Promise<{ SizeRw: number; SizeRootFs: number }> {
  const rw = await directorySize(core.paths(rec.id).upper);
  const image = await core.store.get(rec.image).then((i) => i.size, () => 0);
  return { SizeRw: rw, SizeRootFs: rw + image };
}
