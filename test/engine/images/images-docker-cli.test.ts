// Debian's docker client (20.10, /usr/bin/docker) against the built-in engine and real registries
// (distribution 2.8 on loopback, open and with htpasswd): push, pull with its progress bars, run,
// login, save/load, system df, image prune, and the errors a user sees. Each step asserts what
// the terminal shows and the exit status.
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DOCKER_CLI, runDockerCli, type CliResult } from '../helpers/docker-cli.js';
import { startTestEngine, type TestEngine } from '../helpers/daemon-harness.js';
import { engineHost, requirePrereq, tools } from '../../support/gates.js';
import { ENGINE_VERSION } from '../../../src/engine/daemon/engine.js';
import { startRegistry, type TestRegistry } from '../../support/registry.js';

const skip = requirePrereq('docker CLI image tests', [...engineHost(), ...tools(['docker-registry', 'htpasswd', DOCKER_CLI])]);

describe.skipIf(skip)('docker pull, push, login, save, load, system df and prune on the built-in engine', () => {
  let engine: TestEngine;
  let open: TestRegistry;
  let locked: TestRegistry;
  const docker = (args: string[], input?: string | Buffer): Promise<CliResult> => runDockerCli(engine, args, { input });

  beforeAll(async () => {
    [engine, open, locked] = await Promise.all([startTestEngine('imgcli'), startRegistry(), startRegistry({ auth: { htpasswd: { alice: 's3cret' } } })]);
  }, 60_000);

  afterAll(async () => {
    await engine?.close();
    await open?.stop();
    await locked?.stop();
  }, 60_000);

  it('pushes an image, pulls it back with per-layer progress, and runs it', async () => {
    const ref = `${open.host}/cli/busybox:1`;
    expect((await docker(['tag', 'busybox:latest', ref])).code).toBe(0);
    const push = await docker(['push', ref]);
    expect(push.stderr).toBe('');
    expect(push.stdout).toContain(`The push refers to repository [${open.host}/cli/busybox]`);
    expect(push.stdout).toMatch(/: Pushed\n/);
    expect(push.stdout).toMatch(/1: digest: sha256:[0-9a-f]{64} size: \d+/);
    const pushedDigest = /digest: (sha256:[0-9a-f]{64})/.exec(push.stdout)![1];

    // Without any image holding its layers, so the pull fetches them all.
    expect((await docker(['rmi', ref, 'busybox:latest'])).code).toBe(0);
    const pull = await docker(['pull', ref]);
    expect(pull.stderr).toBe('');
    expect(pull.code).toBe(0);
    expect(pull.stdout).toContain('1: Pulling from cli/busybox');
    expect(pull.stdout).toMatch(/[0-9a-f]{12}: Pull complete/);
    expect(pull.stdout).toContain(`Digest: ${pushedDigest}`);
    expect(pull.stdout).toContain(`Status: Downloaded newer image for ${ref}`);
    expect(pull.stdout.trim().split('\n').at(-1)).toBe(ref);

    expect(pull.stdout).toMatch(/[0-9a-f]{12}: Download complete/);
    const again = await docker(['pull', ref]);
    expect(again.stdout).toContain(`Status: Image is up to date for ${ref}`);
    expect((await docker(['tag', ref, 'busybox:latest'])).code).toBe(0);
    const run = await docker(['run', '--rm', ref, 'echo', 'pulled and running']);
    expect(run).toMatchObject({ code: 0, stdout: 'pulled and running\n' });
    const images = await docker(['images', '--digests', '--format', '{{.Repository}}:{{.Tag}} {{.Digest}}', `${open.host}/cli/busybox`]);
    expect(images.stdout).toBe(`${open.host}/cli/busybox:1 ${pushedDigest}\n`);
    const inspect = await docker(['image', 'inspect', '--format', '{{json .RepoDigests}}', ref]);
    expect(JSON.parse(inspect.stdout)).toEqual([`${open.host}/cli/busybox@${pushedDigest}`]);
  }, 60_000);

  it('says what is wrong with an unknown tag or repository, and with an unreachable registry', async () => {
    const tag = await docker(['pull', `${open.host}/cli/busybox:nope`]);
    expect(tag.code).not.toBe(0);
    expect(tag.stderr).toMatch(new RegExp(`Error response from daemon: ${open.host}/cli/busybox:nope.*manifest unknown.*MANIFEST_UNKNOWN`));
    const repo = await docker(['pull', `${open.host}/cli/nothing:1`]);
    expect(repo.stderr).toMatch(/cli\/nothing:1.*(NAME_UNKNOWN|MANIFEST_UNKNOWN)/);
    const down = await docker(['pull', '127.0.0.1:1/x:1']);
    expect(down.stderr).toMatch(/127\.0\.0\.1:1.*(refused|cannot reach)/i);
  }, 30_000);

  it('logs in to an htpasswd registry, pushes and pulls with the stored credentials, and refuses without them', async () => {
    const ref = `${locked.host}/private/busybox:1`;
    expect((await docker(['tag', 'busybox:latest', ref])).code).toBe(0);
    const anonymous = await docker(['push', ref]);
    expect(anonymous.code).not.toBe(0);
    expect(anonymous.stdout + anonymous.stderr).toMatch(/authentication required/i);
    const wrong = await docker(['login', '-u', 'alice', '--password-stdin', locked.host], 'nope\n');
    expect(wrong.code).not.toBe(0);
    expect(wrong.stderr).toMatch(/incorrect username or password/);
    const login = await docker(['login', '-u', 'alice', '--password-stdin', locked.host], 's3cret\n');
    expect(login.stdout).toContain('Login Succeeded');
    const push = await docker(['push', ref]);
    expect(push.code).toBe(0);
    expect((await docker(['rmi', ref])).code).toBe(0);
    const pull = await docker(['pull', ref]);
    expect(pull.stdout).toContain(`Status: Downloaded newer image for ${ref}`);
    expect((await docker(['logout', locked.host])).code).toBe(0);
    expect((await docker(['rmi', ref])).code).toBe(0);
    const refused = await docker(['pull', ref]);
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toMatch(new RegExp(`Error response from daemon: ${locked.host}/private/busybox:1.*authentication required.*docker login ${locked.host}`));
  }, 60_000);

  it('docker build pulls a base image it lacks, with the credentials the CLI sends (X-Registry-Config); without them it says so', async () => {
    const base = `${locked.host}/private/base:1`;
    const build = (tag: string, dockerfile: string): Promise<CliResult> =>
      runDockerCli(engine, ['build', '-q', '-t', tag, '-'], { input: dockerfile, env: { DOCKER_BUILDKIT: '0' } });
    expect((await docker(['login', '-u', 'alice', '--password-stdin', locked.host], 's3cret\n')).code).toBe(0);
    expect((await docker(['tag', 'busybox:latest', base])).code).toBe(0);
    expect((await docker(['push', base])).code).toBe(0);
    expect((await docker(['rmi', base])).code).toBe(0);
    // Logged in: the CLI sends its credentials per registry; the engine pulls the base for the build.
    const built = await build('fromprivate:1', `FROM ${base}\nRUN echo built > /marker\n`);
    expect(built.code, built.stderr).toBe(0);
    expect((await docker(['run', '--rm', 'fromprivate:1', 'cat', '/marker'])).stdout).toBe('built\n');
    expect((await docker(['image', 'inspect', '--format', '{{.Id}}', base])).code).toBe(0);
    // Logged out, with the base gone again: the pull is refused and the build says why.
    expect((await docker(['logout', locked.host])).code).toBe(0);
    expect((await docker(['rmi', 'fromprivate:1', base])).code).toBe(0);
    const refused = await build('fromprivate:2', `FROM ${base}\n`);
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toMatch(/pulling it failed: .*authentication required/);
  }, 90_000);

  it('saves and loads a pulled image with its registry digests, and the loaded copy runs', async () => {
    const ref = `${open.host}/cli/busybox:1`;
    const dir = path.join(engine.dir, 'saved');
    mkdirSync(dir);
    const archive = path.join(dir, 'busybox.tar');
    expect((await docker(['save', '-o', archive, ref])).code).toBe(0);
    expect(existsSync(archive)).toBe(true);
    const index = readFileSync(archive); // a tar: index.json and manifest.json are in it
    expect(index.includes(Buffer.from('manifest.json'))).toBe(true);
    expect((await docker(['rmi', ref])).code).toBe(0);
    const load = await docker(['load', '-i', archive]);
    expect(load.stdout).toContain(`Loaded image: ${ref}`);
    expect((await docker(['run', '--rm', ref, 'true'])).code).toBe(0);
  }, 60_000);

  it('commits a container to an image that runs with its change; rmi names the container that uses an image, as dockerd does', async () => {
    expect((await docker(['run', '--name', 'c1', '-e', 'Q=1', 'busybox:latest', 'sh', '-c', 'echo made > /made'])).code).toBe(0);
    const commit = await docker(['commit', 'c1', 'x:1']);
    expect(commit.code, commit.stderr).toBe(0);
    const c1 = (await docker(['inspect', '--format', '{{.Id}}', 'c1'])).stdout.trim();
    // As dockerd records a commit: the container, its whole config (the CLI sends none), the daemon's version.
    type Inspected = { Id: string; Container: string; DockerVersion: string; ContainerConfig: Record<string, unknown>; Config: Record<string, unknown> };
    const image = JSON.parse((await docker(['image', 'inspect', '--format', '{{json .}}', 'x:1'])).stdout) as Inspected;
    expect(image.Container).toBe(c1);
    expect(image.DockerVersion).toBe(ENGINE_VERSION);
    for (const config of [image.ContainerConfig, image.Config]) {
      expect(config).toMatchObject({ Hostname: c1.slice(0, 12), AttachStdout: true, Env: ['Q=1'], Cmd: ['sh', '-c', 'echo made > /made'], Image: 'busybox:latest', Volumes: null });
    }
    const run = await docker(['run', '--rm', 'x:1', 'cat', '/made']);
    expect(run).toMatchObject({ code: 0, stdout: 'made\n' });

    const id = image.Id.slice(7, 19);
    const user = (await docker(['create', 'x:1', 'true'])).stdout.trim().slice(0, 12);
    expect((await docker(['rmi', 'x:1'])).stderr).toBe(`Error response from daemon: conflict: unable to remove repository reference "x:1" (must force) - container ${user} is using its referenced image ${id}\n`);
    expect((await docker(['rmi', id])).stderr).toBe(`Error response from daemon: conflict: unable to delete ${id} (must be forced) - image is being used by stopped container ${user}\n`);
    const runner = (await docker(['run', '-d', 'x:1', 'sleep', '60'])).stdout.trim().slice(0, 12);
    expect((await docker(['rmi', '-f', id])).stderr).toBe(`Error response from daemon: conflict: unable to delete ${id} (cannot be forced) - image is being used by running container ${runner}\n`);
    expect((await docker(['rm', '-f', 'c1', user, runner])).code).toBe(0);
    expect((await docker(['rmi', 'x:1'])).code).toBe(0);
  }, 30_000);
  it('reports disk usage and prunes unused images', async () => {
    const df = await docker(['system', 'df']);
    expect(df.code).toBe(0);
    expect(df.stdout).toMatch(/^TYPE\s+TOTAL\s+ACTIVE\s+SIZE\s+RECLAIMABLE/m);
    expect(df.stdout).toMatch(/^Images\s+\d+\s+\d+/m);
    expect(df.stdout).toMatch(/^Build Cache\s+0\s+0\s+0B/m);
    const verbose = await docker(['system', 'df', '-v', '--format', '{{json .}}']);
    expect(verbose.code).toBe(0);
    // A dangling image (its only name taken by another) goes with `image prune`; named ones stay.
    expect((await docker(['tag', 'busybox:latest', 'dangling:x'])).code).toBe(0);
    expect((await docker(['pull', `${open.host}/cli/busybox:1`])).code).toBe(0);
    expect((await docker(['tag', `${open.host}/cli/busybox:1`, 'dangling:x'])).code).toBe(0);
    const prune = await docker(['image', 'prune', '-f']);
    expect(prune.code).toBe(0);
    expect(prune.stdout).toMatch(/Total reclaimed space: /);
    const all = await docker(['image', 'prune', '-a', '-f']);
    expect(all.stdout).toMatch(/deleted: sha256:[0-9a-f]{64}/);
    const left = await docker(['images', '--format', '{{.Repository}}:{{.Tag}}']);
    expect(left.stdout).toContain('berth/host:latest');
  }, 60_000);

});
