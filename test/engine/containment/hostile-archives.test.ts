// Hostile archives against a running engine, through its API as a client sends them: `docker
// import` (a root filesystem tar becomes a layer), `docker load` (a `docker save` archive whose
// layer, manifest or outer entries are hostile) and `docker cp` into a running container (PUT
// /containers/{id}/archive). Each archive is refused or neutralised, and a marker directory
// outside the engine's root — the target every archive aims at — is checked to be untouched
// after each test, as is the store's scratch space (no half-stored layer left behind).
// Import and load store layers with the same code (images/layers.ts → extract.ts): what is
// neutralised rather than refused is checked through import alone.
//
// Related, not repeated: the extractor's own attack tests, with finer cases (images-extract.test.ts,
// applyLayer: attacks), `docker cp` through symlinks planted in the container (archive.test.ts:
// "resolves symlinks inside the container root, never on the host"), the tar reader's refusals of
// corrupt and truncated archives (test/lib/tar.test.ts).

import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import Docker from 'dockerode';
import { afterEach, describe, expect, it } from 'vitest';
import { readTarToArray, writeTar, type TarWriteEntry } from '../../../src/lib/tar.js';
import { useTestEngine } from '../../support/engines.js';
import { engineHost, requirePrereq } from '../../support/gates.js';
import { demuxBuffer, execIn } from '../../support/streams.js';
import type { TestEngine } from '../helpers/daemon-harness.js';

const skip = requirePrereq('hostile archives', engineHost());

const sha = (b: Buffer): string => `sha256:${createHash('sha256').update(b).digest('hex')}`;

async function tarOf(entries: TarWriteEntry[]): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const p of writeTar(entries)) parts.push(p);
  return Buffer.concat(parts);
}

// ---- raw tar blocks, for what a well-behaved writer refuses to produce ----

const BLOCK = 512;

/** One ustar header block; `size` beyond octal's 8 GiB is written in base-256, as GNU tar does. */
function rawHeader(o: { name: string; type: string; size?: bigint; linkname?: string; gnu?: boolean; realSize?: bigint }): Buffer {
  const b = Buffer.alloc(BLOCK);
  const octal = (off: number, len: number, v: bigint): void => void b.write(`${v.toString(8).padStart(len - 1, '0')}\0`, off, len, 'latin1');
  const number = (off: number, len: number, v: bigint): void => {
    if (v < 8n ** BigInt(len - 1)) return octal(off, len, v);
    b[off] = 0x80;
    for (let i = len - 1, x = v; i > 0; i--, x >>= 8n) b[off + i] = Number(x & 0xffn);
  };
  b.write(o.name, 0, 100, 'latin1');
  octal(100, 8, 0o644n);
  octal(108, 8, 0n);
  octal(116, 8, 0n);
  number(124, 12, o.size ?? 0n);
  octal(136, 12, 0n);
  b.write(o.type, 156, 1, 'latin1');
  b.write(o.linkname ?? '', 157, 100, 'latin1');
  b.write(o.gnu ? 'ustar  \0' : 'ustar\x0000', 257, 8, 'latin1');
  if (o.realSize !== undefined) number(483, 12, o.realSize); // GNU sparse: the file's real size
  b.fill(0x20, 148, 156);
  let sum = 0;
  for (const x of b) sum += x;
  b.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 8, 'latin1');
  return b;
}

/** A pax extended header (`x`) carrying `records`, to precede the next entry. */
function paxHeader(records: Record<string, string>): Buffer {
  const data = Buffer.concat(
    Object.entries(records).map(([k, v]) => {
      const rest = ` ${k}=${v}\n`;
      let len = rest.length + 1;
      while (String(len).length + rest.length !== len) len = String(len).length + rest.length;
      return Buffer.from(`${len}${rest}`);
    }),
  );
  return Buffer.concat([rawHeader({ name: 'PaxHeaders/x', type: 'x', size: BigInt(data.length) }), data, Buffer.alloc((BLOCK - (data.length % BLOCK)) % BLOCK)]);
}

const TIB = 1n << 40n;

