// The builder on a real built-in engine through dockerode's buildImage (the legacy builder API):
// every instruction, multi-stage with --target, heredocs and cache mounts, per-step cache hits
// read from the JSON stream, failures located at their Dockerfile line, and images that run.
import Docker from 'dockerode';
import { describe, expect, it } from 'vitest';
import { engineHost, requirePrereq } from '../../support/gates.js';
import { useTestEngine } from '../../support/engines.js';
import { demuxBuffer } from '../../support/streams.js';
import type { TestEngine } from '../helpers/daemon-harness.js';
import { build } from './build-helpers.js';

const skip = requirePrereq('builder on the built-in engine', engineHost());

async function runImage(docker: Docker, image: string, cmd?: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const c = await docker.createContainer({ Image: image, ...(cmd ? { Cmd: cmd } : {}) });
  await c.start();
  const { StatusCode } = await c.wait();
  const logs = (await c.logs({ stdout: true, stderr: true })) as unknown as Buffer;
  await c.remove({ force: true });
  const { stdout, stderr } = await demuxBuffer(docker, logs);
  return { code: StatusCode, stdout, stderr };
}

describe.skipIf(skip)('builder: POST /build on the built-in engine', () => {
  let engine: TestEngine;
  let docker: Docker;
  useTestEngine('build', (e) => {
    engine = e;
    docker = new Docker({ socketPath: engine.socketPath });
  });

  it('builds a multi-stage Dockerfile with heredocs, COPY --from and config, and the image runs', async () => {
    const files = {
      Dockerfile: [
        '# syntax=docker/dockerfile:1',
        'FROM busybox AS build',
        'WORKDIR /src',
        'COPY app.sh ./',
        'RUN <<EOF',
        'set -e',
        'mkdir -p /out',
        'sed "s/NAME/berth/" app.sh > /out/app.sh',
        'chmod 755 /out/app.sh',
        'EOF',
        'FROM busybox',
        'ENV GREETING=hello',
        'COPY --from=build /out/app.sh /usr/local/bin/app',
        'COPY <<EOF /etc/motd',
        'built by ${GREETING}',
        'EOF',
        'LABEL org.example.k=v',
        'EXPOSE 8080',
        'USER 1000:1000',
        'CMD ["/usr/local/bin/app"]',
        '',
      ].join('\n'),
      'app.sh': '#!/bin/sh\necho "$GREETING from NAME"; cat /etc/motd\n',
    };
    const out = await build(docker, files, { t: 'app:1' });
    expect(out.error).toBeUndefined();
    expect(out.imageId).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(out.text).toContain('Successfully tagged app:1');
    const inspect = await docker.getImage('app:1').inspect();
    expect(inspect.Config).toMatchObject({ User: '1000:1000', Cmd: ['/usr/local/bin/app'], Labels: { 'org.example.k': 'v' }, ExposedPorts: { '8080/tcp': {} } });
    expect(inspect.Config.Env).toContain('GREETING=hello');
    const run = await runImage(docker, 'app:1');
    expect(run).toMatchObject({ code: 0, stdout: 'hello from berth\nbuilt by hello\n' });

    // Nothing changed: every step comes from the cache, and the image is the same.
    const again = await build(docker, files, { t: 'app:1' });
    expect(again.steps.filter((s) => !s.text.startsWith('FROM')).every((s) => s.cached)).toBe(true);
    expect(again.imageId).toBe(out.imageId);

    // One source changed: the build stage's COPY of it and what follows rebuild; the config steps before stay cached.
    const changed = await build(docker, { ...files, 'app.sh': '#!/bin/sh\necho "$GREETING again from NAME"\n' }, { t: 'app:2' });
    const verdict = (prefix: string): boolean | undefined => changed.steps.find((s) => s.text.startsWith(prefix))?.cached;
    expect(verdict('WORKDIR /src')).toBe(true);
    expect(verdict('COPY app.sh')).toBe(false);
    expect(verdict('RUN <<EOF')).toBe(false);
    expect(verdict('ENV GREETING=hello')).toBe(true);
    expect((await runImage(docker, 'app:2')).stdout).toBe('hello again from berth\n');
  }, 120_000);

  it('a failing RUN names its step, Dockerfile line, exit code and output', async () => {
    const out = await build(docker, { Dockerfile: 'FROM busybox\nRUN echo first\nRUN echo to-stderr >&2; exit 3\n' });
    expect(out.error).toMatch(/Dockerfile:3:1/);
    expect(out.error).toMatch(/exit code: 3/);
    expect(out.error).toMatch(/to-stderr/);
  }, 60_000);

  it('--target builds only the stages the target needs', async () => {
    const out = await build(docker, { Dockerfile: 'FROM busybox AS a\nRUN echo a > /a\nFROM busybox AS b\nRUN exit 1\nFROM a AS c\nRUN cat /a\n' }, { target: 'c', t: 'target:c' });
    expect(out.error).toBeUndefined();
    expect(out.steps.map((s) => s.text)).not.toContain('RUN exit 1');
  }, 60_000);
});
