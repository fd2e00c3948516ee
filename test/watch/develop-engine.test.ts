// develop.watch actions against real containers, on the built-in engine and on a private dockerd
// (the reference implementation of the archive API): `sync` copies a saved file into the running
// container through PUT /containers/{id}/archive and deletes a removed one, `sync+exec` runs its
// command after the copy, `restart` restarts the container.
import { mkdirSync, mkdtempSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DockerPort } from '../../src/client/docker-port.js';
import { containerLabels } from '../../src/observe/labels.js';
import { loadProject } from '../../src/loader/loader.js';
import { systemClock } from '../../src/lib/clock.js';
import { developRules } from '../../src/watch/develop.js';
import { DevelopSyncer, type DevelopReport } from '../../src/watch/develop-sync.js';
import { startTestEngine, type TestEngine } from '../engine/helpers/daemon-harness.js';
import { dockerd, engineHost, requirePrereq } from '../support/gates.js';

const skip = requirePrereq('develop.watch on real engines', engineHost());
const skipDockerd = skip || requirePrereq('develop.watch on dockerd', dockerd());

interface Engine {
  socketPath: string;
  close(): Promise<void>;
}

async function builtinEngine(): Promise<Engine> {
  const e: TestEngine = await startTestEngine('devw');
  return { socketPath: e.socketPath, close: () => e.close() };
}

/** A private dockerd (bench/lib/dockerd.mjs: own roots and socket, no bridge, no iptables) with busybox imported. */
async function privateDockerd(): Promise<Engine> {
  const lib = (p: string) => import(/* @vite-ignore */ path.resolve(import.meta.dirname, '../../bench/lib', p));
  const { startDockerd } = await lib('dockerd.mjs');
  const { busyboxRootfsTar } = await lib('busybox-image.mjs');
  const d = await startDockerd();
  const { tar, cleanup } = busyboxRootfsTar();
  try {
    const { createReadStream } = await import('node:fs');
    const stream = await d.docker.importImage(createReadStream(tar), { repo: 'busybox', tag: 'latest' });
    await new Promise<void>((resolve, reject) => d.docker.modem.followProgress(stream, (err: unknown) => (err ? reject(err) : resolve())));
  } finally {
    cleanup();
  }
  return { socketPath: d.socket, close: () => d.stop() };
}

const engines = [
  { name: 'the built-in engine', start: builtinEngine, skip },
  { name: 'dockerd', start: privateDockerd, skip: skipDockerd },
];

