// A CompareReport as the runner produces it, with made-up but plausible figures, for the report
// renderers' tests (the real one comes from test/compare/compare-engine.test.ts).
import { LatencyHistogram } from '../../src/compare/histogram.js';
import type { BlastOutcome, CompareReport, ModeReport, ModeRun } from '../../src/compare/result.js';
import { spreadOverRuns } from '../../src/compare/spread.js';
import type { PlacementMode } from '../../src/model/project.js';

function run(mode: PlacementMode, rep: number, baseUs: number): ModeRun {
  const h = new LatencyHistogram();
  for (let i = 0; i < 2000; i++) h.record(baseUs * 1000 * (1 + (i % 100) / 50) + rep * 1000);
  const blast = (experiment: BlastOutcome['experiment']): BlastOutcome => ({
    experiment,
    target: 'db',
    effective: true,
    members: [
      { service: 'api', outcome: mode === 'single' ? 'died' : 'survived', detail: '' },
      { service: 'db', outcome: 'target', detail: 'restarted by policy' },
    ],
    recoveredMs: mode === 'single' ? 2400 + rep : 900 + rep,
  });
  return {
    mode,
    project: `demo-${mode}`,
    repetition: rep,
    upToHealthyMs: 1500 + rep * 40,
    transport: mode === 'split' ? 'tcp db:5432' : mode === 'pod' ? 'tcp localhost:5432' : 'unix /var/run/postgresql',
    workload: {
      kind: 'builtin',
      description: '4 clients × 2s GET /query',
      requests: h.count,
      errors: 0,
      errorSamples: [],
      throughput: 1e6 / baseUs,
      latency: h.summary(),
      histogram: h.toJSON(),
      elapsedMs: 2000,
    },
    usage: {
      containers: [{ container: `demo-${mode}-db-1`, services: ['db'], memoryMeanBytes: 30e6, memoryMaxBytes: 32e6, cpuPercent: 40, samples: 8 }],
      stackMemoryMeanBytes: 60e6,
      stackMemoryMaxBytes: 64e6 + rep * 1e6,
      stackCpuPercent: 90,
      intervalMs: 250,
    },
    blast: [blast('kill'), blast('memory-limit')],
    scaling: mode === 'split' ? { requested: 3, running: 3, allowed: true, note: '' } : { requested: 3, running: 0, allowed: false, note: `${mode} members cannot be replicated` },
    leftovers: [],
  };
}

export function fixtureReport(modes: PlacementMode[] = ['split', 'pod', 'single'], repeat = 3): CompareReport {
  const base: Record<PlacementMode, number> = { split: 420, pod: 310, single: 290 };
  const reports: ModeReport[] = modes.map((mode) => {
    const runs = Array.from({ length: repeat }, (_, i) => run(mode, i + 1, base[mode]));
    return { mode, runs, failures: [], spread: spreadOverRuns(runs) };
  });
  return {
    version: 1,
    createdAt: '2026-12-02T02:00:00.000Z',
    stack: { files: ['examples/db-layouts/compose.yaml'], group: 'backend', members: ['api', 'db'], app: 'api', database: 'db' },
    options: { modes, workload: 'builtin', durationMs: 2000, clients: 4, repeat, warmupMs: 500 },
    machine: { cpus: 2, memoryBytes: 24 * 2 ** 30, kernel: '6.1.0', node: 'v20.19.0', engine: 'berth 0.1.0' },
    modes: reports,
  };
}
