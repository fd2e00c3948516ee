// The host side of `cp`: a local path as tar entries (to send into a container), and a container's
// archive written out under a local path (to copy out of one). Entry names are rebased here, so the
// archive's own root (the source's base name) lands where the docker CLI's rules say.
import { chmodSync, chownSync, createReadStream, linkSync, lstatSync, mkdirSync, readdirSync, readlinkSync, rmSync, statSync, symlinkSync, writeFileSync, type Stats } from 'node:fs';
import path from 'node:path';
import { BerthError } from '../errors.js';
import { readTar, type TarWriteEntry } from '../lib/tar.js';

export class CopyError extends BerthError {}

/**
 * Tar entries for `src` (followed when `follow`, else taken as it is), named `root` + their path
 * under it; `root` '' puts a directory's contents at the archive's top.
 */
export function* localEntries(src: string, root: string, o: { follow: boolean }): Generator<TarWriteEntry> {
  const top = o.follow ? statSync(src) : lstatSync(src);
  const name = (rel: string, dir: boolean): string => `${path.posix.join(root, rel) || '.'}${dir ? '/' : ''}`;
  function* walk(abs: string, rel: string, st: Stats): Generator<TarWriteEntry> {
    const base = { mode: st.mode & 0o7777, uid: st.uid, gid: st.gid, mtime: st.mtime };
    if (st.isDirectory()) {
      if (rel !== '' || root !== '') yield { ...base, path: name(rel, true), type: 'directory' };
      for (const child of readdirSync(abs).sort()) yield* walk(path.join(abs, child), path.posix.join(rel, child), lstatSync(path.join(abs, child)));
    } else if (st.isSymbolicLink()) {
      yield { ...base, path: name(rel, false), type: 'symlink', linkpath: readlinkSync(abs) };
    } else if (st.isFile()) {
      yield { ...base, path: name(rel, false), type: 'file', size: st.size, body: () => createReadStream(abs) };
    }
    // Sockets, fifos and devices are left out, as `docker cp` leaves out what it cannot archive.
  }
  yield* walk(src, '', top);
}

/**
 * Writes an archive whose entries all sit under one root (the source's base name) out under
 * `target`: the root itself becomes `target`. Entries outside the root, or climbing out of it, are
 * refused. `owners` keeps the archive's uid/gid (`cp -a`, where the process may chown). Returns
 * the bytes of file content written.
 */
export async function extractUnder(tar: AsyncIterable<Buffer>, target: string, o: { owners: boolean }): Promise<number> {
  let root: string | undefined;
  let bytes = 0;
  const chown = o.owners && process.getuid?.() === 0;
  for await (const entry of readTar(tar)) {
    const parts = path.posix.normalize(entry.header.path).split('/').filter((p) => p !== '' && p !== '.');
    root ??= parts[0] ?? '';
    if (parts.length === 0 ? root !== '' : parts[0] !== root || parts.includes('..')) {
      throw new CopyError(`the container's archive holds ${JSON.stringify(entry.header.path)}, outside ${JSON.stringify(root)}: refused`);
    }
    const dest = path.join(target, ...parts.slice(1));
    const h = entry.header;
    if (h.type === 'directory') {
      mkdirSync(dest, { recursive: true });
      chmodSync(dest, h.mode);
    } else if (h.type === 'file') {
      const chunks: Buffer[] = [];
      for await (const c of entry.body) chunks.push(c);
      rmSync(dest, { force: true });
      writeFileSync(dest, Buffer.concat(chunks), { mode: h.mode });
      chmodSync(dest, h.mode);
      bytes += h.size;
    } else if (h.type === 'symlink') {
      rmSync(dest, { force: true });
      symlinkSync(h.linkpath, dest);
    } else if (h.type === 'hardlink') {
      const linked = path.posix.normalize(h.linkpath).split('/').filter((p) => p !== '' && p !== '.');
      if (linked[0] !== root || linked.includes('..')) throw new CopyError(`the container's archive links ${JSON.stringify(h.path)} outside ${JSON.stringify(root)}: refused`);
      rmSync(dest, { force: true });
      linkSync(path.join(target, ...linked.slice(1)), dest);
    } else {
      continue; // devices and fifos: not made on the host
    }
    if (chown) {
      try {
        chownSync(dest, h.uid, h.gid);
      } catch {
        /* a symlink to nowhere, a filesystem without owners: the content is what was asked */
      }
    }
  }
  return bytes;
}
