import { describe, expect, it } from 'vitest';
import {
  ALL_CAPABILITIES,
  buildOciSpec,
  ContainerSpecError,
  DEFAULT_CAPABILITIES,
  resolveCapabilities,
  type ContainerSpec,
} from '../../../src/engine/runtime/oci-spec.js';
import { renderSeccomp } from '../../../src/engine/runtime/seccomp-profile.js';

const base: ContainerSpec = { args: ['sh', '-c', 'true'], rootfs: '/var/lib/berth/c/rootfs', arch: 'x64' };

describe('buildOciSpec', () => {
  it('produces runtime-spec 1.0.2 with Docker defaults for a minimal spec', () => {
    const s = buildOciSpec(base);
    expect(s.ociVersion).toBe('1.0.2');
    expect(s.process).toMatchObject({
      terminal: false,
      user: { uid: 0, gid: 0 },
      args: ['sh', '-c', 'true'],
      env: ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'],
      cwd: '/',
      noNewPrivileges: false,
    });
    expect(s.process.capabilities.bounding).toEqual(DEFAULT_CAPABILITIES);
    expect(s.process.capabilities.effective).toEqual(DEFAULT_CAPABILITIES);
    expect(s.process.capabilities.inheritable).toEqual([]);
    expect(s.root).toEqual({ path: '/var/lib/berth/c/rootfs', readonly: false });
    expect(s.linux.namespaces).toEqual([{ type: 'mount' }, { type: 'network' }, { type: 'uts' }, { type: 'pid' }, { type: 'ipc' }]);
    expect(s.mounts.map((m) => m.destination)).toEqual(['/proc', '/dev', '/sys', '/dev/pts', '/dev/mqueue', '/dev/shm', '/sys/fs/cgroup']);
    expect(s.mounts.find((m) => m.destination === '/sys')?.options).toContain('ro');
    expect(s.mounts.find((m) => m.destination === '/sys/fs/cgroup')?.options).toContain('ro');
    expect(s.mounts.find((m) => m.destination === '/dev/shm')?.options).toContain(`size=${64 * 1024 * 1024}`);
    expect(s.linux.maskedPaths).toContain('/proc/kcore');
    expect(s.linux.readonlyPaths).toEqual(['/proc/bus', '/proc/fs', '/proc/irq', '/proc/sys', '/proc/sysrq-trigger']);
    expect(s.linux.resources.devices[0]).toEqual({ allow: false, access: 'rwm' });
    expect(s.linux.resources.memory).toBeUndefined();
    expect(s.linux.seccomp?.defaultAction).toBe('SCMP_ACT_ERRNO');
    expect(s.hostname).toBeUndefined();
    expect(JSON.parse(JSON.stringify(s))).toEqual(s);
  });

  it('sets user, hostname, tty env, cwd, rlimits, sysctls (sorted), oom score and no-new-privileges', () => {
    const s = buildOciSpec({
      ...base,
      user: { uid: 1000, gid: 1000, additionalGids: [50, 29] },
      hostname: 'web',
      tty: true,
      cwd: '/srv',
      env: ['PATH=/opt/bin', 'A=1', 'HOSTNAME=override'],
      rlimits: [{ type: 'nofile', soft: 1024, hard: 2048 }],
      sysctls: { 'net.ipv4.ip_forward': '1', 'kernel.shmmax': '1' },
      oomScoreAdj: 500,
      noNewPrivileges: true,
      readonlyRootfs: true,
    });
    expect(s.process.user).toEqual({ uid: 1000, gid: 1000, additionalGids: [50, 29] });
    expect(s.process.env).toEqual(['PATH=/opt/bin', 'HOSTNAME=override', 'TERM=xterm', 'A=1']);
    expect(s.process.terminal).toBe(true);
    expect(s.process.cwd).toBe('/srv');
    expect(s.process.rlimits).toEqual([{ type: 'RLIMIT_NOFILE', soft: 1024, hard: 2048 }]);
    expect(Object.keys(s.linux.sysctl ?? {})).toEqual(['kernel.shmmax', 'net.ipv4.ip_forward']);
    expect(s.process.oomScoreAdj).toBe(500);
    expect(s.process.noNewPrivileges).toBe(true);
    expect(s.hostname).toBe('web');
    expect(s.root.readonly).toBe(true);
  });

  it('joins namespaces by path and always keeps a mount namespace', () => {
    const s = buildOciSpec({ ...base, namespaces: [{ type: 'network', path: '/proc/42/ns/net' }, { type: 'pid' }] });
    expect(s.linux.namespaces).toEqual([{ type: 'mount' }, { type: 'network', path: '/proc/42/ns/net' }, { type: 'pid' }]);
  });

  it('maps resources the way dockerd does', () => {
    const s = buildOciSpec({
      ...base,
      cgroupsPath: '/berth/abc',
      resources: { memory: 64 << 20, memoryReservation: 32 << 20, cpuShares: 512, nanoCpus: 1.5e9, cpusetCpus: '0', pidsLimit: 100 },
    });
    expect(s.linux.cgroupsPath).toBe('/berth/abc');
    // memorySwap unset with memory set: twice the memory (daemon.adaptContainerSettings)
    expect(s.linux.resources.memory).toEqual({ limit: 64 << 20, reservation: 32 << 20, swap: 128 << 20 });
    expect(s.linux.resources.cpu).toEqual({ shares: 512, period: 100000, quota: 150000, cpus: '0' });
    expect(s.linux.resources.pids).toEqual({ limit: 100 });
    expect(buildOciSpec({ ...base, resources: { memory: 64 << 20, memorySwap: -1 } }).linux.resources.memory?.swap).toBe(-1);
    expect(buildOciSpec({ ...base, resources: { cpuPeriod: 50000, cpuQuota: 25000 } }).linux.resources.cpu).toEqual({ period: 50000, quota: 25000 });
    expect(buildOciSpec({ ...base, resources: { pidsLimit: -1 } }).linux.resources.pids).toBeUndefined();
  });

  it('orders mounts parents first; user mounts replace defaults; etc files follow readonlyRootfs', () => {
    const s = buildOciSpec({
      ...base,
      mounts: [
        { type: 'bind', source: '/srv/data', target: '/data/sub', readonly: true },
        { type: 'tmpfs', target: '/dev/shm', sizeBytes: 1 << 30, mode: 0o1777 },
        { type: 'bind', source: '/srv', target: '/data', propagation: 'rslave' },
      ],
      etcFiles: { hosts: '/s/hosts', hostname: '/s/hostname', resolvConf: '/s/resolv.conf' },
    });
    const dests = s.mounts.map((m) => m.destination);
    expect(dests.indexOf('/data')).toBeLessThan(dests.indexOf('/data/sub'));
    expect(dests.filter((d) => d === '/dev/shm')).toHaveLength(1);
    expect(s.mounts.find((m) => m.destination === '/dev/shm')).toEqual({
      destination: '/dev/shm',
      type: 'tmpfs',
      source: 'tmpfs',
      options: ['nosuid', 'nodev', 'noexec', `size=${1 << 30}`, 'mode=1777'],
    });
    expect(s.mounts.find((m) => m.destination === '/data/sub')?.options).toEqual(['rbind', 'rprivate', 'ro']);
    expect(s.mounts.find((m) => m.destination === '/data')?.options).toEqual(['rbind', 'rslave']);
    expect(s.mounts.find((m) => m.destination === '/etc/hosts')).toEqual({ destination: '/etc/hosts', type: 'bind', source: '/s/hosts', options: ['rbind', 'rprivate'] });
    const ro = buildOciSpec({ ...base, readonlyRootfs: true, etcFiles: { hosts: '/s/hosts' } });
    expect(ro.mounts.find((m) => m.destination === '/etc/hosts')?.options).toEqual(['rbind', 'rprivate', 'ro']);
  });

  it('adds extra masked paths after Docker’s', () => {
    const s = buildOciSpec({ ...base, extraMaskedPaths: ['/var/lib/berth'] });
    expect(s.linux.maskedPaths.at(-1)).toBe('/var/lib/berth');
  });

  it('omits seccomp when unconfined', () => {
    expect(buildOciSpec({ ...base, seccomp: 'unconfined' }).linux.seccomp).toBeUndefined();
  });

  it('reports every problem at once', () => {
    let err: unknown;
    try {
      buildOciSpec({
        args: [],
        rootfs: 'relative',
        cwd: 'srv',
        capAdd: ['BOGUS'],
        resources: { memory: 1024, nanoCpus: 1e9, cpuQuota: 1 },
        mounts: [{ type: 'bind', source: 'x', target: 'y' }],
        arch: 'x64',
      });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ContainerSpecError);
    expect((err as ContainerSpecError).problems).toEqual([
      'no command: args must not be empty',
      'rootfs must be an absolute path, got "relative"',
      'working directory must be absolute, got "srv"',
      'mount target must be absolute, got "y"',
      'bind source must be absolute, got "x"',
      'conflicting options: nanoCpus and cpuPeriod/cpuQuota cannot both be set',
      'minimum memory limit allowed is 6MB',
      'unknown capability: "CAP_BOGUS"',
    ]);
  });

  it('refuses an architecture without a seccomp table unless unconfined', () => {
    expect(() => buildOciSpec({ ...base, arch: 'riscv64' })).toThrow('no seccomp profile for architecture "riscv64"');
    expect(() => buildOciSpec({ ...base, arch: 'riscv64', seccomp: 'unconfined' })).not.toThrow();
  });
});

