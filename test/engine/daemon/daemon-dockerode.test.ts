// The built-in engine with real containers, driven through dockerode over its unix socket.

import Docker from 'dockerode';
import { demux, demuxBuffer } from '../../support/streams.js';
import { describe, expect, it } from 'vitest';
import { engineHost, requirePrereq, tini } from '../../support/gates.js';
import { type TestEngine } from '../helpers/daemon-harness.js';
import { useTestEngine } from '../../support/engines.js';

const skip = requirePrereq('engine daemon (dockerode)', engineHost());
const noTini = skip || requirePrereq('Init: true through dockerode', tini());

describe.skipIf(skip)('built-in engine through dockerode', () => {
  let engine: TestEngine;
  let docker: Docker;

  useTestEngine('dockerode', (e) => {
    engine = e;
    docker = new Docker({ socketPath: engine.socketPath });
  });

  it.skipIf(noTini)(
    'Init: true runs a reaping init as PID 1 that forwards signals to the command',
    async () => {
      // The shell backgrounds a child and exits: without an init reaping it, it would stay a zombie.
      const c = await docker.createContainer({
        Image: 'busybox',
        Cmd: ['sh', '-c', '(sleep 0.1 &); trap "echo got TERM; exit 0" TERM; echo ready; while true; do sleep 0.05; done'],
        HostConfig: { Init: true },
      });
      await c.start();
      const top = await c.top();
      const initPid = String((await c.inspect()).State.Pid);
      const pid1 = top.Processes.find((p: string[]) => p[top.Titles.indexOf('PID')] === initPid);
      expect(pid1?.join(' ')).toMatch(/docker-init|tini/);
      await new Promise((r) => setTimeout(r, 400));
      // An orphan is re-parented to PID 1; only a zombie whose parent is the init is unreaped (the
      // loop's own `sleep 0.05` may be caught for an instant as the shell's zombie).
      const ps = await c.exec({ Cmd: ['ps', '-o', 'pid,ppid,stat,comm'], AttachStdout: true });
      const { stdout } = await demux(docker, await ps.start({}));
      const unreaped = stdout.split('\n').map((l) => l.trim().split(/\s+/)).filter((f) => f[1] === '1' && f[2]?.startsWith('Z'));
      expect(unreaped, stdout).toEqual([]);
      await c.stop({ t: 5 });
      const info = await c.inspect();
      expect(info.State.ExitCode).toBe(0);
      await c.remove();
    },
    30_000,
  );

  it('runs a container to completion: logs split by stream, exit code from wait and inspect', async () => {
    const c = await docker.createContainer({ Image: 'busybox', Cmd: ['sh', '-c', 'echo out; echo err >&2; exit 3'], Labels: { suite: 'dockerode' } });
    // not-running on a created container answers at once (as dockerd does): wait for the next exit.
    expect((await c.wait()).StatusCode).toBe(0);
    const waited = c.wait({ condition: 'next-exit' });
    await c.start();
    expect((await waited).StatusCode).toBe(3);
    const info = await c.inspect();
    expect(info.State).toMatchObject({ Status: 'exited', Running: false, ExitCode: 3, OOMKilled: false });
    expect(info.Config.Labels).toEqual({ suite: 'dockerode' });
    expect(info.Path).toBe('sh');
    const logs = (await c.logs({ stdout: true, stderr: true, follow: false })) as unknown as Buffer;
    expect(await demuxBuffer(docker, logs)).toEqual({ stdout: 'out\n', stderr: 'err\n' });
    await c.remove();
    await expect(c.inspect()).rejects.toMatchObject({ statusCode: 404 });
  }, 30_000);

  it('isolates: own PID 1, own hostname, image rootfs, env merged with the image', async () => {
    const c = await docker.createContainer({ Image: 'busybox', Hostname: 'boxy', Env: ['A=1'], Cmd: ['sh', '-c', 'echo pid=$$ host=$(hostname) a=$A; ls /bin/busybox; test -e /usr/lib/os-release && echo hostfs || echo ownfs'] });
    const stream = await c.attach({ stream: true, stdout: true, stderr: true });
    const output = demux(docker, stream);
    await c.start();
    await c.wait();
    const { stdout } = await output;
    expect(stdout).toBe('pid=1 host=boxy a=1\n/bin/busybox\nownfs\n');
    await c.remove();
  }, 30_000);

  it('stop sends the signal, then kills; restart and pause work; stats, top and exec see the container', async () => {
    const c = await docker.createContainer({ Image: 'busybox', Cmd: ['sleep', '300'], name: 'sleeper', StopTimeout: 1 });
    await c.start();
    const info = await c.inspect();
    expect(info.State.Running).toBe(true);
    expect(info.State.Pid).toBeGreaterThan(0);
    expect(info.Name).toBe('/sleeper');

    const top = await c.top();
    expect(top.Titles).toContain('PID');
    expect(top.Processes.some((p: string[]) => p.join(' ').includes('sleep 300'))).toBe(true);

    const stats = (await c.stats({ stream: false })) as unknown as { memory_stats: { usage: number }; pids_stats: { current: number }; cpu_stats: { cpu_usage: { total_usage: number } } };
    expect(stats.memory_stats.usage).toBeGreaterThan(0);
    expect(stats.pids_stats.current).toBeGreaterThanOrEqual(1);
    expect(stats.cpu_stats.cpu_usage.total_usage).toBeGreaterThan(0);

    const exec = await c.exec({ Cmd: ['sh', '-c', 'echo in-exec; exit 4'], AttachStdout: true, AttachStderr: true });
    const es = await exec.start({ hijack: true, stdin: false });
    const { stdout } = await demux(docker, es);
    expect(stdout).toBe('in-exec\n');
    expect((await exec.inspect()).ExitCode).toBe(4);

    await c.pause();
    expect((await c.inspect()).State).toMatchObject({ Status: 'paused', Paused: true });
    await c.unpause();
    expect((await c.inspect()).State.Status).toBe('running');

    const pid = (await c.inspect()).State.Pid;
    await c.restart({ t: 1 });
    const after = await c.inspect();
    expect(after.State.Running).toBe(true);
    expect(after.State.Pid).not.toBe(pid);

    const t0 = Date.now();
    await c.stop({ t: 1 });
    // sleep as PID 1 ignores SIGTERM: the engine had to SIGKILL after the timeout.
    expect(Date.now() - t0).toBeGreaterThanOrEqual(900);
    expect((await c.inspect()).State).toMatchObject({ Status: 'exited', ExitCode: 137 });
    await expect(c.stop()).rejects.toMatchObject({ statusCode: 304 });
    await c.remove();
  }, 60_000);

  it('lists with filters, refuses name clashes and removal of a running container', async () => {
    const a = await docker.createContainer({ Image: 'busybox', Cmd: ['sleep', '300'], name: 'lister-a', Labels: { tier: 'a' } });
    const b = await docker.createContainer({ Image: 'busybox', Cmd: ['true'], name: 'lister-b', Labels: { tier: 'b' } });
    await a.start();
    await expect(docker.createContainer({ Image: 'busybox', Cmd: ['true'], name: 'lister-a' })).rejects.toMatchObject({ statusCode: 409 });
    await expect(a.remove()).rejects.toMatchObject({ statusCode: 409 });
    const running = await docker.listContainers();
    expect(running.map((c) => c.Names[0])).toContain('/lister-a');
    expect(running.map((c) => c.Names[0])).not.toContain('/lister-b');
    const all = await docker.listContainers({ all: true, filters: { label: ['tier=b'] } });
    expect(all.map((c) => c.Names[0])).toEqual(['/lister-b']);
    expect(all[0].State).toBe('created');
    expect((await docker.listContainers({ all: true, filters: { status: ['running'], name: ['lister'] } })).map((c) => c.Names[0])).toEqual(['/lister-a']);
    expect((await docker.listContainers({ all: true, filters: { ancestor: ['busybox'], id: [b.id.slice(0, 10)] } })).map((c) => c.Id)).toEqual([b.id]);
    // by unique id prefix
    expect((await docker.getContainer(a.id.slice(0, 8)).inspect()).Id).toBe(a.id);
    await a.remove({ force: true });
    await b.remove();
  }, 30_000);

  it('streams events with filters', async () => {
    const ac = new AbortController();
    const stream = (await docker.getEvents({ filters: { type: ['container'], label: ['evt=1'] }, abortSignal: ac.signal } as Docker.GetEventsOptions)) as NodeJS.ReadableStream;
    const seen: string[] = [];
    stream.on('data', (d: Buffer) => {
      for (const line of d.toString().split('\n')) if (line.trim()) seen.push((JSON.parse(line) as { Action: string }).Action);
    });
    const c = await docker.createContainer({ Image: 'busybox', Cmd: ['true'], Labels: { evt: '1' } });
    await c.start();
    await c.wait();
    await c.remove();
    await new Promise((r) => setTimeout(r, 100));
    ac.abort();
    expect(seen).toEqual(['create', 'start', 'die', 'destroy']);
  }, 30_000);

  it('follows logs of a running container until it exits', async () => {
    const c = await docker.createContainer({ Image: 'busybox', Cmd: ['sh', '-c', 'for i in 1 2 3; do echo line$i; sleep 0.1; done'] });
    await c.start();
    const stream = (await c.logs({ stdout: true, follow: true, timestamps: true })) as NodeJS.ReadableStream;
    const { stdout } = await demux(docker, stream);
    expect(stdout.split('\n').filter((l) => l).map((l) => l.split(' ')[1])).toEqual(['line1', 'line2', 'line3']);
    expect(stdout).toMatch(/^\d{4}-\d\d-\d\dT/);
    await c.remove();
  }, 30_000);

  it('applies a memory limit: the OOM kill shows in inspect', async () => {
    const c = await docker.createContainer({ Image: 'busybox', Cmd: ['sh', '-c', 'head -c 64m /dev/zero | tail'], HostConfig: { Memory: 16 * 1024 * 1024, MemorySwap: 16 * 1024 * 1024 } });
    await c.start();
    expect((await c.wait()).StatusCode).toBe(137);
    expect((await c.inspect()).State).toMatchObject({ OOMKilled: true, ExitCode: 137 });
    await c.remove();
  }, 30_000);

  it('restarts on failure with back-off, counting restarts, then stays down', async () => {
    const c = await docker.createContainer({ Image: 'busybox', Cmd: ['sh', '-c', 'exit 2'], HostConfig: { RestartPolicy: { Name: 'on-failure', MaximumRetryCount: 2 } } });
    await c.start();
    const deadline = Date.now() + 10_000;
    let info = await c.inspect();
    while (Date.now() < deadline && !(info.RestartCount === 2 && info.State.Status === 'exited')) {
      await new Promise((r) => setTimeout(r, 50));
      info = await c.inspect();
    }
    expect(info.RestartCount).toBe(2);
    expect(info.State).toMatchObject({ Status: 'exited', ExitCode: 2, Restarting: false });
    await c.remove();
  }, 30_000);

  it('re-adopts running containers after a daemon restart and still sees their exit', async () => {
    const c = await docker.createContainer({ Image: 'busybox', Cmd: ['sh', '-c', 'echo before; sleep 1; echo after; exit 5'] });
    await c.start();
    const pid = (await c.inspect()).State.Pid;
    await engine.restartDaemon();
    docker = new Docker({ socketPath: engine.socketPath });
    const again = docker.getContainer(c.id);
    const info = await again.inspect();
    expect(info.State).toMatchObject({ Running: true, Pid: pid });
    expect((await again.wait()).StatusCode).toBe(5);
    const logs = (await again.logs({ stdout: true })) as unknown as Buffer;
    expect(logs.toString()).toContain('before');
    expect(logs.toString()).toContain('after');
    await again.remove();
  }, 30_000);

  it('runs health checks as execs: Health.Status and health_status events', async () => {
    const ac = new AbortController();
    const stream = (await docker.getEvents({ filters: { event: ['health_status'] }, abortSignal: ac.signal } as Docker.GetEventsOptions)) as NodeJS.ReadableStream;
    const seen: string[] = [];
    stream.on('data', (d: Buffer) => {
      for (const line of d.toString().split('\n')) if (line.trim()) seen.push((JSON.parse(line) as { Action: string }).Action);
    });
    const ms = 1_000_000;
    const c = await docker.createContainer({
      Image: 'busybox',
      Cmd: ['sh', '-c', 'sleep 0.5; touch /tmp/ready; sleep 300'],
      Healthcheck: { Test: ['CMD-SHELL', 'test -e /tmp/ready && echo ok'], Interval: 100 * ms, Timeout: 2000 * ms, Retries: 50 },
    });
    await c.start();
    expect((await c.inspect()).State.Health?.Status).toBe('starting');
    const deadline = Date.now() + 10_000;
    let info = await c.inspect();
    while (Date.now() < deadline && info.State.Health?.Status !== 'healthy') {
      await new Promise((r) => setTimeout(r, 50));
      info = await c.inspect();
    }
    expect(info.State.Health?.Status).toBe('healthy');
    expect(info.State.Health?.Log.at(-1)).toMatchObject({ ExitCode: 0, Output: 'ok\n' });
    const list = await docker.listContainers({ filters: { id: [c.id] } });
    expect(list[0].Status).toMatch(/\(healthy\)$/);
    await new Promise((r) => setTimeout(r, 50));
    ac.abort();
    expect(seen).toContain('health_status: healthy');
    await c.remove({ force: true });
  }, 30_000);

  it('a restart policy survives a daemon restart: an exit while re-adopted is restarted', async () => {
    const c = await docker.createContainer({ Image: 'busybox', Cmd: ['sh', '-c', 'sleep 0.5; exit 1'], HostConfig: { RestartPolicy: { Name: 'always' } } });
    await c.start();
    await engine.restartDaemon();
    docker = new Docker({ socketPath: engine.socketPath });
    const again = docker.getContainer(c.id);
    const deadline = Date.now() + 10_000;
    let info = await again.inspect();
    while (Date.now() < deadline && info.RestartCount < 1) {
      await new Promise((r) => setTimeout(r, 50));
      info = await again.inspect();
    }
    expect(info.RestartCount).toBeGreaterThanOrEqual(1);
    await again.stop({ t: 0 });
    expect((await again.inspect()).State.Restarting).toBe(false);
    await again.remove({ force: true });
  }, 30_000);

  it('images: inspect, tag and remove through the store; an image in use is refused; image events', async () => {
    const ac = new AbortController();
    const stream = (await docker.getEvents({ filters: { type: ['image'] }, abortSignal: ac.signal } as Docker.GetEventsOptions)) as NodeJS.ReadableStream;
    const seen: string[] = [];
    stream.on('data', (d: Buffer) => {
      for (const line of d.toString().split('\n')) if (line.trim()) seen.push((JSON.parse(line) as { Action: string }).Action);
    });
    const image = await docker.getImage('busybox').inspect();
    expect(image.Config.Cmd).toEqual(['sh']);
    await docker.getImage('busybox').tag({ repo: 'mybox', tag: 'v1' });
    expect((await docker.listImages()).flatMap((i) => i.RepoTags ?? [])).toEqual(expect.arrayContaining(['busybox:latest', 'mybox:v1']));
    const c = await docker.createContainer({ Image: 'mybox:v1', Cmd: ['sleep', '300'] });
    await c.start();
    await expect(docker.getImage(image.Id).remove({ force: true })).rejects.toMatchObject({ statusCode: 409 });
    await c.remove({ force: true });
    expect(await docker.getImage('mybox:v1').remove()).toEqual([{ Untagged: 'mybox:v1' }]);
    await new Promise((r) => setTimeout(r, 50));
    ac.abort();
    expect(seen).toEqual(['tag', 'untag']);
  }, 30_000);

  it('keeps the writable layer across runs of the same container', async () => {
    const c = await docker.createContainer({ Image: 'busybox', Cmd: ['sh', '-c', 'cat /f 2>/dev/null; echo run >> /f'] });
    for (let i = 0; i < 2; i++) {
      const waited = c.wait({ condition: 'next-exit' });
      await c.start();
      await waited;
    }
    // Only the second run finds the file the first one wrote (8-byte frame header, then the line).
    const logs = (await c.logs({ stdout: true })) as unknown as Buffer;
    expect(logs.subarray(8).toString()).toBe('run\n');
    expect((await c.inspect()).State.Status).toBe('exited');
    // An exited container keeps no mount and no runc state.
    const left = await engine.leftovers();
    expect(left.mounts).toEqual([]);
    expect(left.runc).toEqual([]);
    await c.remove();
  }, 30_000);

  it('leaves nothing behind after rm -f', async () => {
    const c = await docker.createContainer({ Image: 'busybox', Cmd: ['sleep', '300'] });
    await c.start();
    await c.remove({ force: true });
    const left = await engine.leftovers();
    expect(left).toMatchObject({ mounts: [], runc: [], cgroups: [], ioSockets: [] });
  }, 30_000);
});
