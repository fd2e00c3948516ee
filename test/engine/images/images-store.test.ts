import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { ImageError } from '../../../src/engine/images/errors.js';
import { familiarName, InvalidReferenceError, normalizeTagged, parseReference } from '../../../src/engine/reference/reference.js';
import { HOST_IMAGE_PATH, ImageStore, type ImageStoreOptions } from '../../../src/engine/images/store.js';
import { readTarToArray, writeTar, type TarWriteEntry } from '../../../src/lib/tar.js';
import { BUSYBOX as busybox, busybox as busyboxPrereq, requirePrereq, root } from '../../support/gates.js';
import { imageInspect, imageSummary } from '../../../src/engine/daemon/image-views.js';

const isRoot = process.getuid?.() === 0;
// Not root: the store tests still run; only their ownership and chroot checks are left out.
requirePrereq('image store ownership and chroot checks', root());
const noBusybox = requirePrereq('importRootfs of a busybox root filesystem', busyboxPrereq());

const base = mkdtempSync(path.join(tmpdir(), 'berth-images-'));
afterAll(() => rmSync(base, { recursive: true, force: true }));

let n = 0;
const clock = () => new Date(Date.UTC(2026, 0, 1, 0, 0, n));
async function newStore(extra: Partial<ImageStoreOptions> = {}): Promise<ImageStore> {
  return ImageStore.open({ root: path.join(base, `store${++n}`), now: clock, ...extra });
}

async function tarOf(entries: TarWriteEntry[]): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const p of writeTar(entries)) parts.push(p);
  return Buffer.concat(parts);
}

async function collect(stream: AsyncIterable<Uint8Array>): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const p of stream) parts.push(Buffer.from(p));
  return Buffer.concat(parts);
}

/** The store's records as the API shows them (the conversion lives in the daemon). */
const inspect = async (store: ImageStore, ref: string) => imageInspect(await store.get(ref));
const listed = async (store: ImageStore) => (await store.list()).map((i) => imageSummary(i));

const digest = (b: Buffer | string): string => `sha256:${createHash('sha256').update(b).digest('hex')}`;
const hex = (d: string): string => d.slice(7);

async function expectImageError(p: Promise<unknown>, kind: string, message: RegExp): Promise<void> {
  const e = await p.then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(ImageError);
  expect((e as ImageError).kind).toBe(kind);
  expect((e as ImageError).message).toMatch(message);
}

function rootfs(files: Record<string, string>): Promise<Buffer> {
  return tarOf(Object.entries(files).map(([p, body]) => ({ path: p, body, mode: 0o644 })));
}

describe('references', () => {
  it('normalises names as Docker does and prints them short', () => {
    expect(normalizeTagged('busybox')).toBe('docker.io/library/busybox:latest');
    expect(normalizeTagged('me/app:1.0')).toBe('docker.io/me/app:1.0');
    expect(normalizeTagged('docker.io/library/busybox:1')).toBe('docker.io/library/busybox:1');
    expect(normalizeTagged('index.docker.io/busybox')).toBe('docker.io/library/busybox:latest');
    expect(normalizeTagged('localhost:5000/x')).toBe('localhost:5000/x:latest');
    expect(parseReference('busybox@sha256:' + 'a'.repeat(64))).toMatchObject({ path: 'library/busybox', digest: 'sha256:' + 'a'.repeat(64) });
    expect(familiarName('docker.io/library/busybox:latest')).toBe('busybox:latest');
    expect(familiarName('docker.io/me/app:1')).toBe('me/app:1');
    expect(familiarName('localhost:5000/x:y')).toBe('localhost:5000/x:y');
    expect(() => parseReference('Busybox')).toThrow(/lowercase/);
    expect(() => parseReference('a:b:c')).toThrow(/invalid reference format/);
  });
});

