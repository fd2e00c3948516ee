// The solver's pieces that need no container: the persisted build cache (records survive a
// reopen, LRU eviction under a keep-storage limit, prune filters, pinned layers stay), the layer
// differ (deterministic tars: same tree → same diff id whatever the mtimes with SOURCE_DATE_EPOCH,
// whiteouts and opaque dirs in Docker's form), symbolic --chmod, and the client's reading of the
// classic builder's JSON stream.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { BuildCache } from '../../../src/engine/build/solve/cache.js';
import { diffUpper } from '../../../src/engine/build/solve/diff-layer.js';
import { applySymbolicMode } from '../../../src/engine/build/solve/copy-write.js';
import { BuildStreamReader } from '../../../src/client/build-stream.js';
import { readTarToArray } from '../../../src/lib/tar.js';
import { createReadStream } from 'node:fs';
import type { BuildStreamEvent } from '../../../src/client/engine-port.js';

const dirs: string[] = [];
const tmp = (): string => {
  const d = mkdtempSync(path.join(tmpdir(), 'berth-solve-'));
  dirs.push(d);
  return d;
};
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

async function layerOf(cache: BuildCache, key: string, size: number, at: string): Promise<void> {
  const upper = await cache.tmpDir('u');
  writeFileSync(path.join(upper, 'f'), key);
  const tarPath = path.join(await cache.tmpDir('t'), 'l.tar');
  writeFileSync(tarPath, Buffer.alloc(size));
  const diffId = `sha256:${Buffer.from(key).toString('hex').padEnd(64, '0').slice(0, 64)}`;
  await cache.commit({ key, diffId, size, createdAt: at, description: key }, { upper, tarPath });
}

describe('build cache', () => {
  it('keeps records across a reopen, evicts the least recently used over its limit, never a pinned layer', async () => {
    const root = tmp();
    let cache = await BuildCache.open(root, { keepBytes: 2500 });
    await layerOf(cache, 'k1', 1000, '2026-01-01T00:00:00.000Z');
    await layerOf(cache, 'k2', 1000, '2026-01-02T00:00:00.000Z');
    await cache.save();
    cache = await BuildCache.open(root, { keepBytes: 2500 });
    expect(await cache.lookup('k1')).toMatchObject({ size: 1000 });
    cache.touch('k1', new Date('2026-01-03T00:00:00Z'));
    const release = cache.pin((await cache.lookup('k2'))!.diffId!);
    await layerOf(cache, 'k3', 1000, '2026-01-04T00:00:00.000Z');
    // k2 is the least recently used, but a build holds it: the next one (k1) goes instead.
    const evicted = await cache.evict(new Date('2026-01-05T00:00:00Z'));
    expect(evicted.CachesDeleted.length).toBe(1);
    expect(evicted.SpaceReclaimed).toBe(1000);
    expect(await cache.lookup('k1')).toBeUndefined();
    expect(await cache.lookup('k2')).toBeDefined();
    release();
    const rows = await cache.usage();
    expect(rows.map((r) => r.Description).sort()).toEqual(['k2', 'k3']);
    // Under the limit now: nothing more goes.
    expect((await cache.evict(new Date('2026-01-06T00:00:00Z'))).CachesDeleted).toEqual([]);
  });

  it('prune: until filters by last use, keep-storage keeps the newest, all empties it; unknown filters are refused', async () => {
    const cache = await BuildCache.open(tmp(), { keepBytes: 1 << 30 });
    await layerOf(cache, 'old', 100, '2026-01-01T00:00:00.000Z');
    await layerOf(cache, 'new', 100, '2026-01-10T00:00:00.000Z');
    const now = new Date('2026-01-10T12:00:00Z');
    expect((await cache.prune({ filters: { until: ['48h'] } }, now)).SpaceReclaimed).toBe(100);
    expect(await cache.lookup('old')).toBeUndefined();
    await expect(cache.prune({ filters: { parent: ['x'] } }, now)).rejects.toThrow(/not supported/);
    expect((await cache.prune({ keepStorage: 100 }, now)).CachesDeleted).toEqual([]);
    expect((await cache.prune({ all: true }, now)).SpaceReclaimed).toBe(100);
    expect(await cache.usage()).toEqual([]);
  });
});

describe('layer differ', () => {
  it('the same tree gives the same diff id whatever the mtimes (SOURCE_DATE_EPOCH); whiteouts and opaque dirs are Docker\'s', async () => {
    const make = (mtime: number): string => {
      const d = tmp();
      mkdirSync(path.join(d, 'app/sub'), { recursive: true });
      writeFileSync(path.join(d, 'app/b.txt'), 'b');
      writeFileSync(path.join(d, 'app/a.txt'), 'a');
      writeFileSync(path.join(d, 'app/sub/c'), 'c');
      execFileSync('mknod', [path.join(d, 'gone'), 'c', '0', '0']);
      execFileSync('/usr/bin/python3', ['-c', `import os; os.setxattr('${path.join(d, 'app/sub')}', 'trusted.overlay.opaque', b'y')`]);
      for (const p of ['app/a.txt', 'app/b.txt', 'app/sub/c', 'app/sub', 'app']) utimesSync(path.join(d, p), mtime, mtime);
      return d;
    };
    const epoch = 1_000_000;
    const one = await diffUpper({ upper: make(2_000_000), lowerDirs: [], tarPath: path.join(tmp(), 'a.tar'), sourceDateEpoch: epoch });
    const twoTar = path.join(tmp(), 'b.tar');
    const two = await diffUpper({ upper: make(3_000_000), lowerDirs: [], tarPath: twoTar, sourceDateEpoch: epoch });
    expect(one.diffId).toBe(two.diffId);
    const entries = await readTarToArray(createReadStream(twoTar));
    // In the upper dir's name order (a whiteout sits where the name it hides would), as Docker's archive walks it.
    expect(entries.map((e) => e.header.path)).toEqual(['app/', 'app/a.txt', 'app/b.txt', 'app/sub/', 'app/sub/.wh..wh..opq', 'app/sub/c', '.wh.gone']);
    expect(entries.every((e) => e.header.mtime <= epoch)).toBe(true);
    // Nothing changed: no layer.
    expect((await diffUpper({ upper: tmp(), lowerDirs: [], tarPath: path.join(tmp(), 'c.tar') })).diffId).toBeUndefined();
  });
});

