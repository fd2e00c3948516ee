// Synthetic images for registry tests: layer tars written with tar-stream, compressed with zlib
// (gzip) or the zstd CLI, and a config whose diff_ids match, so a pull can verify everything.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { pack } from 'tar-stream';
import { MediaType, type PushBlobSource } from '../../src/engine/distribution/index.js';

export type LayerCompression = 'gzip' | 'zstd' | 'none';

export interface TestLayer {
  tar: Buffer;
  blob: Buffer;
  digest: string;
  diffId: string;
  mediaType: string;
  compression: LayerCompression;
}

export interface TestImage {
  config: Buffer;
  configDigest: string;
  layers: TestLayer[];
}

export const sha = (b: Buffer): string => `sha256:${createHash('sha256').update(b).digest('hex')}`;

export async function layerTar(files: Record<string, string | Buffer>): Promise<Buffer> {
  const p = pack();
  for (const [name, content] of Object.entries(files)) {
    p.entry({ name, mode: 0o644, mtime: new Date(0), uid: 0, gid: 0 }, content);
  }
  p.finalize();
  return readAll(p as AsyncIterable<Uint8Array>);
}

export function compress(tar: Buffer, how: LayerCompression): { blob: Buffer; mediaType: string } {
  if (how === 'gzip') return { blob: gzipSync(tar), mediaType: MediaType.ociLayerGzip };
  if (how === 'zstd') {
    const r = spawnSync('zstd', ['-q', '-c', '-3'], { input: tar, maxBuffer: 1 << 30 });
    if (r.status !== 0) throw new Error(`zstd failed: ${r.stderr.toString()}`);
    return { blob: r.stdout, mediaType: MediaType.ociLayerZstd };
  }
  return { blob: tar, mediaType: MediaType.ociLayer };
}

export async function makeLayer(files: Record<string, string | Buffer>, how: LayerCompression): Promise<TestLayer> {
  const tar = await layerTar(files);
  const { blob, mediaType } = compress(tar, how);
  return { tar, blob, digest: sha(blob), diffId: sha(tar), mediaType, compression: how };
}

export function makeConfig(layers: TestLayer[], platform: { os: string; architecture: string; variant?: string } = { os: 'linux', architecture: 'amd64' }, extra: Record<string, unknown> = {}): Buffer {
  return Buffer.from(JSON.stringify({
    ...platform,
    created: '2026-01-01T00:00:00Z',
    config: { Cmd: ['sh'], Env: ['PATH=/bin'] },
    rootfs: { type: 'layers', diff_ids: layers.map((l) => l.diffId) },
    history: layers.map((_, i) => ({ created_by: `layer ${i}` })),
    ...extra,
  }));
}

export async function makeImage(specs: { files: Record<string, string | Buffer>; compression: LayerCompression }[], platform?: { os: string; architecture: string; variant?: string }): Promise<TestImage> {
  const layers: TestLayer[] = [];
  for (const s of specs) layers.push(await makeLayer(s.files, s.compression));
  const config = makeConfig(layers, platform);
  return { config, configDigest: sha(config), layers };
}

/** The layers as push sources (digest and size known, read from memory in small pieces). */
export function pushSources(image: TestImage, extra: Partial<PushBlobSource> = {}): PushBlobSource[] {
  return image.layers.map((l) => ({
    mediaType: l.mediaType,
    digest: l.digest,
    size: l.blob.length,
    open: () => pieces(l.blob, 64 * 1024),
    ...extra,
  }));
}

export function* pieces(b: Buffer, size: number): Generator<Buffer> {
  for (let i = 0; i < b.length; i += size) yield b.subarray(i, i + size);
}

export async function readAll(stream: AsyncIterable<Uint8Array>): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(Buffer.from(c));
  return Buffer.concat(chunks);
}

/** Random bytes that do not compress, so a layer has a predictable size on the wire. */
export function noise(n: number, seed = 1): Buffer {
  const out = Buffer.alloc(n);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}