describe.skipIf(noBusybox)('importRootfs of a busybox root filesystem', () => {
  it('imports, inspects, and runs /bin/sh from the extracted layer', async () => {
    const store = await newStore();
    const applets = ['sh', 'ls', 'echo', 'cat'];
    const tar = await tarOf([
      { path: 'bin/', type: 'directory', mode: 0o755 },
      { path: 'bin/busybox', mode: 0o755, body: readFileSync(busybox!) },
      ...applets.map((a): TarWriteEntry => ({ path: `bin/${a}`, type: 'symlink', linkpath: 'busybox' })),
      { path: 'etc/', type: 'directory' },
      { path: 'etc/hostname', body: 'bb\n' },
      { path: 'tmp/', type: 'directory', mode: 0o1777 },
    ]);
    const gz = gzipSync(tar);
    const { id, repoTags } = await store.importRootfs([gz], {
      repoTag: 'busybox',
      changes: { Cmd: ['/bin/sh'], Env: ['PATH=/bin'], WorkingDir: '/tmp', ExposedPorts: { '80/tcp': {} } },
      message: 'from test',
    });
    expect(repoTags).toEqual(['busybox:latest']);
    // The id is the digest of the stored config blob.
    const configBlob = readFileSync(path.join(store.root, 'blobs/sha256', hex(id)));
    expect(digest(configBlob)).toBe(id);
    const info = await inspect(store, 'busybox');
    expect(info).toMatchObject({
      Id: id,
      RepoTags: ['busybox:latest'],
      Comment: 'from test',
      Created: '2026-01-01T00:00:01.000Z',
      Config: { Cmd: ['/bin/sh'], Env: ['PATH=/bin'], WorkingDir: '/tmp', Entrypoint: null, ExposedPorts: { '80/tcp': {} } },
      RootFS: { Type: 'layers', Layers: [digest(tar)] },
      Os: 'linux',
    });
    expect(info.Size).toBe(readFileSync(busybox!).length + 3);
    // The layer blob is kept as it came (gzip here); the snapshot is keyed by the diff id.
    expect(existsSync(path.join(store.root, 'blobs/sha256', hex(digest(gz))))).toBe(true);
    expect(existsSync(path.join(store.root, 'blobs/sha256', hex(digest(tar))))).toBe(false);
    expect((await store.get(id)).layers).toEqual([{ diffId: digest(tar), size: info.Size, blob: { mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', digest: digest(gz), size: gz.length } }]);
    const lower = await store.lowerDirs(id);
    expect(lower).toEqual([path.join(store.root, 'layers', hex(digest(tar)))]);
    expect(readFileSync(path.join(store.root, 'oci-layout'), 'utf8')).toBe('{"imageLayoutVersion":"1.0.0"}');
    const index = JSON.parse(readFileSync(path.join(store.root, 'index.json'), 'utf8'));
    expect(index.manifests).toEqual([expect.objectContaining({ annotations: { 'io.containerd.image.name': 'docker.io/library/busybox:latest', 'org.opencontainers.image.ref.name': 'latest' } })]);
    if (isRoot) {
      const out = execFileSync('chroot', [lower[0], '/bin/sh', '-c', 'echo hi from $(cat /etc/hostname)'], { encoding: 'utf8' });
      expect(out).toBe('hi from bb\n');
    }
  });
});

describe('importRootfs', () => {
  it('extracts a layer shared by two images once', async () => {
    const store = await newStore();
    const tar = await rootfs({ a: 'a' });
    const one = await store.importRootfs([tar], { repoTag: 'one', changes: { Cmd: ['a'] } });
    const two = await store.importRootfs([tar], { repoTag: 'two', changes: { Cmd: ['b'] } });
    expect(one.id).not.toBe(two.id);
    expect(readdirSync(path.join(store.root, 'layers')).filter((f) => !f.endsWith('.json'))).toEqual([hex(digest(tar))]);
  });

  it('leaves nothing behind when a layer is rejected', async () => {
    const store = await newStore();
    await expect(store.importRootfs([await tarOf([{ path: '../../etc/evil', body: 'x' }])], { repoTag: 'evil' })).rejects.toThrow(/escapes the layer root/);
    expect(readdirSync(path.join(store.root, 'layers'))).toEqual([]);
    expect(readdirSync(path.join(store.root, 'tmp'))).toEqual([]);
    expect(readdirSync(path.join(store.root, 'blobs/sha256'))).toEqual([]);
    expect((await listed(store)).map((i) => i.RepoTags)).toEqual([['berth/host:latest']]);
  });
});

/** A `docker save` archive as Docker before 25 wrote it: `<id>.json` config, `<v1id>/layer.tar`. */
async function legacySaveArchive(layers: Buffer[], repoTags: string[], gzipLayers = false): Promise<{ archive: Buffer; id: string }> {
  const config = Buffer.from(
    JSON.stringify({
      architecture: 'amd64',
      os: 'linux',
      created: '2025-05-05T05:05:05Z',
      config: { Cmd: ['/bin/sh'], Env: ['PATH=/bin'], Labels: { a: 'b' } },
      rootfs: { type: 'layers', diff_ids: layers.map((l) => digest(l)) },
    }),
  );
  const id = digest(config);
  const entries: TarWriteEntry[] = [{ path: `${hex(id)}.json`, body: config }];
  const layerPaths: string[] = [];
  layers.forEach((l, i) => {
    const dir = `${String(i).padStart(64, '0')}`;
    entries.push({ path: `${dir}/`, type: 'directory' }, { path: `${dir}/layer.tar`, body: gzipLayers ? gzipSync(l) : l }, { path: `${dir}/VERSION`, body: '1.0' });
    layerPaths.push(`${dir}/layer.tar`);
  });
  entries.push({ path: 'manifest.json', body: JSON.stringify([{ Config: `${hex(id)}.json`, RepoTags: repoTags, Layers: layerPaths }]) });
  return { archive: await tarOf(entries), id };
}

describe('load', () => {
  it('loads a docker save archive (legacy layout, gzip layers, whiteouts across layers)', async () => {
    const store = await newStore();
    const l1 = await rootfs({ 'etc/a': 'a', 'etc/b': 'b' });
    // Whiteouts become device nodes, which only root can make.
    const l2 = await tarOf([...(isRoot ? [{ path: 'etc/.wh.a', body: '' }] : []), { path: 'etc/c', body: 'c' }]);
    const { archive, id } = await legacySaveArchive([l1, l2], ['example/app:1'], true);
    const loaded = await store.load([gzipSync(archive)]);
    expect(loaded).toEqual([{ id, repoTags: ['example/app:1'] }]);
    expect(await store.resolve('example/app:1')).toBe(id);
    const info = await inspect(store, 'docker.io/example/app:1');
    expect(info.Config).toMatchObject({ Cmd: ['/bin/sh'], Labels: { a: 'b' } });
    expect(info.RootFS.Layers).toEqual([digest(l1), digest(l2)]);
    const lower = await store.lowerDirs(id);
    expect(lower.map((d) => path.basename(d))).toEqual([hex(digest(l2)), hex(digest(l1))]);
    expect(readFileSync(path.join(lower[0], 'etc/c'), 'utf8')).toBe('c');
    if (isRoot) expect(readdirSync(path.join(lower[0], 'etc')).sort()).toEqual(['a', 'c']); // `a` is the whiteout device
  });

  it('rejects an archive whose layer does not match the config diff ids', async () => {
    const store = await newStore();
    const { archive } = await legacySaveArchive([await rootfs({ a: 'a' })], ['bad:1']);
    const entries = await readTarToArray([archive]);
    const tampered = await tarOf(
      entries.map((e) => ({ path: e.header.path, type: e.header.type, body: e.header.path.endsWith('layer.tar') ? rootfsSync('tampered') : e.data })),
    );
    await expectImageError(store.load([tampered]), 'invalid', /does not match its digest/);
    await expectImageError(store.resolve('bad:1'), 'not-found', /No such image/);
  });

  it('refuses archives that are neither docker save nor OCI layout', async () => {
    const store = await newStore();
    await expectImageError(store.load([await rootfs({ hello: 'x' })]), 'invalid', /neither manifest.json/);
  });

  it('round-trips through save (docker 25 layout) into another store, and loads its OCI index alone', async () => {
    const a = await newStore();
    const { id } = await a.importRootfs([await rootfs({ 'srv/x': 'x' })], { repoTag: 'me/app:2', changes: { Entrypoint: ['/srv/x'] } });
    await a.tag('me/app:2', 'other:1');
    const saved = await collect(await a.save(['me/app:2', 'other:1']));
    const names = (await readTarToArray([saved])).map((e) => e.header.path);
    expect(names).toEqual(expect.arrayContaining(['manifest.json', 'index.json', 'oci-layout', `blobs/sha256/${hex(id)}`]));

    const b = await newStore();
    expect(await b.load([saved])).toEqual([{ id, repoTags: ['me/app:2', 'other:1'] }]);
    expect((await inspect(b, 'other:1')).Config?.Entrypoint).toEqual(['/srv/x']);

    // The same archive without manifest.json is a plain OCI image layout.
    const oci = await tarOf((await readTarToArray([saved])).filter((e) => e.header.path !== 'manifest.json').map((e) => ({ path: e.header.path, type: e.header.type, body: e.data })));
    const c = await newStore();
    const loaded = await c.load([oci]);
    expect(loaded.map((l) => l.id)).toEqual([id, id]);
    expect(loaded.flatMap((l) => l.repoTags).sort()).toEqual(['me/app:2', 'other:1']);
  });

  it('follows docker 25 symlinks from legacy layer paths to blobs', async () => {
    const store = await newStore();
    const layer = await rootfs({ f: 'f' });
    const config = Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [digest(layer)] } }));
    const archive = await tarOf([
      { path: `blobs/sha256/${hex(digest(layer))}`, body: layer },
      { path: `blobs/sha256/${hex(digest(config))}`, body: config },
      { path: 'legacy/layer.tar', type: 'symlink', linkpath: `../blobs/sha256/${hex(digest(layer))}` },
      { path: 'manifest.json', body: JSON.stringify([{ Config: `blobs/sha256/${hex(digest(config))}`, RepoTags: null, Layers: ['legacy/layer.tar'] }]) },
    ]);
    expect(await store.load([archive])).toEqual([{ id: digest(config), repoTags: [] }]);
  });
});

