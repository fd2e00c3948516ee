// `docker cp` on the engine side (moby daemon/archive.go): stat a path, tar it up, or extract a tar
// into a directory — all relative to a container root (see resolve.ts), so a symlink in the
// container can never point the engine at a host file. Path semantics are Docker's: the last
// component of a path is not followed for stat and GET (a link is copied as a link, its fully
// resolved target reported as `linkTarget`) unless the path ends in `/` or `/.`; PUT follows it.

import { createReadStream, lstatSync, readdirSync, readFileSync, type Stats } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';
import { InvalidArgumentError, NotFoundError, type PathStat } from '../backend.js';
import { applyLayer } from '../images/extract.js';
import { writeTar, type ByteSource, type TarWriteEntry } from '../../lib/tar.js';
import { isWithin, resolveInRoot } from './resolve.js';

/** A container's filesystem as the engine reaches it for one archive call. */
export interface ContainerRoot {
  /** Host path of the container's `/`. */
  root: string;
  /** What `id` the error messages name. */
  containerId: string;
  /** Mounted volumes and binds (container paths), to refuse writes into read-only ones. */
  mounts: readonly { destination: string; readonly: boolean }[];
  readonlyRootfs: boolean;
}

// Go's os.FileMode type bits (`docker cp` decodes the stat header's mode with them).
const GO_DIR = 2 ** 31;
const GO_SYMLINK = 2 ** 27;
const GO_DEVICE = 2 ** 26;
const GO_NAMED_PIPE = 2 ** 25;
const GO_SOCKET = 2 ** 24;
const GO_SETUID = 2 ** 23;
const GO_SETGID = 2 ** 22;
const GO_CHAR_DEVICE = 2 ** 21;
const GO_STICKY = 2 ** 20;

export function goFileMode(st: Stats): number {
  let m = st.mode & 0o777;
  if (st.mode & 0o4000) m += GO_SETUID;
  if (st.mode & 0o2000) m += GO_SETGID;
  if (st.mode & 0o1000) m += GO_STICKY;
  if (st.isDirectory()) m += GO_DIR;
  else if (st.isSymbolicLink()) m += GO_SYMLINK;
  else if (st.isFIFO()) m += GO_NAMED_PIPE;
  else if (st.isSocket()) m += GO_SOCKET;
  else if (st.isCharacterDevice()) m += GO_DEVICE + GO_CHAR_DEVICE;
  else if (st.isBlockDevice()) m += GO_DEVICE;
  return m;
}

/** `/a/b/` and `/a/b/.` keep their ending after joining (archive.PreserveTrailingDotOrSeparator). */
function absolute(p: string): string {
  const joined = path.posix.join('/', p);
  if (p.endsWith('/.') && !joined.endsWith('/.')) return `${joined.replace(/\/$/, '')}/.`;
  if (p.endsWith('/') && !joined.endsWith('/')) return `${joined}/`;
  return joined;
}

/** Go's filepath.Base: `/a/b/` → `b`, `/` → `/`. */
function goBase(p: string): string {
  const trimmed = p.replace(/\/+$/, '');
  if (trimmed === '') return '/';
  const b = trimmed.slice(trimmed.lastIndexOf('/') + 1);
  return b === '' ? '/' : b;
}

interface Located {
  absPath: string;
  /** Host path of the resource itself (its last component not followed unless the path asked to). */
  hostPath: string;
  lstat: Stats;
}

async function locate(c: ContainerRoot, requested: string): Promise<Located> {
  const absPath = absolute(requested);
  const slash = absPath.lastIndexOf('/');
  const dirPart = absPath.slice(0, slash + 1);
  const base = absPath.slice(slash + 1);
  const dir = await resolveInRoot(c.root, dirPart);
  // A trailing `/` or `/.` means "the directory itself": resolve it fully.
  const hostPath = base === '' || base === '.' ? dir.hostPath : path.join(dir.hostPath, base);
  const lstat = await fs.lstat(hostPath).catch((e: NodeJS.ErrnoException) => {
    if (e.code === 'ENOENT' || e.code === 'ENOTDIR') throw new NotFoundError(`Could not find the file ${requested} in container ${c.containerId}`);
    throw e;
  });
  if ((base === '' || base === '.') && !lstat.isDirectory()) throw new InvalidArgumentError(`not a directory: ${requested}`);
  return { absPath, hostPath, lstat };
}

async function statOf(c: ContainerRoot, at: Located): Promise<PathStat> {
  let linkTarget = '';
  if (at.lstat.isSymbolicLink()) linkTarget = (await resolveInRoot(c.root, at.absPath)).containerPath;
  return { name: goBase(at.absPath), size: at.lstat.size, mode: goFileMode(at.lstat), mtime: at.lstat.mtime.toISOString(), linkTarget };
}

/** `HEAD /containers/{id}/archive`. */
export async function statContainerPath(c: ContainerRoot, requested: string): Promise<PathStat> {
  return statOf(c, await locate(c, requested));
}

/**
 * Tar entries for `hostPath` and, with `recursive`, for a directory everything below it (lexical
 * order, like Go's Walk). `links` remembers hard-linked files across the calls of one archive.
 */
export async function* tarEntriesOf(hostPath: string, name: string, st: Stats, recursive: boolean, signal: AbortSignal, links: Map<string, string> = new Map()): AsyncGenerator<TarWriteEntry> {
  yield* walk(hostPath, name, st, links, signal, recursive);
}

