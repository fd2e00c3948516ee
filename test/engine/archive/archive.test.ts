// The archive endpoints (`docker cp`) of the built-in engine with real containers, running and
// stopped: what goes in is read back inside the container or on the host, and symlinks planted in
// the container never lead the engine to a host file.

import { mkdirSync, mkdtempSync, readFileSync, existsSync } from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import Docker from 'dockerode';
import { execIn } from '../../support/streams.js';
import { describe, expect, it } from 'vitest';
import type { PathStat } from '../../../src/engine/backend.js';
import { readTarToArray, writeTar, type TarWriteEntry } from '../../../src/lib/tar.js';
import { engineHost, requirePrereq } from '../../support/gates.js';
import { PASSWD } from '../helpers/images.js';
import { type TestEngine } from '../helpers/daemon-harness.js';
import { NOTHING_LEFT } from '../helpers/leftovers.js';
import { useTestEngine } from '../../support/engines.js';

const skip = requirePrereq('engine archive (docker cp)', engineHost());

async function tarOf(entries: TarWriteEntry[]): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const p of writeTar(entries)) parts.push(p);
  return Buffer.concat(parts);
}

async function readAll(stream: NodeJS.ReadableStream): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const p of stream as AsyncIterable<Buffer>) parts.push(p);
  return Buffer.concat(parts);
}