function rootfsSync(body: string): Buffer {
  // A one-file tar built synchronously with GNU tar, for tampering tests.
  const dir = mkdtempSync(path.join(base, 'rf-'));
  writeFileSync(path.join(dir, 'a'), body);
  return execFileSync('tar', ['-C', dir, '-cf', '-', 'a']);
}

/** A Go container.Config with every field at its zero value, as dockerd prints one. */
const ZERO_CONFIG = {
  Hostname: '',
  Domainname: '',
  User: '',
  AttachStdin: false,
  AttachStdout: false,
  AttachStderr: false,
  Tty: false,
  OpenStdin: false,
  StdinOnce: false,
  Env: null,
  Cmd: null,
  Image: '',
  Volumes: null,
  WorkingDir: '',
  Entrypoint: null,
  OnBuild: null,
  Labels: null,
};

// The expected shapes are what dockerd 20.10 printed for the same images (a docker import, and
// `docker load` of the same configs), compared by hand.
describe('inspect, with the keys and nulls dockerd gives', () => {
  it('an imported image: every config key, null lists, no container, the engine version', async () => {
    const store = await newStore({ dockerVersion: '9.9.9' });
    const { id } = await store.importRootfs([await rootfs({ 'etc/tiny': 'x' })], { repoTag: 'imp:1' });
    const info = await inspect(store, 'imp:1');
    expect(info).toMatchObject({ Container: '', ContainerConfig: ZERO_CONFIG, DockerVersion: '9.9.9', Config: ZERO_CONFIG });
    expect(Object.keys(info.Config!)).toEqual(Object.keys(ZERO_CONFIG));
    // One layer: it is the upper dir; an image has no merged or work dir here.
    expect(info.GraphDriver).toEqual({ Name: 'overlay', Data: { UpperDir: (await store.lowerDirs(id))[0] } });
    const changed = await store.importRootfs([await rootfs({ 'etc/tiny': 'x' })], { repoTag: 'imp:2', changes: { Env: ['X=1'], ExposedPorts: { '80/tcp': {} } } });
    expect((await inspect(store, changed.id)).Config).toEqual({ ...ZERO_CONFIG, ExposedPorts: { '80/tcp': {} }, Env: ['X=1'] });
  });

  it('a loaded image: no config is null, [] and {} stay, omitempty keys only when set, Docker\'s container fields as stored', async () => {
    const store = await newStore();
    const layer = await rootfs({ 'etc/tiny': 'x' });
    const load = async (config: Record<string, unknown>, name: string): Promise<string> => {
      const bytes = Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', ...config, rootfs: { type: 'layers', diff_ids: [digest(layer)] } }));
      const archive = await tarOf([
        { path: 'c.json', body: bytes },
        { path: 'layer.tar', body: layer },
        { path: 'manifest.json', body: JSON.stringify([{ Config: 'c.json', RepoTags: [name], Layers: ['layer.tar'] }]) },
      ]);
      return (await store.load([archive]))[0].id;
    };
    const bare = await inspect(store, await load({}, 'bare:1'));
    expect(bare).toMatchObject({ Config: null, Container: '', ContainerConfig: ZERO_CONFIG, DockerVersion: '', Created: '0001-01-01T00:00:00Z' });
    const empty = await load(
      {
        config: { Env: [], Cmd: [], Volumes: {}, Labels: {}, OnBuild: [], ExposedPorts: {}, Shell: [], Entrypoint: [], StopTimeout: 0, Healthcheck: { Test: ['NONE'] } },
        container: 'abc',
        container_config: { Cmd: ['x'] },
        docker_version: '1.2.3',
      },
      'empty:1',
    );
    const info = await inspect(store, empty);
    expect(info).toMatchObject({ Container: 'abc', ContainerConfig: { ...ZERO_CONFIG, Cmd: ['x'] }, DockerVersion: '1.2.3' });
    expect(info.Config).toEqual({ ...ZERO_CONFIG, Env: [], Cmd: [], Healthcheck: { Test: ['NONE'] }, Volumes: {}, Entrypoint: [], OnBuild: [], Labels: {}, StopTimeout: 0 });
  });

  it('a committed image: the container and its config, on the parent\'s layers (lower dirs under the upper)', async () => {
    const store = await newStore({ dockerVersion: '9.9.9' });
    const parent = await store.importRootfs([await rootfs({ a: 'a' })], { repoTag: 'base:1' });
    const containerConfig = { Hostname: 'c0ffee', AttachStdout: true, Env: ['Q=1'], Cmd: ['sh'], Image: 'base:1', Labels: {} };
    const { id } = await store.commit('base:1', [await rootfs({ b: 'b' })], { config: containerConfig, container: { id: 'c0ffee'.padEnd(64, '0'), config: containerConfig } });
    const info = await inspect(store, id);
    expect(info).toMatchObject({ Container: 'c0ffee'.padEnd(64, '0'), ContainerConfig: { ...ZERO_CONFIG, ...containerConfig }, DockerVersion: '9.9.9', Config: { ...ZERO_CONFIG, ...containerConfig } });
    const [upper, lower] = await store.lowerDirs(id);
    expect(lower).toBe((await store.lowerDirs(parent.id))[0]);
    expect(info.GraphDriver.Data).toEqual({ LowerDir: lower, UpperDir: upper });
  });
});

