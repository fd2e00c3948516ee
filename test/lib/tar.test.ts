import { execFileSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync, linkSync, readlinkSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { TarError } from '../../src/lib/tar.js';
import { readTar, readTarToArray, writeTar, type TarWriteEntry } from '../../src/lib/tar.js';

async function collect(gen: AsyncIterable<Buffer>): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const p of gen) parts.push(p);
  return Buffer.concat(parts);
}

/** Feeds a buffer in awkward chunk sizes, so header/body boundaries fall mid-chunk. */
async function* chunked(buf: Buffer, size = 77): AsyncGenerator<Buffer> {
  for (let i = 0; i < buf.length; i += size) yield buf.subarray(i, i + size);
}

const longDir = 'deep/' + 'd'.repeat(120) + '/' + 'e'.repeat(120);
const longName = `${longDir}/${'f'.repeat(150)}.txt`;

const sample: TarWriteEntry[] = [
  { path: 'dir/', type: 'directory', mode: 0o750, uid: 10, gid: 20, mtime: 1_700_000_000 },
  { path: 'dir/file.txt', body: 'hello\n', mode: 0o4755, uid: 1000, gid: 1000, uname: 'alice', gname: 'staff', mtime: 1_700_000_001 },
  { path: 'dir/link', type: 'symlink', linkpath: 'file.txt', mtime: 5 },
  { path: 'dir/hard', type: 'hardlink', linkpath: 'dir/file.txt' },
  { path: 'dev/null', type: 'char', devmajor: 1, devminor: 3, mode: 0o666 },
  { path: 'dev/sda', type: 'block', devmajor: 8, devminor: 0, mode: 0o660 },
  { path: 'run/fifo', type: 'fifo', mode: 0o644 },
  { path: longName, body: Buffer.alloc(1500, 7) },
  { path: 'dir/longlink', type: 'symlink', linkpath: '/' + 'x'.repeat(180) },
  { path: 'caps', body: 'bin', xattrs: { 'security.capability': Buffer.from([1, 0, 0, 2, 0x20, 0, 0, 0]), 'user.note': 'hi' } },
  { path: 'bigids', body: '', uid: 5_000_000, gid: 3_000_000 },
  { path: 'unicode-é.txt', body: 'ü' },
  { path: 'frac', body: 'x', mtime: 1_700_000_000.25 },
];