describe.skipIf(skip)('built-in engine archive (docker cp)', () => {
  let engine: TestEngine;
  let docker: Docker;

  async function exec(c: Docker.Container, cmd: string): Promise<string> {
    const { stdout, stderr } = await execIn(docker, c, ['sh', '-c', cmd]);
    return stdout + stderr;
  }

  async function stat(c: Docker.Container, p: string): Promise<PathStat> {
    const res = (await c.infoArchive({ path: p })) as unknown as { headers: Record<string, string>; resume(): void };
    res.resume();
    return JSON.parse(Buffer.from(res.headers['x-docker-container-path-stat'], 'base64').toString('utf8')) as PathStat;
  }

  async function get(c: Docker.Container, p: string): Promise<{ path: string; type: string; data: string; mode: number; uid: number }[]> {
    const tar = await readAll((await c.getArchive({ path: p })) as NodeJS.ReadableStream);
    return (await readTarToArray([tar])).map((e) => ({ path: e.header.path, type: e.header.type, data: e.data.toString('utf8'), mode: e.header.mode, uid: e.header.uid }));
  }

  useTestEngine('cp', (e) => {
    engine = e;
    docker = new Docker({ socketPath: engine.socketPath });
  });

  it('copies into and out of a running container, into its tmpfs and volumes too', async () => {
    const vol = `cpvol${process.pid}`;
    const c = await docker.createContainer({ Image: 'busybox', Cmd: ['sleep', '60'], HostConfig: { Binds: [`${vol}:/data`], Tmpfs: { '/scratch': '' } } });
    await c.start();
    const tar = await tarOf([
      { path: 'dir/', type: 'directory', mode: 0o750, uid: 1000, gid: 1000, mtime: 1_700_000_000 },
      { path: 'dir/hello.txt', body: 'hello\n', mode: 0o640, uid: 1000, gid: 50 },
      { path: 'link', type: 'symlink', linkpath: 'dir/hello.txt' },
    ]);
    for (const dest of ['/tmp', '/data', '/scratch']) await c.putArchive(tar, { path: dest });
    expect(await exec(c, 'for d in /tmp /data /scratch; do cat $d/link; stat -c "%u:%g %a" $d/dir $d/dir/hello.txt; done')).toBe(
      'hello\n1000:1000 750\n1000:50 640\n'.repeat(3),
    );
    // The volume's copy is on the host, in the volume.
    expect(readFileSync(path.join(engine.root, 'volumes', vol, '_data/dir/hello.txt'), 'utf8')).toBe('hello\n');
    // The tmpfs one exists only inside the container's mount namespace.
    expect(existsSync(path.join(engine.root, 'containers', c.id, 'upper/scratch/dir'))).toBe(false);

    const st = await stat(c, '/tmp/dir');
    expect(st).toMatchObject({ name: 'dir', mode: 2 ** 31 + 0o750, linkTarget: '' });
    expect(Date.parse(st.mtime)).toBe(1_700_000_000_000);
    expect(await stat(c, '/tmp/link')).toMatchObject({ name: 'link', mode: 2 ** 27 + 0o777, linkTarget: '/tmp/dir/hello.txt' });
    expect(await get(c, '/scratch/dir')).toEqual([
      { path: 'dir/', type: 'directory', data: '', mode: 0o750, uid: 1000 },
      { path: 'dir/hello.txt', type: 'file', data: 'hello\n', mode: 0o640, uid: 1000 },
    ]);
    // Trailing slash on a link to a directory: the directory itself.
    await exec(c, 'ln -s /tmp/dir /tmp/dirlink');
    expect((await get(c, '/tmp/dirlink/')).map((e) => e.path)).toEqual(['dirlink/', 'dirlink/hello.txt']);
    expect((await get(c, '/tmp/dirlink')).map((e) => `${e.path} ${e.type}`)).toEqual(['dirlink symlink']);
    await expect(stat(c, '/nowhere')).rejects.toMatchObject({ statusCode: 404 });
    await c.remove({ force: true });
    await docker.getVolume(vol).remove();
  }, 60_000);

  it('copies into and out of a stopped container, through its volumes, and leaves nothing mounted', async () => {
    const vol = `cpstop${process.pid}`;
    const c = await docker.createContainer({ Image: 'busybox', Cmd: ['sh', '-c', 'echo written > /root/out.txt; cat /data/in.txt'], HostConfig: { Binds: [`${vol}:/data`] } });
    // Never started yet: the volume is already there and can be filled before the first run.
    await c.putArchive(await tarOf([{ path: 'in.txt', body: 'put before start\n' }]), { path: '/data' });
    expect(readFileSync(path.join(engine.root, 'volumes', vol, '_data/in.txt'), 'utf8')).toBe('put before start\n');
    await c.start();
    await c.wait();
    const logs = ((await c.logs({ stdout: true, follow: false })) as unknown as Buffer).subarray(8).toString();
    expect(logs).toBe('put before start\n');
    expect(await get(c, '/root/out.txt')).toEqual([{ path: 'out.txt', type: 'file', data: 'written\n', mode: 0o644, uid: 0 }]);
    expect(await get(c, '/data/in.txt')).toMatchObject([{ path: 'in.txt', data: 'put before start\n' }]);
    // The rootfs and volume mounts of the copy go once the response is sent.
    for (let i = 0; i < 50 && (await engine.leftovers()).mounts.length > 0; i++) await new Promise((r) => setTimeout(r, 20));
    expect(await engine.leftovers()).toEqual(NOTHING_LEFT);
    await c.remove();
    await docker.getVolume(vol).remove();
  }, 60_000);

  it('resolves symlinks inside the container root, never on the host', async () => {
    const c = await docker.createContainer({ Image: 'busybox', Cmd: ['sh', '-c', 'ln -s / /tmp/hostroot; ln -s ../../../../etc /tmp/up; ln -s /tmp/victim /tmp/dest; mkdir /tmp/victim'] });
    await c.start();
    await c.wait();
    // Through an absolute link to `/`, and a relative one that climbs "above" the root.
    for (const p of ['/tmp/hostroot/etc/passwd', '/tmp/up/passwd']) {
      expect(await get(c, p)).toMatchObject([{ path: 'passwd', data: PASSWD }]);
    }
    await c.putArchive(await tarOf([{ path: 'planted', body: 'x' }]), { path: '/tmp/up' });
    expect(existsSync('/etc/planted')).toBe(false);
    expect((await get(c, '/etc/planted'))[0].data).toBe('x');
    await c.putArchive(await tarOf([{ path: 'through-link', body: 'y' }]), { path: '/tmp/dest' });
    expect((await get(c, '/tmp/victim/through-link'))[0].data).toBe('y');
    // An entry climbing out of the destination is refused, and nothing is written.
    await expect(c.putArchive(await tarOf([{ path: '../../escaped', body: 'z' }]), { path: '/tmp' })).rejects.toMatchObject({ statusCode: 400 });
    expect((await get(c, '/tmp')).some((e) => e.path.includes('escaped'))).toBe(false);
    await c.remove();
  }, 60_000);

  it('refuses to write into a read-only rootfs or mount, to a non-directory, or over a directory with a file', async () => {
    const host = mkdtempSync(path.join(engine.dir, 'ro-'));
    mkdirSync(path.join(host, 'sub'));
    const c = await docker.createContainer({ Image: 'busybox', Cmd: ['sleep', '60'], HostConfig: { ReadonlyRootfs: true, Binds: [`${host}:/ro:ro`], Tmpfs: { '/rw': '' } } });
    await c.start();
    const tar = await tarOf([{ path: 'f', body: 'f' }]);
    await expect(c.putArchive(tar, { path: '/tmp' })).rejects.toMatchObject({ statusCode: 400, message: expect.stringMatching(/container rootfs is marked read-only/) });
    await expect(c.putArchive(tar, { path: '/ro/sub' })).rejects.toMatchObject({ statusCode: 400, message: expect.stringMatching(/mounted volume is marked read-only/) });
    await expect(c.putArchive(tar, { path: '/etc/passwd' })).rejects.toMatchObject({ statusCode: 400, message: expect.stringMatching(/extraction point is not a directory/) });
    await c.putArchive(tar, { path: '/rw' });
    await exec(c, 'mkdir /rw/d');
    await expect(c.putArchive(await tarOf([{ path: 'd', body: 'file over dir' }]), { path: '/rw', noOverwriteDirNonDir: true })).rejects.toMatchObject({ statusCode: 400, message: expect.stringMatching(/cannot overwrite directory/) });
    expect(await exec(c, 'cat /rw/f; test -d /rw/d && echo still-dir')).toBe('fstill-dir\n');
    await c.remove({ force: true });
  }, 60_000);

  it('freezes a running container while its root is walked, and thaws it before the answer ends', async () => {
    const c = await docker.createContainer({ Image: 'busybox', Cmd: ['sh', '-c', 'dd if=/dev/zero of=/tmp/big bs=1M count=8 2>/dev/null; sleep 60'] });
    await c.start();
    const runc = engine.daemon.engine.runner.runc;
    for (let i = 0; i < 100 && !(await exec(c, 'ls -l /tmp/big 2>/dev/null')).includes('8388608'); i++) await new Promise((r) => setTimeout(r, 20));
    const stream = (await c.getArchive({ path: '/tmp/big' })) as NodeJS.ReadableStream;
    const iterator = (stream as AsyncIterable<Buffer>)[Symbol.asyncIterator]();
    await iterator.next();
    // Mid-stream: frozen (a process inside cannot swap a directory for a symlink under the engine).
    expect((await runc.stateIfExists(c.id))?.status).toBe('paused');
    for (let r = await iterator.next(); !r.done; r = await iterator.next()) {
      // drain
    }
    expect((await runc.stateIfExists(c.id))?.status).toBe('running');
    expect((await c.inspect()).State.Paused).toBe(false);
    await c.remove({ force: true });
  }, 60_000);

  it('copyUIDGID gives the files to the container\'s user', async () => {
    const c = await docker.createContainer({ Image: 'busybox', User: 'app', Cmd: ['sleep', '60'] });
    await c.start();
    await c.putArchive(Readable.from([await tarOf([{ path: 'owned', body: 'o', uid: 7, gid: 7 }])]), { path: '/tmp', copyUIDGID: true });
    await c.putArchive(await tarOf([{ path: 'kept', body: 'k', uid: 7, gid: 7 }]), { path: '/tmp' });
    expect(await exec(c, 'stat -c "%n %u:%g" /tmp/owned /tmp/kept')).toBe('/tmp/owned 1000:1000\n/tmp/kept 7:7\n');
    await c.remove({ force: true });
  }, 60_000);
});
