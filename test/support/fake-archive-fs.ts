// An in-memory filesystem for a fake container, behind the archive API (HEAD/GET/PUT
// /containers/{id}/archive): stat a path, archive it as the daemon does (its base name as the root
// entry), extract a tar into a directory. Enough for `berth cp` tests: files, directories,
// symlinks, modes and owners; no hard links or devices.
import { posix } from 'node:path';
import { Readable } from 'node:stream';
import { InvalidArgumentError, NotFoundError, type PathStat } from '../../src/engine/backend.js';
import { readTar, writeTar, type TarWriteEntry } from '../../src/lib/tar.js';

export interface FakeNode {
  type: 'file' | 'directory' | 'symlink';
  mode: number;
  uid: number;
  gid: number;
  data?: Buffer;
  linkpath?: string;
}

const DIR_BIT = 2 ** 31;
const LINK_BIT = 2 ** 27;

export class FakeArchiveFs {
  readonly nodes = new Map<string, FakeNode>([['/', { type: 'directory', mode: 0o755, uid: 0, gid: 0 }]]);

  /** `{'/app/a.txt': 'A', '/app/sub/': null, '/app/l': {link: '/app/a.txt'}}`: parents are made as needed. */
  constructor(seed: Record<string, string | null | { link: string }> = {}) {
    for (const [p, v] of Object.entries(seed)) {
      const path = posix.normalize(p.replace(/\/$/, '')) || '/';
      this.mkdirs(posix.dirname(path));
      if (v === null) this.nodes.set(path, { type: 'directory', mode: 0o755, uid: 0, gid: 0 });
      else if (typeof v === 'string') this.nodes.set(path, { type: 'file', mode: 0o644, uid: 0, gid: 0, data: Buffer.from(v) });
      else this.nodes.set(path, { type: 'symlink', mode: 0o777, uid: 0, gid: 0, linkpath: v.link });
    }
  }

  private mkdirs(dir: string): void {
    for (let d = dir; !this.nodes.has(d); d = posix.dirname(d)) this.nodes.set(d, { type: 'directory', mode: 0o755, uid: 0, gid: 0 });
  }

  private node(path: string, id: string): { path: string; node: FakeNode } {
    const p = posix.normalize(path.replace(/(.)\/+$/, '$1'));
    const node = this.nodes.get(p);
    if (!node) throw new NotFoundError(`Could not find the file ${path} in container ${id}`);
    return { path: p, node };
  }

  stat(path: string, id: string): PathStat {
    const { path: p, node } = this.node(path, id);
    const typeBits = node.type === 'directory' ? DIR_BIT : node.type === 'symlink' ? LINK_BIT : 0;
    return { name: posix.basename(p) || '/', size: node.data?.length ?? 0, mode: typeBits + node.mode, mtime: '2024-01-02T03:04:05Z', linkTarget: node.linkpath ?? '' };
  }

  archive(path: string, id: string): Readable {
    const { path: p } = this.node(path, id);
    const base = posix.basename(p) || '.';
    const entries: TarWriteEntry[] = [];
    for (const [q, n] of [...this.nodes].sort(([a], [b]) => (a < b ? -1 : 1))) {
      if (q !== p && !q.startsWith(p === '/' ? '/' : `${p}/`)) continue;
      const rel = q === p ? base : posix.join(base, q.slice(p === '/' ? 1 : p.length + 1));
      entries.push({ path: n.type === 'directory' ? `${rel}/` : rel, type: n.type, mode: n.mode, uid: n.uid, gid: n.gid, ...(n.data ? { body: n.data } : {}), ...(n.linkpath ? { linkpath: n.linkpath } : {}) });
    }
    return Readable.from(writeTar(entries));
  }

  async extract(dir: string, tar: AsyncIterable<Buffer>, id: string, o: { copyUIDGID?: boolean; noOverwriteDirNonDir?: boolean }): Promise<string[]> {
    const { path: root, node } = this.node(dir, id);
    if (node.type !== 'directory') throw new InvalidArgumentError(`extraction point is not a directory`);
    const written: string[] = [];
    for await (const entry of readTar(tar)) {
      const rel = posix.normalize(entry.header.path);
      if (rel.startsWith('..') || posix.isAbsolute(rel)) throw new InvalidArgumentError(`entry ${entry.header.path} escapes the extraction point`);
      const target = posix.join(root, rel).replace(/(.)\/$/, '$1');
      const chunks: Buffer[] = [];
      for await (const c of entry.body) chunks.push(c);
      const type = entry.header.type === 'directory' ? 'directory' : entry.header.type === 'symlink' ? 'symlink' : 'file';
      const existing = this.nodes.get(target);
      if (o.noOverwriteDirNonDir && existing && (existing.type === 'directory') !== (type === 'directory')) {
        throw new InvalidArgumentError(`cannot overwrite ${existing.type === 'directory' ? 'directory' : 'non-directory'} "${target}" with ${type === 'directory' ? 'directory' : 'non-directory'}`);
      }
      this.mkdirs(posix.dirname(target));
      this.nodes.set(target, {
        type,
        mode: entry.header.mode,
        uid: o.copyUIDGID ? entry.header.uid : 0,
        gid: o.copyUIDGID ? entry.header.gid : 0,
        ...(type === 'file' ? { data: Buffer.concat(chunks) } : {}),
        ...(type === 'symlink' ? { linkpath: entry.header.linkpath } : {}),
      });
      written.push(target);
    }
    return written;
  }

  text(path: string): string | undefined {
    return this.nodes.get(path)?.data?.toString('utf8');
  }
}
