// Push then pull against a real registry (distribution 2.8): synthetic multi-layer images in
// every compression, indexes with two platforms, pull by digest, and what push saves (HEAD,
// cross-repository mount) or splits (chunked upload), observed through a logging proxy.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fetchLayer, MediaType, parseRegistryReference, pushBlob, pushImage, pushIndex, RegistryClient, RegistryError, resolveImage, staticCredentials } from '../../../src/engine/distribution/index.js';
import { startFaultProxy, type FaultProxy } from '../../support/fault-proxy.js';
import { makeImage, noise, pushSources, readAll } from '../../support/images.js';
import { haveTools } from '../../support/gates.js';
import { startRegistry, type TestRegistry } from '../../support/registry.js';

const ready = haveTools('registry round-trip tests', ['docker-registry', 'zstd']);

describe.skipIf(!ready)('push and pull against distribution 2.8', () => {
  let registry: TestRegistry;
  let proxy: FaultProxy;
  const client = (): RegistryClient => new RegistryClient({ credentials: staticCredentials({}) });

  beforeAll(async () => {
    registry = await startRegistry();
    proxy = await startFaultProxy(registry.host);
  });
  afterAll(async () => {
    await proxy?.stop();
    await registry?.stop();
  });

  it('round-trips a three-layer image (gzip, zstd, uncompressed) with every digest verified', async () => {
    const image = await makeImage([
      { files: { 'etc/hello': 'hello\n', 'bin/tool': noise(200_000, 3) }, compression: 'gzip' },
      { files: { 'data/zstd.txt': 'zstd layer\n'.repeat(1000) }, compression: 'zstd' },
      { files: { 'plain/file': noise(10_000, 7) }, compression: 'none' },
    ]);
    const c = client();
    const pushed = await pushImage(c, `${registry.host}/rt/three:v1`, { config: { data: image.config }, layers: pushSources(image) });
    expect(pushed.blobs.map((b) => b.outcome)).toEqual(['uploaded-monolithic', 'uploaded-monolithic', 'uploaded-monolithic', 'uploaded-monolithic']);

    const resolved = await resolveImage(client(), `${registry.host}/rt/three:v1`);
    expect(resolved.manifestDigest).toBe(pushed.digest);
    expect(resolved.configDigest).toBe(image.configDigest);
    expect(resolved.platform).toEqual({ os: 'linux', architecture: 'amd64' });
    expect(resolved.layers.map((l) => [l.digest, l.diffId, l.mediaType])).toEqual(image.layers.map((l) => [l.digest, l.diffId, l.mediaType]));

    // All layers at once, as the engine will pipeline them.
    const progress: number[] = [];
    await Promise.all(
      resolved.layers.map(async (layer, i) => {
        const fetched = fetchLayer(c, resolved, layer, { onProgress: (p) => i === 0 && progress.push(p.current) });
        const tar = await readAll(fetched.stream);
        expect(tar.equals(image.layers[i].tar)).toBe(true);
        await expect(fetched.done).resolves.toEqual({ digest: layer.digest, diffId: image.layers[i].diffId, size: image.layers[i].blob.length, uncompressedSize: tar.length });
      }),
    );
    expect(progress.at(-1)).toBe(image.layers[0].blob.length);
    expect(progress.length).toBeGreaterThan(1);
  });

  it('pushes a docker schema 2 manifest with its Content-Type and pulls it back', async () => {
    const image = await makeImage([{ files: { a: 'a' }, compression: 'gzip' }]);
    const pushed = await pushImage(client(), `${registry.host}/rt/docker:1`, { config: { data: image.config }, layers: pushSources(image, { mediaType: MediaType.dockerLayerGzip }), format: 'docker' });
    expect(pushed.mediaType).toBe(MediaType.dockerManifest);
    const resolved = await resolveImage(client(), `${registry.host}/rt/docker:1`);
    expect(resolved.manifestMediaType).toBe(MediaType.dockerManifest);
    expect(resolved.manifest.config.mediaType).toBe(MediaType.dockerConfig);
  });

  it('resolves an index with two platforms to the requested one, and names the available ones when none matches', async () => {
    const amd = await makeImage([{ files: { arch: 'amd64' }, compression: 'gzip' }], { os: 'linux', architecture: 'amd64' });
    const arm = await makeImage([{ files: { arch: 'arm64' }, compression: 'gzip' }], { os: 'linux', architecture: 'arm64', variant: 'v8' });
    const c = client();
    const ref = `${registry.host}/rt/multi`;
    const a = await pushImage(c, `${ref}:amd64`, { config: { data: amd.config }, layers: pushSources(amd) });
    const b = await pushImage(c, `${ref}:arm64`, { config: { data: arm.config }, layers: pushSources(arm) });
    const index = await pushIndex(c, `${ref}:latest`, [
      { mediaType: a.mediaType, digest: a.digest, size: a.size, platform: { os: 'linux', architecture: 'amd64' } },
      { mediaType: b.mediaType, digest: b.digest, size: b.size, platform: { os: 'linux', architecture: 'arm64', variant: 'v8' } },
    ]);

    const dflt = await resolveImage(client(), ref);
    expect(dflt.indexDigest).toBe(index.digest);
    expect(dflt.manifestDigest).toBe(a.digest);
    const onArm = await resolveImage(client(), ref, { platform: 'linux/arm64' });
    expect(onArm.manifestDigest).toBe(b.digest);
    expect(onArm.platform).toEqual({ os: 'linux', architecture: 'arm64' });
    expect((await resolveImage(client(), ref, { platform: 'linux/aarch64/v8' })).manifestDigest).toBe(b.digest);

    const err = await resolveImage(client(), ref, { platform: 'linux/s390x' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RegistryError);
    expect((err as RegistryError).kind).toBe('platform-not-found');
    expect((err as RegistryError).message).toContain('no manifest for linux/s390x in the image index; available: linux/amd64, linux/arm64');
  });

  it('pulls by digest, and by tag@digest where the digest wins', async () => {
    const image = await makeImage([{ files: { d: 'digest' }, compression: 'gzip' }]);
    const c = client();
    const pushed = await pushImage(c, `${registry.host}/rt/bydigest:one`, { config: { data: image.config }, layers: pushSources(image) });
    const other = await makeImage([{ files: { d: 'other' }, compression: 'gzip' }]);
    await pushImage(c, `${registry.host}/rt/bydigest:two`, { config: { data: other.config }, layers: pushSources(other) });
    expect((await resolveImage(client(), `${registry.host}/rt/bydigest@${pushed.digest}`)).configDigest).toBe(image.configDigest);
    expect((await resolveImage(client(), `${registry.host}/rt/bydigest:two@${pushed.digest}`)).configDigest).toBe(image.configDigest);
  });

  it('skips blobs the registry has (HEAD), mounts from another repository, and counts the requests', async () => {
    const image = await makeImage([{ files: { m: noise(5000, 11) }, compression: 'gzip' }, { files: { n: 'n' }, compression: 'gzip' }]);
    const c = client();
    const via = `${proxy.host}/rt/source:1`;
    await pushImage(c, via, { config: { data: image.config }, layers: pushSources(image) });
    proxy.requests.length = 0;
    const again = await pushImage(c, via, { config: { data: image.config }, layers: pushSources(image) });
    expect(again.blobs.map((b) => b.outcome)).toEqual(['exists', 'exists', 'exists']);
    expect(proxy.requests.filter((r) => r.method === 'POST' || r.method === 'PATCH').length).toBe(0);
    expect(proxy.requests.filter((r) => r.method === 'HEAD' && r.status === 200).length).toBe(3);

    proxy.requests.length = 0;
    const mounted = await pushImage(c, `${proxy.host}/rt/target:1`, { config: { data: image.config }, layers: pushSources(image, { mountFrom: ['rt/source'] }) });
    expect(mounted.blobs.map((b) => b.outcome)).toEqual(['mounted', 'mounted', 'uploaded-monolithic']);
    const mounts = proxy.requests.filter((r) => r.method === 'POST' && r.url.includes('mount='));
    expect(mounts.map((r) => r.status)).toEqual([201, 201]);
    expect(proxy.requests.some((r) => r.method === 'PUT' && r.url.includes(image.layers[0].digest))).toBe(false);

    // A mount from a repository that lacks the blob: the registry opens an upload (202) and we use it.
    const fresh = await makeImage([{ files: { f: 'fresh' }, compression: 'gzip' }]);
    const out = await pushBlob(c, `${proxy.host}/rt/target:1`, { ...pushSources(fresh)[0], mountFrom: ['rt/nothing-here'] });
    expect(out.outcome).toBe('uploaded-monolithic');
    expect(proxy.requests.filter((r) => r.url.includes('from=rt%2Fnothing-here')).map((r) => r.status)).toEqual([202]);
  });

  it('uploads in chunks above the threshold (PATCH with Content-Range, then PUT), and streams sources without a digest', async () => {
    const image = await makeImage([{ files: { big: noise(700_000, 5) }, compression: 'none' }]);
    const c = client();
    proxy.requests.length = 0;
    const layer = image.layers[0];
    const pushed = await pushBlob(c, `${proxy.host}/rt/chunked:1`, pushSources(image)[0], { chunkThreshold: 100_000, chunkSize: 256 * 1024 });
    expect(pushed.outcome).toBe('uploaded-chunked');
    const patches = proxy.requests.filter((r) => r.method === 'PATCH');
    expect(patches.map((r) => r.headers['content-range'])).toEqual(['0-262143', '262144-524287', `524288-${layer.blob.length - 1}`]);
    expect(proxy.requests.filter((r) => r.method === 'PUT').length).toBe(1);

    const streamed = await pushBlob(c, `${proxy.host}/rt/chunked:1`, { mediaType: MediaType.ociLayer, open: () => [layer.blob.subarray(0, 1000), layer.blob.subarray(1000)] }, { chunkSize: 300_000 });
    expect(streamed.descriptor).toMatchObject({ digest: layer.digest, size: layer.blob.length });

    const image2 = { reference: parseRegistryReference(`${registry.host}/rt/chunked`), endpoints: [c.registryEndpoint(registry.host)] };
    const resolvedBlob = await readAll(fetchLayer(c, image2, { ...pushed.descriptor, diffId: layer.diffId }).stream);
    expect(resolvedBlob.equals(layer.tar)).toBe(true);
  });

  it('reports unknown repositories, tags and digests as not-found, naming reference, host and the registry code', async () => {
    const c = client();
    const image = await makeImage([{ files: { u: 'u' }, compression: 'gzip' }]);
    await pushImage(c, `${registry.host}/rt/known:1`, { config: { data: image.config }, layers: pushSources(image) });
    const fail = async (ref: string): Promise<RegistryError> => (await resolveImage(c, ref).catch((e: unknown) => e)) as RegistryError;

    const repo = await fail(`${registry.host}/rt/never-pushed:1`);
    expect(repo.kind).toBe('not-found');
    expect(repo.message).toContain(`${registry.host}/rt/never-pushed:1 (${registry.host})`);
    // distribution 2.8 answers an unknown repository's manifest with MANIFEST_UNKNOWN (NAME_UNKNOWN is for tag lists).
    expect(repo.errors.map((e) => e.code)).toEqual(['MANIFEST_UNKNOWN']);

    const tag = await fail(`${registry.host}/rt/known:nope`);
    expect(tag.kind).toBe('not-found');
    expect(tag.errors.map((e) => e.code)).toEqual(['MANIFEST_UNKNOWN']);
    expect(tag.message).toContain('manifest unknown');

    const digest = await fail(`${registry.host}/rt/known@sha256:${'0'.repeat(64)}`);
    expect(digest.kind).toBe('not-found');
    expect(digest.message).toContain('MANIFEST_UNKNOWN');
  });
});
