// The monitor outliving its starter, and the runc wrapper's operations on a live container.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, rmdirSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ContainerRunner } from '../../../src/engine/runtime/container-runner.js';
import { cgroupDirs, memoryCgroupDir } from '../../../src/engine/runtime/cgroups.js';
import { monitorAlive, readExitStatus, shimArgs } from '../../../src/engine/runtime/monitor.js';
import { RuncError, RuncNotFoundError } from '../../../src/engine/runtime/runc.js';
import { buildShim, RUNC } from '../helpers/engine-env.js';
import { engineHost, requirePrereq } from '../../support/gates.js';
import { buildBusyboxImage } from '../helpers/images.js';

const skip = requirePrereq('engine monitor', engineHost());

describe.skipIf(skip)('monitor and runc wrapper', () => {
  let tmp: string;
  let image: string;
  let shim: string;
  let runner: ContainerRunner;
  const cgroupParent = `/berth-monitor-test-${process.pid}`;

  beforeAll(() => {
    tmp = mkdtempSync('/tmp/berth-monitor-');
    image = buildBusyboxImage(path.join(tmp, 'image'));
    shim = buildShim(tmp);
    runner = new ContainerRunner({ stateRoot: path.join(tmp, 'state'), runcRoot: path.join(tmp, 'runc'), cgroupParent, runcBinary: RUNC, shimBinary: shim });
  });

  afterAll(async () => {
    if (!runner) return;
    for (const c of await runner.runc.list().catch(() => [])) await runner.remove(c.id).catch(() => undefined);
    for (const dir of cgroupDirs(cgroupParent)) {
      try {
        rmdirSync(dir);
      } catch {
        // not created under this hierarchy
      }
    }
    rmSync(tmp, { recursive: true, force: true });
  });

  it('survives kill -9 of the process (group) that started it; the exit status is recovered later', async () => {
    const id = `m${process.pid}-survive`;
    const opts = await runner.prepare({ id, lowerDirs: [image], spec: { args: ['sh', '-c', 'echo up; sleep 1; echo down; exit 5'] } });
    // A stand-in daemon: a Node process that starts the shim, reports, and stays until killed.
    const daemon = spawn(
      process.execPath,
      [
        '-e',
        `const { execFileSync } = require('node:child_process');
         process.stdout.write(execFileSync(process.argv[1], JSON.parse(process.argv[2])));
         setInterval(() => {}, 1000);`,
        shim,
        JSON.stringify(shimArgs(opts)),
      ],
      { detached: true, stdio: ['ignore', 'pipe', 'inherit'] },
    );
    const line = await new Promise<string>((resolve) => daemon.stdout.once('data', (b: Buffer) => resolve(b.toString())));
    const [pid, monitorPid] = line.trim().split(' ').map(Number);
    process.kill(-daemon.pid!, 'SIGKILL');
    await new Promise((r) => daemon.once('exit', r));

    expect(monitorAlive(monitorPid)).toBe(true);
    expect((await runner.runc.state(id)).status).toBe('running');
    expect(await readExitStatus(opts.statusPath)).toBeUndefined();

    const status = await runner.wait(id, { timeoutMs: 10_000 });
    expect(status).toMatchObject({ pid, exitCode: 5, signal: 0, oomKilled: false });
    expect(readFileSync(opts.logPath, 'utf8')).toMatch(/"log":"up\\n".*\n.*"log":"down\\n"/);
    // Give the monitor a moment to exit after its last write.
    for (let i = 0; i < 50 && monitorAlive(monitorPid); i++) await new Promise((r) => setTimeout(r, 10));
    expect(monitorAlive(monitorPid)).toBe(false);
    await runner.remove(id);
  });

  it('pauses, resumes, updates limits, lists processes and execs in a running container', async () => {
    const id = `m${process.pid}-ops`;
    const { pid } = await runner.create({ id, lowerDirs: [image], spec: { args: ['sleep', '30'], resources: { memory: 64 << 20 } } });
    const runc = runner.runc;
    expect(await runc.ps(id)).toEqual([pid]);

    await runc.pause(id);
    expect((await runc.state(id)).status).toBe('paused');
    await runc.resume(id);
    expect((await runc.state(id)).status).toBe('running');

    await runc.update(id, { memory: { limit: 48 << 20, swap: 96 << 20 } });
    const memDir = memoryCgroupDir(runner.cgroupsPath(id))!;
    const limitFile = ['memory.limit_in_bytes', 'memory.max'].map((f) => path.join(memDir, f)).find((f) => existsSync(f))!;
    expect(Number(readFileSync(limitFile, 'utf8'))).toBe(48 << 20);

    const base = JSON.parse(readFileSync(runner.paths(id).config, 'utf8')).process;
    const ok = await runc.exec(id, { ...base, args: ['sh', '-c', 'echo hello from $(hostname); echo warn >&2'] });
    expect(ok).toEqual({ exitCode: 0, stdout: `hello from ${id.slice(0, 12)}\n`, stderr: 'warn\n' });
    expect((await runc.exec(id, { ...base, args: ['sh', '-c', 'exit 4'] })).exitCode).toBe(4);
    await expect(runc.exec(id, { ...base, args: ['/nope'] })).rejects.toBeInstanceOf(RuncError);

    await runner.remove(id);
    await expect(runc.state(id)).rejects.toBeInstanceOf(RuncNotFoundError);
    await expect(runc.kill(id)).rejects.toThrow(/does not exist/);
  });
});