describe('resolve, tag and remove', () => {
  it('resolves names, tags, full and short ids', async () => {
    const store = await newStore();
    const { id } = await store.importRootfs([await rootfs({ a: '1' })], { repoTag: 'web:1.0' });
    for (const ref of ['web:1.0', 'docker.io/library/web:1.0', id, hex(id), hex(id).slice(0, 12), `sha256:${hex(id).slice(0, 8)}`]) {
      expect(await store.resolve(ref)).toBe(id);
    }
    await expectImageError(store.resolve('web'), 'not-found', /No such image: web/); // `web` means web:latest
    await expect(store.resolve('NOPE')).rejects.toThrow(InvalidReferenceError);
    await expect(store.resolve('NOPE')).rejects.toThrow(/lowercase/);
    await store.tag(id, 'web');
    expect(await store.resolve('web')).toBe(id);
  });

  it('moves a tag from one image to another, leaving the first dangling', async () => {
    const store = await newStore();
    const a = await store.importRootfs([await rootfs({ a: 'a' })], { repoTag: 'app' });
    const b = await store.importRootfs([await rootfs({ b: 'b' })]);
    await store.tag(b.id, 'app');
    const list = await listed(store);
    expect(list.find((i) => i.Id === a.id)?.RepoTags).toEqual([]);
    expect(list.find((i) => i.Id === b.id)?.RepoTags).toEqual(['app:latest']);
  });

  it('untags when other names remain; deletes the image and its layers with the last name', async () => {
    const store = await newStore();
    const tar = await rootfs({ a: 'a' });
    const { id } = await store.importRootfs([tar], { repoTag: 'app:1' });
    await store.tag('app:1', 'app:2');
    expect(await store.remove('app:1')).toEqual([{ Untagged: 'app:1' }]);
    expect(await store.resolve('app:2')).toBe(id);
    expect(await store.remove('app:2')).toEqual([{ Untagged: 'app:2' }, { Deleted: id }]);
    await expectImageError(store.resolve(id), 'not-found', /No such image/);
    expect(readdirSync(path.join(store.root, 'layers'))).toEqual([]);
    expect(readdirSync(path.join(store.root, 'blobs/sha256'))).toEqual([]);
    expect(JSON.parse(readFileSync(path.join(store.root, 'index.json'), 'utf8')).manifests).toEqual([]);
  });

  it('by id: deletes with all tags of one repository, refuses several repositories unless forced', async () => {
    const store = await newStore();
    const { id } = await store.importRootfs([await rootfs({ a: 'a' })], { repoTag: 'app:1' });
    await store.tag(id, 'app:2');
    await store.tag(id, 'other');
    await expectImageError(store.remove(hex(id).slice(0, 12)), 'conflict', /referenced in multiple repositories/);
    await store.remove('other');
    expect(await store.remove(hex(id).slice(0, 12))).toEqual([{ Untagged: 'app:1' }, { Untagged: 'app:2' }, { Deleted: id }]);

    const again = await store.importRootfs([await rootfs({ a: 'a' })], { repoTag: 'x' });
    await store.tag(again.id, 'y');
    expect(await store.remove(again.id, { force: true })).toEqual([{ Untagged: 'x:latest' }, { Untagged: 'y:latest' }, { Deleted: again.id }]);
  });

  it('prune reports what dockerd does: the unpacked bytes of the layers it freed, 0 when only the image goes', async () => {
    const store = await newStore();
    const shared = await rootfs({ a: 'x'.repeat(1000) });
    await store.importRootfs([shared], { repoTag: 'keep:1' });
    // Imported again (another image: another message) under a name that then moves on: dangling, its layer still keep:1's.
    const dangling = await store.importRootfs([shared], { repoTag: 'moved:1', message: 'again' });
    await store.tag('keep:1', 'moved:1');
    expect(await store.prune({ dangling: true })).toEqual({ deleted: [{ Deleted: dangling.id }], reclaimed: 0 });
    const unique = await store.importRootfs([await rootfs({ b: 'y'.repeat(5000) })], { repoTag: 'moved:1' });
    const size = (await store.get(unique.id)).size;
    expect(size).toBeGreaterThanOrEqual(5000);
    await store.tag('keep:1', 'moved:1');
    expect(await store.prune({ dangling: true })).toEqual({ deleted: [{ Deleted: unique.id }], reclaimed: size });
  });

  it('refuses to remove an image in use unless forced; a running container blocks even force', async () => {
    const store = await newStore();
    const tar = await rootfs({ a: 'a' });
    const { id } = await store.importRootfs([tar], { repoTag: 'app' });
    const container = 'c0ffee'.padEnd(64, '0');
    const stopped = { inUse: (i: string) => (i === id ? { container, running: false } : undefined) };
    const running = { inUse: (i: string) => (i === id ? { container, running: true } : undefined) };
    // dockerd's words, naming the container (short ids both).
    const short = hex(id).slice(0, 12);
    await expectImageError(store.remove('app', stopped), 'conflict', new RegExp(`^conflict: unable to remove repository reference "app" \\(must force\\) - container c0ffee000000 is using its referenced image ${short}$`));
    await expectImageError(store.remove(id, stopped), 'conflict', new RegExp(`^conflict: unable to delete ${short} \\(must be forced\\) - image is being used by stopped container c0ffee000000$`));
    await expectImageError(store.remove(id, { ...running, force: true }), 'conflict', new RegExp(`^conflict: unable to delete ${short} \\(cannot be forced\\) - image is being used by running container c0ffee000000$`));
    // Forced untag of the last name keeps the image (dangling) for the container that uses it.
    expect(await store.remove('app', { ...running, force: true })).toEqual([{ Untagged: 'app:latest' }]);
    expect(await store.resolve(id)).toBe(id);
    // Forced delete by id removes the record but keeps the layer the container still needs.
    expect(await store.remove(id, { ...stopped, force: true })).toEqual([{ Deleted: id }]);
    expect(existsSync(path.join(store.root, 'layers', hex(digest(tar))))).toBe(true);
  });
});

