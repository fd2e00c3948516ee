// `berth build` and `up --build` on the built-in engine: a service with only `build:` is planned
// as a build, built through POST /build, run; progress shows one row per Dockerfile step with
// its cache verdict; a second build is all cache; a change rebuilds and `up` recreates.
import { mkdirSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { runCli } from '../cli/run-cli.js';
import path from 'node:path';
import Docker from 'dockerode';
import { describe, expect, it } from 'vitest';
import { type TestEngine } from '../engine/helpers/daemon-harness.js';
import { engineHost, requirePrereq } from '../support/gates.js';
import { useTestEngine } from '../support/engines.js';
import { expectCode, makeStack } from './scenario.js';

const skip = requirePrereq('compose builds on the built-in engine', engineHost());

const STACK = `
services:
  web:
    build:
      context: ./web
      args: { WHO: compose }
      target: final
      labels: { org.example.built-by: berth }
      tags: ["extra/web:tagged"]
    command: ["sh", "-c", "cat /msg; trap 'exit 0' TERM; while :; do sleep 1; done"]
  inline:
    build:
      context: ./web
      dockerfile_inline: |
        FROM busybox
        RUN echo inline > /inline
        CMD ["cat", "/inline"]
`;

const DOCKERFILE = `# syntax=docker/dockerfile:1
FROM busybox AS base
ARG WHO
RUN --mount=type=cache,target=/cache echo "hello $WHO" > /cache/last && cp /cache/last /msg
FROM base AS final
COPY note.txt /note.txt
`;

describe.skipIf(skip)('compose build on the built-in engine', () => {
  let engine: TestEngine;
  useTestEngine('cbuild', (e) => {
    engine = e;
  });

  it('berth build, then up: images built with args, target, labels, tags and inline Dockerfiles; rebuilds hit the cache; up --build recreates on change', async () => {
    const stack = makeStack(`unix://${engine.socketPath}`, 'bb');
    const docker = new Docker({ socketPath: engine.socketPath });
    try {
      mkdirSync(path.join(stack.dir, 'web'));
      writeFileSync(path.join(stack.dir, 'web', 'Dockerfile'), DOCKERFILE);
      writeFileSync(path.join(stack.dir, 'web', 'note.txt'), 'v1\n');
      stack.write(STACK);

      // The plan says what will be built and why.
      const dry = await stack.berth(['up', '--dry-run']);
      expectCode(dry, 0);
      expect(dry.stdout).toContain(`image ${stack.project}-web: build (image not found)`);

      const built = await stack.berth(['build', '--progress', 'json']);
      expectCode(built, 0);
      const rows = built.stderr.trim().split('\n').map((l) => JSON.parse(l) as { resource: string; name: string; status: string });
      expect(rows.some((r) => r.resource === 'Build' && /^web \d+\/\d+ RUN --mount=type=cache/.test(r.name) && r.status === 'Built')).toBe(true);
      const img = await docker.getImage(`${stack.project}-web`).inspect();
      expect(img.Config.Labels).toMatchObject({ 'org.example.built-by': 'berth' });
      expect((await docker.getImage('extra/web:tagged').inspect()).Id).toBe(img.Id);

      // Nothing changed: every step after FROM is a cache hit.
      const again = await stack.berth(['build', 'web', '--progress', 'json']);
      expectCode(again, 0);
      const steps = again.stderr.trim().split('\n').map((l) => JSON.parse(l) as { resource: string; name: string; status: string }).filter((r) => r.resource === 'Build' && r.status !== 'Building');
      expect(steps.length).toBeGreaterThan(0);
      expect(steps.filter((r) => r.status !== "Cached")).toEqual([]);

      expectCode(await stack.berth(['up', '-d', '--progress', 'quiet']), 0);
      const logs = async (name: string): Promise<string> => {
        for (let i = 0; i < 50; i++) {
          const b = (await docker.getContainer(name).logs({ stdout: true })) as unknown as Buffer;
          const text = b.toString('utf8').replace(/[\x00-\x08]/g, '');
          if (text.trim()) return text;
          await new Promise((r) => setTimeout(r, 100));
        }
        return '';
      };
      expect(await logs(`${stack.project}-web-1`)).toContain('hello compose');
      expect(await logs(`${stack.project}-inline-1`)).toContain('inline');
      const before = (await stack.containers()).get(`${stack.project}-web-1`)!.id;

      // A context file changes: up --build rebuilds from the COPY and recreates the service.
      writeFileSync(path.join(stack.dir, 'web', 'note.txt'), 'v2\n');
      const up = await stack.berth(['up', '-d', '--build', '--progress', 'plain', 'web']);
      expectCode(up, 0);
      expect(up.stderr).toMatch(/Build web \d+\/\d+ COPY note.txt \/note.txt\s+Built/);
      expect(up.stderr).toMatch(/Build web \d+\/\d+ RUN --mount=type=cache.*Cached/);
      expect((await stack.containers()).get(`${stack.project}-web-1`)!.id).not.toBe(before);

      // --no-build with a missing image is refused at planning.
      await docker.getImage(`${stack.project}-inline`).remove({ force: true });
      const nobuild = await stack.berth(['up', '-d', '--no-build', 'inline']);
      expect(nobuild.code).not.toBe(0);
      expect(nobuild.stderr).toContain('--no-build');

      // A failing build names the step and its output.
      writeFileSync(path.join(stack.dir, 'web', 'Dockerfile'), 'FROM busybox AS final\nRUN echo broken-step-output; exit 7\n');
      const failed = await stack.berth(['build', 'web', '--progress', 'plain']);
      expect(failed.code).not.toBe(0);
      expect(failed.stderr).toMatch(/exit code: 7/);
      expect(failed.stderr).toContain('broken-step-output');

      expectCode(await stack.berth(['down', '--progress', 'quiet']), 0);
    } finally {
      stack.cleanup();
    }
  }, 180_000);

  it('the quick start builds its web front end FROM berth/host and serves the page', async () => {
    const example = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../examples/quickstart');
    const port = await new Promise<number>((resolve) => {
      const srv = createServer().listen(0, '127.0.0.1', () => {
        const p = (srv.address() as { port: number }).port;
        srv.close(() => resolve(p));
      });
    });
    const project = `qs${process.pid}`;
    const env = { DOCKER_HOST: `unix://${engine.socketPath}`, PATH: process.env.PATH ?? '', WEB_PORT: String(port) };
    const berth = (args: string[]) => runCli(['-p', project, ...args], { cwd: example, env });
    try {
      expectCode(await berth(['up', '-d', '--wait', '--wait-timeout', '60', '--progress', 'plain']), 0);
      const res = await fetch(`http://127.0.0.1:${port}/`);
      expect(await res.text()).toBe('hello from berth\n');
      const built = await fetch(`http://127.0.0.1:${port}/build.txt`);
      expect(await built.text()).toBe('built by berth\n');
    } finally {
      expectCode(await berth(['down', '-v', '--progress', 'quiet']), 0);
    }
  }, 120_000);
});
