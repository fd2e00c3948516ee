// The smaller container verbs: wait, top, stats, update, pause/unpause, rename, resize.

import { spawn } from 'node:child_process';
import {
  ConflictError,
  InternalError,
  InvalidArgumentError,
  toEngineError,
  type ContainerStats,
  type ContainerUpdateRequest,
  type ContainerWaitResponse,
  type ContainerWaiter,
  type HostConfig,
  type ProcessList,
  type StatsOptions,
  type WaitCondition,
} from '../backend.js';
import { hostCgroupMounts } from '../runtime/cgroups.js';
import { resizeTty } from '../runtime/monitor.js';
import { buildContainerSpec } from '../runtime/container-spec.js';
import { networkChoice, restartPolicyOf } from '../runtime/translate.js';
import { checkResources } from '../container/resource-checks.js';
import { ZERO_TIME, type EngineCore } from './core.js';
import { nameConflict, NAME_PATTERN } from './create.js';
import { discardPrepared } from './run.js';
import { sampleBlkio, sampleCgroups, sampleNetworks } from './stats.js';

export async function waitContainer(core: EngineCore, ref: string, condition: WaitCondition): Promise<ContainerWaiter> {
  const live = core.find(ref);
  const rec = live.rec;
  if (condition === 'not-running' && !rec.state.Running && !rec.state.Restarting) {
    // An exit seen but not yet cleaned up (rootfs, volumes) is answered once it is.
    return { exited: live.cleaning.then(() => ({ StatusCode: rec.state.ExitCode, Error: rec.state.Error ? { Message: rec.state.Error } : null })) };
  }
  const exited = new Promise<ContainerWaitResponse>((resolve) => {
    (condition === 'removed' ? live.removeWaiters : live.exitWaiters).push(resolve);
  });
  return { exited };
}

export async function topContainer(core: EngineCore, ref: string, psArgs: string | undefined): Promise<ProcessList> {
  const live = core.find(ref);
  if (!live.rec.state.Running) throw new ConflictError(`Container ${live.rec.id} is not running`);
  const pids = new Set((await core.runner.runc.ps(live.rec.id).catch((e: unknown) => {
    throw toEngineError(e);
  })).map(String));
  const args = (psArgs ?? '-ef').split(/\s+/).filter((a) => a !== '');
  const text = await new Promise<string>((resolve, reject) => {
    const child = spawn('ps', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve(stdout) : reject(new InternalError(`ps: ${stderr.trim() || `exit status ${code}`}`))));
  });
  const lines = text.split('\n').filter((l) => l.trim() !== '');
  const titles = (lines[0] ?? '').trim().split(/\s+/);
  const pidCol = titles.indexOf('PID');
  if (pidCol < 0) throw new InternalError(`Couldn't find PID field in ps output`);
  const processes: string[][] = [];
  for (const line of lines.slice(1)) {
    const fields = line.trim().split(/\s+/);
    // The last column (the command) keeps its spaces.
    const row = [...fields.slice(0, titles.length - 1), fields.slice(titles.length - 1).join(' ')];
    if (pids.has(row[pidCol])) processes.push(row);
  }
  return { Titles: titles, Processes: processes };
}

export function containerStats(core: EngineCore, ref: string, options: StatsOptions): AsyncIterable<ContainerStats> {
  return (async function* () {
    const live = core.find(ref);
    const mounts = hostCgroupMounts();
    const sample = async (): Promise<ContainerStats> => {
      const base: ContainerStats = { read: new Date().toISOString(), preread: ZERO_TIME, id: live.rec.id, name: `/${live.rec.name}` };
      if (!live.rec.state.Running) return { ...base, pids_stats: {}, cpu_stats: {}, memory_stats: {}, blkio_stats: {}, storage_stats: {} };
      const cgroups = core.runner.cgroupsPath(live.rec.id, live.rec.hostConfig.CgroupParent);
      // The host's network namespace is not the container's to report (dockerd gives none there).
      const ownNetwork = networkChoice(live.rec.hostConfig.NetworkMode).kind !== 'host';
      const networks = ownNetwork ? await sampleNetworks(live.rec.state.Pid) : undefined;
      return {
        ...base,
        ...(await sampleCgroups(cgroups, mounts)),
        blkio_stats: await sampleBlkio(cgroups, mounts),
        num_procs: 0,
        storage_stats: {},
        ...(networks && Object.keys(networks).length > 0 ? { networks } : {}),
      };
    };
    let prev: ContainerStats | undefined;
    if (!options.stream && !options.oneShot) {
      // dockerd's one-shot-less answer carries a previous sample so clients can compute CPU %.
      prev = await sample();
      await new Promise((r) => setTimeout(r, 100));
    }
    for (;;) {
      const s = await sample();
      if (prev) {
        s.preread = prev.read;
        s.precpu_stats = prev.cpu_stats;
      } else s.precpu_stats = {};
      yield s;
      if (!options.stream || options.signal.aborted) return;
      prev = s;
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, 1000);
        options.signal.addEventListener('abort', () => {
          clearTimeout(t);
          resolve();
        }, { once: true });
      });
      if (options.signal.aborted) return;
    }
  })();
}

