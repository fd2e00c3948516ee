// `stats`: one row per container from the engine's resource samples, computed as the docker CLI
// computes them — CPU % from the CPU time used between two samples over the host's (times its
// online CPUs), memory without the page cache the kernel can drop, network and block I/O summed
// over interfaces and devices. Printing (table, JSON, redraws) is the CLI's.
import type { ContainerStats } from '../client/engine-port.js';

export interface StatsRow {
  id: string;
  name: string;
  cpuPercent: number;
  memoryBytes: number;
  memoryLimitBytes: number;
  memoryPercent: number;
  netRxBytes: number;
  netTxBytes: number;
  blockReadBytes: number;
  blockWriteBytes: number;
  pids: number;
}

interface CpuSample {
  cpu_usage?: { total_usage?: number; percpu_usage?: number[] };
  system_cpu_usage?: number;
  online_cpus?: number;
}

const num = (v: unknown): number => (typeof v === 'number' && Number.isFinite(v) ? v : 0);

/** CPU % between `before` and `now` (the sample's own precpu_stats, or the previous sample's cpu_stats). */
export function cpuPercent(now: CpuSample | undefined, before: CpuSample | undefined): number {
  const cpuDelta = num(now?.cpu_usage?.total_usage) - num(before?.cpu_usage?.total_usage);
  const systemDelta = num(now?.system_cpu_usage) - num(before?.system_cpu_usage);
  const online = num(now?.online_cpus) || now?.cpu_usage?.percpu_usage?.length || 1;
  if (cpuDelta <= 0 || systemDelta <= 0) return 0;
  return (cpuDelta / systemDelta) * online * 100;
}

/** Used memory as docker shows it: usage less the inactive page cache (cgroup v1 and v2 names). */
export function memoryUsed(memory: Record<string, unknown> | undefined): number {
  const usage = num(memory?.usage);
  const stats = (memory?.stats ?? {}) as Record<string, unknown>;
  const cache = num(stats.total_inactive_file) || num(stats.inactive_file);
  return cache < usage ? usage - cache : usage;
}

export function statsRow(container: { id: string; name: string }, sample: ContainerStats, previous?: ContainerStats): StatsRow {
  const s = sample as unknown as Record<string, unknown>;
  const cpu = s.cpu_stats as CpuSample | undefined;
  const pre = s.precpu_stats as CpuSample | undefined;
  const before = pre?.system_cpu_usage ? pre : ((previous as unknown as Record<string, unknown> | undefined)?.cpu_stats as CpuSample | undefined);
  const memory = s.memory_stats as Record<string, unknown> | undefined;
  const used = memoryUsed(memory);
  const limit = num(memory?.limit);
  let rx = 0;
  let tx = 0;
  for (const n of Object.values((s.networks ?? {}) as Record<string, Record<string, unknown>>)) {
    rx += num(n.rx_bytes);
    tx += num(n.tx_bytes);
  }
  let read = 0;
  let write = 0;
  const io = ((s.blkio_stats as Record<string, unknown> | undefined)?.io_service_bytes_recursive ?? []) as { op?: string; value?: number }[];
  for (const e of Array.isArray(io) ? io : []) {
    if (/^read$/i.test(e.op ?? '')) read += num(e.value);
    if (/^write$/i.test(e.op ?? '')) write += num(e.value);
  }
  return {
    id: container.id,
    name: container.name,
    cpuPercent: cpuPercent(cpu, before),
    memoryBytes: used,
    memoryLimitBytes: limit,
    memoryPercent: limit > 0 ? (used / limit) * 100 : 0,
    netRxBytes: rx,
    netTxBytes: tx,
    blockReadBytes: read,
    blockWriteBytes: write,
    pids: num((s.pids_stats as Record<string, unknown> | undefined)?.current),
  };
}

/** A row of zeros, for a container that is not running (`stats --all`). */
export function idleRow(container: { id: string; name: string }): StatsRow {
  return { id: container.id, name: container.name, cpuPercent: 0, memoryBytes: 0, memoryLimitBytes: 0, memoryPercent: 0, netRxBytes: 0, netTxBytes: 0, blockReadBytes: 0, blockWriteBytes: 0, pids: 0 };
}
