// `berth compare`: flags → options, the engine and the orchestration, then runCompare; prints the
// report and writes the JSON, chart and page. The logic lives in src/compare/.

import path from 'node:path';
import { createComposeDriver } from '../../compare/compose-driver.js';
import { portProbe } from '../../compare/engine-probe.js';
import { createProgress } from '../../compare/progress.js';
import { runCompare, type CompareOptions } from '../../compare/run-compare.js';
import { parseModes, resolveCompareTarget } from '../../compare/target.js';
import { parseReportFormat, renderReport, writeOutput, writeReportFiles } from '../../compare/write-reports.js';
import { BerthError, UsageError } from '../../errors.js';
import { parseDuration } from '../../loader/durations.js';
import type { CliIO } from '../io.js';
import { engineFor } from '../engine-for.js';
import { outputStyle } from '../output-style.js';
import { loadForCommand } from '../project-load.js';
import type { GlobalFlags } from '../project-options.js';
import { wantsSwarm } from '../swarm-target.js';

export interface CompareFlags {
  modes: string;
  group?: string;
  workload: string;
  duration: string;
  warmup: string;
  clients: string;
  repeat: string;
  format: string;
  output?: string;
  reportDir: string;
  blast: boolean;
  scaling: boolean;
  healthyTimeout: string;
  recoveryTimeout: string;
}

function durationMs(flag: string, value: string): number {
  try {
    return Number(parseDuration(value) / 1_000_000n);
  } catch {
    throw new UsageError(`--${flag} ${value}: expected a duration like 10s, 1m30s or 500ms`);
  }
}

function positiveInt(flag: string, value: string, max: number): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > max) throw new UsageError(`--${flag} ${value}: expected a whole number from 1 to ${max}`);
  return n;
}

export async function runCompareCommand(globals: GlobalFlags, flags: CompareFlags, io: CliIO): Promise<void> {
  const format = parseReportFormat(flags.format);
  const opts: CompareOptions = {
    modes: parseModes(flags.modes),
    workload: flags.workload.trim() || 'builtin',
    durationMs: durationMs('duration', flags.duration),
    warmupMs: flags.warmup === '0' ? 0 : durationMs('warmup', flags.warmup),
    clients: positiveInt('clients', flags.clients, 1024),
    repeat: positiveInt('repeat', flags.repeat, 100),
    healthyTimeoutMs: durationMs('healthy-timeout', flags.healthyTimeout),
    recoveryTimeoutMs: durationMs('recovery-timeout', flags.recoveryTimeout),
    skipBlast: !flags.blast,
    skipScaling: !flags.scaling,
  };
  if (opts.durationMs <= 0) throw new UsageError('--duration must be longer than 0');
  const reportDir = path.resolve(io.cwd, flags.reportDir);
  const output = flags.output ? path.resolve(io.cwd, flags.output) : undefined;
  const group = flags.group;
  const style = outputStyle(globals, io);
  const loaded = loadForCommand(globals, io);
  const target = resolveCompareTarget(loaded.project, group);
  // On Swarm (a berth swarm-lab): services instead of containers, the nodes' engines for the probe.
  const swarm = wantsSwarm(globals, io) ? await (await import('./swarm-compare.js')).swarmCompare(io, target) : undefined;
  const engine = swarm ? undefined : await engineFor(globals, io, 'change');
  const driver = swarm?.driver ?? createComposeDriver(engine!.port, { files: loaded.discovery.files, workingDir: loaded.discovery.projectDir });
  const progress = createProgress({ write: io.stderr, isTTY: style.redraw }, opts.modes.length * opts.repeat);
  io.stderr(`comparing ${target.group} (${target.members.join(', ')}) as ${opts.modes.join(', ')} on the ${swarm?.description ?? engine!.description}\n`);
  let report;
  try {
    report = await runCompare({ driver, probe: swarm?.probe ?? portProbe(engine!.port), onEvent: progress.onEvent }, loaded.project, loaded.discovery.files, target, opts);
  } finally {
    progress.close();
    await swarm?.close();
  }
  const written = writeReportFiles(report, reportDir);
  const text = renderReport(report, format);
  if (output) {
    writeOutput(output, text);
    written.push(output);
  } else io.stdout(text);
  io.stderr(`wrote ${written.map((f) => path.relative(io.cwd, f) || f).join(', ')}\n`);
  const failures = report.modes.flatMap((m) => m.failures);
  if (failures.length > 0) throw new BerthError(`${failures.length} of ${opts.modes.length * opts.repeat} runs failed (see the report)`);
}
