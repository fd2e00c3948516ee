// dockerode (what berth's compose engine uses) against the API server over a fake backend.

import { Readable } from 'node:stream';
import Docker from 'dockerode';
import { demux } from '../../support/streams.js';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startFakeEngine, type FakeEngine } from './api-harness.js';

describe('dockerode against the berth API server', () => {
  let engine: FakeEngine;
  let docker: Docker;
  beforeEach(async () => {
    engine = await startFakeEngine();
    docker = new Docker({ socketPath: engine.socketPath });
  });
  afterEach(async () => {
    await engine.close();
  });

  it('pings, and reads version and info', async () => {
    expect(String(await docker.ping())).toBe('OK');
    const version = await docker.version();
    expect(version).toMatchObject({ Version: '0.1.0-fake', ApiVersion: '1.43', MinAPIVersion: '1.24', Os: 'linux' });
    expect(version.Components?.[0]).toMatchObject({ Name: 'Engine', Details: { ApiVersion: '1.43', MinAPIVersion: '1.24' } });
    const info = await docker.info();
    expect(info).toMatchObject({ ServerVersion: '0.1.0-fake', Images: 1, Containers: 0 });
  });

  it('creates, starts, inspects and lists containers, passing filters through', async () => {
    const container = await docker.createContainer({ name: 'web', Image: 'busybox', Cmd: ['sh', '-c', 'sleep'], Labels: { tier: 'front' } });
    expect(container.id).toMatch(/^[0-9a-f]{64}$/);
    expect(engine.fake.callsTo('containers.create')[0].args).toEqual([
      expect.objectContaining({ Image: 'busybox', Cmd: ['sh', '-c', 'sleep'], Labels: { tier: 'front' } }),
      { name: 'web', platform: undefined },
    ]);
    await container.start();
    const inspect = await docker.getContainer('web').inspect();
    expect(inspect).toMatchObject({ Id: container.id, Name: '/web', State: { Status: 'running', Running: true } });

    await docker.createContainer({ name: 'db', Image: 'busybox', Cmd: ['true'] });
    const running = await docker.listContainers();
    expect(running.map((c) => c.Names[0])).toEqual(['/web']);
    const all = await docker.listContainers({ all: true, filters: { label: ['tier=front'] } });
    expect(all.map((c) => c.Names[0])).toEqual(['/web']);
    expect(engine.fake.callsTo('containers.list').at(-1)?.args[0]).toEqual({
      all: true,
      limit: undefined,
      size: false,
      filters: { label: ['tier=front'] },
    });
    // A second start is 304, which dockerode reports as "container already started".
    await expect(container.start()).rejects.toMatchObject({ statusCode: 304 });
    await container.stop();
    await container.remove();
    expect(engine.fake.containers.size).toBe(1);
  });

  it('streams multiplexed logs, with timestamps, tail and follow', async () => {
    const container = await docker.createContainer({ Image: 'busybox', Cmd: ['sh', '-c', 'echo one; echo two >&2; echo three'] });
    await container.start();
    expect((await container.wait()).StatusCode).toBe(0);
    const all = (await container.logs({ stdout: true, stderr: true, follow: false })) as Buffer;
    // Frames: stream byte, three zeros, big-endian length.
    expect([...all.subarray(0, 8)]).toEqual([1, 0, 0, 0, 0, 0, 0, 4]);
    const split = await demux(docker, (await container.logs({ stdout: true, stderr: true, follow: true })) as NodeJS.ReadableStream);
    expect(split).toEqual({ stdout: 'one\nthree\n', stderr: 'two\n' });
    const tail = (await container.logs({ stdout: true, tail: 1, timestamps: true })) as Buffer;
    expect(tail.subarray(8).toString()).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z three\n$/);
    expect(engine.fake.callsTo('containers.logs').at(-1)?.args[1]).toMatchObject({ stdout: true, stderr: false, tail: 1 });
  });

  it('follows the logs of a running container until it exits', async () => {
    const container = await docker.createContainer({ name: 'svc', Image: 'busybox', Cmd: ['sh', '-c', 'echo ready; sleep'] });
    await container.start();
    const stream = (await container.logs({ stdout: true, stderr: true, follow: true })) as NodeJS.ReadableStream;
    const collected = demux(docker, stream);
    await new Promise((r) => setTimeout(r, 50));
    await container.stop();
    expect(await collected).toEqual({ stdout: 'ready\n', stderr: '' });
  });

  it('waits for the conditions not-running, next-exit and removed', async () => {
    const container = await docker.createContainer({ Image: 'busybox', Cmd: ['sh', '-c', 'sleep'], HostConfig: { AutoRemove: true } });
    const notRunning = await container.wait({ condition: 'not-running' });
    expect(notRunning).toEqual({ StatusCode: 0 });
    await container.start();
    const removed = container.wait({ condition: 'removed' });
    const exited = container.wait({ condition: 'next-exit' });
    await new Promise((r) => setTimeout(r, 30));
    await container.kill();
    expect(await exited).toEqual({ StatusCode: 137 });
    expect(await removed).toEqual({ StatusCode: 137 });
    expect(engine.fake.callsTo('containers.wait').map((c) => c.args[1])).toEqual(['not-running', 'removed', 'next-exit']);
  });

  it('runs an exec with hijacked stdin/stdout and reports its exit code', async () => {
    const container = await docker.createContainer({ name: 'box', Image: 'busybox', Cmd: ['sh', '-c', 'sleep'] });
    await container.start();
    const exec = await container.exec({ Cmd: ['sh', '-c', 'echo start; cat; exit 4'], AttachStdin: true, AttachStdout: true, AttachStderr: true });
    const socket = (await exec.start({ hijack: true, stdin: true })) as unknown as NodeJS.ReadWriteStream & { end(): void };
    const collected = demux(docker, socket);
    socket.write('hello from stdin\n');
    socket.end(); // half-close: the exec's stdin ends, its output keeps coming
    expect(await collected).toEqual({ stdout: 'start\nhello from stdin\n', stderr: '' });
    const inspect = await exec.inspect();
    expect(inspect).toMatchObject({ Running: false, ExitCode: 4, ContainerID: container.id });
  });

  it('attaches with hijack before start and gets the output', async () => {
    const container = await docker.createContainer({ Image: 'busybox', Cmd: ['sh', '-c', 'echo out; echo err >&2; exit 2'] });
    const stream = await container.attach({ stream: true, stdout: true, stderr: true, hijack: true });
    const collected = demux(docker, stream);
    await container.start();
    expect(await collected).toEqual({ stdout: 'out\n', stderr: 'err\n' });
    expect((await container.wait()).StatusCode).toBe(2);
  });

  it('streams events with filters until the signal', async () => {
    const stream = (await docker.getEvents({ filters: { type: ['container'], event: ['create'] } })) as NodeJS.ReadableStream;
    const lines: unknown[] = [];
    const got = new Promise<void>((resolve) => {
      stream.on('data', (d: Buffer) => {
        for (const line of d.toString().split('\n').filter(Boolean)) lines.push(JSON.parse(line));
        if (lines.length >= 1) resolve();
      });
    });
    await docker.createContainer({ name: 'evt', Image: 'busybox', Cmd: ['true'] });
    await got;
    (stream as unknown as { destroy(): void }).destroy();
    expect(lines[0]).toMatchObject({ Type: 'container', Action: 'create', Actor: { Attributes: { name: 'evt', image: 'busybox' } } });
    expect(engine.fake.callsTo('system.events')[0].args[0]).toMatchObject({ filters: { event: ['create'], type: ['container'] } });
  });

  it('imports an image from a tar stream and lists it', async () => {
    const body = Buffer.from('pretend rootfs tarball');
    // @types/dockerode's overloads lose the promise form when options are given.
    const importImage = docker.importImage.bind(docker) as (src: NodeJS.ReadableStream, opts: object) => Promise<NodeJS.ReadableStream>;
    const stream = await importImage(Readable.from([body]), { repo: 'mine', tag: '1', changes: ['CMD ["sh"]', 'ENV A=1'] });
    const text = await new Promise<string>((resolve) => {
      let s = '';
      stream.on('data', (d: Buffer) => (s += d.toString()));
      stream.on('end', () => resolve(s));
    });
    const status = JSON.parse(text.trim()) as { status: string };
    expect(status.status).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(engine.fake.callsTo('images.import')[0].args[0]).toEqual({ repo: 'mine', tag: '1', changes: ['CMD ["sh"]', 'ENV A=1'], message: undefined });
    const images = await docker.listImages();
    expect(images.flatMap((i) => i.RepoTags ?? []).sort()).toEqual(['busybox:latest', 'mine:1']);
    expect((await docker.getImage('mine:1').inspect()).Id).toBe(status.status);
  });

  it('maps backend errors to statuses with Docker JSON bodies', async () => {
    await expect(docker.getContainer('nope').inspect()).rejects.toMatchObject({ statusCode: 404, json: { message: 'No such container: nope' } });
    await docker.createContainer({ name: 'dup', Image: 'busybox', Cmd: ['sh', '-c', 'sleep'] });
    await expect(docker.createContainer({ name: 'dup', Image: 'busybox' })).rejects.toMatchObject({ statusCode: 409 });
    await expect(docker.createContainer({ name: 'bad name', Image: 'busybox' })).rejects.toMatchObject({ statusCode: 400 });
    await expect(docker.createContainer({ Image: 'missing' })).rejects.toMatchObject({
      statusCode: 404,
      json: { message: 'No such image: missing:latest' },
    });
  });
});
