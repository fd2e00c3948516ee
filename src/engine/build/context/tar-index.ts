// A context tar (POST /build) read into memory rather than onto disk: the walker indexes and hashes
// it from there (walkTree), so a build whose steps all come from the cache writes no file at all —
// a 2,000-file context cost ~2 s to extract here, against ~0.1 s to read. Files above `spoolAbove`
// go to disk as they arrive (memory stays bounded); the whole context is written out only when a
// step reads it (COPY, a bind mount), once. Entry paths are confined as extractContextTar confines
// them: absolute paths, `..`, entries under a symlink and hardlinks to anything but an earlier
// file reject the archive; devices and FIFOs are skipped with a warning.
import { randomBytes } from 'node:crypto';
import { closeSync, constants as fsc, futimesSync, openSync, writeSync } from 'node:fs';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Warning } from '../../../errors.js';
import { maybeGunzip, readTar, type ByteSource } from '../../../lib/tar.js';
import { finishDigest, startFileDigest, type EntryMeta } from './digest.js';
import { ContextError } from './errors.js';
import { NO_RULES, parseIgnoreFile, type IgnoreRules } from './ignore.js';
import { entryPath } from './tar.js';
import type { TreeSource, TreeStat } from './walk.js';

interface Node extends TreeStat {
  mtime: number;
  data?: Buffer;
  /** A spooled big file: its path on disk, and the digest taken as it streamed (with this meta). */
  spooled?: { file: string; digest: string; meta: string };
  linkTarget?: string;
  children?: Set<string>;
}

export interface TarContext {
  tree: TreeSource;
  /** `<dockerfile>.dockerignore` if the archive has it, else `.dockerignore`. */
  ignoreRules(dockerfile?: string): IgnoreRules;
  bytes: number;
  warnings: Warning[];
  /** A regular file's content (the Dockerfile), or undefined. */
  file(rel: string): Promise<Buffer | undefined>;
  /** Where a COPY reads a regular file from: its bytes in memory, or its spool file; and its mtime. */
  source(rel: string): { data: Buffer; mtime: number } | { path: string; mtime: number } | undefined;
  /** The context as a directory (written out on the first call). */
  directory(): Promise<string>;
  cleanup(): Promise<void>;
}

export interface TarContextOptions {
  tmpRoot?: string;
  /** Refuse archives whose file bodies add up to more. */
  maxBytes?: number;
  /** Files larger than this are spooled to disk as they arrive (default 1 MiB). */
  spoolAbove?: number;
}

const metaKey = (m: { mode: number; uid: number; gid: number }): string => `${m.mode}:${m.uid}:${m.gid}`;
const KIND: Record<string, string> = { char: 'character-device', block: 'block-device' };

