// Huge inputs are streamed, never held: a 2 GiB (sparse) file in a context directory is hashed,
// and a 300 MiB file arriving in a tar stream is extracted, with the process's resident memory
// staying within a bound far below the file sizes.
import { mkdirSync, mkdtempSync, openSync, closeSync, ftruncateSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import tarStream from 'tar-stream';
import { afterAll, expect, it } from 'vitest';
import { extractContextTar } from '../../../src/engine/build/context/tar.js';
import { walkContext } from '../../../src/engine/build/context/walk.js';
import { describeNeeding } from '../../support/gates.js';

const GiB = 1024 ** 3;
const MiB = 1024 ** 2;
const BOUND = 192 * MiB;

const dir = mkdtempSync(path.join(os.tmpdir(), 'berth-huge-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Whether this filesystem keeps a truncated file sparse (a 2 GiB file that takes no space). */
function sparseSupported(): boolean {
  const probe = path.join(dir, 'probe');
  const fd = openSync(probe, 'w');
  try {
    ftruncateSync(fd, 64 * MiB);
  } finally {
    closeSync(fd);
  }
  const ok = statSync(probe).blocks * 512 < MiB;
  rmSync(probe);
  return ok;
}

/** Runs `fn` and returns the highest RSS growth seen while it ran. */
async function peakRssGrowth(fn: () => Promise<unknown>): Promise<number> {
  global.gc?.();
  const base = process.memoryUsage().rss;
  let peak = base;
  const timer = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage().rss);
  }, 10);
  try {
    await fn();
  } finally {
    clearInterval(timer);
  }
  peak = Math.max(peak, process.memoryUsage().rss);
  return peak - base;
}

describeNeeding(sparseSupported(), 'a filesystem with sparse files under the temp directory', 'huge files', () => {
  it('hashes a 2 GiB sparse file by streaming it', { timeout: 180_000 }, async () => {
    const ctx = path.join(dir, 'ctx');
    mkdirSync(ctx);
    const big = openSync(path.join(ctx, 'disk.img'), 'w');
    try {
      ftruncateSync(big, 2 * GiB);
    } finally {
      closeSync(big);
    }
    let digest = '';
    const growth = await peakRssGrowth(async () => {
      const index = await walkContext(ctx);
      expect(index.entries.get('disk.img')?.size).toBe(2 * GiB);
      expect(index.totalBytes).toBe(2 * GiB);
      expect(index.warnings).toHaveLength(1); // above the large-context threshold
      digest = index.entries.get('disk.img')!.digest;
    });
    expect(digest).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(growth).toBeLessThan(BOUND);
  });

  it('extracts a 300 MiB file from a tar stream by streaming it', { timeout: 180_000 }, async () => {
    const size = 300 * MiB;
    const pack = tarStream.pack();
    const chunk = Buffer.alloc(MiB, 7);
    const sink = pack.entry({ name: 'blob.bin', size, mode: 0o644 });
    // Feed the entry as the extractor drains it, so the archive never sits in memory either.
    const feed = (async () => {
      for (let written = 0; written < size; written += chunk.length) {
        if (!sink.write(chunk)) await new Promise<void>((resolve) => sink.once('drain', () => resolve()));
      }
      sink.end(undefined);
      pack.finalize();
    })();
    let extracted: Awaited<ReturnType<typeof extractContextTar>> | undefined;
    const growth = await peakRssGrowth(async () => {
      extracted = await extractContextTar(Readable.from(pack), { tmpRoot: dir });
      await feed;
    });
    try {
      expect(statSync(path.join(extracted!.dir, 'blob.bin')).size).toBe(size);
      expect(extracted!.bytes).toBe(size);
    } finally {
      await extracted?.cleanup();
    }
    expect(growth).toBeLessThan(BOUND);
  });
});
