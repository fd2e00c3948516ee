// Volumes, binds and tmpfs of the built-in engine with real containers, through dockerode: what a
// container writes is read back by another container or on the host, never taken on trust.

import { execFileSync } from 'node:child_process';
import { chownSync, chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import Docker from 'dockerode';
import { demuxBuffer } from '../../support/streams.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EventMessage } from '../../../src/engine/backend.js';
import { mountsUnder } from '../../../src/engine/runtime/rootfs.js';
import { engineHost, requirePrereq } from '../../support/gates.js';
import { buildBusyboxImage } from '../helpers/images.js';
import { startTestEngine, type TestEngine } from '../helpers/daemon-harness.js';

const skip = requirePrereq('engine volumes (dockerode)', engineHost());

interface RunResult {
  id: string;
  code: number;
  stdout: string;
  stderr: string;
}

describe.skipIf(skip)('built-in engine volumes', () => {
  let engine: TestEngine;
  let docker: Docker;
  let hostDir: string;

  /** Creates, starts and waits for a container; returns its output (the container is kept). */
  async function run(cmd: string, opts: Docker.ContainerCreateOptions = {}): Promise<RunResult> {
    const c = await docker.createContainer({ Image: 'busybox', Cmd: ['sh', '-c', cmd], ...opts });
    await c.start();
    const { StatusCode } = await c.wait();
    const logs = (await c.logs({ stdout: true, stderr: true, follow: false })) as unknown as Buffer;
    return { id: c.id, code: StatusCode as number, ...(await demuxBuffer(docker, logs)) };
  }

  /** dockerode resolves createVolume with a handle; the API's answer is what inspect returns. */
  async function createVolume(opts: Record<string, unknown>): Promise<{ Name: string; [k: string]: unknown }> {
    const handle = await docker.createVolume(opts);
    return (await handle.inspect()) as { Name: string };
  }

  async function rm(id: string, v = false): Promise<void> {
    await docker.getContainer(id).remove({ force: true, v });
  }

  beforeAll(async () => {
    engine = await startTestEngine('vol');
    docker = new Docker({ socketPath: engine.socketPath });
    hostDir = mkdtempSync(path.join(engine.dir, 'host-'));
    // An image with content at a VOLUME path: owned by app (1000), mode 0750, a file inside.
    const rootfs = buildBusyboxImage(path.join(engine.dir, 'voltest-rootfs'));
    mkdirSync(path.join(rootfs, 'srv/app/sub'), { recursive: true });
    writeFileSync(path.join(rootfs, 'srv/app/seed.txt'), 'from the image\n');
    chmodSync(path.join(rootfs, 'srv/app/seed.txt'), 0o640);
    chownSync(path.join(rootfs, 'srv/app/seed.txt'), 1000, 1000);
    chownSync(path.join(rootfs, 'srv/app'), 1000, 1000);
    chmodSync(path.join(rootfs, 'srv/app'), 0o750);
    const tar = execFileSync('tar', ['-C', rootfs, '--numeric-owner', '-cf', '-', '.'], { maxBuffer: 64 * 1024 * 1024 });
    rmSync(rootfs, { recursive: true, force: true });
    for await (const _ of engine.daemon.engine.images.import({ source: Readable.from([tar]), repo: 'voltest', tag: 'latest', changes: ['CMD ["sh"]', 'VOLUME /srv/app'], signal: new AbortController().signal })) {
      // progress is not interesting here
    }
  }, 60_000);

  afterAll(async () => {
    if (!engine) return;
    const volumesDir = path.join(engine.root, 'volumes');
    await engine.close();
    // close() checks mounts under the root, volumes included; this says which kind was left.
    expect(await mountsUnder(volumesDir)).toEqual([]);
  }, 60_000);

  it('keeps a named volume\'s data after the container that wrote it is removed', async () => {
    const vol = `keep${process.pid}`;
    const created = await createVolume({ Name: vol, Labels: { purpose: 'test' } });
    expect(created).toMatchObject({ Name: vol, Driver: 'local', Scope: 'local', Labels: { purpose: 'test' }, Mountpoint: path.join(engine.root, 'volumes', vol, '_data') });
    const w = await run('echo persisted > /data/f; ls -ld /data | cut -c1-10', { HostConfig: { Binds: [`${vol}:/data`] } });
    expect(w).toMatchObject({ code: 0, stderr: '' });
    const inspect = await docker.getContainer(w.id).inspect();
    expect(inspect.Mounts).toEqual([{ Type: 'volume', Name: vol, Source: path.join(engine.root, 'volumes', vol, '_data'), Destination: '/data', Driver: 'local', Mode: 'z', RW: true, Propagation: '' }]);
    await rm(w.id, true);
    // Named volumes survive even rm -v; the data is on the host and visible to the next container.
    expect(readFileSync(path.join(engine.root, 'volumes', vol, '_data/f'), 'utf8')).toBe('persisted\n');
    const r = await run('cat /data/f', { HostConfig: { Mounts: [{ Type: 'volume', Source: vol, Target: '/data', ReadOnly: true }] } });
    expect(r).toMatchObject({ code: 0, stdout: 'persisted\n' });
    await rm(r.id);
    // A volume named in Binds that does not exist is created.
    const auto = await run('echo x > /a/y && cat /a/y', { HostConfig: { Binds: [`auto${process.pid}:/a`] } });
    expect(auto).toMatchObject({ code: 0, stdout: 'x\n' });
    await rm(auto.id);
    expect((await docker.getVolume(`auto${process.pid}`).inspect()).Name).toBe(`auto${process.pid}`);
    await docker.getVolume(`auto${process.pid}`).remove();
    await docker.getVolume(vol).remove();
    await expect(docker.getVolume(vol).inspect()).rejects.toMatchObject({ statusCode: 404 });
  }, 60_000);

  it('fills a new volume from the image (copy-up) keeping owner and mode, but not with nocopy', async () => {
    const vol = `copy${process.pid}`;
    const r = await run('stat -c "%u:%g %a" /srv/app /srv/app/seed.txt; cat /srv/app/seed.txt', { Image: 'voltest', HostConfig: { Binds: [`${vol}:/srv/app`] } });
    expect(r).toMatchObject({ code: 0, stdout: '1000:1000 750\n1000:1000 640\nfrom the image\n' });
    const data = path.join(engine.root, 'volumes', vol, '_data');
    expect(statSync(data).uid).toBe(1000);
    expect(readFileSync(path.join(data, 'seed.txt'), 'utf8')).toBe('from the image\n');
    // A volume that already has data is not overwritten by a later container's image.
    writeFileSync(path.join(data, 'seed.txt'), 'changed\n');
    const again = await run('cat /srv/app/seed.txt', { Image: 'voltest', HostConfig: { Binds: [`${vol}:/srv/app`] } });
    expect(again.stdout).toBe('changed\n');
    const nocopy = await run('ls -A /srv/app | wc -l', { Image: 'voltest', HostConfig: { Binds: [`nocopy${process.pid}:/srv/app:nocopy`] } });
    expect(nocopy.stdout.trim()).toBe('0');
    for (const id of [r.id, again.id, nocopy.id]) await rm(id);
    await docker.getVolume(vol).remove();
    await docker.getVolume(`nocopy${process.pid}`).remove();
  }, 60_000);

  it('makes an anonymous volume for the image\'s VOLUME: kept by rm, removed by rm -v', async () => {
    const first = await run('cat /srv/app/seed.txt; echo mine > /srv/app/mine', { Image: 'voltest' });
    expect(first).toMatchObject({ code: 0, stdout: 'from the image\n' });
    const [mount] = (await docker.getContainer(first.id).inspect()).Mounts;
    expect(mount).toMatchObject({ Type: 'volume', Destination: '/srv/app', Driver: 'local', RW: true });
    expect(mount.Name).toMatch(/^[0-9a-f]{64}$/);
    const listed = await docker.listVolumes({ filters: JSON.stringify({ label: ['com.docker.volume.anonymous'] }) });
    expect(listed.Volumes.map((v) => v.Name)).toContain(mount.Name);
    await rm(first.id);
    expect((await docker.getVolume(mount.Name!).inspect()).Name).toBe(mount.Name);
    // Dangling now: no container references it.
    const dangling = await docker.listVolumes({ filters: JSON.stringify({ dangling: ['true'] }) });
    expect(dangling.Volumes.map((v) => v.Name)).toContain(mount.Name);

    const second = await run('true', { Image: 'voltest' });
    const [m2] = (await docker.getContainer(second.id).inspect()).Mounts;
    expect(m2.Name).not.toBe(mount.Name);
    await rm(second.id, true);
    await expect(docker.getVolume(m2.Name!).inspect()).rejects.toMatchObject({ statusCode: 404 });
    // prune (API ≥ 1.42 without all=true) removes unused anonymous volumes only.
    const named = await createVolume({ Name: `named${process.pid}` });
    const pruned = (await docker.pruneVolumes()) as { VolumesDeleted: string[] | null; SpaceReclaimed: number };
    expect(pruned.VolumesDeleted).toContain(mount.Name);
    expect(pruned.VolumesDeleted).not.toContain(named.Name);
    expect(pruned.SpaceReclaimed).toBeGreaterThan(0);
    const all = (await docker.pruneVolumes({ filters: JSON.stringify({ all: ['true'] }) })) as { VolumesDeleted: string[] | null };
    expect(all.VolumesDeleted).toContain(named.Name);
  }, 60_000);

  it('binds host directories: a missing one is created for Binds, refused for Mounts; ro refuses writes', async () => {
    const dir = path.join(hostDir, 'made-by-bind');
    const w = await run('echo from-container > /h/f', { HostConfig: { Binds: [`${dir}:/h`] } });
    expect(w.code).toBe(0);
    expect(readFileSync(path.join(dir, 'f'), 'utf8')).toBe('from-container\n');
    const ro = await run('cat /h/f; echo nope > /h/g', { HostConfig: { Binds: [`${dir}:/h:ro`] } });
    expect(ro.stdout).toBe('from-container\n');
    expect(ro.stderr).toMatch(/Read-only file system/);
    expect(ro.code).not.toBe(0);
    expect(existsSync(path.join(dir, 'g'))).toBe(false);
    await expect(
      docker.createContainer({ Image: 'busybox', Cmd: ['true'], HostConfig: { Mounts: [{ Type: 'bind', Source: path.join(hostDir, 'missing'), Target: '/m' }] } }),
    ).rejects.toMatchObject({ statusCode: 400, message: expect.stringMatching(/bind source path does not exist/) });
    for (const id of [w.id, ro.id]) await rm(id);
  }, 60_000);

  it('enforces a tmpfs size limit (HostConfig.Tmpfs and Mounts tmpfs)', async () => {
    const r = await run('dd if=/dev/zero of=/t/big bs=1024 count=2048 2>&1; stat -f -c %b /t', { HostConfig: { Tmpfs: { '/t': 'size=1m' } } });
    expect(r.stdout).toMatch(/No space left on device/);
    const m = await run('dd if=/dev/zero of=/t/ok bs=1024 count=512 2>/dev/null && echo fits; dd if=/dev/zero of=/t/big bs=1024 count=1024 2>&1 | grep -o "No space left"', {
      HostConfig: { Mounts: [{ Type: 'tmpfs', Target: '/t', TmpfsOptions: { SizeBytes: 1024 * 1024 } } as unknown as Docker.MountSettings] },
    });
    expect(m.stdout).toBe('fits\nNo space left\n');
    const [mount] = (await docker.getContainer(m.id).inspect()).Mounts;
    expect(mount).toMatchObject({ Type: 'tmpfs', Destination: '/t', RW: true });
    for (const id of [r.id, m.id]) await rm(id);
  }, 60_000);

  it('shares volumes with VolumesFrom (ro honoured) and refuses to remove a volume in use', async () => {
    const vol = `shared${process.pid}`;
    const a = await run('echo from-a > /s/a', { HostConfig: { Binds: [`${vol}:/s`] } });
    const b = await run('cat /s/a; echo from-b > /s/b', { HostConfig: { VolumesFrom: [a.id] } });
    expect(b).toMatchObject({ code: 0, stdout: 'from-a\n' });
    const c = await run('cat /s/b; touch /s/c', { HostConfig: { VolumesFrom: [`${a.id.slice(0, 12)}:ro`] } });
    expect(c.stdout).toBe('from-b\n');
    expect(c.stderr).toMatch(/Read-only file system/);
    expect((await docker.getContainer(c.id).inspect()).Mounts[0]).toMatchObject({ Name: vol, RW: false, Mode: 'ro' });
    await expect(docker.getVolume(vol).remove()).rejects.toMatchObject({ statusCode: 409, message: expect.stringMatching(/volume is in use/) });
    await expect(docker.getVolume(vol).remove({ force: true })).rejects.toMatchObject({ statusCode: 409 });
    for (const id of [a.id, b.id, c.id]) await rm(id);
    await docker.getVolume(vol).remove();
  }, 60_000);

  it('mounts a volume with driver options (tmpfs, bind) at first use and unmounts it when unused', async () => {
    const tv = `tmpfsvol${process.pid}`;
    await createVolume({ Name: tv, Driver: 'local', DriverOpts: { type: 'tmpfs', device: 'tmpfs', o: 'size=2m' } });
    // Same options again: the existing volume; other options: a conflict.
    expect((await createVolume({ Name: tv, DriverOpts: { type: 'tmpfs', device: 'tmpfs', o: 'size=2m' } })).Name).toBe(tv);
    await expect(docker.createVolume({ Name: tv })).rejects.toMatchObject({ statusCode: 409 });
    const data = path.join(engine.root, 'volumes', tv, '_data');
    expect(await mountsUnder(data)).toEqual([]);
    const c = await docker.createContainer({ Image: 'busybox', Cmd: ['sh', '-c', 'grep " /v " /proc/mounts | cut -d" " -f3; sleep 30'], HostConfig: { Binds: [`${tv}:/v`] } });
    await c.start();
    expect(await mountsUnder(data)).toEqual([data]);
    await c.kill();
    await c.wait();
    expect(await mountsUnder(data)).toEqual([]);
    await c.remove();

    const src = path.join(hostDir, 'bound');
    mkdirSync(src);
    writeFileSync(path.join(src, 'hello'), 'host file\n');
    const bv = `bindvol${process.pid}`;
    await createVolume({ Name: bv, DriverOpts: { type: 'none', device: src, o: 'bind' } });
    const r = await run('cat /b/hello; echo back > /b/back', { HostConfig: { Binds: [`${bv}:/b`] } });
    expect(r.stdout).toBe('host file\n');
    expect(readFileSync(path.join(src, 'back'), 'utf8')).toBe('back\n');
    await rm(r.id);
    await docker.getVolume(bv).remove();
    // Removing a bind volume never touches the bound directory's content.
    expect(readFileSync(path.join(src, 'hello'), 'utf8')).toBe('host file\n');
    await docker.getVolume(tv).remove();
  }, 60_000);

  it('reports volume events: create, mount, unmount, destroy', async () => {
    const vol = `ev${process.pid}`;
    const since = Math.floor(Date.now() / 1000) - 1;
    await createVolume({ Name: vol });
    const r = await run('true', { HostConfig: { Binds: [`${vol}:/e`] } });
    await rm(r.id);
    await docker.getVolume(vol).remove();
    const events: EventMessage[] = [];
    for await (const e of engine.daemon.engine.system.events({ filters: { type: ['volume'] }, since: new Date(since * 1000), until: new Date(Date.now() + 200), signal: new AbortController().signal })) {
      if (e.Actor.ID === vol) events.push(e);
    }
    expect(events.map((e) => e.Action)).toEqual(['create', 'mount', 'unmount', 'destroy']);
    expect(events[1].Actor.Attributes).toMatchObject({ container: r.id, destination: '/e', driver: 'local', 'read/write': 'true' });
  }, 60_000);

  it('re-adopts a running container\'s driver volume after an engine restart and unmounts it when the container stops', async () => {
    const tv = `adopt${process.pid}`;
    await createVolume({ Name: tv, DriverOpts: { type: 'tmpfs', device: 'tmpfs', o: 'size=1m' } });
    const c = await docker.createContainer({ Image: 'busybox', Cmd: ['sh', '-c', 'echo alive > /v/f; sleep 60'], HostConfig: { Binds: [`${tv}:/v`] } });
    await c.start();
    const data = path.join(engine.root, 'volumes', tv, '_data');
    await engine.restartDaemon();
    docker = new Docker({ socketPath: engine.socketPath });
    // Still mounted and in use: the restarted engine knows the container holds it.
    expect(await mountsUnder(data)).toEqual([data]);
    expect(readFileSync(path.join(data, 'f'), 'utf8')).toBe('alive\n');
    await expect(docker.getVolume(tv).remove()).rejects.toMatchObject({ statusCode: 409 });
    await docker.getContainer(c.id).stop({ t: 0 });
    // As in dockerd, stop answers once the exit is recorded; the run's cleanup, which releases the
    // volume, follows at once (and anything touching the container waits for it).
    for (let i = 0; i < 100 && (await mountsUnder(data)).length > 0; i++) await new Promise((r) => setTimeout(r, 20));
    expect(await mountsUnder(data)).toEqual([]);
    await docker.getContainer(c.id).remove();
    await docker.getVolume(tv).remove();
  }, 60_000);

  it('unmounts a driver volume whose container exited while the engine was down', async () => {
    const tv = `down${process.pid}`;
    await createVolume({ Name: tv, DriverOpts: { type: 'tmpfs', device: 'tmpfs' } });
    const c = await docker.createContainer({ Image: 'busybox', Cmd: ['sleep', '60'], HostConfig: { Binds: [`${tv}:/v`] } });
    await c.start();
    const { Pid } = (await c.inspect()).State;
    const data = path.join(engine.root, 'volumes', tv, '_data');
    await engine.restartDaemon({
      whileDown: async () => {
        process.kill(Pid, 'SIGKILL');
        // The shim records the exit; the next engine finds it at restore.
        const status = path.join(engine.root, 'containers', c.id, 'status.json');
        for (let i = 0; i < 100 && !existsSync(status); i++) await new Promise((r) => setTimeout(r, 20));
      },
    });
    docker = new Docker({ socketPath: engine.socketPath });
    expect((await docker.getContainer(c.id).inspect()).State.Running).toBe(false);
    expect(await mountsUnder(data)).toEqual([]);
    await docker.getContainer(c.id).remove();
    await docker.getVolume(tv).remove();
  }, 60_000);

  it('keeps volumes across an engine restart', async () => {
    const vol = `restart${process.pid}`;
    await createVolume({ Name: vol, Labels: { k: 'v' } });
    await engine.restartDaemon();
    docker = new Docker({ socketPath: engine.socketPath });
    expect(await docker.getVolume(vol).inspect()).toMatchObject({ Name: vol, Labels: { k: 'v' } });
    const byLabel = await docker.listVolumes({ filters: JSON.stringify({ label: ['k=v'], name: ['restart'] }) });
    expect(byLabel.Volumes.map((v) => v.Name)).toEqual([vol]);
    await docker.getVolume(vol).remove();
  }, 60_000);
});