/** A regular file claiming 1 TiB, whose body stops after 1 MiB: the archive just ends there. */
const hugeTruncated = (name: string): Buffer => Buffer.concat([rawHeader({ name, type: '0', size: TIB }), Buffer.alloc(1 << 20, 0x61)]);

/** A `docker save` archive of one image whose only layer is `layer`; `mutate` edits the manifest. */
async function saveArchive(layer: Buffer, opts: { tag?: string; manifest?: (m: Record<string, unknown>) => void; extra?: TarWriteEntry[] } = {}): Promise<Buffer> {
  const config = Buffer.from(
    JSON.stringify({
      architecture: 'amd64',
      os: 'linux',
      created: '2026-01-01T00:00:00Z',
      config: { Cmd: ['sh'] },
      rootfs: { type: 'layers', diff_ids: [sha(layer)] },
      history: [{ created_by: 'hostile' }],
    }),
  );
  const manifest: Record<string, unknown> = { Config: 'config.json', RepoTags: [opts.tag ?? 'hostile:load'], Layers: ['layer/layer.tar'] };
  opts.manifest?.(manifest);
  return tarOf([
    ...(opts.extra ?? []),
    { path: 'layer/layer.tar', body: layer },
    { path: 'config.json', body: config },
    { path: 'manifest.json', body: JSON.stringify([manifest]) },
  ]);
}

