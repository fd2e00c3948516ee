// Fault: a container's monitor (berth-shim, runtime/MONITOR.md) is killed with SIGKILL while the
// container runs. Nothing can become the parent of the running container again, so the engine
// stops it and records the exit with the reason (exits.ts): the container stays listed, inspect
// says what happened, start / stop / rm -f keep working, a restart policy brings it back under a
// new monitor, and nothing leaks (the harness's close checks the host).

import { readFileSync } from 'node:fs';
import path from 'node:path';
import Docker from 'dockerode';
import { describe, expect, it } from 'vitest';
import { monitorAlive } from '../../../src/engine/runtime/monitor.js';
import { processAlive } from '../../../src/engine/daemon/daemon.js';
import { engineHost, requirePrereq } from '../../support/gates.js';
import { useTestEngine } from '../../support/engines.js';
import type { TestEngine } from '../helpers/daemon-harness.js';
import { until } from '../helpers/until.js';

const skip = requirePrereq('fault: container monitor killed', engineHost());

describe.skipIf(skip)('fault: a container monitor killed', () => {
  let engine: TestEngine;
  let docker: Docker;
  useTestEngine('monkill', (e) => {
    engine = e;
    docker = new Docker({ socketPath: e.socketPath });
  });

  /** The monitor's pid, from the engine's record of the container. */
  const monitorOf = (id: string): number => (JSON.parse(readFileSync(path.join(engine.root, 'records', `${id}.json`), 'utf8')) as { monitorPid: number }).monitorPid;

  async function running(extra: Partial<Docker.ContainerCreateOptions> = {}): Promise<{ c: Docker.Container; pid: number; monitor: number }> {
    const c = await docker.createContainer({ Image: 'busybox', Cmd: ['sh', '-c', 'while true; do echo tick; sleep 0.2; done'], ...extra });
    await c.start();
    const pid = (await c.inspect()).State.Pid;
    const monitor = monitorOf(c.id);
    expect(monitorAlive(monitor)).toBe(true);
    return { c, pid, monitor };
  }

  it('a container whose monitor is killed is stopped, listed as exited with the reason, and starts again under a new monitor', async () => {
    const { c, pid, monitor } = await running({ HostConfig: { PortBindings: { '80/tcp': [{ HostIp: '127.0.0.1', HostPort: '' }] } } });
    process.kill(monitor, 'SIGKILL');
    await until('the engine to notice the lost monitor', async () => !(await c.inspect()).State.Running, 5_000);
    const state = (await c.inspect()).State;
    expect(state).toMatchObject({ Status: 'exited', Running: false, ExitCode: 137, Pid: 0 });
    expect(state.Error).toMatch(new RegExp(`monitor \\(berth-shim, pid ${monitor}\\) died; the engine killed the container`));
    // The container's processes went with it, and it is still listed.
    expect(processAlive(pid)).toBe(false);
    expect((await docker.listContainers({ all: true })).map((x) => x.Id)).toContain(c.id);
    // Its run was cleaned up as any exit's is (no runc state, rootfs, sandbox or io socket).
    const ofRun = async (): Promise<string[]> => {
      const left = await engine.leftovers();
      return [...left.mounts, ...left.runc, ...left.netns, ...left.ioSockets].filter((x) => x.includes(c.id.slice(0, 12)));
    };
    await until('the run to be cleaned up', async () => (await ofRun()).length === 0).catch(async (e: Error) => {
      throw new Error(`${e.message}: ${JSON.stringify(await ofRun())}`);
    });
    // A start makes a new monitor; stop and rm work on it as ever.
    await c.start();
    const again = await c.inspect();
    expect(again.State).toMatchObject({ Running: true, Error: '' });
    expect(monitorOf(c.id)).not.toBe(monitor);
    expect(monitorAlive(monitorOf(c.id))).toBe(true);
    await c.stop({ t: 1 });
    await c.remove();
  }, 30_000);

  it('stop and rm -f of a container whose monitor was just killed work (before the engine noticed)', async () => {
    const stopped = await running();
    const removed = await running();
    process.kill(stopped.monitor, 'SIGKILL');
    process.kill(removed.monitor, 'SIGKILL');
    const t0 = Date.now();
    await stopped.c.stop({ t: 5 });
    expect(Date.now() - t0).toBeLessThan(5_000);
    expect((await stopped.c.inspect()).State).toMatchObject({ Running: false });
    expect(processAlive(stopped.pid)).toBe(false);
    await removed.c.remove({ force: true });
    expect(processAlive(removed.pid)).toBe(false);
    await expect(removed.c.inspect()).rejects.toMatchObject({ statusCode: 404 });
    await stopped.c.remove();
  }, 30_000);

  it('a restart policy brings a container whose monitor was killed back under a new monitor', async () => {
    const { c, monitor } = await running({ HostConfig: { RestartPolicy: { Name: 'always' } } });
    process.kill(monitor, 'SIGKILL');
    await until('the container to run again under a new monitor', async () => {
      const s = (await c.inspect()).State;
      return s.Running && monitorOf(c.id) !== monitor;
    }, 10_000);
    expect((await c.inspect()).RestartCount).toBe(1);
    await c.remove({ force: true });
  }, 30_000);

  it('a monitor killed while the engine is down: the next engine stops the container and records why', async () => {
    const { c, pid, monitor } = await running();
    await engine.restartDaemon({ whileDown: async () => void process.kill(monitor, 'SIGKILL') });
    const state = (await c.inspect()).State;
    expect(state).toMatchObject({ Status: 'exited', Running: false, ExitCode: 137 });
    expect(state.Error).toMatch(/monitor \(berth-shim, pid \d+\) disappeared while the engine was down; the engine killed the container/);
    expect(processAlive(pid)).toBe(false);
    await c.remove();
  }, 30_000);
});
