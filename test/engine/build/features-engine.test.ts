// Builder features on a real engine: cache mounts that persist across builds (and --no-cache),
// COPY flags (--chown by name, --chmod, --link, globs, ADD of a local tar), WORKDIR/USER/SHELL/
// HEALTHCHECK/STOPSIGNAL/VOLUME/ENTRYPOINT/ONBUILD in the config, and hostile contexts that try
// to reach outside the context or the layer.
import { createHash } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import Docker from 'dockerode';
import { describe, expect, it } from 'vitest';
import { engineHost, requirePrereq } from '../../support/gates.js';
import { useTestEngine } from '../../support/engines.js';
import { demuxBuffer } from '../../support/streams.js';
import { writeTar } from '../../../src/lib/tar.js';
import type { TestEngine } from '../helpers/daemon-harness.js';
import { build } from './build-helpers.js';

const skip = requirePrereq('builder features on the built-in engine', engineHost());

async function run(docker: Docker, image: string, script: string): Promise<string> {
  const c = await docker.createContainer({ Image: image, Entrypoint: ['/bin/sh', '-c'], Cmd: [script], User: '0' });
  await c.start();
  await c.wait();
  const logs = (await c.logs({ stdout: true, stderr: true })) as unknown as Buffer;
  await c.remove({ force: true });
  const { stdout, stderr } = await demuxBuffer(docker, logs);
  return stdout + stderr;
}

async function tarOf(entries: Parameters<typeof writeTar>[0]): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of writeTar(entries)) chunks.push(c);
  return Buffer.concat(chunks).toString('latin1');
}

