// The built-in engine's pure parts (create-request translation, event filters, records, the pid
// lock, JSON logs) and the daemon process shell (lock between two daemons, socket mode), no root needed.

import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { EventMessage } from '../../../src/engine/backend.js';
import { acquirePidLock, DaemonLockError, jsonLogger, pingSocket, readLockPid, startDaemon } from '../../../src/engine/daemon/daemon.js';
import { toEngineError } from '../../../src/engine/backend.js';
import { EventBus, eventMatches } from '../../../src/engine/events/bus.js';
import { parseChunk } from '../../../src/engine/daemon/logs.js';
import { writeJsonAtomic } from '../../../src/lib/atomic.js';
import { loadRecords, recordPath } from '../../../src/engine/container/record.js';
import { buildContainerSpec } from '../../../src/engine/runtime/container-spec.js';
import {
  humanDuration,
  mergeImageConfig,
  networkChoice,
  parseExtraHosts,
  parseTmpfsOptions,
  planMounts,
  restartPolicyOf,
  signalNumber,
  TranslateError,
} from '../../../src/engine/runtime/translate.js';
import { ImageError } from '../../../src/engine/images/errors.js';
import { thrownBy } from '../../support/errors.js';
import { engineLeftovers, NOTHING_LEFT } from '../helpers/leftovers.js';

const dirs: string[] = [];
function tmp(): string {
  const d = mkdtempSync(path.join(tmpdir(), 'berth-du-'));
  dirs.push(d);
  return d;
}
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe('mergeImageConfig (dockerd merge rules)', () => {
  const image = {
    Env: ['PATH=/img/bin', 'LANG=C'],
    Cmd: ['nginx', '-g', 'daemon off;'],
    Entrypoint: ['/docker-entrypoint.sh'],
    WorkingDir: '/srv',
    User: 'www',
    Labels: { a: 'image', b: 'image' },
    ExposedPorts: { '80/tcp': {} },
    StopSignal: 'SIGQUIT',
    Healthcheck: { Test: ['CMD', 'true'], Interval: 5e9, Retries: 3 },
  };

  it('fills what the user left unset from the image', () => {
    const m = mergeImageConfig({ Image: 'x' }, image);
    expect(m).toMatchObject({ Env: ['PATH=/img/bin', 'LANG=C'], Cmd: ['nginx', '-g', 'daemon off;'], Entrypoint: ['/docker-entrypoint.sh'], WorkingDir: '/srv', User: 'www', StopSignal: 'SIGQUIT' });
    expect(m.Healthcheck).toEqual({ Test: ['CMD', 'true'], Interval: 5e9, Retries: 3 });
  });

  it('user Env wins per key, image entries for other keys are appended after the user\'s', () => {
    expect(mergeImageConfig({ Env: ['LANG=de', 'X=1'] }, image).Env).toEqual(['LANG=de', 'X=1', 'PATH=/img/bin']);
  });

  it('a user Cmd replaces the image Cmd but keeps its Entrypoint; a user Entrypoint drops the image Cmd', () => {
    expect(mergeImageConfig({ Cmd: ['-v'] }, image)).toMatchObject({ Cmd: ['-v'], Entrypoint: ['/docker-entrypoint.sh'] });
    const e = mergeImageConfig({ Entrypoint: ['sh'] }, image);
    expect(e.Entrypoint).toEqual(['sh']);
    expect(e.Cmd).toBeUndefined();
  });

  it("`--entrypoint ''` ([\"\"]) clears the image's entrypoint and keeps the user's command", () => {
    expect(mergeImageConfig({ Entrypoint: [''], Cmd: ['echo', 'hi'] }, image)).toMatchObject({ Entrypoint: [], Cmd: ['echo', 'hi'] });
    expect(mergeImageConfig({ Entrypoint: [''] }, image)).toMatchObject({ Entrypoint: [], Cmd: ['nginx', '-g', 'daemon off;'] });
  });

  it('labels and exposed ports are unions, the user\'s label values winning', () => {
    const m = mergeImageConfig({ Labels: { b: 'user', c: 'user' }, ExposedPorts: { '443/tcp': {} } }, image);
    expect(m.Labels).toEqual({ a: 'image', b: 'user', c: 'user' });
    expect(Object.keys(m.ExposedPorts ?? {}).sort()).toEqual(['443/tcp', '80/tcp']);
  });

  it('a user health check keeps its test and borrows unset durations from the image', () => {
    expect(mergeImageConfig({ Healthcheck: { Test: ['CMD-SHELL', 'curl x'], Timeout: 1e9 } }, image).Healthcheck).toEqual({ Test: ['CMD-SHELL', 'curl x'], Interval: 5e9, Timeout: 1e9, Retries: 3 });
  });
});

