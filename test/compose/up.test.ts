// Scenarios of up / ps / down, written once and run on each engine: berth's built-in engine (real
// containers under runc, its own bridges and volumes) and a private dockerd (Debian docker.io),
// where docker-compose 1.29 must also recognise what berth created.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { requirePrereq } from '../support/gates.js';
import { ENGINE_KINDS, enginePrereqs, useEngine, type ScenarioEngine } from '../support/engines.js';
import { execIn } from '../support/streams.js';
import { expectCode, makeStack } from './scenario.js';

const LOOP = `["sh", "-c", "trap 'exit 0' TERM; while :; do sleep 1; done"]`;
const STACK = (mode = 'a') => `
services:
  db:
    image: busybox
    command: ["sh", "-c", "trap 'exit 0' TERM; touch /ready; while :; do sleep 1; done"]
    healthcheck: { test: ["CMD", "test", "-f", "/ready"], interval: 1s, retries: 10 }
    volumes: ["data:/data", "/scratch"]
    networks: [back]
  migrate:
    image: busybox
    command: ["sh", "-c", "echo migrated > /data/done"]
    volumes: ["data:/data"]
    depends_on: { db: { condition: service_healthy } }
    networks: [back]
  api:
    image: busybox
    command: ${LOOP}
    environment:
      MODE: "${mode}"
    depends_on:
      db: { condition: service_healthy }
      migrate: { condition: service_completed_successfully }
    networks: [front, back]
  web:
    image: busybox
    command: ${LOOP}
    depends_on: [api]
    networks: [front]
networks: { front: {}, back: {} }
volumes: { data: {} }
`;

