// Disk usage of a directory tree, counted as moby's pkg/directory counts it (`docker ps -s`,
// `system df`, volume sizes): every entry that is not a directory by its lstat size — regular
// files and symlinks; zero-size entries (whiteouts, empty files) nothing — and a hard-linked inode
// once. Missing or vanishing entries count as nothing, so a tree that changes while it is walked
// (a running container's upper dir) still gets an answer; a missing `dir` is 0.
import fs from 'node:fs/promises';
import path from 'node:path';

export async function directorySize(dir: string): Promise<number> {
  const seen = new Set<string>();
  let total = 0;
  const walk = async (d: string): Promise<void> => {
    for (const e of await fs.readdir(d, { withFileTypes: true }).catch(() => [])) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) {
        await walk(p);
        continue;
      }
      const st = await fs.lstat(p).catch(() => undefined);
      if (!st || st.size === 0) continue;
      if (st.nlink > 1) {
        const key = `${st.dev}:${st.ino}`;
        if (seen.has(key)) continue;
        seen.add(key);
      }
      total += st.size;
    }
  };
  await walk(dir);
  return total;
}
