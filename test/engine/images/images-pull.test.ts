// The image store against a real registry (distribution 2.8 on loopback): the pipelined pull into
// snapshots with the registry's blobs kept, what a second pull skips, push back with the same
// digests, skopeo and umoci reading the store as an OCI layout, reference counting (remove,
// prune, collect) and the faults that must leave the store consistent: an unknown reference, an
// unreachable registry, a corrupted blob, a full disk.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MediaType, pushImage as pushToRegistry, RegistryClient, RegistryError, staticCredentials } from '../../../src/engine/distribution/index.js';
import { pullImage, type PullEvent } from '../../../src/engine/images/pull.js';
import { pushImage } from '../../../src/engine/images/push.js';
import { ImageStore } from '../../../src/engine/images/store.js';
import { startFaultProxy, type FaultProxy } from '../../support/fault-proxy.js';
import { makeImage, noise, pushSources, sha, type TestImage } from '../../support/images.js';
import { haveTools } from '../../support/gates.js';
import { startRegistry, type TestRegistry } from '../../support/registry.js';

const ready = haveTools('image store pull tests', ['docker-registry', 'zstd', 'skopeo', 'umoci']);
const isRoot = process.getuid?.() === 0;

describe.skipIf(!ready)('the image store pulls from and pushes to a registry', () => {
  let registry: TestRegistry;
  let proxy: FaultProxy;
  let base: string;
  let n = 0;
  let three: TestImage;
  const client = (): RegistryClient => new RegistryClient({ credentials: staticCredentials({}) });
  const newStore = (): Promise<ImageStore> => ImageStore.open({ root: path.join(base, `store${++n}`) });

  beforeAll(async () => {
    base = mkdtempSync(path.join(tmpdir(), 'berth-pull-'));
    registry = await startRegistry();
    proxy = await startFaultProxy(registry.host);
    three = await makeImage([
      { files: { 'etc/hello': 'hello\n', 'bin/tool': noise(300_000, 3) }, compression: 'gzip' },
      { files: { 'data/zstd.txt': 'zstd layer\n'.repeat(1000) }, compression: 'zstd' },
      { files: { 'plain/file': noise(10_000, 7) }, compression: 'none' },
    ]);
    await pushToRegistry(client(), `${registry.host}/store/three:v1`, { config: { data: three.config }, layers: pushSources(three) });
  });
  afterAll(async () => {
    await proxy?.stop();
    await registry?.stop();
    if (base) rmSync(base, { recursive: true, force: true });
  });

  it('pulls every layer into its own snapshot, keeps the registry blobs and manifest, and a second pull fetches nothing', async () => {
    const store = await newStore();
    const events: PullEvent[] = [];
    const ref = `${registry.host}/store/three:v1`;
    const r = await pullImage(store, client(), ref, { onEvent: (e) => events.push(e) });
    expect(r.id).toBe(three.configDigest);
    expect(r.upToDate).toBe(false);
    expect(r.timings.layersFetched).toBe(3);
    const image = await store.get(ref);
    expect(image.names).toEqual([ref]);
    expect(image.digests).toEqual([`${registry.host}/store/three@${r.image.manifestDigest}`]);
    // Blobs as the registry has them: compressed digests, media types, the manifest bytes.
    expect(image.layers.map((l) => [l.diffId, l.blob.digest, l.blob.mediaType])).toEqual(three.layers.map((l) => [l.diffId, l.digest, l.mediaType]));
    for (const l of three.layers) expect(readFileSync(store.layout.blobPath(l.digest)).equals(l.blob)).toBe(true);
    expect(sha(readFileSync(store.layout.blobPath(image.manifest!.digest)))).toBe(r.image.manifestDigest);
    // Each layer unpacked once, in its own lower dir.
    expect(image.lowerDirs).toEqual([...three.layers].reverse().map((l) => store.snapshots.dir(l.diffId)));
    expect(readFileSync(path.join(store.snapshots.dir(three.layers[0].diffId), 'etc/hello'), 'utf8')).toBe('hello\n');
    expect(readFileSync(path.join(store.snapshots.dir(three.layers[1].diffId), 'data/zstd.txt'), 'utf8')).toMatch(/^zstd layer\n/);
    const statuses = events.filter((e) => e.type === 'layer' && e.digest === three.layers[0].digest).map((e) => (e.type === 'layer' ? e.status : ''));
    expect(statuses[0]).toBe('pulling');
    expect(statuses).toContain('downloading');
    expect(statuses.at(-1)).toBe('complete');
    expect(await store.check({ deep: true })).toEqual([]);

    const layerGets = (): number => registry.log().split('\n').filter((l) => three.layers.some((x) => l.includes(`GET /v2/store/three/blobs/${x.digest}`))).length;
    const before = layerGets();
    const again = await pullImage(store, client(), ref);
    expect(again.upToDate).toBe(true);
    expect(again.timings.layersFetched).toBe(0);
    expect(layerGets()).toBe(before);
  });

  it('fetches only the layers it lacks, and by digest the image has no tag', async () => {
    const store = await newStore();
    await pullImage(store, client(), `${registry.host}/store/three:v1`);
    const child = await makeImage([{ files: { 'etc/hello': 'hello\n', 'bin/tool': noise(300_000, 3) }, compression: 'gzip' }, { files: { top: 'new' }, compression: 'gzip' }]);
    const pushed = await pushToRegistry(client(), `${registry.host}/store/child:1`, { config: { data: child.config }, layers: pushSources(child) });
    const r = await pullImage(store, client(), `${registry.host}/store/child@${pushed.digest}`);
    expect([r.timings.layersPresent, r.timings.layersFetched]).toEqual([1, 1]);
    expect((await store.get(r.id)).names).toEqual([]);
    expect(await store.resolve(`${registry.host}/store/child@${pushed.digest}`)).toBe(r.id);
  });

  it('is an OCI layout skopeo and umoci read', async () => {
    const store = await newStore();
    await pullImage(store, client(), `${registry.host}/store/three:v1`);
    const inspected = JSON.parse(execFileSync('skopeo', ['inspect', '--raw', `oci:${store.root}:v1`], { encoding: 'utf8' })) as { layers: { digest: string }[] };
    expect(inspected.layers.map((l) => l.digest)).toEqual(three.layers.map((l) => l.digest));
    expect(execFileSync('umoci', ['ls', '--layout', store.root], { encoding: 'utf8' }).trim()).toBe('v1');
    const copy = path.join(base, 'skopeo-copy');
    execFileSync('skopeo', ['copy', '--quiet', `oci:${store.root}:v1`, `dir:${copy}`]);
    expect(readdirSync(copy)).toEqual(expect.arrayContaining(three.layers.map((l) => l.digest.slice(7))));
  });

  it('pushes what it pulled with the same manifest digest, HEAD-skipping and mounting blobs the registry has', async () => {
    const store = await newStore();
    const pulled = await pullImage(store, client(), `${registry.host}/store/three:v1`);
    await store.tag(`${registry.host}/store/three:v1`, `${registry.host}/other/three:copy`);
    const pushed = await pushImage(store, client(), `${registry.host}/other/three:copy`);
    expect(pushed.digest).toBe(pulled.image.manifestDigest);
    expect(new Set(Object.values(pushed.outcomes))).toEqual(new Set(['mounted']));
    expect((await store.get(pulled.id)).digests).toContain(`${registry.host}/other/three@${pushed.digest}`);
    // Pushing again: everything exists already.
    const again = await pushImage(store, client(), `${registry.host}/other/three:copy`);
    expect(new Set(Object.values(again.outcomes))).toEqual(new Set(['exists']));
  });

  it('removes blobs and snapshots no image needs: remove, prune of dangling images, and a shared layer stays', async () => {
    const store = await newStore();
    const a = await pullImage(store, client(), `${registry.host}/store/three:v1`);
    const child = await makeImage([{ files: { 'etc/hello': 'hello\n', 'bin/tool': noise(300_000, 3) }, compression: 'gzip' }, { files: { top: 'x' }, compression: 'gzip' }]);
    await pushToRegistry(client(), `${registry.host}/store/child:2`, { config: { data: child.config }, layers: pushSources(child) });
    const b = await pullImage(store, client(), `${registry.host}/store/child:2`);
    expect(await store.remove(`${registry.host}/store/three:v1`)).toEqual([
      { Untagged: `${registry.host}/store/three:v1` },
      { Untagged: `${registry.host}/store/three@${a.image.manifestDigest}` },
      { Deleted: a.id },
    ]);
    // The shared base layer stays for the child; the other two go with their blobs.
    expect(existsSync(store.snapshots.dir(three.layers[0].diffId))).toBe(true);
    expect(existsSync(store.snapshots.dir(three.layers[1].diffId))).toBe(false);
    expect(existsSync(store.layout.blobPath(three.layers[2].digest))).toBe(false);
    expect(existsSync(store.layout.blobPath(a.id))).toBe(false);
    // Untagged, then pruned: dangling.
    await store.tag(b.id, 'keep:me');
    await store.remove(`${registry.host}/store/child:2`);
    expect((await store.prune({ dangling: true })).deleted).toEqual([]);
    await store.remove('keep:me');
    expect(await store.resolve(b.id).catch((e: Error) => e.message)).toMatch(/No such image/);
    expect(readdirSync(store.snapshots.dirRoot)).toEqual([]);
    expect(await store.layout.digests()).toEqual([]);
    expect(await store.check()).toEqual([]);
  });

  it('prunes by label and age, never an image a container uses; -a takes tagged images too', async () => {
    const store = await ImageStore.open({ root: path.join(base, 'prune-store'), inUse: (id) => (id === used ? { container: 'c'.repeat(64), running: false } : undefined) });
    let used = '';
    const a = await pullImage(store, client(), `${registry.host}/store/three:v1`);
    const aged = await makeImage([{ files: { f: 'old' }, compression: 'gzip' }]);
    await pushToRegistry(client(), `${registry.host}/store/aged:1`, { config: { data: aged.config }, layers: pushSources(aged) });
    const b = await pullImage(store, client(), `${registry.host}/store/aged:1`);
    used = a.id;
    expect((await store.prune({ dangling: true })).deleted).toEqual([]); // both are tagged
    const all = await store.prune({ dangling: false, until: new Date('2027-01-01T00:00:00Z') });
    expect(all.deleted).toContainEqual({ Deleted: b.id });
    expect(all.deleted).not.toContainEqual({ Deleted: a.id });
    expect(all.reclaimed).toBeGreaterThan(0);
    expect(await store.check()).toEqual([]);
  });

  it('names the reference and what the registry said for an unknown tag, repository or digest', async () => {
    const store = await newStore();
    const tag = await pullImage(store, client(), `${registry.host}/store/three:nope`).catch((e: unknown) => e);
    expect(tag).toBeInstanceOf(RegistryError);
    expect((tag as RegistryError).kind).toBe('not-found');
    expect((tag as Error).message).toMatch(new RegExp(`${registry.host}/store/three:nope.*manifest unknown.*MANIFEST_UNKNOWN`));
    const repo = await pullImage(store, client(), `${registry.host}/store/none:1`).catch((e: Error) => e.message);
    expect(repo).toMatch(/store\/none:1.*(NAME_UNKNOWN|MANIFEST_UNKNOWN)/);
    const digest = await pullImage(store, client(), `${registry.host}/store/three@sha256:${'0'.repeat(64)}`).catch((e: Error) => e.message);
    expect(digest).toMatch(/not found|unknown/);
    expect(await store.check()).toEqual([]);
  });

  it('names the host when nothing answers', async () => {
    const store = await newStore();
    const e = await pullImage(store, client(), '127.0.0.1:1/x/y:1').catch((err: unknown) => err);
    expect((e as RegistryError).kind).toBe('unreachable');
    expect((e as Error).message).toMatch(/127\.0\.0\.1:1/);
  });

  it('discards a layer whose bytes do not match its digest and keeps nothing of it', async () => {
    const store = await newStore();
    const bad = await makeImage([{ files: { ok: 'fine' }, compression: 'gzip' }, { files: { big: noise(200_000, 9) }, compression: 'none' }]);
    await pushToRegistry(client(), `${registry.host}/store/bad:1`, { config: { data: bad.config }, layers: pushSources(bad) });
    proxy.hooks.body = (req) => (req.url.includes(bad.layers[1].digest) ? { corruptAt: 100_000 } : undefined);
    try {
      const e = await pullImage(store, new RegistryClient({ credentials: staticCredentials({}), retry: { attempts: 1, baseDelayMs: 1, maxDelayMs: 1 } }), `${proxy.host}/store/bad:1`).catch((err: unknown) => err);
      expect((e as RegistryError).kind).toBe('digest-mismatch');
    } finally {
      proxy.hooks.body = undefined;
    }
    expect(existsSync(store.layout.blobPath(bad.layers[1].digest))).toBe(false);
    expect(existsSync(store.snapshots.dir(bad.layers[1].diffId))).toBe(false);
    expect(readdirSync(path.join(store.root, 'tmp'))).toEqual([]);
    expect(await store.check()).toEqual([]);
    // The good layer may have made it; a pull without the fault completes from there.
    const ok = await pullImage(store, client(), `${proxy.host}/store/bad:1`);
    expect(ok.id).toBe(bad.configDigest);
    expect(await store.check({ deep: true })).toEqual([]);
  });

  it.skipIf(!isRoot)('stays consistent when the disk fills up mid-pull (a small tmpfs as the store root)', async () => {
    const mnt = path.join(base, 'tiny');
    mkdirSync(mnt);
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=600k', 'tmpfs', mnt]);
    try {
      const store = await ImageStore.open({ root: mnt });
      const big = await makeImage([{ files: { a: noise(250_000, 1) }, compression: 'none' }, { files: { b: noise(250_000, 2) }, compression: 'none' }]);
      await pushToRegistry(client(), `${registry.host}/store/big:1`, { config: { data: big.config }, layers: pushSources(big) });
      const e = await pullImage(store, client(), `${registry.host}/store/big:1`).then(
        () => new Error('the pull succeeded'),
        (err: Error) => err,
      );
      expect(String((e as NodeJS.ErrnoException).code ?? e.message)).toMatch(/ENOSPC|no space/i);
      expect(await store.list().then((l) => l.filter((i) => !i.host))).toEqual([]);
      expect(readdirSync(path.join(mnt, 'tmp'))).toEqual([]);
      expect(await store.check()).toEqual([]);
    } finally {
      spawnSync('umount', [mnt]);
    }
  });

  it('records a docker schema 2 manifest as it came', async () => {
    const store = await newStore();
    const image = await makeImage([{ files: { a: 'a' }, compression: 'gzip' }]);
    const pushed = await pushToRegistry(client(), `${registry.host}/store/docker:1`, { config: { data: image.config }, layers: pushSources(image, { mediaType: MediaType.dockerLayerGzip }), format: 'docker' });
    const r = await pullImage(store, client(), `${registry.host}/store/docker:1`);
    const stored = await store.get(r.id);
    expect(stored.manifest).toEqual({ mediaType: MediaType.dockerManifest, digest: pushed.digest, size: pushed.size });
    expect(stored.layers[0].blob.mediaType).toBe(MediaType.dockerLayerGzip);
    expect(await store.check()).toEqual([]);
  });
});
