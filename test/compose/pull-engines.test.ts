// A stack's images come from real registries (distribution 2.8 on loopback, one open and one
// with htpasswd auth whose credentials are in the user's docker config.json), on each engine:
// berth's built-in engine and a private dockerd. `berth pull`, `up` pulling what is missing
// (quietly with --quiet-pull), `pull_policy: always` with a changed image, `berth images` with
// digests, `config --lock-image-digests`, and a reference no registry has.
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MediaType, pushImage, RegistryClient, staticCredentials } from '../../src/engine/distribution/index.js';
import { busyboxTar, startTestEngine, type TestEngine } from '../engine/helpers/daemon-harness.js';
import { makeConfig, sha, type TestLayer } from '../support/images.js';
import { dockerd, engineHost, requirePrereq, tools } from '../support/gates.js';
import { startRegistry, type TestRegistry } from '../support/registry.js';
import { startDockerd, type PrivateDockerd } from './dockerd.js';
import { expectCode, makeStack } from './scenario.js';

const registryTools = tools(['docker-registry', 'htpasswd']);
const missing = (skip: boolean): string | undefined => (skip ? 'prerequisites missing (see the notice above)' : undefined);
const builtinReason = missing(requirePrereq('compose pull tests on the built-in engine', [...engineHost(), ...registryTools]));
// The busybox tar the registry serves needs busybox-static too: the engine host's prerequisites.
const dockerdReason = missing(requirePrereq('compose pull tests on dockerd', [...engineHost(), dockerd(), ...registryTools]));

interface EngineUnderTest {
  dockerHost: string;
  close(): Promise<void>;
}

const engines: [string, string | undefined, () => Promise<EngineUnderTest>][] = [
  ['the built-in engine', builtinReason, async () => {
    const e: TestEngine = await startTestEngine('cpull', { importBusybox: false });
    return { dockerHost: `unix://${e.socketPath}`, close: () => e.close() };
  }],
  ['a private dockerd', dockerdReason, async () => {
    const d: PrivateDockerd = await startDockerd('cpull');
    return { dockerHost: d.dockerHost, close: () => d.stop() };
  }],
];

