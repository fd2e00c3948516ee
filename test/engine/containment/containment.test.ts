// Containment, as tests rather than promises: real containers on the built-in engine, created the
// way `docker run busybox` creates them (default options), each guarantee checked from inside the
// container — processes, mounts, kernel modules, /proc and /sys, capabilities, seccomp, networks,
// the engine socket — and the two known runtime escapes (CVE-2019-5736, CVE-2024-21626) attempted.
// The README's "Guarantees" section cites these tests by name.
//
// What busybox cannot do (raw syscalls, opening without writing, a unix socket client, the
// CVE-2019-5736 attacker) a small static program does: probe.c beside this file, compiled here.
// Nothing here writes to a host file that matters even if a guarantee were broken: writable paths
// are probed by opening them, never by writing, and the runtime attacked is a copy of runc the
// test engine runs with.
//
// Related, not repeated: the OCI spec the engine renders (oci-spec.test.ts: masked and read-only
// path lists, capability arithmetic, the seccomp rules), network isolation in depth
// (networks.test.ts: isolation with forwarding turned back on, connect/disconnect), `docker cp`
// through planted symlinks (archive.test.ts), hostile archives (hostile-archives.test.ts).

import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, copyFileSync, existsSync, mkdtempSync, readFileSync, readlinkSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import Docker from 'dockerode';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cc, engineHost, requirePrereq, staticLibc } from '../../support/gates.js';
import { demux, demuxBuffer, execIn } from '../../support/streams.js';
import { startTestEngine, type TestEngine } from '../helpers/daemon-harness.js';
import { RUNC } from '../helpers/engine-env.js';
import { buildBusyboxImage } from '../helpers/images.js';

const skip = requirePrereq('containment', [...engineHost(), cc(), staticLibc()]);

const here = path.dirname(new URL(import.meta.url).pathname);
const IMAGE = 'busybox-probe:latest';

// moby oci.DefaultCapabilities as a bit mask: CHOWN(0) DAC_OVERRIDE(1) FOWNER(3) FSETID(4) KILL(5)
// SETGID(6) SETUID(7) SETPCAP(8) NET_BIND_SERVICE(10) NET_RAW(13) SYS_CHROOT(18) MKNOD(27)
// AUDIT_WRITE(29) SETFCAP(31).
const DOCKER_DEFAULT_CAPS = '00000000a80425fb';

const sha256 = (file: string): string => createHash('sha256').update(readFileSync(file)).digest('hex');

