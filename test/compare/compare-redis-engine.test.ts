// `berth compare` end to end on the built-in engine with the Redis variant of the example stack
// (Debian's redis-server and the Node app speaking RESP, host image): every placement mode brought
// up, loaded, sampled, hurt and scaled, then taken down, on a short run. Every metric must be
// there with sane values, and nothing may be left on the engine or the host.

import { existsSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DockerPort } from '../../src/client/docker-port.js';
import { createComposeDriver } from '../../src/compare/compose-driver.js';
import { portProbe } from '../../src/compare/engine-probe.js';
import { renderTable } from '../../src/compare/report-table.js';
import type { CompareReport } from '../../src/compare/result.js';
import { runCompare, type CompareEvent } from '../../src/compare/run-compare.js';
import { resolveCompareTarget } from '../../src/compare/target.js';
import { loadProject } from '../../src/loader/loader.js';
import { startTestEngine, type TestEngine } from '../engine/helpers/daemon-harness.js';
import { engineHost, file as filePrereq, requirePrereq } from '../support/gates.js';
import { expectBlastOutcomes, expectEveryModeRan, expectSaneMetrics, expectScalingLimits } from './report-checks.js';

const repo = path.resolve(import.meta.dirname, '../..');
const dir = path.join(repo, 'examples/db-layouts-redis');
const file = path.join(dir, 'compose.yaml');
const skip = requirePrereq('berth compare end to end with Redis (built-in engine)', [
  ...engineHost(),
  filePrereq('redis-server and redis-cli', existsSync('/usr/bin/redis-server') && existsSync('/usr/bin/redis-cli'), 'apt-get install redis-server (scripts/install-system-deps.sh --tests)'),
]);

describe.skipIf(skip)('berth compare on the built-in engine, Redis variant', () => {
  let engine: TestEngine;
  let report: CompareReport;
  const events: CompareEvent[] = [];

  beforeAll(async () => {
    engine = await startTestEngine('cmpredis', { importBusybox: false });
    const port = new DockerPort({ socketPath: engine.socketPath, description: 'test engine' });
    const loaded = loadProject({ files: [file], workingDir: dir, environment: {} });
    // A name of its own per run, so a parallel run elsewhere never meets these containers.
    const project = { ...loaded.project, name: `cmpr${process.pid}` };
    const target = resolveCompareTarget(project);
    report = await runCompare(
      { driver: createComposeDriver(port, { files: [file], workingDir: dir }), probe: portProbe(port), onEvent: (e) => events.push(e) },
      project,
      [file],
      target,
      { modes: ['split', 'pod', 'single'], workload: 'builtin', durationMs: 2000, warmupMs: 500, clients: 2, repeat: 1, healthyTimeoutMs: 60_000, recoveryTimeoutMs: 15_000, scaleTimeoutMs: 10_000 },
    );
    console.log(renderTable(report));
  }, 300_000);

  afterAll(async () => {
    await engine?.close();
  }, 120_000);

  it('runs every mode to the end, leaving no container behind', () => {
    expectEveryModeRan(report, events);
  });

  it('measures start time, latency, throughput, memory and CPU with sane values', () => {
    expectSaneMetrics(report, { stackMemoryAboveBytes: 0, extra: (m) => expect(m.runs[0].workload.errors, m.mode).toBe(0) });
  });

  it('reaches Redis the way each layout allows', () => {
    const transport = Object.fromEntries(report.modes.map((m) => [m.mode, m.runs[0].transport]));
    expect(transport).toEqual({ split: 'tcp redis:6379', pod: 'tcp localhost:6379', single: 'unix /tmp/redis.sock' });
  });

  it('records a blast-radius outcome for every member in both experiments', () => {
    expectBlastOutcomes(report, 'redis');
  });

  it('records what each mode allows for three app replicas', () => {
    expectScalingLimits(report);
  });
});
