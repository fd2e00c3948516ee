// The parts of #20 the conformance script only glances at, through the real docker CLI on a
// private built-in engine: commit/diff/export, json-file rotation read back by `docker logs`
// (also while following), the local and none drivers, exec's failures and pruning, update's
// range checks, network counters in stats, and options the engine refuses by name.

import { spawn } from 'node:child_process';
import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { DOCKER_CLI, dockerCliEnv, runDockerCli, type CliResult } from '../helpers/docker-cli.js';
import { dockerCli, engineHost, requirePrereq } from '../../support/gates.js';
import type { TestEngine } from '../helpers/daemon-harness.js';
import { useTestEngine } from '../../support/engines.js';

const skip = requirePrereq('docker CLI against the built-in engine', [...engineHost(), dockerCli()]);

describe.skipIf(skip)('the engine API surface of #20 through the docker CLI', () => {
  let engine: TestEngine;
  const docker = (...args: string[]): Promise<CliResult> => runDockerCli(engine, args);

  useTestEngine('surface', (e) => {
    engine = e;
  });

  it('diff lists A/C/D from the upper dir; commit makes it an image with --change; export tars the merged root', async () => {
    const c = 'surf-commit';
    expect((await docker('run', '--name', c, 'busybox', 'sh', '-c', 'echo new > /tmp/added; rm /bin/ls; echo x >> /etc/group')).code).toBe(0);
    const diff = await docker('diff', c);
    expect(diff.code).toBe(0);
    const lines = diff.stdout.trim().split('\n').sort();
    expect(lines).toEqual(expect.arrayContaining(['A /tmp/added', 'C /tmp', 'D /bin/ls', 'C /etc/group', 'C /etc', 'C /bin']));
    // Nothing of the init layer (/.dockerenv, the /etc/hosts mount points) is the container's change.
    expect(lines.some((l) => /dockerenv|etc\/hosts|etc\/hostname/.test(l))).toBe(false);

    const commit = await docker('commit', '--change', 'CMD ["cat", "/tmp/added"]', '--change', 'ENV COMMITTED=yes', '-m', 'the message', '-a', 'me', c, 'surf/committed:1');
    expect(commit.stderr).toBe('');
    expect(commit.stdout).toMatch(/^sha256:[0-9a-f]{64}\n$/);
    expect(await docker('run', '--rm', 'surf/committed:1')).toMatchObject({ code: 0, stdout: 'new\n' });
    const gone = await docker('run', '--rm', 'surf/committed:1', 'sh', '-c', 'test -e /bin/ls && echo present || echo deleted; echo $COMMITTED');
    expect(gone.stdout).toBe('deleted\nyes\n');
    const meta = await docker('image', 'inspect', '--format', '{{.Comment}}|{{.Author}}|{{len .RootFS.Layers}}', 'surf/committed:1');
    expect(meta.stdout).toMatch(/^the message\|me\|2\n$/);

    const tarFile = path.join(engine.dir, 'export.tar');
    expect((await docker('export', '-o', tarFile, c)).code).toBe(0);
    const listing = await new Promise<string>((resolve, reject) => {
      const tar = spawn('tar', ['-tf', tarFile]);
      let out = '';
      tar.stdout.on('data', (d: Buffer) => (out += d.toString()));
      tar.on('error', reject);
      tar.on('close', () => resolve(out));
    });
    const names = listing.split('\n');
    expect(names).toEqual(expect.arrayContaining(['.dockerenv', 'tmp/added', 'bin/sh', 'etc/']));
    expect(names).not.toContain('bin/ls');
    expect((await docker('rm', c)).code).toBe(0);
    expect((await docker('rmi', 'surf/committed:1')).code).toBe(0);
  }, 60_000);

  it('json-file max-size/max-file rotate in the shim; logs reads across the files, -f follows through a rotation', async () => {
    const c = 'surf-rotate';
    // ~60 bytes a line: 1k rotates every ~16 lines; 3 files keep the last ~48.
    const created = await docker('create', '--name', c, '--log-opt', 'max-size=1k', '--log-opt', 'max-file=3', 'busybox', 'sh', '-c', 'sleep 0.5; i=0; while [ $i -lt 200 ]; do i=$((i+1)); echo "line $i"; [ $((i % 20)) -eq 0 ] && sleep 0.05; done');
    expect(created.code).toBe(0);
    const capture = (args: string[]): { done: Promise<string> } => {
      const child = spawn(DOCKER_CLI, args, { env: dockerCliEnv(engine) });
      let out = '';
      child.stdout.on('data', (d: Buffer) => (out += d.toString()));
      return { done: new Promise((resolve) => child.on('close', () => resolve(out))) };
    };
    const attached = capture(['start', '-a', c]);
    // logs -f follows a running container only: wait for the start (its output begins 0.5 s later).
    for (let i = 0; i < 100 && (await docker('inspect', '--format', '{{.State.Running}}', c)).stdout !== 'true\n'; i++) await new Promise((r) => setTimeout(r, 20));
    // Following from before the first line: it reads through every rotation to the end.
    const followed = capture(['logs', '-f', c]);
    const contiguous = (text: string): number[] => {
      const n = text.split('\n').filter((l) => l !== '').map((l) => Number(l.slice(5)));
      expect(n).toEqual(Array.from({ length: n.length }, (_, i) => n[0] + i));
      return n;
    };
    expect(contiguous(await attached.done)).toHaveLength(200);
    expect(contiguous(await followed.done).at(-1)).toBe(200);
    const id = (await docker('inspect', '--format', '{{.Id}}', c)).stdout.trim();
    const dir = path.join(engine.root, 'containers', id);
    const logs = readdirSync(dir).filter((n) => n.startsWith('container-json.log')).sort();
    expect(logs).toEqual(['container-json.log', 'container-json.log.1', 'container-json.log.2']);
    const out = (await docker('logs', c)).stdout.trim().split('\n');
    // The oldest lines went with the rotation; what is kept runs, in order, to the last line.
    expect(out.length).toBeGreaterThan(20);
    expect(out.length).toBeLessThan(200);
    expect(out.at(-1)).toBe('line 200');
    const numbers = out.map((l) => Number(l.slice(5)));
    expect(numbers).toEqual([...numbers].sort((a, b) => a - b));
    expect(numbers.at(-1)! - numbers[0] + 1).toBe(numbers.length);
    expect((await docker('rm', c)).code).toBe(0);
  }, 60_000);

  it('the none driver keeps nothing for docker logs but run still shows the output; local keeps them with its defaults', async () => {
    expect(await docker('run', '--name', 'surf-none', '--log-driver', 'none', 'busybox', 'echo', 'seen')).toMatchObject({ code: 0, stdout: 'seen\n' });
    const none = await docker('logs', 'surf-none');
    expect(none.code).not.toBe(0);
    expect(none.stderr).toContain('configured logging driver does not support reading');
    expect(await docker('run', '--name', 'surf-local', '--log-driver', 'local', 'busybox', 'echo', 'kept')).toMatchObject({ code: 0, stdout: 'kept\n' });
    expect(await docker('logs', 'surf-local')).toMatchObject({ code: 0, stdout: 'kept\n' });
    expect((await docker('inspect', '--format', '{{.HostConfig.LogConfig.Type}}', 'surf-local')).stdout).toBe('local\n');
    const bad = await docker('run', '--rm', '--log-driver', 'syslog', 'busybox', 'true');
    expect(bad.stderr).toContain('logging driver "syslog" is not supported by the built-in engine');
    const opt = await docker('run', '--rm', '--log-opt', 'labels=a', 'busybox', 'true');
    expect(opt.stderr).toContain("log opt 'labels' is not supported");
    expect((await docker('rm', 'surf-none', 'surf-local')).code).toBe(0);
  }, 60_000);

  it('exec: a failed start is 126 with the runtime message on the stream; finished execs leave ExecIDs; -e VAR unset removes it', async () => {
    expect((await docker('run', '-d', '--name', 'surf-exec', '-e', 'KEEP=1', '-e', 'DROP=1', 'busybox', 'sleep', '300')).code).toBe(0);
    const missing = await docker('exec', 'surf-exec', '/nosuch');
    expect(missing.code).toBe(126);
    expect(missing.stdout).toContain('OCI runtime exec failed: exec failed: unable to start container process: exec: "/nosuch"');
    expect(missing.stderr).toBe('');
    expect(await docker('exec', '-u', 'nosuch', 'surf-exec', 'id')).toMatchObject({ code: 126, stdout: 'unable to find user nosuch: no matching entries in passwd file\r\n' });
    // The CLI has no DROP in its environment: it sends the bare name, which removes the variable.
    const env = await docker('exec', '-e', 'DROP', 'surf-exec', 'sh', '-c', 'echo ${KEEP}/${DROP-unset}');
    expect(env.stdout).toBe('1/unset\n');
    expect((await docker('exec', 'surf-exec', 'true')).code).toBe(0);
    expect((await docker('inspect', '--format', '{{len .ExecIDs}}', 'surf-exec')).stdout).toBe('0\n');
    expect((await docker('rm', '-f', 'surf-exec')).code).toBe(0);
  }, 60_000);

  it('update refuses limits dockerd refuses, before anything changes; the restart policy survives an update of memory', async () => {
    expect((await docker('create', '--name', 'surf-upd', '--restart', 'always', 'busybox', 'true')).code).toBe(0);
    const tiny = await docker('update', '--memory', '1k', 'surf-upd');
    expect(tiny).toMatchObject({ code: 1, stderr: 'Error response from daemon: Minimum memory limit allowed is 6MB\n' });
    expect((await docker('update', '--memory', '64m', '--memory-swap', '128m', 'surf-upd')).code).toBe(0);
    expect((await docker('inspect', '--format', '{{.HostConfig.Memory}} {{.HostConfig.RestartPolicy.Name}}', 'surf-upd')).stdout).toBe('67108864 always\n');
    expect((await docker('rm', 'surf-upd')).code).toBe(0);
  }, 30_000);

  it('stats read the network counters inside the container; sizes for ps -s', async () => {
    expect((await docker('run', '-d', '--name', 'surf-net', 'busybox', 'sleep', '300')).code).toBe(0);
    await docker('exec', 'surf-net', 'sh', '-c', 'ping -c 2 -W 1 $(ip route | awk "/default/ {print \\$3}") >/dev/null');
    const stats = await docker('stats', '--no-stream', '--format', '{{.NetIO}}', 'surf-net');
    expect(stats.stdout).not.toBe('0B / 0B\n');
    expect(stats.stdout).toMatch(/^\d+(\.\d+)?k?B \/ \d+(\.\d+)?k?B\n$/);
    await docker('exec', 'surf-net', 'sh', '-c', 'head -c 100000 /dev/zero > /tmp/blob');
    const size = await docker('ps', '-s', '--filter', 'name=surf-net', '--format', '{{.Size}}');
    expect(size.stdout).toMatch(/^100kB \(virtual [\d.]+MB\)\n$/);
    expect((await docker('rm', '-f', 'surf-net')).code).toBe(0);
  }, 30_000);

  it('refuses by name what cannot be applied here, at create', async () => {
    const apparmor = await docker('run', '--rm', '--security-opt', 'apparmor=docker-default', 'busybox', 'true');
    expect(apparmor.stderr).toContain('AppArmor is not available to the built-in engine');
    const weight = await docker('run', '--rm', '--blkio-weight', '500', 'busybox', 'true');
    if (existsSync('/sys/fs/cgroup/blkio/blkio.weight') || existsSync('/sys/fs/cgroup/blkio/blkio.bfq.weight')) expect(weight.code).toBe(0);
    else expect(weight.stderr).toContain('BlkioWeight: this kernel has no block I/O weight (blkio.weight), so the weight cannot be applied');
    const storage = await docker('run', '--rm', '--storage-opt', 'size=1G', 'busybox', 'true');
    expect(storage.stderr).toContain('StorageOpt (size)');
    const profile = path.join(engine.dir, 'deny-mkdir.json');
    writeFileSync(profile, JSON.stringify({ defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['mkdir', 'mkdirat'], action: 'SCMP_ACT_ERRNO' }] }));
    const seccomp = await docker('run', '--rm', '--security-opt', `seccomp=${profile}`, 'busybox', 'sh', '-c', 'mkdir /x && echo made || echo refused');
    expect(seccomp.stdout).toBe('refused\n');
    const rule = await docker('run', '--rm', '--device-cgroup-rule', 'c 1:3 r', '--device', '/dev/null:/dev/xnull:r', 'busybox', 'sh', '-c', 'cat /dev/xnull && echo readable');
    expect(rule.stdout).toBe('readable\n');
  }, 60_000);
});
