// The real `docker` CLI against the built-in engine: `docker volume …`, `run -v/--mount/--tmpfs`
// and `docker cp` in both directions, asserting what a user sees and what lands on disk.

import { mkdirSync, mkdtempSync, readFileSync, readlinkSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runDockerCli, type CliResult } from '../helpers/docker-cli.js';
import { dockerCli, engineHost, requirePrereq } from '../../support/gates.js';
import { PASSWD } from '../helpers/images.js';
import { type TestEngine } from '../helpers/daemon-harness.js';
import { useTestEngine } from '../../support/engines.js';

const skip = requirePrereq('docker CLI volumes and cp against the built-in engine', [...engineHost(), dockerCli()]);

describe.skipIf(skip)('docker CLI: volumes and cp', () => {
  let engine: TestEngine;
  let work: string;
  const sfx = `${process.pid}`;

  const docker = (args: string[], opts: { input?: string | Buffer; cwd?: string } = {}): Promise<CliResult> =>
    runDockerCli(engine, args, { ...opts, cwd: opts.cwd ?? work, stdoutEncoding: 'latin1' });

  useTestEngine('clivol', (e) => {
    engine = e;
    work = mkdtempSync(path.join(engine.dir, 'work-'));
  });

  it('volume create, ls, inspect, rm; run -v writes data the next run reads', async () => {
    const v = `data${sfx}`;
    expect(await docker(['volume', 'create', '--label', 'team=infra', v])).toMatchObject({ code: 0, stdout: `${v}\n` });
    const ls = await docker(['volume', 'ls', '--format', '{{.Driver}} {{.Name}}']);
    expect(ls.stdout.split('\n')).toContain(`local ${v}`);
    expect((await docker(['volume', 'ls', '-q', '--filter', 'label=team=infra'])).stdout).toBe(`${v}\n`);
    const inspect = await docker(['volume', 'inspect', v, '--format', '{{.Driver}} {{.Scope}} {{.Mountpoint}} {{.Labels.team}}']);
    expect(inspect).toMatchObject({ code: 0, stdout: `local local ${path.join(engine.root, 'volumes', v, '_data')} infra\n` });

    expect(await docker(['run', '--rm', '-v', `${v}:/data`, 'busybox', 'sh', '-c', 'echo kept > /data/x'])).toMatchObject({ code: 0, stderr: '' });
    expect(await docker(['run', '--rm', '--mount', `type=volume,source=${v},target=/d,readonly`, 'busybox', 'sh', '-c', 'cat /d/x; touch /d/y'])).toMatchObject({
      code: 1,
      stdout: 'kept\n',
      stderr: expect.stringMatching(/Read-only file system/),
    });

    expect(await docker(['run', '-d', '--name', `holder${sfx}`, '-v', `${v}:/data`, 'busybox', 'sleep', '60'])).toMatchObject({ code: 0 });
    const inUse = await docker(['volume', 'rm', v]);
    expect(inUse.code).toBe(1);
    expect(inUse.stderr).toMatch(new RegExp(`remove ${v}: volume is in use`));
    expect((await docker(['inspect', '--format', '{{range .Mounts}}{{.Type}} {{.Name}} {{.Destination}} {{.RW}}{{end}}', `holder${sfx}`])).stdout).toBe(`volume ${v} /data true\n`);
    expect((await docker(['ps', '--filter', `name=holder${sfx}`, '--format', '{{.Mounts}}'])).stdout).toBe(`${v}\n`);
    expect((await docker(['ps', '-q', '--filter', `volume=${v}`])).stdout.trim()).not.toBe('');
    await docker(['rm', '-f', `holder${sfx}`]);
    expect(await docker(['volume', 'rm', v])).toMatchObject({ code: 0, stdout: `${v}\n` });
    const gone = await docker(['volume', 'inspect', v]);
    expect(gone.code).toBe(1);
    expect(gone.stderr).toMatch(/no such volume/i);
  }, 90_000);

  it('system df counts the containers of each volume, in any state, and leaves out volumes with driver options, as dockerd 20.10 does', async () => {
    const [a, b, t] = [`dfa${sfx}`, `dfb${sfx}`, `dft${sfx}`];
    expect((await docker(['volume', 'create', '--opt', 'type=tmpfs', '--opt', 'device=tmpfs', t])).code).toBe(0);
    expect(await docker(['run', '-d', '--name', `dfrun${sfx}`, '-v', `${a}:/a`, 'busybox', 'sleep', '60'])).toMatchObject({ code: 0 });
    expect(await docker(['create', '--name', `dfnew${sfx}`, '-v', `${a}:/a`, '-v', `${b}:/b`, '-v', `${t}:/t`, 'busybox', 'true'])).toMatchObject({ code: 0 });
    const df = await docker(['system', 'df', '-v', '--format', '{{json .Volumes}}']);
    expect(df.code, df.stderr).toBe(0);
    const links = Object.fromEntries((JSON.parse(df.stdout) as { Name: string; Links: string }[]).filter((v) => [a, b, t].includes(v.Name)).map((v) => [v.Name, v.Links]));
    expect(links).toEqual({ [a]: '2', [b]: '1' });
    expect((await docker(['rm', '-f', `dfrun${sfx}`, `dfnew${sfx}`])).code).toBe(0);
    expect((await docker(['volume', 'rm', a, b, t])).code).toBe(0);
  }, 60_000);

  it('anonymous volumes: kept by rm, removed by rm -v and run --rm, pruned by volume prune', async () => {
    const created = await docker(['create', '-v', '/anon', 'busybox', 'true']);
    const id = created.stdout.trim();
    const anon = (await docker(['inspect', '--format', '{{range .Mounts}}{{.Name}}{{end}}', id])).stdout.trim();
    expect(anon).toMatch(/^[0-9a-f]{64}$/);
    await docker(['rm', id]);
    expect((await docker(['volume', 'ls', '-q'])).stdout.split('\n')).toContain(anon);

    const second = (await docker(['create', '-v', '/anon', 'busybox', 'true'])).stdout.trim();
    const anon2 = (await docker(['inspect', '--format', '{{range .Mounts}}{{.Name}}{{end}}', second])).stdout.trim();
    await docker(['rm', '-v', second]);
    expect((await docker(['volume', 'ls', '-q'])).stdout.split('\n')).not.toContain(anon2);

    const before = new Set((await docker(['volume', 'ls', '-q'])).stdout.split('\n'));
    expect(await docker(['run', '--rm', '-v', '/scratch', 'busybox', 'touch', '/scratch/x'])).toMatchObject({ code: 0 });
    expect((await docker(['volume', 'ls', '-q'])).stdout.split('\n').filter((n) => !before.has(n))).toEqual([]);

    const named = `named${sfx}`;
    await docker(['volume', 'create', named]);
    const prune = await docker(['volume', 'prune', '-f']);
    expect(prune.code).toBe(0);
    expect(prune.stdout).toContain(anon);
    expect(prune.stdout).toMatch(/Total reclaimed space/);
    const apiVersion = (await docker(['version', '--format', '{{.Client.APIVersion}}'])).stdout.trim();
    if (Number(apiVersion.split('.')[1]) >= 42) {
      // API 1.42 on: prune takes anonymous volumes only, unless -a (all=true).
      expect(prune.stdout).not.toContain(named);
      const all = await docker(['volume', 'prune', '-a', '-f']);
      expect(all.stdout).toContain(named);
    } else {
      // Before 1.42 (Debian's 20.10 CLI speaks 1.41) prune takes every unused volume, named ones too.
      expect(prune.stdout).toContain(named);
    }
  }, 90_000);

  it('--tmpfs and a tmpfs-backed local volume limit the size', async () => {
    const t = await docker(['run', '--rm', '--tmpfs', '/t:size=1m', 'busybox', 'sh', '-c', 'dd if=/dev/zero of=/t/big bs=1024 count=2048']);
    expect(t.code).not.toBe(0);
    expect(t.stderr).toMatch(/No space left on device/);
    const tv = `tmpfs${sfx}`;
    expect((await docker(['volume', 'create', '--driver', 'local', '--opt', 'type=tmpfs', '--opt', 'device=tmpfs', '--opt', 'o=size=1m', tv])).code).toBe(0);
    const r = await docker(['run', '--rm', '-v', `${tv}:/v`, 'busybox', 'sh', '-c', 'grep " /v " /proc/mounts | cut -d" " -f3; dd if=/dev/zero of=/v/big bs=1024 count=2048']);
    expect(r.stdout).toBe('tmpfs\n');
    expect(r.stderr).toMatch(/No space left on device/);
    expect((await docker(['volume', 'rm', tv])).code).toBe(0);
  }, 60_000);

  it('cp copies files and directories into and out of running and stopped containers', async () => {
    const c = (await docker(['run', '-d', '--name', `cp${sfx}`, 'busybox', 'sleep', '60'])).stdout.trim();
    expect(c).toMatch(/^[0-9a-f]{64}$/);
    const src = path.join(work, 'src');
    mkdirSync(path.join(src, 'nested'), { recursive: true });
    writeFileSync(path.join(src, 'a.txt'), 'A\n');
    writeFileSync(path.join(src, 'nested/b.txt'), 'B\n');
    symlinkSync('a.txt', path.join(src, 'link'));

    // Host → container: a directory, then a single file to a new name.
    expect(await docker(['cp', src, `cp${sfx}:/tmp/`])).toMatchObject({ code: 0 });
    expect(await docker(['cp', path.join(src, 'a.txt'), `cp${sfx}:/tmp/renamed.txt`])).toMatchObject({ code: 0 });
    const ls = await docker(['exec', `cp${sfx}`, 'sh', '-c', 'cat /tmp/src/a.txt /tmp/src/nested/b.txt /tmp/renamed.txt; readlink /tmp/src/link']);
    expect(ls).toMatchObject({ code: 0, stdout: 'A\nB\nA\na.txt\n' });

    // Container → host: a file into a directory, a directory to a new name, and a tar on stdout.
    const out = path.join(work, 'out');
    mkdirSync(out);
    expect(await docker(['cp', `cp${sfx}:/etc/passwd`, out])).toMatchObject({ code: 0 });
    expect(readFileSync(path.join(out, 'passwd'), 'utf8')).toBe(PASSWD);
    await docker(['exec', `cp${sfx}`, 'sh', '-c', 'mkdir -p /srv/tree/deep && echo leaf > /srv/tree/deep/leaf && chmod 600 /srv/tree/deep/leaf']);
    expect(await docker(['cp', `cp${sfx}:/srv/tree`, path.join(out, 'copied')])).toMatchObject({ code: 0 });
    expect(readFileSync(path.join(out, 'copied/deep/leaf'), 'utf8')).toBe('leaf\n');
    expect(statSync(path.join(out, 'copied/deep/leaf')).mode & 0o777).toBe(0o600);
    const tar = await docker(['cp', `cp${sfx}:/srv/tree/deep/leaf`, '-']);
    expect(tar.code).toBe(0);
    expect(tar.stdout.slice(0, 4)).toBe('leaf');
    expect(tar.stdout).toContain('leaf\n');
    // A link is copied as a link; -L copies what it points to.
    expect(await docker(['cp', `cp${sfx}:/tmp/src/link`, path.join(out, 'asLink')])).toMatchObject({ code: 0 });
    expect(readlinkSync(path.join(out, 'asLink'))).toBe('a.txt');
    expect(await docker(['cp', '-L', `cp${sfx}:/tmp/src/link`, path.join(out, 'followed')])).toMatchObject({ code: 0 });
    expect(readFileSync(path.join(out, 'followed'), 'utf8')).toBe('A\n');

    const missing = await docker(['cp', `cp${sfx}:/no/such`, out]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/Could not find the file \/no\/such in container|No such container:path: cp\d+:\/no\/such/);

    // Stopped: the files are still there, and copying in works for the next start.
    await docker(['stop', '-t', '0', `cp${sfx}`]);
    expect(await docker(['cp', `cp${sfx}:/tmp/renamed.txt`, path.join(out, 'from-stopped.txt')])).toMatchObject({ code: 0 });
    expect(readFileSync(path.join(out, 'from-stopped.txt'), 'utf8')).toBe('A\n');
    expect(await docker(['cp', path.join(src, 'nested/b.txt'), `cp${sfx}:/root/`])).toMatchObject({ code: 0 });
    await docker(['start', `cp${sfx}`]);
    expect((await docker(['exec', `cp${sfx}`, 'cat', '/root/b.txt'])).stdout).toBe('B\n');
    await docker(['rm', '-f', `cp${sfx}`]);
  }, 90_000);

  it('cp into a container writes through into its named volume', async () => {
    const v = `cpvol${sfx}`;
    await docker(['create', '--name', `cpv${sfx}`, '-v', `${v}:/data`, 'busybox', 'cat', '/data/f.txt']);
    writeFileSync(path.join(work, 'f.txt'), 'through the volume\n');
    expect(await docker(['cp', path.join(work, 'f.txt'), `cpv${sfx}:/data/`])).toMatchObject({ code: 0 });
    expect(readFileSync(path.join(engine.root, 'volumes', v, '_data/f.txt'), 'utf8')).toBe('through the volume\n');
    expect(await docker(['start', '-a', `cpv${sfx}`])).toMatchObject({ code: 0, stdout: 'through the volume\n' });
    await docker(['rm', `cpv${sfx}`]);
    await docker(['volume', 'rm', v]);
  }, 60_000);
});
