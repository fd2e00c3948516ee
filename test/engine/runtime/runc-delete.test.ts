// Runc.deleteExited against real runc containers: a container whose init has exited is deleted
// without a runc process (cgroups and state directory removed as `runc delete` removes them);
// anything else goes to runc, which still refuses a running container and still runs poststop hooks.

import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, rmdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cgroupDirs } from '../../../src/engine/runtime/cgroups.js';
import { Runc, RuncError } from '../../../src/engine/runtime/runc.js';
import { BUSYBOX, RUNC } from '../helpers/engine-env.js';
import { engineHost, requirePrereq } from '../../support/gates.js';

const skip = requirePrereq('runc delete', engineHost());
const parent = `/berth-test-rd-${process.pid}`;

describe.skipIf(skip)('deleting an exited container', () => {
  let dir: string;
  let runc: Runc;
  const ids: string[] = [];

  beforeAll(() => {
    dir = mkdtempSync('/tmp/berth-rd-');
    mkdirSync(path.join(dir, 'rootfs/bin'), { recursive: true });
    copyFileSync(BUSYBOX!, path.join(dir, 'rootfs/bin/busybox'));
    runc = new Runc({ root: path.join(dir, 'state'), binary: RUNC });
  });

  afterAll(() => {
    for (const id of ids) spawnSync(RUNC!, ['--root', runc.root, 'delete', '--force', id], { stdio: 'ignore' });
    for (const id of ids) for (const d of cgroupDirs(`${parent}/${id}`)) if (existsSync(d)) rmdirSync(d);
    for (const d of cgroupDirs(parent)) if (existsSync(d)) rmdirSync(d);
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  /** A detached `sleep` container; `hooks` go into its spec. */
  function runContainer(id: string, hooks?: object): void {
    ids.push(id);
    const bundle = path.join(dir, id);
    mkdirSync(bundle);
    execFileSync(RUNC!, ['spec', '--bundle', bundle]);
    const spec = JSON.parse(execFileSync('cat', [path.join(bundle, 'config.json')], { encoding: 'utf8' }));
    spec.root = { path: path.join(dir, 'rootfs'), readonly: true };
    spec.process.terminal = false;
    spec.process.args = ['/bin/busybox', 'sleep', '600'];
    spec.linux.cgroupsPath = `${parent}/${id}`;
    if (hooks) spec.hooks = hooks;
    writeFileSync(path.join(bundle, 'config.json'), JSON.stringify(spec));
    // stdio ignored: a detached container inherits runc's, and a pipe would never close.
    const r = spawnSync(RUNC!, ['--root', runc.root, 'run', '--detach', '--bundle', bundle, id], { stdio: 'ignore', timeout: 30_000 });
    expect(r.status).toBe(0);
  }

  async function killAndWait(id: string): Promise<void> {
    await runc.kill(id, 'SIGKILL');
    for (let i = 0; i < 200 && (await runc.state(id)).status !== 'stopped'; i++) await new Promise((r) => setTimeout(r, 20));
  }

  const liveCgroups = (id: string): string[] => cgroupDirs(`${parent}/${id}`).filter((d) => existsSync(d));

  it('refuses a running container, through runc, and leaves it whole', async () => {
    runContainer('rd-running');
    await expect(runc.deleteExited('rd-running')).rejects.toBeInstanceOf(RuncError);
    expect((await runc.state('rd-running')).status).toBe('running');
    expect(liveCgroups('rd-running').length).toBeGreaterThan(0);
  });

  it('deletes an exited container directly: its cgroups and state gone, runc no longer knows it', async () => {
    await killAndWait('rd-running');
    const cgroups = liveCgroups('rd-running');
    expect(cgroups.length).toBeGreaterThan(0);
    expect(await runc.deleteExited('rd-running')).toBe('direct');
    expect(liveCgroups('rd-running')).toEqual([]);
    expect(existsSync(path.join(runc.root, 'rd-running'))).toBe(false);
    expect((await runc.list()).map((c) => c.id)).not.toContain('rd-running');
    expect(await runc.stateIfExists('rd-running')).toBeUndefined();
  });

  it('leaves a container with poststop hooks to runc, which runs them', async () => {
    const marker = path.join(dir, 'poststop-ran');
    runContainer('rd-hooks', { poststop: [{ path: '/bin/sh', args: ['sh', '-c', `echo ran > ${marker}`] }] });
    await killAndWait('rd-hooks');
    expect(await runc.deleteExited('rd-hooks')).toBe('runc');
    expect(existsSync(marker)).toBe(true);
    expect(liveCgroups('rd-hooks')).toEqual([]);
    expect(existsSync(path.join(runc.root, 'rd-hooks'))).toBe(false);
  });

  it('an id runc does not know is nothing to do', async () => {
    expect(await runc.deleteExited('rd-never')).toBe('absent');
  });
});
