// `cp SERVICE:SRC DEST` and `cp SRC SERVICE:DEST`: files between the host and a service's
// containers, through the engine's archive API, with the docker CLI's path rules:
//   - a file copied to an existing directory lands in it under its own name; to a path that does
//     not exist (its parent must), it takes that name; over an existing file, it replaces it;
//   - a directory copied to an existing directory lands in it under its own name — its contents
//     instead when the source ends in `/.`; to a path that does not exist, it becomes that path;
//   - `-` is a tar stream: from standard input, or to standard output.
// Into a service: every container of it (or the one --index names). Out of one: --index, else 1.
import path from 'node:path';
import { Readable } from 'node:stream';
import { existsSync, lstatSync, statSync } from 'node:fs';
import { FILE_MODE_DIR, isNotFound, type PathStat } from '../client/engine-port.js';
import { UsageError } from '../errors.js';
import { tarStream } from '../lib/tar.js';
import { CopyError, extractUnder, localEntries } from './cp-local.js';
import { containersOf, type ProjectTarget } from './lifecycle.js';

export interface CopyOptions {
  /** --index: the container with this number. */
  index?: number;
  /** -a: keep uid/gid. */
  archive: boolean;
  /** -L: follow a symlink given as the source. */
  followLink: boolean;
}

export type CopyEnd = { kind: 'host'; path: string } | { kind: 'service'; service: string; path: string };

/** `web:/etc/x` names a service's path; a path starting with `/` or `.` (or `-`) is the host's, as in docker. */
export function parseCopyEnd(arg: string): CopyEnd {
  if (arg === '-' || arg.startsWith('/') || arg.startsWith('.')) return { kind: 'host', path: arg };
  const colon = arg.indexOf(':');
  if (colon <= 0) return { kind: 'host', path: arg };
  return { kind: 'service', service: arg.slice(0, colon), path: arg.slice(colon + 1) };
}

export function copyDirection(src: string, dest: string): { from: CopyEnd; to: CopyEnd } {
  const from = parseCopyEnd(src);
  const to = parseCopyEnd(dest);
  if (from.kind === 'service' && to.kind === 'service') throw new UsageError('cp: copying between services is not supported; copy through the host');
  if (from.kind === 'host' && to.kind === 'host') throw new UsageError('cp: one of the paths must be SERVICE:PATH');
  for (const end of [from, to]) if (end.kind === 'service' && end.path === '') throw new UsageError(`cp: ${end.service}: no path after the colon`);
  return { from, to };
}

// The directory bit is bit 31: past what `&` sees as a positive 32-bit integer, so compared, not masked.
const isDir = (s: PathStat): boolean => s.mode >= FILE_MODE_DIR;
const endsInDot = (p: string): boolean => p === '.' || p.endsWith('/.');
const trimDot = (p: string): string => (p.endsWith('/.') ? p.slice(0, -2) || '/' : p);

async function statOrUndefined(target: ProjectTarget, id: string, p: string): Promise<PathStat | undefined> {
  try {
    return await target.port.containers.archiveStat(id, p);
  } catch (e) {
    if (isNotFound(e)) return undefined;
    throw e;
  }
}

async function containerPath(target: ProjectTarget, id: string, p: string): Promise<string> {
  if (path.posix.isAbsolute(p)) return p;
  // A relative path is relative to the container's working directory, as in docker.
  const inspect = await target.port.containers.inspect(id);
  return path.posix.join(inspect.Config?.WorkingDir || '/', p);
}

