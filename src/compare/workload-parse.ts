// Reads the output of an external workload command (`--workload CMD`) into the same result shape as
// the built-in workload. Two formats are understood:
//   - pgbench's summary ("number of transactions actually processed", "latency average", "tps");
//     pgbench gives no percentiles there, so only the mean and throughput are reported;
//   - one latency per line ("0.42 ms", "420us", "1.2s", "830000 ns"): any load tool that prints
//     per-request times gets a full distribution.
// Anything else is an error naming what was expected, not a silent zero.

import { LatencyHistogram } from './histogram.js';
import { WorkloadError, type WorkloadResult } from './http-workload.js';

const UNIT_NS: Record<string, number> = { ns: 1, us: 1e3, 'µs': 1e3, ms: 1e6, s: 1e9 };

export interface ParsedWorkload {
  format: 'pgbench' | 'latency-lines';
  histogram: LatencyHistogram;
  requests: number;
  errors: number;
  /** Transactions per second as the tool computed it (pgbench), when given. */
  throughput?: number;
  meanNs?: number;
}

export function parsePgbench(text: string): ParsedWorkload | undefined {
  const processed = /number of transactions actually processed:\s*(\d+)/.exec(text);
  const tps = /^tps = ([\d.]+)/m.exec(text);
  if (!processed || !tps) return undefined;
  const failed = /number of failed transactions:\s*(\d+)/.exec(text);
  const avg = /latency average = ([\d.]+) ms/.exec(text);
  return {
    format: 'pgbench',
    histogram: new LatencyHistogram(),
    requests: Number(processed[1]),
    errors: failed ? Number(failed[1]) : 0,
    throughput: Number(tps[1]),
    meanNs: avg ? Number(avg[1]) * 1e6 : undefined,
  };
}

export function parseLatencyLines(text: string): ParsedWorkload | undefined {
  const histogram = new LatencyHistogram();
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '') continue;
    const m = /^(\d+(?:\.\d+)?)\s*(ns|us|µs|ms|s)$/.exec(line);
    if (!m) return undefined; // not this format: the caller tries the next or reports
    histogram.record(Number(m[1]) * UNIT_NS[m[2]]);
  }
  if (histogram.count === 0) return undefined;
  return { format: 'latency-lines', histogram, requests: histogram.count, errors: 0 };
}

export function parseWorkloadOutput(stdout: string, description: string, elapsedMs: number): WorkloadResult {
  const parsed = parsePgbench(stdout) ?? parseLatencyLines(stdout);
  if (!parsed) {
    const head = stdout.trim().split('\n').slice(0, 3).join(' | ').slice(0, 200);
    throw new WorkloadError(
      `workload "${description}": output is neither a pgbench summary nor one latency per line ("0.4 ms"); it began: ${head || '(nothing)'}`,
    );
  }
  const seconds = elapsedMs / 1000;
  return {
    kind: 'command',
    description,
    histogram: parsed.histogram,
    requests: parsed.requests,
    errors: parsed.errors,
    errorSamples: [],
    elapsedMs,
    throughput: parsed.throughput ?? (seconds > 0 ? parsed.requests / seconds : 0),
    meanNs: parsed.meanNs ?? parsed.histogram.summary().mean,
  };
}
