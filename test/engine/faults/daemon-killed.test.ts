// Fault: `kill -9` of the engine's daemon process in the middle of an operation — `berth up` of a
// multi-service stack, `berth down` of it, an image import and an image load. The berth CLI drives
// the engine as a separate process (helpers/daemon-process.ts); the kill comes at a moment read
// from the engine (the first container record written, the first container's exit event, the
// import's work under image/tmp). After a restart on the same root each interrupted operation has
// completed or rolled back: every record loads, `ps -a`, `images` and inspect answer, no image is
// half-registered, and the next `up` and `down` reach exactly the wanted state with nothing left
// on the host.

import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import path from 'node:path';
import { Readable } from 'node:stream';
import Docker from 'dockerode';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadRecords } from '../../../src/engine/container/record.js';
import { makeStack, type Stack } from '../../compose/scenario.js';
import { engineHost, requirePrereq } from '../../support/gates.js';
import { busyboxTar } from '../helpers/daemon-harness.js';
import { startEngineProcess, type EngineProcess } from '../helpers/daemon-process.js';
import { NOTHING_LEFT } from '../helpers/leftovers.js';
import { noise } from '../../support/images.js';
import { freeLoopbackPort } from '../../support/ports.js';

const skip = requirePrereq('fault: engine daemon killed mid-operation', engineHost());

const SERVICES = ['s1', 's2', 's3', 's4', 's5', 'web'];

// s5 ignores SIGTERM: a `down -t 1` waits a second for it, so the stack is still going down
// for a while after the first container died.
const stackYaml = (port: number): string => `
services:
${SERVICES.filter((s) => s !== 'web')
  .map((s) => `  ${s}:\n    image: busybox\n    command: ["sh", "-c", "${s === 's5' ? "trap '' TERM; sleep 1000" : "trap 'exit 0' TERM; sleep 1000 & wait"}"]\n    networks: [back]\n`)
  .join('')}  web:
    image: busybox
    command: ["sh", "-c", "trap 'exit 0' TERM; sleep 1000 & wait"]
    ports: ["127.0.0.1:${port}:80"]
    volumes: [data:/data]
    networks: [back]
    depends_on: [s1]
networks:
  back: {}
volumes:
  data: {}
`;

/** Polls `check` every few ms (up to 30 s): the moment to kill at. */
async function when(what: string, check: () => boolean): Promise<void> {
  for (const end = Date.now() + 30_000; Date.now() < end; await new Promise((r) => setTimeout(r, 3))) if (check()) return;
  throw new Error(`timed out waiting for ${what}`);
}

/** A POST whose body trickles in: `head` at once, the rest never (the engine dies first). Resolves with the status, or the error. */
function slowPost(socketPath: string, urlPath: string, head: Buffer): Promise<string> {
  return new Promise((resolve) => {
    const req = request({ socketPath, path: urlPath, method: 'POST', headers: { 'Content-Type': 'application/x-tar', 'Transfer-Encoding': 'chunked' } }, (res) => {
      res.resume();
      res.on('end', () => resolve(`status ${res.statusCode}`));
      res.on('error', (e) => resolve(e.message));
    });
    req.on('error', (e) => resolve(e.message));
    req.write(head);
  });
}