describe('COPY --chmod symbolic modes', () => {
  it('applies u/g/o/a with +, -, = and X as chmod(1) does', () => {
    expect(applySymbolicMode(0o644, 'u+x', false)).toBe(0o744);
    expect(applySymbolicMode(0o777, 'go-w', false)).toBe(0o755);
    expect(applySymbolicMode(0o600, 'a+X', true)).toBe(0o711);
    expect(applySymbolicMode(0o600, 'a+X', false)).toBe(0o600);
    expect(applySymbolicMode(0o640, 'o=r,g=', false)).toBe(0o604);
  });
});

describe('the classic builder JSON stream, read by the client', () => {
  it('steps, cache hits, output split across chunks, the image id and a failure with its output', () => {
    const events: BuildStreamEvent[] = [];
    const r = new BuildStreamReader((e) => events.push(e));
    const lines = [
      { stream: 'Step 1/3 : FROM busybox\n' },
      { stream: ' ---> 0a97eee8041e\n' },
      { stream: 'Step 2/3 : COPY . /app\n' },
      { stream: ' ---> Using cache\n ---> 3a9d5b2c1f00\n' },
      { stream: 'Step 3/3 : RUN make\n' },
      { stream: 'compil' },
      { stream: 'ing\nfailed\n' },
      { errorDetail: { message: 'exit code: 2', code: 2 }, error: 'exit code: 2' },
    ].map((m) => `${JSON.stringify(m)}\n`).join('');
    r.push(lines.slice(0, 50));
    r.push(lines.slice(50));
    const res = r.end();
    expect(events.filter((e) => e.kind === 'step').map((e) => (e as { text: string }).text)).toEqual(['FROM busybox', 'COPY . /app', 'RUN make']);
    expect(events.some((e) => e.kind === 'cached')).toBe(true);
    expect(res).toMatchObject({ error: 'exit code: 2', lastOutput: ['compiling', 'failed'] });
  });
});

describe('context tars read into memory (POST /build)', () => {
  const tarOf = async (entries: Parameters<typeof import('../../../src/lib/tar.js').writeTar>[0]): Promise<Buffer> => {
    const { writeTar } = await import('../../../src/lib/tar.js');
    const chunks: Buffer[] = [];
    for await (const c of writeTar(entries)) chunks.push(c);
    return Buffer.concat(chunks);
  };

  it('indexes like the walker would on disk, writes nothing until asked, and refuses hostile entries', async () => {
    const { readContextTar } = await import('../../../src/engine/build/context/tar-index.js');
    const { walkTree, walkContext } = await import('../../../src/engine/build/context/walk.js');
    const tar = await tarOf([
      { path: 'src/', type: 'directory', mode: 0o755 },
      { path: 'src/a.txt', body: 'a', mode: 0o644 },
      { path: 'src/big.bin', body: Buffer.alloc(3 << 20, 7), mode: 0o600 },
      { path: 'link', type: 'symlink', linkpath: '/etc' },
      { path: '.dockerignore', body: 'ignored\n' },
      { path: 'ignored', body: 'x' },
    ]);
    const ctx = await readContextTar([tar], { tmpRoot: tmp(), spoolAbove: 1 << 20 });
    const index = await walkTree(ctx.tree, 'ctx', { ignore: ctx.ignoreRules() });
    expect([...index.entries.keys()].sort()).toEqual(['.', '.dockerignore', 'link', 'src', 'src/a.txt', 'src/big.bin']);
    expect(index.excluded).toEqual(['ignored']);
    const dir = await ctx.directory();
    const onDisk = await walkContext(dir, { metadata: new Map([...index.entries.values()].map((e) => [e.path, { mode: e.mode, uid: e.uid, gid: e.gid }])) });
    expect(onDisk.entries.get('src')!.digest).toBe(index.entries.get('src')!.digest);
    await ctx.cleanup();

    await expect(readContextTar([await tarOf([{ path: '/etc/passwd', body: 'x' }])], { tmpRoot: tmp() })).rejects.toThrow(/absolute path/);
    await expect(readContextTar([await tarOf([{ path: 'a/../../x', body: 'x' }])], { tmpRoot: tmp() })).rejects.toThrow(/climbs out/);
    await expect(readContextTar([await tarOf([{ path: 'l', type: 'symlink', linkpath: '/tmp' }, { path: 'l/x', body: 'x' }])], { tmpRoot: tmp() })).rejects.toThrow(/through a symlink/);
    await expect(readContextTar([await tarOf([{ path: 'h', type: 'hardlink', linkpath: 'nothere' }])], { tmpRoot: tmp() })).rejects.toThrow(/not a file of the archive/);
  });
});
