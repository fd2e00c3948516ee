// berth-spawner: the engine's commands run through one small helper process (native/berth-spawner.c)
// with child_process semantics. Each case runs through the helper and through the direct fallback
// (BERTH_SPAWNER=0), which must agree.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { closeSpawner, CommandFailedError, CommandSpawnError, execCommand, runCommand } from '../../../src/engine/runtime/spawner.js';
import { cc, requirePrereq } from '../../support/gates.js';
import { buildSpawner } from '../helpers/engine-env.js';

const skip = requirePrereq('berth-spawner', cc());

describe.skipIf(skip)('berth-spawner', () => {
  let tmp: string;
  let binary: string;
  const saved = { binary: process.env.BERTH_SPAWNER_BINARY, off: process.env.BERTH_SPAWNER };

  beforeAll(() => {
    tmp = mkdtempSync('/tmp/berth-spawner-');
    binary = buildSpawner(tmp);
    process.env.BERTH_SPAWNER_BINARY = binary;
  });

  afterEach(() => {
    closeSpawner();
    if (saved.off === undefined) delete process.env.BERTH_SPAWNER;
    else process.env.BERTH_SPAWNER = saved.off;
  });

  afterAll(() => {
    if (saved.binary === undefined) delete process.env.BERTH_SPAWNER_BINARY;
    else process.env.BERTH_SPAWNER_BINARY = saved.binary;
    rmSync(tmp, { recursive: true, force: true });
  });

  /** The helper's pid (its child of this process), once one is running. */
  function helperPid(): number | undefined {
    const out = execFileSync('sh', ['-c', `pgrep -P ${process.pid} -x berth-spawner || true`], { encoding: 'utf8' }).trim();
    return out ? Number(out.split('\n')[0]) : undefined;
  }

  for (const mode of ['helper', 'direct'] as const) {
    describe(mode, () => {
      const use = (): void => {
        if (mode === 'direct') process.env.BERTH_SPAWNER = '0';
        else delete process.env.BERTH_SPAWNER;
      };

      it('reports the exit status, stdout and stderr apart', async () => {
        use();
        const r = await runCommand('sh', ['-c', 'echo out; echo err >&2; exit 3']);
        expect(r).toMatchObject({ code: 3, signal: null, timedOut: false });
        expect(r.stdout.toString()).toBe('out\n');
        expect(r.stderr.toString()).toBe('err\n');
      });

      it('feeds stdin larger than a pipe buffer while collecting as much output', async () => {
        use();
        const input = 'x'.repeat(300_000) + '\n';
        const r = await execCommand('cat', [], { input });
        expect(r.stdout).toBe(input);
      });

      it('gives /dev/null as stdin without input, and discards stdout when asked', async () => {
        use();
        expect((await execCommand('sh', ['-c', 'cat; echo done'])).stdout).toBe('done\n');
        const r = await runCommand('sh', ['-c', 'echo hidden; echo shown >&2'], { discardStdout: true });
        expect(r.stdout.length).toBe(0);
        expect(r.stderr.toString()).toBe('shown\n');
      });

      it('survives a command that exits without reading its input', async () => {
        use();
        const r = await runCommand('sh', ['-c', 'exit 4'], { input: 'y'.repeat(1_000_000) });
        expect(r.code).toBe(4);
      });

      it('sends SIGTERM at the timeout and says how the command ended', async () => {
        use();
        const t0 = performance.now();
        const killed = await runCommand('sleep', ['30'], { timeoutMs: 150 });
        expect(performance.now() - t0).toBeLessThan(5_000);
        expect(killed).toMatchObject({ code: null, signal: 'SIGTERM', timedOut: true });
        // (the background sleep must not hold the output pipes: the result waits for them to close, as execFile's does)
        const trapped = await runCommand('sh', ['-c', "trap 'exit 7' TERM; sleep 30 >/dev/null 2>&1 & wait"], { timeoutMs: 150 });
        expect(trapped).toMatchObject({ code: 7, signal: null, timedOut: true });
      });

      it('reports a signal that ended the command', async () => {
        use();
        expect(await runCommand('sh', ['-c', 'kill -KILL $$'])).toMatchObject({ code: null, signal: 'SIGKILL', timedOut: false });
      });

      it('rejects a command that cannot run with its errno name', async () => {
        use();
        await expect(runCommand('/nonexistent/berth-command', [])).rejects.toMatchObject({ name: 'CommandSpawnError', code: 'ENOENT' });
        const plain = path.join(tmp, `not-executable-${mode}`);
        writeFileSync(plain, 'echo never\n', { mode: 0o644 });
        await expect(runCommand(plain, [])).rejects.toMatchObject({ name: 'CommandSpawnError', code: 'EACCES' });
      });

      it('throws an execFile-shaped error from execCommand on a non-zero exit', async () => {
        use();
        const e = (await execCommand('sh', ['-c', 'echo partial; echo broken >&2; exit 2']).catch((x: unknown) => x)) as CommandFailedError;
        expect(e).toBeInstanceOf(CommandFailedError);
        expect(e).toMatchObject({ code: 2, stdout: 'partial\n', stderr: 'broken\n', killed: false });
        expect(e.message).toContain('broken');
      });

      it("uses this process's env, PATH and cwd as they are at call time", async () => {
        use();
        const cwd = process.cwd();
        process.env.BERTH_SPAWNER_PROBE = `probe-${mode}`;
        try {
          process.chdir(tmp);
          const r = await execCommand('sh', ['-c', 'echo "$BERTH_SPAWNER_PROBE"; pwd']);
          expect(r.stdout).toBe(`probe-${mode}\n${tmp}\n`);
        } finally {
          process.chdir(cwd);
          delete process.env.BERTH_SPAWNER_PROBE;
        }
      });

      it('runs many at once, each answer to its own call', async () => {
        use();
        const results = await Promise.all(Array.from({ length: 40 }, (_, i) => execCommand('sh', ['-c', `sleep 0.0$((${i} % 5)); echo ${i}`])));
        expect(results.map((r) => r.stdout)).toEqual(Array.from({ length: 40 }, (_, i) => `${i}\n`));
      });
    });
  }

  it('leaks no descriptor of the helper or of this process into the command', async () => {
    delete process.env.BERTH_SPAWNER;
    // ls lists the fds it has: 0-2 and its own directory handle, nothing else.
    const fds = (await execCommand('sh', ['-c', 'ls /proc/self/fd'])).stdout.trim().split('\n').map(Number);
    expect(fds.filter((fd) => fd > 3)).toEqual([]);
  });

  it('forks in the helper, not in this process', async () => {
    delete process.env.BERTH_SPAWNER;
    const r = await execCommand('sh', ['-c', 'echo $PPID']);
    const pid = helperPid();
    expect(pid).toBeDefined();
    // The command's parent is the helper's worker, which is the helper's child.
    const workerParent = Number(execFileSync('sh', ['-c', `ps -o ppid= -p ${r.stdout.trim()} || echo gone`], { encoding: 'utf8' }).trim());
    expect(Number(r.stdout.trim())).not.toBe(process.pid);
    if (!Number.isNaN(workerParent)) expect(workerParent).toBe(pid);
  });

  it('fails the commands in flight when the helper dies, and starts a new one for the next', async () => {
    delete process.env.BERTH_SPAWNER;
    await execCommand('true', []);
    const first = helperPid();
    expect(first).toBeDefined();
    const inFlight = runCommand('sleep', ['2']);
    process.kill(first!, 'SIGKILL');
    await expect(inFlight).rejects.toThrow(/berth-spawner ended/);
    expect((await execCommand('sh', ['-c', 'echo again'])).stdout).toBe('again\n');
    const second = helperPid();
    expect(second).toBeDefined();
    expect(second).not.toBe(first);
  });

  it('ends when this process closes its pipe', async () => {
    delete process.env.BERTH_SPAWNER;
    await execCommand('true', []);
    const pid = helperPid()!;
    closeSpawner();
    const alive = (): boolean => {
      try {
        process.kill(pid, 0);
        return execFileSync('sh', ['-c', `ps -o stat= -p ${pid} || true`], { encoding: 'utf8' }).trim().startsWith('Z') === false;
      } catch {
        return false;
      }
    };
    for (let i = 0; i < 100 && alive(); i++) await new Promise((r) => setTimeout(r, 20));
    expect(alive()).toBe(false);
  });

  it('falls back to child_process when the helper binary is missing', async () => {
    delete process.env.BERTH_SPAWNER;
    process.env.BERTH_SPAWNER_BINARY = path.join(tmp, 'absent');
    try {
      expect((await execCommand('sh', ['-c', 'echo direct'])).stdout).toBe('direct\n');
      expect(helperPid()).toBeUndefined();
    } finally {
      process.env.BERTH_SPAWNER_BINARY = binary;
    }
  });
});
