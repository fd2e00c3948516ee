// Images between berth's engine and tools nobody here wrote, through a real registry
// (distribution 2.8 on loopback): a fidelity image made by GNU tar, setcap and umoci and pushed
// by skopeo; a private dockerd (Debian docker.io); Debian's docker client. One scenario per test:
// the image crosses a boundary, a container of it runs, and its root filesystem (whiteouts
// applied, opaque dir, hard links, symlinks, xattrs, file capabilities, setuid bits, owners) is
// compared with what dockerd made of the same image. And a real Debian base (mmdebstrap, five
// layers) pulled and verified with dpkg --verify inside a container.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RegistryClient, staticCredentials } from '../../../src/engine/distribution/index.js';
import { startDockerd, type PrivateDockerd } from '../../compose/dockerd.js';
import { debianImage, pushCachedImage } from '../../support/debian-base.js';
import { buildFidelityImage, pushLayout, treeOf } from '../../support/fidelity-image.js';
import { dockerd, engineHost, requirePrereq, tools } from '../../support/gates.js';
import { startRegistry, type TestRegistry } from '../../support/registry.js';
import { DOCKER_CLI, runDockerCli, type CliResult } from '../helpers/docker-cli.js';
import { startTestEngine, type TestEngine } from '../helpers/daemon-harness.js';

const skip = requirePrereq('image interop and fidelity tests', [...engineHost(), dockerd(), ...tools(['docker-registry', 'skopeo', 'umoci', 'setcap', 'getcap', 'mkfifo', 'mmdebstrap', DOCKER_CLI])]);

