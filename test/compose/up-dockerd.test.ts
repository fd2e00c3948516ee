// Scenarios of up / ps / down on a real Docker Engine (a private dockerd), with bridge networks
// and volumes; docker-compose 1.29 must recognise what berth created.
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { dockerd, requirePrereq, root } from '../support/gates.js';
import { type PrivateDockerd } from './dockerd.js';
import { expectCode, makeStack } from './scenario.js';
import { usePrivateDockerd } from '../support/engines.js';

const skip = requirePrereq('compose on dockerd', [root(), dockerd()]);

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

describe.skipIf(skip)('compose on dockerd', () => {
  let dockerd: PrivateDockerd;
  usePrivateDockerd('compose', (e) => {
    dockerd = e;
  });

  it('up, no-op up without engine writes, change → only that service, docker-compose ps sees it, down leaves nothing', async () => {
    const stack = makeStack(dockerd.dockerHost, 'cd');
    const p = stack.project;
    try {
      stack.write(STACK());
      expectCode(await stack.berth(['up', '-d', '--wait', '--progress', 'plain']), 0);
      const first = await stack.containers();
      expect([...first.keys()].sort()).toEqual([`${p}-api-1`, `${p}-db-1`, `${p}-migrate-1`, `${p}-web-1`]);
      // The api container sits on both networks, with its service name as alias.
      const api = await dockerd.docker.getContainer(`${p}-api-1`).inspect();
      expect(Object.keys(api.NetworkSettings.Networks).sort()).toEqual([`${p}_back`, `${p}_front`]);
      expect(api.NetworkSettings.Networks[`${p}_front`].Aliases).toContain('api');

      // docker-compose 1.29 lists berth's containers as its own.
      const dc = spawnSync('docker-compose', ['-p', p, 'ps', '-a', '-q'], { cwd: stack.dir, env: { ...process.env, DOCKER_HOST: dockerd.dockerHost }, encoding: 'utf8' });
      expect(dc.stdout.trim().split('\n').sort()).toEqual([...first.values()].map((c) => c.id).sort());
      const table = spawnSync('docker-compose', ['-p', p, 'ps'], { cwd: stack.dir, env: { ...process.env, DOCKER_HOST: dockerd.dockerHost }, encoding: 'utf8' });
      for (const name of first.keys()) expect(table.stdout).toContain(name);

      // No-op up (api only, no deps): the plan is all no-op, and the engine sees no write.
      // Events are filtered by whole seconds: start the window at the next second, so the first
      // up's last events (which may share the current second) cannot fall into it.
      await new Promise((r) => setTimeout(r, 1000 - (Date.now() % 1000) + 5));
      const since = Math.floor(Date.now() / 1000);
      const noop = await stack.berth(['up', '-d', '--progress', 'quiet', '--no-deps', 'api', 'web', 'db']);
      expectCode(noop, 0);
      const writes = (await dockerd.docker.getEvents({ since, until: Math.floor(Date.now() / 1000) + 1, filters: JSON.stringify({ label: [`com.docker.compose.project=${p}`] }) } as never)) as unknown as NodeJS.ReadableStream;
      const text = await new Promise<string>((resolve) => {
        let out = '';
        writes.on('data', (d: Buffer) => (out += d));
        writes.on('end', () => resolve(out));
      });
      const actions = text.trim() ? text.trim().split('\n').map((l) => JSON.parse(l).Action).filter((a: string) => !a.startsWith('exec_')) : [];
      expect(actions).toEqual([]);
      const same = await stack.containers();
      for (const name of [`${p}-api-1`, `${p}-db-1`, `${p}-web-1`]) expect(same.get(name)!.id).toBe(first.get(name)!.id);

      // Change api: only api is recreated (web depends on it but is left alone).
      stack.write(STACK('b'));
      const dry = await stack.berth(['up', '--dry-run', 'api', 'web', '--no-deps']);
      expect(dry.stdout).toMatch(new RegExp(`container ${p}-api-1: recreate \\(config hash changed\\)`));
      expectCode(await stack.berth(['up', '-d', '--progress', 'quiet', '--no-deps', 'api']), 0);
      const second = await stack.containers();
      expect(second.get(`${p}-api-1`)!.id).not.toBe(first.get(`${p}-api-1`)!.id);
      expect(second.get(`${p}-web-1`)!.id).toBe(first.get(`${p}-web-1`)!.id);
      expect(second.get(`${p}-db-1`)!.id).toBe(first.get(`${p}-db-1`)!.id);

      const down = await stack.berth(['down', '-v', '--progress', 'plain']);
      expectCode(down, 0);

      expect((await stack.containers()).size).toBe(0);
      const nets = await dockerd.docker.listNetworks({ filters: JSON.stringify({ label: [`com.docker.compose.project=${p}`] }) });
      expect(nets).toEqual([]);
      const vols = await dockerd.docker.listVolumes({ filters: JSON.stringify({ label: [`com.docker.compose.project=${p}`] }) });
      expect(vols.Volumes ?? []).toEqual([]);
    } finally {
      stack.cleanup();
    }
  }, 180_000);

  it('scale 1 → 3 → 1 and orphans, by container number', async () => {
    const stack = makeStack(dockerd.dockerHost, 'cs');
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

  it('placement: a pod shares the sandbox\'s network (localhost), single supervises its second member — as on the built-in engine', async () => {
    const stack = makeStack(dockerd.dockerHost, 'cp');
    const p = stack.project;
    const run = async (container: string, cmd: string[]): Promise<string> => {
      const exec = await dockerd.docker.getContainer(container).exec({ Cmd: cmd, AttachStdout: true, AttachStderr: true });
      const st = await exec.start({ hijack: true, stdin: false });
      return new Promise<string>((resolve) => {
        let o = '';
        st.on('data', (d: Buffer) => (o += d.toString().replace(/[^\x20-\x7e\n]/g, '')));
        st.on('end', () => resolve(o));
      });
    };
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
});