describe.skipIf(skip)('containment: a container made with default options', () => {
  let engine: TestEngine;
  let docker: Docker;
  let work: string;
  let runcCopy: string;
  let runcHash: string;
  const suffix = `${process.pid}`;

  beforeAll(async () => {
    work = mkdtempSync('/tmp/berth-containment-');
    // The runtime the CVE-2019-5736 attack aims at is this copy, never the host's runc.
    runcCopy = path.join(work, 'runc');
    copyFileSync(RUNC!, runcCopy);
    chmodSync(runcCopy, 0o755);
    runcHash = sha256(runcCopy);
    engine = await startTestEngine('contain', { importBusybox: false, runcBinary: runcCopy });
    docker = new Docker({ socketPath: engine.socketPath });
    // busybox plus the probe, statically linked (no libc in the image).
    const rootfs = buildBusyboxImage(path.join(work, 'rootfs'));
    execFileSync('gcc', ['-static', '-O1', '-Wall', '-o', path.join(rootfs, 'probe'), path.join(here, 'probe.c')]);
    const tar = execFileSync('tar', ['-C', rootfs, '-cf', '-', '.'], { maxBuffer: 64 << 20 });
    rmSync(rootfs, { recursive: true, force: true });
    for await (const _ of engine.daemon.engine.images.import({ source: Readable.from([tar]), repo: 'busybox-probe', tag: 'latest', changes: ['CMD ["sh"]'], signal: new AbortController().signal })) {
      // progress
    }
  }, 120_000);

  afterAll(async () => {
    await engine?.close();
    if (work) rmSync(work, { recursive: true, force: true });
  }, 60_000);

  /** `docker run --rm IMAGE cmd…`: exit code and output. */
  async function run(cmd: string[], opts: Partial<Docker.ContainerCreateOptions> = {}): Promise<{ code: number; stdout: string; stderr: string }> {
    const c = await docker.createContainer({ Image: IMAGE, Cmd: cmd, ...opts });
    try {
      await c.start();
      const { StatusCode } = (await c.wait()) as { StatusCode: number };
      const logs = (await c.logs({ stdout: true, stderr: true, follow: false })) as unknown as Buffer;
      return { code: StatusCode, ...(await demuxBuffer(docker, logs)) };
    } finally {
      await c.remove({ force: true });
    }
  }

  /** `label: value` lines as a record. */
  const fields = (text: string): Record<string, string> =>
    Object.fromEntries(
      text
        .split('\n')
        .map((l) => /^([^:]+):\s*(.*)$/.exec(l))
        .filter((m): m is RegExpExecArray => m !== null)
        .map((m) => [m[1].trim(), m[2].trim()]),
    );

  it('a container cannot see host processes', async () => {
    const hostPids = readdirSync('/proc').filter((n) => /^\d+$/.test(n));
    const { stdout, code } = await run([
      'sh',
      '-c',
      `echo "ns: $(readlink /proc/self/ns/pid)"; echo "pid1: $(tr '\\0' ' ' < /proc/1/cmdline)"; echo "pids: $(ls /proc | grep -E '^[0-9]+$' | tr '\\n' ' ')"; ` +
        `echo "host-test-process: $(test -e /proc/${process.pid} && echo visible || echo absent)"; kill -0 ${process.pid} 2>/dev/null; echo "signal-host: $?"`,
    ]);
    expect(code).toBe(0);
    const f = fields(stdout);
    // Its own PID namespace, in which its command is PID 1.
    expect(f.ns).toMatch(/^pid:\[\d+\]$/);
    expect(f.ns).not.toBe(readlinkSync('/proc/self/ns/pid'));
    expect(f.pid1.startsWith('sh -c echo "ns: ')).toBe(true);
    // Only its own few processes (sh, ls, grep…), where the host has many.
    const pids = f.pids.split(' ').filter((p) => p !== '').map(Number);
    expect(pids).toContain(1);
    expect(pids.length).toBeLessThanOrEqual(8);
    expect(hostPids.length).toBeGreaterThan(20);
    expect(Math.max(...pids)).toBeLessThan(50);
    // The test process (a host PID well above the container's) is neither visible nor signalable.
    expect(process.pid).toBeGreaterThan(50);
    expect(f['host-test-process']).toBe('absent');
    expect(f['signal-host']).toBe('1');
  }, 30_000);

  it('a container cannot mount, load kernel modules, or write /proc/sys and /sys', async () => {
    // Writable files are probed by opening them for writing, never written: a broken guarantee
    // must not change the host. Which of them exist depends on the kernel; at least two of each.
    const procSys = ['/proc/sys/kernel/sysrq', '/proc/sys/kernel/printk', '/proc/sys/vm/overcommit_memory', '/proc/sys/vm/drop_caches'].filter((p) => existsSync(p));
    const sys = ['/sys/kernel/mm/ksm/run', '/sys/kernel/uevent_helper', '/sys/kernel/mm/transparent_hugepage/enabled', '/sys/module/printk/parameters/time'].filter((p) => existsSync(p));
    expect(procSys.length).toBeGreaterThanOrEqual(2);
    expect(sys.length).toBeGreaterThanOrEqual(2);
    const { stdout, stderr } = await run([
      'sh',
      '-c',
      'mkdir -p /mnt; mount -t tmpfs none /mnt; echo "mount: $?"; insmod /probe; echo "insmod: $?"; ' +
        `/probe openw ${[...procSys, ...sys].join(' ')}; ` +
        'echo "sys-mount: $(grep " /sys sysfs " /proc/mounts)"; echo "proc-sys-mount: $(grep " /proc/sys proc " /proc/mounts)"',
    ]);
    const f = fields(stdout);
    expect(f.mount).not.toBe('0');
    // EPERM, busybox's words for it.
    expect(stderr).toMatch(/mount: permission denied \(are you root\?\)/);
    // init_module/finit_module are refused before the kernel even looks at the file (on the host,
    // this non-module would give "Invalid module format").
    expect(f.insmod).not.toBe('0');
    expect(stderr).toMatch(/insmod: can't insert '\/probe': Operation not permitted/);
    // EROFS: the read-only mount refuses the open itself, before any permission or content check.
    for (const p of [...procSys, ...sys]) expect(f[p], p).toBe('EROFS');
    expect(f['sys-mount']).toMatch(/^sysfs \/sys sysfs ro[,\s]/);
    expect(f['proc-sys-mount']).toMatch(/^proc \/proc\/sys proc ro[,\s]/);
  }, 30_000);

  it("a container has exactly Docker's default capabilities", async () => {
    const { stdout } = await run(['cat', '/proc/self/status']);
    const f = fields(stdout);
    expect({ CapInh: f.CapInh, CapPrm: f.CapPrm, CapEff: f.CapEff, CapBnd: f.CapBnd, CapAmb: f.CapAmb }).toEqual({
      CapInh: '0000000000000000',
      CapPrm: DOCKER_DEFAULT_CAPS,
      CapEff: DOCKER_DEFAULT_CAPS,
      CapBnd: DOCKER_DEFAULT_CAPS,
      CapAmb: '0000000000000000',
    });
  }, 30_000);

  it('a container runs under a seccomp filter: unshare, mount, keyctl and ptrace are denied', async () => {
    // Docker's default profile, as the engine renders it (seccomp-profile.ts). One difference, on
    // the strict side: dockerd (≥ 19.03, on kernels ≥ 4.8) lets a container's process ptrace its
    // siblings without CAP_SYS_PTRACE (checked with dockerd 20.10 on this kernel: "ptrace: ok");
    // the engine keeps ptrace behind CAP_SYS_PTRACE. Either way the processes outside the container
    // are out of reach: the host's are not in its PID namespace, and the runtime entering it is not
    // dumpable (see the CVE-2019-5736 test).
    const { stdout, stderr } = await run([
      'sh',
      '-c',
      'grep -E "^(Seccomp|Seccomp_filters|NoNewPrivs):" /proc/self/status; ' +
        // A user namespace needs no capability: only the seccomp policy refuses it.
        'unshare -U true; echo "unshare-user: $?"; unshare -m true; echo "unshare-mount: $?"; ' +
        'mkdir -p /mnt; mount -t proc proc /mnt; echo "mount-proc: $?"; /probe keyctl; ' +
        // Same user, same capabilities, no Yama: the kernel alone would let it trace its sibling.
        'sleep 30 & /probe ptrace $!; kill $!',
    ]);
    const f = fields(stdout);
    expect(f.Seccomp).toBe('2');
    expect(Number(f.Seccomp_filters)).toBeGreaterThanOrEqual(1);
    expect(f['unshare-user']).not.toBe('0');
    expect(f['unshare-mount']).not.toBe('0');
    expect(stderr).toMatch(/unshare: unshare\(0x10000000\): Operation not permitted/);
    expect(stderr).toMatch(/unshare: unshare\(0x20000\): Operation not permitted/);
    expect(f['mount-proc']).not.toBe('0');
    expect({ keyctl: f.keyctl, add_key: f.add_key, request_key: f.request_key, ptrace: f.ptrace }).toEqual({ keyctl: 'EPERM', add_key: 'EPERM', request_key: 'EPERM', ptrace: 'EPERM' });
  }, 30_000);

  it('a container sees masked /proc and /sys paths masked and read-only paths read-only', async () => {
    const masked = ['/proc/asound', '/proc/acpi', '/proc/kcore', '/proc/keys', '/proc/latency_stats', '/proc/timer_list', '/proc/timer_stats', '/proc/sched_debug', '/proc/scsi', '/sys/firmware', '/sys/devices/virtual/powercap'];
    const readonly = ['/proc/bus', '/proc/fs', '/proc/irq', '/proc/sys', '/proc/sysrq-trigger'];
    const describePath = (p: string): string =>
      `if [ -d ${p} ]; then echo "${p}: dir entries=$(ls -A ${p} | wc -l) mount=$(awk '$5 == "${p}" {print $9, substr($6, 1, 2)}' /proc/self/mountinfo)"; ` +
      `elif [ -e ${p} ]; then echo "${p}: file dev=$(stat -c %t:%T ${p}) bytes=$(head -c 64 ${p} | wc -c) mount=$(awk '$5 == "${p}" {print substr($6, 1, 2)}' /proc/self/mountinfo)"; else echo "${p}: absent"; fi`;
    const script = [...masked.map(describePath), ...readonly.map(describePath), `/probe openw ${readonly.join(' ')} | sed 's/^/open /'`].join('; ');
    const { stdout } = await run(['sh', '-c', script]);
    const f = fields(stdout);
    const onHost = (p: string): 'dir' | 'file' | 'absent' => (!existsSync(p) ? 'absent' : statSync(p).isDirectory() ? 'dir' : 'file');
    let hidden = 0;
    for (const p of masked) {
      // What the host has is hidden: a file behind /dev/null (char 1:3, empty), a directory behind
      // an empty read-only tmpfs. What the host lacks stays absent.
      const host = onHost(p);
      if (host === 'file') expect(f[p], p).toMatch(/^file dev=1:3 bytes=0 mount=r[ow]$/);
      else if (host === 'dir') expect(f[p], p).toBe('dir entries=0 mount=tmpfs ro');
      else expect(f[p], p).toBe('absent');
      if (host !== 'absent') hidden++;
    }
    // Not vacuous: this kernel has several of them, with content the container must not see.
    expect(hidden).toBeGreaterThanOrEqual(3);
    let readOnly = 0;
    for (const p of readonly) {
      const host = onHost(p);
      if (host === 'absent') {
        expect(f[p], p).toBe('absent');
        continue;
      }
      readOnly++;
      // Mounted read-only over itself; opening for writing fails on the mount (EISDIR for a directory).
      expect(f[p], p).toMatch(host === 'dir' ? /^dir entries=[1-9]\d* mount=proc ro$/ : /^file .* mount=ro$/);
      expect(f[`open ${p}`], p).toBe(host === 'dir' ? 'EISDIR' : 'EROFS');
    }
    expect(readOnly).toBeGreaterThanOrEqual(3);
  }, 30_000);

  it('a container cannot reach networks it is not on', async () => {
    // The short form of networks.test.ts's isolation test: a listener on B, a client on A, and a
    // listener on A as the positive control.
    const a = `contain-a-${suffix}`;
    const b = `contain-b-${suffix}`;
    await docker.createNetwork({ Name: a });
    await docker.createNetwork({ Name: b });
    const listen = ['sh', '-c', 'while true; do echo hello | nc -l -p 7000; done'];
    const onB = await docker.createContainer({ Image: IMAGE, Cmd: listen, HostConfig: { NetworkMode: b } });
    const onA = await docker.createContainer({ Image: IMAGE, Cmd: listen, HostConfig: { NetworkMode: a } });
    const client = await docker.createContainer({ Image: IMAGE, Cmd: ['sleep', '60'], HostConfig: { NetworkMode: a } });
    try {
      for (const c of [onB, onA, client]) await c.start();
      const ipOn = async (c: Docker.Container, n: string): Promise<string> => (await c.inspect()).NetworkSettings.Networks[n].IPAddress;
      const [ipB, ipA] = [await ipOn(onB, b), await ipOn(onA, a)];
      const connect = (ip: string): Promise<{ code: number; stdout: string }> => execIn(docker, client, ['sh', '-c', `nc -w 1 ${ip} 7000 </dev/null`]);
      let same = await connect(ipA);
      for (let i = 0; i < 30 && same.stdout !== 'hello\n'; i++) {
        await new Promise((r) => setTimeout(r, 100));
        same = await connect(ipA);
      }
      expect(same.stdout).toBe('hello\n');
      // Its listener answers on B (seen from B's own side)…
      expect((await execIn(docker, onB, ['sh', '-c', `nc -w 1 ${ipB} 7000 </dev/null`])).stdout).toBe('hello\n');
      // …but not to a container on A.
      const across = await connect(ipB);
      expect(across.code).not.toBe(0);
      expect(across.stdout).toBe('');
    } finally {
      for (const c of [onB, onA, client]) await c.remove({ force: true });
      await docker.getNetwork(a).remove();
      await docker.getNetwork(b).remove();
    }
  }, 30_000);

  it('a container cannot reach the engine socket unless it is mounted in on purpose', async () => {
    const places = [engine.socketPath, '/var/run/docker.sock', '/run/docker.sock', '/run/berth/engine.sock'];
    const absent = await run([
      'sh',
      '-c',
      [
        `test -e ${engine.runRoot} && echo "run-root: present" || echo "run-root: absent"`,
        // No unix socket anywhere in its filesystems (/proc and /sys aside).
        `echo "sockets: $(find / \\( -path /proc -o -path /sys \\) -prune -o -type s -print | tr '\\n' ' ')"`,
        ...places.map((p) => `/probe ping ${p} | sed 's|^|${p} |'`),
      ].join('; '),
    ]);
    const f = fields(absent.stdout);
    expect(f['run-root']).toBe('absent');
    expect(f.sockets).toBe('');
    for (const p of places) expect(f[`${p} connect`], p).toBe('ENOENT');
    // The positive control: bound in on purpose, the same probe reaches the engine.
    const mounted = await run(['/probe', 'ping', '/var/run/docker.sock'], { HostConfig: { Binds: [`${engine.socketPath}:/var/run/docker.sock`] } });
    expect(fields(mounted.stdout)).toMatchObject({ connect: 'ok', status: expect.stringMatching(/^HTTP\/1\.[01] 200 OK$/) });
  }, 30_000);

  it('a container cannot overwrite the host runtime binary through /proc/PID/exe (CVE-2019-5736)', async () => {
    // The attacker (probe.c, exe-attack) is the container's process and watches /proc for the
    // runtime entering; the test makes it enter five times: a plain exec, the classic trigger (an
    // exec of /proc/self/exe, which makes the runtime execute itself inside the container) directly
    // and through a symlink planted in the container (the original exploit's "/bin/sh ->
    // /proc/self/exe"), and the exec that tells the attacker to stop.
    const c = await docker.createContainer({ Image: IMAGE, Cmd: ['/probe', 'exe-attack', '20', '/tmp/stop'] });
    let log = '';
    try {
      await c.start();
      for (let i = 0; i < 100 && !log.includes('attacker: watching'); i++) {
        await new Promise((r) => setTimeout(r, 20));
        log = ((await c.logs({ stdout: true, follow: false })) as unknown as Buffer).toString();
      }
      expect((await execIn(docker, c, ['ln', '-s', '/proc/self/exe', '/tmp/sh'])).code).toBe(0);
      for (const cmd of [['/proc/self/exe', '--version'], ['/tmp/sh', '--version']]) {
        // The runtime refuses to run its own binary as the command (it is not in the container's files).
        const self = await execIn(docker, c, cmd);
        expect(self.code, cmd[0]).not.toBe(0);
        expect(self.stdout + self.stderr).not.toMatch(/runc version/);
      }
      await execIn(docker, c, ['touch', '/tmp/stop']);
      expect((await c.wait()).StatusCode).toBe(0);
      log = (await demuxBuffer(docker, (await c.logs({ stdout: true, stderr: true, follow: false })) as unknown as Buffer)).stdout;
    } finally {
      await c.remove({ force: true });
    }
    const lines = log.split('\n');
    // Not vacuous: the attacker saw the runtime come in (runc init, not dumpable while it sets the
    // process up, so even the link is refused) and the processes it started.
    const seen = new Set(lines.map((l) => /^pid (\d+) /.exec(l)?.[1]).filter((p) => p !== undefined));
    expect(seen.size, log).toBeGreaterThanOrEqual(2);
    expect(log).toMatch(/^pid \d+ exe-link: EACCES$/m);
    expect(log).toMatch(/attacker: done/);
    // No way to its executable for writing: not while it runs, not through a descriptor held after.
    expect(log).not.toMatch(/open-write: ok|reopen-write: ok|WROTE/);
    // And the binary the engine runs containers with is byte for byte what it was.
    expect(sha256(runcCopy)).toBe(runcHash);

    // A container whose command is the runtime itself (an entrypoint that is /proc/self/exe) never
    // runs it: runc 1.1 starts it and its exec fails inside ("exec /proc/self/exe: no such file or
    // directory", status 1); a runtime refusing it at start would do as well. The binary stays as it was.
    const entry = await docker.createContainer({ Image: IMAGE, Entrypoint: ['/proc/self/exe'], Cmd: ['--version'] });
    try {
      const started = await entry.start().then(
        () => 'started',
        (e: { statusCode?: number; message: string }) => `${e.statusCode}: ${e.message}`,
      );
      if (started === 'started') {
        expect((await entry.wait()).StatusCode).not.toBe(0);
        const out = await demuxBuffer(docker, (await entry.logs({ stdout: true, stderr: true, follow: false })) as unknown as Buffer);
        expect(out.stdout + out.stderr).not.toMatch(/runc version/);
      } else expect(started).toMatch(/^(400|500): .*\/proc\/self\/exe/);
    } finally {
      await entry.remove({ force: true });
    }
    expect(sha256(runcCopy)).toBe(runcHash);
  }, 30_000);

  it('a working directory through a leaked descriptor never reaches the host (CVE-2024-21626)', async () => {
    // The exploit: runc leaked a host directory descriptor (fd 7 or 8) into the container's init, and
    // a working directory of /proc/self/fd/N put the process in the host's filesystem, from where a
    // relative path climbs to any host file. A marker only the host has tells whether it worked.
    const marker = path.join(work, 'host-marker');
    writeFileSync(marker, 'host file\n');
    const climb = `cat ../../../../../../../../..${marker}; cat ${'../'.repeat(9)}etc/hostname`;
    // Containers for the descriptors of the published exploits (a refused start costs the engine two
    // runc runs: the prepared one and the start's own), execs for every low descriptor.
    for (const n of [7, 8, 9]) {
      const c = await docker.createContainer({ Image: IMAGE, WorkingDir: `/proc/self/fd/${n}`, Cmd: ['sh', '-c', `pwd; ${climb}`] });
      try {
        const started = await c.start().then(
          () => undefined,
          (e: { statusCode?: number; message: string }) => e,
        );
        if (started) {
          // Refused: the runtime could not make a descriptor the working directory.
          expect(started.statusCode, started.message).toBeGreaterThanOrEqual(400);
          expect(started.message).toContain(`/proc/self/fd/${n}`);
          expect((await c.inspect()).State.Running).toBe(false);
        } else {
          await c.wait();
        }
        const out = await demuxBuffer(docker, (await c.logs({ stdout: true, stderr: true, follow: false })) as unknown as Buffer);
        expect(out.stdout + out.stderr, `fd ${n}`).not.toContain('host file');
        expect(out.stdout, `fd ${n}`).not.toContain(readFileSync('/etc/hostname', 'utf8').trim() || '\0');
      } finally {
        await c.remove({ force: true });
      }
    }
    // The same through exec, into a running container.
    const c = await docker.createContainer({ Image: IMAGE, Cmd: ['sleep', '60'] });
    try {
      await c.start();
      for (const n of [3, 4, 5, 6, 7, 8, 9]) {
        const e = await c.exec({ Cmd: ['sh', '-c', `pwd; ${climb}`], WorkingDir: `/proc/self/fd/${n}`, AttachStdout: true, AttachStderr: true });
        const out = await demux(docker, await e.start({}));
        expect(out.stdout + out.stderr, `exec fd ${n}`).not.toContain('host file');
        expect(out.stdout + out.stderr).toMatch(new RegExp(`chdir to cwd \\("/proc/self/fd/${n}"\\) set in config.json failed`));
        expect((await e.inspect()).ExitCode).toBe(126);
      }
      // And no descriptor beyond stdio reaches a container's processes, its first or an exec'd one.
      expect((await execIn(docker, c, ['ls', '/proc/1/fd'])).stdout.split('\n').filter((l) => l !== '')).toEqual(['0', '1', '2']);
      expect((await execIn(docker, c, ['sh', '-c', 'ls /proc/$$/fd; true'])).stdout.split('\n').filter((l) => l !== '')).toEqual(['0', '1', '2']);
    } finally {
      await c.remove({ force: true });
    }
  }, 60_000);
});
