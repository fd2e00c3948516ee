import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { cgroupDirs, hostCgroupMounts, memoryCgroupDir, parseCgroupMounts, probeCgroupFeatures } from '../../../src/engine/runtime/cgroups.js';
import { renderHosts, renderResolvConf } from '../../../src/engine/runtime/etc-files.js';
import { parseJsonFileLog, shimArgs } from '../../../src/engine/runtime/monitor.js';
import { hostImageMaskedPaths, isHostImage, overlayOptions, RootfsError } from '../../../src/engine/runtime/rootfs.js';
import { runcMessage } from '../../../src/engine/runtime/runc.js';

const HYBRID = `31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755
32 31 0:29 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu
35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory
40 31 0:37 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup rw,name=systemd
41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw`;

describe('cgroups', () => {
  it('finds every hierarchy and the memory one on a hybrid host', () => {
    const mounts = parseCgroupMounts(HYBRID);
    expect(mounts.map((m) => [m.mountPoint, m.version])).toEqual([
      ['/sys/fs/cgroup/cpu', 1], ['/sys/fs/cgroup/memory', 1], ['/sys/fs/cgroup/systemd', 1], ['/sys/fs/cgroup/unified', 2],
    ]);
    expect(cgroupDirs('/berth/x', mounts)).toContain('/sys/fs/cgroup/unified/berth/x');
    expect(memoryCgroupDir('/berth/x', mounts)).toBe('/sys/fs/cgroup/memory/berth/x');
  });
  it('uses the unified tree on a v2-only host', () => {
    const mounts = parseCgroupMounts('30 23 0:26 / /sys/fs/cgroup rw - cgroup2 cgroup2 rw');
    expect(memoryCgroupDir('/berth/x', mounts)).toBe('/sys/fs/cgroup/berth/x');
  });
});

describe('cgroup features (docker info MemoryLimit, SwapLimit, …)', () => {
  it('reads v1 controllers and their files: swap limits only with memory.memsw.*', () => {
    const mounts = parseCgroupMounts(HYBRID);
    const files = new Set(['/sys/fs/cgroup/memory/memory.limit_in_bytes', '/sys/fs/cgroup/cpu/cpu.cfs_period_us', '/sys/fs/cgroup/cpu/cpu.cfs_quota_us', '/sys/fs/cgroup/cpu/cpu.shares']);
    expect(probeCgroupFeatures(mounts, (p) => files.has(p))).toEqual({ memoryLimit: true, swapLimit: false, cpuCfsPeriod: true, cpuCfsQuota: true, cpuShares: true, cpuSet: false, pidsLimit: false });
    files.add('/sys/fs/cgroup/memory/memory.memsw.limit_in_bytes');
    expect(probeCgroupFeatures(mounts, (p) => files.has(p)).swapLimit).toBe(true);
  });
  it('reads a v2 host\'s controllers from the root', () => {
    const mounts = parseCgroupMounts('30 23 0:26 / /sys/fs/cgroup rw - cgroup2 cgroup2 rw');
    const f = probeCgroupFeatures(mounts, () => false, () => 'cpuset cpu io memory\n');
    expect(f).toMatchObject({ memoryLimit: true, swapLimit: false, cpuSet: true, pidsLimit: false });
  });
  it('on this machine, agrees with the kernel\'s own files', () => {
    const f = probeCgroupFeatures(hostCgroupMounts());
    const v1memory = hostCgroupMounts().find((m) => m.version === 1 && m.controllers.includes('memory'));
    if (v1memory) expect(f.swapLimit).toBe(existsSync(`${v1memory.mountPoint}/memory.memsw.limit_in_bytes`));
  });
});

