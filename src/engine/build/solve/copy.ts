// One COPY/ADD step, written into a writable view of the stage's root. Docker's destination
// rules: a directory source copies its content; a file goes to `dest` itself unless `dest` ends
// in `/`, names an existing directory, or there are several sources (then into it); `--parents`
// keeps each source's path. ADD unpacks local archives and writes fetched URLs.
import path from 'node:path';
import fs from 'node:fs/promises';
import { selectSource } from '../context/select.js';
import type { ContextIndex } from '../context/walk.js';
import type { StepOp, SourceRef } from '../plan/types.js';
import { archiveKind, unpackArchive } from './add-archive.js';
import type { Fetched } from './add-url.js';
import { contextTree, viewTrees, type ContextFiles, type SourceTree } from './copy-sources.js';
import { writeItems, type Owner } from './copy-write.js';
import { resolveInRoot } from './in-root.js';
import { BerthError } from '../../../errors.js';

type CopyOp = Extract<StepOp, { op: 'copy' }>;

export class CopyError extends BerthError {}

export interface CopyEnv {
  /** The writable view of the stage's root. */
  root: string;
  context?: { files: ContextFiles; index: ContextIndex };
  /** Read-only views of the stages and images sources come from. */
  viewOf(ref: SourceRef): string;
  /** --chown resolved against the stage's /etc/passwd and /etc/group. */
  owner?: Owner;
  /** URL sources, fetched before the step's cache key was known. */
  fetched: ReadonlyMap<string, Fetched>;
  /** Filled with the files written from memory, by host path (see WriteOptions.written). */
  written?: Map<string, Buffer>;
}

async function isDirIn(root: string, p: string): Promise<boolean> {
  const host = await resolveInRoot(root, p, { followLast: true }).catch(() => undefined);
  return host !== undefined && (await fs.stat(host).catch(() => undefined))?.isDirectory() === true;
}

export async function executeCopy(op: CopyOp, env: CopyEnv): Promise<void> {
  const parentOwner = env.owner ?? { uid: 0, gid: 0 };
  const write = { ...(env.owner ? { owner: env.owner } : {}), ...(op.chmod ? { chmod: op.chmod } : {}), parentOwner, ...(env.written ? { written: env.written } : {}) };
  const destDir = op.dest.replace(/\/+$/, '') || '/';
  const trees: SourceTree[] = [];
  for (const s of op.sources) {
    if (s.kind !== 'path') continue;
    if (s.from.kind === 'context') {
      if (!env.context) throw new CopyError(`${op.instruction} ${s.path}: this build has no context`);
      const sel = selectSource(env.context.index, s.path, { what: op.instruction, excludes: op.excludes });
      for (const r of sel.roots) trees.push(await contextTree(env.context.files, r, sel.entries));
    } else {
      trees.push(...(await viewTrees(env.viewOf(s.from), s.path, op.instruction, op.excludes)));
    }
  }
  const count = trees.length + op.sources.filter((s) => s.kind !== 'path').length;
  const intoDir = op.destIsDir || count > 1 || (await isDirIn(env.root, destDir));
  if (count > 1 && !op.destIsDir && !(await isDirIn(env.root, destDir))) {
    throw new CopyError(`When using ${op.instruction} with more than one source file, the destination must be a directory and end with a /`);
  }

  for (const t of trees) {
    const base = op.parents ? path.posix.join(destDir, t.path) : destDir;
    if (t.isDir) {
      await writeItems(env.root, op.parents ? base : destDir, t.items, write);
      continue;
    }
    const top = t.items.find((i) => i.rel === '');
    if (!top) continue;
    if (op.extract && top.type === 'file') {
      const input = top.data ?? top.source!;
      const kind = await archiveKind(input);
      if (kind) {
        await unpackArchive(env.root, op.parents ? path.posix.dirname(base) : destDir, input, kind, write);
        continue;
      }
    }
    const target = op.parents ? base : intoDir ? path.posix.join(destDir, t.name) : destDir;
    await writeItems(env.root, target, [top], write);
  }
  for (const s of op.sources) {
    if (s.kind === 'inline') {
      const target = intoDir ? path.posix.join(destDir, s.name) : destDir;
      await writeItems(env.root, target, [{ rel: '', type: 'file', mode: 0o644, uid: 0, gid: 0, mtime: 0, data: Buffer.from(s.data) }], write);
    } else if (s.kind === 'url') {
      const got = env.fetched.get(s.url);
      if (!got) throw new CopyError(`ADD ${s.url}: not fetched`);
      const target = intoDir ? path.posix.join(destDir, got.name) : destDir;
      await writeItems(env.root, target, [{ rel: '', type: 'file', mode: 0o600, uid: 0, gid: 0, mtime: got.mtime, data: got.data }], write);
    }
  }
}
