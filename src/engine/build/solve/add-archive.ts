// ADD's local archives: a tar (plain, gzip, bzip2 or xz — recognised by content, as Docker does,
// not by name) is unpacked into the destination instead of copied. Entries are written with
// copy-write's confined writer, so an archive that climbs out (`../x`, absolute paths, a
// symlink then a file through it) stays inside the root; owners come from the archive.
import { spawn } from 'node:child_process';
import { createReadStream } from 'node:fs';
import fs from 'node:fs/promises';
import { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { BerthError } from '../../../errors.js';
import { readTar } from '../../../lib/tar.js';
import { writeItems, type CopyItem, type WriteOptions } from './copy-write.js';
import { resolveInRoot, splitPath } from './in-root.js';

export type ArchiveKind = 'tar' | 'gzip' | 'bzip2' | 'xz';

export class ArchiveError extends BerthError {}

/** The archive format of a file by its first bytes, or undefined when it is not one ADD unpacks. */
export async function archiveKind(file: string | Buffer): Promise<ArchiveKind | undefined> {
  if (Buffer.isBuffer(file)) return kindOf(file.subarray(0, 262));
  const handle = await fs.open(file, 'r');
  try {
    const head = Buffer.alloc(262);
    const { bytesRead } = await handle.read(head, 0, head.length, 0);
    return kindOf(head.subarray(0, bytesRead));
  } finally {
    await handle.close();
  }
}

function kindOf(b: Buffer): ArchiveKind | undefined {
  if (b.length >= 2 && b[0] === 0x1f && b[1] === 0x8b) return 'gzip';
  if (b.length >= 3 && b.toString('latin1', 0, 3) === 'BZh') return 'bzip2';
  if (b.length >= 6 && b.subarray(0, 6).equals(Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]))) return 'xz';
  if (b.length >= 262 && b.toString('latin1', 257, 262) === 'ustar') return 'tar';
  return undefined;
}

function decompressed(file: string | Buffer, kind: ArchiveKind): Readable {
  const raw = Buffer.isBuffer(file) ? Readable.from([file]) : createReadStream(file);
  if (kind === 'tar') return raw;
  if (kind === 'gzip') return raw.pipe(createGunzip());
  const child = spawn(kind, ['-dc'], { stdio: ['pipe', 'pipe', 'ignore'] });
  child.on('error', (e) => child.stdout.destroy(new ArchiveError(`cannot run ${kind} to unpack the archive: ${e.message} (apt-get install ${kind === 'xz' ? 'xz-utils' : 'bzip2'})`)));
  raw.pipe(child.stdin);
  child.stdin.on('error', () => undefined);
  return child.stdout;
}

/** Unpacks `file` into the directory `dest` of `root`. */
export async function unpackArchive(root: string, dest: string, file: string | Buffer, kind: ArchiveKind, o: WriteOptions): Promise<void> {
  const items: CopyItem[] = [{ rel: '', type: 'dir', mode: 0o755, uid: 0, gid: 0, mtime: 0 }];
  const hardlinks: { rel: string; target: string }[] = [];
  try {
    for await (const { header: h, body } of readTar(decompressed(file, kind))) {
      const parts: string[] = [];
      for (const c of splitPath(h.path)) {
        if (c === '..') {
          if (parts.length === 0) throw new ArchiveError(`ADD: archive entry ${JSON.stringify(h.path)} climbs out of the destination`);
          parts.pop();
        } else parts.push(c);
      }
      const rel = parts.join('/');
      if (rel === '') continue;
      const base = { rel, mode: h.mode, uid: h.uid, gid: h.gid, mtime: h.mtime };
      if (h.type === 'directory') items.push({ ...base, type: 'dir' });
      else if (h.type === 'symlink') items.push({ ...base, type: 'symlink', linkTarget: h.linkpath });
      else if (h.type === 'file') {
        const chunks: Buffer[] = [];
        for await (const c of body) chunks.push(c);
        items.push({ ...base, type: 'file', data: Buffer.concat(chunks) });
      } else if (h.type === 'hardlink') hardlinks.push({ rel, target: h.linkpath });
      // Devices and FIFOs in an ADDed archive are skipped.
    }
  } catch (e) {
    if (e instanceof ArchiveError) throw e;
    throw new ArchiveError(`ADD: cannot unpack the archive: ${(e as Error).message}`);
  }
  // Parents before children, last entry of a name wins.
  const byRel = new Map(items.map((i) => [i.rel, i]));
  await writeItems(root, dest, [...byRel.values()].sort((a, b) => (a.rel < b.rel ? -1 : a.rel > b.rel ? 1 : 0)), o);
  for (const l of hardlinks) {
    const target = await resolveInRoot(root, `${dest}/${splitPath(l.target).filter((c) => c !== '..').join('/')}`);
    const at = await resolveInRoot(root, `${dest}/${l.rel}`, { create: { ...o.parentOwner, mode: 0o755 } });
    if (!target || !at) continue;
    await fs.rm(at, { force: true, recursive: true });
    await fs.link(target, at).catch(() => undefined);
  }
}
