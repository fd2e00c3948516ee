// Memory and CPU of a stack while the workload runs: every container of the project is sampled
// through the engine's stats API at a fixed interval. Memory is reported per member (mean and
// peak working set) and for the whole stack (the sum over containers at each tick, then its mean
// and peak — not the sum of peaks, which never coexist). CPU is cgroup CPU time over wall time
// between the first and last sample, in percent of one core.
//
// In `single` mode several services share one container; they are reported under the container's
// name with every service it holds, because one cgroup cannot be split by service.

import type { EngineProbe, ResourceSample } from './engine-probe.js';

export interface ContainerUsage {
  container: string;
  /** Services whose processes this container holds. */
  services: string[];
  memoryMeanBytes: number;
  memoryMaxBytes: number;
  cpuPercent: number;
  samples: number;
}

export interface StackUsage {
  containers: ContainerUsage[];
  stackMemoryMeanBytes: number;
  stackMemoryMaxBytes: number;
  stackCpuPercent: number;
  intervalMs: number;
}

export interface SampledContainer {
  id: string;
  name: string;
  services: string[];
}

export interface ResourceSampler {
  /** Stops sampling and returns the figures (one last sample is taken first). */
  stop(): Promise<StackUsage>;
}

export function startResourceSampler(probe: EngineProbe, containers: readonly SampledContainer[], intervalMs = 250): ResourceSampler {
  const perContainer = new Map<string, ResourceSample[]>(containers.map((c) => [c.id, []]));
  const stackTotals: number[] = [];
  let inFlight: Promise<void> = Promise.resolve();
  let stopped = false;

  const tick = async (): Promise<void> => {
    const samples = await Promise.all(containers.map((c) => probe.sample(c.id).catch(() => undefined)));
    let total = 0;
    let any = false;
    samples.forEach((s, i) => {
      if (!s) return;
      any = true;
      perContainer.get(containers[i].id)?.push(s);
      total += s.memoryBytes;
    });
    if (any) stackTotals.push(total);
  };
  const loop = (): void => {
    if (stopped) return;
    inFlight = tick().finally(() => {
      if (!stopped) timer = setTimeout(loop, intervalMs);
    });
  };
  let timer: NodeJS.Timeout | undefined;
  loop();

  return {
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      await inFlight;
      await tick();
      const usage: ContainerUsage[] = containers.map((c) => {
        const s = perContainer.get(c.id) ?? [];
        const mem = s.map((x) => x.memoryBytes);
        const first = s[0];
        const last = s[s.length - 1];
        const wallNs = first && last ? Number(last.atNs - first.atNs) : 0;
        return {
          container: c.name,
          services: c.services,
          memoryMeanBytes: mem.length ? mem.reduce((a, b) => a + b, 0) / mem.length : 0,
          memoryMaxBytes: mem.length ? Math.max(...mem) : 0,
          cpuPercent: wallNs > 0 ? ((last.cpuTotalNs - first.cpuTotalNs) / wallNs) * 100 : 0,
          samples: s.length,
        };
      });
      return {
        containers: usage,
        stackMemoryMeanBytes: stackTotals.length ? stackTotals.reduce((a, b) => a + b, 0) / stackTotals.length : 0,
        stackMemoryMaxBytes: stackTotals.length ? Math.max(...stackTotals) : 0,
        stackCpuPercent: usage.reduce((a, u) => a + u.cpuPercent, 0),
        intervalMs,
      };
    },
  };
}
