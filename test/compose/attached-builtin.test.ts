// Attached `up` on the built-in engine: logs multiplexed with service prefixes, the first Ctrl-C
// stops the stack gracefully (exit 130); `--wait` treats a one-shot that exited 0 as done;
// --abort-on-container-exit / --exit-code-from give the container's exit code.
import { describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { type TestEngine } from '../engine/helpers/daemon-harness.js';
import { engineHost, requirePrereq } from '../support/gates.js';
import { expectCode, makeStack } from './scenario.js';
import { useTestEngine } from '../support/engines.js';

const skip = requirePrereq('attached up on the built-in engine', engineHost());

describe.skipIf(skip)('attached up on the built-in engine', () => {
  let engine: TestEngine;
  useTestEngine('attach', (e) => {
    engine = e;
  });

  it('prefixes each service\'s output and stops everything on the first Ctrl-C', async () => {
    const stack = makeStack(`unix://${engine.socketPath}`, 'ca');
    try {
      stack.write(`
services:
  talker:
    image: busybox
    command: ["sh", "-c", "trap 'echo bye; exit 0' TERM; echo hello from talker; sleep 2147483647 & wait"]
  quiet:
    image: busybox
    command: ["sh", "-c", "trap 'exit 0' TERM; sleep 2147483647 & wait"]
`);
      let out = '';
      let err = '';
      let interrupt: (() => void) | undefined;
      const running = main(['node', 'berth', '-p', stack.project, 'up', '--progress', 'plain'], {
        stdout: (t) => (out += t),
        stderr: (t) => (err += t),
        env: { DOCKER_HOST: `unix://${engine.socketPath}`, PATH: process.env.PATH ?? '' },
        cwd: stack.dir,
        readStdin: () => '',
        isTTY: false,
        onInterrupt: (h) => {
          interrupt = h;
          return () => (interrupt = undefined);
        },
      });
      const deadline = Date.now() + 30_000;
      while (!out.includes('hello from talker') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      expect(out).toMatch(new RegExp(`${stack.project}-talker-1 +\\| hello from talker`));
      interrupt!();
      expect(await running).toBe(130);
      expect(err).toContain('Gracefully stopping');
      const states = [...(await stack.containers()).values()].map((c) => c.state);
      expect(states).toEqual(['exited', 'exited']);
      expectCode(await stack.berth(['down', '--progress', 'quiet']), 0);
    } finally {
      stack.cleanup();
    }
  }, 90_000);

  it('--wait counts a one-shot that exited 0 as done; --exit-code-from returns that service\'s code', async () => {
    const stack = makeStack(`unix://${engine.socketPath}`, 'cw');
    try {
      stack.write(`
services:
  setup:
    image: busybox
    command: ["true"]
  app:
    image: busybox
    command: ["sh", "-c", "trap 'exit 0' TERM; sleep 2147483647 & wait"]
    depends_on: { setup: { condition: service_completed_successfully } }
`);
      expectCode(await stack.berth(['up', '-d', '--wait', '--wait-timeout', '30', '--progress', 'plain']), 0);
      expectCode(await stack.berth(['down', '--progress', 'quiet']), 0);

      stack.write(`
services:
  job:
    image: busybox
    command: ["sh", "-c", "echo working; exit 3"]
  side:
    image: busybox
    command: ["sh", "-c", "trap 'exit 0' TERM; sleep 2147483647 & wait"]
`);
      const r = await stack.berth(['up', '--exit-code-from', 'job', '--progress', 'quiet']);
      expect(r.code).toBe(3);
      expect(r.stdout).toMatch(/job-1 +\| working/);
      const states = [...(await stack.containers()).values()].map((c) => c.state).sort();
      expect(states).toEqual(['exited', 'exited']);
      expectCode(await stack.berth(['down', '--progress', 'quiet']), 0);
    } finally {
      stack.cleanup();
    }
  }, 90_000);
});