describe('HostConfig translation', () => {
  it('plans Binds, Mounts and Tmpfs, with options', () => {
    const plans = planMounts({
      Binds: ['/data:/data:ro', '/srv:/srv:rw,rshared'],
      Mounts: [{ Type: 'bind', Source: '/etc/ssl', Target: '/ssl', ReadOnly: true }, { Type: 'tmpfs', Target: '/cache', TmpfsOptions: { SizeBytes: 1024, Mode: 0o700 } }],
      Tmpfs: { '/run': 'size=64m,mode=1777,exec' },
    });
    expect(plans.map((p) => p.spec)).toEqual([
      { type: 'bind', source: '/data', target: '/data', readonly: true },
      { type: 'bind', source: '/srv', target: '/srv', readonly: false, propagation: 'rshared' },
      { type: 'bind', source: '/etc/ssl', target: '/ssl', readonly: true },
      { type: 'tmpfs', target: '/cache', readonly: false, sizeBytes: 1024, mode: 0o700 },
      { type: 'tmpfs', target: '/run', sizeBytes: 64 * 1024 * 1024, mode: 0o1777, options: ['exec'] },
    ]);
    expect(plans[0].volume === undefined && plans[0].createSource).toBe(true);
    expect(plans[2].volume === undefined && plans[2].requireSource).toBe(true);
  });

  it('plans named and anonymous volumes from Binds and Mounts', () => {
    const plans = planMounts({
      Binds: ['data:/data:ro,nocopy', '/anon'],
      Mounts: [{ Type: 'volume', Source: '', Target: '/cache/', VolumeOptions: { NoCopy: true, Labels: { a: 'b' }, DriverConfig: { Name: 'local', Options: { type: 'tmpfs', device: 'tmpfs' } } } }],
    });
    expect(plans.map((p) => p.volume)).toEqual([
      { name: 'data', target: '/data', readonly: true, noCopy: true },
      { name: '', target: '/anon', readonly: false, noCopy: false },
      { name: '', target: '/cache/', readonly: false, noCopy: true, labels: { a: 'b' }, driver: 'local', driverOpts: { type: 'tmpfs', device: 'tmpfs' } },
    ]);
  });

  it('collects every mount problem (400)', () => {
    expect(() => planMounts({ Binds: ['r!l:/x', '/a:b'], Tmpfs: { rel: '' } })).toThrow(/includes invalid characters for a local volume name.*; invalid mount config.*'b'.*; invalid tmpfs mount path/);
    const e = thrownBy(() => planMounts({ Binds: ['vol:/x:bogus'] }));
    expect(e).toBeInstanceOf(TranslateError);
    expect(toEngineError(e)).toMatchObject({ status: 400 });
    expect(() => planMounts({ Binds: ['/a:/x'], Tmpfs: { '/x': '' } })).toThrow('Duplicate mount point: /x');
  });

  it('parses tmpfs options and extra hosts (both separators, IPv6)', () => {
    expect(parseTmpfsOptions('size=1g,ro,noexec')).toEqual({ sizeBytes: 1024 ** 3, readonly: true, options: ['noexec'] });
    expect(parseExtraHosts(['db:10.0.0.2', 'v6=::1', 'br:[fe80::1]'])).toEqual([
      { ip: '10.0.0.2', names: ['db'] },
      { ip: '::1', names: ['v6'] },
      { ip: 'fe80::1', names: ['br'] },
    ]);
    expect(() => parseExtraHosts(['nohost'])).toThrow(/invalid host:ip mapping/);
    expect(parseExtraHosts(['host.docker.internal:host-gateway'], '172.18.0.1')).toEqual([{ ip: '172.18.0.1', names: ['host.docker.internal'] }]);
    expect(() => parseExtraHosts(['host.docker.internal:host-gateway'])).toThrow(/needs a bridge network/);
  });

  it('network modes: empty/default/bridge mean the bridge network, names a network, container: another sandbox', () => {
    expect(networkChoice(undefined)).toEqual({ kind: 'network', network: 'bridge' });
    expect(networkChoice('default')).toEqual({ kind: 'network', network: 'bridge' });
    expect(networkChoice('none')).toEqual({ kind: 'none' });
    expect(networkChoice('host')).toEqual({ kind: 'host' });
    expect(networkChoice('mynet')).toEqual({ kind: 'network', network: 'mynet' });
    expect(networkChoice('container:sandbox')).toEqual({ kind: 'container', ref: 'sandbox' });
    expect(() => networkChoice('container:')).toThrow(/needs a container/);
    expect(toEngineError(new TranslateError(['x'], true)).constructor.name).toBe('NotImplementedError');
  });

  it('builds the runtime spec: namespaces, resources, rlimits, caps, init', () => {
    const spec = buildContainerSpec({
      config: { Cmd: ['sh'], Entrypoint: ['/entry'], Env: ['A=1'], WorkingDir: '/w', Hostname: 'h', Tty: true },
      hostConfig: {
        NetworkMode: 'host',
        PidMode: 'host',
        IpcMode: 'container:other',
        Memory: 64 << 20,
        NanoCpus: 5e8,
        PidsLimit: 10,
        Ulimits: [{ Name: 'nofile', Soft: 10, Hard: 20 }],
        CapAdd: ['NET_ADMIN'],
        CapDrop: ['MKNOD'],
        ReadonlyRootfs: true,
        ShmSize: 1 << 20,
        Sysctls: { 'net.core.somaxconn': '1024' },
        Init: true,
      },
      user: { uid: 1, gid: 2 },
      mounts: [],
      containerPid: (ref) => (ref === 'other' ? 4242 : 0),
      initBinary: '/usr/bin/tini',
    });
    expect(spec.args).toEqual(['/sbin/docker-init', '--', '/entry', 'sh']);
    expect(spec.mounts).toEqual([{ type: 'bind', source: '/usr/bin/tini', target: '/sbin/docker-init', readonly: true }]);
    expect(spec.namespaces).toEqual([{ type: 'mount' }, { type: 'uts' }, { type: 'ipc', path: '/proc/4242/ns/ipc' }]);
    expect(spec.resources).toMatchObject({ memory: 64 << 20, nanoCpus: 5e8, pidsLimit: 10 });
    expect(spec).toMatchObject({ cwd: '/w', hostname: 'h', tty: true, readonlyRootfs: true, shmSize: 1 << 20, capAdd: ['NET_ADMIN'], capDrop: ['MKNOD'] });
    expect(spec.rlimits).toEqual([{ type: 'nofile', soft: 10, hard: 20 }]);
    const privileged = buildContainerSpec({ config: { Cmd: ['sh'] }, hostConfig: { Privileged: true, CapAdd: ['NET_ADMIN'] }, user: undefined, mounts: [], containerPid: () => 0 });
    expect(privileged).toMatchObject({ capAdd: ['ALL'], seccomp: 'unconfined' });
  });

  it('restart policies: validated like dockerd', () => {
    expect(restartPolicyOf({})).toEqual({ name: 'no', max: 0 });
    expect(restartPolicyOf({ RestartPolicy: { Name: 'on-failure', MaximumRetryCount: 3 } })).toEqual({ name: 'on-failure', max: 3 });
    expect(() => restartPolicyOf({ RestartPolicy: { Name: 'always', MaximumRetryCount: 3 } })).toThrow("maximum retry count cannot be used with restart policy 'always'");
    expect(() => restartPolicyOf({ AutoRemove: true, RestartPolicy: { Name: 'always' } })).toThrow(/AutoRemove/);
  });

  it('signals and human durations', () => {
    expect(signalNumber('SIGTERM')).toBe(15);
    expect(signalNumber('kill')).toBe(9);
    expect(signalNumber('10')).toBe(10);
    expect(signalNumber('SIGNOPE')).toBeUndefined();
    expect([500, 1000, 5000, 60_000, 90_000, 3_600_000, 7_200_000, 3 * 86_400_000].map(humanDuration)).toEqual([
      'Less than a second', '1 second', '5 seconds', 'About a minute', 'About a minute', 'About an hour', '2 hours', '3 days',
    ]);
  });

  it('maps store errors to API statuses', () => {
    expect(toEngineError(new ImageError('not-found', 'No such image: x'))).toMatchObject({ status: 404 });
    expect(toEngineError(new ImageError('conflict', 'in use'))).toMatchObject({ status: 409 });
    expect(toEngineError(new Error('boom'))).toMatchObject({ status: 500, message: 'boom' });
  });
});

