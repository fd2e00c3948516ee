// Scenarios of up / ps / down on berth's built-in engine: real containers under runc.
// Bridge networks and volumes are the engine's own.
import Docker from 'dockerode';
import { describe, expect, it } from 'vitest';
import { type TestEngine } from '../engine/helpers/daemon-harness.js';
import { engineHost, requirePrereq } from '../support/gates.js';
import { expectCode, makeStack } from './scenario.js';
import { useTestEngine } from '../support/engines.js';

const skip = requirePrereq('compose on the built-in engine', engineHost());

const STACK = (mode = 'a') => `
services:
  db:
    image: busybox
    command: ["sh", "-c", "trap 'exit 0' TERM; touch /ready; while :; do sleep 1; done"]
    healthcheck: { test: ["CMD", "test", "-f", "/ready"], interval: 1s, retries: 10 }
    networks: [back]
  migrate:
    image: busybox
    command: ["sh", "-c", "echo migrated"]
    depends_on: { db: { condition: service_healthy } }
    networks: [back]
  api:
    image: busybox
    command: ["sh", "-c", "trap 'exit 0' TERM; while :; do sleep 1; done"]
    environment:
      MODE: "${mode}"
    depends_on:
      db: { condition: service_healthy }
      migrate: { condition: service_completed_successfully }
    networks: [front, back]
networks: { front: {}, back: {} }
`;

describe.skipIf(skip)('compose on the built-in engine', () => {
  let engine: TestEngine;
  useTestEngine('compose', (e) => {
    engine = e;
  });

  it('up -d --wait brings the stack up in order; a no-op up touches nothing; a change recreates only its service; down removes everything', async () => {
    const stack = makeStack(`unix://${engine.socketPath}`, 'cb');
    try {
      stack.write(STACK());
      expectCode(await stack.berth(['up', '-d', '--wait', '--progress', 'plain']), 0);
      const first = await stack.containers();
      expect([...first.keys()].sort()).toEqual([`${stack.project}-api-1`, `${stack.project}-db-1`, `${stack.project}-migrate-1`]);
      expect(first.get(`${stack.project}-migrate-1`)!.state).toBe('exited');
      expect(first.get(`${stack.project}-db-1`)!.status).toContain('healthy');

      // ps --format json: one object per line with service, state, group and mode.
      // api sits on both bridges, reachable by its service name.
      const dbIp = await new Docker({ socketPath: engine.socketPath }).getContainer(`${stack.project}-db-1`).inspect();
      const api = await new Docker({ socketPath: engine.socketPath }).getContainer(`${stack.project}-api-1`).inspect();
      expect(Object.keys(api.NetworkSettings.Networks).sort()).toEqual([`${stack.project}_back`, `${stack.project}_front`]);
      expect(dbIp.NetworkSettings.Networks[`${stack.project}_back`].IPAddress).toMatch(/^\d+\.\d+\.\d+\.\d+$/);

      const ps = await stack.berth(['ps', '-a', '--format', 'json']);
      expectCode(ps, 0);
      const rows = ps.stdout.trim().split('\n').map((l) => JSON.parse(l));
      expect(rows.map((r) => `${r.Service} ${r.State} ${r.Mode}`)).toEqual(['api running split', 'db running split', 'migrate exited split']);

      // Dry run of an unchanged stack: migrate (exited) would run again, nothing else.
      const dry = await stack.berth(['up', '--dry-run', 'api', '--no-deps']);
      expectCode(dry, 0);
      expect(dry.stdout).toBe(
        `network ${stack.project}_back: exists (up to date)\nnetwork ${stack.project}_front: exists (up to date)\ncontainer ${stack.project}-api-1: noop (up to date)\n`,
      );

      // Change api only: only api is recreated; db keeps its id.
      stack.write(STACK('b'));
      expectCode(await stack.berth(['up', '-d', '--wait', '--progress', 'quiet']), 0);
      const second = await stack.containers();
      expect(second.get(`${stack.project}-db-1`)!.id).toBe(first.get(`${stack.project}-db-1`)!.id);
      expect(second.get(`${stack.project}-api-1`)!.id).not.toBe(first.get(`${stack.project}-api-1`)!.id);

      const down = await stack.berth(['down', '--progress', 'plain']);
      expectCode(down, 0);
      // api depends on db: it is stopped first.
      const stopped = down.stderr.split('\n').filter((l) => l.includes('Stopped')).map((l) => l.split(' ')[1]);
      expect(stopped.indexOf(`${stack.project}-api-1`)).toBeLessThan(stopped.indexOf(`${stack.project}-db-1`));
      expect((await stack.containers()).size).toBe(0);
      const nets = await new Docker({ socketPath: engine.socketPath }).listNetworks({ filters: JSON.stringify({ label: [`com.docker.compose.project=${stack.project}`] }) });
      expect(nets).toEqual([]);
    } finally {
      stack.cleanup();
    }
  }, 120_000);

  it('a recreate keeps the named volume\'s data and the anonymous volume; down -v removes both', async () => {
    const stack = makeStack(`unix://${engine.socketPath}`, 'cv');
    const p = stack.project;
    const docker = new Docker({ socketPath: engine.socketPath });
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
      const anon = async () => (await docker.getContainer(`${p}-db-1`).inspect()).Mounts.find((m) => m.Destination === '/scratch')!.Name;
      const before = await anon();
      stack.write(yaml('two'));
      expectCode(await stack.berth(['up', '-d', '--progress', 'quiet']), 0);
      expect(await anon()).toBe(before);
      let logs = '';
      for (let i = 0; i < 50 && !logs.includes('two'); i++) {
        const e = await docker.getContainer(`${p}-db-1`).exec({ Cmd: ['cat', '/data/log', '/scratch/log'], AttachStdout: true });
        const st = await e.start({ hijack: true, stdin: false });
        logs = await new Promise<string>((r) => {
          let o = '';
          st.on('data', (d: Buffer) => (o += d.toString().replace(/[^\x20-\x7e\n]/g, '')));
          st.on('end', () => r(o));
        });
      }
      expect(logs.split('\n').filter(Boolean)).toEqual(['one', 'two', 'one', 'two']);
      expectCode(await stack.berth(['down', '-v', '--progress', 'quiet']), 0);
      const vols = (await docker.listVolumes()).Volumes ?? [];
      expect(vols.filter((v) => v.Name === `${p}_data` || v.Name === before)).toEqual([]);
    } finally {
      stack.cleanup();
    }
  }, 120_000);
  it('up -d / down -t 0 in a tight loop, with and without a one-service change: every down succeeds and leaves nothing', async () => {
    // Containers that exit at once on TERM race the stop's SIGKILL (-t 0): down used to fail on the
    // 500 that race gave, then on the network its unremoved container still held.
    const stack = makeStack(`unix://${engine.socketPath}`, 'cl');
    const docker = new Docker({ socketPath: engine.socketPath });
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
    const leftovers = async () => {
      const label = JSON.stringify({ label: [`com.docker.compose.project=${stack.project}`] });
      return [...(await docker.listContainers({ all: true, filters: label })).map((c) => c.Names[0]), ...(await docker.listNetworks({ filters: label })).map((n) => n.Name)];
    };
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
  }, 120_000);
});