describe('tar round trip', () => {
  {
    it('writes and reads back every entry type', async () => {
      const bytes = await collect(writeTar(sample));
      expect(bytes.length % 512).toBe(0);
      const back = await readTarToArray(chunked(bytes));
      expect(back.map((e) => e.header.path)).toEqual(sample.map((e) => e.path));
      const by = Object.fromEntries(back.map((e) => [e.header.path, e]));
      expect(by['dir/'].header).toMatchObject({ type: 'directory', mode: 0o750, uid: 10, gid: 20, mtime: 1_700_000_000 });
      expect(by['dir/file.txt'].header).toMatchObject({ type: 'file', mode: 0o4755, uname: 'alice', gname: 'staff', size: 6 });
      expect(by['dir/file.txt'].data.toString()).toBe('hello\n');
      expect(by['dir/link'].header).toMatchObject({ type: 'symlink', linkpath: 'file.txt', mtime: 5 });
      expect(by['dir/hard'].header).toMatchObject({ type: 'hardlink', linkpath: 'dir/file.txt' });
      expect(by['dev/null'].header).toMatchObject({ type: 'char', devmajor: 1, devminor: 3 });
      expect(by['dev/sda'].header).toMatchObject({ type: 'block', devmajor: 8, devminor: 0 });
      expect(by['run/fifo'].header.type).toBe('fifo');
      expect(by[longName].data.equals(Buffer.alloc(1500, 7))).toBe(true);
      expect(by['dir/longlink'].header.linkpath).toBe('/' + 'x'.repeat(180));
      expect(by['caps'].header.xattrs['security.capability']).toEqual(Buffer.from([1, 0, 0, 2, 0x20, 0, 0, 0]));
      expect(by['caps'].header.xattrs['user.note'].toString()).toBe('hi');
      expect(by['bigids'].header).toMatchObject({ uid: 5_000_000, gid: 3_000_000 });
      expect(by['unicode-é.txt'].data.toString()).toBe('ü');
      expect(by['frac'].header.mtime).toBe(1_700_000_000.25);
    });
  }

  it('uses the ustar prefix field for paths up to 255 bytes without any extension header', async () => {
    const p = `${'a'.repeat(150)}/${'b'.repeat(90)}`;
    const bytes = await collect(writeTar([{ path: p, body: 'x' }]));
    expect(bytes.length).toBe(512 * 2 + 1024); // header + one data block + end marker
    const [e] = await readTarToArray(chunked(bytes));
    expect(e.header.path).toBe(p);
  });

  it('reads gzip-compressed archives transparently', async () => {
    const bytes = gzipSync(await collect(writeTar(sample)));
    const back = await readTarToArray(chunked(bytes, 1000));
    expect(back).toHaveLength(sample.length);
  });

  it('streams bodies: an unread body is skipped, a body read after moving on throws', async () => {
    const bytes = await collect(writeTar([{ path: 'a', body: Buffer.alloc(70_000, 1) }, { path: 'b', body: 'bee' }]));
    const seen: string[] = [];
    let stale: AsyncIterable<Buffer> | undefined;
    for await (const e of readTar(chunked(bytes, 4096))) {
      seen.push(e.header.path);
      if (e.header.path === 'a') stale = e.body;
      else expect((await collect(e.body)).toString()).toBe('bee');
    }
    expect(seen).toEqual(['a', 'b']);
    await expect(collect(stale!)).rejects.toThrow(/read after the reader moved on/);
  });

  it('rejects a corrupt header checksum and a truncated body', async () => {
    const bytes = await collect(writeTar([{ path: 'a', body: Buffer.alloc(2000, 1) }]));
    const bad = Buffer.from(bytes);
    bad[10] ^= 0xff;
    await expect(readTarToArray(chunked(bad))).rejects.toThrow(/checksum/);
    await expect(readTarToArray(chunked(bytes.subarray(0, 1024)))).rejects.toBeInstanceOf(TarError);
  });

  it('accepts an archive that stops after its last entry, without the closing zero blocks (as umoci writes them)', async () => {
    const bytes = await collect(writeTar([{ path: 'a', body: 'x' }, { path: 'b/', type: 'directory' }]));
    const back = await readTarToArray(chunked(bytes.subarray(0, bytes.length - 1024)));
    expect(back.map((e) => e.header.path)).toEqual(['a', 'b/']);
  });

  it('keeps a mode of 0 and xattr values that are not UTF-8, byte for byte', async () => {
    const raw = Buffer.from([0xff, 0xfe, 0x00, 0x80, 0xc3]);
    const bytes = await collect(writeTar([{ path: 'secret', body: 's', mode: 0, xattrs: { 'user.bin': raw } }]));
    const [e] = await readTarToArray(chunked(bytes, 5));
    expect(e.header.mode).toBe(0);
    expect(e.header.xattrs['user.bin'].equals(raw)).toBe(true);
  });

  it('stops reading the source when the consumer stops early', async () => {
    const bytes = await collect(writeTar([{ path: 'a', body: Buffer.alloc(200_000, 1) }, { path: 'b', body: 'b' }]));
    let closed = false;
    async function* source(): AsyncGenerator<Buffer> {
      try {
        yield* chunked(bytes, 4096);
      } finally {
        closed = true;
      }
    }
    for await (const e of readTar(source())) {
      expect(e.header.path).toBe('a');
      break;
    }
    expect(closed).toBe(true);
  });

  it('refuses a stream body whose length differs from the declared size', async () => {
    async function* body(): AsyncGenerator<Buffer> {
      yield Buffer.from('abc');
    }
    await expect(collect(writeTar([{ path: 'a', size: 5, body }]))).rejects.toThrow(/3 bytes, declared 5/);
  });
});

