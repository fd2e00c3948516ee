// Applies one layer tar to a directory that becomes an overlay lower dir. Layer tars come from
// strangers, so every path is confined to the directory:
//   - an entry path that climbs out with `..` rejects the layer; a leading `/` is dropped
//     (the path is taken relative to the layer, as Docker does);
//   - parent components that are symlinks are followed *inside* the layer (as if chrooted),
//     never on the host, so `link -> /etc` then `link/passwd` lands in `<layer>/etc/passwd`;
//   - an existing path is removed, not written through, before an entry replaces it
//     (files are created with O_EXCL|O_NOFOLLOW);
//   - a relative symlink whose target climbs out of the layer, and a hardlink to anything outside
//     it, reject the layer (absolute symlink targets are kept: they resolve in the container root);
//   - char/block devices in layers are skipped with a warning unless `devices` says otherwise, and
//     then only root-owned ones are made (char 0/0, an overlay whiteout, is always allowed: it opens
//     nothing); `docker cp` into a container makes them all, as dockerd does (`devices: 'any'`);
//   - a file whose body the archive does not deliver whole (it ends or fails inside it) is removed
//     again: a truncated file is not what was sent, and a layer's work dir goes anyway, but
//     `docker cp` writes into the container itself;
//   - modes are applied after ownership, so setuid/setgid bits are exactly those in the tar
//     (chown clears them; chmod afterwards restores only what the tar says).
// Whiteouts in Docker's form become overlayfs's form: `.wh.name` → a char 0/0 device `name`,
// `.wh..wh..opq` → the `trusted.overlay.opaque=y` xattr on its directory.
// The caller extracts into a fresh temporary directory and renames it into place, so a layer
// rejected half-way never becomes visible.
import { closeSync, constants as fsc, fchmodSync, fchownSync, futimesSync, openSync, writeSync } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import type { Warning } from '../../errors.js';
import { TarError } from '../../lib/tar.js';
import { SysOps } from './sysops.js';
import { readTar, type ByteSource, type TarHeader } from '../../lib/tar.js';

export const WHITEOUT_PREFIX = '.wh.';
export const WHITEOUT_META_PREFIX = '.wh..wh.';
export const WHITEOUT_OPAQUE = '.wh..wh..opq';
export const OVERLAY_OPAQUE_XATTR = 'trusted.overlay.opaque';

/**
 * Which char/block device nodes of the tar are made: none (`skip`, the default: each is skipped
 * with a warning), root-owned ones only (`root-owned`: an image layer cannot hand an unprivileged
 * user a device node, which a privileged container's device cgroup would let it use), or all of
 * them (`any`: `docker cp`, whose client could make the same nodes in the container itself).
 */
export type DevicePolicy = 'skip' | 'root-owned' | 'any';

export interface ApplyLayerOptions {
  /** Device nodes in the tar: see DevicePolicy. */
  devices?: DevicePolicy;
  /** chown entries to the tar's uid/gid. Defaults to "running as root". */
  preserveOwnership?: boolean;
  /**
   * Where in `root` the archive's root lands (`docker cp` into a container directory): parent
   * symlinks still resolve inside `root`, but `..` in entries, relative symlink targets and
   * hardlink targets are confined to this directory. The directory's own metadata is left as is.
   */
  prefix?: readonly string[];
  /** Turn Docker whiteouts into overlay ones (layers); false keeps `.wh.` files as plain files (`docker cp`). */
  whiteouts?: boolean;
  /** Refuse to replace a directory with a non-directory or the reverse (`docker cp`'s NoOverwriteDirNonDir). */
  noOverwriteDirNonDir?: boolean;
  /** Own every entry by this uid/gid instead of the tar's (`docker cp -a` as the container's user). */
  owner?: { uid: number; gid: number };
}

export interface ApplyLayerResult {
  /** Bytes of regular-file content written (Docker's layer "size"). */
  size: number;
  entries: number;
  warnings: Warning[];
}