describe.each(engines)('develop.watch on $name', ({ start, skip: skipThis }) => {
  if (skipThis) {
    it.skip('needs root, runc, busybox (and dockerd): see the [skip] notice', () => {});
    return;
  }
  let engine: Engine;
  let port: DockerPort;
  let dir: string;
  const project = `devw${process.pid}`;

  async function sh(id: string, cmd: string): Promise<string> {
    const { Id } = await port.exec.create(id, { Cmd: ['sh', '-c', cmd], AttachStdout: true, AttachStderr: true });
    let out = '';
    for await (const c of await port.exec.start(Id)) out += c.data.toString();
    return out;
  }

  async function serviceContainer(service: string): Promise<string> {
    const labels = containerLabels({ project, service, number: 1, configHash: 'x' } as Parameters<typeof containerLabels>[0]);
    const { Id } = await port.containers.create(`${project}-${service}-1`, {
      Image: 'busybox',
      // PID 1 ignores SIGTERM unless it handles it: handle it, so a restart is quick.
      Cmd: ['sh', '-c', 'trap "exit 0" TERM; while true; do sleep 0.2; done'],
      Labels: labels,
      HostConfig: { NetworkMode: 'none' },
    });
    await port.containers.start(Id);
    return Id;
  }

  beforeAll(async () => {
    engine = await start();
    port = new DockerPort({ socketPath: engine.socketPath });
    dir = mkdtempSync('/tmp/berth-devw-');
  }, 90_000);

  afterAll(async () => {
    for (const c of (await port?.containers.list({ all: true })) ?? []) await port.containers.remove(c.Id, { force: true });
    await engine?.close();
    rmSync(dir, { recursive: true, force: true });
  }, 60_000);

  it('syncs saved files into the running container, deletes removed ones, then runs sync+exec and restart', async () => {
    mkdirSync(path.join(dir, 'src/lib'), { recursive: true });
    writeFileSync(path.join(dir, 'src/index.html'), 'v1\n');
    writeFileSync(
      path.join(dir, 'compose.yaml'),
      `name: ${project}
services:
  web:
    image: busybox
    network_mode: none
    develop:
      watch:
        - {path: ./src, target: /srv/www, action: sync, initial_sync: true, ignore: ["**/*.log"]}
        - {path: ./hooks, target: /srv/hooks, action: sync+exec, exec: {command: "cat /srv/hooks/hook.txt > /tmp/hook-ran"}}
        - {path: ./restart.txt, action: restart}
`,
    );
    const loaded = loadProject({ workingDir: dir, environment: {} });
    const id = await serviceContainer('web');
    const reports: DevelopReport[] = [];
    const syncer = new DevelopSyncer({ engine: port, project: () => project, clock: systemClock, debounceMs: 20, report: (r) => reports.push(r), rebuild: async () => undefined });
    syncer.setRules(developRules(loaded.project, dir));

    await syncer.initialSync();
    expect(await sh(id, 'cat /srv/www/index.html')).toBe('v1\n');

    writeFileSync(path.join(dir, 'src/index.html'), 'v2\n');
    writeFileSync(path.join(dir, 'src/lib/app.js'), 'console.log(1)\n');
    writeFileSync(path.join(dir, 'src/lib/debug.log'), 'noise\n');
    for (const f of ['src/index.html', 'src/lib/app.js', 'src/lib/debug.log']) syncer.markChanged(path.join(dir, f));
    await new Promise((r) => setTimeout(r, 40));
    await syncer.idle();
    expect(await sh(id, 'cat /srv/www/index.html /srv/www/lib/app.js; ls /srv/www/lib')).toBe('v2\nconsole.log(1)\napp.js\n');
    expect(reports.at(-1)).toMatchObject({ service: 'web', action: 'sync', containers: [id], copied: ['/srv/www/index.html', '/srv/www/lib/app.js'], removed: [] });

    unlinkSync(path.join(dir, 'src/lib/app.js'));
    syncer.markChanged(path.join(dir, 'src/lib/app.js'));
    await new Promise((r) => setTimeout(r, 40));
    await syncer.idle();
    expect(await sh(id, 'ls /srv/www/lib; echo done')).toBe('done\n');
    expect(reports.at(-1)).toMatchObject({ removed: ['/srv/www/lib/app.js'] });

    mkdirSync(path.join(dir, 'hooks'));
    writeFileSync(path.join(dir, 'hooks/hook.txt'), 'hooked\n');
    syncer.markChanged(path.join(dir, 'hooks/hook.txt'));
    await new Promise((r) => setTimeout(r, 40));
    await syncer.idle();
    expect(reports.at(-1)).toMatchObject({ action: 'sync+exec' });
    expect(reports.at(-1)?.error).toBeUndefined();
    expect(await sh(id, 'cat /tmp/hook-ran')).toBe('hooked\n');

    const startedBefore = (await port.containers.inspect(id)).State.StartedAt;
    writeFileSync(path.join(dir, 'restart.txt'), 'go\n');
    syncer.markChanged(path.join(dir, 'restart.txt'));
    await new Promise((r) => setTimeout(r, 40));
    await syncer.idle();
    expect(reports.at(-1)).toMatchObject({ action: 'restart' });
    expect(reports.at(-1)?.error).toBeUndefined();
    const after = await port.containers.inspect(id);
    expect(after.State.Running).toBe(true);
    expect(after.State.StartedAt).not.toBe(startedBefore);
    await syncer.close();
  }, 120_000);
});
