// Storing one layer: its bytes go to a blob file exactly as they come (gzip, zstd or plain, so a
// pushed or saved image gives the registry's bytes back) while they are decompressed and unpacked
// into a work dir, in one pass. Only when the stream ended and both digests checked out is the
// snapshot renamed into place and the blob moved under its digest; on any failure both are
// removed. A layer whose snapshot exists already is only hashed (its blob is still kept), one
// whose blob exists is unpacked from it without being fetched again (the caller decides that).
import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import { pipeline, Readable } from 'node:stream';
import { decompress, detectCompression, verifyDiff } from '../distribution/decompress.js';
import { MediaType } from '../distribution/manifest.js';
import { ImageError } from './errors.js';
import type { OciLayout } from './layout.js';
import type { LayerRecord } from './records.js';
import type { Snapshots } from './snapshots.js';

export interface LayerStoreContext {
  layout: OciLayout;
  snapshots: Snapshots;
  tmpPath(): string;
  /** Keeps digests from being collected until the returned function is called. */
  pin(digests: string[]): () => void;
}

export interface StoreLayerOptions {
  /** The diff id the image config lists: the unpacked content must hash to it. */
  diffId?: string;
  /** The blob digest a descriptor names: the bytes as they came must hash to it. */
  digest?: string;
  /** The media type to record; detected from the bytes when not given. */
  mediaType?: string;
  /** For messages: which layer of what. */
  what: string;
  /** Called when unpacking starts and ends (the pipeline's overlap is measured with it). */
  onUnpack?(phase: 'start' | 'end'): void;
  /** Called when the last byte came in (a download's blob stream ends only once its digest checked out). */
  onDownloaded?(): void;
}

function detectedType(head: Uint8Array): string {
  const kind = detectCompression(head);
  return kind === 'gzip' ? MediaType.ociLayerGzip : kind === 'zstd' ? MediaType.ociLayerZstd : MediaType.ociLayer;
}

/**
 * Stores the layer and returns its record with the pin that keeps it from being collected: the
 * caller releases it once an image record names the layer.
 */
export async function storeLayer(ctx: LayerStoreContext, source: AsyncIterable<Uint8Array>, opts: StoreLayerOptions): Promise<{ layer: LayerRecord; release: () => void }> {
  const blobTmp = ctx.tmpPath();
  const handle = await fs.open(blobTmp, 'wx', 0o644);
  const raw = createHash('sha256');
  let rawSize = 0;
  let head: Uint8Array | undefined;
  async function* tee(): AsyncGenerator<Uint8Array> {
    for await (const chunk of source) {
      head ??= chunk;
      raw.update(chunk);
      rawSize += chunk.length;
      await handle.write(chunk);
      yield chunk;
    }
    opts.onDownloaded?.();
  }
  const verify = verifyDiff(opts.diffId, { layer: opts.what });
  const plain = verify.stream;
  // pipeline, not pipe: a failing download or decoder must fail the unpacking that reads `plain`.
  pipeline(decompress(Readable.from(tee(), { objectMode: false })), plain, () => undefined);
  let work: string | undefined;
  let closed = false;
  try {
    let size: number;
    const existing = opts.diffId ? await ctx.snapshots.get(opts.diffId) : undefined;
    if (existing) {
      for await (const _ of plain) {
        // hashing only: the snapshot is there
      }
      size = existing.size;
    } else {
      opts.onUnpack?.('start');
      const unpacked = await ctx.snapshots.unpackToWork(plain);
      opts.onUnpack?.('end');
      work = unpacked.dir;
      size = unpacked.result.size;
    }
    const { diffId } = await verify.result;
    const digest = `sha256:${raw.digest('hex')}`;
    if (opts.digest && opts.digest !== digest) throw new ImageError('invalid', `${opts.what}: its bytes hash to ${digest}, not ${opts.digest}`);
    await handle.close();
    closed = true;
    // Pinned before anything is in place, so a collection running meanwhile cannot take it.
    const release = ctx.pin([diffId, digest]);
    try {
      const meta = work ? await ctx.snapshots.commit(work, diffId, size) : { size };
      await ctx.layout.adopt(blobTmp, digest);
      return { layer: { diffId, size: meta.size, blob: { mediaType: opts.mediaType ?? detectedType(head ?? new Uint8Array()), digest, size: rawSize } }, release };
    } catch (e) {
      release();
      throw e;
    }
  } catch (e) {
    plain.destroy();
    throw e;
  } finally {
    if (!closed) await handle.close().catch(() => undefined);
    await fs.rm(blobTmp, { force: true });
    if (work) await fs.rm(work, { recursive: true, force: true });
  }
}
