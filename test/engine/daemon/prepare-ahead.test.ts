// Prepare-ahead: the built-in engine does a start's work (bundle, rootfs, sandbox, runc create)
// right after create, so `start` only releases the process. These tests check that what a client
// sees is unchanged — created stays created until start, changes made between create and start
// (network connect, resource update, docker cp) are what the run gets — and that a preparation
// that is never used is undone: on expiry, on remove, on daemon close and after a daemon kill.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import Docker from 'dockerode';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { demux } from '../../../src/client/docker-port.js';
import { startTestEngine, type TestEngine } from '../helpers/daemon-harness.js';
import { engineHost, requirePrereq } from '../../support/gates.js';
import { until } from '../helpers/until.js';

const skip = requirePrereq('prepare-ahead', engineHost());

async function logsOf(c: Docker.Container): Promise<string> {
  const buf = (await c.logs({ stdout: true, stderr: true })) as unknown as Buffer;
  let out = '';
  for await (const chunk of demux([buf], false)) out += chunk.data.toString();
  return out;
}

describe.skipIf(skip)('prepare-ahead on the built-in engine (real containers)', () => {
  let engine: TestEngine;
  let docker: Docker;
  let tmp: string;
  const runcState = async (id: string) => (await engine.daemon.engine.runner.runc.stateIfExists(id))?.status;

  beforeAll(async () => {
    tmp = mkdtempSync('/tmp/berth-prepare-');
    engine = await startTestEngine('prep', { engine: { prepareAheadMs: 1_500 } });
    docker = new Docker({ socketPath: engine.socketPath });
  });

  afterAll(async () => {
    await engine?.close();
    rmSync(tmp, { recursive: true, force: true });
  });

  it('creates the run right after create; nothing runs and inspect says created until start', async () => {
    const c = await docker.createContainer({ Image: 'busybox', Cmd: ['sh', '-c', 'echo started; sleep 30'], HostConfig: { NetworkMode: 'none' } });
    await until('the run to be prepared', async () => (await runcState(c.id)) === 'created');
    const before = await c.inspect();
    expect(before.State).toMatchObject({ Status: 'created', Running: false, Pid: 0 });
    expect(await logsOf(c)).toBe('');
    await c.start();
    const after = await c.inspect();
    expect(after.State).toMatchObject({ Status: 'running', Running: true });
    expect(await runcState(c.id)).toBe('running');
    await until('its output', async () => (await logsOf(c)) === 'started\n');
    await c.remove({ force: true });
  });

  it('undoes a preparation nobody starts, and a later start still works', async () => {
    const c = await docker.createContainer({ Image: 'busybox', Cmd: ['sh', '-c', 'echo late; exit 3'], HostConfig: { NetworkMode: 'none' } });
    await until('the run to be prepared', async () => (await runcState(c.id)) === 'created');
    // Undoing it deletes the runc state first, then unmounts: wait for the whole undo (the root's mount gone too).
    const mounted = async () => (await engine.leftovers()).mounts.some((m) => m.includes(c.id));
    await until('the preparation to be undone', async () => (await runcState(c.id)) === undefined && !(await mounted()), 10_000);
    const left = await engine.leftovers();
    expect(left.mounts.filter((m) => m.includes(c.id))).toEqual([]);
    expect(left.cgroups.filter((g) => g.includes(c.id))).toEqual([]);
    await c.start();
    expect((await c.wait()).StatusCode).toBe(3);
    expect(await logsOf(c)).toBe('late\n');
    await c.remove();
  });

  it('a network connected between create and start is in the run, the preparation kept', async () => {
    const one = await docker.createNetwork({ Name: `prep-a-${process.pid}` });
    const two = await docker.createNetwork({ Name: `prep-b-${process.pid}` });
    const c = await docker.createContainer({
      Image: 'busybox',
      Cmd: ['sh', '-c', "ip -o -4 addr show | awk '{print $2}'; grep ^nameserver /etc/resolv.conf"],
      HostConfig: { NetworkMode: `prep-a-${process.pid}` },
    });
    await until('the run to be prepared', async () => (await runcState(c.id)) === 'created');
    // What compose does for a service on two networks: create on the first, connect the second.
    await two.connect({ Container: c.id });
    expect(await runcState(c.id)).toBe('created');
    await c.start();
    expect((await c.wait()).StatusCode).toBe(0);
    const gateways = await Promise.all([one, two].map(async (n) => (await n.inspect()).IPAM?.Config?.[0]?.Gateway as string));
    expect((await logsOf(c)).trim().split('\n')).toEqual(['lo', 'eth0', 'eth1', ...gateways.map((g) => `nameserver ${g}`)]);
    await c.remove();
    await one.remove();
    await two.remove();
  });

  it('a resource update between create and start applies to the run', async () => {
    const c = await docker.createContainer({ Image: 'busybox', Cmd: ['sh', '-c', 'cat /sys/fs/cgroup/memory/memory.limit_in_bytes 2>/dev/null || cat /sys/fs/cgroup/memory.max'], HostConfig: { NetworkMode: 'none' } });
    await until('the run to be prepared', async () => (await runcState(c.id)) === 'created');
    await c.update({ Memory: 64 * 1024 * 1024, MemorySwap: -1 });
    await c.start();
    expect((await c.wait()).StatusCode).toBe(0);
    expect((await logsOf(c)).trim()).toBe(String(64 * 1024 * 1024));
    await c.remove();
  });

  it('docker cp into a created container reaches its run', async () => {
    const c = await docker.createContainer({ Image: 'busybox', Cmd: ['cat', '/copied.txt'], HostConfig: { NetworkMode: 'none' } });
    await until('the run to be prepared', async () => (await runcState(c.id)) === 'created');
    writeFileSync(path.join(tmp, 'copied.txt'), 'through cp\n');
    const tar = execFileSync('tar', ['-C', tmp, '-cf', '-', 'copied.txt']);
    await c.putArchive(tar, { path: '/' });
    await c.start();
    expect((await c.wait()).StatusCode).toBe(0);
    expect(await logsOf(c)).toBe('through cp\n');
    await c.remove();
  });

  it('remove of a prepared container leaves nothing behind', async () => {
    const c = await docker.createContainer({ Image: 'busybox', Cmd: ['true'] });
    await until('the run to be prepared', async () => (await runcState(c.id)) === 'created');
    await c.remove();
    expect(await runcState(c.id)).toBeUndefined();
    const left = await engine.leftovers();
    expect([...left.mounts, ...left.runc, ...left.cgroups, ...left.links, ...left.ioSockets].filter((x) => x.includes(c.id.slice(0, 12)))).toEqual([]);
  });

  // (A daemon killed with a preparation in place: test/engine/daemon/daemon-process.test.ts.)
  it('a daemon that closes undoes its preparations; the next one starts the container afresh', async () => {
    const c = await docker.createContainer({ Image: 'busybox', Cmd: ['sh', '-c', 'echo after; exit 5'] });
    await until('the run to be prepared', async () => (await runcState(c.id)) === 'created');
    await engine.restartDaemon({ whileDown: async () => expect(await runcState(c.id)).toBeUndefined() });
    docker = new Docker({ socketPath: engine.socketPath });
    const again = docker.getContainer(c.id);
    await again.start();
    expect((await again.wait()).StatusCode).toBe(5);
    await again.remove();
  });
});
