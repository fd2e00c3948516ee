// `berth engine cleanup` after an engine died with everything in use: the daemon process and its
// containers' monitors are killed with SIGKILL, so containers keep running with nobody to stop
// them, and mounts, runc state, cgroups, network namespaces, veths, bridges, isolation rules, io
// sockets, the socket and the pid file stay behind. The CLI (a process of its own) refuses while
// the engine runs, then removes all of it; a restarted engine still has the containers (exited),
// their logs, the volume with its data and the network.

import { mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import Docker from 'dockerode';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { processAlive } from '../../../src/engine/daemon/daemon.js';
import { engineHost, requirePrereq } from '../../support/gates.js';
import { busyboxTar } from '../helpers/daemon-harness.js';
import { startEngineProcess, type EngineProcess } from '../helpers/daemon-process.js';
import { NOTHING_LEFT } from '../helpers/leftovers.js';
import { until } from '../helpers/until.js';
import { freeLoopbackPort } from '../../support/ports.js';

const skip = requirePrereq('berth engine cleanup', engineHost());

describe.skipIf(skip)('berth engine cleanup', () => {
  let e: EngineProcess;
  let docker: Docker;

  beforeAll(async () => {
    e = await startEngineProcess('clean');
    docker = new Docker({ socketPath: e.socketPath });
    const progress = (await docker.importImage(Readable.from([await busyboxTar(e.dir)]) as never, { repo: 'busybox', tag: 'latest' })) as NodeJS.ReadableStream;
    await new Promise<void>((resolve, reject) => docker.modem.followProgress(progress, (err: Error | null) => (err ? reject(err) : resolve())));
  }, 120_000);

  afterAll(async () => {
    await e?.close();
  }, 60_000);

  it('removes a killed engine\'s leftovers (refused while it runs), stops its orphaned containers, and keeps containers, volumes and networks', async () => {
    const port = await freeLoopbackPort();
    await docker.createNetwork({ Name: 'front' });
    await docker.createVolume({ Name: 'vol' });
    // A volume the local driver mounts (a bind of a directory outside the engine).
    const outside = path.join(e.dir, 'outside');
    mkdirSync(outside);
    await docker.createVolume({ Name: 'bound', DriverOpts: { type: 'none', o: 'bind', device: outside } });
    const cmd = ['sh', '-c', 'echo kept > /data/f; echo too > /bound/f; echo started; trap "exit 0" TERM; sleep 1000 & wait'];
    const web = await docker.createContainer({ Image: 'busybox', Cmd: cmd, ExposedPorts: { '80/tcp': {} }, HostConfig: { NetworkMode: 'front', Binds: ['vol:/data', 'bound:/bound'], PortBindings: { '80/tcp': [{ HostIp: '127.0.0.1', HostPort: String(port) }] } } });
    const plain = await docker.createContainer({ Image: 'busybox', Cmd: ['sh', '-c', 'sleep 1000'], HostConfig: { IpcMode: 'shareable' } });
    await web.start();
    await plain.start();
    // Created, never started: prepared ahead (runc create, a sandbox) by the engine.
    const prepared = await docker.createContainer({ Image: 'busybox', Cmd: ['true'], HostConfig: { NetworkMode: 'front' } });
    await until('the preparation of the created container', async () => (await e.leftovers()).runc.includes(prepared.id));
    const pids = [(await web.inspect()).State.Pid, (await plain.inspect()).State.Pid];

    // While the engine runs, cleanup is refused and touches nothing.
    const refused = await e.berth(['engine', 'cleanup', ...e.flags, '--cgroup-parent', e.cgroupParent]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/the berth engine \(pid \d+\) is running on .*stop it first \(`berth engine stop`\)/);
    expect((await web.inspect()).State.Running).toBe(true);

    // The engine dies, and so do the monitors: nothing is left to stop the containers.
    const monitors = [web.id, plain.id].map((id) => (JSON.parse(readFileSync(path.join(e.root, 'records', `${id}.json`), 'utf8')) as { monitorPid: number }).monitorPid);
    await e.kill();
    for (const m of monitors) process.kill(m, 'SIGKILL');
    for (const pid of pids) expect(processAlive(pid)).toBe(true);
    const before = await e.leftovers();
    for (const key of ['mounts', 'runc', 'cgroups', 'links', 'rules', 'netns', 'volumes', 'ioSockets', 'daemonFiles'] as const) {
      expect(before[key], `${key} before cleanup`).not.toEqual([]);
    }
    expect(before.daemonFiles).toHaveLength(2);

    const cleaned = await e.berth(['engine', 'cleanup', ...e.flags, '--cgroup-parent', e.cgroupParent, '--runc', e.runFlags[e.runFlags.indexOf('--runc') + 1]]);
    expect(cleaned.stderr).toBe('');
    expect(cleaned.code).toBe(0);
    expect(cleaned.stdout).toMatch(/^cleaned up after the engine on .*\n {2}3 container processes stopped\n/);
    expect(cleaned.stdout).toMatch(/containers, their data, images, volumes and networks are kept/);
    expect(await e.leftovers({ bound: [`tcp:127.0.0.1:${port}`] })).toEqual(NOTHING_LEFT);
    for (const pid of pids) expect(processAlive(pid)).toBe(false);

    // Again: nothing to do.
    const again = await e.berth(['engine', 'cleanup', ...e.flags, '--cgroup-parent', e.cgroupParent]);
    expect(again).toMatchObject({ code: 0, stdout: expect.stringMatching(/^nothing to clean up for the engine on /) });

    // A new engine on the root: the containers are there, exited, with their logs; the volume
    // kept its data; the network is there; and the containers start again.
    await e.start();
    docker = new Docker({ socketPath: e.socketPath });
    const states = await Promise.all([web, plain].map(async (c) => (await docker.getContainer(c.id).inspect()).State));
    for (const s of states) expect(s).toMatchObject({ Status: 'exited', Running: false });
    expect((await docker.getContainer(prepared.id).inspect()).State.Status).toBe('created');
    expect(((await docker.getContainer(web.id).logs({ stdout: true })) as unknown as Buffer).toString()).toContain('started');
    expect((await docker.listVolumes()).Volumes?.map((v) => v.Name).sort()).toEqual(['bound', 'vol']);
    expect(readFileSync(path.join(outside, 'f'), 'utf8')).toBe('too\n');
    expect((await docker.listNetworks()).map((n) => n.Name)).toContain('front');
    const reader = await docker.createContainer({ Image: 'busybox', Cmd: ['cat', '/data/f'], HostConfig: { Binds: ['vol:/data'] } });
    await reader.start();
    expect((await reader.wait()).StatusCode).toBe(0);
    expect(((await reader.logs({ stdout: true })) as unknown as Buffer).toString()).toContain('kept');
    await docker.getContainer(web.id).start();
    expect((await docker.getContainer(web.id).inspect()).State.Running).toBe(true);
    for (const c of [web.id, plain.id, prepared.id, reader.id]) await docker.getContainer(c).remove({ force: true });
    await docker.getNetwork('front').remove();
    await docker.getVolume('vol').remove();
    await docker.getVolume('bound').remove();
  }, 120_000);
});