describe('events', () => {
  const event = (Type: EventMessage['Type'], Action: string, ID: string, Attributes: Record<string, string>): EventMessage => ({ Type, Action, Actor: { ID, Attributes }, scope: 'local', time: 0, timeNano: 0 });

  it('filters: keys AND, values OR; container by id, prefix or name; labels; exec actions by prefix', () => {
    const e = event('container', 'exec_start: sh -c x', 'abcdef', { name: 'web', image: 'busybox', tier: 'front' });
    expect(eventMatches(e, { type: ['container'], container: ['web'] })).toBe(true);
    expect(eventMatches(e, { container: ['abc'] })).toBe(true);
    expect(eventMatches(e, { container: ['db', 'web'], label: ['tier=front'] })).toBe(true);
    expect(eventMatches(e, { label: ['tier=back'] })).toBe(false);
    expect(eventMatches(e, { event: ['exec_start'] })).toBe(true);
    expect(eventMatches(e, { image: ['busybox'] })).toBe(true);
    expect(eventMatches(e, { type: ['image'] })).toBe(false);
  });

  it("filters network, volume, scope and the kinds this engine has no events of, as moby's Filter.Include", () => {
    const net = event('network', 'connect', 'n1d2', { name: 'confnet', container: 'abcdef', type: 'bridge' });
    expect(eventMatches(net, { network: ['confnet'] })).toBe(true);
    expect(eventMatches(net, { network: ['n1'] })).toBe(true);
    // A container filter asks for that container's own events: a network event is not one.
    expect(eventMatches(net, { container: ['abcdef'] })).toBe(false);
    expect(eventMatches(net, { scope: ['local'] })).toBe(true);
    expect(eventMatches(net, { scope: ['swarm'] })).toBe(false);
    expect(eventMatches(net, { service: ['web'] })).toBe(false);
    const c = event('container', 'start', 'abcdef', { name: 'web', image: 'busybox:latest' });
    expect(eventMatches(c, { image: ['busybox'] })).toBe(true);
    expect(eventMatches(c, { event: ['stop'] })).toBe(false);
    expect(eventMatches(c, { event: ['sta'] })).toBe(false);
  });

  it('replays history from `since`, streams live events, ends at `until`', async () => {
    let now = 1_000_000;
    const bus = new EventBus(() => now);
    bus.emit('container', 'create', 'a', { name: 'a' });
    now += 1000;
    const ac = new AbortController();
    const got: string[] = [];
    const sub = bus.subscribe({ filters: {}, since: new Date(0), signal: ac.signal });
    bus.emit('image', 'tag', 'i', { name: 'x:1' });
    expect(bus.listenerCount).toBe(1);
    ac.abort();
    for await (const e of sub) got.push(e.Action);
    expect(got).toEqual(['create', 'tag']);
    expect(bus.listenerCount).toBe(0);
    const past: string[] = [];
    for await (const e of bus.subscribe({ filters: { type: ['container'] }, since: new Date(0), until: new Date(now - 1), signal: new AbortController().signal })) past.push(e.Action);
    expect(past).toEqual(['create']);
  });
});