export async function readContextTar(source: ByteSource, opts: TarContextOptions = {}): Promise<TarContext> {
  const base = await fs.mkdtemp(path.join(opts.tmpRoot ?? os.tmpdir(), 'berth-context-'));
  const spoolAbove = opts.spoolAbove ?? 1 << 20;
  const nodes = new Map<string, Node>([['.', { type: 'dir', mode: 0o755, uid: 0, gid: 0, size: 0, mtime: 0, children: new Set() }]]);
  const warnings: Warning[] = [];
  let bytes = 0;
  let spoolSeq = 0;

  const parentOf = (rel: string): string => (rel.includes('/') ? rel.slice(0, rel.lastIndexOf('/')) : '.');
  const remove = (rel: string): void => {
    const n = nodes.get(rel);
    if (!n) return;
    for (const c of n.children ?? []) remove(rel === '.' ? c : `${rel}/${c}`);
    nodes.delete(rel);
    nodes.get(parentOf(rel))?.children?.delete(path.posix.basename(rel));
  };
  /** The parent directories of `rel`, made where missing; an existing non-directory refuses the archive. */
  const ensureParents = (rel: string): void => {
    const parts = rel.split('/').slice(0, -1);
    let cur = '.';
    for (const p of parts) {
      const next = cur === '.' ? p : `${cur}/${p}`;
      const n = nodes.get(next);
      if (n && n.type !== 'dir') {
        throw new ContextError('escape', `build context archive writes ${JSON.stringify(rel)} through ${n.type === 'symlink' ? 'a symlink' : 'a file'}`, 'an archive may not place entries under a symlink');
      }
      if (!n) {
        nodes.set(next, { type: 'dir', mode: 0o755, uid: 0, gid: 0, size: 0, mtime: 0, children: new Set() });
        nodes.get(cur)!.children!.add(p);
      }
      cur = next;
    }
  };
  const put = (rel: string, node: Node): void => {
    const old = nodes.get(rel);
    if (old && !(old.type === 'dir' && node.type === 'dir')) remove(rel);
    if (old?.type === 'dir' && node.type === 'dir') node.children = old.children;
    nodes.set(rel, node);
    nodes.get(parentOf(rel))!.children!.add(path.posix.basename(rel));
  };

  try {
    for await (const { header: h, body } of readTar(maybeGunzip(source))) {
      const rel = entryPath(h.path);
      const drain = async (): Promise<void> => {
        for await (const _ of body) void _;
      };
      if (rel === undefined) {
        if (h.type === 'directory') Object.assign(nodes.get('.')!, { mode: h.mode & 0o7777, uid: h.uid, gid: h.gid, mtime: h.mtime });
        await drain();
        continue;
      }
      ensureParents(rel);
      const meta = { mode: h.mode & 0o7777, uid: h.uid, gid: h.gid, mtime: h.mtime, size: 0 };
      switch (h.type) {
        case 'file': {
          bytes += h.size;
          if (opts.maxBytes !== undefined && bytes > opts.maxBytes) throw new ContextError('invalid', `build context archive is larger than ${opts.maxBytes} bytes`);
          if (h.size <= spoolAbove) {
            const chunks: Buffer[] = [];
            for await (const c of body) chunks.push(c);
            put(rel, { ...meta, type: 'file', size: h.size, data: Buffer.concat(chunks) });
          } else {
            const file = path.join(base, `spool-${++spoolSeq}`);
            const hash = startFileDigest({ type: 'file', mode: meta.mode, uid: meta.uid, gid: meta.gid });
            const handle = await fs.open(file, 'wx', 0o600);
            try {
              for await (const c of body) {
                hash.update(c);
                await handle.write(c);
              }
            } finally {
              await handle.close();
            }
            put(rel, { ...meta, type: 'file', size: h.size, spooled: { file, digest: finishDigest(hash), meta: metaKey(meta) } });
          }
          break;
        }
        case 'directory':
          put(rel, { ...meta, type: 'dir', children: new Set() });
          await drain();
          break;
        case 'symlink':
          put(rel, { ...meta, type: 'symlink', linkTarget: h.linkpath });
          await drain();
          break;
        case 'hardlink': {
          const target = entryPath(h.linkpath);
          const t = target === undefined ? undefined : nodes.get(target);
          if (!t || t.type !== 'file') {
            throw new ContextError('escape', `build context archive links ${JSON.stringify(rel)} to ${JSON.stringify(h.linkpath)}, which is not a file of the archive`);
          }
          put(rel, { ...t, ...meta, type: 'file', size: t.size });
          await drain();
          break;
        }
        default:
          warnings.push({ message: `build context archive: ${rel} is a ${KIND[h.type] ?? h.type}; skipped` });
          await drain();
      }
    }
  } catch (e) {
    await fs.rm(base, { recursive: true, force: true });
    if (e instanceof ContextError) throw e;
    throw new ContextError('invalid', `cannot read the build context archive: ${(e as Error).message}`, undefined, { cause: e });
  }

  const tree: TreeSource = {
    stat: (rel) => {
      const n = nodes.get(rel);
      return n ? { type: n.type, mode: n.mode, uid: n.uid, gid: n.gid, size: n.size } : undefined;
    },
    readdir: async (rel) => [...(nodes.get(rel)?.children ?? [])],
    readlink: async (rel) => nodes.get(rel)?.linkTarget ?? '',
    fileDigest: (rel, meta: EntryMeta) => {
      const n = nodes.get(rel)!;
      if (n.spooled && n.spooled.meta === metaKey(meta)) return n.spooled.digest;
      if (n.spooled) throw new ContextError('io', `${rel}: metadata changed after spooling`);
      return finishDigest(startFileDigest(meta).update(n.data ?? Buffer.alloc(0)));
    },
  };

  let written: Promise<string> | undefined;
  const writeOut = async (): Promise<string> => {
    const dir = path.join(base, `ctx-${randomBytes(4).toString('hex')}`);
    await fs.mkdir(dir, { mode: 0o700 });
    // Parents before children; files written with a few synchronous calls each. Modes and owners
    // stay the archive's in the index (disk files are 0600, dirs 0755): the walker never reads them here.
    const dirs: [string, number][] = [];
    for (const rel of [...nodes.keys()].sort()) {
      if (rel === '.') continue;
      const n = nodes.get(rel)!;
      const abs = path.join(dir, rel);
      if (n.type === 'dir') {
        await fs.mkdir(abs, { mode: 0o755 });
        dirs.push([abs, n.mtime]);
      } else if (n.type === 'symlink') {
        await fs.symlink(n.linkTarget ?? '', abs);
      } else if (n.spooled) {
        await fs.link(n.spooled.file, abs).catch(() => fs.copyFile(n.spooled!.file, abs));
        await fs.utimes(abs, n.mtime, n.mtime);
      } else {
        const fd = openSync(abs, fsc.O_WRONLY | fsc.O_CREAT | fsc.O_EXCL | fsc.O_NOFOLLOW, 0o600);
        try {
          if (n.data && n.data.length > 0) writeSync(fd, n.data);
          futimesSync(fd, n.mtime, n.mtime);
        } finally {
          closeSync(fd);
        }
      }
    }
    return dir;
  };

  const fileText = (rel: string): string | undefined => {
    const n = nodes.get(rel);
    return n?.type === 'file' && n.data ? n.data.toString('utf8') : undefined;
  };
  return {
    tree,
    ignoreRules: (dockerfile) => {
      for (const rel of [...(dockerfile ? [`${path.posix.normalize(dockerfile)}.dockerignore`] : []), '.dockerignore']) {
        const text = fileText(rel);
        if (text !== undefined) return parseIgnoreFile(text, rel);
      }
      return NO_RULES;
    },
    bytes,
    warnings,
    file: async (rel) => {
      const n = nodes.get(path.posix.normalize(rel.replace(/^\/+/, '')));
      if (n?.type !== 'file') return undefined;
      return n.data ?? (n.spooled ? fs.readFile(n.spooled.file) : Buffer.alloc(0));
    },
    source: (rel) => {
      const n = nodes.get(rel);
      if (n?.type !== 'file') return undefined;
      return n.spooled ? { path: n.spooled.file, mtime: n.mtime } : { data: n.data ?? Buffer.alloc(0), mtime: n.mtime };
    },
    directory: () => (written ??= writeOut()),
    cleanup: () => fs.rm(base, { recursive: true, force: true }),
  };
}
