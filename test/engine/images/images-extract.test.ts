import { execFileSync } from 'node:child_process';
import { existsSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, readlinkSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { applyLayer, cleanArchivePath } from '../../../src/engine/images/extract.js';
import { SysOpError, withSysOps } from '../../../src/engine/images/sysops.js';
import { writeTar, type TarWriteEntry } from '../../../src/lib/tar.js';
import { overlayfs, requirePrereq, root as rootUser } from '../../support/gates.js';

const noRoot = requirePrereq('layer extraction with ownership, devices, whiteouts', rootUser());
const noOverlay = noRoot || requirePrereq('whiteouts on a real overlay mount', overlayfs());

const base = mkdtempSync(path.join(tmpdir(), 'berth-extract-'));
afterAll(() => rmSync(base, { recursive: true, force: true }));

let n = 0;
let root = '';
let outside = '';
beforeEach(() => {
  n++;
  root = path.join(base, `layer${n}`);
  outside = path.join(base, `outside${n}`);
  mkdirSync(outside);
  writeFileSync(path.join(outside, 'target'), 'original');
});

async function tarOf(entries: TarWriteEntry[]): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const p of writeTar(entries)) parts.push(p);
  return Buffer.concat(parts);
}

async function apply(entries: TarWriteEntry[], options?: Parameters<typeof applyLayer>[2]) {
  return applyLayer([await tarOf(entries)], root, options);
}

function outsideUntouched(): void {
  expect(readdirSync(outside)).toEqual(['target']);
  expect(readFileSync(path.join(outside, 'target'), 'utf8')).toBe('original');
}

describe('cleanArchivePath', () => {
  it('drops leading slashes and dots, folds inner `..`, refuses climbing out', () => {
    expect(cleanArchivePath('/etc//passwd')).toEqual(['etc', 'passwd']);
    expect(cleanArchivePath('./a/./b/../c/')).toEqual(['a', 'c']);
    expect(() => cleanArchivePath('../x')).toThrow(/escapes the layer root/);
    expect(() => cleanArchivePath('a/../../x')).toThrow(/escapes/);
  });
});

