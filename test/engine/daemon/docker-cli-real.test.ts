// The real `docker` CLI (client only) against berth's built-in engine running real containers:
// each step asserts what a user sees on the terminal and the exit status the CLI returns.

import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import http from 'node:http';
import { describe, expect, it } from 'vitest';
import { DOCKER_CLI, dockerCliEnv, runDockerCli, type CliResult } from '../helpers/docker-cli.js';
import { dockerCli, engineHost, requirePrereq } from '../../support/gates.js';
import { busyboxTar, type TestEngine } from '../helpers/daemon-harness.js';
import { NOTHING_LEFT } from '../helpers/leftovers.js';
import { useTestEngine } from '../../support/engines.js';

const skip = requirePrereq('docker CLI against the built-in engine', [...engineHost(), dockerCli()]);

describe.skipIf(skip)('docker CLI against the built-in engine', () => {
  let engine: TestEngine;

  const docker = (args: string[], input?: string | Buffer): Promise<CliResult> => runDockerCli(engine, args, { input });

  /** A raw Engine API call; `raw` returns the body as text (hijacked exec output). */
  function api(method: string, urlPath: string, body?: unknown): Promise<{ status: number; text: string }> {
    return new Promise((resolve, reject) => {
      const req = http.request({ socketPath: engine.socketPath, method, path: urlPath, headers: body === undefined ? {} : { 'Content-Type': 'application/json' } }, (res) => {
        let text = '';
        res.on('data', (d: Buffer) => (text += d.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
      });
      req.on('error', reject);
      req.end(body === undefined ? undefined : JSON.stringify(body));
    });
  }

  /** A docker process whose output is watched while it runs. */
  function dockerLive(args: string[]) {
    const child = spawn(DOCKER_CLI, args, {
      env: dockerCliEnv(engine),
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stdin.on('error', () => undefined);
    const closed = new Promise<number | null>((resolve) => child.on('close', resolve));
    return {
      child,
      closed,
      async waitFor(text: string, ms = 10_000): Promise<string> {
        for (const end = Date.now() + ms; Date.now() < end; await new Promise((r) => setTimeout(r, 20))) if (stdout.includes(text)) return stdout;
        throw new Error(`no "${text}" in docker ${args.join(' ')} output: ${JSON.stringify(stdout)}`);
      },
    };
  }

  useTestEngine('cli', (e) => {
    engine = e;
  }, { importBusybox: false });

  it('version and info describe the engine', async () => {
    const v = await docker(['version', '--format', '{{.Server.Version}} {{.Server.Os}}']);
    expect(v).toMatchObject({ code: 0, stdout: '0.1.0 linux\n' });
    const info = await docker(['info', '--format', '{{.Driver}} {{.LoggingDriver}} {{.CgroupDriver}}']);
    expect(info).toMatchObject({ code: 0, stdout: 'overlay json-file cgroupfs\n' });
  });

  it('imports a busybox rootfs tarball and lists it', async () => {
    const tar = await busyboxTar(engine.dir);
    const imported = await docker(['import', '--change', 'CMD ["sh"]', '-', 'busybox:latest'], tar);
    expect(imported.stderr).toBe('');
    expect(imported.code).toBe(0);
    expect(imported.stdout).toMatch(/^sha256:[0-9a-f]{64}\n$/);
    const images = await docker(['images', '--format', '{{.Repository}}:{{.Tag}}']);
    expect(images.stdout.split('\n')).toContain('busybox:latest');
  }, 30_000);

  it('save and load an image: the loaded copy runs', async () => {
    expect((await docker(['tag', 'busybox:latest', 'copy:1'])).code).toBe(0);
    const saved = await new Promise<Buffer>((resolve, reject) => {
      const child = spawn(DOCKER_CLI, ['save', 'copy:1'], { env: dockerCliEnv(engine) });
      const chunks: Buffer[] = [];
      child.stdout.on('data', (d: Buffer) => chunks.push(d));
      child.on('error', reject);
      child.on('close', (code) => (code === 0 ? resolve(Buffer.concat(chunks)) : reject(new Error(`docker save exited ${code}`))));
    });
    expect((await docker(['rmi', 'copy:1'])).stdout).toBe('Untagged: copy:1\n');
    const loaded = await docker(['load'], saved);
    expect(loaded).toMatchObject({ code: 0, stdout: 'Loaded image: copy:1\n' });
    expect(await docker(['run', '--rm', 'copy:1', 'echo', 'from the loaded image'])).toMatchObject({ code: 0, stdout: 'from the loaded image\n' });
    await docker(['rmi', 'copy:1']);
  }, 30_000);

  it('run --rm prints the output and returns the exit code, leaving no container', async () => {
    const r = await docker(['run', '--rm', 'busybox', 'sh', '-c', 'echo hello from $(hostname); echo oops >&2; exit 7']);
    expect(r.code).toBe(7);
    expect(r.stdout).toMatch(/^hello from [0-9a-f]{12}\n$/);
    expect(r.stderr).toBe('oops\n');
    const ps = await docker(['ps', '-a', '-q']);
    expect(ps.stdout).toBe('');
  }, 30_000);

  it('run -d, ps, logs -f, exec (with -i and exit code), inspect, top, stats, stop, start, restart, wait, rm -f', async () => {
    const run = await docker(['run', '-d', '--name', 'web', '--label', 'app=web', 'busybox', 'sh', '-c', 'echo started; trap "echo bye; exit 0" TERM; while true; do sleep 0.1; done']);
    expect(run.code).toBe(0);
    const id = run.stdout.trim();
    expect(id).toMatch(/^[0-9a-f]{64}$/);

    const ps = await docker(['ps', '--format', '{{.Names}} {{.Image}} {{.Status}}']);
    expect(ps.stdout).toMatch(/^web busybox Up (Less than a second|\d+ seconds?)\n$/);

    const exec = await docker(['exec', 'web', 'sh', '-c', 'echo pid1=$(cat /proc/1/cmdline | tr "\\0" " "); exit 3']);
    expect(exec.code).toBe(3);
    expect(exec.stdout).toMatch(/^pid1=sh -c echo started/);

    const execIn = await docker(['exec', '-i', 'web', 'sh', '-c', 'tr a-z A-Z'], 'piped input\n');
    expect(execIn).toMatchObject({ code: 0, stdout: 'PIPED INPUT\n' });

    const inspect = await docker(['inspect', '--format', '{{.State.Status}} {{.State.Running}} {{.Name}} {{index .Config.Labels "app"}}', 'web']);
    expect(inspect.stdout).toBe('running true /web web\n');

    const top = await docker(['top', 'web']);
    expect(top.code).toBe(0);
    expect(top.stdout).toMatch(/PID/);
    expect(top.stdout).toMatch(/sleep 0.1|while true/);

    const stats = await docker(['stats', '--no-stream', '--format', '{{.Name}} {{.PIDs}}', 'web']);
    expect(stats.code).toBe(0);
    expect(stats.stdout).toMatch(/^web [1-9]\d*\n$/);

    const stop = await docker(['stop', 'web']);
    expect(stop).toMatchObject({ code: 0, stdout: 'web\n' });
    const psA = await docker(['ps', '-a', '--format', '{{.Names}} {{.Status}}']);
    expect(psA.stdout).toMatch(/^web Exited \(0\) /);

    // logs -f on a stopped container prints everything and returns.
    const logs = await docker(['logs', '-f', 'web']);
    expect(logs.stdout).toBe('started\nbye\n');

    expect(await docker(['start', 'web'])).toMatchObject({ code: 0, stdout: 'web\n' });
    expect(await docker(['restart', '-t', '1', 'web'])).toMatchObject({ code: 0, stdout: 'web\n' });
    expect((await docker(['inspect', '--format', '{{.State.Running}}', 'web'])).stdout).toBe('true\n');

    const waiting = docker(['wait', 'web']);
    await docker(['kill', '-s', 'TERM', 'web']);
    expect(await waiting).toMatchObject({ code: 0, stdout: '0\n' });

    const rm = await docker(['rm', '-f', 'web']);
    expect(rm).toMatchObject({ code: 0, stdout: 'web\n' });
    expect((await docker(['ps', '-a', '-q'])).stdout).toBe('');
    expect(await engine.leftovers()).toEqual(NOTHING_LEFT);
  }, 60_000);

  it('exec with user, workdir and env; logs --tail and -t; rename; update', async () => {
    const id = (await docker(['run', '-d', '--name', 'box', 'busybox', 'sh', '-c', 'echo one; echo two; sleep 300'])).stdout.trim();
    const exec = await docker(['exec', '-u', 'app', '-w', '/tmp', '-e', 'X=1', 'box', 'sh', '-c', 'echo $(id -u):$(id -g) $(pwd) $X']);
    expect(exec).toMatchObject({ code: 0, stdout: '1000:1000 /tmp 1\n' });
    for (let i = 0; i < 50 && !(await docker(['logs', 'box'])).stdout.includes('two'); i++) await new Promise((r) => setTimeout(r, 20));
    expect((await docker(['logs', '--tail', '1', 'box'])).stdout).toBe('two\n');
    expect((await docker(['logs', '-t', 'box'])).stdout).toMatch(/^\d{4}-\d\d-\d\dT[\d:.]+Z one\n\S+Z two\n$/);
    expect((await docker(['rename', 'box', 'box2'])).code).toBe(0);
    expect((await docker(['inspect', '--format', '{{.Name}}', id])).stdout).toBe('/box2\n');
    const update = await docker(['update', '--memory', '32m', '--memory-swap', '64m', 'box2']);
    expect(update).toMatchObject({ code: 0, stdout: 'box2\n' });
    expect((await docker(['inspect', '--format', '{{.HostConfig.Memory}}', 'box2'])).stdout).toBe(`${32 * 1024 * 1024}\n`);
    const stats = await docker(['stats', '--no-stream', '--format', '{{.MemUsage}}', 'box2']);
    expect(stats.stdout).toMatch(/\/ 32MiB\n$/);
    expect((await docker(['rm', '-f', 'box2'])).code).toBe(0);
  }, 30_000);

  it('runs programs of this machine in the host image, isolated', async () => {
    const r = await docker(['run', '--rm', 'berth/host:latest', 'sh', '-c', 'test -x /usr/bin/env && echo host-tools; echo pid=$$; ls /sys/fs/cgroup >/dev/null && echo ok']);
    expect(r).toMatchObject({ code: 0, stdout: 'host-tools\npid=1\nok\n' });
  }, 30_000);

  it('logs -f follows a running container until it exits', async () => {
    const run = await docker(['run', '-d', 'busybox', 'sh', '-c', 'for i in 1 2 3; do echo tick $i; sleep 0.2; done']);
    const id = run.stdout.trim();
    const logs = await docker(['logs', '-f', id]);
    expect(logs).toMatchObject({ code: 0, stdout: 'tick 1\ntick 2\ntick 3\n' });
    await docker(['rm', '-f', id]);
  }, 30_000);

  it('a memory limit makes the kernel OOM-kill the container, as inspect reports', async () => {
    const r = await docker(['run', '--name', 'hog', '--memory', '16m', '--memory-swap', '16m', 'busybox', 'sh', '-c', 'head -c 64m /dev/zero | tail']);
    expect(r.code).toBe(137);
    const inspect = await docker(['inspect', '--format', '{{.State.OOMKilled}} {{.State.ExitCode}}', 'hog']);
    expect(inspect.stdout).toBe('true 137\n');
    await docker(['rm', 'hog']);
  }, 30_000);

  it('errors read like dockerd\'s', async () => {
    const noRm = await docker(['run', '--name', 'broken', 'busybox', '/no/such/binary']);
    expect(noRm.code).toBe(127);
    expect(noRm.stderr).toMatch(/no such file or directory|not found/);
    expect((await docker(['inspect', '--format', '{{.State.Status}} {{.State.ExitCode}}', 'broken'])).stdout).toBe('created 127\n');
    await docker(['rm', 'broken']);
    const missing = await docker(['inspect', 'nope']);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/No such (object|container): nope/);
    const badCmd = await docker(['run', '--rm', 'busybox', '/no/such/binary']);
    expect(badCmd.code).toBe(127);
  }, 30_000);

  it('run -i feeds stdin to the container; with StdinOnce its end ends the container', async () => {
    expect(await docker(['run', '-i', '--rm', 'busybox', 'cat'], 'hi\n')).toMatchObject({ code: 0, stdout: 'hi\n', stderr: '' });
    const big = 'x'.repeat(200_000) + '\n';
    const wc = await docker(['run', '-i', '--rm', 'busybox', 'wc', '-c'], big);
    expect(wc).toMatchObject({ code: 0, stdout: `${big.length}\n` });
    const read = await docker(['run', '-i', '--rm', 'busybox', 'sh', '-c', 'read x; echo got $x; exit 4'], 'line\n');
    expect(read).toMatchObject({ code: 4, stdout: 'got line\n' });
    // Without -i the container reads /dev/null.
    expect(await docker(['run', '--rm', 'busybox', 'cat'], 'ignored\n')).toMatchObject({ code: 0, stdout: '' });
  }, 60_000);

  it('attach with stdin to a container started with -i (no StdinOnce): stdin stays open across attaches', async () => {
    const id = (await docker(['run', '-d', '-i', '--name', 'keep', 'busybox', 'cat'])).stdout.trim();
    expect(id).toMatch(/^[0-9a-f]{64}$/);
    const first = dockerLive(['attach', 'keep']);
    first.child.stdin.write('one\n');
    await first.waitFor('one\n');
    first.child.kill('SIGKILL');
    await first.closed;
    const second = dockerLive(['attach', 'keep']);
    second.child.stdin.write('two\n');
    expect(await second.waitFor('two\n')).toBe('two\n');
    second.child.kill('SIGKILL');
    await second.closed;
    expect((await docker(['inspect', '--format', '{{.State.Running}}', 'keep'])).stdout).toBe('true\n');
    expect((await docker(['logs', 'keep'])).stdout).toBe('one\ntwo\n');
    await docker(['rm', '-f', 'keep']);
  }, 60_000);

  it('stdin still reaches a container re-adopted by a restarted daemon', async () => {
    await docker(['run', '-d', '-i', '--name', 'kept', 'busybox', 'cat']);
    await engine.restartDaemon();
    const attach = dockerLive(['attach', 'kept']);
    attach.child.stdin.write('after restart\n');
    expect(await attach.waitFor('after restart\n')).toBe('after restart\n');
    attach.child.kill('SIGKILL');
    await attach.closed;
    await docker(['rm', '-f', 'kept']);
  }, 60_000);

  it('run -t gives the container a terminal; resize sets its size; exec -t too, with exit code', async () => {
    const run = await docker(['run', '--rm', '-t', 'busybox', 'sh', '-c', 'tty; echo $TERM; exit 3']);
    expect(run.code, run.stderr).toBe(3);
    expect(run.stdout).toBe('/dev/pts/0\r\nxterm\r\n');

    const id = (await docker(['run', '-d', '-t', '--name', 'term', 'busybox', 'sleep', '300'])).stdout.trim();
    expect((await api('POST', `/containers/${id}/resize?h=30&w=100`)).status).toBe(200);
    const size = await docker(['exec', 'term', 'sh', '-c', 'stty size </dev/console']);
    expect(size).toMatchObject({ code: 0, stdout: '30 100\n' });

    const execTty = await docker(['exec', '-t', 'term', 'sh', '-c', 'tty; test -t 0 && echo stdin-is-a-tty; exit 5']);
    expect(execTty.code).toBe(5);
    expect(execTty.stdout).toMatch(/^\/dev\/pts\/\d+\r\nstdin-is-a-tty\r\n$/);

    // An exec's initial console size and a resize while it runs. The exec says when it has read its
    // first size and waits for the resize to be done, so the order holds however loaded the machine.
    const script = 'stty size; touch /tmp/sized; while [ ! -e /tmp/resized ]; do sleep 0.05; done; stty size';
    const created = JSON.parse((await api('POST', `/containers/${id}/exec`, { Cmd: ['sh', '-c', script], Tty: true, AttachStdout: true, ConsoleSize: [20, 70] })).text) as { Id: string };
    const started = api('POST', `/exec/${created.Id}/start`, { Tty: true });
    for (let i = 0; i < 200 && (await docker(['exec', 'term', 'test', '-e', '/tmp/sized'])).code !== 0; i++) await new Promise((r) => setTimeout(r, 50));
    expect((await api('POST', `/exec/${created.Id}/resize?h=25&w=90`)).status).toBe(200);
    expect((await docker(['exec', 'term', 'touch', '/tmp/resized'])).code).toBe(0);
    expect((await started).text).toBe('20 70\r\n25 90\r\n');
    const inspect = JSON.parse((await api('GET', `/exec/${created.Id}/json`)).text) as { ExitCode: number; Running: boolean };
    expect(inspect).toMatchObject({ ExitCode: 0, Running: false });

    // exec -it from a real terminal (script(1) gives the CLI a pty): typed input reaches the process.
    // The typing waits until the session is set up, as a person's would.
    if (existsSync('/usr/bin/script')) {
      const child = spawn('/usr/bin/script', ['-qec', `${DOCKER_CLI} exec -it term sh -c 'read x; echo got:$x; exit 6'`, '/dev/null'], {
        env: dockerCliEnv(engine, { TERM: 'xterm' }),
        stdio: ['pipe', 'pipe', 'pipe'],
      });
      let typedOut = '';
      child.stdout.on('data', (d: Buffer) => (typedOut += d.toString()));
      const status = new Promise<number | null>((resolve) => child.on('close', resolve));
      setTimeout(() => child.stdin.write('typed\r'), 1500);
      expect(await status).toBe(6);
      expect(typedOut).toContain('got:typed');
    }
    const missing = await docker(['exec', '-t', 'term', '/no/such/cmd']);
    // dockerd 20.10 answers an exec whose binary is missing with 126 ("OCI runtime exec failed"),
    // tty or not; test/conformance's exec-missing-binary step compares the two engines.
    expect(missing.code).toBe(126);
    await docker(['rm', '-f', 'term']);
    expect(await engine.leftovers()).toEqual(NOTHING_LEFT);
  }, 60_000);

  it('isolation: own PID 1, own hostname, own root filesystem', async () => {
    const r = await docker(['run', '--rm', '--hostname', 'inside', 'busybox', 'sh', '-c', 'echo $$ $(hostname); ls /proc | grep -c "^[0-9]"; test -e /etc/os-release && echo host-root || echo own-root']);
    expect(r.code).toBe(0);
    const [first, count, root] = r.stdout.trim().split('\n');
    expect(first).toBe('1 inside');
    // ps-visible processes: sh, ls and grep (and maybe a subshell) — not the host's hundreds.
    expect(Number(count)).toBeLessThan(6);
    expect(root).toBe('own-root');
  }, 30_000);
});
