// `berth compare` end to end on the built-in engine: the example stack (PostgreSQL from Debian and
// the Node app, host image) brought up by the compose engine in each placement mode, loaded,
// sampled, hurt and scaled, then taken down. Every metric must be there with sane values, the chart
// must parse and show every mode, and nothing may be left on the engine or the host.

import { existsSync } from 'node:fs';
import path from 'node:path';
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DockerPort } from '../../src/client/docker-port.js';
import { createComposeDriver } from '../../src/compare/compose-driver.js';
import { portProbe } from '../../src/compare/engine-probe.js';
import { renderSvg } from '../../src/compare/report-svg.js';
import { renderTable } from '../../src/compare/report-table.js';
import type { CompareReport } from '../../src/compare/result.js';
import { runCompare, type CompareEvent } from '../../src/compare/run-compare.js';
import { resolveCompareTarget } from '../../src/compare/target.js';
import { loadProject } from '../../src/loader/loader.js';
import { startTestEngine, type TestEngine } from '../engine/helpers/daemon-harness.js';
import { engineHost, file as filePrereq, requirePrereq } from '../support/gates.js';
import { expectBlastOutcomes, expectEveryModeRan, expectSaneMetrics, expectScalingLimits } from './report-checks.js';

const repo = path.resolve(import.meta.dirname, '../..');
const dir = path.join(repo, 'examples/db-layouts');
const file = path.join(dir, 'compose.yaml');
const skip = requirePrereq('berth compare end to end (built-in engine)', [
  ...engineHost(),
  filePrereq('PostgreSQL', existsSync('/usr/lib/postgresql'), 'apt-get install postgresql (scripts/install-system-deps.sh --tests)'),
  filePrereq('node_modules/pg', existsSync(path.join(repo, 'node_modules/pg')), 'npm ci'),
]);

describe.skipIf(skip)('berth compare on the built-in engine', () => {
  let engine: TestEngine;
  let report: CompareReport;
  let pgbench: CompareReport;
  const events: CompareEvent[] = [];

  beforeAll(async () => {
    engine = await startTestEngine('cmpe2e', { importBusybox: false });
    const port = new DockerPort({ socketPath: engine.socketPath, description: 'test engine' });
    const loaded = loadProject({ files: [file], workingDir: dir, environment: {} });
    // A name of its own per run, so a parallel run elsewhere never meets these containers.
    const project = { ...loaded.project, name: `cmp${process.pid}` };
    const target = resolveCompareTarget(project);
    report = await runCompare(
      { driver: createComposeDriver(port, { files: [file], workingDir: dir }), probe: portProbe(port), onEvent: (e) => events.push(e) },
      project,
      [file],
      target,
      { modes: ['split', 'pod', 'single'], workload: 'builtin', durationMs: 2000, warmupMs: 500, clients: 2, repeat: 1, healthyTimeoutMs: 90_000, recoveryTimeoutMs: 15_000, scaleTimeoutMs: 10_000 },
    );
    console.log(renderTable(report));
    // The same stack with pgbench as the workload, run inside the app's container.
    pgbench = await runCompare(
      { driver: createComposeDriver(port, { files: [file], workingDir: dir }), probe: portProbe(port) },
      project,
      [file],
      target,
      {
        modes: ['split', 'single'],
        workload: 'pgbench -n -U postgres -f /app/api/lookup.sql -c "$BERTH_COMPARE_CLIENTS" -T "$BERTH_COMPARE_SECONDS" postgres',
        durationMs: 2000, warmupMs: 0, clients: 2, repeat: 1, healthyTimeoutMs: 90_000, recoveryTimeoutMs: 15_000, skipBlast: true, skipScaling: true,
      },
    );
    console.log(renderTable(pgbench));
  }, 900_000);

  afterAll(async () => {
    await engine?.close();
  }, 120_000);

  it('runs every mode to the end, leaving no container behind', () => {
    expectEveryModeRan(report, events);
  });

  it('measures start time, latency, throughput, memory and CPU with sane values', () => {
    expectSaneMetrics(report, { stackMemoryAboveBytes: 4 * 2 ** 20, extra: (m) => expect(m.spread.p50Ms?.n).toBe(1) });
  });

  it('reaches the database the way each layout allows', () => {
    const transport = Object.fromEntries(report.modes.map((m) => [m.mode, m.runs[0].transport]));
    expect(transport).toEqual({ split: 'tcp db:5432', pod: 'tcp localhost:5432', single: 'unix /var/run/postgresql' });
  });

  it('records a blast-radius outcome for every member in both experiments', () => {
    expectBlastOutcomes(report, 'db');
  });

  it('records what each mode allows for three app replicas', () => {
    expectScalingLimits(report);
  });

  it('runs pgbench as the workload where the app runs and reads its summary', () => {
    for (const m of pgbench.modes) {
      expect(m.failures, m.mode).toEqual([]);
      const w = m.runs[0].workload;
      expect(w.kind).toBe('command');
      expect(w.requests, m.mode).toBeGreaterThan(10);
      expect(w.throughput, m.mode).toBeGreaterThan(0);
      expect(w.latency.mean, m.mode).toBeGreaterThan(0);
      expect(m.runs[0].leftovers).toEqual([]);
    }
    // pgbench connects the way the app does: over the bridge when split, the socket when single.
    expect(pgbench.modes.map((m) => m.runs[0].transport)).toEqual(['tcp db:5432', 'unix /var/run/postgresql']);
  });

  it('draws a chart that parses and shows every mode', () => {
    const svg = renderSvg(report);
    expect(XMLValidator.validate(svg)).toBe(true);
    const doc = new XMLParser({ ignoreAttributes: false }).parse(svg);
    const curves = JSON.stringify(doc).match(/"@_data-mode":"(split|pod|single)"/g) ?? [];
    for (const mode of ['split', 'pod', 'single']) expect(curves.some((c) => c.includes(`"${mode}"`)), mode).toBe(true);
  });
});