describe.skipIf(skip)('images across berth, dockerd, skopeo and a registry', () => {
  let engine: TestEngine;
  let registry: TestRegistry;
  let dockerd: PrivateDockerd;
  let work: string;
  let expected = '';
  const berth = (args: string[]): Promise<CliResult> => runDockerCli(engine, args);
  const docker = (args: string[]): Promise<CliResult> => runDockerCli({ dir: work, socketPath: dockerd.socket }, args);
  const ok = async (r: Promise<CliResult>): Promise<string> => {
    const out = await r;
    if (out.code !== 0) throw new Error(`exit ${out.code}: ${out.stderr}`);
    return out.stdout;
  };

  /** The fidelity tree of a running berth container of `ref`. */
  async function berthTree(ref: string): Promise<string> {
    const id = (await ok(berth(['run', '-d', ref, 'sleep', '600']))).trim();
    try {
      const rootfs = path.join(engine.root, 'containers', id, 'rootfs');
      expect(existsSync(path.join(rootfs, 'fid'))).toBe(true);
      return await treeOf(rootfs);
    } finally {
      await berth(['rm', '-f', id]);
    }
  }

  /** The same, of a dockerd container (its overlay2 merged dir). */
  async function dockerdTree(ref: string): Promise<string> {
    const id = (await ok(docker(['run', '-d', ref, 'sleep', '600']))).trim();
    try {
      const merged = (await ok(docker(['inspect', '--format', '{{.GraphDriver.Data.MergedDir}}', id]))).trim();
      return await treeOf(merged);
    } finally {
      await docker(['rm', '-f', id]);
    }
  }

  beforeAll(async () => {
    work = mkdtempSync('/tmp/berth-interop-');
    [engine, registry, dockerd] = await Promise.all([startTestEngine('interop', { importBusybox: false }), startRegistry(), startDockerd('interop')]);
    const oci = await buildFidelityImage(path.join(work, 'fidelity'));
    pushLayout(oci, `${registry.host}/fid/src:1`);
    // What dockerd makes of the image is the reference every berth tree is compared with.
    await ok(docker(['pull', `${registry.host}/fid/src:1`]));
    expected = await dockerdTree(`${registry.host}/fid/src:1`);
  }, 240_000);

  afterAll(async () => {
    await engine?.close();
    await dockerd?.stop();
    await registry?.stop();
    if (work) rmSync(work, { recursive: true, force: true });
  }, 120_000);

  it('the reference tree has every feature applied (whiteouts, opaque dir, links, caps, xattrs, bits, owners)', () => {
    expect(expected).not.toMatch(/^gone\t/m);
    expect(expected).toMatch(/^olddir\/c\t/m);
    expect(expected).not.toMatch(/^olddir\/(a|sub)/m);
    expect(expected).toMatch(/^suid\t-rwsr-xr-x\t0:0\t/m);
    expect(expected).toMatch(/^setgid-dir\tdrwxrwsr-x\t/m);
    expect(expected).toMatch(/^sticky\tdrwxrwxrwt\t/m);
    expect(expected).toMatch(/^mod\t-rw-------\t/m);
    expect(expected).toMatch(/^owned\t-rw-r--r--\t1234:5678\t/m);
    expect(expected).toMatch(/^fifo\tprw-r--r--\t/m);
    expect(expected).toMatch(/^dangling\tlrwxrwxrwx\t0:0\t\d+\tnowhere$/m);
    expect(expected).toContain('hard1 = hard2');
    expect(expected).toContain('new/deeper/x = new/x-again');
    expect(expected).toMatch(/^\/cap cap_net_bind_service,cap_net_raw=ep$/m);
    expect(expected).toContain(`xattr user.berth.bytes=${Buffer.from([0, 1, 2, 0xfe, 0xff]).toString('hex')}`);
    expect(expected).toContain(`empty user.berth.dir=${Buffer.from('on a directory').toString('hex')}`);
    expect(expected).toMatch(/ \.\/keep\/file$/m);
  });

  it('berth pulls the image, runs it, and its root filesystem is the one dockerd made', async () => {
    const pull = await ok(berth(['pull', `${registry.host}/fid/src:1`]));
    expect(pull).toMatch(/Pull complete/);
    expect(await berthTree(`${registry.host}/fid/src:1`)).toBe(expected);
    // An overlay whiteout and an opaque marker are what is on disk in berth's snapshots.
    const run = await ok(berth(['run', '--rm', `${registry.host}/fid/src:1`, 'sh', '-c', 'cat /fid/keep/file; ls /fid/olddir; /fid/suid']));
    expect(run).toBe('version 2\nc\nsuid\n');
  }, 120_000);

  it('save → load gives the same image back (same id, same tree); skopeo reads the archive both ways', async () => {
    const ref = `${registry.host}/fid/src:1`;
    const id = (await ok(berth(['image', 'inspect', '--format', '{{.Id}}', ref]))).trim();
    const archive = path.join(work, 'berth-saved.tar');
    await ok(berth(['save', '-o', archive, ref]));
    const asDocker = JSON.parse(execFileSync('skopeo', ['inspect', `docker-archive:${archive}`], { encoding: 'utf8' })) as { Layers: string[] };
    expect(asDocker.Layers).toHaveLength(4);
    const asOci = JSON.parse(execFileSync('skopeo', ['inspect', '--raw', `oci-archive:${archive}`], { encoding: 'utf8' })) as { layers: { digest: string }[] };
    expect(asOci.layers).toHaveLength(4);
    await ok(berth(['rmi', ref]));
    expect(await ok(berth(['load', '-i', archive]))).toContain(`Loaded image: ${ref}`);
    expect((await ok(berth(['image', 'inspect', '--format', '{{.Id}}', ref]))).trim()).toBe(id);
    expect(await berthTree(ref)).toBe(expected);
  }, 120_000);

  it('berth pushes; dockerd pulls and runs it, with the same tree', async () => {
    const copy = `${registry.host}/fid/from-berth:1`;
    await ok(berth(['tag', `${registry.host}/fid/src:1`, copy]));
    const push = await ok(berth(['push', copy]));
    expect(push).toMatch(/Mounted from fid\/src|Layer already exists/);
    const digest = /digest: (sha256:[0-9a-f]{64})/.exec(push)![1];
    const pulled = await ok(docker(['pull', copy]));
    expect(pulled).toContain(`Digest: ${digest}`);
    expect(await dockerdTree(copy)).toBe(expected);
  }, 120_000);

  it('dockerd pushes; berth pulls and runs it, with the same tree', async () => {
    const ref = `${registry.host}/fid/from-dockerd:1`;
    await ok(docker(['tag', `${registry.host}/fid/src:1`, ref]));
    await ok(docker(['push', ref]));
    await ok(berth(['pull', ref]));
    expect(await berthTree(ref)).toBe(expected);
  }, 120_000);

  it('dockerd saves; berth loads it and runs it, with the same tree', async () => {
    const archive = path.join(work, 'dockerd-saved.tar');
    await ok(docker(['tag', `${registry.host}/fid/src:1`, 'fid/dockerd-saved:1']));
    await ok(docker(['save', '-o', archive, 'fid/dockerd-saved:1']));
    expect(await ok(berth(['load', '-i', archive]))).toContain('Loaded image: fid/dockerd-saved:1');
    expect(await berthTree('fid/dockerd-saved:1')).toBe(expected);
  }, 120_000);

  it('a real Debian base (mmdebstrap, five layers) pulls and runs; dpkg --verify finds every packaged file intact', async () => {
    const image = await debianImage();
    const ref = `${registry.host}/debian/base:bookworm`;
    await pushCachedImage(new RegistryClient({ credentials: staticCredentials({}) }), ref, image);
    const pull = await ok(berth(['pull', ref]));
    expect(pull.match(/: Pull complete/g)).toHaveLength(5);
    const verify = await berth(['run', '--rm', ref, 'sh', '-c', 'dpkg --verify; echo exit=$?; cat /etc/debian_version; dpkg -l | grep -c "^ii"']);
    expect(verify.stderr).toBe('');
    const [first, version, packages] = verify.stdout.trim().split('\n');
    expect(first).toBe('exit=0');
    expect(version).toMatch(/^12\./);
    expect(Number(packages)).toBeGreaterThan(80);
    const inspect = JSON.parse(await ok(berth(['image', 'inspect', ref]))) as { RootFS: { Layers: string[] }; RepoDigests: string[] }[];
    expect(inspect[0].RootFS.Layers).toEqual(image.layers.map((l) => l.diffId));
  }, 600_000);
});
