// `berth compare` end to end on the built-in engine with the Redis variant of the example stack
// (Debian's redis-server and the Node app speaking RESP, host image): every placement mode brought
// up, loaded, sampled, hurt and scaled, then taken down, on a short run. Every metric must be
// there with sane values, and nothing may be left on the engine or the host.

import { existsSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DockerPort } from '../../src/client/docker-port.js';
import { createComposeDriver } from '../../src/compare/compose-driver.js';
import { dockerodeProbe } from '../../src/compare/engine-probe.js';
import { renderTable } from '../../src/compare/report-table.js';
import type { CompareReport } from '../../src/compare/result.js';
import { runCompare, type CompareEvent } from '../../src/compare/run-compare.js';
import { resolveCompareTarget } from '../../src/compare/target.js';
import { loadProject } from '../../src/spec/loader.js';
import { startTestEngine, type TestEngine } from '../engine/daemon-harness.js';
import { skipNotice } from '../engine/helpers/engine-env.js';

const repo = path.resolve(import.meta.dirname, '../..');
const dir = path.join(repo, 'examples/db-layouts-redis');
const file = path.join(dir, 'compose.yaml');
const ready = existsSync('/usr/bin/redis-server') && existsSync('/usr/bin/redis-cli');
const skip = skipNotice('berth compare end to end with Redis (built-in engine)') || !ready;
if (!ready) console.log('[skip] berth compare end to end with Redis: needs redis-server (scripts/install-system-deps.sh)');

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
      { driver: createComposeDriver(port, { files: [file], workingDir: dir }), probe: dockerodeProbe(port.docker), onEvent: (e) => events.push(e) },
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
    expect(report.modes.map((m) => m.mode)).toEqual(['split', 'pod', 'single']);
    for (const m of report.modes) {
      expect(m.failures, m.mode).toEqual([]);
      expect(m.runs).toHaveLength(1);
      expect(m.runs[0].leftovers).toEqual([]);
    }
    expect(events.filter((e) => e.type === 'done')).toHaveLength(3);
  });

  it('measures start time, latency, throughput, memory and CPU with sane values', () => {
    for (const m of report.modes) {
      const r = m.runs[0];
      const l = r.workload.latency;
      expect(r.upToHealthyMs, m.mode).toBeGreaterThan(0);
      expect(r.workload.requests, m.mode).toBeGreaterThan(10);
      expect(r.workload.errors, m.mode).toBe(0);
      expect(r.workload.throughput, m.mode).toBeGreaterThan(0);
      expect(l.p50! <= l.p95! && l.p95! <= l.p99! && l.p99! <= l.max!, `${m.mode} percentiles ordered`).toBe(true);
      expect(l.min!).toBeGreaterThan(0);
      expect(r.usage.stackMemoryMaxBytes, m.mode).toBeGreaterThan(0);
      expect(r.usage.stackCpuPercent, m.mode).toBeGreaterThan(0);
      for (const c of r.usage.containers) if (c.services.length) expect(c.memoryMaxBytes, c.container).toBeGreaterThan(0);
    }
  });

  it('reaches Redis the way each layout allows', () => {
    const transport = Object.fromEntries(report.modes.map((m) => [m.mode, m.runs[0].transport]));
    expect(transport).toEqual({ split: 'tcp redis:6379', pod: 'tcp localhost:6379', single: 'unix /tmp/redis.sock' });
  });

  it('records a blast-radius outcome for every member in both experiments', () => {
    for (const m of report.modes) {
      const blast = m.runs[0].blast;
      expect(blast.map((b) => b.experiment), m.mode).toEqual(['kill', 'memory-limit']);
      for (const b of blast) {
        // effective: the memory hog really ran Redis into its limit (it did not complete).
        expect(b.effective, `${m.mode} ${b.experiment}: ${b.note}`).toBe(true);
        expect(b.members.map((x) => x.service).sort()).toEqual(['api', 'redis']);
        expect(b.members.find((x) => x.service === 'redis')?.outcome).toBe('target');
        expect(['survived', 'restarted', 'died']).toContain(b.members.find((x) => x.service === 'api')?.outcome);
      }
    }
    // Split and pod keep the app when Redis is killed; Redis's own container restarts.
    for (const mode of ['split', 'pod']) {
      const kill = report.modes.find((m) => m.mode === mode)!.runs[0].blast[0];
      expect(kill.members.find((x) => x.service === 'api')?.outcome, mode).toBe('survived');
      expect(kill.recoveredMs, mode).toBeGreaterThan(0);
    }
  });

  it('records what each mode allows for three app replicas', () => {
    const scaling = Object.fromEntries(report.modes.map((m) => [m.mode, m.runs[0].scaling]));
    expect(scaling.split).toMatchObject({ requested: 3, running: 3, allowed: true });
    expect(scaling.pod?.allowed).toBe(false);
    expect(scaling.single).toMatchObject({ allowed: false, running: 0 });
  });
});