describe('applyLayer: attacks', () => {
  it('rejects an entry path climbing out with ..', async () => {
    const rel = path.relative(root, path.join(outside, 'pwned'));
    await expect(apply([{ path: rel, body: 'x' }])).rejects.toThrow(/escapes the layer root/);
    await expect(apply([{ path: 'a/../../pwned', body: 'x' }])).rejects.toThrow(/escapes/);
    outsideUntouched();
    expect(existsSync(path.join(base, 'pwned'))).toBe(false);
  });

  it('takes an absolute entry path relative to the layer', async () => {
    await apply([{ path: `${outside}/pwned`, body: 'x' }]);
    outsideUntouched();
    expect(readFileSync(path.join(root, outside, 'pwned'), 'utf8')).toBe('x');
  });

  it('follows a symlinked parent inside the layer, never on the host (absolute target)', async () => {
    await apply([
      { path: 'esc', type: 'symlink', linkpath: outside },
      { path: 'esc/pwned', body: 'x' },
      { path: 'esc/target', body: 'overwritten?' },
    ]);
    outsideUntouched();
    expect(readlinkSync(path.join(root, 'esc'))).toBe(outside);
    expect(readFileSync(path.join(root, outside, 'pwned'), 'utf8')).toBe('x');
  });

  it('follows symlink chains and `..` inside symlink targets clamped at the layer root', async () => {
    await apply([
      { path: 'a/', type: 'directory' },
      { path: 'a/up', type: 'symlink', linkpath: '..' },
      { path: 'abs', type: 'symlink', linkpath: '/a/up' },
      { path: 'abs/a/up/file', body: 'x' },
      { path: 'climb', type: 'symlink', linkpath: '/../../..' },
      { path: 'climb/file2', body: 'y' },
    ]);
    expect(readFileSync(path.join(root, 'file'), 'utf8')).toBe('x');
    expect(readFileSync(path.join(root, 'file2'), 'utf8')).toBe('y');
    outsideUntouched();
  });

  it('rejects a relative symlink whose target climbs out of the layer', async () => {
    await expect(apply([{ path: 'd/esc', type: 'symlink', linkpath: '../../..' + outside }])).rejects.toThrow(/escapes the layer root/);
    await expect(apply([{ path: 'esc', type: 'symlink', linkpath: '..' }])).rejects.toThrow(/escapes/);
  });

  it('keeps a relative symlink that stays inside and an absolute one (resolved in the container)', async () => {
    await apply([
      { path: 'usr/bin/sh', body: '#!' },
      { path: 'bin/sh', type: 'symlink', linkpath: '../usr/bin/sh' },
      { path: 'etc/mtab', type: 'symlink', linkpath: '/proc/self/mounts' },
    ]);
    expect(readlinkSync(path.join(root, 'bin/sh'))).toBe('../usr/bin/sh');
    expect(readlinkSync(path.join(root, 'etc/mtab'))).toBe('/proc/self/mounts');
  });

  it('rejects hardlinks to paths outside the layer, directly or through a symlink', async () => {
    const rel = path.relative('/', path.join(outside, 'target'));
    await expect(apply([{ path: 'h', type: 'hardlink', linkpath: `../../../../../../${rel}` }])).rejects.toThrow(/escapes/);
    const before = statSync(path.join(outside, 'target')).nlink;
    await expect(
      apply([
        { path: 'esc', type: 'symlink', linkpath: outside },
        { path: 'h', type: 'hardlink', linkpath: 'esc/target' },
      ]),
    ).rejects.toThrow(/is not in the layer/);
    expect(statSync(path.join(outside, 'target')).nlink).toBe(before);
  });

  it('replaces an existing symlink instead of writing through it', async () => {
    await apply([
      { path: 'victim', type: 'symlink', linkpath: path.join(outside, 'target') },
      { path: 'victim', body: 'new' },
    ]);
    outsideUntouched();
    expect(lstatSync(path.join(root, 'victim')).isFile()).toBe(true);
    expect(readFileSync(path.join(root, 'victim'), 'utf8')).toBe('new');
  });

  it('refuses a whiteout named `..`', async () => {
    await expect(apply([{ path: 'd/.wh...', body: '' }])).rejects.toThrow(/invalid whiteout name/);
  });

  it('skips device nodes with a warning unless allowed, and then only root-owned ones', async () => {
    const r1 = await apply([{ path: 'dev/mem', type: 'char', devmajor: 1, devminor: 1 }]);
    expect(existsSync(path.join(root, 'dev/mem'))).toBe(false);
    expect(r1.warnings.map((w) => w.message)).toEqual([expect.stringMatching(/skipped char device "dev\/mem" \(1:1, uid 0\): devices are not allowed/)]);
    const r2 = await apply([{ path: 'dev/sda', type: 'block', devmajor: 8, devminor: 0, uid: 1000 }], { devices: 'root-owned' });
    expect(existsSync(path.join(root, 'dev/sda'))).toBe(false);
    expect(r2.warnings[0].message).toMatch(/not owned by root/);
  });

  it.skipIf(noRoot)('creates root-owned devices when allowed, and fifos always', async () => {
    await apply(
      [
        { path: 'dev/null', type: 'char', devmajor: 1, devminor: 3, mode: 0o666 },
        { path: 'run/fifo', type: 'fifo', mode: 0o600 },
      ],
      { devices: 'root-owned' },
    );
    const st = statSync(path.join(root, 'dev/null'));
    expect(st.isCharacterDevice()).toBe(true);
    expect(st.rdev).toBe((1 << 8) | 3);
    expect(st.mode & 0o7777).toBe(0o666);
    expect(lstatSync(path.join(root, 'run/fifo')).isFIFO()).toBe(true);
  });

  it.skipIf(noRoot)('keeps setuid/setgid exactly as in the tar, after applying ownership', async () => {
    await apply([
      { path: 'bin/su', body: 'x', mode: 0o4755, uid: 1000, gid: 1000 },
      { path: 'bin/plain', body: 'x', mode: 0o755, uid: 1000, gid: 1000 },
      { path: 'shared/', type: 'directory', mode: 0o2775, uid: 0, gid: 50 },
    ]);
    const su = statSync(path.join(root, 'bin/su'));
    expect([su.mode & 0o7777, su.uid, su.gid]).toEqual([0o4755, 1000, 1000]);
    expect(statSync(path.join(root, 'bin/plain')).mode & 0o7777).toBe(0o755);
    const shared = statSync(path.join(root, 'shared'));
    expect([shared.mode & 0o7777, shared.gid]).toEqual([0o2775, 50]);
  });
});