describe.skipIf(skip)('fault: kill -9 of the engine daemon mid-operation', () => {
  let e: EngineProcess;
  let docker: Docker;
  let stack: Stack;
  let port: number;
  let tar: Buffer;

  const records = (): string[] => (existsSync(path.join(e.root, 'records')) ? readdirSync(path.join(e.root, 'records')).filter((n) => n.endsWith('.json')) : []);

  /** After a restart: every record loads, and the engine answers for each container it lists. */
  async function consistent(): Promise<void> {
    expect((await loadRecords(path.join(e.root, 'records'))).broken).toEqual([]);
    for (const c of await docker.listContainers({ all: true })) expect((await docker.getContainer(c.Id).inspect()).Id).toBe(c.Id);
    expect(Array.isArray(await docker.listImages())).toBe(true);
  }

  /** `up` then `down -v` converge: every service running, then nothing of the project and nothing on the host. */
  async function converges(): Promise<void> {
    const up = await stack.berth(['up', '-d', '--progress', 'quiet']);
    expect(up.code, up.stderr).toBe(0);
    const running = await stack.containers();
    expect([...running.values()].map((c) => `${c.labels['com.docker.compose.service']}:${c.state}`).sort()).toEqual(SERVICES.map((s) => `${s}:running`).sort());
    const down = await stack.berth(['down', '-v', '-t', '1', '--progress', 'quiet']);
    expect(down.code, down.stderr).toBe(0);
    expect(await docker.listContainers({ all: true })).toEqual([]);
    expect((await docker.listNetworks()).map((n) => n.Name).sort()).toEqual(['bridge', 'host', 'none']);
    expect((await docker.listVolumes()).Volumes ?? []).toEqual([]);
    expect(await e.leftovers({ liveNetworks: true, bound: [`tcp:127.0.0.1:${port}`] })).toEqual(NOTHING_LEFT);
  }

  beforeAll(async () => {
    e = await startEngineProcess('kill9');
    docker = new Docker({ socketPath: e.socketPath });
    tar = await busyboxTar(e.dir);
    const progress = (await docker.importImage(Readable.from([tar]) as never, { repo: 'busybox', tag: 'latest' })) as NodeJS.ReadableStream;
    await new Promise<void>((resolve, reject) => docker.modem.followProgress(progress, (err: Error | null) => (err ? reject(err) : resolve())));
    port = await freeLoopbackPort();
    stack = makeStack(`unix://${e.socketPath}`, 'kill9');
    stack.write(stackYaml(port));
  }, 120_000);

  afterAll(async () => {
    stack?.cleanup();
    await e?.close();
  }, 60_000);

  it('kill -9 during `berth up`: after a restart the stack converges to running, then to nothing, with no leftovers', async () => {
    const up = stack.berth(['up', '-d', '--progress', 'quiet']);
    await when('the first container record', () => records().length > 0);
    await e.kill();
    expect((await up).code).not.toBe(0);
    await e.start();
    await consistent();
    await converges();
  }, 90_000);

  it('kill -9 during `berth down`: after a restart the stack converges to running, then to nothing, with no leftovers', async () => {
    const up = await stack.berth(['up', '-d', '--progress', 'quiet']);
    expect(up.code, up.stderr).toBe(0);
    const before = records().length;
    expect(before).toBe(SERVICES.length);
    const events = (await docker.getEvents({ filters: { type: ['container'], event: ['die'] } })) as NodeJS.ReadableStream & { destroy(): void };
    const firstDie = new Promise<void>((resolve) => events.once('data', () => resolve()));
    const down = stack.berth(['down', '-v', '-t', '1', '--progress', 'quiet']);
    await Promise.race([firstDie, new Promise((_, reject) => setTimeout(() => reject(new Error('no container died within 30 s of down')), 30_000))]);
    events.destroy();
    await e.kill();
    expect((await down).code).not.toBe(0);
    await e.start();
    await consistent();
    await converges();
  }, 90_000);

  it('kill -9 during an image import and an image load: no half image after a restart, and both then succeed', async () => {
    // An image of its own (a layer the store does not have yet), saved, then removed: what `docker load` gets.
    const extra = path.join(e.dir, 'extra-rootfs');
    mkdirSync(extra, { recursive: true });
    writeFileSync(path.join(extra, 'noise'), noise(6_000_000, 7));
    const extraTar = execFileSync('tar', ['-C', extra, '-cf', '-', '.'], { maxBuffer: 64 * 1024 * 1024 });
    rmSync(extra, { recursive: true, force: true });
    const imported = (await docker.importImage(Readable.from([extraTar]) as never, { repo: 'loadme', tag: '1' })) as NodeJS.ReadableStream;
    await new Promise<void>((resolve, reject) => docker.modem.followProgress(imported, (err: Error | null) => (err ? reject(err) : resolve())));
    const saved = await new Promise<Buffer>((resolve, reject) => {
      void docker.getImage('loadme:1').get().then((s: NodeJS.ReadableStream) => {
        const parts: Buffer[] = [];
        s.on('data', (d: Buffer) => parts.push(d));
        s.on('end', () => resolve(Buffer.concat(parts)));
        s.on('error', reject);
      }, reject);
    });
    await docker.getImage('loadme:1').remove();
    const tmp = path.join(e.root, 'image', 'tmp');
    const working = (): boolean => existsSync(tmp) && readdirSync(tmp).length > 0;
    const tags = async (): Promise<string[]> => (await docker.listImages()).flatMap((i) => i.RepoTags ?? []);

    for (const [what, urlPath, body] of [
      ['import', '/images/create?fromSrc=-&repo=half&tag=1', extraTar],
      ['load', '/images/load?quiet=1', saved],
    ] as const) {
      const cut = slowPost(e.socketPath, urlPath, body.subarray(0, Math.floor(body.length / 2)));
      await when(`the ${what}'s work under image/tmp`, working);
      await e.kill();
      expect(await cut).not.toMatch(/^status 200/);
      await e.start();
      await consistent();
      expect(await tags()).not.toContain(what === 'import' ? 'half:1' : 'loadme:1');
      // The dead engine's work is gone (the new one cleaned up on open).
      expect(working()).toBe(false);
    }
    // Both succeed now, and what they made runs.
    const again = (await docker.importImage(Readable.from([extraTar]) as never, { repo: 'half', tag: '1' })) as NodeJS.ReadableStream;
    await new Promise<void>((resolve, reject) => docker.modem.followProgress(again, (err: Error | null) => (err ? reject(err) : resolve())));
    await docker.loadImage(Readable.from([saved]) as never);
    expect(await tags()).toEqual(expect.arrayContaining(['half:1', 'loadme:1', 'busybox:latest']));
    expect((await docker.getImage('loadme:1').inspect()).RootFS.Layers).toHaveLength(1);
    await docker.getImage('half:1').remove();
    await docker.getImage('loadme:1').remove();
    await converges();
  }, 90_000);
});
