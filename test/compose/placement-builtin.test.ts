// Placement modes on the built-in engine: a pod's members reach each other on localhost through
// the sandbox's namespaces; a single group runs its second member as a supervised process inside
// the first one's container, restarted when it exits. `ps` names group and mode.
import Docker from 'dockerode';
import { describe, expect, it } from 'vitest';
import { demux } from '../../src/client/docker-port.js';
import { type TestEngine } from '../engine/helpers/daemon-harness.js';
import { engineHost, requirePrereq } from '../support/gates.js';
import { expectCode, makeStack } from './scenario.js';
import { useTestEngine } from '../support/engines.js';

const skip = requirePrereq('placement on the built-in engine', engineHost());
const LOOP = `["sh", "-c", "trap 'exit 0' TERM; sleep 2147483647 & wait"]`;

async function execOut(docker: Docker, container: string, cmd: string[]): Promise<string> {
  const exec = await docker.getContainer(container).exec({ Cmd: cmd, AttachStdout: true, AttachStderr: true });
  const stream = await exec.start({ hijack: true, stdin: false });
  const chunks: Buffer[] = [];
  await new Promise<void>((resolve) => {
    stream.on('data', (d: Buffer) => chunks.push(d));
    stream.on('end', () => resolve());
  });
  let out = '';
  for await (const chunk of demux(chunks, false)) out += chunk.data.toString();
  return out;
}

describe.skipIf(skip)('placement on the built-in engine', () => {
  let engine: TestEngine;
  let docker: Docker;
  useTestEngine('place', (e) => {
    engine = e;
    docker = new Docker({ socketPath: engine.socketPath });
  });

  it('pod: members share the sandbox\'s network namespace (localhost) and ps shows group and mode', async () => {
    const stack = makeStack(`unix://${engine.socketPath}`, 'pp');
    const p = stack.project;
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
x-placement:
  groups:
    backend: { mode: pod, services: [api, db] }
`);
      expectCode(await stack.berth(['up', '-d', '--wait', '--progress', 'quiet']), 0);
      const names = [...(await stack.containers()).keys()].sort();
      expect(names).toEqual([`${p}-api-1`, `${p}-backend-sandbox`, `${p}-db-1`]);
      const api = await docker.getContainer(`${p}-api-1`).inspect();
      expect(api.HostConfig.NetworkMode).toBe(`container:${p}-backend-sandbox`);
      let answer = '';
      for (let i = 0; i < 50 && !answer.includes('pong'); i++) {
        answer = await execOut(docker, `${p}-api-1`, ['sh', '-c', 'echo | nc 127.0.0.1 5432']);
        if (!answer.includes('pong')) await new Promise((r) => setTimeout(r, 100));
      }
      expect(answer).toContain('pong');
      const ps = await stack.berth(['ps', '--format', 'json']);
      const rows = ps.stdout.trim().split('\n').map((l) => JSON.parse(l));
      expect(rows.map((r) => `${r.Service} ${r.Group} ${r.Mode} ${r.Role}`)).toEqual(['api backend pod member', 'backend-sandbox backend pod sandbox', 'db backend pod member']);

      // --placement split overrides: the sandbox goes, members get their own namespaces.
      expectCode(await stack.berth(['up', '-d', '--placement', 'split', '--progress', 'quiet']), 0);
      const after = await docker.getContainer(`${p}-api-1`).inspect();
      expect(after.HostConfig.NetworkMode).not.toMatch(/^container:/);
      expect([...(await stack.containers()).keys()].sort()).toEqual([`${p}-api-1`, `${p}-db-1`]);
      expectCode(await stack.berth(['down', '--progress', 'quiet']), 0);
      expect((await stack.containers()).size).toBe(0);
    } finally {
      stack.cleanup();
    }
  }, 120_000);

  it('single: one container; the second member runs inside as a supervised process and comes back when it exits', async () => {
    const stack = makeStack(`unix://${engine.socketPath}`, 'ps');
    const p = stack.project;
    try {
      stack.write(`
services:
  app:
    image: busybox
    command: ${LOOP}
  helper:
    image: busybox
    command: ["sh", "-c", "echo started >> /tmp/helper.log; exec tail -f /dev/null"]
x-placement:
  groups:
    duo: { mode: single, services: [app, helper] }
`);
      expectCode(await stack.berth(['up', '-d', '--progress', 'quiet']), 0);
      expect([...(await stack.containers()).keys()]).toEqual([`${p}-duo-1`]);
      const log = async () => execOut(docker, `${p}-duo-1`, ['sh', '-c', 'cat /tmp/helper.log 2>/dev/null']);
      let text = '';
      for (let i = 0; i < 50 && !text.includes('started'); i++) {
        text = await log();
        if (!text.includes('started')) await new Promise((r) => setTimeout(r, 100));
      }
      expect(text.trim().split('\n')).toEqual(['started']);
      // The helper's process exits: the supervisor loop starts it again.
      await execOut(docker, `${p}-duo-1`, ['sh', '-c', 'for p in /proc/[0-9]*; do [ "$(cat $p/comm 2>/dev/null)" = tail ] && kill ${p#/proc/}; done; true']);
      for (let i = 0; i < 60 && text.trim().split('\n').length < 2; i++) {
        await new Promise((r) => setTimeout(r, 100));
        text = await log();
      }
      expect(text.trim().split('\n').length).toBeGreaterThanOrEqual(2);
      const ps = await stack.berth(['ps', '--format', 'json']);
      const row = JSON.parse(ps.stdout.trim());
      expect(`${row.Service} ${row.Group} ${row.Mode}`).toBe('app duo single');
      expectCode(await stack.berth(['down', '--progress', 'quiet']), 0);
    } finally {
      stack.cleanup();
    }
  }, 120_000);
});
