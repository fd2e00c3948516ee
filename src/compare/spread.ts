// The spread of each metric over repeated runs of a mode: min, median and max, so a table shows
// how much a figure moves between runs instead of one lucky number.

import { METRICS, type MetricKey, type ModeRun, type Spread } from './result.js';

const MiB = 1024 * 1024;
const ns2ms = (ns: number | undefined): number | undefined => (ns === undefined ? undefined : ns / 1e6);

/** One run's value of each metric; undefined where the run has none (e.g. no recovery). */
export function metricValues(run: ModeRun): Partial<Record<MetricKey, number>> {
  const l = run.workload.latency;
  const kill = run.blast.find((b) => b.experiment === 'kill');
  const oom = run.blast.find((b) => b.experiment === 'memory-limit');
  const values: Partial<Record<MetricKey, number | undefined>> = {
    upToHealthyMs: run.upToHealthyMs,
    meanMs: ns2ms(l.mean),
    p50Ms: ns2ms(l.p50),
    p95Ms: ns2ms(l.p95),
    p99Ms: ns2ms(l.p99),
    maxMs: ns2ms(l.max),
    throughput: run.workload.throughput,
    stackMemoryMaxMiB: run.usage.stackMemoryMaxBytes / MiB,
    stackMemoryMeanMiB: run.usage.stackMemoryMeanBytes / MiB,
    stackCpuPercent: run.usage.stackCpuPercent,
    killRecoveryMs: kill?.effective ? kill.recoveredMs : undefined,
    oomRecoveryMs: oom?.effective ? oom.recoveredMs : undefined,
  };
  return Object.fromEntries(Object.entries(values).filter(([, v]) => v !== undefined && Number.isFinite(v))) as Partial<Record<MetricKey, number>>;
}

export function spreadOf(values: readonly number[]): Spread | undefined {
  if (values.length === 0) return undefined;
  const s = [...values].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  const median = s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
  return { min: s[0], median, max: s[s.length - 1], n: s.length };
}

export function spreadOverRuns(runs: readonly ModeRun[]): Partial<Record<MetricKey, Spread>> {
  const out: Partial<Record<MetricKey, Spread>> = {};
  const per = runs.map(metricValues);
  for (const key of Object.keys(METRICS) as MetricKey[]) {
    const sp = spreadOf(per.map((v) => v[key]).filter((v): v is number => v !== undefined));
    if (sp) out[key] = sp;
  }
  return out;
}
