// The daemon as a real process, through the CLI: `berth engine start|status|stop`, then `kill -9`
// of the daemon while containers run, and a new daemon that re-adopts them (live restore). The CLI
// is compiled from src/ (helpers/daemon-process.ts).

import path from 'node:path';
import { existsSync } from 'node:fs';
import { Readable } from 'node:stream';
import Docker from 'dockerode';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { lockPath, processAlive, readLockPid } from '../../../src/engine/daemon/daemon.js';
import { mountsUnder } from '../../../src/engine/runtime/rootfs.js';
import { engineHost, requirePrereq } from '../../support/gates.js';
import { busyboxTar } from '../helpers/daemon-harness.js';
import { startEngineProcess, type EngineProcess } from '../helpers/daemon-process.js';
import { NOTHING_LEFT } from '../helpers/leftovers.js';

const skip = requirePrereq('engine daemon process', engineHost());

describe.skipIf(skip)('berth engine as a process', () => {
  let e: EngineProcess;
  let root: string;
  let runRoot: string;
  let socketPath: string;
  let dir: string;

  const berth = (args: string[]) => e.berth(['engine', ...args, '--root', root, '--run-root', runRoot]);

  beforeAll(async () => {
    e = await startEngineProcess('proc', { start: false });
    ({ root, runRoot, socketPath, dir } = e);
  }, 120_000);

  afterAll(async () => {
    await e?.close();
  }, 60_000);

  it('starts in the background, survives kill -9 without losing its containers, and stops', async () => {
    const flags = e.runFlags;
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
    // Nothing ran on its default bridge when it stopped: the bridge went with it (the next start
    // makes it again), and nothing else is left.
    expect(await e.leftovers()).toEqual(NOTHING_LEFT);
  }, 90_000);
});
