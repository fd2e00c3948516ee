// Real containers on runc: a busybox image and the host image, through ContainerRunner.
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, rmdirSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ContainerRunner, type CreateRequest } from '../../../src/engine/runtime/container-runner.js';
import { cgroupDirs } from '../../../src/engine/runtime/cgroups.js';
import { MonitorError, parseJsonFileLog, type ExitStatus, type LogEntry } from '../../../src/engine/runtime/monitor.js';
import { mountsUnder } from '../../../src/engine/runtime/rootfs.js';
import { resolveUserInRootfs } from '../../../src/engine/runtime/user.js';
import { buildShim, RUNC } from '../helpers/engine-env.js';
import { engineHost, requirePrereq } from '../../support/gates.js';
import { buildBusyboxImage, HOST_IMAGE } from '../helpers/images.js';

const skip = requirePrereq('engine containers', engineHost());

describe.skipIf(skip)('containers on runc', () => {
  let tmp: string;
  let image: string;
  let runner: ContainerRunner;
  const cgroupParent = `/berth-test-${process.pid}`;
  let seq = 0;

  beforeAll(() => {
    tmp = mkdtempSync('/tmp/berth-containers-');
    image = buildBusyboxImage(path.join(tmp, 'image'));
    runner = new ContainerRunner({
      stateRoot: path.join(tmp, 'state'),
      runcRoot: path.join(tmp, 'runc'),
      cgroupParent,
      runcBinary: RUNC,
      shimBinary: buildShim(tmp),
    });
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

  async function run(
    script: string,
    extra: Partial<CreateRequest['spec']> = {},
    lowerDirs: readonly string[] = [image],
  ): Promise<{ id: string; status: ExitStatus; logs: LogEntry[]; out: string }> {
    const id = `c${process.pid}-${++seq}`;
    await runner.create({ id, lowerDirs, spec: { args: ['sh', '-c', script], ...extra } });
    const status = await runner.wait(id, { timeoutMs: 15_000 });
    const logs = parseJsonFileLog(readFileSync(runner.paths(id).log, 'utf8'));
    return { id, status, logs, out: logs.filter((l) => l.stream === 'stdout').map((l) => l.log).join('') };
  }

  async function expectGone(id: string, cgroupsPath: string): Promise<void> {
    expect(await runner.runc.stateIfExists(id)).toBeUndefined();
    expect(await mountsUnder(runner.paths(id).dir)).toEqual([]);
    expect(existsSync(runner.paths(id).dir)).toBe(false);
    for (const dir of cgroupDirs(cgroupsPath)) expect(existsSync(dir), dir).toBe(false);
  }

  it('runs as PID 1 of its own pid namespace, seeing only its own processes', async () => {
    const { id, status, out } = await run('echo pid=$$; ps -o pid,comm | tail -n +2 | wc -l');
    expect(status.exitCode).toBe(0);
    const [pidLine, count] = out.trim().split('\n');
    expect(pidLine).toBe('pid=1');
    expect(Number(count)).toBeLessThanOrEqual(4);
    await runner.remove(id);
  });

  it('has its own hostname and generated /etc files', async () => {
    const { id, out } = await run('hostname; cat /etc/hostname; grep -c localhost /etc/hosts', { hostname: 'berth-box' });
    expect(out).toBe('berth-box\nberth-box\n2\n');
    await runner.remove(id);
  });

  it('writes to its own root filesystem: not on the host, gone after remove', async () => {
    const marker = `berth-marker-${process.pid}`;
    const { id, out } = await run(`echo inside > /${marker}; cat /${marker}; ls /etc/passwd`);
    expect(out).toBe('inside\n/etc/passwd\n');
    expect(existsSync(`/${marker}`)).toBe(false);
    expect(existsSync(path.join(image, marker))).toBe(false);
    expect(readFileSync(path.join(runner.paths(id).upper, marker), 'utf8')).toBe('inside\n');
    const cg = runner.cgroupsPath(id);
    await runner.remove(id);
    await expectGone(id, cg);
  });

  it('reports exit codes faithfully', async () => {
    const a = await run('exit 3');
    expect(a.status).toMatchObject({ exitCode: 3, signal: 0, oomKilled: false });
    await runner.remove(a.id);
  });

  it('reports death by signal as 128+n with the signal', async () => {
    const id = `c${process.pid}-${++seq}`;
    const started = await runner.create({ id, lowerDirs: [image], spec: { args: ['sleep', '30'] } });
    expect(started.pid).toBeGreaterThan(1);
    expect((await runner.runc.state(id)).status).toBe('running');
    await runner.kill(id, 'SIGKILL');
    const status = await runner.wait(id);
    expect(status).toMatchObject({ exitCode: 137, signal: 9, oomKilled: false, pid: started.pid });
    expect(Date.parse(status.finishedAt)).toBeGreaterThanOrEqual(Date.parse(status.startedAt));
    await runner.remove(id);
  });

  it('enforces the memory limit: an allocation beyond it is OOM-killed and reported', async () => {
    // tail must hold a newline-free stream in memory: 64 MiB against a 16 MiB limit without swap.
    const { id, status } = await run('head -c 64m /dev/zero | tail > /dev/null', {
      resources: { memory: 16 << 20, memorySwap: 16 << 20 },
    });
    expect(status).toMatchObject({ exitCode: 137, oomKilled: true });
    await runner.remove(id);
  });

  it('logs stdout and stderr in json-file form', async () => {
    const { id, logs } = await run('echo "out <a> & \\"q\\"\ttab"; echo err >&2; printf partial');
    expect(logs.map(({ log, stream }) => ({ log, stream }))).toEqual(
      expect.arrayContaining([
        { log: 'out <a> & "q"\ttab\n', stream: 'stdout' },
        { log: 'err\n', stream: 'stderr' },
        { log: 'partial', stream: 'stdout' },
      ]),
    );
    for (const l of logs) expect(l.time).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,9})?Z$/);
    const raw = readFileSync(runner.paths(id).log, 'utf8');
    // Go's encoder escapes HTML characters; Docker's logs look exactly like this.
    expect(raw).toContain('"log":"out \\u003ca\\u003e \\u0026 \\"q\\"\\ttab\\n","stream":"stdout","time":"');
    await runner.remove(id);
  });

  it('keeps stderr written while runc is still starting it, even past the monitor buffer', async () => {
    // `runc run --detach` shares its stderr with the container: what the container writes before
    // runc exits is held apart from runc's own errors and logged as the container's, in order.
    const { id, logs, status } = await run('echo first >&2; head -c 20000 /dev/zero | tr "\\0" x >&2; echo >&2; exit 3');
    expect(status.exitCode).toBe(3);
    const err = logs.filter((l) => l.stream === 'stderr').map((l) => l.log).join('');
    expect(err).toBe(`first\n${'x'.repeat(20000)}\n`);
    await runner.remove(id);
  });

  it('gives a tty container a pty and logs it as stdout', async () => {
    const { id, logs, status } = await run('test -t 1 && echo tty', { tty: true });
    expect(status.exitCode).toBe(0);
    expect(logs.map((l) => [l.log, l.stream])).toEqual([['tty\r\n', 'stdout']]);
    await runner.remove(id);
  });

  it('runs as the image user with its supplementary groups', async () => {
    const user = await resolveUserInRootfs(image, 'app');
    const { id, out } = await run('id', { user });
    // busybox id lists getgroups(2) only: the supplementary groups, without the primary one.
    expect(out).toBe('uid=1000(app) gid=1000(app) groups=29(audio),50(staff)\n');
    await runner.remove(id);
  });

  it('fails create with runc’s reason and leaves nothing behind', async () => {
    const id = `c${process.pid}-${++seq}`;
    const err = await runner.create({ id, lowerDirs: [image], spec: { args: ['/no/such/binary'] } }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(MonitorError);
    expect(String((err as Error).message)).toMatch(/no such file or directory/);
    await expectGone(id, runner.cgroupsPath(id));
  });

  it('fails create when the overlay cannot be mounted (by the monitor) and leaves nothing behind', async () => {
    const id = `c${process.pid}-${++seq}`;
    const err = await runner.create({ id, lowerDirs: [path.join(tmp, 'no-such-layer')], spec: { args: ['true'] } }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(MonitorError);
    expect(String((err as Error).message)).toMatch(/mounting the overlay at .*rootfs failed: No such file or directory/);
    await expectGone(id, runner.cgroupsPath(id));
  });

  it('runs the host image isolated, with the engine state masked', async () => {
    const { id, out, status } = await run(
      `echo pid=$$; /usr/bin/env | grep -c '^PATH='; psql --version | cut -d' ' -f1-2; ls -A ${tmp}/state | wc -l; test -e /work && echo host-files`,
      { hostname: 'hostimg' },
      HOST_IMAGE,
    );
    expect(status.exitCode).toBe(0);
    expect(out).toBe('pid=1\n1\npsql (PostgreSQL)\n0\nhost-files\n');
    const cg = runner.cgroupsPath(id);
    await runner.remove(id);
    await expectGone(id, cg);
  });

  it('removes a running container completely', async () => {
    const id = `c${process.pid}-${++seq}`;
    await runner.create({ id, lowerDirs: [image], spec: { args: ['sleep', '30'], resources: { memory: 32 << 20 } } });
    const cg = runner.cgroupsPath(id);
    expect(cgroupDirs(cg).some((d) => existsSync(d))).toBe(true);
    await runner.remove(id);
    await expectGone(id, cg);
    expect(await mountsUnder(tmp)).toEqual([]);
    expect(readdirSync(path.join(tmp, 'state', 'containers'))).toEqual([]);
  });

  it('prepares a container (created, process not run) and starts it later in one round trip', async () => {
    const id = `c${process.pid}-${++seq}`;
    const started = await runner.create({ id, lowerDirs: [image], spec: { args: ['sh', '-c', 'echo ran; exit 4'] } }, { prepare: true });
    expect((await runner.runc.stateIfExists(id))?.status).toBe('created');
    await new Promise((r) => setTimeout(r, 200));
    // Nothing ran yet: no output, no exit.
    expect(readFileSync(runner.paths(id).log, 'utf8')).toBe('');
    expect(await runner.status(id)).toBeUndefined();
    await runner.startPrepared(id);
    const status = await runner.wait(id, { timeoutMs: 10_000 });
    expect(status).toMatchObject({ pid: started.pid, exitCode: 4 });
    expect(parseJsonFileLog(readFileSync(runner.paths(id).log, 'utf8')).map((l) => l.log)).toEqual(['ran\n']);
    await runner.remove(id);
    await expectGone(id, runner.cgroupsPath(id));
  });

  it('a prepared container nobody starts is deleted by its monitor, without an exit status', async () => {
    const id = `c${process.pid}-${++seq}`;
    await runner.create({ id, lowerDirs: [image], spec: { args: ['true'] } }, { prepare: true, prepareTimeoutMs: 300 });
    const deadline = Date.now() + 10_000;
    while ((await runner.runc.stateIfExists(id)) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    expect(await runner.runc.stateIfExists(id)).toBeUndefined();
    expect(existsSync(runner.paths(id).ioSocket)).toBe(false);
    expect(await runner.status(id)).toBeUndefined();
    await expect(runner.startPrepared(id)).rejects.toThrow(MonitorError);
    await runner.remove(id);
    await expectGone(id, runner.cgroupsPath(id));
  });

  it('a prepared container deleted under its monitor ends the monitor quietly', async () => {
    const id = `c${process.pid}-${++seq}`;
    const { monitorPid } = await runner.create({ id, lowerDirs: [image], spec: { args: ['true'] } }, { prepare: true });
    await runner.remove(id);
    const deadline = Date.now() + 5_000;
    while (existsSync(`/proc/${monitorPid}`) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    expect(existsSync(`/proc/${monitorPid}`)).toBe(false);
    await expectGone(id, runner.cgroupsPath(id));
  });

  it.skipIf(!process.env.BERTH_TIMINGS)('measures create+start (median of 20 per image; BERTH_TIMINGS=1)', async () => {
    const times: number[] = [];
    for (let i = 0; i < 40; i++) {
      const id = `t${process.pid}-${i}`;
      const t0 = performance.now();
      await runner.create({ id, lowerDirs: i % 2 ? HOST_IMAGE : [image], spec: { args: ['true'] } });
      times.push(performance.now() - t0);
      await runner.wait(id);
      await runner.remove(id);
    }
    const busybox = times.filter((_, i) => i % 2 === 0).sort((a, b) => a - b);
    const host = times.filter((_, i) => i % 2 === 1).sort((a, b) => a - b);
    const median = (xs: number[]) => ((xs[9] + xs[10]) / 2).toFixed(1);
    console.log(`create+start median of 20: busybox ${median(busybox)} ms, host image ${median(host)} ms`);
  });
});