describe('records, logs and the lock', () => {
  it('writes records atomically and loads them back, reporting unreadable ones', async () => {
    const d = tmp();
    const id = 'a'.repeat(64);
    await writeJsonAtomic(recordPath(d, id), { id, name: 'x' });
    writeFileSync(path.join(d, `${'b'.repeat(64)}.json`), '{torn');
    const { records, broken } = await loadRecords(d);
    expect(records.map((r) => r.id)).toEqual([id]);
    expect(broken).toEqual([`${'b'.repeat(64)}.json`]);
    expect((await loadRecords(path.join(d, 'missing'))).records).toEqual([]);
  });

  it('parses json-file chunks, leaving a torn tail for the next read', () => {
    const text = '{"log":"a\\n","stream":"stdout","time":"2024-01-02T03:04:05.123456789Z"}\n{"log":"b\\n","stream":"stderr","time":"2024-01-02T03:04:06Z"}\n{"log":"c';
    const { entries, consumed } = parseChunk(Buffer.from(text));
    expect(entries.map((e) => [e.stream, e.line.toString()])).toEqual([['stdout', 'a\n'], ['stderr', 'b\n']]);
    expect(entries[0].time.toISOString()).toBe('2024-01-02T03:04:05.123Z');
    expect(text.slice(consumed)).toBe('{"log":"c');
  });

  it('pid lock: refuses a live holder, replaces a stale one, releases only its own', async () => {
    const file = path.join(tmp(), 'engine.pid');
    const release = await acquirePidLock(file);
    expect(await readLockPid(file)).toBe(process.pid);
    // Another process (pid 1 is alive) holding it: refused.
    writeFileSync(file, '1\n');
    await expect(acquirePidLock(file, 999_999)).rejects.toBeInstanceOf(DaemonLockError);
    // A dead holder is stale.
    writeFileSync(file, '999999999\n');
    const release2 = await acquirePidLock(file);
    await release2();
    expect(await readLockPid(file)).toBeUndefined();
    await release();
  });

  it('logs one JSON object per line', () => {
    const lines: string[] = [];
    const log = jsonLogger({ write: (l: string) => lines.push(l) });
    log.info('container started', { id: 'x', pid: 3 });
    const parsed = JSON.parse(lines[0]) as Record<string, unknown>;
    expect(parsed).toMatchObject({ level: 'info', msg: 'container started', id: 'x', pid: 3 });
    expect(lines[0].endsWith('\n')).toBe(true);
  });
});