export async function updateContainer(core: EngineCore, ref: string, u: ContainerUpdateRequest): Promise<{ Warnings: string[] }> {
  const live = core.find(ref);
  const { RestartPolicy, ...resources } = u;
  // Checked as dockerd checks an update (daemon/update.go): before anything changes.
  const checked = checkResources(resources, core.hostFacts, true);
  if (checked.problems.length > 0) throw new InvalidArgumentError(checked.problems.join('; '));
  for (const key of UNCHANGEABLE) if (resources[key] !== undefined && resources[key] !== null && !isZero(resources[key])) throw new InvalidArgumentError(`${key} cannot be changed by an update of the built-in engine`);
  return core.serial(live, async () => {
    const rec = live.rec;
    const next: HostConfig = { ...rec.hostConfig };
    for (const [k, v] of Object.entries(resources)) if (v !== undefined && v !== null && !isZero(v)) (next as Record<string, unknown>)[k] = v;
    // A new memory limit above the swap limit in force needs the swap limit too (dockerd's rule).
    if (resources.Memory && !resources.MemorySwap && next.MemorySwap && next.MemorySwap > 0 && resources.Memory > next.MemorySwap) {
      throw new ConflictError('Memory limit should be smaller than already set memoryswap limit, update the memoryswap at the same time');
    }
    if (resources.NanoCpus) {
      next.CpuPeriod = 0;
      next.CpuQuota = 0;
    } else if (resources.CpuPeriod || resources.CpuQuota) next.NanoCpus = 0;
    // The CLI always sends a RestartPolicy; an empty name means "leave it" (dockerd's update does the same).
    if (RestartPolicy?.Name) next.RestartPolicy = RestartPolicy;
    try {
      restartPolicyOf(next);
    } catch (e) {
      throw toEngineError(e);
    }
    // A prepared run has the old limits in its cgroup and bundle: its start makes them anew.
    await discardPrepared(core, live);
    if (rec.state.Running) {
      const r = buildContainerSpec({ config: rec.config, hostConfig: next, user: { uid: 0, gid: 0 }, mounts: [], containerPid: () => 1 }).resources ?? {};
      const update: Record<string, unknown> = {};
      const memory: Record<string, unknown> = {};
      if (r.memory) Object.assign(memory, { limit: r.memory, swap: r.memorySwap ?? r.memory * 2 });
      if (r.memoryReservation) memory.reservation = r.memoryReservation;
      if (Object.keys(memory).length > 0) update.memory = memory;
      const cpu: Record<string, unknown> = {};
      if (r.cpuShares) cpu.shares = r.cpuShares;
      if (r.nanoCpus) Object.assign(cpu, { period: 100_000, quota: Math.floor((r.nanoCpus * 100_000) / 1e9) });
      else {
        if (r.cpuPeriod) cpu.period = r.cpuPeriod;
        if (r.cpuQuota) cpu.quota = r.cpuQuota;
      }
      if (r.cpusetCpus) cpu.cpus = r.cpusetCpus;
      if (r.cpusetMems) cpu.mems = r.cpusetMems;
      if (Object.keys(cpu).length > 0) update.cpu = cpu;
      if (r.pidsLimit !== undefined) update.pids = { limit: r.pidsLimit > 0 ? r.pidsLimit : -1 };
      try {
        await core.runner.runc.update(rec.id, update);
      } catch (e) {
        throw toEngineError(e);
      }
    }
    rec.hostConfig = next;
    await core.persist(live);
    core.emit(live, 'update');
    return { Warnings: checked.warnings };
  });
}

/** Resources runc cannot change on a running container, or berth does not apply: an update refuses them. */
const UNCHANGEABLE = ['OomKillDisable', 'MemorySwappiness', 'Ulimits', 'Devices', 'DeviceCgroupRules', 'BlkioDeviceReadBps', 'BlkioDeviceWriteBps', 'BlkioDeviceReadIOps', 'BlkioDeviceWriteIOps', 'CgroupParent'] as const;

function isZero(v: unknown): boolean {
  return v === 0 || v === '' || v === false || (Array.isArray(v) && v.length === 0);
}

export async function pauseContainer(core: EngineCore, ref: string, pause: boolean): Promise<void> {
  const live = core.find(ref);
  await core.serial(live, async () => {
    const rec = live.rec;
    if (!rec.state.Running) throw new ConflictError(`Container ${rec.id} is not running`);
    if (pause && rec.state.Paused) throw new ConflictError(`Container ${rec.id} is already paused`);
    if (!pause && !rec.state.Paused) throw new ConflictError(`Container ${rec.id} is not paused`);
    try {
      if (pause) await core.runner.runc.pause(rec.id);
      else await core.runner.runc.resume(rec.id);
    } catch (e) {
      throw toEngineError(e);
    }
    rec.state = { ...rec.state, Paused: pause, Status: pause ? 'paused' : 'running' };
    await core.persist(live);
    core.emit(live, pause ? 'pause' : 'unpause');
  });
}

export async function renameContainer(core: EngineCore, ref: string, newName: string): Promise<void> {
  const live = core.find(ref);
  const name = newName.replace(/^\//, '');
  if (!NAME_PATTERN.test(newName)) throw new InvalidArgumentError(`Invalid container name (${newName}), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed`);
  const old = live.rec.name;
  if (name === old) throw new InvalidArgumentError('Renaming a container with the same name as its current name');
  const holder = core.containers.named(name);
  if (holder) throw nameConflict(name, holder.rec.id);
  live.rec.name = name;
  await core.persist(live);
  core.emit(live, 'rename', { oldName: `/${old}` });
}

export async function resizeContainerTty(core: EngineCore, ref: string, size: { height: number; width: number }): Promise<void> {
  const live = core.find(ref);
  if (!live.rec.state.Running) throw new ConflictError(`Container ${live.rec.id} is not running`);
  if (live.rec.config.Tty === true) await resizeTty(core.paths(live.rec.id).ioSocket, size).catch((e: unknown) => {
    throw toEngineError(e);
  });
}
