// An image archive (docker save / OCI layout) unpacked to a work dir so its files can be read in
// any order: archives list blobs before or after the manifests that name them. Only regular files
// are kept; symlinks and hardlinks (docker save 25+ links legacy `<id>/layer.tar` to blobs) are
// followed inside the archive, and a path climbing out of it is refused.
import { createReadStream } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { ImageError } from './errors.js';
import { cleanArchivePath } from './extract.js';
import { readTar, type ByteSource } from '../../lib/tar.js';

/** The regular files of an archive, spooled to disk, addressable by clean path (symlinks followed inside the archive). */
export interface SpooledFiles {
  has(p: string): boolean;
  read(p: string): Promise<Buffer>;
  open(p: string): ByteSource;
}

/** Limit for JSON documents read whole (manifests, configs, indexes). */
const MAX_JSON = 64 << 20;

export async function spoolArchive(archive: ByteSource, work: string): Promise<SpooledFiles> {
  const files = new Map<string, string>();
  const links = new Map<string, string>();
  let n = 0;
  for await (const { header, body } of readTar(archive)) {
    const parts = cleanArchivePath(header.path, 'archive entry');
    const key = parts.join('/');
    if (header.type === 'file') {
      const file = path.join(work, String(n++));
      const handle = await fs.open(file, 'wx', 0o600);
      try {
        for await (const piece of body) await handle.write(piece);
      } finally {
        await handle.close();
      }
      files.set(key, file);
      links.delete(key);
    } else if (header.type === 'symlink' || header.type === 'hardlink') {
      // docker save (25+) links legacy `<id>/layer.tar` paths to blobs; keep them as archive-relative paths.
      const base = header.type === 'symlink' && !header.linkpath.startsWith('/') ? [...parts.slice(0, -1), header.linkpath].join('/') : header.linkpath;
      links.set(key, cleanArchivePath(base, `archive link ${JSON.stringify(header.path)}`).join('/'));
    }
  }
  const locate = (p: string): string | undefined => {
    let key = cleanArchivePath(p, 'archive path').join('/');
    for (let hops = 0; hops < 40; hops++) {
      const file = files.get(key);
      if (file) return file;
      const next = links.get(key);
      if (next === undefined) return undefined;
      key = next;
    }
    return undefined;
  };
  const must = (p: string): string => {
    const file = locate(p);
    if (!file) throw new ImageError('invalid', `the archive has no file ${JSON.stringify(p)}`);
    return file;
  };
  return {
    has: (p) => locate(p) !== undefined,
    read: async (p) => {
      const file = must(p);
      if ((await fs.stat(file)).size > MAX_JSON) throw new ImageError('invalid', `${p} is too large for a JSON document`);
      return fs.readFile(file);
    },
    open: (p) => createReadStream(must(p)),
  };
}
