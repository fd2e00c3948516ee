// One stats sample of a container from its cgroups (v1 controllers memory, cpuacct, pids; the
// unified v2 files when a controller lives there), in the shape `docker stats` reads.

import { readFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { ContainerStats } from '../backend.js';
import { hostCgroupMounts, type CgroupMount } from '../runtime/cgroups.js';

async function readText(file: string): Promise<string | undefined> {
  try {
    return (await readFile(file, 'utf8')).trim();
  } catch {
    return undefined;
  }
}

async function readNumber(file: string): Promise<number | undefined> {
  const t = await readText(file);
  if (t === undefined || t === 'max') return undefined;
  const n = Number(t);
  return Number.isFinite(n) ? n : undefined;
}

function dirFor(mounts: readonly CgroupMount[], controller: string, rel: string): { dir: string; v2: boolean } | undefined {
  const v1 = mounts.find((m) => m.version === 1 && m.controllers.includes(controller));
  if (v1) return { dir: path.join(v1.mountPoint, rel), v2: false };
  const v2 = mounts.find((m) => m.version === 2);
  return v2 ? { dir: path.join(v2.mountPoint, rel), v2: true } : undefined;
}

/** Host CPU time in nanoseconds, as dockerd computes system_cpu_usage from /proc/stat. */
async function systemCpuUsage(): Promise<number> {
  const stat = (await readText('/proc/stat')) ?? '';
  const cpu = stat.split('\n').find((l) => l.startsWith('cpu '));
  if (!cpu) return 0;
  const ticks = cpu.split(/\s+/).slice(1, 8).map(Number).reduce((a, b) => a + b, 0);
  return ticks * (1e9 / 100);
}

export interface CpuSample {
  cpu_usage: { total_usage: number; percpu_usage?: number[]; usage_in_kernelmode: number; usage_in_usermode: number };
  system_cpu_usage: number;
  online_cpus: number;
  throttling_data: { periods: number; throttled_periods: number; throttled_time: number };
}

export async function sampleCgroups(cgroupsPath: string, mounts: readonly CgroupMount[] = hostCgroupMounts()): Promise<Pick<ContainerStats, 'cpu_stats' | 'memory_stats' | 'pids_stats'>> {
  const rel = cgroupsPath.replace(/^\/+/, '');
  const cpuDir = dirFor(mounts, 'cpuacct', rel);
  const memDir = dirFor(mounts, 'memory', rel);
  const pidsDir = dirFor(mounts, 'pids', rel);

  let total = 0;
  let percpu: number[] | undefined;
  let user = 0;
  let kernel = 0;
  if (cpuDir && !cpuDir.v2) {
    total = (await readNumber(path.join(cpuDir.dir, 'cpuacct.usage'))) ?? 0;
    percpu = ((await readText(path.join(cpuDir.dir, 'cpuacct.usage_percpu'))) ?? '').split(/\s+/).filter((s) => s !== '').map(Number);
    const st = (await readText(path.join(cpuDir.dir, 'cpuacct.stat'))) ?? '';
    // cpuacct.stat is in USER_HZ ticks.
    user = Number(/user (\d+)/.exec(st)?.[1] ?? 0) * 1e7;
    kernel = Number(/system (\d+)/.exec(st)?.[1] ?? 0) * 1e7;
  } else if (cpuDir) {
    const st = (await readText(path.join(cpuDir.dir, 'cpu.stat'))) ?? '';
    total = Number(/usage_usec (\d+)/.exec(st)?.[1] ?? 0) * 1000;
    user = Number(/user_usec (\d+)/.exec(st)?.[1] ?? 0) * 1000;
    kernel = Number(/system_usec (\d+)/.exec(st)?.[1] ?? 0) * 1000;
  }
  const cpu: CpuSample = {
    cpu_usage: { total_usage: total, ...(percpu && percpu.length ? { percpu_usage: percpu } : {}), usage_in_kernelmode: kernel, usage_in_usermode: user },
    system_cpu_usage: await systemCpuUsage(),
    online_cpus: os.cpus().length,
    throttling_data: { periods: 0, throttled_periods: 0, throttled_time: 0 },
  };

  const memory: Record<string, unknown> = {};
  if (memDir) {
    const v2 = memDir.v2;
    const usage = await readNumber(path.join(memDir.dir, v2 ? 'memory.current' : 'memory.usage_in_bytes'));
    const maxUsage = v2 ? undefined : await readNumber(path.join(memDir.dir, 'memory.max_usage_in_bytes'));
    let limit = await readNumber(path.join(memDir.dir, v2 ? 'memory.max' : 'memory.limit_in_bytes'));
    // An unlimited v1 cgroup reports a page-rounded 2^63; docker shows the host's memory then.
    if (limit === undefined || limit > os.totalmem()) limit = os.totalmem();
    const statText = (await readText(path.join(memDir.dir, 'memory.stat'))) ?? '';
    const stats: Record<string, number> = {};
    for (const line of statText.split('\n')) {
      const [k, v] = line.split(' ');
      if (k && v !== undefined) stats[k] = Number(v);
    }
    Object.assign(memory, { usage: usage ?? 0, ...(maxUsage !== undefined ? { max_usage: maxUsage } : {}), limit, stats });
  }
  const pids: { current?: number; limit?: number } = {};
  if (pidsDir) {
    pids.current = (await readNumber(path.join(pidsDir.dir, pidsDir.v2 ? 'pids.current' : 'pids.current'))) ?? 0;
    const lim = await readNumber(path.join(pidsDir.dir, 'pids.max'));
    if (lim !== undefined) pids.limit = lim;
  }
  return { cpu_stats: cpu as unknown as Record<string, unknown>, memory_stats: memory, pids_stats: pids };
}

/** One device's counter in dockerd's blkio_stats shape. */
export interface BlkioEntry {
  major: number;
  minor: number;
  op: string;
  value: number;
}

/** `8:0 Read 4096` lines of a v1 blkio file → entries (the `Total` line without a device is left out). */
export function parseBlkio(text: string): BlkioEntry[] {
  const out: BlkioEntry[] = [];
  for (const line of text.split('\n')) {
    const m = /^(\d+):(\d+) (\w+) (\d+)$/.exec(line.trim());
    if (m) out.push({ major: Number(m[1]), minor: Number(m[2]), op: m[3], value: Number(m[4]) });
  }
  return out;
}

/**
 * blkio_stats as dockerd fills it on cgroup v1: the recursive entries of the CFQ files when the
 * kernel has them, else of the throttle files (what this kind of kernel keeps); the other lists empty.
 */
export async function sampleBlkio(cgroupsPath: string, mounts: readonly CgroupMount[] = hostCgroupMounts()): Promise<Record<string, BlkioEntry[]>> {
  const rel = cgroupsPath.replace(/^\/+/, '');
  const dir = dirFor(mounts, 'blkio', rel);
  const empty = { io_service_bytes_recursive: [], io_serviced_recursive: [], io_queue_recursive: [], io_service_time_recursive: [], io_wait_time_recursive: [], io_merged_recursive: [], io_time_recursive: [], sectors_recursive: [] };
  if (!dir || dir.v2) return empty;
  const read = async (name: string): Promise<BlkioEntry[]> => parseBlkio((await readText(path.join(dir.dir, name))) ?? '');
  let bytes = await read('blkio.io_service_bytes_recursive');
  let ios = await read('blkio.io_serviced_recursive');
  if (bytes.length === 0 && ios.length === 0) {
    bytes = await read('blkio.throttle.io_service_bytes_recursive');
    ios = await read('blkio.throttle.io_serviced_recursive');
  }
  return { ...empty, io_service_bytes_recursive: bytes, io_serviced_recursive: ios };
}

/**
 * Per-interface counters from inside the container's network namespace (/proc/<pid>/net/dev of its
 * init), in dockerd's `networks` shape; loopback is left out as dockerd only reports endpoints.
 */
export async function sampleNetworks(pid: number): Promise<Record<string, Record<string, number>> | undefined> {
  const text = await readText(`/proc/${pid}/net/dev`);
  if (text === undefined) return undefined;
  const out: Record<string, Record<string, number>> = {};
  for (const line of text.split('\n').slice(2)) {
    const m = /^\s*([^:\s]+):\s*(.*)$/.exec(line);
    if (!m || m[1] === 'lo') continue;
    const f = m[2].trim().split(/\s+/).map(Number);
    out[m[1]] = { rx_bytes: f[0], rx_packets: f[1], rx_errors: f[2], rx_dropped: f[3], tx_bytes: f[8], tx_packets: f[9], tx_errors: f[10], tx_dropped: f[11] };
  }
  return out;
}
