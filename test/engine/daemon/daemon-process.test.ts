// The daemon as a real process, through the CLI: `berth engine start|status|stop`, then `kill -9`
// of the daemon while containers run, and a new daemon that re-adopts them (live restore). The CLI
// is compiled into node_modules/.cache (this repo's dist/ is not touched), so node resolves the
// package's dependencies from the repo.

import { execFile, execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, rmdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import Docker from 'dockerode';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { lockPath, processAlive, readLockPid } from '../../../src/engine/daemon/daemon.js';
import { cgroupDirs } from '../../../src/engine/runtime/cgroups.js';
import { deleteLink, listLinks } from '../../../src/engine/networks/sysnet.js';
import { mountsUnder } from '../../../src/engine/runtime/rootfs.js';
import { buildNetns, buildShim, RUNC } from '../helpers/engine-env.js';
import { engineHost, requirePrereq } from '../../support/gates.js';
import { busyboxTar } from '../helpers/daemon-harness.js';

const skip = requirePrereq('engine daemon process', engineHost());
const repoRoot = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../../..');

describe.skipIf(skip)('berth engine as a process', () => {
  let dir: string;
  let build: string;
  let entry: string;
  let root: string;
  let runRoot: string;
  let socketPath: string;
  let shim: string;
  let netns: string;
  const cgroupParent = `/berth-test-proc-${process.pid}`;

  function berth(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
    return new Promise((resolve) => {
      execFile(process.execPath, [entry, 'engine', ...args, '--root', root, '--run-root', runRoot], { timeout: 30_000, env: { ...process.env, BERTH_NETNS_BINARY: netns } }, (err, stdout, stderr) => {
        resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout: String(stdout), stderr: String(stderr) });
      });
    });
  }

  beforeAll(() => {
    dir = mkdtempSync('/tmp/bd-proc-');
    root = path.join(dir, 'root');
    runRoot = path.join(dir, 'run');
    socketPath = path.join(runRoot, 'engine.sock');
    shim = buildShim(dir);
    // The compiled daemon below lives outside the package's dist/, so it is told where the helper is.
    netns = buildNetns(dir);
    build = path.join(repoRoot, 'node_modules/.cache', `berth-daemon-test-${process.pid}`);
    mkdirSync(build, { recursive: true });
    execFileSync(process.execPath, [path.join(repoRoot, 'node_modules/typescript/bin/tsc'), '-p', path.join(repoRoot, 'tsconfig.build.json'), '--outDir', build], { stdio: 'ignore' });
    entry = path.join(build, 'entry.mjs');
    writeFileSync(entry, "import { main } from './cli/main.js';\nprocess.exitCode = await main(process.argv);\n");
  }, 120_000);

  afterAll(async () => {
    const pid = await readLockPid(lockPath(root ?? '/nonexistent'));
    if (pid && processAlive(pid)) process.kill(pid, 'SIGKILL');
    if (build) rmSync(build, { recursive: true, force: true });
    // The engine made its default `bridge` network (a kernel bridge tagged with its root): it goes with the test.
    if (root) for (const l of await listLinks()) if (l.ifalias === `berth ${root}`) await deleteLink(l.ifname);
    for (const d of cgroupDirs(cgroupParent)) {
      try {
        rmdirSync(d);
      } catch {
        // not created under this hierarchy
      }
    }
    if (dir && (await mountsUnder(dir)).length === 0) rmSync(dir, { recursive: true, force: true });
  });

  it('starts in the background, survives kill -9 without losing its containers, and stops', async () => {
    const flags = ['--shim', shim, '--runc', RUNC ?? 'runc', '--cgroup-parent', cgroupParent];
    const notYet = await berth(['status']);
    expect(notYet, notYet.stderr).toMatchObject({ code: 1, stdout: 'not running\n' });
    const started = await berth(['start', ...flags]);
    expect(started.stderr).toBe('');
    expect(started).toMatchObject({ code: 0 });
    expect(started.stdout).toMatch(/^berth engine started \(pid \d+\) on /);
    const status = await berth(['status']);
    expect(status.code).toBe(0);
    expect(status.stdout).toMatch(/^running \(pid \d+\)\nsocket: .*engine\.sock\n/);

    let docker = new Docker({ socketPath });
    // Import through the API (what `docker import` does).
    const progress = (await docker.importImage(Readable.from([await busyboxTar(dir)]) as never, { repo: 'busybox', tag: 'latest' })) as NodeJS.ReadableStream;
    await new Promise<void>((resolve, reject) => docker.modem.followProgress(progress, (err: Error | null) => (err ? reject(err) : resolve())));

    const long = await docker.createContainer({ Image: 'busybox', Cmd: ['sh', '-c', 'echo up; sleep 300'] });
    await long.start();
    const short = await docker.createContainer({ Image: 'busybox', Cmd: ['sh', '-c', 'sleep 1.5; echo done; exit 3'] });
    await short.start();
    const longPid = (await long.inspect()).State.Pid;
    // Created, never started: the engine prepares its run (runc create) ahead of a start.
    const prepared = await docker.createContainer({ Image: 'busybox', Cmd: ['sh', '-c', 'exit 6'] });
    const preparedState = path.join(runRoot, 'runc', prepared.id);
    for (let i = 0; i < 250 && !existsSync(preparedState); i++) await new Promise((r) => setTimeout(r, 20));
    expect(existsSync(preparedState)).toBe(true);

    const daemonPid = (await readLockPid(lockPath(root))) as number;
    process.kill(daemonPid, 'SIGKILL');
    for (let i = 0; i < 50 && processAlive(daemonPid); i++) await new Promise((r) => setTimeout(r, 20));
    expect(processAlive(daemonPid)).toBe(false);
    // The containers do not depend on the daemon.
    expect(processAlive(longPid)).toBe(true);

    // A new daemon takes over the stale lock and the socket.
    expect((await berth(['start', ...flags])).code).toBe(0);
    docker = new Docker({ socketPath });
    expect((await docker.getContainer(long.id).inspect()).State).toMatchObject({ Running: true, Pid: longPid });
    expect((await docker.getContainer(short.id).wait()).StatusCode).toBe(3);
    const logs = (await docker.getContainer(short.id).logs({ stdout: true })) as unknown as Buffer;
    expect(logs.toString()).toContain('done');
    // The killed daemon's preparation was undone by the new one; its start prepares afresh.
    expect(existsSync(preparedState)).toBe(false);
    expect((await mountsUnder(root)).filter((m) => m.includes(prepared.id))).toEqual([]);
    await docker.getContainer(prepared.id).start();
    expect((await docker.getContainer(prepared.id).wait()).StatusCode).toBe(6);
    await docker.getContainer(prepared.id).remove();

    await docker.getContainer(long.id).remove({ force: true });
    await docker.getContainer(short.id).remove();
    expect(await berth(['stop'])).toMatchObject({ code: 0 });
    const before = await berth(['status']);
    expect(before, before.stderr).toMatchObject({ code: 1, stdout: 'not running\n' });
    // Nothing ran on its default bridge when it stopped: the bridge went with it (the next start makes it again).
    expect((await listLinks()).filter((l) => l.ifalias === `berth ${root}`).map((l) => l.ifname)).toEqual([]);
    expect(await mountsUnder(root)).toEqual([]);
    expect(readdirSync(path.join(runRoot, 'runc'))).toEqual([]);
    for (const d of cgroupDirs(cgroupParent)) if (existsSync(d)) expect(readdirSync(d, { withFileTypes: true }).filter((e) => e.isDirectory())).toEqual([]);
  }, 90_000);
});