/** Copies out of the service's container; returns the bytes of file content written (0 for `-`). */
export async function copyFromService(target: ProjectTarget, service: string, src: string, dest: string, o: CopyOptions, stdout: (data: Buffer) => void): Promise<number> {
  const index = o.index ?? 1;
  const [c] = await containersOf(target, [service], { index });
  if (!c) throw new CopyError(`service "${service}" has no container number ${index}`);
  let from = await containerPath(target, c.id, src);
  let stat = await statOrUndefined(target, c.id, trimDot(from));
  if (!stat) throw new CopyError(`${c.name}:${src}: no such file or directory`);
  if (o.followLink && stat.linkTarget) {
    from = stat.linkTarget;
    stat = await statOrUndefined(target, c.id, from);
    if (!stat) throw new CopyError(`${c.name}:${src}: a link to ${from}, which does not exist`);
  }
  const { tar } = await target.port.containers.getArchive(c.id, trimDot(from));
  if (dest === '-') {
    for await (const chunk of tar) stdout(chunk);
    return 0;
  }
  const srcIsDir = isDir(stat);
  let into: string;
  const existing = existsSync(dest) ? statSync(dest) : undefined;
  if (existing?.isDirectory()) into = srcIsDir && endsInDot(src) ? dest : path.join(dest, path.posix.basename(trimDot(from)));
  else if (existing) {
    if (srcIsDir) throw new CopyError(`cannot copy a directory (${c.name}:${src}) onto a file: ${dest}`);
    into = dest;
  } else {
    if (dest.endsWith('/') && !srcIsDir) throw new CopyError(`destination directory ${dest} does not exist`);
    if (!existsSync(path.dirname(path.resolve(dest)))) throw new CopyError(`no such directory: ${path.dirname(dest)}`);
    into = dest;
  }
  return extractUnder(tar, into, { owners: o.archive });
}

/** Copies into every container of the service (or --index's); returns where it went and the bytes of file content. */
export async function copyToService(target: ProjectTarget, service: string, src: string, dest: string, o: CopyOptions, stdin?: () => Readable): Promise<{ containers: string[]; bytes: number }> {
  let bytes = 0;
  const containers = await containersOf(target, [service], o.index !== undefined ? { index: o.index } : {});
  if (containers.length === 0) throw new CopyError(o.index !== undefined ? `service "${service}" has no container number ${o.index}` : `service "${service}" has no container`);
  if (src !== '-' && !existsSync(src) && !isDanglingLink(src)) throw new CopyError(`${src}: no such file or directory`);
  for (const c of containers) {
    const to = await containerPath(target, c.id, dest);
    if (src === '-') {
      const stat = await statOrUndefined(target, c.id, to);
      if (!stat || !isDir(stat)) throw new CopyError(`${c.name}:${dest}: a tar stream from standard input needs an existing directory`);
      if (!stdin) throw new CopyError('no standard input to read the tar stream from');
      await target.port.containers.putArchive(c.id, to, stdin(), { copyUIDGID: o.archive, noOverwriteDirNonDir: true });
      continue;
    }
    const local = o.followLink ? statSync(src) : lstatSync(src);
    const srcIsDir = local.isDirectory();
    const stat = await statOrUndefined(target, c.id, trimDot(to));
    let dir: string;
    let root: string;
    if (stat && isDir(stat)) {
      dir = trimDot(to);
      root = srcIsDir && endsInDot(src) ? '' : path.basename(path.resolve(src));
    } else if (stat) {
      if (srcIsDir) throw new CopyError(`cannot copy a directory (${src}) onto a file: ${c.name}:${dest}`);
      dir = path.posix.dirname(to);
      root = path.posix.basename(to);
    } else {
      if (to.endsWith('/')) throw new CopyError(`destination directory ${c.name}:${dest} does not exist`);
      dir = path.posix.dirname(to);
      root = path.posix.basename(to);
    }
    const entries = [...localEntries(src, root, { follow: o.followLink })];
    bytes = entries.reduce((sum, e) => sum + (e.type === 'file' ? (e.size ?? 0) : 0), 0);
    await target.port.containers.putArchive(c.id, dir, tarStream(entries), { copyUIDGID: o.archive, noOverwriteDirNonDir: true });
  }
  return { containers: containers.map((c) => c.name), bytes };
}

function isDanglingLink(p: string): boolean {
  try {
    return lstatSync(p).isSymbolicLink();
  } catch {
    return false;
  }
}
