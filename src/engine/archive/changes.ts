// What a container changed, read from its overlay upper dir (moby's overlay2 driver reads the same
// place): `docker diff` (A/C/D, whiteouts are deletions), the layer `docker commit` adds (Docker's
// layer format: `.wh.<name>` for a deletion, `.wh..wh..opq` for a directory whose lower content is
// hidden), and `docker export` (the merged root filesystem as a tar).

import { lstatSync, readdirSync, type Stats } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';
import type { FilesystemChange } from '../backend.js';
import { writeTar, type TarWriteEntry } from '../../lib/tar.js';
import { execCommand } from '../runtime/spawner.js';
import { tarEntriesOf } from './archive.js';

export type ChangeKind = 'C' | 'A' | 'D';

const KIND: Record<ChangeKind, 0 | 1 | 2> = { C: 0, A: 1, D: 2 };

/** An overlay whiteout: a character device 0/0. */
function isWhiteout(st: Stats): boolean {
  return st.isCharacterDevice() && st.rdev === 0;
}

// The opaque marker is an extended attribute, which Node cannot read: one python3 walk lists them.
const OPAQUE_DIRS = String.raw`
import json, os, sys
root = sys.argv[1]
out = []
for d, dirs, files in os.walk(root):
    try:
        if os.getxattr(d, "trusted.overlay.opaque", follow_symlinks=False) == b"y":
            out.append(os.path.relpath(d, root))
    except OSError:
        pass
print(json.dumps(out))
`;

/** The upper dir's opaque directories, relative (`a/b`). */
export async function opaqueDirs(upper: string): Promise<Set<string>> {
  const { stdout } = await execCommand('python3', ['-c', OPAQUE_DIRS, upper]);
  return new Set((JSON.parse(stdout) as string[]).filter((p) => p !== '.'));
}

/** Whether `rel` exists in the lower layers (top first), a whiteout in a higher one hiding it. */
function inLower(lowerDirs: readonly string[], rel: string): boolean {
  for (const dir of lowerDirs) {
    let st: Stats;
    try {
      st = lstatSync(path.join(dir, rel));
    } catch {
      continue;
    }
    return !isWhiteout(st);
  }
  return false;
}

/**
 * `docker diff`: every path in the upper dir, in path order — deleted (a whiteout), added (not in
 * the lower layers) or changed (there too; a directory is changed when something below it is).
 */
export async function upperChanges(upper: string, lowerDirs: readonly string[]): Promise<FilesystemChange[]> {
  const out: FilesystemChange[] = [];
  const walk = (rel: string): void => {
    let names: string[];
    try {
      names = readdirSync(path.join(upper, rel)).sort();
    } catch {
      return;
    }
    for (const name of names) {
      const childRel = rel === '' ? name : `${rel}/${name}`;
      let st: Stats;
      try {
        st = lstatSync(path.join(upper, childRel));
      } catch {
        continue;
      }
      const kind: ChangeKind = isWhiteout(st) ? 'D' : inLower(lowerDirs, childRel) ? 'C' : 'A';
      out.push({ Path: `/${childRel}`, Kind: KIND[kind] });
      if (st.isDirectory()) walk(childRel);
    }
  };
  walk('');
  return out;
}

/** The upper dir as a Docker image layer: whiteouts as `.wh.` files, opaque directories marked. */
async function* layerEntries(upper: string, opaque: ReadonlySet<string>, signal: AbortSignal): AsyncGenerator<TarWriteEntry> {
  const links = new Map<string, string>();
  const walk = async function* (rel: string): AsyncGenerator<TarWriteEntry> {
    const names = (await fs.readdir(path.join(upper, rel)).catch(() => [] as string[])).sort();
    for (const name of names) {
      if (signal.aborted) return;
      const childRel = rel === '' ? name : `${rel}/${name}`;
      const host = path.join(upper, childRel);
      const st = await fs.lstat(host).catch(() => undefined);
      if (!st) continue;
      if (isWhiteout(st)) {
        yield { path: rel === '' ? `.wh.${name}` : `${rel}/.wh.${name}`, type: 'file', mode: 0o644, mtime: Math.floor(st.mtimeMs / 1000), body: Buffer.alloc(0) };
        continue;
      }
      yield* tarEntriesOf(host, childRel, st, false, signal, links);
      if (st.isDirectory()) {
        if (opaque.has(childRel)) yield { path: `${childRel}/.wh..wh..opq`, type: 'file', mode: 0o644, mtime: Math.floor(st.mtimeMs / 1000), body: Buffer.alloc(0) };
        yield* walk(childRel);
      }
    }
  };
  yield* walk('');
}

/** `docker commit`'s new layer from the container's upper dir. */
export async function upperLayerTar(upper: string, signal: AbortSignal): Promise<Readable> {
  const opaque = await opaqueDirs(upper);
  return Readable.from(writeTar(layerEntries(upper, opaque, signal)), { objectMode: false });
}

/** `docker export`: the merged root at `root`, entries named from it (`bin/`, `bin/sh`…). */
export function rootfsTar(root: string, signal: AbortSignal): Readable {
  const links = new Map<string, string>();
  async function* entries(): AsyncGenerator<TarWriteEntry> {
    for (const name of readdirSync(root).sort()) {
      const host = path.join(root, name);
      let st: Stats;
      try {
        st = lstatSync(host);
      } catch {
        continue;
      }
      yield* tarEntriesOf(host, name, st, true, signal, links);
    }
  }
  return Readable.from(writeTar(entries()), { objectMode: false });
}
