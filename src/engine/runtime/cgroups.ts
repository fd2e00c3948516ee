// Where a container's cgroup lives on this host. runc's cgroupfs driver creates `cgroupsPath`
// under every mounted hierarchy (v1 controllers, the named systemd one and, on hybrid hosts, the
// unified v2 tree); the monitor needs the memory one for OOM counts, and removal checks them all.

import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';

export interface CgroupMount {
  /** Mount point, e.g. /sys/fs/cgroup/memory or /sys/fs/cgroup (pure v2). */
  mountPoint: string;
  version: 1 | 2;
  /** v1 controllers (and `name=` options) of that hierarchy; empty for v2. */
  controllers: string[];
}

/** Parses /proc/self/mountinfo text (pure, for tests). */
export function parseCgroupMounts(mountinfo: string): CgroupMount[] {
  const out: CgroupMount[] = [];
  for (const line of mountinfo.split('\n')) {
    const sep = line.indexOf(' - ');
    if (sep < 0) continue;
    const left = line.slice(0, sep).split(' ');
    const right = line.slice(sep + 3).split(' ');
    const mountPoint = left[4]?.replace(/\\040/g, ' ');
    const fstype = right[0];
    if (!mountPoint) continue;
    if (fstype === 'cgroup2') out.push({ mountPoint, version: 2, controllers: [] });
    else if (fstype === 'cgroup') {
      const superOptions = (right[2] ?? '').split(',');
      out.push({ mountPoint, version: 1, controllers: superOptions.filter((o) => o !== 'rw' && o !== 'ro') });
    }
  }
  return out;
}

export function hostCgroupMounts(): CgroupMount[] {
  return parseCgroupMounts(readFileSync('/proc/self/mountinfo', 'utf8'));
}

/** Every directory runc makes for an absolute cgroupsPath, one per hierarchy. */
export function cgroupDirs(cgroupsPath: string, mounts: readonly CgroupMount[] = hostCgroupMounts()): string[] {
  const rel = cgroupsPath.replace(/^\/+/, '');
  return mounts.map((m) => path.join(m.mountPoint, rel));
}

/** The directory holding the memory controller's files for that cgroup (v1 memory, else v2). */
export function memoryCgroupDir(cgroupsPath: string, mounts: readonly CgroupMount[] = hostCgroupMounts()): string | undefined {
  const rel = cgroupsPath.replace(/^\/+/, '');
  const v1 = mounts.find((m) => m.version === 1 && m.controllers.includes('memory'));
  if (v1) return path.join(v1.mountPoint, rel);
  const v2 = mounts.find((m) => m.version === 2);
  return v2 ? path.join(v2.mountPoint, rel) : undefined;
}

/** What the host's cgroups can limit, as `docker info` reports it (MemoryLimit, SwapLimit, …). */
export interface CgroupFeatures {
  memoryLimit: boolean;
  swapLimit: boolean;
  cpuCfsPeriod: boolean;
  cpuCfsQuota: boolean;
  cpuShares: boolean;
  cpuSet: boolean;
  pidsLimit: boolean;
}

/**
 * Probes the controllers the way dockerd's sysinfo does: on v1 a controller's hierarchy and its
 * files (memory.memsw.* means swap accounting is on); on v2 the root's cgroup.controllers (the
 * files live in children). `exists` is injectable for tests.
 */
export function probeCgroupFeatures(mounts: readonly CgroupMount[] = hostCgroupMounts(), exists: (p: string) => boolean = existsSync, read: (p: string) => string = (p) => readFileSync(p, 'utf8')): CgroupFeatures {
  const v1 = (controller: string): string | undefined => mounts.find((m) => m.version === 1 && m.controllers.includes(controller))?.mountPoint;
  const v2root = mounts.find((m) => m.version === 2 && !mounts.some((o) => o.version === 1))?.mountPoint;
  if (v2root) {
    let controllers: string[] = [];
    try {
      controllers = read(path.join(v2root, 'cgroup.controllers')).trim().split(/\s+/);
    } catch {
      // no controllers file: nothing can be limited
    }
    const has = (c: string): boolean => controllers.includes(c);
    return {
      memoryLimit: has('memory'),
      // memory.swap.max exists in every non-root cgroup when the kernel accounts swap.
      swapLimit: has('memory') && exists(path.join(v2root, 'init.scope', 'memory.swap.max')),
      cpuCfsPeriod: has('cpu'),
      cpuCfsQuota: has('cpu'),
      cpuShares: has('cpu'),
      cpuSet: has('cpuset'),
      pidsLimit: has('pids'),
    };
  }
  const memory = v1('memory');
  const cpu = v1('cpu');
  return {
    memoryLimit: memory !== undefined && exists(path.join(memory, 'memory.limit_in_bytes')),
    swapLimit: memory !== undefined && exists(path.join(memory, 'memory.memsw.limit_in_bytes')),
    cpuCfsPeriod: cpu !== undefined && exists(path.join(cpu, 'cpu.cfs_period_us')),
    cpuCfsQuota: cpu !== undefined && exists(path.join(cpu, 'cpu.cfs_quota_us')),
    cpuShares: cpu !== undefined && exists(path.join(cpu, 'cpu.shares')),
    cpuSet: v1('cpuset') !== undefined,
    pidsLimit: v1('pids') !== undefined,
  };
}
