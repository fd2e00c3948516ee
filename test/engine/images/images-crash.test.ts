// `kill -9` of the engine in the middle of a pull: the engine runs as its own process
// (helpers/daemon-process.ts), pulling through a proxy that slows
// some layers down; it is killed once one layer is in and others are half-way. No half snapshot
// may be in the store then; the next engine cleans up what the dead one left and a pull
// completes; the store then passes its deep consistency check.
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pushImage, RegistryClient, staticCredentials } from '../../../src/engine/distribution/index.js';
import { ImageStore } from '../../../src/engine/images/store.js';
import { startFaultProxy, type FaultProxy } from '../../support/fault-proxy.js';
import { makeImage, noise, pushSources, type TestImage } from '../../support/images.js';
import { engineHost, requirePrereq, tools } from '../../support/gates.js';
import { startRegistry, type TestRegistry } from '../../support/registry.js';
import { DOCKER_CLI, runDockerCli } from '../helpers/docker-cli.js';
import { startEngineProcess, type EngineProcess } from '../helpers/daemon-process.js';

const skip = requirePrereq('engine crash-during-pull test', [...engineHost(), ...tools(['docker-registry', DOCKER_CLI])]);

describe.skipIf(skip)('kill -9 of the engine mid-pull', () => {
  let e: EngineProcess;
  let dir: string;
  let root: string;
  let socketPath: string;
  let registry: TestRegistry;
  let proxy: FaultProxy;
  let image: TestImage;

  beforeAll(async () => {
    e = await startEngineProcess('crash', { start: false });
    ({ dir, root, socketPath } = e);
    registry = await startRegistry();
    proxy = await startFaultProxy(registry.host);
    image = await makeImage([
      { files: { 'small/a': 'first layer' }, compression: 'gzip' },
      { files: { 'big/b': noise(3_000_000, 2) }, compression: 'gzip' },
      { files: { 'big/c': noise(3_000_000, 3) }, compression: 'none' },
    ]);
    await pushImage(new RegistryClient({ credentials: staticCredentials({}) }), `${registry.host}/crash/img:1`, { config: { data: image.config }, layers: pushSources(image) });
  }, 180_000);

  afterAll(async () => {
    await proxy?.stop();
    await registry?.stop();
    await e?.close();
  }, 60_000);

  it('leaves no half snapshot in use; the next engine cleans up, pulls to the end, and the store is consistent', async () => {
    const ref = `${proxy.host}/crash/img:1`;
    // The big layers trickle in; the small one comes at once.
    proxy.hooks.body = (req) => (image.layers.slice(1).some((l) => req.url.includes(l.digest)) ? { delayMs: 40 } : undefined);
    await e.start();
    const pulling = runDockerCli({ dir, socketPath }, ['pull', ref]);
    const layersDir = path.join(root, 'image', 'layers');
    const tmpDir = path.join(root, 'image', 'tmp');
    const small = image.layers[0].diffId.slice(7);
    for (const end = Date.now() + 30_000; Date.now() < end; await new Promise((r) => setTimeout(r, 20))) {
      const inLayers = existsSync(layersDir) ? readdirSync(layersDir) : [];
      const inTmp = existsSync(tmpDir) ? readdirSync(tmpDir) : [];
      if (inLayers.includes(small) && inTmp.length >= 2) break;
    }
    await e.kill();
    const cut = await pulling;
    expect(cut.code).not.toBe(0);
    // At the moment of death: the finished layer is whole, the others are only work in tmp/.
    const names = readdirSync(layersDir);
    expect(names.sort()).toEqual([small, `${small}.json`]);
    expect(readdirSync(tmpDir).length).toBeGreaterThan(0);

    proxy.hooks.body = undefined;
    await e.start();
    const pull = await runDockerCli({ dir, socketPath }, ['pull', ref]);
    expect(pull.stderr).toBe('');
    expect(pull.stdout).toContain(`Status: Downloaded newer image for ${ref}`);
    // The layer the dead engine finished was kept only if its blob made it too; either way the
    // image is whole now, and nothing of the dead engine's work is left.
    expect(await e.berth(['engine', 'stop', ...e.flags])).toMatchObject({ code: 0 });
    const store = await ImageStore.open({ root: path.join(root, 'image') });
    expect(await store.check({ deep: true })).toEqual([]);
    expect(readdirSync(tmpDir)).toEqual([]);
    expect((await store.get(ref)).layers.map((l) => l.diffId)).toEqual(image.layers.map((l) => l.diffId));
  }, 120_000);
});