describe('rootfs (pure parts)', () => {
  it('builds overlay options, top layer first', () => {
    expect(overlayOptions({ lowerDirs: ['/l/2', '/l/1'], upperDir: '/c/u', workDir: '/c/w', target: '/c/r' })).toBe(
      'lowerdir=/l/2:/l/1,upperdir=/c/u,workdir=/c/w',
    );
  });
  it('refuses ambiguous or relative paths, and no layers, all at once', () => {
    expect(() => overlayOptions({ lowerDirs: ['/a:b', 'rel'], upperDir: '/u,x', workDir: '/w', target: '/t' })).toThrow(RootfsError);
    expect(() => overlayOptions({ lowerDirs: [], upperDir: '/u', workDir: '/w', target: '/t' })).toThrow('at least one lower layer');
    expect(() => overlayOptions({ lowerDirs: Array(400).fill('/var/lib/berth/layers/0123456789'), upperDir: '/u', workDir: '/w', target: '/t' })).toThrow('exceed one page');
  });
  it('recognises the host image and masks the engine dirs in it', () => {
    expect(isHostImage(['/'])).toBe(true);
    expect(isHostImage(['/', '/x'])).toBe(false);
    expect(hostImageMaskedPaths(['/var/lib/berth', '/run/berth/runc', '/', '/var/lib/berth'])).toEqual(['/run/berth/runc', '/var/lib/berth']);
  });
});

describe('runcMessage', () => {
  it('takes the last logrus error message', () => {
    expect(runcMessage('time="2026-01-01T00:00:00Z" level=warning msg="x"\ntime="2026-01-01T00:00:00Z" level=error msg="container \\"a\\" does not exist"\n')).toBe(
      'container "a" does not exist',
    );
    expect(runcMessage('plain failure\n')).toBe('plain failure');
    expect(runcMessage('')).toBe('failed without a message');
  });
});

describe('etc files', () => {
  it('writes Docker’s /etc/hosts with the container’s own address and extra hosts', () => {
    const hosts = renderHosts({ hostname: 'web', ip: '172.18.0.2', extraHosts: [{ ip: '10.0.0.1', names: ['db', 'db.local'] }] });
    expect(hosts.split('\n')[0]).toBe('127.0.0.1\tlocalhost');
    expect(hosts).toContain('10.0.0.1\tdb db.local\n');
    expect(hosts.endsWith('172.18.0.2\tweb\n')).toBe(true);
  });
  it('drops loopback nameservers and adds no public fallback', () => {
    expect(renderResolvConf('# generated\nnameserver 127.0.0.53\nnameserver 10.0.0.2\nsearch corp\noptions edns0\n')).toBe(
      'nameserver 10.0.0.2\nsearch corp\noptions edns0\n',
    );
    expect(renderResolvConf('nameserver 127.0.0.1\n')).toBe('\n');
    // With --dns-search / --dns-option: dockerd's resolvconf.Build layout, the host's other half kept.
    expect(renderResolvConf('nameserver 10.0.0.2\nsearch corp\noptions edns0\n', { nameservers: ['10.1.1.1'], search: ['svc'] })).toBe(
      'search svc\nnameserver 10.1.1.1\noptions edns0\n',
    );
    expect(renderResolvConf('nameserver 10.0.0.2\nsearch corp\n', { nameservers: ['10.0.0.53'], search: ['example.org'], options: ['ndots:2'] })).toBe(
      'search example.org\nnameserver 10.0.0.53\noptions ndots:2\n',
    );
    expect(renderResolvConf('nameserver 10.0.0.2\nsearch corp\n', { search: ['.'] })).toBe('nameserver 10.0.0.2\n');
  });
});

describe('monitor (pure parts)', () => {
  it('passes every option to the shim', () => {
    expect(
      shimArgs({ runcRoot: '/r', id: 'c', bundle: '/b', logPath: '/l', statusPath: '/s', pidFile: '/p', memoryCgroup: '/m', tty: true, runcBinary: '/runc' }),
    ).toEqual(['--runc', '/runc', '--root', '/r', '--id', 'c', '--bundle', '/b', '--log-path', '/l', '--status-path', '/s', '--pid-file', '/p', '--memory-cgroup', '/m', '--tty']);
  });
  it('parses json-file logs and leaves out a torn last line', () => {
    expect(parseJsonFileLog('{"log":"a\\n","stream":"stdout","time":"t"}\n{"log":"b')).toEqual([{ log: 'a\n', stream: 'stdout', time: 't' }]);
  });
});
