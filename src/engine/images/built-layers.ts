// Layers the image builder made (engine/build): it keeps each as an uncompressed tar and as the
// same content in an overlay-ready directory, so the store takes both as they are — the directory
// hard-linked into a snapshot, the tar hard-linked in as the layer's blob (an uncompressed layer's
// digest is its diff id). Nothing is extracted or hashed again.
import { execFile } from 'node:child_process';
import fs from 'node:fs/promises';
import { promisify } from 'node:util';
import { directorySize } from '../../lib/du.js';
import { MediaType } from '../distribution/manifest.js';
import { ImageError } from './errors.js';
import { parseImageConfig } from './image-config.js';
import type { LoadedImage } from './ingest.js';
import type { LayerStoreContext } from './layers.js';
import type { LayerRecord } from './records.js';
import { normalizeTagged } from '../reference/reference.js';

const execFileAsync = promisify(execFile);

export interface BuiltLayerFiles {
  diffId: string;
  /** The layer as an uncompressed tar. */
  tarPath: string;
  /** The same content, unpacked for overlayfs (whiteouts as overlay whiteouts). */
  dir: string;
}

/** Adopts one built layer; the caller releases the pin once an image record holds it. */
export async function adoptBuiltLayer(ctx: LayerStoreContext, files: BuiltLayerFiles): Promise<{ layer: LayerRecord; release: () => void }> {
  const release = ctx.pin([files.diffId]);
  try {
    let meta = await ctx.snapshots.get(files.diffId);
    if (!meta) {
      const work = ctx.tmpPath();
      try {
        // -a keeps owners, modes, times, xattrs (overlay whiteouts) and device nodes; -l links files.
        await execFileAsync('cp', ['-al', files.dir, work]);
        meta = await ctx.snapshots.commit(work, files.diffId, await directorySize(work));
      } finally {
        await fs.rm(work, { recursive: true, force: true });
      }
    }
    const tarSize = (await fs.stat(files.tarPath)).size;
    if (!(await ctx.layout.has(files.diffId))) {
      const tmp = ctx.tmpPath();
      await fs.link(files.tarPath, tmp).catch(() => fs.copyFile(files.tarPath, tmp));
      await ctx.layout.adopt(tmp, files.diffId);
    }
    return { layer: { diffId: files.diffId, size: meta.size, blob: { mediaType: MediaType.ociLayer, digest: files.diffId, size: tarSize } }, release };
  } catch (e) {
    release();
    throw e;
  }
}

/** What making an image from a build needs from the store. */
export interface BuiltImageContext extends LayerStoreContext {
  /** The layers of the images the store holds (a base image's, for the layers a build did not make). */
  knownLayers(): Promise<LayerRecord[]>;
  assertTaggable(fullName: string): void;
  commitImage(configBytes: Buffer, layers: LayerRecord[], repoTags: string[]): Promise<LoadedImage>;
}

/**
 * A config over layers the build made (`built`, adopted as they are) and layers the store has
 * (the base image's), tagged.
 */
export async function createBuiltImage(ctx: BuiltImageContext, configBytes: Buffer, built: readonly BuiltLayerFiles[], repoTags: readonly string[]): Promise<LoadedImage> {
  const config = parseImageConfig(configBytes, 'the built image config');
  for (const t of repoTags) ctx.assertTaggable(normalizeTagged(t));
  const byDiffId = new Map(built.map((b) => [b.diffId, b]));
  const known = new Map((await ctx.knownLayers()).map((l) => [l.diffId, l]));
  const layers: LayerRecord[] = [];
  const releases: (() => void)[] = [];
  try {
    for (const diffId of config.rootfs.diff_ids) {
      const files = byDiffId.get(diffId);
      const have = known.get(diffId);
      if (files) {
        const adopted = await adoptBuiltLayer(ctx, files);
        releases.push(adopted.release);
        layers.push(adopted.layer);
      } else if (have) {
        releases.push(ctx.pin([diffId, have.blob.digest]));
        layers.push(have);
      } else {
        throw new ImageError('not-found', `layer ${diffId} is not in the store`);
      }
    }
    return await ctx.commitImage(configBytes, layers, [...repoTags]);
  } finally {
    for (const r of releases) r();
  }
}