describe('interoperability with GNU tar', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'berth-tar-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const src = path.join(dir, 'src');
  mkdirSync(path.join(src, longDir), { recursive: true });
  writeFileSync(path.join(src, longName), 'long\n');
  writeFileSync(path.join(src, 'plain'), 'plain\n');
  symlinkSync('plain', path.join(src, 'sym'));
  symlinkSync('/' + 'y'.repeat(150), path.join(src, 'longsym'));
  linkSync(path.join(src, 'plain'), path.join(src, 'hard'));

  for (const format of ['gnu', 'pax', 'ustar'] as const) {
    it(`reads what \`tar --format=${format}\` writes`, async () => {
      const archive = path.join(dir, `${format}.tar`);
      const files = format === 'ustar' ? ['plain', 'sym', 'hard'] : ['.'];
      execFileSync('tar', ['-C', src, `--format=${format}`, '-cf', archive, ...files]);
      const back = await readTarToArray(chunked(readFileSync(archive), 999));
      const by = Object.fromEntries(back.map((e) => [e.header.path.replace(/^\.\//, ''), e]));
      // GNU tar stores the second name of an inode (in directory order) as a hardlink to the first.
      const [first, second] = by['plain'].header.type === 'file' ? ['plain', 'hard'] : ['hard', 'plain'];
      expect(by[first].data.toString()).toBe('plain\n');
      expect(by[second].header).toMatchObject({ type: 'hardlink', linkpath: format === 'ustar' ? first : `./${first}` });
      expect(by['sym'].header).toMatchObject({ type: 'symlink', linkpath: 'plain' });
      if (format !== 'ustar') {
        expect(by[longName].data.toString()).toBe('long\n');
        expect(by['longsym'].header.linkpath).toBe('/' + 'y'.repeat(150));
      }
    });
  }

  it.skipIf(process.getuid?.() !== 0)('writes xattrs GNU tar restores: a file capability getcap reads back', async () => {
    // cap_net_bind_service=ep, VFS_CAP_REVISION_2: the binary value setcap writes.
    const cap = Buffer.from('0100000200040000000000000000000000000000', 'hex');
    cap.writeUInt32LE(0x02000001, 0);
    const archive = path.join(dir, 'caps.tar');
    writeFileSync(archive, await collect(writeTar([{ path: 'ping', body: 'x', mode: 0o755, xattrs: { 'security.capability': cap } }])));
    const out = path.join(dir, 'caps-out');
    mkdirSync(out);
    execFileSync('tar', ['--xattrs', '--xattrs-include=*', '-C', out, '-xf', archive]);
    expect(execFileSync('getcap', [path.join(out, 'ping')], { encoding: 'utf8' })).toMatch(/cap_net_bind_service[=+]ep/);
  });

  it('writes archives GNU tar extracts (pax long names, symlinks, hardlinks)', async () => {
    const archive = path.join(dir, 'ours.tar');
    writeFileSync(
      archive,
      await collect(
        writeTar([
          { path: `${longDir}/`, type: 'directory' },
          { path: longName, body: 'long\n', mode: 0o640 },
          { path: 'sym', type: 'symlink', linkpath: longName },
          { path: 'hard', type: 'hardlink', linkpath: longName },
        ]),
      ),
    );
    const out = path.join(dir, 'out');
    mkdirSync(out);
    execFileSync('tar', ['-C', out, '-xf', archive]);
    expect(readFileSync(path.join(out, longName), 'utf8')).toBe('long\n');
    expect(statSync(path.join(out, longName)).mode & 0o777).toBe(0o640);
    expect(readlinkSync(path.join(out, 'sym'))).toBe(longName);
    expect(statSync(path.join(out, 'hard')).ino).toBe(statSync(path.join(out, longName)).ino);
  });
});