const MAX_SYMLINK_HOPS = 255;
/** Files up to this size are written with synchronous calls (see the `file` case). */
const SMALL_FILE = 64 * 1024;

/**
 * Splits an archive path into clean components. Leading `/` and `.` are dropped; a `..` that
 * would climb above the root throws.
 */
export function cleanArchivePath(p: string, what = 'entry'): string[] {
  const out: string[] = [];
  for (const part of p.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') {
      if (out.length === 0) throw new TarError(`${what} ${JSON.stringify(p)} escapes the layer root`);
      out.pop();
    } else out.push(part);
  }
  return out;
}

/** Resolves directory components against `root`, following symlinks as if `root` were `/`. */
async function resolveParentInRoot(root: string, parts: readonly string[], what: string): Promise<{ dir: string; missing: string[] }> {
  const resolved: string[] = [];
  const pending = [...parts];
  let hops = 0;
  while (pending.length > 0) {
    const part = pending.shift()!;
    if (part === '' || part === '.') continue;
    if (part === '..') {
      resolved.pop(); // clamped at the root, like `/..`
      continue;
    }
    const here = path.join(root, ...resolved, part);
    let st;
    try {
      st = await fs.lstat(here);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return { dir: path.join(root, ...resolved), missing: [part, ...pending] };
      throw e;
    }
    if (st.isSymbolicLink()) {
      if (++hops > MAX_SYMLINK_HOPS) throw new TarError(`${what}: too many levels of symbolic links`);
      const target = await fs.readlink(here);
      if (target.startsWith('/')) resolved.length = 0;
      pending.unshift(...target.split('/'));
      continue;
    }
    if (!st.isDirectory()) throw new TarError(`${what}: ${JSON.stringify(path.join(...resolved, part))} is not a directory`);
    resolved.push(part);
  }
  return { dir: path.join(root, ...resolved), missing: [] };
}

interface DirMeta {
  mode: number;
  uid: number;
  gid: number;
  mtime: number;
}

