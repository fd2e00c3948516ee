// Compose volumes on berth's built-in engine, end to end: `berth up` creates the stack's named
// volume (with compose's labels), services share it, an anonymous volume
// is made per container, `down` keeps volumes and `down -v` removes the stack's.
import Docker from 'dockerode';
import { describe, expect, it } from 'vitest';
import { type TestEngine } from '../engine/helpers/daemon-harness.js';
import { engineHost, requirePrereq } from '../support/gates.js';
import { expectCode, makeStack } from './scenario.js';
import { useTestEngine } from '../support/engines.js';

const skip = requirePrereq('compose volumes on the built-in engine', engineHost());

const STACK = `
services:
  db:
    image: busybox
    command: ["sh", "-c", "trap 'exit 0' TERM; echo from-db > /data/db.txt; touch /ready; while :; do sleep 1; done"]
    healthcheck: { test: ["CMD", "test", "-f", "/ready"], interval: 1s, retries: 10 }
    volumes: ["data:/data", "/scratch"]
  migrate:
    image: busybox
    command: ["sh", "-c", "cat /data/db.txt > /data/migrated.txt"]
    volumes: ["data:/data"]
    depends_on: { db: { condition: service_healthy } }
  reader:
    image: busybox
    command: ["sh", "-c", "trap 'exit 0' TERM; while :; do sleep 1; done"]
    volumes: [{ type: volume, source: data, target: /ro, read_only: true }, { type: tmpfs, target: /cache, tmpfs: { size: 1048576 } }]
    depends_on: { migrate: { condition: service_completed_successfully } }
volumes: { data: { labels: { purpose: test } } }
`;

describe.skipIf(skip)('compose volumes on the built-in engine', () => {
  let engine: TestEngine;
  useTestEngine('cvol', (e) => {
    engine = e;
  });

  it('up shares the named volume between services; down keeps it, down -v removes it', async () => {
    const stack = makeStack(`unix://${engine.socketPath}`, 'cv');
    const p = stack.project;
    const docker = new Docker({ socketPath: engine.socketPath });
    try {
      stack.write(STACK);
      expectCode(await stack.berth(['up', '-d', '--wait', '--progress', 'plain']), 0);
      const vol = await docker.getVolume(`${p}_data`).inspect();
      expect(vol.Labels).toMatchObject({ 'com.docker.compose.project': p, 'com.docker.compose.volume': 'data', purpose: 'test' });

      const reader = docker.getContainer(`${p}-reader-1`);
      const exec = await reader.exec({ Cmd: ['sh', '-c', 'cat /ro/migrated.txt; touch /ro/x 2>&1 | grep -o "Read-only file system"; grep " /cache " /proc/mounts | cut -d" " -f3'], AttachStdout: true, AttachStderr: true });
      const stream = await exec.start({});
      const chunks: Buffer[] = [];
      for await (const c of stream as AsyncIterable<Buffer>) chunks.push(c);
      // Frames: strip the 8-byte headers.
      const raw = Buffer.concat(chunks);
      let text = '';
      for (let at = 0; at + 8 <= raw.length; at += 8 + raw.readUInt32BE(at + 4)) text += raw.subarray(at + 8, at + 8 + raw.readUInt32BE(at + 4)).toString();
      expect(text).toBe('from-db\nRead-only file system\ntmpfs\n');

      const db = await docker.getContainer(`${p}-db-1`).inspect();
      const anon = db.Mounts.find((m) => m.Destination === '/scratch');
      expect(anon).toMatchObject({ Type: 'volume', Driver: 'local' });

      expectCode(await stack.berth(['down', '--progress', 'plain']), 0);
      expect((await stack.containers()).size).toBe(0);
      // Without -v, down keeps the named volume and the anonymous one, as docker compose does.
      expect((await docker.getVolume(`${p}_data`).inspect()).Name).toBe(`${p}_data`);
      expect((await docker.getVolume(anon!.Name!).inspect()).Name).toBe(anon!.Name);

      expectCode(await stack.berth(['up', '-d', '--wait', '--progress', 'quiet']), 0);
      expectCode(await stack.berth(['down', '-v', '--progress', 'plain']), 0);
      const left = await docker.listVolumes({ filters: JSON.stringify({ label: [`com.docker.compose.project=${p}`] }) });
      expect(left.Volumes ?? []).toEqual([]);
    } finally {
      stack.cleanup();
    }
  }, 180_000);
});