describe('daemon process shell', () => {
  it('serves /_ping on a 0660 socket, logs JSON lines, and a second daemon on the same root is refused', async () => {
    const d = tmp();
    const opts = { root: path.join(d, 'root'), runRoot: path.join(d, 'run'), hostImage: false, cgroupParent: `/berth-test-units-${process.pid}` };
    const socketPath = path.join(d, 'run', 'engine.sock');
    const daemon = await startDaemon(opts);
    try {
      expect(daemon.socketPath).toBe(socketPath);
      expect(statSync(socketPath).mode & 0o777).toBe(0o660);
      expect(await pingSocket(socketPath)).toBe(true);
      await expect(startDaemon({ ...opts, socketPath: path.join(d, 'other.sock') })).rejects.toThrow(/another berth engine \(pid \d+\) is using/);
    } finally {
      await daemon.close();
    }
    expect(await pingSocket(socketPath)).toBe(false);
    const log = readFileSync(path.join(d, 'run', 'engine.log'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { msg: string; level: string }).filter((l) => l.level === 'info');
    expect(log.map((l) => l.msg)).toEqual(['engine started', 'engine stopped']);
    // The lock is released: a new daemon can take the root.
    const again = await startDaemon(opts);
    await again.close();
    // Nothing ran on the default bridge the engine made: closing removed it (and its rule) from the host.
    expect(await engineLeftovers({ ...opts, daemonDown: true })).toEqual(NOTHING_LEFT);
  });
});
