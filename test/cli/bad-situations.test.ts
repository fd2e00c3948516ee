// The situations a newcomer runs into, one table: each case is what a user would type, the exit
// code berth must give, and the one- or two-line message with its hint. The engine cases run on
// a real built-in engine (a held host port, a missing image, a socket the user may not open); the
// permission cases run the CLI as `nobody` (test/cli/as-user.mjs), since root reads everything.
import { spawnSync } from 'node:child_process';
import { chmodSync, chownSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestEngine } from '../engine/helpers/daemon-harness.js';
import { repoRoot } from '../corpus.js';
import { useTestEngine } from '../support/engines.js';
import { engineHost, requirePrereq } from '../support/gates.js';
import { runCli } from './run-cli.js';

const NOBODY = 65534;

interface Outcome {
  code: number | null;
  stderr: string;
}

interface Case {
  name: string;
  /** Files of the project directory. */
  files?: Record<string, string>;
  run: (ctx: { dir: string; engine: TestEngine }) => Promise<Outcome>;
  code: number;
  /** The message's lines, in order (one or two); the hint is in parentheses, on its own line or at the end. */
  lines: RegExp[];
}

describe('bad situations: exit code and a short message with a hint', () => {
  if (requirePrereq('bad situations', engineHost())) return;
  let engine: TestEngine;
  useTestEngine('badsit', (e) => {
    engine = e;
  });
  let base: string;
  let held: Server;
  let heldPort = 0;
  beforeAll(async () => {
    base = mkdtempSync('/tmp/berth-badsit-');
    chmodSync(base, 0o755);
    held = createServer();
    await new Promise<void>((resolve) => held.listen(0, '127.0.0.1', resolve));
    heldPort = (held.address() as { port: number }).port;
  });
  afterAll(async () => {
    await new Promise((resolve) => held?.close(resolve));
    rmSync(base, { recursive: true, force: true });
  });

  const inProcess = (args: string[], extraEnv: Record<string, string> = {}) => async ({ dir, engine: e }: { dir: string; engine: TestEngine }): Promise<Outcome> => {
    const r = await runCli(args, { cwd: dir, env: { DOCKER_HOST: `unix://${e.socketPath}`, ...extraEnv } });
    return { code: r.code, stderr: r.stderr };
  };
  const asNobody = (args: string[], dockerHost: (e: TestEngine) => string) => async ({ dir, engine: e }: { dir: string; engine: TestEngine }): Promise<Outcome> => {
    const r = spawnSync(process.execPath, [path.join(repoRoot, 'test', 'cli', 'as-user.mjs'), String(NOBODY), String(NOBODY), ...args], {
      cwd: dir,
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', DOCKER_HOST: dockerHost(e) },
      encoding: 'utf8',
      timeout: 30_000,
    });
    return { code: r.status, stderr: r.stderr };
  };
  const service = (body: string) => ({ 'compose.yaml': `name: badsit\nservices:\n  web:\n${body}` });

  const cases: Case[] = [
    {
      name: 'a compose file that is not there',
      run: inProcess(['-f', 'nothere.yaml', 'config']),
      code: 1,
      lines: [/nothere\.yaml: -f nothere\.yaml: no such file \(check the path, relative to the working directory\)$/],
    },
    {
      name: 'a compose file the user may not read',
      files: { 'compose.yaml': 'services:\n  web:\n    image: busybox\n' },
      run: async (ctx) => {
        chmodSync(path.join(ctx.dir, 'compose.yaml'), 0o600);
        return asNobody(['config'], (e) => `unix://${e.socketPath}`)(ctx);
      },
      code: 1,
      lines: [/compose\.yaml: cannot read the compose file: permission denied \(EACCES\) \(check its permissions: this user \(uid 65534\) must be able to read it\)$/],
    },
    {
      name: 'invalid YAML, located',
      files: { 'compose.yaml': 'services:\n  web:\n    image: [busybox\n' },
      run: inProcess(['config']),
      code: 1,
      lines: [/compose\.yaml:4:1: invalid YAML: .*\]/],
    },
    {
      name: 'invalid interpolation, located, naming the variable',
      files: service('    image: ${IMAGE:?set IMAGE to the image to run}\n'),
      run: inProcess(['config']),
      code: 1,
      lines: [/compose\.yaml:4:5: error while interpolating services\.web\.image: required variable IMAGE is missing a value: set IMAGE to the image to run \(set IMAGE in the shell environment or in the project's \.env file\)$/],
    },
    {
      name: 'an unknown service on the command line, before any engine',
      files: service('    image: busybox\n'),
      // No engine at all: the usage error must come first.
      run: inProcess(['up', '-d', 'wbe'], { DOCKER_HOST: 'unix:///nonexistent/engine.sock' }),
      code: 2,
      lines: [/^no such service: wbe \(the stack has web\)$/],
    },
    {
      name: 'a host port already in use',
      files: service('    image: busybox\n    command: ["httpd", "-f", "-p", "80"]\n    ports: ["127.0.0.1:HELD:80"]\n'),
      run: async (ctx) => inProcess(['up', '-d', '--progress', 'quiet'])(ctx),
      code: 1,
      lines: [/^services\.web\.ports: container badsit-web-1 cannot start: Bind for 127\.0\.0\.1:HELD\/tcp failed: port is already allocated \(free that host port, or publish the service on another one\)$/],
    },
    {
      name: 'an image that is missing, with pull_policy never',
      files: service('    image: badsit/absent:1\n    pull_policy: never\n'),
      run: inProcess(['up', '-d', '--progress', 'quiet']),
      code: 1,
      lines: [/^services\.web\.pull_policy: image badsit\/absent:1 for service "web" is not on the engine, and its pull policy is never \(pull it \(berth pull web\), load it, or change the pull policy\)$/],
    },
    {
      name: 'an image whose registry does not answer (loopback, nothing listening)',
      files: service('    image: 127.0.0.1:9/badsit/absent:1\n'),
      run: inProcess(['up', '-d', '--progress', 'quiet']),
      code: 1,
      lines: [/^pull of 127\.0\.0\.1:9\/badsit\/absent:1 \(for web\) failed: .*cannot reach 127\.0\.0\.1:9: .*ECONNREFUSED/, /^\(check the image name and tag, and that you are logged in to its registry \(docker login\)\)$/],
    },
    {
      name: 'no engine running where DOCKER_HOST points',
      files: service('    image: busybox\n'),
      run: inProcess(['ps'], { DOCKER_HOST: 'unix:///nonexistent/engine.sock' }),
      code: 1,
      lines: [/^no container engine available: DOCKER_HOST unix:\/\/\/nonexistent\/engine\.sock: nothing at unix:\/\/\/nonexistent\/engine\.sock \(no socket: the engine is not running there\)$/, /^\(start one with `berth engine start` as root, or point DOCKER_HOST at a Docker Engine\)$/],
    },
    {
      name: 'an engine socket the user may not open',
      files: service('    image: busybox\n'),
      run: asNobody(['ps'], (e) => `unix://${e.socketPath}`),
      code: 1,
      lines: [/^no container engine available: DOCKER_HOST unix:\/\/.*engine\.sock: permission denied on unix:\/\/.*engine\.sock: run as root, or as a member of the socket's group \(uid 65534 here\)$/, /^\(start one/],
    },
  ];

  for (const c of cases) {
    it(c.name, async () => {
      const dir = path.join(base, c.name.replace(/[^a-z0-9]+/gi, '-'));
      mkdirSync(dir);
      for (const [name, text] of Object.entries(c.files ?? {})) writeFileSync(path.join(dir, name), text.replaceAll('HELD', String(heldPort)));
      chownSync(dir, 0, 0);
      const r = await c.run({ dir, engine });
      const lines = r.stderr.replace(/\n$/, '').split('\n').filter((l) => l.trim() !== '');
      const want = c.lines.map((re) => new RegExp(re.source.replaceAll('HELD', String(heldPort)), re.flags));
      expect({ code: r.code, lines: lines.length }, r.stderr).toEqual({ code: c.code, lines: want.length });
      want.forEach((re, i) => expect(lines[i], r.stderr).toMatch(re));
      // Nothing of the stack may stay behind after a failed up.
      await runCli(['down', '-t', '0', '--progress', 'quiet'], { cwd: dir, env: { DOCKER_HOST: `unix://${engine.socketPath}` } });
    });
  }
});
