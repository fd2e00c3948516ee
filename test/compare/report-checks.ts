// The checks every end-to-end compare test makes of its report, whatever the example stack: each
// mode ran to the end and left nothing, the metrics are sane, both blast-radius experiments hit the
// database and recorded every member, and only split can run three app replicas.

import { expect } from 'vitest';
import type { CompareReport } from '../../src/compare/result.js';
import type { CompareEvent } from '../../src/compare/run-compare.js';

export function expectEveryModeRan(report: CompareReport, events: readonly CompareEvent[]): void {
  expect(report.modes.map((m) => m.mode)).toEqual(['split', 'pod', 'single']);
  for (const m of report.modes) {
    expect(m.failures, m.mode).toEqual([]);
    expect(m.runs).toHaveLength(1);
    expect(m.runs[0].leftovers).toEqual([]);
  }
  expect(events.filter((e) => e.type === 'done')).toHaveLength(3);
}

/** `extra` runs inside the loop for a stack's own checks of the same run. */
export function expectSaneMetrics(report: CompareReport, opts: { stackMemoryAboveBytes: number; extra?: (m: CompareReport['modes'][number]) => void }): void {
  for (const m of report.modes) {
    const r = m.runs[0];
    const l = r.workload.latency;
    expect(r.upToHealthyMs, m.mode).toBeGreaterThan(0);
    expect(r.workload.requests, m.mode).toBeGreaterThan(10);
    expect(r.workload.throughput, m.mode).toBeGreaterThan(0);
    expect(l.p50! <= l.p95! && l.p95! <= l.p99! && l.p99! <= l.max!, `${m.mode} percentiles ordered`).toBe(true);
    expect(l.min!).toBeGreaterThan(0);
    expect(r.usage.stackMemoryMaxBytes, m.mode).toBeGreaterThan(opts.stackMemoryAboveBytes);
    expect(r.usage.stackCpuPercent, m.mode).toBeGreaterThan(0);
    for (const c of r.usage.containers) if (c.services.length) expect(c.memoryMaxBytes, c.container).toBeGreaterThan(0);
    opts.extra?.(m);
  }
}

export function expectBlastOutcomes(report: CompareReport, database: string): void {
  for (const m of report.modes) {
    const blast = m.runs[0].blast;
    expect(blast.map((b) => b.experiment), m.mode).toEqual(['kill', 'memory-limit']);
    for (const b of blast) {
      // effective: the experiment really hurt the database (the memory hog did not complete).
      expect(b.effective, `${m.mode} ${b.experiment}: ${b.note}`).toBe(true);
      expect(b.members.map((x) => x.service).sort()).toEqual(['api', database].sort());
      expect(b.members.find((x) => x.service === database)?.outcome).toBe('target');
      expect(['survived', 'restarted', 'died']).toContain(b.members.find((x) => x.service === 'api')?.outcome);
    }
  }
  // Split and pod keep the app when the database is killed; its own container restarts.
  for (const mode of ['split', 'pod']) {
    const kill = report.modes.find((m) => m.mode === mode)!.runs[0].blast[0];
    expect(kill.members.find((x) => x.service === 'api')?.outcome, mode).toBe('survived');
    expect(kill.recoveredMs, mode).toBeGreaterThan(0);
  }
}

export function expectScalingLimits(report: CompareReport): void {
  const scaling = Object.fromEntries(report.modes.map((m) => [m.mode, m.runs[0].scaling]));
  expect(scaling.split).toMatchObject({ requested: 3, running: 3, allowed: true });
  expect(scaling.pod?.allowed).toBe(false);
  expect(scaling.single).toMatchObject({ allowed: false, running: 0 });
}