/** Applies a layer tar (plain or gzip) to `root`, which is created if missing. */
export async function applyLayer(source: ByteSource, root: string, options: ApplyLayerOptions = {}): Promise<ApplyLayerResult> {
  const preserveOwnership = options.preserveOwnership ?? process.getuid?.() === 0;
  const prefix = [...(options.prefix ?? [])];
  const whiteouts = options.whiteouts ?? true;
  const uidOf = (h: { uid: number }): number => options.owner?.uid ?? h.uid;
  const gidOf = (h: { gid: number }): number => options.owner?.gid ?? h.gid;
  const rootAbs = path.resolve(root);
  await fs.mkdir(rootAbs, { recursive: true });
  const sys = new SysOps();
  const warnings: Warning[] = [];
  // Directory metadata is applied last: adding children would change mtimes, and a read-only
  // directory must stay writable until its children are in.
  const dirMeta = new Map<string, DirMeta>();
  let size = 0;
  let entries = 0;

  // Resolved directories by archive path. Layers list many files per directory, so this saves
  // an lstat per path component per entry; anything removed or replaced drops the whole cache,
  // since a removed directory or symlink may be a component of any cached path.
  const resolvedDirs = new Map<string, string>();

  const forgetDirsUnder = (p: string): void => {
    resolvedDirs.clear();
    for (const key of dirMeta.keys()) if (key === p || key.startsWith(`${p}/`)) dirMeta.delete(key);
  };

  /** The directory `parts` names, inside the root, created (0755, like Docker's MkdirAll) where missing. */
  const ensureDir = async (parts: string[], what: string): Promise<string> => {
    const key = parts.join('/');
    const cached = resolvedDirs.get(key);
    if (cached !== undefined) return cached;
    for (;;) {
      const { dir, missing } = await resolveParentInRoot(rootAbs, parts, what);
      if (missing.length === 0) {
        resolvedDirs.set(key, dir);
        return dir;
      }
      // One component at a time: the rest may still pass through symlinks that exist.
      await fs.mkdir(path.join(dir, missing[0]), { mode: 0o755 });
    }
  };

  /** The absolute path an archive path lands on; its final component is never followed. */
  const place = async (parts: string[], what: string): Promise<string> =>
    path.join(await ensureDir(parts.slice(0, -1), what), parts[parts.length - 1]);

  /** Removes whatever is at `target` unless both it and the new entry are directories. */
  const clear = async (target: string, keepDir: boolean, entryPath = ''): Promise<boolean> => {
    let st;
    try {
      st = await fs.lstat(target);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return false;
      throw e;
    }
    if (keepDir && st.isDirectory()) return true;
    if (options.noOverwriteDirNonDir && st.isDirectory() !== keepDir) {
      const rel = path.relative(rootAbs, target);
      throw new TarError(
        st.isDirectory()
          ? `cannot overwrite directory "/${rel}" with non-directory "${entryPath}"`
          : `cannot overwrite non-directory "/${rel}" with directory "${entryPath}"`,
      );
    }
    await fs.rm(target, { recursive: true, force: true });
    forgetDirsUnder(target);
    return false;
  };

  const applyMeta = async (target: string, h: TarHeader): Promise<void> => {
    if (preserveOwnership) await fs.lchown(target, uidOf(h), gidOf(h));
    if (h.type !== 'symlink') await fs.chmod(target, h.mode);
    for (const [name, value] of Object.entries(h.xattrs).sort(([a], [b]) => (a < b ? -1 : 1))) {
      await sys.setxattr(target, name, value);
    }
    await fs.lutimes(target, h.mtime, h.mtime);
  };

  try {
    for await (const { header: h, body } of readTar(source)) {
      entries++;
      const what = `layer entry ${JSON.stringify(h.path)}`;
      const entryParts = cleanArchivePath(h.path, 'layer entry');
      const parts = [...prefix, ...entryParts];

      if (entryParts.length === 0) {
        // `./` itself: only a directory may describe the root.
        if (h.type !== 'directory') throw new TarError(`${what}: the layer root must be a directory`);
        // Into a container directory (`prefix` given, even `/`), the destination keeps its own owner and mode.
        if (options.prefix === undefined) dirMeta.set(rootAbs, { mode: h.mode, uid: uidOf(h), gid: gidOf(h), mtime: h.mtime });
        continue;
      }

      const base = parts[parts.length - 1];
      if (whiteouts && base === WHITEOUT_OPAQUE) {
        const dir = await ensureDir(parts.slice(0, -1), what);
        await sys.setxattr(dir, OVERLAY_OPAQUE_XATTR, 'y');
        continue;
      }
      if (whiteouts && base.startsWith(WHITEOUT_META_PREFIX)) {
        // aufs bookkeeping (`.wh..wh.plnk`, `.wh..wh.aufs`): meaningless for overlay.
        continue;
      }
      // Without whiteouts (`docker cp`) files named like them are copied as they are.
      if (whiteouts && base.startsWith(WHITEOUT_PREFIX)) {
        const name = base.slice(WHITEOUT_PREFIX.length);
        if (name === '' || name === '.' || name === '..') throw new TarError(`${what}: invalid whiteout name`);
        const target = await place([...parts.slice(0, -1), name], what);
        await clear(target, false);
        await sys.mknod(target, 'char', 0, 0, 0);
        if (preserveOwnership) await fs.lchown(target, uidOf(h), gidOf(h));
        continue;
      }

      const target = await place(parts, what);
      switch (h.type) {
        case 'directory': {
          const kept = await clear(target, true, h.path);
          if (!kept) await fs.mkdir(target, { mode: 0o700 });
          for (const [name, value] of Object.entries(h.xattrs)) await sys.setxattr(target, name, value);
          dirMeta.set(target, { mode: h.mode, uid: uidOf(h), gid: gidOf(h), mtime: h.mtime });
          break;
        }
        case 'file': {
          await clear(target, false, h.path);
          const flags = fsc.O_WRONLY | fsc.O_CREAT | fsc.O_EXCL | fsc.O_NOFOLLOW;
          if (h.size <= SMALL_FILE && Object.keys(h.xattrs).length === 0) {
            // Small files in a few synchronous calls: a tree of them (source code, `docker cp` of
            // a project) otherwise waits on a thread-pool hop per call, which dominates on a busy machine.
            const pieces: Buffer[] = [];
            for await (const piece of body) pieces.push(piece);
            const fd = openSync(target, flags, 0o600);
            try {
              writeSync(fd, Buffer.concat(pieces));
              if (preserveOwnership) fchownSync(fd, uidOf(h), gidOf(h));
              fchmodSync(fd, h.mode);
              futimesSync(fd, h.mtime, h.mtime);
            } finally {
              closeSync(fd);
            }
          } else {
            const handle = await fs.open(target, flags, 0o600);
            try {
              for await (const piece of body) await handle.write(piece);
            } catch (e) {
              await handle.close();
              await fs.rm(target, { force: true });
              throw e;
            }
            await handle.close();
            await applyMeta(target, h);
          }
          size += h.size;
          break;
        }
        case 'symlink': {
          if (!h.linkpath.startsWith('/')) {
            // Relative targets are resolved lexically from the link's directory; climbing out is refused.
            cleanArchivePath([...entryParts.slice(0, -1), h.linkpath].join('/'), `symlink ${JSON.stringify(h.path)} → ${JSON.stringify(h.linkpath)}:`);
          }
          await clear(target, false, h.path);
          await fs.symlink(h.linkpath, target);
          await applyMeta(target, h);
          break;
        }
        case 'hardlink': {
          const linkParts = [...prefix, ...cleanArchivePath(h.linkpath, `hardlink ${JSON.stringify(h.path)} → target`)];
          if (linkParts.length === prefix.length) throw new TarError(`${what}: hardlink to the layer root`);
          const { dir, missing } = await resolveParentInRoot(rootAbs, linkParts.slice(0, -1), what);
          const source = path.join(dir, linkParts[linkParts.length - 1]);
          const st = missing.length === 0 ? await fs.lstat(source).catch(() => undefined) : undefined;
          if (!st) throw new TarError(`${what}: hardlink target ${JSON.stringify(h.linkpath)} is not in the layer`);
          if (st.isDirectory()) throw new TarError(`${what}: hardlink to a directory`);
          if (source === target) break;
          await clear(target, false, h.path);
          await fs.link(source, target);
          break;
        }
        case 'char':
        case 'block': {
          const isWhiteoutDevice = h.type === 'char' && h.devmajor === 0 && h.devminor === 0;
          const policy = options.devices ?? 'skip';
          if (!isWhiteoutDevice && (policy === 'skip' || (policy === 'root-owned' && h.uid !== 0))) {
            warnings.push({
              message: `skipped ${h.type} device ${JSON.stringify(h.path)} (${h.devmajor}:${h.devminor}, uid ${h.uid})${policy === 'root-owned' ? ': not owned by root' : ': devices are not allowed in layers'}`,
            });
            break;
          }
          await clear(target, false, h.path);
          await sys.mknod(target, h.type, 0o600, h.devmajor, h.devminor);
          await applyMeta(target, h);
          break;
        }
        case 'fifo': {
          await clear(target, false, h.path);
          await sys.mknod(target, 'fifo', 0o600);
          await applyMeta(target, h);
          break;
        }
      }
    }

    // Deepest first, so a parent's mode change never blocks a child (relevant when not root).
    for (const [dir, meta] of [...dirMeta].sort(([a], [b]) => b.length - a.length)) {
      if (preserveOwnership) await fs.lchown(dir, meta.uid, meta.gid);
      await fs.chmod(dir, meta.mode);
      await fs.lutimes(dir, meta.mtime, meta.mtime);
    }
  } finally {
    await sys.close();
  }
  return { size, entries, warnings };
}