describe.skipIf(skip)('builder features on the built-in engine', () => {
  let engine: TestEngine;
  let docker: Docker;
  useTestEngine('bfeat', (e) => {
    engine = e;
    docker = new Docker({ socketPath: engine.socketPath });
  });

  it('cache mounts keep their content across builds, even with --no-cache; shared by id', async () => {
    const files = {
      Dockerfile: [
        'FROM busybox',
        'RUN --mount=type=cache,id=counter,target=/c sh -c \'n=$(cat /c/n 2>/dev/null || echo 0); echo $((n+1)) > /c/n; cp /c/n /count\'',
        'RUN --mount=type=cache,id=counter,target=/again,sharing=locked cat /again/n > /seen',
      ].join('\n'),
    };
    expect((await build(docker, files, { t: 'cm:1' })).error).toBeUndefined();
    expect(await run(docker, 'cm:1', 'cat /count /seen')).toBe('1\n1\n');
    const again = await build(docker, files, { t: 'cm:2', nocache: true });
    expect(again.error).toBeUndefined();
    expect(again.steps.filter((s) => s.text.startsWith('RUN')).every((s) => !s.cached)).toBe(true);
    expect(await run(docker, 'cm:2', 'cat /count')).toBe('2\n');
    // The cache mount's content is not in the image.
    expect(await run(docker, 'cm:2', 'ls /c')).toMatch(/No such file|^$/);
  }, 90_000);

  it('--no-cache re-runs RUN but keeps COPY of unchanged files when its parent is the same', async () => {
    const files = { Dockerfile: 'FROM busybox\nCOPY a.txt /a.txt\nRUN date +%N > /stamp\n', 'a.txt': 'a\n' };
    expect((await build(docker, files)).error).toBeUndefined();
    const nc = await build(docker, files, { nocache: true });
    const verdict = Object.fromEntries(nc.steps.map((s) => [s.text.split(' ')[0], s.cached]));
    expect(verdict).toMatchObject({ COPY: true, RUN: false });
  }, 60_000);

  it('COPY --chown by name, --chmod, --link, globs, ADD of a local tar, and the config instructions', async () => {
    const archive = await tarOf([{ path: 'pkg/', type: 'directory', mode: 0o755 }, { path: 'pkg/readme', body: 'from the tar\n', mode: 0o640, uid: 7, gid: 8 }]);
    const files = {
      Dockerfile: [
        'FROM busybox',
        'RUN echo "bld7:x:1234:2345::/home/bld7:/bin/sh" >> /etc/passwd && echo "bld7:x:2345:" >> /etc/group',
        'COPY --chown=bld7:bld7 --chmod=0750 src/*.sh /opt/bin/',
        'COPY --link one.txt /linked/one.txt',
        'ADD pkg.tar /unpacked/',
        'WORKDIR /work/dir',
        'SHELL ["/bin/sh", "-ec"]',
        'RUN pwd > /pwd',
        'USER bld7',
        'HEALTHCHECK --interval=5s --retries=2 CMD ["true"]',
        'STOPSIGNAL SIGINT',
        'VOLUME /data',
        'ONBUILD RUN echo child',
        'ENTRYPOINT ["/bin/sh", "-c"]',
        'CMD ["id -u"]',
      ].join('\n'),
      'src/a.sh': 'echo a\n',
      'src/b.sh': 'echo b\n',
      'src/c.txt': 'not copied\n',
      'one.txt': 'one\n',
      'pkg.tar': { data: archive, mode: 0o644 },
    };
    const out = await build(docker, files as never, { t: 'feat:1' });
    expect(out.error).toBeUndefined();
    expect(await run(docker, 'feat:1', 'stat -c "%n %u %g %a" /opt/bin/*; ls /opt/bin; cat /linked/one.txt /unpacked/pkg/readme /pwd; stat -c "%u %g %a" /unpacked/pkg/readme')).toBe(
      '/opt/bin/a.sh 1234 2345 750\n/opt/bin/b.sh 1234 2345 750\na.sh\nb.sh\none\nfrom the tar\n/work/dir\n7 8 640\n',
    );
    const cfg = (await docker.getImage('feat:1').inspect()).Config;
    expect(cfg).toMatchObject({ User: 'bld7', WorkingDir: '/work/dir', StopSignal: 'SIGINT', Volumes: { '/data': {} }, OnBuild: ['RUN echo child'], Entrypoint: ['/bin/sh', '-c'], Cmd: ['id -u'], Healthcheck: { Test: ['CMD', 'true'], Interval: 5e9, Retries: 2 } });

    // A child image runs the ONBUILD trigger.
    const child = await build(docker, { Dockerfile: 'FROM feat:1\n' }, { t: 'feat:child' });
    expect(child.error).toBeUndefined();
    expect(child.text).toContain('child\n');
  }, 120_000);

  it('hostile contexts never reach outside the context or the layer', async () => {
    // A symlink out of the context is copied as a symlink, and a bind mount through it stays in the context.
    const link = await build(docker, {
      Dockerfile: 'FROM busybox\nCOPY out /out\nRUN --mount=type=bind,source=out,target=/m ls /m > /listing 2>&1 || true\n',
      out: { symlink: '/etc' },
    } as never, { t: 'hostile:1' });
    expect(link.error ?? '').toMatch(/not found|^$/);
    if (!link.error) expect(await run(docker, 'hostile:1', 'readlink /out')).toBe('/etc\n');

    // `..` in a COPY source is refused at its line; an archive entry climbing out is refused.
    const up = await build(docker, { Dockerfile: 'FROM busybox\nCOPY ../../etc/passwd /x\n' });
    expect(up.error).toMatch(/Dockerfile:2.*outside the build context/);
    const evil = await tarOf([{ path: '../../evil', body: 'x' }]);
    const bad = await build(docker, { Dockerfile: 'FROM busybox\nADD evil.tar /target/\n', 'evil.tar': { data: evil } } as never);
    expect(bad.error).toMatch(/climbs out/);

    // A missing source says whether .dockerignore excluded it.
    const ignored = await build(docker, { Dockerfile: 'FROM busybox\nCOPY secret.txt /\n', 'secret.txt': 's', '.dockerignore': 'secret.txt\n' });
    expect(ignored.error).toMatch(/excluded by \.dockerignore/);
  }, 90_000);

  it('the cache survives an engine restart; builder prune empties it and df lists it', async () => {
    const files = { Dockerfile: 'FROM busybox\nCOPY a.txt /a.txt\nRUN cat /a.txt > /b.txt\n', 'a.txt': 'persist\n' };
    expect((await build(docker, files, { t: 'restart:1' })).error).toBeUndefined();
    await engine.restartDaemon();
    docker = new Docker({ socketPath: engine.socketPath });
    const again = await build(docker, files, { t: 'restart:1' });
    expect(again.steps.filter((s) => !s.text.startsWith('FROM')).every((s) => s.cached)).toBe(true);
    const usage = await engine.daemon.engine.build.usage();
    expect(usage.some((r) => r.Description.includes('RUN cat /a.txt'))).toBe(true);
    const pruned = (await docker.pruneBuilder()) as { CachesDeleted: string[]; SpaceReclaimed: number };
    expect(pruned.CachesDeleted.length).toBeGreaterThan(0);
    const cold = await build(docker, files, { t: 'restart:1' });
    expect(cold.steps.find((s) => s.text.startsWith('RUN'))?.cached).toBe(false);
  }, 90_000);

  it('COPY --from keys on the content it takes: a stage rebuilt into the same files leaves the copying stage cached', async () => {
    const files = (comment: string) => ({
      Dockerfile: 'FROM busybox AS build\nCOPY src.txt /src.txt\nRUN grep -v "^#" /src.txt > /out.txt\nFROM busybox\nCOPY --from=build /out.txt /out.txt\nRUN cat /out.txt\n',
      'src.txt': `${comment}\nbody\n`,
    });
    expect((await build(docker, files('# one'))).error).toBeUndefined();
    const again = await build(docker, files('# two'));
    const verdict = again.steps.map((s) => [s.text.split(' ').slice(0, 2).join(' '), s.cached]);
    // The build stage reruns (its source changed), its output is the same: the final stage stays cached.
    expect(verdict).toEqual([
      ['FROM docker.io/library/busybox:latest', true], ['COPY src.txt', false], ['RUN grep', false],
      ['FROM docker.io/library/busybox:latest', true], ['COPY --from=build', true], ['RUN cat', true],
    ]);
  }, 60_000);

  it('ADD of a URL (loopback) with --checksum; a wrong checksum fails the step; SOURCE_DATE_EPOCH makes the layers reproducible', async () => {
    const body = 'downloaded\n';
    const server = createServer((_req, res) => {
      res.setHeader('Last-Modified', new Date(1_600_000_000_000).toUTCString());
      res.end(body);
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/files/data.txt`;
    const sum = `sha256:${createHash('sha256').update(body).digest('hex')}`;
    try {
      const ok = await build(docker, { Dockerfile: `FROM busybox\nADD --checksum=${sum} ${url} /dl/\n` }, { t: 'url:1' });
      expect(ok.error).toBeUndefined();
      expect(await run(docker, 'url:1', 'cat /dl/data.txt; stat -c %a /dl/data.txt')).toBe('downloaded\n600\n');
      const bad = await build(docker, { Dockerfile: `FROM busybox\nADD --checksum=sha256:${'0'.repeat(64)} ${url} /dl/\n` });
      expect(bad.error).toMatch(/checksum mismatch/);
      // Two builds of the same content with SOURCE_DATE_EPOCH (a build arg, as BuildKit takes it) give one image id.
      const files = { Dockerfile: 'FROM busybox\nCOPY a.txt /a.txt\nRUN echo x > /x\n', 'a.txt': 'a\n' };
      const one = await build(docker, files, { nocache: true, buildargs: { SOURCE_DATE_EPOCH: '1700000000' } });
      const two = await build(docker, files, { nocache: true, buildargs: { SOURCE_DATE_EPOCH: '1700000000' } });
      expect(one.imageId).toBeDefined();
      expect(two.imageId).toBe(one.imageId);
    } finally {
      server.close();
    }
  }, 60_000);
});