describe.skipIf(skip)('hostile archives: import, load and docker cp refuse or neutralise them', () => {
  let engine: TestEngine;
  let docker: Docker;
  let outside: string;
  let victim: string;
  let box: Docker.Container;
  const host = (...p: string[]): string => path.join(outside, ...p);
  /** How an archive reaches `outside` from the extraction root: enough `..` to climb to `/`. */
  const climb = (p: string): string => `${'../'.repeat(12)}${p.replace(/^\//, '')}`;

  useTestEngine('hostile', async (e) => {
    engine = e;
    docker = new Docker({ socketPath: engine.socketPath });
    // Outside the engine's root, but in the test engine's directory (removed with it).
    outside = path.join(engine.dir, 'outside');
    victim = host('victim');
    box = await docker.createContainer({ Image: 'busybox', Cmd: ['sleep', '600'] });
    await box.start();
  });

  /** The marker directory, made afresh: a victim file, and a config an engine could mistake for an image's. */
  function resetOutside(): void {
    rmSync(outside, { recursive: true, force: true });
    mkdirSync(outside);
    writeFileSync(victim, 'original\n');
    // A valid image config, so an engine reading it by mistake would get further than a parse error.
    writeFileSync(host('config.json'), JSON.stringify({ os: 'linux', architecture: 'amd64', rootfs: { type: 'layers', diff_ids: [] } }));
  }

  /** The marker directory as resetOutside left it: nothing added, the victim neither changed nor linked to. */
  function outsideUntouched(): void {
    expect(readdirSync(outside).sort()).toEqual(['config.json', 'victim']);
    expect(readFileSync(victim, 'utf8')).toBe('original\n');
    expect(statSync(victim).nlink).toBe(1);
  }

  /** No half-stored layer or blob is left in the store's scratch space. */
  function storeScratchEmpty(): void {
    const tmp = path.join(engine.root, 'image', 'tmp');
    expect(existsSync(tmp) ? readdirSync(tmp) : []).toEqual([]);
  }

  afterEach(async () => {
    outsideUntouched();
    storeScratchEmpty();
    // What docker cp wrote before a refusal, for the next test to start from an empty /tmp.
    await execIn(docker, box, ['sh', '-c', 'rm -rf /tmp/* /tmp/.[!.]*']);
  });

  /** A streamed image answer (import, load): its messages, or the error it carries (as an HTTP status or in the stream). */
  async function streamed(open: () => Promise<NodeJS.ReadableStream>): Promise<string> {
    const stream = await open();
    let text = '';
    for await (const chunk of stream as AsyncIterable<Buffer>) text += chunk.toString();
    for (const line of text.split('\n').filter((l) => l.trim() !== '')) {
      const m = JSON.parse(line) as { error?: string; errorDetail?: { message: string } };
      if (m.error) throw new Error(m.errorDetail?.message ?? m.error);
    }
    return text;
  }

  const importTar = (tar: Buffer, tag = 'hostile:import'): Promise<string> => {
    const [repo, t] = tag.split(':');
    return streamed(() => docker.importImage(Readable.from([tar]) as unknown as string, { repo, tag: t }) as Promise<NodeJS.ReadableStream>);
  };
  const loadTar = (tar: Buffer): Promise<string> => streamed(() => docker.loadImage(Readable.from([tar]) as unknown as string) as Promise<NodeJS.ReadableStream>);
  const put = (tar: Buffer, at: string): Promise<unknown> => box.putArchive(tar, { path: at });

  /**
   * What a container made from `image` sees at each path, read with docker cp from a container
   * that never runs (these images have no shell): a file's content, `-> target` for a symlink,
   * the entry type for anything else, undefined when there is nothing.
   */
  async function imageFiles(image: string, paths: string[]): Promise<Record<string, string | undefined>> {
    const c = await docker.createContainer({ Image: image, Cmd: ['never-run'] });
    const seen: Record<string, string | undefined> = {};
    try {
      for (const p of paths) {
        const stream = await c.getArchive({ path: p }).catch((e: { statusCode?: number }) => {
          if (e.statusCode === 404) return undefined;
          throw e;
        });
        if (!stream) {
          seen[p] = undefined;
          continue;
        }
        const [entry] = await readTarToArray(stream as unknown as AsyncIterable<Buffer>);
        seen[p] = entry.header.type === 'file' ? entry.data.toString() : entry.header.type === 'symlink' ? `-> ${entry.header.linkpath}` : entry.header.type;
      }
    } finally {
      await c.remove({ force: true });
    }
    return seen;
  }

  /** The store's unpacked layers and blobs (a failed archive adds neither). */
  const storeContents = (): string[] => ['layers', 'blobs/sha256'].flatMap((d) => readdirSync(path.join(engine.root, 'image', d)).map((n) => `${d}/${n}`));

  const sh = async (script: string): Promise<string> => {
    const r = await execIn(docker, box, ['sh', '-c', script]);
    return r.stdout + r.stderr;
  };

  async function noImage(ref: string): Promise<void> {
    await expect(docker.getImage(ref).inspect()).rejects.toMatchObject({ statusCode: 404 });
  }

  it('an archive entry climbing out with .. is refused, and nothing is written outside', async () => {
    resetOutside();
    const stored = storeContents();
    const layer = await tarOf([
      { path: 'fine', body: 'fine' },
      { path: climb(host('pwned')), body: 'pwned' },
    ]);
    await expect(importTar(layer)).rejects.toThrow(/escapes the layer root/);
    await expect(loadTar(await saveArchive(layer))).rejects.toThrow(/escapes the layer root/);
    await noImage('hostile:import');
    await noImage('hostile:load');
    // docker load's own paths: the outer archive's entries, and the files its manifest names.
    await expect(loadTar(await saveArchive(await tarOf([{ path: 'ok', body: 'ok' }]), { extra: [{ path: climb(host('pwned')), body: 'pwned' }] }))).rejects.toThrow(/escapes/);
    const named = await tarOf([{ path: 'ok', body: 'ok' }]);
    for (const config of [climb(host('config.json')), host('config.json')]) {
      await expect(loadTar(await saveArchive(named, { manifest: (m) => (m.Config = config) }))).rejects.toThrow(/escapes|has no file/);
    }
    await expect(loadTar(await saveArchive(named, { manifest: (m) => (m.Layers = [climb(victim)]) }))).rejects.toThrow(/escapes/);
    await noImage('hostile:load');
    expect(storeContents()).toEqual(stored);
    // docker cp: refused at the entry (what came before it is written, as with dockerd).
    await expect(put(layer, '/tmp')).rejects.toMatchObject({ statusCode: 400, message: expect.stringMatching(/escapes/) });
    expect(await sh('find / -xdev -name pwned')).toBe('');
  }, 30_000);

  it('an absolute archive entry path lands inside the image or the container, never on the host', async () => {
    resetOutside();
    const tar = await tarOf([{ path: host('pwned'), body: 'inside\n' }]);
    await importTar(tar, 'hostile:absolute');
    expect(existsSync(host('pwned'))).toBe(false);
    expect(await imageFiles('hostile:absolute', [host('pwned')])).toEqual({ [host('pwned')]: 'inside\n' });
    // docker cp: taken relative to the destination directory, as dockerd does.
    await put(tar, '/tmp');
    expect(await sh(`cat /tmp${host('pwned')}`)).toBe('inside\n');
    await docker.getImage('hostile:absolute').remove();
  }, 30_000);

  it('a file written through an archive symlink to an absolute path stays inside the image or the container', async () => {
    resetOutside();
    const tar = await tarOf([
      { path: 'a', type: 'symlink', linkpath: outside },
      { path: 'a/pwned', body: 'through the link\n' },
      { path: 'root', type: 'symlink', linkpath: '/' },
      { path: `root${victim}`, body: 'overwritten?\n' },
    ]);
    await importTar(tar, 'hostile:symlink');
    // The link is followed as the container will see it: the files are in the image, at those paths.
    expect(await imageFiles('hostile:symlink', ['/a', host('pwned'), victim])).toEqual({ '/a': `-> ${outside}`, [host('pwned')]: 'through the link\n', [victim]: 'overwritten?\n' });
    await docker.getImage('hostile:symlink').remove();
    await put(tar, '/tmp');
    expect(await sh(`readlink /tmp/a; cat ${host('pwned')} ${victim}`)).toBe(`${outside}\nthrough the link\noverwritten?\n`);
  }, 30_000);

  it('a relative archive symlink climbing out of the root is refused', async () => {
    resetOutside();
    for (const linkpath of ['../../../../../../../../..', climb(outside)]) {
      const tar = await tarOf([
        { path: 'a', type: 'symlink', linkpath },
        { path: 'a/pwned', body: 'pwned' },
      ]);
      await expect(importTar(tar)).rejects.toThrow(/escapes the layer root/);
      await expect(loadTar(await saveArchive(tar))).rejects.toThrow(/escapes the layer root/);
      // Into a container directory, the destination is the root a link may not climb out of.
      await expect(put(tar, '/tmp')).rejects.toMatchObject({ statusCode: 400, message: expect.stringMatching(/escapes/) });
    }
    await expect(put(await tarOf([{ path: 'up', type: 'symlink', linkpath: '../etc' }]), '/tmp')).rejects.toMatchObject({ statusCode: 400 });
    await noImage('hostile:import');
    expect(await sh('ls -A /tmp')).toBe('');
  }, 30_000);

  it('an archive hard link to a file outside the archive is refused', async () => {
    resetOutside();
    const cases: TarWriteEntry[][] = [
      [{ path: 'h', type: 'hardlink', linkpath: climb(victim) }],
      // Absolute: taken inside the archive, where there is no such file.
      [{ path: 'h', type: 'hardlink', linkpath: victim }],
      // Through a symlink to the directory that has it.
      [
        { path: 's', type: 'symlink', linkpath: outside },
        { path: 'h', type: 'hardlink', linkpath: 's/victim' },
      ],
      [{ path: 'h', type: 'hardlink', linkpath: '../../../../../../../../etc/passwd' }],
    ];
    for (const entries of cases) {
      const tar = await tarOf(entries);
      await expect(importTar(tar)).rejects.toThrow(/escapes|is not in the layer/);
      await expect(loadTar(await saveArchive(tar))).rejects.toThrow(/escapes|is not in the layer/);
      await expect(put(tar, '/tmp')).rejects.toMatchObject({ statusCode: 400 });
    }
    // docker cp: a link to a container file outside the destination directory is refused too.
    await expect(put(await tarOf([{ path: 'h', type: 'hardlink', linkpath: '../etc/passwd' }]), '/tmp')).rejects.toMatchObject({ statusCode: 400, message: expect.stringMatching(/escapes/) });
    expect(statSync('/etc/passwd').nlink).toBe(1);
    await noImage('hostile:import');
  }, 30_000);

  it('archive device nodes are never created outside: skipped in image layers, made inside the container by docker cp', async () => {
    resetOutside();
    const tar = await tarOf([
      { path: 'mem', type: 'char', devmajor: 1, devminor: 1, mode: 0o666 },
      { path: 'd', type: 'symlink', linkpath: outside },
      { path: 'd/sda', type: 'block', devmajor: 8, devminor: 0, mode: 0o666 },
    ]);
    // Image layers: the engine makes no device node from an image (a deliberate difference from
    // dockerd, extract.ts), so a layer cannot plant one even inside its own root.
    await importTar(tar, 'hostile:devices');
    expect(await imageFiles('hostile:devices', ['/mem', host('sda'), '/d'])).toEqual({ '/mem': undefined, [host('sda')]: undefined, '/d': `-> ${outside}` });
    await docker.getImage('hostile:devices').remove();
    // docker cp: dockerd creates device nodes inside the container, and so does the engine; the
    // device cgroup still keeps the container from using them.
    await put(tar, '/tmp');
    expect(await sh(`stat -c '%n %F %t:%T' /tmp/mem ${host('sda')}`)).toBe(`/tmp/mem character special file 1:1\n${host('sda')} block special file 8:0\n`);
    expect(await sh('head -c 1 /tmp/mem 2>&1; echo "rc=$?"')).toBe('head: /tmp/mem: Operation not permitted\nrc=1\n');
  }, 30_000);

  it('a huge or sparse archive entry is refused with a clear error, its partial data removed, and the engine keeps answering', async () => {
    resetOutside();
    const stored = storeContents();
    // A regular file claiming 1 TiB whose body stops after 1 MiB.
    await expect(importTar(hugeTruncated('big'))).rejects.toThrow(/unexpected end of archive: it stops inside an entry/);
    // GNU sparse entries (type S, and their pax form) are not supported, whatever size they claim.
    const gnuSparse = Buffer.concat([rawHeader({ name: 'sparse', type: 'S', size: 512n, realSize: TIB, gnu: true }), Buffer.alloc(512), Buffer.alloc(1024)]);
    await expect(importTar(gnuSparse)).rejects.toThrow(/sparse files and other GNU extensions are not supported/);
    const paxSparse = Buffer.concat([paxHeader({ 'GNU.sparse.major': '1', 'GNU.sparse.minor': '0', 'GNU.sparse.name': 'sparse', 'GNU.sparse.realsize': String(TIB) }), rawHeader({ name: 'GNUSparseFile.0/sparse', type: '0', size: 512n }), Buffer.alloc(512), Buffer.alloc(1024)]);
    await expect(importTar(paxSparse)).rejects.toThrow(/sparse files are not supported/);
    // As a layer of docker load: the outer archive is whole, its layer is not.
    await expect(loadTar(await saveArchive(hugeTruncated('big')))).rejects.toThrow(/unexpected end of archive/);
    await noImage('hostile:import');
    await noImage('hostile:load');
    // Nothing of them is left in the store (scratch space checked after each test too).
    expect(storeContents()).toEqual(stored);

    // docker cp: refused, the cut-short file removed, the container thawed and still usable.
    await expect(put(Buffer.concat([(await tarOf([{ path: 'before', body: 'whole\n' }])).subarray(0, 1024), hugeTruncated('big')]), '/tmp')).rejects.toMatchObject({
      statusCode: 400,
      message: expect.stringMatching(/unexpected end of archive/),
    });
    expect((await box.inspect()).State).toMatchObject({ Running: true, Paused: false });
    expect(await sh('ls -A /tmp; cat /tmp/before')).toBe('before\nwhole\n');
    await expect(docker.ping()).resolves.toBeTruthy();
    expect(await sh('echo still running')).toBe('still running\n');
    const fresh = await docker.createContainer({ Image: 'busybox', Cmd: ['true'] });
    await fresh.start();
    expect((await fresh.wait()).StatusCode).toBe(0);
    await fresh.remove();
  }, 60_000);
});
