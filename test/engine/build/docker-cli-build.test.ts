// Clients we did not write: `DOCKER_BUILDKIT=0 docker build` (the classic builder API) against
// the built-in engine builds a multi-stage Dockerfile with heredocs and cache mounts, and the
// image runs; `docker build` with BuildKit is told how to build instead. Images move between
// engines with save/load and run the same: berth → dockerd, and dockerd's classic build → berth.
import { mkdtempSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { dockerCli, dockerd, engineHost, requirePrereq } from '../../support/gates.js';
import { usePrivateDockerd, useTestEngine } from '../../support/engines.js';
import type { PrivateDockerd } from '../../compose/dockerd.js';
import type { TestEngine } from '../helpers/daemon-harness.js';
import { DOCKER_CLI, runDockerCli } from '../helpers/docker-cli.js';

const skip = requirePrereq('docker build against the built-in engine', [...engineHost(), dockerCli()]);
const skipCross = skip || requirePrereq('images between berth and dockerd', dockerd());

const DOCKERFILE = `# syntax=docker/dockerfile:1
FROM busybox AS build
WORKDIR /src
COPY greet.txt .
RUN --mount=type=cache,target=/var/cache/app <<EOF
set -e
echo "cached $(date +%s)" > /var/cache/app/stamp
tr a-z A-Z < greet.txt > /src/GREET
EOF

FROM busybox
COPY --from=build /src/GREET /GREET
COPY <<'EOF' /run.sh
#!/bin/sh
echo "$(cat /GREET) on $1"
EOF
RUN chmod +x /run.sh
ENTRYPOINT ["/run.sh"]
CMD ["berth"]
`;

function contextDir(): string {
  const dir = mkdtempSync('/tmp/berth-cli-build-');
  writeFileSync(path.join(dir, 'Dockerfile'), DOCKERFILE);
  writeFileSync(path.join(dir, 'greet.txt'), 'hello\n');
  mkdirSync(path.join(dir, 'ignored'));
  writeFileSync(path.join(dir, 'ignored', 'big.bin'), 'x'.repeat(1000));
  writeFileSync(path.join(dir, '.dockerignore'), 'ignored\n');
  return dir;
}

describe.skipIf(skip)('docker build (classic builder) on the built-in engine', () => {
  let engine: TestEngine;
  let dockerdEngine: PrivateDockerd | undefined;
  useTestEngine('clibuild', (e) => {
    engine = e;
  });
  if (!skipCross) {
    usePrivateDockerd('clibuild', (d) => {
      dockerdEngine = d;
    });
  }

  it('DOCKER_BUILDKIT=0 docker build: multi-stage, heredocs, cache mount; the image runs; BuildKit is refused with advice', async () => {
    const dir = contextDir();
    try {
      const built = await runDockerCli(engine, ['build', '-t', 'cli/app:1', '.'], { cwd: dir, env: { DOCKER_BUILDKIT: '0' } });
      expect(built.stderr).toBe('');
      expect(built.code).toBe(0);
      expect(built.stdout).toMatch(/Step 1\/\d+ : FROM docker.io\/library\/busybox:latest/);
      expect(built.stdout).toContain('Successfully tagged cli/app:1');
      const run = await runDockerCli(engine, ['run', '--rm', 'cli/app:1']);
      expect(run.stdout).toBe('HELLO on berth\n');
      const cached = await runDockerCli(engine, ['build', '-q', '-t', 'cli/app:1', '.'], { cwd: dir, env: { DOCKER_BUILDKIT: '0' } });
      expect(cached.code).toBe(0);
      expect(cached.stdout.trim()).toMatch(/^sha256:[0-9a-f]{64}$/);

      const bk = await runDockerCli(engine, ['build', '.'], { cwd: dir, env: { DOCKER_BUILDKIT: '1' } });
      expect(bk.code).not.toBe(0);
      expect(bk.stderr).toMatch(/DOCKER_BUILDKIT=0|berth build|session/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);

  it.skipIf(skipCross)('an image built by berth runs the same on dockerd (save/load), and one built by dockerd runs on berth', async () => {
    const d = dockerdEngine!;
    const dir = contextDir();
    const tar = path.join(dir, 'image.tar');
    try {
      expect((await runDockerCli(engine, ['build', '-t', 'cross/app:1', '.'], { cwd: dir, env: { DOCKER_BUILDKIT: '0' } })).code).toBe(0);
      expect((await runDockerCli(engine, ['save', '-o', tar, 'cross/app:1'])).code).toBe(0);
      const env = { ...process.env, DOCKER_HOST: d.dockerHost, DOCKER_BUILDKIT: '0', HOME: dir };
      expect(spawnSync(DOCKER_CLI, ['load', '-i', tar], { env, encoding: 'utf8' }).status).toBe(0);
      const onDockerd = spawnSync(DOCKER_CLI, ['run', '--rm', '--network', 'none', 'cross/app:1', 'dockerd'], { env, encoding: 'utf8' });
      expect(onDockerd.stdout).toBe('HELLO on dockerd\n');

      // The reverse: a classic build on dockerd (no heredocs or mounts there), loaded into berth.
      const other = mkdtempSync('/tmp/berth-cli-build-d-');
      writeFileSync(path.join(other, 'Dockerfile'), 'FROM busybox\nRUN echo from-dockerd > /msg\nCMD ["cat", "/msg"]\n');
      const b = spawnSync(DOCKER_CLI, ['build', '--network', 'none', '-t', 'reverse/app:1', other], { env, encoding: 'utf8' });
      expect(b.status).toBe(0);
      const rtar = path.join(other, 'r.tar');
      expect(spawnSync(DOCKER_CLI, ['save', '-o', rtar, 'reverse/app:1'], { env }).status).toBe(0);
      expect((await runDockerCli(engine, ['load', '-i', rtar])).code).toBe(0);
      expect((await runDockerCli(engine, ['run', '--rm', 'reverse/app:1'])).stdout).toBe('from-dockerd\n');
      // And berth builds on top of dockerd's image.
      writeFileSync(path.join(other, 'Dockerfile'), 'FROM reverse/app:1\nRUN cat /msg > /copy\nCMD ["cat", "/copy"]\n');
      expect((await runDockerCli(engine, ['build', '-t', 'reverse/child:1', other], { env: { DOCKER_BUILDKIT: '0' } })).code).toBe(0);
      expect((await runDockerCli(engine, ['run', '--rm', 'reverse/child:1'])).stdout).toBe('from-dockerd\n');
      rmSync(other, { recursive: true, force: true });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 180_000);
});
