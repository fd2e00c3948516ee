// Reference counting for the content store, mark and sweep: what image records name (config,
// manifest, layer blobs, snapshots), what work in flight has pinned, and what the records of
// images force-removed from under a container still hold (a tombstone keeps their layers until
// no container uses them) is kept; every other blob and snapshot is removed. Also the store's
// consistency check, which the crash and full-disk tests run.
//
// Order matters for concurrent work: the directories are listed first, then the references and
// pins are read, then the unreferenced entries removed. Work that puts a blob or snapshot in
// place pins it first, so it is either listed-and-pinned or not listed at all.
import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { sha256 } from './image-config.js';
import { exists, type OciLayout } from './layout.js';
import type { ImageRecord, Records } from './records.js';
import type { Snapshots } from './snapshots.js';

export interface GcContext {
  root: string;
  layout: OciLayout;
  snapshots: Snapshots;
  records: Records;
  pinned(): Set<string>;
  /** Whether any container uses the image (tombstones are kept while one does). */
  inUse(id: string): boolean;
}

export interface CollectResult {
  blobs: string[];
  snapshots: string[];
  tombstones: string[];
  /** Bytes freed: blob files plus unpacked content. */
  reclaimed: number;
  /** The unpacked content of the layers removed, alone: what dockerd's image prune reports as reclaimed. */
  layerBytes: number;
}

/** Everything the given records reference. */
function referenced(records: readonly ImageRecord[]): Set<string> {
  const used = new Set<string>();
  for (const r of records) {
    used.add(r.id).add(r.manifest.digest);
    for (const l of r.layers) used.add(l.diffId).add(l.blob.digest);
  }
  return used;
}

/**
 * Removes what nothing references. Runs under the store lock. With `keepTombstones` (at open,
 * before the engine knows its containers) tombstones count as referenced whatever their use.
 */
export async function collect(ctx: GcContext, opts: { keepTombstones?: boolean } = {}): Promise<CollectResult> {
  const blobs = await ctx.layout.digests();
  const snaps = await ctx.snapshots.scan();
  const all = await ctx.records.all();
  const out: CollectResult = { blobs: [], snapshots: [], tombstones: [], reclaimed: 0, layerBytes: 0 };
  const kept: ImageRecord[] = [];
  for (const r of all) {
    if (r.deleted && !opts.keepTombstones && !ctx.inUse(r.id)) {
      await ctx.records.remove(r.id);
      out.tombstones.push(r.id);
    } else kept.push(r);
  }
  const used = referenced(kept);
  const pinned = ctx.pinned();
  for (const d of blobs) {
    if (used.has(d) || pinned.has(d)) continue;
    out.reclaimed += await ctx.layout.size(d).catch(() => 0);
    await ctx.layout.remove(d);
    out.blobs.push(d);
  }
  for (const d of snaps.complete) {
    if (used.has(d) || pinned.has(d)) continue;
    const size = (await ctx.snapshots.get(d))?.size ?? 0;
    out.reclaimed += size;
    out.layerBytes += size;
    await ctx.snapshots.remove(d);
    out.snapshots.push(d);
  }
  // Half-finished snapshots (metadata without a dir or the reverse), unless being committed now.
  for (const name of snaps.stray) {
    const hex = name.slice(0, 64);
    if (/^[0-9a-f]{64}/.test(hex) && pinned.has(`sha256:${hex}`)) continue;
    await fs.rm(path.join(ctx.snapshots.dirRoot, name), { recursive: true, force: true });
  }
  return out;
}

async function hashFile(file: string): Promise<string> {
  const h = createHash('sha256');
  const handle = await fs.open(file, 'r');
  try {
    for await (const chunk of handle.createReadStream({ highWaterMark: 1 << 20 })) h.update(chunk as Buffer);
  } finally {
    await handle.close().catch(() => undefined);
  }
  return `sha256:${h.digest('hex')}`;
}

/**
 * The store's consistency check: every live record's blobs are there with their sizes (and,
 * `deep`, their digests), its manifest names its config and layers, its snapshots are complete;
 * every name points at a live image; index.json lists exactly the live images; layers/ holds
 * nothing half-made. Returns the problems found, none when consistent.
 */
export async function checkConsistency(ctx: GcContext, opts: { deep?: boolean; hostImageId?: string } = {}): Promise<string[]> {
  const problems: string[] = [];
  const all = await ctx.records.all();
  const live = all.filter((r) => !r.deleted);
  const blob = async (digest: string, size: number | undefined, what: string): Promise<void> => {
    const file = ctx.layout.blobPath(digest);
    const st = await fs.stat(file).catch(() => undefined);
    if (!st) return void problems.push(`${what}: blob ${digest} is missing`);
    if (size !== undefined && st.size !== size) problems.push(`${what}: blob ${digest} is ${st.size} bytes, not ${size}`);
    if (opts.deep && (await hashFile(file)) !== digest) problems.push(`${what}: blob ${digest} does not hash to its digest`);
  };
  for (const r of all) {
    const what = `image ${r.id.slice(7, 19)}`;
    await blob(r.id, undefined, what);
    await blob(r.manifest.digest, r.manifest.size, what);
    const manifestBytes = await ctx.layout.read(r.manifest.digest).catch(() => undefined);
    if (manifestBytes) {
      if (sha256(manifestBytes) !== r.manifest.digest) problems.push(`${what}: manifest blob does not hash to its digest`);
      try {
        const m = JSON.parse(manifestBytes.toString('utf8')) as { config?: { digest?: string }; layers?: { digest?: string }[] };
        if (m.config?.digest !== r.id) problems.push(`${what}: its manifest names config ${m.config?.digest}`);
        const names = (m.layers ?? []).map((l) => l.digest);
        if (JSON.stringify(names) !== JSON.stringify(r.layers.map((l) => l.blob.digest))) problems.push(`${what}: its manifest's layers differ from its record's`);
      } catch {
        problems.push(`${what}: its manifest is not JSON`);
      }
    }
    for (const l of r.layers) {
      await blob(l.blob.digest, l.blob.size, `${what} layer ${l.diffId.slice(7, 19)}`);
      if (!(await ctx.snapshots.get(l.diffId))) problems.push(`${what}: the snapshot of layer ${l.diffId} is missing or incomplete`);
    }
  }
  const ids = new Set(live.map((r) => r.id));
  if (opts.hostImageId) ids.add(opts.hostImageId);
  for (const [name, id] of Object.entries(await ctx.records.readRepositories())) {
    if (!ids.has(id)) problems.push(`the name ${name} points at ${id}, which is not a stored image`);
  }
  try {
    const index = JSON.parse(await fs.readFile(path.join(ctx.root, 'index.json'), 'utf8')) as { manifests?: { digest?: string }[] };
    const listed = new Set((index.manifests ?? []).map((m) => m.digest));
    const expected = new Set(live.map((r) => r.manifest.digest));
    for (const d of expected) if (!listed.has(d)) problems.push(`index.json does not list manifest ${d}`);
    for (const d of listed) if (d && !expected.has(d)) problems.push(`index.json lists manifest ${d}, which no image has`);
  } catch (e) {
    problems.push(`index.json cannot be read: ${(e as Error).message}`);
  }
  const pinned = ctx.pinned();
  for (const name of (await ctx.snapshots.scan()).stray) {
    if (!pinned.has(`sha256:${name.slice(0, 64)}`)) problems.push(`layers/${name} is a half-made snapshot`);
  }
  if (!(await exists(path.join(ctx.root, 'oci-layout')))) problems.push('oci-layout is missing');
  return problems;
}

