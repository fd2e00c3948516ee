// The limits of a create or update, checked as dockerd checks them (moby daemon/daemon_unix.go
// verifyPlatformContainerResources and verifyContainerSettings) and with its words, so a client
// learns at create — not from a runc error at start — that 1k of memory or 99 CPUs cannot be.
// What dockerd only warns about and then drops (a limit this kernel cannot apply) is refused here,
// naming the field: berth never stores an option it does not apply. Pure: the host's facts come in.

import type { HostConfig, Resources } from '../backend.js';

export interface HostFacts {
  /** CPUs the engine may use (Go's runtime.NumCPU: the affinity mask). */
  ncpu: number;
  /** CPUs and memory nodes that exist (`0-3`), for cpuset checks. */
  cpus: string;
  mems: string;
  /** Whether this kernel's cgroups have the block I/O weight (blkio.weight / io.weight). */
  blkioWeight: boolean;
}

const MIN_MEMORY = 6 * 1024 * 1024;

/** `0-3,5` → {0,1,2,3,5}; undefined when it does not parse. */
export function parseCpuList(text: string): Set<number> | undefined {
  const out = new Set<number>();
  if (text.trim() === '') return out;
  for (const part of text.trim().split(',')) {
    const m = /^(\d+)(?:-(\d+))?$/.exec(part.trim());
    if (!m) return undefined;
    const a = Number(m[1]);
    const b = m[2] !== undefined ? Number(m[2]) : a;
    if (b < a) return undefined;
    for (let i = a; i <= b; i++) out.add(i);
  }
  return out;
}

function cpusetProblems(kind: 'cpus' | 'mems', requested: string | undefined, available: string): string[] {
  if (!requested) return [];
  const want = parseCpuList(requested);
  if (!want) return [`Invalid value ${requested} for cpuset ${kind}`];
  const have = parseCpuList(available) ?? new Set<number>();
  if ([...want].some((c) => !have.has(c))) return [`Requested ${kind === 'cpus' ? 'CPUs' : 'memory nodes'} are not available - requested ${requested}, available: ${available}`];
  return [];
}

const set = (v: number | null | undefined): v is number => v !== undefined && v !== null && v !== 0;

