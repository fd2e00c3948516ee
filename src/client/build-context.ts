// A service's build context as the tar POST /build takes, packed on the client side as the docker
// CLI packs it: the context directory's entries after .dockerignore (the walker's rules, so what
// is sent is what the engine would keep), modes and owners as on disk, symlinks as symlinks. A Dockerfile outside the context, or given inline, is
// added under a name of its own, as the docker CLI does.
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { walkContext } from '../engine/build/index.js';
import { tarStream, type TarWriteEntry } from '../lib/tar.js';

export interface ContextArchive {
  /** Opens the tar stream (once per send). */
  open(): Readable;
  /** The Dockerfile's path inside the tar. */
  dockerfile: string;
  fileCount: number;
  bytes: number;
  warnings: string[];
}

export async function contextArchive(contextDir: string, dockerfile: { file?: string; inline?: string }): Promise<ContextArchive> {
  const root = path.resolve(contextDir);
  const file = dockerfile.file ? path.resolve(root, dockerfile.file) : undefined;
  const inside = file !== undefined && (file.startsWith(`${root}/`) || file === root) ? path.relative(root, file).split(path.sep).join('/') : undefined;
  const index = await walkContext(root, inside ? { dockerfile: inside } : {});
  const entries: TarWriteEntry[] = [];
  for (const e of [...index.entries.values()].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0))) {
    if (e.path === '.') continue;
    const abs = path.join(root, e.path);
    const st = await fs.lstat(abs);
    const base = { mode: e.mode, uid: e.uid, gid: e.gid, mtime: Math.floor(st.mtimeMs / 1000) };
    if (e.type === 'dir') entries.push({ path: `${e.path}/`, type: 'directory', ...base });
    else if (e.type === 'symlink') entries.push({ path: e.path, type: 'symlink', linkpath: e.linkTarget ?? '', ...base });
    else if (e.type === 'file') entries.push({ path: e.path, type: 'file', size: e.size, body: () => createReadStream(abs), ...base });
  }
  let name = inside;
  if (!name) {
    const text = dockerfile.inline ?? (file ? await fs.readFile(file, 'utf8') : undefined);
    if (text === undefined) throw new Error('a build needs a Dockerfile');
    name = `.berth-dockerfile-${createHash('sha256').update(text).digest('hex').slice(0, 12)}`;
    entries.push({ path: name, type: 'file', body: text, mode: 0o644 });
  }
  return { open: () => tarStream(entries), dockerfile: name, fileCount: index.fileCount, bytes: index.totalBytes, warnings: index.warnings.map((w) => w.message) };
}
