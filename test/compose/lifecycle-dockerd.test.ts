// The lifecycle verbs on a real Docker Engine (a private dockerd): the same translation must hold
// where users meet dockerd — run --rm exit code and output, exec exit code, stop/start, kill -s,
// logs, rm -fsv, ls.
import { describe, expect, it } from 'vitest';
import { dockerd, requirePrereq, root } from '../support/gates.js';
import { type PrivateDockerd } from './dockerd.js';
import { expectCode, makeStack } from './scenario.js';
import { usePrivateDockerd } from '../support/engines.js';

const skip = requirePrereq('compose lifecycle verbs on dockerd', [root(), dockerd()]);

const STACK = `
services:
  db:
    image: busybox
    command: ["sh", "-c", "echo db ready; trap 'echo db got TERM; exit 0' TERM; while :; do sleep 0.1; done"]
  web:
    image: busybox
    depends_on: [db]
    command: ["sh", "-c", "trap 'exit 0' TERM; while :; do sleep 0.1; done"]
`;

describe.skipIf(skip)('compose lifecycle verbs on dockerd', () => {
  let dockerd: PrivateDockerd;
  usePrivateDockerd('lifecycle', (e) => {
    dockerd = e;
  });

  it('run --rm, exec, stop/start, kill -s, logs, rm -fsv, ls', async () => {
    const stack = makeStack(dockerd.dockerHost, 'ld');
    const p = stack.project;
    try {
      stack.write(STACK);
      const run = await stack.berth(['run', '--rm', 'web', 'sh', '-c', 'echo from run; exit 6']);
      expect(run).toMatchObject({ code: 6, stdout: 'from run\n' });
      expect([...(await stack.containers()).keys()]).toEqual([`${p}-db-1`]);
      expectCode(await stack.berth(['up', '-d', '--progress', 'quiet']), 0);
      expect(await stack.berth(['exec', '-T', 'web', 'sh', '-c', 'echo in; exit 9'])).toMatchObject({ code: 9, stdout: 'in\n' });
      expectCode(await stack.berth(['stop', '-t', '1', 'web']), 0);
      expect((await stack.containers()).get(`${p}-web-1`)?.state).toBe('exited');
      expectCode(await stack.berth(['start', 'web']), 0);
      expect((await stack.containers()).get(`${p}-web-1`)?.state).toBe('running');
      expectCode(await stack.berth(['kill', '-s', 'TERM', 'db']), 0);
      for (let i = 0; i < 50 && (await stack.containers()).get(`${p}-db-1`)?.state !== 'exited'; i++) await new Promise((r) => setTimeout(r, 100));
      expect((await stack.berth(['logs', '--no-log-prefix', 'db'])).stdout).toBe('db ready\ndb got TERM\n');
      expect((await stack.berth(['ls'])).stdout).toMatch(new RegExp(`${p}\\s+exited\\(1\\), running\\(1\\)`));
      expectCode(await stack.berth(['rm', '-fsv']), 0);
      expect((await stack.containers()).size).toBe(0);
    } finally {
      await stack.berth(['down', '-v', '--progress', 'quiet']);
      stack.cleanup();
    }
  }, 120_000);
});