describe('records under concurrency', () => {
  it('keeps every tag when two store objects over one root tag in parallel, and readers never see a torn file', async () => {
    const root = path.join(base, 'shared-root');
    const [s1, s2] = await Promise.all([ImageStore.open({ root, now: clock }), ImageStore.open({ root, now: clock })]);
    const { id } = await s1.importRootfs([await rootfs({ a: 'a' })]);
    let reads = 0;
    let stop = false;
    const reader = (async () => {
      while (!stop) {
        JSON.parse(readFileSync(path.join(root, 'repositories.json'), 'utf8').trim() || '{}');
        JSON.parse(readFileSync(path.join(root, 'index.json'), 'utf8'));
        reads++;
        await new Promise((r) => setImmediate(r));
      }
    })();
    await Promise.all(Array.from({ length: 40 }, (_, i) => (i % 2 ? s1 : s2).tag(id, `t${i}:v`)));
    stop = true;
    await reader;
    expect(reads).toBeGreaterThan(0);
    const repos = JSON.parse(readFileSync(path.join(root, 'repositories.json'), 'utf8'));
    expect(Object.keys(repos)).toHaveLength(40);
    expect(readdirSync(root).filter((f) => f.includes('.tmp-'))).toEqual([]);
    expect(JSON.parse(readFileSync(path.join(root, 'index.json'), 'utf8')).manifests).toHaveLength(40);
  });

  it('cleans work left in tmp by dead processes when opened', async () => {
    const root = path.join(base, 'stale');
    mkdirSync(path.join(root, 'tmp', '999999999-abc'), { recursive: true });
    mkdirSync(path.join(root, 'tmp', `${process.pid}-mine`), { recursive: true });
    await ImageStore.open({ root });
    expect(readdirSync(path.join(root, 'tmp'))).toEqual([`${process.pid}-mine`]);
  });
});