async function* walk(hostPath: string, name: string, st: Stats, links: Map<string, string>, signal: AbortSignal, recursive = true): AsyncGenerator<TarWriteEntry> {
  if (signal.aborted) return;
  // Whole seconds, as Go's tar writer keeps them in ustar headers (a fraction would need a pax record per entry).
  const base = { mode: st.mode & 0o7777, uid: st.uid, gid: st.gid, mtime: Math.floor(st.mtimeMs / 1000) };
  if (st.isDirectory()) {
    yield { ...base, path: `${name}/`, type: 'directory' };
    if (!recursive) return;
    const names = readdirSync(hostPath).sort();
    for (const child of names) {
      const childPath = path.join(hostPath, child);
      let childStat: Stats | undefined;
      try {
        childStat = lstatSync(childPath);
      } catch {
        continue; // removed while walking
      }
      if (childStat) yield* walk(childPath, `${name}/${child}`, childStat, links, signal);
    }
  } else if (st.isSymbolicLink()) {
    yield { ...base, path: name, type: 'symlink', linkpath: await fs.readlink(hostPath) };
  } else if (st.isFile()) {
    const key = `${st.dev}:${st.ino}`;
    const first = st.nlink > 1 ? links.get(key) : undefined;
    if (first !== undefined) {
      yield { ...base, path: name, type: 'hardlink', linkpath: first };
      return;
    }
    if (st.nlink > 1) links.set(key, name);
    // Small files are read whole and synchronously: on a busy machine every thread-pool hop waits its
    // turn, which for a tree of small files costs far more than the reads (a walk like tar's own).
    if (st.size <= CHUNK) yield { ...base, path: name, type: 'file', body: readFileSync(hostPath) };
    else yield { ...base, path: name, type: 'file', size: st.size, body: (): ByteSource => createReadStream(hostPath, { highWaterMark: CHUNK }) };
  } else if (st.isFIFO()) {
    yield { ...base, path: name, type: 'fifo' };
  } else if (st.isCharacterDevice() || st.isBlockDevice()) {
    yield { ...base, path: name, type: st.isCharacterDevice() ? 'char' : 'block', devmajor: Math.floor(st.rdev / 256) & 0xfff, devminor: (st.rdev & 0xff) | ((st.rdev >> 12) & 0xfff00) };
  }
  // Sockets are left out, as Docker's archiver does.
}

const CHUNK = 256 * 1024;

/** Joins the tar writer's many small pieces (headers, padding, small files) into 256 KiB chunks: one socket write each. */
async function* coalesce(pieces: AsyncIterable<Buffer>): AsyncGenerator<Buffer> {
  let pending: Buffer[] = [];
  let size = 0;
  for await (const piece of pieces) {
    pending.push(piece);
    size += piece.length;
    if (size >= CHUNK) {
      yield Buffer.concat(pending, size);
      pending = [];
      size = 0;
    }
  }
  if (size > 0) yield Buffer.concat(pending, size);
}

/**
 * `GET /containers/{id}/archive`: the stat and a tar whose entries start with the path's base name
 * (`docker cp c:/etc/hosts -` gives `hosts`). `done` settles when the tar has been read or dropped.
 */
export async function archiveContainerPath(c: ContainerRoot, requested: string, signal: AbortSignal): Promise<{ stat: PathStat; tar: Readable; done: Promise<void> }> {
  const at = await locate(c, requested);
  const stat = await statOf(c, at);
  const rebase = stat.name === '/' ? '.' : stat.name;
  const tar = Readable.from(coalesce(writeTar(walk(at.hostPath, rebase, at.lstat, new Map(), signal))), { objectMode: false });
  const done = new Promise<void>((resolve) => {
    tar.once('close', () => resolve());
    tar.once('end', () => resolve());
    tar.once('error', () => resolve());
  });
  return { stat, tar, done };
}

/**
 * `PUT /containers/{id}/archive`: extracts `tar` into the directory at `requested` (its last
 * component followed). Writes land in whatever is mounted there (volumes, binds, tmpfs); a
 * read-only mount or rootfs is refused before anything is written.
 */
export async function extractIntoContainer(
  c: ContainerRoot,
  requested: string,
  tar: ByteSource,
  options: { noOverwriteDirNonDir: boolean; owner?: { uid: number; gid: number } },
): Promise<void> {
  const resolved = await resolveInRoot(c.root, absolute(requested));
  const st = await fs.stat(resolved.hostPath).catch((e: NodeJS.ErrnoException) => {
    if (e.code === 'ENOENT' || e.code === 'ENOTDIR') throw new NotFoundError(`Could not find the file ${requested} in container ${c.containerId}`);
    throw e;
  });
  if (!st.isDirectory()) throw new InvalidArgumentError('extraction point is not a directory');
  const mount = [...c.mounts].filter((m) => isWithin(m.destination, resolved.containerPath)).sort((a, b) => b.destination.length - a.destination.length)[0];
  if (mount?.readonly) throw new InvalidArgumentError('mounted volume is marked read-only');
  if (!mount && c.readonlyRootfs) throw new InvalidArgumentError('container rootfs is marked read-only');
  await applyLayer(tar, c.root, {
    prefix: resolved.containerPath.split('/').filter((p) => p !== ''),
    whiteouts: false,
    // dockerd makes device nodes `docker cp` brings (as root); inside the container's root, where
    // its processes could make them too (CAP_MKNOD), and its device cgroup still decides their use.
    devices: 'any',
    noOverwriteDirNonDir: options.noOverwriteDirNonDir,
    ...(options.owner ? { owner: options.owner } : {}),
  });
}
