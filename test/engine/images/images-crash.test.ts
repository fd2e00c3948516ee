// `kill -9` of the engine in the middle of a pull: the engine runs as its own process (compiled
// into node_modules/.cache, as daemon-process.test.ts does), pulling through a proxy that slows
// some layers down; it is killed once one layer is in and others are half-way. No half snapshot
// may be in the store then; the next engine cleans up what the dead one left and a pull
// completes; the store then passes its deep consistency check.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pushImage, RegistryClient, staticCredentials } from '../../../src/engine/distribution/index.js';
import { pingSocket } from '../../../src/engine/daemon/daemon.js';
import { ImageStore } from '../../../src/engine/images/store.js';
import { deleteLink, listLinks } from '../../../src/engine/networks/sysnet.js';
import { mountsUnder } from '../../../src/engine/runtime/rootfs.js';
import { startFaultProxy, type FaultProxy } from '../../support/fault-proxy.js';
import { makeImage, noise, pushSources, type TestImage } from '../../support/images.js';
import { engineHost, requirePrereq, tools } from '../../support/gates.js';
import { startRegistry, type TestRegistry } from '../../support/registry.js';
import { DOCKER_CLI, runDockerCli } from '../helpers/docker-cli.js';
import { buildFsops, buildNetns, buildShim, buildSpawner } from '../helpers/engine-env.js';

const skip = requirePrereq('engine crash-during-pull test', [...engineHost(), ...tools(['docker-registry', DOCKER_CLI])]);
const repoRoot = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../../..');

describe.skipIf(skip)('kill -9 of the engine mid-pull', () => {
  let dir: string;
  let build: string;
  let entry: string;
  let root: string;
  let runRoot: string;
  let socketPath: string;
  let env: NodeJS.ProcessEnv;
  let shim: string;
  let registry: TestRegistry;
  let proxy: FaultProxy;
  let image: TestImage;
  let daemon: ChildProcess | undefined;

  async function startEngine(): Promise<ChildProcess> {
    const child = spawn(process.execPath, [entry, 'engine', 'run', '--root', root, '--run-root', runRoot, '--socket', socketPath, '--shim', shim, '--log', path.join(dir, 'engine.log')], { env, stdio: 'ignore' });
    for (const end = Date.now() + 30_000; Date.now() < end; await new Promise((r) => setTimeout(r, 100))) {
      if (await pingSocket(socketPath, 500)) return child;
      if (child.exitCode !== null) break;
    }
    throw new Error('the engine did not start');
  }

  beforeAll(async () => {
    dir = mkdtempSync('/tmp/bd-crash-');
    root = path.join(dir, 'root');
    runRoot = path.join(dir, 'run');
    socketPath = path.join(runRoot, 'engine.sock');
    shim = buildShim(dir);
    env = { ...process.env, BERTH_NETNS_BINARY: buildNetns(dir), BERTH_FSOPS: buildFsops(dir), BERTH_SPAWNER_BINARY: buildSpawner(dir) };
    build = path.join(repoRoot, 'node_modules/.cache', `berth-crash-test-${process.pid}`);
    mkdirSync(build, { recursive: true });
    execFileSync(process.execPath, [path.join(repoRoot, 'node_modules/typescript/bin/tsc'), '-p', path.join(repoRoot, 'tsconfig.build.json'), '--outDir', build], { stdio: 'ignore' });
    entry = path.join(build, 'entry.mjs');
    writeFileSync(entry, "import { main } from './cli/main.js';\nprocess.exitCode = await main(process.argv);\n");
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
    if (daemon && daemon.exitCode === null) daemon.kill('SIGKILL');
    await proxy?.stop();
    await registry?.stop();
    if (build) rmSync(build, { recursive: true, force: true });
    // A bridge the engines made for their default network goes with the test.
    if (root) for (const l of await listLinks()) if (l.ifalias === `berth ${root}`) await deleteLink(l.ifname);
    if (dir && (await mountsUnder(dir)).length === 0) rmSync(dir, { recursive: true, force: true });
  }, 60_000);

  it('leaves no half snapshot in use; the next engine cleans up, pulls to the end, and the store is consistent', async () => {
    const ref = `${proxy.host}/crash/img:1`;
    // The big layers trickle in; the small one comes at once.
    proxy.hooks.body = (req) => (image.layers.slice(1).some((l) => req.url.includes(l.digest)) ? { delayMs: 40 } : undefined);
    daemon = await startEngine();
    const pulling = runDockerCli({ dir, socketPath }, ['pull', ref]);
    const layersDir = path.join(root, 'image', 'layers');
    const tmpDir = path.join(root, 'image', 'tmp');
    const small = image.layers[0].diffId.slice(7);
    for (const end = Date.now() + 30_000; Date.now() < end; await new Promise((r) => setTimeout(r, 20))) {
      const inLayers = existsSync(layersDir) ? readdirSync(layersDir) : [];
      const inTmp = existsSync(tmpDir) ? readdirSync(tmpDir) : [];
      if (inLayers.includes(small) && inTmp.length >= 2) break;
    }
    daemon.kill('SIGKILL');
    await new Promise((r) => daemon!.once('exit', r));
    const cut = await pulling;
    expect(cut.code).not.toBe(0);
    // At the moment of death: the finished layer is whole, the others are only work in tmp/.
    const names = readdirSync(layersDir);
    expect(names.sort()).toEqual([small, `${small}.json`]);
    expect(readdirSync(tmpDir).length).toBeGreaterThan(0);

    proxy.hooks.body = undefined;
    daemon = await startEngine();
    const pull = await runDockerCli({ dir, socketPath }, ['pull', ref]);
    expect(pull.stderr).toBe('');
    expect(pull.stdout).toContain(`Status: Downloaded newer image for ${ref}`);
    // The layer the dead engine finished was kept only if its blob made it too; either way the
    // image is whole now, and nothing of the dead engine's work is left.
    daemon.kill('SIGTERM');
    await new Promise((r) => daemon!.once('exit', r));
    const store = await ImageStore.open({ root: path.join(root, 'image') });
    expect(await store.check({ deep: true })).toEqual([]);
    expect(readdirSync(tmpDir)).toEqual([]);
    expect((await store.get(ref)).layers.map((l) => l.diffId)).toEqual(image.layers.map((l) => l.diffId));
  }, 120_000);
});