describe.each(engines)('compose pulls a stack’s images on %s', (_name, reason, start) => {
  let engine: EngineUnderTest;
  let open: TestRegistry;
  let locked: TestRegistry;
  let dockerConfig: string;

  /** A busybox image whose config carries `version`, so two versions have two ids. */
  async function pushBusybox(registry: TestRegistry, ref: string, version: string, auth?: { username: string; password: string }): Promise<void> {
    const tar = await busyboxTar(dockerConfig);
    const blob = gzipSync(tar);
    const layer: TestLayer = { tar, blob, digest: sha(blob), diffId: sha(tar), mediaType: MediaType.ociLayerGzip, compression: 'gzip' };
    const config = makeConfig([layer], undefined, { config: { Cmd: ['sh'], Env: ['PATH=/bin'], Labels: { version } } });
    const client = new RegistryClient({ credentials: staticCredentials(auth ? { [registry.host]: auth } : {}) });
    await pushImage(client, `${registry.host}/${ref}`, { config: { data: config }, layers: [{ mediaType: layer.mediaType, digest: layer.digest, size: blob.length, open: () => [blob] }] });
  }

  beforeAll(async () => {
    if (reason) return;
    [engine, open, locked] = await Promise.all([start(), startRegistry(), startRegistry({ auth: { htpasswd: { alice: 's3cret' } } })]);
    dockerConfig = path.join('/tmp', `berth-cpull-config-${process.pid}-${_name.length}`);
    mkdirSync(dockerConfig, { recursive: true });
    writeFileSync(path.join(dockerConfig, 'config.json'), JSON.stringify({ auths: { [locked.host]: { auth: Buffer.from('alice:s3cret').toString('base64') } } }));
    await pushBusybox(open, 'stack/box:1', 'one');
    await pushBusybox(open, 'stack/fresh:1', 'fresh');
    await pushBusybox(locked, 'private/box:1', 'private', { username: 'alice', password: 's3cret' });
  }, 120_000);

  afterAll(async () => {
    await engine?.close();
    await open?.stop();
    await locked?.stop();
    if (dockerConfig) rmSync(dockerConfig, { recursive: true, force: true });
  }, 60_000);

  const stackYaml = (): string => `
services:
  web:
    image: ${open.host}/stack/box:1
    command: ["sh", "-c", "trap 'exit 0' TERM; while :; do sleep 1; done"]
  worker:
    image: ${open.host}/stack/box:1
    command: ["sh", "-c", "trap 'exit 0' TERM; while :; do sleep 1; done"]
  private:
    image: ${locked.host}/private/box:1
    command: ["sh", "-c", "trap 'exit 0' TERM; while :; do sleep 1; done"]
`;

  it.skipIf(reason !== undefined)('berth pull brings each image in once (credentials from config.json); up pulls what is missing, quietly with --quiet-pull', async () => {
    const stack = makeStack(engine.dockerHost, 'cpl');
    const env = { DOCKER_CONFIG: dockerConfig };
    try {
      stack.write(stackYaml());
      const pull = await stack.berth(['pull', '--progress', 'plain'], env);
      expectCode(pull, 0);
      expect(pull.stderr).toMatch(new RegExp(`Image ${open.host}/stack/box:1  Pulled`));
      expect(pull.stderr).toMatch(new RegExp(`Image ${locked.host}/private/box:1  Pulled`));
      expect(pull.stderr.match(/stack\/box:1  Pulling\n/g)).toHaveLength(1);
      const again = await stack.berth(['pull', '--progress', 'plain'], env);
      expect(again.stderr).toMatch(/Pulled \(up to date\)/);

      // An image the engine does not have yet: up pulls it first; --quiet-pull says nothing about it.
      stack.write(`${stackYaml()}  fresh:\n    image: ${open.host}/stack/fresh:1\n    command: ["sleep", "600"]\n`);
      const up = await stack.berth(['up', '-d', '--quiet-pull', '--progress', 'plain'], env);
      expectCode(up, 0);
      expect(up.stderr).not.toMatch(/Pulling|Pulled/);
      expect([...(await stack.containers()).values()].map((c) => c.state)).toEqual(['running', 'running', 'running', 'running']);

      const images = await stack.berth(['images'], env);
      expect(images.stdout.split('\n')[0]).toMatch(/^CONTAINER\s+REPOSITORY\s+TAG\s+DIGEST\s+IMAGE ID\s+SIZE$/);
      expect(images.stdout).toMatch(new RegExp(`${stack.project}-web-1\\s+${open.host}/stack/box\\s+1\\s+sha256:[0-9a-f]{12}`));

      const lock = await stack.berth(['config', '--lock-image-digests'], env);
      expectCode(lock, 0);
      expect(lock.stdout).toMatch(new RegExp(`"web":\\n    image: "${open.host}/stack/box:1@sha256:[0-9a-f]{64}"`));
      expectCode(await stack.berth(['down'], env), 0);
    } finally {
      await stack.berth(['down'], env);
      stack.cleanup();
    }
  }, 180_000);

  it.skipIf(reason !== undefined)('pull_policy always takes a changed image and recreates its containers; a missing image fails naming it', async () => {
    const stack = makeStack(engine.dockerHost, 'cpa');
    const env = { DOCKER_CONFIG: dockerConfig };
    try {
      stack.write(`
services:
  app:
    image: ${open.host}/stack/moving:1
    pull_policy: always
    command: ["sh", "-c", "trap 'exit 0' TERM; while :; do sleep 1; done"]
`);
      await pushBusybox(open, 'stack/moving:1', 'first');
      expectCode(await stack.berth(['up', '-d', '--progress', 'plain'], env), 0);
      const before = (await stack.containers()).get(`${stack.project}-app-1`)!;
      await pushBusybox(open, 'stack/moving:1', 'second');
      const up = await stack.berth(['up', '-d', '--progress', 'plain'], env);
      expectCode(up, 0);
      expect(up.stderr).toMatch(/Container .*app-1\s+Recreate/);
      const after = (await stack.containers()).get(`${stack.project}-app-1`)!;
      expect(after.id).not.toBe(before.id);

      stack.write(`services:\n  gone:\n    image: ${open.host}/stack/none:1\n`);
      const failed = await stack.berth(['up', '-d', '--progress', 'plain'], env);
      expect(failed.code).not.toBe(0);
      expect(failed.stderr).toMatch(new RegExp(`pull of ${open.host}/stack/none:1 \\(for gone\\) failed: .*(manifest unknown|not found)`));
      const ignored = await stack.berth(['pull', '--ignore-pull-failures', '--progress', 'quiet'], env);
      expectCode(ignored, 0);
      expect(ignored.stderr).toMatch(/warning: pull of .*stack\/none:1 \(for gone\) failed/);
    } finally {
      await stack.berth(['down', '--remove-orphans'], env);
      stack.cleanup();
    }
  }, 180_000);
});
