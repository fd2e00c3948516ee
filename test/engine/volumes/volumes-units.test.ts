// The pure and filesystem-only parts of volumes and docker cp: path resolution inside a root, Go
// file modes, the volume store and the mount planning, and the /volumes routes over the fake
// backend. None of it needs root or a runtime.

import http from 'node:http';
import { lstatSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { goFileMode } from '../../../src/engine/archive/archive.js';
import { resolveInRoot } from '../../../src/engine/archive/resolve.js';
import { planMounts } from '../../../src/engine/runtime/translate.js';
import { ANONYMOUS_LABEL, VolumeStore } from '../../../src/engine/volumes/store.js';
import { VolumeService, type ContainerMount } from '../../../src/engine/volumes/service.js';
import { startFakeEngine, type FakeEngine } from '../api/api-harness.js';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'berth-volunits-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('resolveInRoot', () => {
  it('follows symlinks as if chrooted: absolute targets restart at the root, .. stops there', async () => {
    const root = path.join(dir, 'root');
    mkdirSync(path.join(root, 'etc'), { recursive: true });
    mkdirSync(path.join(root, 'tmp'), { recursive: true });
    writeFileSync(path.join(root, 'etc/passwd'), 'x');
    symlinkSync('/', path.join(root, 'tmp/rootlink'));
    symlinkSync('../../../../../etc', path.join(root, 'tmp/up'));
    symlinkSync('/etc/passwd', path.join(root, 'tmp/pw'));
    symlinkSync('loop', path.join(root, 'tmp/loop'));
    expect(await resolveInRoot(root, '/tmp/rootlink/etc/passwd')).toEqual({ hostPath: path.join(root, 'etc/passwd'), containerPath: '/etc/passwd' });
    expect(await resolveInRoot(root, 'tmp/up/passwd')).toEqual({ hostPath: path.join(root, 'etc/passwd'), containerPath: '/etc/passwd' });
    expect(await resolveInRoot(root, '/../../etc')).toEqual({ hostPath: path.join(root, 'etc'), containerPath: '/etc' });
    expect((await resolveInRoot(root, '/tmp/pw')).containerPath).toBe('/etc/passwd');
    expect((await resolveInRoot(root, '/tmp/pw', { followFinal: false })).containerPath).toBe('/tmp/pw');
    expect((await resolveInRoot(root, '/tmp/missing/deeper')).containerPath).toBe('/tmp/missing/deeper');
    await expect(resolveInRoot(root, '/tmp/loop/x')).rejects.toThrow(/too many levels of symbolic links/);
  });

  it('encodes file modes the way Go\'s os.FileMode does (what docker cp decodes)', () => {
    mkdirSync(path.join(dir, 'm'));
    writeFileSync(path.join(dir, 'm/f'), '');
    symlinkSync('f', path.join(dir, 'm/l'));
    expect(goFileMode(lstatSync(path.join(dir, 'm'))) - (lstatSync(path.join(dir, 'm')).mode & 0o777)).toBe(2 ** 31);
    expect(goFileMode(lstatSync(path.join(dir, 'm/f')))).toBe(lstatSync(path.join(dir, 'm/f')).mode & 0o777);
    expect(goFileMode(lstatSync(path.join(dir, 'm/l')))).toBe(2 ** 27 + 0o777);
  });
});

