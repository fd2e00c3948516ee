// A build context received as a tar stream (POST /build) → a private temporary directory, then
// the same walker as a directory context. The tar comes from a client we do not trust, so
// entries are confined: an absolute path or a `..` component rejects the archive, nothing is
// ever written through a symlink (parents are checked with lstat, files created O_EXCL and
// O_NOFOLLOW), a hardlink must name a regular file already extracted, devices and FIFOs are
// skipped. Bodies are streamed to disk with back-pressure. The modes and owners the tar gives
// are returned as metadata for the digests rather than applied, so the walker can read every
// file whoever runs it.
import { closeSync, constants as fsc, openSync, writeSync } from 'node:fs';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { maybeGunzip, readTar } from '../../../lib/tar.js';
import type { Warning } from '../../../errors.js';
import { ContextError } from './errors.js';
import type { MetaOverride } from './walk.js';

const SMALL_FILE = 256 * 1024;

export interface ExtractedContext {
  dir: string;
  /** Mode and owner of each entry as the tar recorded them, by relative path. */
  metadata: Map<string, MetaOverride>;
  warnings: Warning[];
  bytes: number;
  /** Removes the directory. */
  cleanup(): Promise<void>;
}

export interface ExtractOptions {
  /** Where to create the temporary directory (the OS temp dir by default). */
  tmpRoot?: string;
  /** Refuse archives whose file bodies add up to more. */
  maxBytes?: number;
}

/** A tar entry name as a clean relative path; undefined for the root itself. */
export function entryPath(name: string): string | undefined {
  if (name.startsWith('/')) throw new ContextError('escape', `build context archive has an absolute path: ${JSON.stringify(name)}`, 'send paths relative to the context root');
  const parts = name.split('/').filter((p) => p !== '' && p !== '.');
  if (parts.includes('..')) throw new ContextError('escape', `build context archive has a path that climbs out: ${JSON.stringify(name)}`, 'remove ".." from archive paths');
  return parts.length === 0 ? undefined : parts.join('/');
}

/**
 * Creates the parents of `rel` inside `dir`, refusing any that exists and is not a real directory.
 * `known` holds directories already checked in this extraction (cleared whenever an entry removes
 * something), so a tree of files costs no lstat per parent per file.
 */
async function ensureParents(dir: string, rel: string, known?: Set<string>): Promise<void> {
  const parts = rel.split('/').slice(0, -1);
  let cur = dir;
  for (const p of parts) {
    cur = path.join(cur, p);
    if (known?.has(cur)) continue;
    known?.add(cur);
    try {
      const st = await fs.lstat(cur);
      if (!st.isDirectory()) {
        throw new ContextError('escape', `build context archive writes ${JSON.stringify(rel)} through ${st.isSymbolicLink() ? 'a symlink' : 'a file'}`, 'an archive may not place entries under a symlink');
      }
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
      await fs.mkdir(cur, { mode: 0o755 });
    }
  }
}

/** Removes whatever an earlier entry of the same name left, so later entries replace it. */
async function clear(abs: string, keepDir: boolean): Promise<void> {
  const st = await fs.lstat(abs).catch(() => undefined);
  if (!st) return;
  if (st.isDirectory()) {
    if (!keepDir) await fs.rm(abs, { recursive: true, force: true });
    return;
  }
  await fs.unlink(abs);
}

type Source = Readable | AsyncIterable<Uint8Array>;

export async function extractContextTar(source: Source, opts: ExtractOptions = {}): Promise<ExtractedContext> {
  const dir = await fs.mkdtemp(path.join(opts.tmpRoot ?? os.tmpdir(), 'berth-context-'));
  const cleanup = (): Promise<void> => fs.rm(dir, { recursive: true, force: true });
  const metadata = new Map<string, MetaOverride>();
  const warnings: Warning[] = [];
  let bytes = 0;
  const input = source instanceof Readable ? source : Readable.from(source);

  const knownDirs = new Set<string>();
  const seen = new Set<string>();
  const consume = async (): Promise<void> => {
    // berth's own tar reader: tar-stream's per-entry streams cost ~0.7 ms an entry here.
    for await (const { header: h, body: entry } of readTar(maybeGunzip(input as AsyncIterable<Uint8Array>))) {
      const rel = entryPath(h.path);
      const drain = async (): Promise<void> => {
        for await (const _ of entry) void _;
      };
      if (rel === undefined) {
        await drain();
        continue;
      }
      const abs = path.join(dir, rel);
      await ensureParents(dir, rel, knownDirs);
      const meta = { mode: h.mode & 0o7777, uid: h.uid, gid: h.gid };
      // The directory is fresh: a path exists only if an earlier entry (or a parent of one) made it.
      const clearIfSeen = async (keepDir: boolean): Promise<void> => {
        if (!seen.has(rel) && !knownDirs.has(abs)) return;
        knownDirs.clear();
        await clear(abs, keepDir);
      };
      seen.add(rel);
      switch (h.type) {
        case 'file': {
          bytes += h.size;
          if (opts.maxBytes !== undefined && bytes > opts.maxBytes) {
            throw new ContextError('invalid', `build context archive is larger than ${opts.maxBytes} bytes`);
          }
          await clearIfSeen(false);
          const flags = fsc.O_WRONLY | fsc.O_CREAT | fsc.O_EXCL | fsc.O_NOFOLLOW;
          if (h.size <= SMALL_FILE) {
            // Small files (most of a source tree) in a few synchronous calls: a stream and a
            // thread-pool hop per call would dominate a context of thousands of them.
            const chunks: Buffer[] = [];
            for await (const c of entry) chunks.push(c as Buffer);
            const fd = openSync(abs, flags, 0o600);
            try {
              writeSync(fd, Buffer.concat(chunks));
            } finally {
              closeSync(fd);
            }
            break;
          }
          // The write stream closes the handle when done (or destroyed).
          const handle = await fs.open(abs, flags, 0o600);
          await pipeline(entry, handle.createWriteStream());
          break;
        }
        case 'directory':
          await clearIfSeen(true);
          if (!knownDirs.has(abs)) await fs.mkdir(abs, { recursive: true, mode: 0o755 });
          knownDirs.add(abs);
          await drain();
          break;
        case 'symlink':
          await clearIfSeen(false);
          await fs.symlink(h.linkpath, abs);
          await drain();
          break;
        case 'hardlink': {
          const target = entryPath(h.linkpath);
          const targetAbs = target === undefined ? undefined : path.join(dir, target);
          const st = targetAbs ? await fs.lstat(targetAbs).catch(() => undefined) : undefined;
          if (!target || !st?.isFile()) {
            throw new ContextError('escape', `build context archive links ${JSON.stringify(rel)} to ${JSON.stringify(h.linkpath)}, which is not a file of the archive`);
          }
          await ensureParents(dir, target, knownDirs);
          await clearIfSeen(false);
          await fs.link(targetAbs!, abs);
          await drain();
          break;
        }
        default:
          warnings.push({ message: `build context archive: ${rel} is a ${({ char: 'character-device', block: 'block-device' } as Record<string, string>)[h.type] ?? h.type}; skipped` });
          await drain();
          continue;
      }
      metadata.set(rel, meta);
    }
  };

  try {
    await consume();
  } catch (e) {
    input.destroy();
    await cleanup();
    if (e instanceof ContextError) throw e;
    throw new ContextError('invalid', `cannot read the build context archive: ${(e as Error).message}`, undefined, { cause: e });
  }
  return { dir, metadata, warnings, bytes, cleanup };
}