describe('the host image', () => {
  it('is listed and inspected like any image, its only layer being the host root', async () => {
    const store = await newStore();
    const list = await listed(store);
    expect(list).toEqual([expect.objectContaining({ Id: store.hostImageId, RepoTags: ['berth/host:latest'], Size: 0 })]);
    const info = await inspect(store, 'berth/host');
    expect(info.Config).toMatchObject({ Cmd: ['/bin/sh'], Env: [`PATH=${HOST_IMAGE_PATH}`] });
    expect(info.GraphDriver.Data).toEqual({ UpperDir: '/' });
    expect(await store.lowerDirs('berth/host:latest')).toEqual(['/']);
    // Deterministic: the same id in every store on this machine.
    expect((await newStore()).hostImageId).toBe(store.hostImageId);
  });

  it('can be tagged and untagged but not removed, saved, or have its name taken', async () => {
    const store = await newStore();
    await store.tag('berth/host', 'myhost:1');
    expect(await store.resolve('myhost:1')).toBe(store.hostImageId);
    expect(await store.remove('myhost:1')).toEqual([{ Untagged: 'myhost:1' }]);
    await expectImageError(store.remove('berth/host'), 'conflict', /built-in host image/);
    await expectImageError(store.remove(store.hostImageId, { force: true }), 'conflict', /built-in host image/);
    await expectImageError(store.save(['berth/host']), 'invalid', /cannot be saved/);
    const { id } = await store.importRootfs([await rootfs({ a: 'a' })]);
    await expectImageError(store.tag(id, 'berth/host:latest'), 'conflict', /built-in host image's name/);
  });

  it('can be turned off', async () => {
    const store = await newStore({ hostImage: false });
    expect(await store.list()).toEqual([]);
    await expectImageError(store.resolve('berth/host'), 'not-found', /No such image/);
  });
});