describe.each(ENGINE_KINDS)('compose up/ps/down on %s', (kind) => {
  if (requirePrereq(`compose on ${kind}`, enginePrereqs(kind))) return;
  let engine: ScenarioEngine;
  useEngine(kind, 'compose', (e) => {
    engine = e;
  });
  const projectFilter = (p: string): string => JSON.stringify({ label: [`com.docker.compose.project=${p}`] });

  it('up --wait in order; ps; docker-compose sees it; a no-op up writes nothing; a change recreates only its service; down in reverse order leaves nothing', async () => {
    const stack = makeStack(engine.dockerHost, 'cu');
    const p = stack.project;
    try {
      stack.write(STACK());
      expectCode(await stack.berth(['up', '-d', '--wait', '--progress', 'plain']), 0);
      const first = await stack.containers();
      expect([...first.keys()].sort()).toEqual([`${p}-api-1`, `${p}-db-1`, `${p}-migrate-1`, `${p}-web-1`]);
      expect(first.get(`${p}-migrate-1`)!.state).toBe('exited');
      expect(first.get(`${p}-db-1`)!.status).toContain('healthy');
      // api sits on both networks, with its service name as alias.
      const api = await engine.docker.getContainer(`${p}-api-1`).inspect();
      expect(Object.keys(api.NetworkSettings.Networks).sort()).toEqual([`${p}_back`, `${p}_front`]);
      expect(api.NetworkSettings.Networks[`${p}_front`].Aliases).toContain('api');
      expect(api.NetworkSettings.Networks[`${p}_back`].IPAddress).toMatch(/^\d+\.\d+\.\d+\.\d+$/);

      // ps --format json: one object per line with service, state and mode.
      const ps = await stack.berth(['ps', '-a', '--format', 'json']);
      expectCode(ps, 0);
      const rows = ps.stdout.trim().split('\n').map((l) => JSON.parse(l));
      expect(rows.map((r) => `${r.Service} ${r.State} ${r.Mode}`)).toEqual(['api running split', 'db running split', 'migrate exited split', 'web running split']);

      // docker-compose 1.29 lists berth's containers as its own. (Asynchronously: the built-in engine
      // serves from this very process.)
      const dc = await promisify(execFile)('docker-compose', ['-p', p, 'ps', '-a', '-q'], { cwd: stack.dir, env: { ...process.env, DOCKER_HOST: engine.dockerHost } });
      expect(dc.stdout.trim().split('\n').sort(), dc.stderr).toEqual([...first.values()].map((c) => c.id).sort());

      // Dry run of an unchanged service: nothing to do.
      const dry = await stack.berth(['up', '--dry-run', 'api', '--no-deps']);
      expectCode(dry, 0);
      expect(dry.stdout).toContain(`container ${p}-api-1: noop (up to date)`);
      expect(dry.stdout).not.toMatch(/recreate|create \(/);

      // No-op up: the engine sees no write. Events are filtered by whole seconds: start the window at
      // the next second, so the first up's last events (which may share the current second) stay out.
      await new Promise((r) => setTimeout(r, 1000 - (Date.now() % 1000) + 5));
      const since = Math.floor(Date.now() / 1000);
      expectCode(await stack.berth(['up', '-d', '--progress', 'quiet', '--no-deps', 'api', 'web', 'db']), 0);
      const events = (await engine.docker.getEvents({ since, until: Math.floor(Date.now() / 1000) + 1, filters: projectFilter(p) } as never)) as unknown as NodeJS.ReadableStream;
      const text = await new Promise<string>((resolve) => {
        let out = '';
        events.on('data', (d: Buffer) => (out += d));
        events.on('end', () => resolve(out));
      });
      const actions = text.trim() ? text.trim().split('\n').map((l) => JSON.parse(l).Action).filter((a: string) => !a.startsWith('exec_')) : [];
      expect(actions).toEqual([]);

      // Change api: only api is recreated (web depends on it but is left alone).
      stack.write(STACK('b'));
      const changed = await stack.berth(['up', '--dry-run', 'api', 'web', '--no-deps']);
      expect(changed.stdout).toMatch(new RegExp(`container ${p}-api-1: recreate \\(config hash changed\\)`));
      expectCode(await stack.berth(['up', '-d', '--wait', '--progress', 'quiet']), 0);
      const second = await stack.containers();
      expect(second.get(`${p}-api-1`)!.id).not.toBe(first.get(`${p}-api-1`)!.id);
      for (const s of ['db', 'web']) expect(second.get(`${p}-${s}-1`)!.id).toBe(first.get(`${p}-${s}-1`)!.id);

      const down = await stack.berth(['down', '-v', '--progress', 'plain']);
      expectCode(down, 0);
      // Dependents stop first: web before api before db.
      const stopped = down.stderr.split('\n').filter((l) => l.includes('Stopped')).map((l) => l.split(' ')[1]);
      expect(stopped.indexOf(`${p}-web-1`)).toBeLessThan(stopped.indexOf(`${p}-api-1`));
      expect(stopped.indexOf(`${p}-api-1`)).toBeLessThan(stopped.indexOf(`${p}-db-1`));
      expect((await stack.containers()).size).toBe(0);
      expect(await engine.docker.listNetworks({ filters: projectFilter(p) })).toEqual([]);
      expect((await engine.docker.listVolumes({ filters: projectFilter(p) })).Volumes ?? []).toEqual([]);
    } finally {
      await stack.berth(['down', '-v', '-t', '0']);
      stack.cleanup();
    }
  }, 180_000);

  it('a recreate keeps the named volume\'s data and the anonymous volume; down -v removes both', async () => {
    const stack = makeStack(engine.dockerHost, 'cv');
    const p = stack.project;
    const yaml = (tag: string) => `
services:
  db:
    image: busybox
    command: ["sh", "-c", "trap 'exit 0' TERM; echo ${tag} >> /data/log; echo ${tag} >> /scratch/log; sleep 2147483647 & wait"]
    volumes: ["data:/data", "/scratch"]
volumes: { data: {} }
`;
    try {
      stack.write(yaml('one'));
      expectCode(await stack.berth(['up', '-d', '--progress', 'quiet']), 0);
      const anon = async () => (await engine.docker.getContainer(`${p}-db-1`).inspect()).Mounts.find((m) => m.Destination === '/scratch')!.Name;
      const before = await anon();
      stack.write(yaml('two'));
      expectCode(await stack.berth(['up', '-d', '--progress', 'quiet']), 0);
      expect(await anon()).toBe(before);
      let logs = '';
      for (let i = 0; i < 50 && !logs.includes('two'); i++) logs = (await execIn(engine.docker, engine.docker.getContainer(`${p}-db-1`), ['cat', '/data/log', '/scratch/log'])).stdout;
      expect(logs.split('\n').filter(Boolean)).toEqual(['one', 'two', 'one', 'two']);
      expectCode(await stack.berth(['down', '-v', '--progress', 'quiet']), 0);
      const vols = (await engine.docker.listVolumes()).Volumes ?? [];
      expect(vols.filter((v) => v.Name === `${p}_data` || v.Name === before)).toEqual([]);
    } finally {
      stack.cleanup();
    }
  }, 120_000);

  it('scale 1 → 3 → 1 and orphans, by container number', async () => {
    const stack = makeStack(engine.dockerHost, 'cs');
    const p = stack.project;
    try {
      stack.write(`services:\n  w:\n    image: busybox\n    command: ${LOOP}\n  old:\n    image: busybox\n    command: ${LOOP}\n`);
      expectCode(await stack.berth(['up', '-d', '--progress', 'quiet', '--scale', 'w=3']), 0);
      expect([...(await stack.containers()).keys()].sort()).toEqual([`${p}-old-1`, `${p}-w-1`, `${p}-w-2`, `${p}-w-3`]);
      stack.write(`services:\n  w:\n    image: busybox\n    command: ${LOOP}\n`);
      const kept = await stack.berth(['up', '-d', '--progress', 'quiet']);
      expectCode(kept, 0);
      expect(kept.stderr).toMatch(/orphan containers \(.*old-1\)/);
      expect([...(await stack.containers()).keys()].sort()).toEqual([`${p}-old-1`, `${p}-w-1`]);
      expectCode(await stack.berth(['up', '-d', '--progress', 'quiet', '--remove-orphans']), 0);
      expect([...(await stack.containers()).keys()].sort()).toEqual([`${p}-w-1`]);
      expectCode(await stack.berth(['down', '--progress', 'quiet']), 0);
    } finally {
      stack.cleanup();
    }
  }, 120_000);

  it('three ups of one project at once converge: all succeed, one container per service, one network', async () => {
    const stack = makeStack(engine.dockerHost, 'cc');
    const p = stack.project;
    try {
      stack.write(`services:\n  a:\n    image: busybox\n    command: ${LOOP}\n    volumes: ["data:/data"]\n  b:\n    image: busybox\n    command: ${LOOP}\n    depends_on: [a]\nvolumes: { data: {} }\n`);
      const runs = await Promise.all([0, 1, 2].map(() => stack.berth(['up', '-d', '--progress', 'plain'])));
      for (const r of runs) expectCode(r, 0);
      expect([...(await stack.containers()).keys()].sort()).toEqual([`${p}-a-1`, `${p}-b-1`]);
      expect([...(await stack.containers()).values()].map((c) => c.state)).toEqual(['running', 'running']);
      expect((await engine.docker.listNetworks({ filters: projectFilter(p) })).map((n) => n.Name)).toEqual([`${p}_default`]);
      expectCode(await stack.berth(['down', '-v', '-t', '0', '--progress', 'quiet']), 0);
    } finally {
      stack.cleanup();
    }
  }, 120_000);

  it('placement: a pod shares the sandbox\'s network (localhost), single supervises its second member', async () => {
    const stack = makeStack(engine.dockerHost, 'cp');
    const p = stack.project;
    const run = async (container: string, cmd: string[]): Promise<string> => (await execIn(engine.docker, engine.docker.getContainer(container), cmd)).stdout;
    try {
      stack.write(`
services:
  db:
    image: busybox
    command: ["sh", "-c", "trap 'exit 0' TERM; while :; do nc -l -p 5432 -e echo pong & wait; done"]
  api:
    image: busybox
    command: ${LOOP}
    depends_on: [db]
  app:
    image: busybox
    command: ${LOOP}
  helper:
    image: busybox
    command: ["sh", "-c", "echo started >> /tmp/helper.log; exec tail -f /dev/null"]
x-placement:
  groups:
    backend: { mode: pod, services: [api, db] }
    duo: { mode: single, services: [app, helper] }
`);
      expectCode(await stack.berth(['up', '-d', '--progress', 'quiet']), 0);
      expect([...(await stack.containers()).keys()].sort()).toEqual([`${p}-api-1`, `${p}-backend-sandbox`, `${p}-db-1`, `${p}-duo-1`]);
      let answer = '';
      for (let i = 0; i < 50 && !answer.includes('pong'); i++) {
        answer = await run(`${p}-api-1`, ['sh', '-c', 'echo | nc 127.0.0.1 5432']);
        if (!answer.includes('pong')) await new Promise((r) => setTimeout(r, 100));
      }
      expect(answer).toContain('pong');
      let log = '';
      for (let i = 0; i < 50 && !log.includes('started'); i++) {
        log = await run(`${p}-duo-1`, ['cat', '/tmp/helper.log']);
        if (!log.includes('started')) await new Promise((r) => setTimeout(r, 100));
      }
      expect(log).toContain('started');
      expectCode(await stack.berth(['down', '--progress', 'quiet']), 0);
      expect((await stack.containers()).size).toBe(0);
    } finally {
      stack.cleanup();
    }
  }, 120_000);

  it('up -d / down -t 0 in a tight loop, with and without a one-service change: every down succeeds and leaves nothing', async () => {
    // Containers that exit at once on TERM race the stop's SIGKILL (-t 0): down used to fail on the
    // 500 that race gave (built-in engine), then on the network its unremoved container still held.
    const stack = makeStack(engine.dockerHost, 'cl');
    const yaml = (n: number) => `
services:
  a:
    image: busybox
    command: ["sh", "-c", "trap 'exit 0' TERM; sleep ${1000 + n} & wait"]
    depends_on: [b]
  b:
    image: busybox
    command: ["sh", "-c", "trap 'exit 0' TERM; sleep 1000 & wait"]
`;
    const leftovers = async () => [
      ...(await engine.docker.listContainers({ all: true, filters: projectFilter(stack.project) })).map((c) => c.Names[0]),
      ...(await engine.docker.listNetworks({ filters: projectFilter(stack.project) })).map((n) => n.Name),
    ];
    try {
      for (let i = 0; i < 6; i++) {
        stack.write(yaml(0));
        expectCode(await stack.berth(['up', '-d', '--progress', 'quiet']), 0);
        if (i % 2 === 1) {
          stack.write(yaml(i));
          expectCode(await stack.berth(['up', '-d', '--progress', 'quiet']), 0);
        }
        expectCode(await stack.berth(['down', ...(i % 2 === 1 ? ['--remove-orphans'] : []), '-t', '0', '--progress', 'plain']), 0);
        expect(await leftovers()).toEqual([]);
      }
    } finally {
      await stack.berth(['down', '-t', '0']);
      stack.cleanup();
    }
  }, 180_000);
});