describe('applyLayer: content', () => {
  it.skipIf(noRoot)('preserves ownership, modes and mtimes (files, dirs, symlinks) and hardlinks within the layer', async () => {
    const result = await apply([
      { path: 'etc/', type: 'directory', mode: 0o751, uid: 3, gid: 4, mtime: 1_000_000 },
      { path: 'etc/conf', body: 'abc', mode: 0o640, uid: 33, gid: 44, mtime: 1_500_000 },
      { path: 'etc/link', type: 'symlink', linkpath: 'conf', uid: 5, gid: 6, mtime: 1_200_000 },
      { path: 'etc/hard', type: 'hardlink', linkpath: 'etc/conf' },
      { path: 'ro/', type: 'directory', mode: 0o555 },
      { path: 'ro/inside', body: 'still written' },
    ]);
    expect(result.size).toBe(3 + 13);
    const etc = statSync(path.join(root, 'etc'));
    expect([etc.mode & 0o7777, etc.uid, etc.gid, etc.mtimeMs]).toEqual([0o751, 3, 4, 1_000_000_000]);
    const conf = statSync(path.join(root, 'etc/conf'));
    expect([conf.mode & 0o7777, conf.uid, conf.gid, conf.mtimeMs]).toEqual([0o640, 33, 44, 1_500_000_000]);
    const link = lstatSync(path.join(root, 'etc/link'));
    expect([link.uid, link.gid, link.mtimeMs]).toEqual([5, 6, 1_200_000_000]);
    expect(statSync(path.join(root, 'etc/hard')).ino).toBe(conf.ino);
    expect(statSync(path.join(root, 'ro')).mode & 0o777).toBe(0o555);
  });

  it('reads gzip-compressed layers', async () => {
    await applyLayer([gzipSync(await tarOf([{ path: 'a', body: 'gz' }]))], root);
    expect(readFileSync(path.join(root, 'a'), 'utf8')).toBe('gz');
  });

  it.skipIf(noRoot)('sets xattrs from pax records (file capabilities)', async () => {
    const cap = Buffer.from('0100000200200000000000000000000000000000', 'hex');
    await apply([{ path: 'bin/ping', body: 'x', mode: 0o755, xattrs: { 'security.capability': cap } }]);
    const attrs = await withSysOps((ops) => ops.listxattr(path.join(root, 'bin/ping')));
    expect(attrs['security.capability']).toEqual(cap);
  });

  it.skipIf(noRoot)('turns whiteouts into overlay form: char 0/0 devices and the opaque xattr', async () => {
    await apply([
      { path: 'etc/.wh.gone', body: '' },
      { path: 'var/cache/.wh..wh..opq', body: '' },
      { path: 'var/cache/new', body: 'n' },
      { path: '.wh..wh.plnk/', type: 'directory' },
    ]);
    const wh = lstatSync(path.join(root, 'etc/gone'));
    expect(wh.isCharacterDevice()).toBe(true);
    expect(wh.rdev).toBe(0);
    expect(existsSync(path.join(root, 'etc/.wh.gone'))).toBe(false);
    expect(existsSync(path.join(root, '.wh..wh.plnk'))).toBe(false);
    const attrs = await withSysOps((ops) => ops.listxattr(path.join(root, 'var/cache')));
    expect(attrs['trusted.overlay.opaque']?.toString()).toBe('y');
  });
});

describe('the native fsops helper (berth-fsops)', () => {
  it('sets and lists attributes byte for byte, on names with tabs and newlines, and reports errno', async () => {
    const dir = path.join(base, 'fsops');
    mkdirSync(dir, { recursive: true });
    const odd = path.join(dir, 'tab\tnew\nline');
    writeFileSync(odd, '');
    const bytes = Buffer.from([0, 9, 10, 0xff, 0x3d]);
    await withSysOps(async (ops) => {
      await ops.setxattr(odd, 'user.bin', bytes);
      await ops.setxattr(odd, 'user.empty', '');
      const attrs = await ops.listxattr(odd);
      expect(attrs['user.bin']).toEqual(bytes);
      expect(attrs['user.empty']).toEqual(Buffer.alloc(0));
      const err = await ops.listxattr(path.join(dir, 'missing')).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(SysOpError);
      expect((err as SysOpError).errno).toBe(2);
      // The helper keeps serving after an error.
      expect(Object.keys(await ops.listxattr(odd)).sort()).toEqual(['user.bin', 'user.empty']);
    });
  });

  it.skipIf(noRoot)('makes fifos and whiteout devices, and does not follow a symlink', async () => {
    const dir = path.join(base, 'fsops-nodes');
    mkdirSync(dir, { recursive: true });
    await withSysOps(async (ops) => {
      await ops.mknod(path.join(dir, 'fifo'), 'fifo', 0o640);
      await ops.mknod(path.join(dir, 'wh'), 'char', 0, 0, 0);
      execFileSync('ln', ['-s', '/nonexistent', path.join(dir, 'dangling')]);
      expect(await ops.listxattr(path.join(dir, 'dangling'))).toEqual({});
    });
    expect(lstatSync(path.join(dir, 'fifo')).isFIFO()).toBe(true);
    expect(lstatSync(path.join(dir, 'fifo')).mode & 0o777).toBe(0o640 & ~process.umask());
    expect(lstatSync(path.join(dir, 'wh')).isCharacterDevice()).toBe(true);
  });
});

describe.skipIf(noOverlay)('whiteouts on a real overlay mount', () => {
  it('hides whited-out files and the old content of opaque directories', async () => {
    const lower = path.join(base, 'ov-lower');
    const upper = path.join(base, 'ov-upper');
    const merged = path.join(base, 'ov-merged');
    mkdirSync(merged);
    await applyLayer(
      [
        await tarOf([
          { path: 'a', body: 'a' },
          { path: 'b', body: 'b' },
          { path: 'd/x', body: 'x' },
          { path: 'd/y', body: 'y' },
        ]),
      ],
      lower,
    );
    await applyLayer(
      [
        await tarOf([
          { path: '.wh.a', body: '' },
          { path: 'd/.wh..wh..opq', body: '' },
          { path: 'd/z', body: 'z' },
        ]),
      ],
      upper,
    );
    execFileSync('mount', ['-t', 'overlay', 'overlay', '-o', `lowerdir=${upper}:${lower}`, merged]);
    try {
      expect(readdirSync(merged).sort()).toEqual(['b', 'd']);
      expect(readdirSync(path.join(merged, 'd'))).toEqual(['z']);
      expect(readFileSync(path.join(merged, 'b'), 'utf8')).toBe('b');
    } finally {
      execFileSync('umount', [merged]);
    }
  });
});