describe('resolveCapabilities (Docker cap-add / cap-drop)', () => {
  it('adds and drops by short or long name, any case', () => {
    const caps = resolveCapabilities(['net_admin', 'CAP_SYS_TIME'], ['MKNOD', 'cap_net_raw']);
    expect(caps).toContain('CAP_NET_ADMIN');
    expect(caps).toContain('CAP_SYS_TIME');
    expect(caps).not.toContain('CAP_MKNOD');
    expect(caps).not.toContain('CAP_NET_RAW');
  });
  it('ALL in adds gives every capability minus explicit drops', () => {
    const caps = resolveCapabilities(['ALL'], ['SYS_ADMIN']);
    expect(caps).toHaveLength(ALL_CAPABILITIES.length - 1);
    expect(caps).not.toContain('CAP_SYS_ADMIN');
  });
  it('ALL in drops keeps only the explicit adds', () => {
    expect(resolveCapabilities(['CHOWN'], ['ALL'])).toEqual(['CAP_CHOWN']);
    expect(resolveCapabilities([], ['ALL'])).toEqual([]);
  });
  it('an explicit add wins over the same explicit drop', () => {
    expect(resolveCapabilities(['KILL'], ['KILL'])).toContain('CAP_KILL');
  });
});

describe('renderSeccomp', () => {
  const names = (p: ReturnType<typeof renderSeccomp>) => p.syscalls.flatMap((s) => (s.action === 'SCMP_ACT_ALLOW' && !s.args ? s.names : []));

  it('allows the unconditional set for the native ABI; the compat ABIs only when asked', () => {
    const p = renderSeccomp(DEFAULT_CAPABILITIES, 'x64');
    expect(p.architectures).toEqual(['SCMP_ARCH_X86_64']);
    expect(renderSeccomp(DEFAULT_CAPABILITIES, 'x64', { compatArches: true }).architectures).toEqual(['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86', 'SCMP_ARCH_X32']);
    for (const n of ['read', 'write', 'pipe', 'pipe2', 'openat', 'execve', 'futex', 'clock_gettime', 'epoll_wait', 'arch_prctl', 'chroot']) {
      expect(names(p)).toContain(n);
    }
    expect(names(p)).not.toContain('set_tls');
  });

  it('keeps mount, unshare, ptrace and reboot out without their capabilities', () => {
    const p = renderSeccomp(DEFAULT_CAPABILITIES, 'x64');
    for (const n of ['mount', 'umount2', 'unshare', 'setns', 'ptrace', 'reboot', 'init_module', 'bpf', 'clone3']) {
      expect(names(p)).not.toContain(n);
    }
    expect(p.syscalls).toContainEqual({
      names: ['clone'],
      action: 'SCMP_ACT_ALLOW',
      args: [{ index: 0, value: 0x7e020000, valueTwo: 0, op: 'SCMP_CMP_MASKED_EQ' }],
    });
    expect(p.syscalls).toContainEqual({ names: ['clone3'], action: 'SCMP_ACT_ERRNO', errnoRet: 38 });
  });

  it('opens the gated groups when the capability is added', () => {
    const p = renderSeccomp([...DEFAULT_CAPABILITIES, 'CAP_SYS_ADMIN', 'CAP_SYS_PTRACE'], 'x64');
    for (const n of ['mount', 'unshare', 'setns', 'clone', 'clone3', 'ptrace', 'process_vm_readv']) expect(names(p)).toContain(n);
    expect(p.syscalls.some((s) => s.names.includes('clone') && s.args)).toBe(false);
    expect(renderSeccomp([], 'x64').syscalls.some((s) => s.names.includes('chroot'))).toBe(false);
  });

  it('uses the ARM table on arm64', () => {
    const p = renderSeccomp(DEFAULT_CAPABILITIES, 'arm64');
    expect(p.architectures).toEqual(['SCMP_ARCH_AARCH64']);
    expect(renderSeccomp(DEFAULT_CAPABILITIES, 'arm64', { compatArches: true }).architectures).toEqual(['SCMP_ARCH_AARCH64', 'SCMP_ARCH_ARM']);
    expect(names(p)).toContain('set_tls');
    expect(names(p)).not.toContain('arch_prctl');
  });
});
