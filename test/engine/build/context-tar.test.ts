// Build contexts that arrive as tar streams (POST /build): extracted into a private directory
// and walked like any context, with the tar's modes and owners; hostile archives (absolute
// paths, `..`, entries written through symlinks, hardlinks out) are refused and leave nothing.
import { mkdtempSync, readdirSync, rmSync, existsSync, readlinkSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import tarStream from 'tar-stream';
import { afterEach, describe, expect, it } from 'vitest';
import { ContextError } from '../../../src/engine/build/context/errors.js';
import { selectSource } from '../../../src/engine/build/context/select.js';
import { extractContextTar } from '../../../src/engine/build/context/tar.js';
import { walkContext } from '../../../src/engine/build/context/walk.js';

interface Entry {
  name: string;
  type?: 'file' | 'directory' | 'symlink' | 'link' | 'character-device';
  content?: string;
  linkname?: string;
  mode?: number;
  uid?: number;
  gid?: number;
}

async function makeTar(entries: Entry[]): Promise<Buffer> {
  const pack = tarStream.pack();
  const chunks: Buffer[] = [];
  const done = new Promise<void>((resolve, reject) => {
    pack.on('data', (c: unknown) => chunks.push(c as Buffer));
    pack.on('end', () => resolve());
    pack.on('error', reject);
  });
  for (const e of entries) {
    const type = e.type ?? 'file';
    const header = { name: e.name, type, mode: e.mode ?? (type === 'directory' ? 0o755 : 0o644), uid: e.uid ?? 0, gid: e.gid ?? 0, linkname: e.linkname, mtime: new Date(1_000_000_000_000) };
    await new Promise<void>((resolve, reject) => {
      const cb = (err?: Error | null): void => (err ? reject(err) : resolve());
      if (type === 'file') pack.entry(header, e.content ?? '', cb);
      else pack.entry(header, cb);
    });
  }
  pack.finalize();
  await done;
  return Buffer.concat(chunks);
}

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
function tmp(): string {
  const d = mkdtempSync(path.join(os.tmpdir(), 'berth-tar-test-'));
  dirs.push(d);
  return d;
}

async function rejects(buf: Buffer): Promise<{ error: ContextError; tmpRoot: string }> {
  const tmpRoot = tmp();
  try {
    await extractContextTar(Readable.from([buf]), { tmpRoot });
  } catch (e) {
    if (!(e instanceof ContextError)) throw e;
    return { error: e, tmpRoot };
  }
  throw new Error('the archive was accepted');
}

describe('tar contexts', () => {
  const entries: Entry[] = [
    { name: 'Dockerfile', content: 'FROM scratch\nCOPY app /app\n' },
    { name: 'app/', type: 'directory' },
    { name: 'app/run.sh', content: '#!/bin/sh\necho hi\n', mode: 0o755, uid: 1000, gid: 1000 },
    { name: './app/data.txt', content: 'data' },
    { name: 'app/latest', type: 'symlink', linkname: 'run.sh' },
    { name: 'app/hard', type: 'link', linkname: 'app/data.txt' },
    { name: '.dockerignore', content: 'app/*.txt\n!app/data.txt\n' },
  ];

  it('extracts, keeps the tar modes and owners as metadata, and walks like a directory', async () => {
    const ctx = await extractContextTar(Readable.from([await makeTar(entries)]));
    try {
      expect(readlinkSync(path.join(ctx.dir, 'app/latest'))).toBe('run.sh');
      expect(ctx.metadata.get('app/run.sh')).toEqual({ mode: 0o755, uid: 1000, gid: 1000 });
      const index = await walkContext(ctx.dir, { dockerfile: 'Dockerfile', metadata: ctx.metadata });
      expect([...index.entries.keys()].sort()).toEqual(['.', '.dockerignore', 'Dockerfile', 'app', 'app/data.txt', 'app/hard', 'app/latest', 'app/run.sh']);
      expect(index.entries.get('app/run.sh')).toMatchObject({ mode: 0o755, uid: 1000, gid: 1000 });
      expect(index.entries.get('app/hard')!.digest).toBe(index.entries.get('app/data.txt')!.digest);
      // The same archive twice gives the same digests, wherever and whenever it lands.
      const again = await extractContextTar(Readable.from([await makeTar(entries)]));
      try {
        const index2 = await walkContext(again.dir, { metadata: again.metadata });
        expect(selectSource(index2, 'app').digest).toBe(selectSource(index, 'app').digest);
      } finally {
        await again.cleanup();
      }
    } finally {
      await ctx.cleanup();
    }
    expect(existsSync(ctx.dir)).toBe(false);
  });

  it('reads a gzip-compressed context', async () => {
    const ctx = await extractContextTar(Readable.from([gzipSync(await makeTar(entries))]));
    try {
      expect(readdirSync(ctx.dir).sort()).toEqual(['.dockerignore', 'Dockerfile', 'app']);
    } finally {
      await ctx.cleanup();
    }
  });

  it('a later entry replaces an earlier one; devices are skipped with a warning', async () => {
    const ctx = await extractContextTar(
      Readable.from([await makeTar([{ name: 'f', content: 'one' }, { name: 'f', content: 'two' }, { name: 'dev', type: 'character-device' }])]),
    );
    try {
      const index = await walkContext(ctx.dir, { metadata: ctx.metadata });
      expect(index.entries.get('f')!.size).toBe(3);
      expect(index.entries.has('dev')).toBe(false);
      expect(ctx.warnings.map((w) => w.message)).toEqual(['build context archive: dev is a character-device; skipped']);
    } finally {
      await ctx.cleanup();
    }
  });
});

describe('hostile tar contexts', () => {
  it('refuses an absolute path', async () => {
    const { error, tmpRoot } = await rejects(await makeTar([{ name: 'ok', content: 'x' }, { name: '/etc/cron.d/evil', content: 'x' }]));
    expect(error.kind).toBe('escape');
    expect(error.message).toMatch(/absolute path: "\/etc\/cron.d\/evil"/);
    expect(readdirSync(tmpRoot)).toEqual([]);
  });

  it('refuses .. components', async () => {
    const { error, tmpRoot } = await rejects(await makeTar([{ name: 'a/../../evil', content: 'x' }]));
    expect(error.message).toMatch(/climbs out: "a\/..\/..\/evil"/);
    expect(readdirSync(tmpRoot)).toEqual([]);
  });

  it('never writes through a symlink', async () => {
    const outside = tmp();
    const { error, tmpRoot } = await rejects(await makeTar([{ name: 'link', type: 'symlink', linkname: outside }, { name: 'link/evil', content: 'x' }]));
    expect(error.message).toMatch(/writes "link\/evil" through a symlink/);
    expect(readdirSync(outside)).toEqual([]);
    expect(readdirSync(tmpRoot)).toEqual([]);
  });

  it('refuses hardlinks to anything but a file of the archive', async () => {
    for (const linkname of ['../../etc/passwd', '/etc/passwd', 'missing', 'link']) {
      const { error } = await rejects(await makeTar([{ name: 'link', type: 'symlink', linkname: '/etc/passwd' }, { name: 'h', type: 'link', linkname }]));
      expect(error.kind, linkname).toBe('escape');
    }
  });

  it('refuses what is not a tar', async () => {
    const { error } = await rejects(Buffer.from('this is not a tar archive at all'.repeat(40)));
    expect(error.kind).toBe('invalid');
  });
});
