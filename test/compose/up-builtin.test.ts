// Scenarios of up / ps / down on berth's built-in engine: real containers under runc.
// (Volumes come with the `vol` branch; until it lands the stacks here use networks only.)
import Docker from 'dockerode';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestEngine, type TestEngine } from '../engine/daemon-harness.js';
import { skipNotice } from '../engine/helpers/engine-env.js';
import { expectCode, makeStack } from './scenario.js';

const skip = skipNotice('compose on the built-in engine');

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
  beforeAll(async () => {
    engine = await startTestEngine('compose');
  }, 120_000);
  afterAll(async () => {
    await engine?.close();
  }, 60_000);

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
});