/** Problems (each refused with a 400) and warnings for a set of resources; `update` for POST /update. */
export function checkResources(r: Resources & Partial<Pick<HostConfig, 'OomScoreAdj' | 'ShmSize'>>, host: HostFacts, update = false): { problems: string[]; warnings: string[] } {
  const problems: string[] = [];
  const warnings: string[] = [];
  const memory = r.Memory ?? 0;
  const swap = r.MemorySwap ?? 0;
  if (memory !== 0 && memory < MIN_MEMORY) problems.push('Minimum memory limit allowed is 6MB');
  if (memory > 0 && swap > 0 && swap < memory) problems.push('Minimum memoryswap limit should be larger than memory limit, see usage');
  if (memory === 0 && swap > 0 && !update) problems.push('You should always set the Memory limit when using Memoryswap limit, see usage');
  if (r.MemorySwappiness !== undefined && r.MemorySwappiness !== null && r.MemorySwappiness !== -1 && (r.MemorySwappiness < 0 || r.MemorySwappiness > 100)) {
    problems.push(`Invalid value: ${r.MemorySwappiness}, valid memory swappiness range is 0-100`);
  }
  const reservation = r.MemoryReservation ?? 0;
  if (reservation !== 0 && reservation < MIN_MEMORY) problems.push('Minimum memory reservation allowed is 6MB');
  if (memory > 0 && reservation > 0 && memory < reservation) problems.push('Minimum memory limit can not be less than memory reservation limit, see usage');
  if (r.OomKillDisable && memory === 0 && !update) warnings.push('OOM killer is disabled for the container, but no memory limit is set, this can result in the system running out of resources.');
  const nano = r.NanoCpus ?? 0;
  if (nano > 0 && set(r.CpuPeriod)) problems.push('Conflicting options: Nano CPUs and CPU Period cannot both be set');
  if (nano > 0 && set(r.CpuQuota)) problems.push('Conflicting options: Nano CPUs and CPU Quota cannot both be set');
  if (nano < 0 || (nano > 0 && nano < 1e7) || nano > host.ncpu * 1e9) {
    problems.push(`Range of CPUs is from 0.01 to ${host.ncpu}.00, as there are only ${host.ncpu} CPUs available`);
  }
  if (set(r.CpuPeriod) && (r.CpuPeriod < 1000 || r.CpuPeriod > 1_000_000)) problems.push('CPU cfs period can not be less than 1ms (i.e. 1000) or larger than 1s (i.e. 1000000)');
  if (r.CpuQuota !== undefined && r.CpuQuota > 0 && r.CpuQuota < 1000) problems.push('CPU cfs quota can not be less than 1ms (i.e. 1000)');
  problems.push(...cpusetProblems('cpus', r.CpusetCpus, host.cpus), ...cpusetProblems('mems', r.CpusetMems, host.mems));
  const weight = r.BlkioWeight ?? 0;
  if (weight !== 0 && (weight < 10 || weight > 1000)) problems.push('Range of blkio weight is from 10 to 1000');
  else if (weight !== 0 && !host.blkioWeight) problems.push('BlkioWeight: this kernel has no block I/O weight (blkio.weight), so the weight cannot be applied');
  if ((r.BlkioWeightDevice ?? []).length > 0 && !host.blkioWeight) problems.push('BlkioWeightDevice: this kernel has no block I/O weight (blkio.weight_device), so the weights cannot be applied');
  if (set(r.CpuRealtimePeriod) || set(r.CpuRealtimeRuntime)) problems.push('CpuRealtimePeriod/CpuRealtimeRuntime: real-time CPU scheduling is not supported by the built-in engine');
  if (set(r.KernelMemory)) problems.push('KernelMemory: kernel memory limits are not supported (this kernel has no kmem accounting limits)');
  if (set(r.KernelMemoryTCP)) problems.push('KernelMemoryTCP: kernel TCP memory limits are not supported (this kernel has no kmem accounting limits)');
  if (set(r.IOMaximumBandwidth) || set(r.IOMaximumIOps)) problems.push('Invalid QoS settings: linux does not support Maximum IO Bandwidth or Maximum IO IOps');
  if (set(r.CpuCount) || set(r.CpuPercent)) problems.push('Invalid CPU settings: linux does not support CPU count or CPU percent (Windows only)');
  if ((r.DeviceRequests ?? []).length > 0) problems.push('DeviceRequests: device drivers (--gpus) are not supported by the built-in engine');
  if (r.OomScoreAdj !== undefined && (r.OomScoreAdj < -1000 || r.OomScoreAdj > 1000)) problems.push(`Invalid value ${r.OomScoreAdj}, range for oom score adj is [-1000, 1000]`);
  if (r.ShmSize !== undefined && r.ShmSize < 0) problems.push('SHM size can not be less than 0');
  if (r.PidsLimit !== undefined && r.PidsLimit !== null && !Number.isInteger(r.PidsLimit)) problems.push(`Invalid PIDs limit: ${r.PidsLimit}`);
  return { problems, warnings };
}

// Kernel parameters a container may set in its own namespaces (moby opts.ValidateSysctl).
const NAMESPACED_SYSCTLS = new Set(['kernel.msgmax', 'kernel.msgmnb', 'kernel.msgmni', 'kernel.sem', 'kernel.shmall', 'kernel.shmmax', 'kernel.shmmni', 'kernel.shm_rmid_forced']);

/** The HostConfig fields berth cannot honour, and sysctls outside the container's namespaces. */
export function checkHostOptions(hc: HostConfig): string[] {
  const problems: string[] = [];
  if (hc.Isolation && hc.Isolation !== 'default') problems.push(`Invalid isolation: ${JSON.stringify(hc.Isolation)} - linux only supports 'default'`);
  if (hc.Runtime && hc.Runtime !== 'runc') problems.push(`Unknown runtime specified ${hc.Runtime}`);
  if (hc.UsernsMode && hc.UsernsMode !== 'host') problems.push(`UsernsMode ${hc.UsernsMode}: user namespace remapping is not supported by the built-in engine`);
  if (hc.StorageOpt && Object.keys(hc.StorageOpt).length > 0) problems.push(`StorageOpt (${Object.keys(hc.StorageOpt).join(', ')}): per-container storage options are not supported by the built-in engine's overlay`);
  if (hc.VolumeDriver && hc.VolumeDriver !== 'local') problems.push(`VolumeDriver ${hc.VolumeDriver}: only the local volume driver is available`);
  const hostNet = hc.NetworkMode === 'host';
  const hostIpc = hc.IpcMode === 'host';
  for (const key of Object.keys(hc.Sysctls ?? {})) {
    const ipc = NAMESPACED_SYSCTLS.has(key) || key.startsWith('fs.mqueue.');
    if (ipc && hostIpc) problems.push(`sysctl '${key}' not allowed with host ipc namespace`);
    else if (key.startsWith('net.') && hostNet) problems.push(`sysctl '${key}' not allowed in host network namespace`);
    else if (!ipc && !key.startsWith('net.')) problems.push(`sysctl '${key}' is not whitelisted`);
  }
  return problems;
}