describe('VolumeStore and VolumeService', () => {
  const events: string[] = [];
  const refs = new Map<string, string[]>();
  let service: VolumeService;

  beforeAll(async () => {
    service = await VolumeService.open(path.join(dir, 'volumes'), {
      emit: (action, name) => events.push(`${action} ${name}`),
      referencedBy: (name) => refs.get(name) ?? [],
      now: () => new Date('2024-05-01T10:00:00.123Z'),
    });
  });

  it('validates names, drivers and options with dockerd\'s messages', async () => {
    await expect(service.create({ Name: 'a' })).rejects.toMatchObject({ status: 400, message: expect.stringMatching(/too short/) });
    await expect(service.create({ Name: 'bad/name' })).rejects.toMatchObject({ status: 400, message: expect.stringMatching(/includes invalid characters/) });
    await expect(service.create({ Name: 'ok', Driver: 'nfs-plugin' })).rejects.toMatchObject({ status: 404, message: expect.stringMatching(/plugin "nfs-plugin" not found/) });
    await expect(service.create({ Name: 'ok', DriverOpts: { size: '1g' } })).rejects.toMatchObject({ status: 400, message: 'invalid option key: "size"' });
    await expect(service.create({ Name: 'ok', DriverOpts: { type: 'tmpfs' } })).rejects.toMatchObject({ status: 400, message: 'missing required option: "device"' });
  });

  it('creates once, returns the same volume for the same options, refuses other options; survives reopening', async () => {
    const v = await service.create({ Name: 'web-data', Labels: { tier: 'web' } });
    expect(v).toEqual({
      Name: 'web-data',
      Driver: 'local',
      Mountpoint: path.join(dir, 'volumes/web-data/_data'),
      CreatedAt: '2024-05-01T10:00:00Z',
      Labels: { tier: 'web' },
      Scope: 'local',
      Options: null,
    });
    // As dockerd: maps the client sent (even empty) are shown, absent ones are null; no UsageData outside system df.
    expect(await service.create({ Name: 'given', Labels: {}, DriverOpts: {} })).toMatchObject({ Labels: {}, Options: {} });
    expect(await service.create({ Name: 'absent' })).toMatchObject({ Labels: null, Options: null });
    for (const n of ['given', 'absent']) await service.remove(n, { force: false });
    expect((await service.create({ Name: 'web-data' })).Labels).toEqual({ tier: 'web' });
    await expect(service.create({ Name: 'web-data', DriverOpts: { type: 'tmpfs', device: 'tmpfs' } })).rejects.toMatchObject({ status: 409 });
    expect(events.filter((e) => e === 'create web-data')).toHaveLength(1);
    const reopened = await VolumeStore.open(path.join(dir, 'volumes'));
    expect(reopened.get('web-data')).toMatchObject({ name: 'web-data', labels: { tier: 'web' } });
  });

  it('lists with name, label, driver and dangling filters; refuses unknown ones', async () => {
    await service.create({ Name: 'db-data', Labels: { tier: 'db' } });
    refs.set('db-data', ['c1']);
    const names = async (f: Record<string, string[]>) => (await service.list(f)).Volumes.map((v) => v.Name);
    expect(await names({ name: ['data'] })).toEqual(['db-data', 'web-data']);
    expect(await names({ label: ['tier=db'] })).toEqual(['db-data']);
    expect(await names({ label: ['tier'], dangling: ['true'] })).toEqual(['web-data']);
    expect(await names({ dangling: ['false'] })).toEqual(['db-data']);
    expect(await names({ driver: ['local'], name: ['web'] })).toEqual(['web-data']);
    await expect(service.list({ colour: ['red'] })).rejects.toMatchObject({ status: 400, message: "Invalid filter 'colour'" });
    await expect(service.remove('db-data', { force: false })).rejects.toMatchObject({ status: 409, message: 'remove db-data: volume is in use - [c1]' });
    await expect(service.remove('nope', { force: false })).rejects.toMatchObject({ status: 404 });
    await service.remove('nope', { force: true });
  });

  it('plans mounts in dockerd\'s order and makes the volumes they need', async () => {
    const from: ContainerMount[] = [
      { type: 'volume', name: 'db-data', source: '/x', destination: '/db', readonly: false },
      { type: 'bind', source: '/etc', destination: '/hostetc', readonly: false },
      { type: 'tmpfs', source: '', destination: '/run', readonly: false },
    ];
    const mounts = await service.planContainerMounts({
      planned: planMounts({ Binds: ['web-data:/hostetc:ro', 'fresh-vol:/fresh'] }),
      configVolumes: ['/db', '/anon/'],
      volumesFrom: [{ mounts: from, mode: 'ro' }],
    });
    expect(mounts.map((m) => [m.type, m.destination, m.name ?? m.source, m.readonly, m.anonymous === true])).toEqual([
      ['volume', '/db', 'db-data', true, false],
      ['volume', '/hostetc', 'web-data', true, false],
      ['volume', '/fresh', 'fresh-vol', false, false],
      ['volume', '/anon', mounts[3].name, false, true],
    ]);
    expect(mounts[3].name).toMatch(/^[0-9a-f]{64}$/);
    expect((await service.inspect(mounts[3].name!)).Labels).toEqual({ [ANONYMOUS_LABEL]: '' });
    await expect(
      service.planContainerMounts({ planned: planMounts({ Mounts: [{ Type: 'bind', Source: path.join(dir, 'absent'), Target: '/a' }] }), configVolumes: [], volumesFrom: [] }),
    ).rejects.toMatchObject({ status: 400, message: expect.stringMatching(/bind source path does not exist/) });

    // Prune without `all` takes unused anonymous volumes only; with it, every unused one.
    refs.clear();
    refs.set('db-data', ['c1']);
    const pruned = await service.prune({}, { allByDefault: false });
    expect(pruned.VolumesDeleted).toEqual([mounts[3].name]);
    const all = await service.prune({ all: ['true'], 'label!': ['tier=web'] }, { allByDefault: false });
    expect(all.VolumesDeleted).toEqual(['fresh-vol']);
  });
});

describe('/volumes routes', () => {
  let engine: FakeEngine;
  beforeAll(async () => {
    engine = await startFakeEngine();
  });
  afterAll(async () => engine?.close());

  function request(method: string, p: string, body?: unknown): Promise<{ status: number; body: string }> {
    return new Promise((resolve, reject) => {
      const req = http.request({ socketPath: engine.socketPath, method, path: p, headers: body ? { 'content-type': 'application/json' } : {} }, (res) => {
        let text = '';
        res.on('data', (d: Buffer) => (text += d.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
      });
      req.on('error', reject);
      req.end(body ? JSON.stringify(body) : undefined);
    });
  }

  it('answers create 201, inspect 200, delete 204 and 404, prune per API version', async () => {
    const created = await request('POST', '/v1.43/volumes/create', { Name: 'v1', Labels: { a: 'b' } });
    expect(created.status).toBe(201);
    expect(JSON.parse(created.body)).toMatchObject({ Name: 'v1', Labels: { a: 'b' } });
    expect((await request('GET', '/v1.43/volumes/v1')).status).toBe(200);
    expect(JSON.parse((await request('GET', '/v1.43/volumes?filters=%7B%22label%22%3A%5B%22a%3Db%22%5D%7D')).body).Volumes).toHaveLength(1);
    expect(engine.fake.callsTo('volumes.list').at(-1)?.args).toEqual([{ label: ['a=b'] }]);
    expect((await request('DELETE', '/v1.43/volumes/v1')).status).toBe(204);
    expect(await request('DELETE', '/v1.43/volumes/v1')).toMatchObject({ status: 404, body: expect.stringContaining('no such volume') });
    expect((await request('DELETE', '/v1.43/volumes/v1?force=1')).status).toBe(204);
    await request('POST', '/v1.41/volumes/prune');
    await request('POST', '/v1.43/volumes/prune');
    expect(engine.fake.callsTo('volumes.prune').map((c) => c.args[1])).toEqual([{ allByDefault: true }, { allByDefault: false }]);
  });
});
