// The shapes compare produces: one ModeRun per mode and repetition, a ModeReport per mode with the
// spread over repetitions, and the CompareReport that the table, JSON and chart are rendered from.

import type { PlacementMode } from '../model/project.js';
import type { HistogramData, HistogramSummary } from './histogram.js';
import type { StackUsage } from './resource-sampler.js';

export type MemberOutcome = 'target' | 'survived' | 'restarted' | 'died';

export interface BlastOutcome {
  experiment: 'kill' | 'memory-limit';
  /** The database member that was hurt. */
  target: string;
  /** Whether the experiment took effect (the process was killed, the limit was hit). */
  effective: boolean;
  /** What happened to every member of the group, the target included. */
  members: { service: string; outcome: MemberOutcome; detail: string }[];
  /** From the hit until the app answered 200 again; undefined when it did not within the wait. */
  recoveredMs?: number;
  note?: string;
}

export interface ScalingOutcome {
  requested: number;
  /** Replicas of the app that ran. 0 when the mode refused. */
  running: number;
  allowed: boolean;
  note: string;
}

export interface WorkloadSummary {
  kind: 'builtin' | 'command';
  description: string;
  requests: number;
  errors: number;
  errorSamples: string[];
  throughput: number;
  latency: HistogramSummary;
  histogram: HistogramData;
  elapsedMs: number;
}

export interface ModeRun {
  mode: PlacementMode;
  project: string;
  repetition: number;
  upToHealthyMs: number;
  /** How the app said it reaches the database (its health answer), e.g. "tcp db:5432". */
  transport?: string;
  workload: WorkloadSummary;
  usage: StackUsage;
  blast: BlastOutcome[];
  scaling?: ScalingOutcome;
  /** Containers left after down (should be none). */
  leftovers: string[];
}

export interface Spread {
  min: number;
  median: number;
  max: number;
  n: number;
}

export interface ModeFailure {
  mode: PlacementMode;
  repetition: number;
  stage: string;
  message: string;
}

export interface ModeReport {
  mode: PlacementMode;
  runs: ModeRun[];
  failures: ModeFailure[];
  spread: Partial<Record<MetricKey, Spread>>;
}

export const METRICS = {
  upToHealthyMs: { label: 'up → healthy', unit: 'ms' },
  meanMs: { label: 'latency mean', unit: 'ms' },
  p50Ms: { label: 'latency p50', unit: 'ms' },
  p95Ms: { label: 'latency p95', unit: 'ms' },
  p99Ms: { label: 'latency p99', unit: 'ms' },
  maxMs: { label: 'latency max', unit: 'ms' },
  throughput: { label: 'throughput', unit: 'req/s' },
  stackMemoryMaxMiB: { label: 'stack memory peak', unit: 'MiB' },
  stackMemoryMeanMiB: { label: 'stack memory mean', unit: 'MiB' },
  stackCpuPercent: { label: 'stack CPU', unit: '% of a core' },
  killRecoveryMs: { label: 'db killed → served', unit: 'ms' },
  oomRecoveryMs: { label: 'db at mem limit → served', unit: 'ms' },
} as const;
export type MetricKey = keyof typeof METRICS;

export interface CompareReport {
  version: 1;
  createdAt: string;
  stack: { files: string[]; group: string; members: string[]; app: string; database: string };
  options: { modes: PlacementMode[]; workload: string; durationMs: number; clients: number; repeat: number; warmupMs: number };
  machine: { cpus: number; memoryBytes: number; kernel: string; node: string; engine: string; /** 1-minute load average when the comparison started. */ loadAverage?: number };
  modes: ModeReport[];
}
