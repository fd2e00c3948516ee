// Sequencing of one comparison. For every mode and repetition: up as its own project, wait until
// healthy, warm up, run the workload while sampling resources, hurt the database (kill, then
// memory limit), ask for three app replicas, take the project down and check nothing is left.
// Any stage that fails is recorded against that run (stage + message) and the project is still
// taken down; the other modes go on.

import os from 'node:os';
import { BerthError } from '../errors.js';
import type { PlacementMode, Project } from '../model/project.js';
import { exhaustDatabaseMemory, killDatabase, type BlastContext, type MemberPlacement } from './blast-radius.js';
import type { EngineProbe, ProjectContainer } from './engine-probe.js';
import { PlacementScaleError } from '../plan/plan.js';
import { requestOnce, runHttpWorkload, type WorkloadResult } from './http-workload.js';
import { startResourceSampler } from './resource-sampler.js';
import type { BlastOutcome, CompareReport, ModeFailure, ModeReport, ModeRun, ScalingOutcome, WorkloadSummary } from './result.js';
import { spreadOverRuns } from './spread.js';
import { LABEL } from '../observe/labels.js';
import { projectForRun, type StackDriver } from './stack-driver.js';
import type { CompareTarget } from './target.js';
import { parseWorkloadOutput } from './workload-parse.js';

export interface CompareOptions {
  modes: PlacementMode[];
  /** 'builtin' or a command line run inside the app's container. */
  workload: string;
  durationMs: number;
  warmupMs: number;
  clients: number;
  repeat: number;
  /** Until the stack is healthy after up. */
  healthyTimeoutMs: number;
  recoveryTimeoutMs: number;
  /** Skip the blast-radius and scaling experiments (quicker runs). */
  skipBlast?: boolean;
  skipScaling?: boolean;
  scaleReplicas?: number;
  /** How long replicas may take to become healthy (default 20s). */
  scaleTimeoutMs?: number;
}

export type CompareEvent =
  | { type: 'stage'; mode: PlacementMode; repetition: number; stage: string }
  | { type: 'done'; mode: PlacementMode; repetition: number; run: ModeRun }
  | { type: 'failed'; failure: ModeFailure };

export interface CompareDeps {
  driver: StackDriver;
  probe: EngineProbe;
  /** Signals a host pid (the database's main process); process.kill by default. */
  signal?: (pid: number, signal: NodeJS.Signals) => void;
  onEvent?: (e: CompareEvent) => void;
}

export class CompareStageError extends BerthError {
  constructor(
    readonly stage: string,
    message: string,
  ) {
    super(message);
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Which container each group member runs in; in `single` the members share the group's one container. */
export function placeMembers(containers: ProjectContainer[], target: CompareTarget, mode: PlacementMode): MemberPlacement[] {
  const running = containers.filter((c) => c.running || mode !== 'single');
  const byService = new Map<string, ProjectContainer>();
  for (const c of running) if (target.members.includes(c.service) && !byService.has(c.service)) byService.set(c.service, c);
  // A container may say which services it holds (a `single` group container).
  for (const c of running) {
    const holds = (c.labels[LABEL.placementMembers] ?? '').split(',').filter(Boolean);
    for (const s of holds) if (target.members.includes(s) && !byService.has(s)) byService.set(s, c);
  }
  if (mode === 'single') {
    const group = target.members.map((m) => byService.get(m)).find((c) => c !== undefined);
    if (group) for (const m of target.members) if (!byService.has(m)) byService.set(m, group);
  }
  const out: MemberPlacement[] = [];
  for (const m of target.members) {
    const c = byService.get(m);
    if (!c) continue;
    out.push({ service: m, containerId: c.id, shared: [...byService.values()].filter((x) => x.id === c.id).length > 1 });
  }
  return out;
}

function appPublisher(containers: ProjectContainer[], target: CompareTarget): { container: ProjectContainer; port: number } | undefined {
  const app = containers.find((c) => c.service === target.app && c.ports[`${target.appPort}/tcp`]) ?? containers.find((c) => c.ports[`${target.appPort}/tcp`]);
  return app ? { container: app, port: app.ports[`${target.appPort}/tcp`] } : undefined;
}

/** Until every container runs (and is healthy where it has a health check) and the app answers. */
async function waitHealthy(probe: EngineProbe, project: string, target: CompareTarget, timeoutMs: number): Promise<{ appBase: string }> {
  const deadline = Date.now() + timeoutMs;
  let why = 'no containers yet';
  while (Date.now() < deadline) {
    const containers = await probe.projectContainers(project);
    const states = await Promise.all(containers.map((c) => probe.state(c.id)));
    const notReady = containers.filter((c, i) => !states[i]?.running || (states[i]?.health !== undefined && states[i]?.health !== 'none' && states[i]?.health !== 'healthy'));
    const app = appPublisher(containers, target);
    if (containers.length > 0 && notReady.length === 0 && app) {
      const base = probe.appBase ? await probe.appBase(app.container, app.port) : `http://127.0.0.1:${app.port}`;
      try {
        await requestOnce(new URL(`${base}${target.healthPath}`), false, 1000);
        return { appBase: base };
      } catch (e) {
        why = `${target.app} at ${base}${target.healthPath}: ${(e as Error).message}`;
      }
    } else {
      why = containers.length === 0 ? 'no containers' : notReady.length ? `not ready: ${notReady.map((c) => c.name).join(', ')}` : `${target.app} publishes no port for ${target.appPort}/tcp`;
    }
    await sleep(50);
  }
  throw new CompareStageError('healthy', `not healthy within ${timeoutMs / 1000}s (${why})`);
}

async function healthTransport(url: string): Promise<string | undefined> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(2000) });
    const body = (await res.json()) as { db?: unknown };
    return typeof body.db === 'string' ? body.db : undefined;
  } catch {
    return undefined;
  }
}

function summarise(w: WorkloadResult): WorkloadSummary {
  const latency = w.histogram.summary();
  if (latency.count === 0 && w.meanNs !== undefined) latency.mean = w.meanNs;
  return {
    kind: w.kind,
    description: w.description,
    requests: w.requests,
    errors: w.errors,
    errorSamples: w.errorSamples,
    throughput: w.throughput,
    latency,
    histogram: w.histogram.toJSON(),
    elapsedMs: w.elapsedMs,
  };
}

async function runWorkload(deps: CompareDeps, opts: CompareOptions, target: CompareTarget, appBase: string, appContainer: string, transport: string | undefined, durationMs: number): Promise<WorkloadResult> {
  if (opts.workload === 'builtin') {
    return runHttpWorkload({ url: `${appBase}${target.path}`, clients: opts.clients, durationMs });
  }
  // A command runs inside the app's container: it sees the database from where the app does.
  const env = [`BERTH_COMPARE_URL=http://127.0.0.1:${target.appPort}${target.path}`, `BERTH_COMPARE_CLIENTS=${opts.clients}`, `BERTH_COMPARE_SECONDS=${Math.max(1, Math.round(durationMs / 1000))}`];
  const m = transport ? /^(?:unix (\S+)|tcp (\S+):(\d+))$/.exec(transport) : null;
  if (m) env.push(`PGHOST=${m[1] ?? m[2]}`, ...(m[3] ? [`PGPORT=${m[3]}`] : []));
  const t0 = process.hrtime.bigint();
  const r = await deps.probe.exec(appContainer, ['sh', '-c', opts.workload], { env, timeoutMs: durationMs + 120_000 });
  const elapsedMs = Number(process.hrtime.bigint() - t0) / 1e6;
  if (r.exitCode !== 0) throw new CompareStageError('workload', `"${opts.workload}" exited ${r.exitCode}: ${(r.stderr.trim() || r.stdout.trim()).split('\n').at(-1) ?? ''}`);
  return parseWorkloadOutput(r.stdout, opts.workload, elapsedMs);
}

async function scaleApp(deps: CompareDeps, project: Project, target: CompareTarget, mode: PlacementMode, replicas: number, timeoutMs: number): Promise<ScalingOutcome> {
  try {
    await deps.driver.up({ project, group: target.group, mode, scale: { [target.app]: replicas } });
  } catch (e) {
    // The planner refuses replicas a placement cannot hold, and says why; anything else is a failure.
    if (!(e instanceof PlacementScaleError)) throw e;
    const refusal = e.refusals.find((r) => r.service === target.app) ?? e.refusals[0];
    return { requested: replicas, running: 0, allowed: false, note: `refused when planning (${refusal.why})` };
  }
  // A replica counts once it runs, is healthy (when it has a check) and has not restarted: in a
  // shared network namespace the extra replicas cannot bind the port and crash-loop.
  const deadline = Date.now() + timeoutMs;
  let good = 0;
  let detail = '';
  while (Date.now() < deadline) {
    const mine = (await deps.probe.projectContainers(project.name)).filter((c) => c.service === target.app);
    const states = await Promise.all(mine.map((c) => deps.probe.state(c.id)));
    good = states.filter((s) => s?.running && s.restartCount === 0 && (s.health === undefined || s.health === 'none' || s.health === 'healthy')).length;
    const bad = states.filter((s) => s && (!s.running || s.restartCount > 0));
    if (mine.length === 0) {
      detail = `${target.app} runs inside the group's one container`;
      break;
    }
    detail = bad.length ? `${bad.length} exited or restarting (exit ${[...new Set(bad.map((s) => s?.exitCode))].join('/')})` : `${mine.length} created`;
    if (good >= replicas) break;
    await sleep(250);
  }
  return { requested: replicas, running: good, allowed: good >= replicas, note: good >= replicas ? `${good} healthy ${target.app} replicas` : detail.includes('inside the group') ? detail : `${good}/${replicas} healthy, ${detail}` };
}

async function oneRun(deps: CompareDeps, base: Project, target: CompareTarget, opts: CompareOptions, mode: PlacementMode, repetition: number): Promise<ModeRun> {
  const stage = (s: string) => deps.onEvent?.({ type: 'stage', mode, repetition, stage: s });
  const name = `${base.name}-cmp-${mode}`;
  const project = projectForRun(base, name, target.group, mode);
  let stageName = 'down (before)';
  try {
    stage('clean');
    await deps.driver.down(project);
    stageName = 'up';
    stage('up');
    const t0 = process.hrtime.bigint();
    await deps.driver.up({ project, group: target.group, mode });
    stageName = 'healthy';
    stage('waiting healthy');
    let { appBase } = await waitHealthy(deps.probe, name, target, opts.healthyTimeoutMs);
    const upToHealthyMs = Number(process.hrtime.bigint() - t0) / 1e6;
    const transport = await healthTransport(`${appBase}${target.healthPath}`);
    const containers = await deps.probe.projectContainers(name);
    const placements = placeMembers(containers, target, mode);
    const appContainer = placements.find((p) => p.service === target.app)?.containerId;
    if (!appContainer) throw new CompareStageError('healthy', `no container of ${target.app} found`);

    stageName = 'warm-up';
    stage(`warm-up ${opts.warmupMs / 1000}s`);
    if (opts.warmupMs > 0) await runWorkload(deps, opts, target, appBase, appContainer, transport, opts.warmupMs);

    stageName = 'workload';
    stage(`workload ${opts.durationMs / 1000}s`);
    const sampled = containers.filter((c) => c.running).map((c) => ({ id: c.id, name: c.name, services: placements.filter((p) => p.containerId === c.id).map((p) => p.service) }));
    const sampler = startResourceSampler(deps.probe, sampled);
    const workOrError = await runWorkload(deps, opts, target, appBase, appContainer, transport, opts.durationMs).catch((e: unknown) => e);
    const usage = await sampler.stop();
    if (!(workOrError instanceof Object) || workOrError instanceof Error) throw workOrError;
    const work = workOrError as WorkloadResult;

    const blast: BlastOutcome[] = [];
    if (!opts.skipBlast) {
      const ctx: BlastContext = {
        probe: deps.probe,
        placements: async () => placeMembers(await deps.probe.projectContainers(name), target, mode),
        database: target.database,
        databaseProcess: new RegExp(target.databaseProcess),
        appUrl: () => `${appBase}${target.path}`,
        recoveryTimeoutMs: opts.recoveryTimeoutMs,
        signal: deps.signal ?? ((pid, sig) => process.kill(pid, sig)),
      };
      const recover = async (b: BlastOutcome) => {
        if (b.recoveredMs !== undefined || !b.effective) return;
        // Not served again by itself: recreate the stack (what an operator would do) so the next
        // experiment starts from a healthy stack, and say so in the outcome.
        stage('recreating the stack after no recovery');
        await deps.driver.down(project);
        await deps.driver.up({ project, group: target.group, mode });
        ({ appBase } = await waitHealthy(deps.probe, name, target, opts.healthyTimeoutMs));
        b.note = `${b.note ? `${b.note}; ` : ''}not served again within ${opts.recoveryTimeoutMs / 1000}s, stack recreated`;
      };
      stageName = 'blast: kill';
      stage(`blast radius: kill ${target.database}`);
      const kill = await killDatabase(ctx);
      blast.push(kill);
      await recover(kill);
      if (target.memoryHog) {
        stageName = 'blast: memory limit';
        stage(`blast radius: ${target.database} into its memory limit`);
        const oom = await exhaustDatabaseMemory(ctx, target.memoryHog);
        blast.push(oom);
        await recover(oom);
      }
    }
    let scaling: ScalingOutcome | undefined;
    if (!opts.skipScaling) {
      stageName = 'scaling';
      stage(`scaling: ${opts.scaleReplicas ?? 3} × ${target.app}`);
      scaling = await scaleApp(deps, project, target, mode, opts.scaleReplicas ?? 3, opts.scaleTimeoutMs ?? 20_000);
    }
    stageName = 'down';
    stage('down');
    await deps.driver.down(project);
    const leftovers = (await deps.probe.projectContainers(name)).map((c) => c.name);
    return { mode, project: name, repetition, upToHealthyMs, transport, workload: summarise(work), usage, blast, scaling, leftovers };
  } catch (e) {
    // Say why: the last words of every container that is not running, before down removes them.
    const why = await lastWords(deps.probe, name).catch(() => '');
    await deps.driver.down(project).catch(() => {});
    const message = `${e instanceof Error ? e.message : String(e)}${why}`;
    throw new CompareStageError(e instanceof CompareStageError ? e.stage : stageName, message);
  }
}

async function lastWords(probe: EngineProbe, project: string): Promise<string> {
  const stopped = (await probe.projectContainers(project)).filter((c) => !c.running);
  const parts = await Promise.all(stopped.map(async (c) => `${c.name}: ${(await probe.logTail(c.id, 3)).split('\n').join(' / ').slice(0, 300)}`));
  return parts.length ? ` [${parts.join('; ')}]` : '';
}

export async function runCompare(deps: CompareDeps, base: Project, files: string[], target: CompareTarget, opts: CompareOptions): Promise<CompareReport> {
  // Other work on the machine moves every figure: the report says how busy it was.
  const loadAtStart = os.loadavg()[0];
  const modes: ModeReport[] = [];
  for (const mode of opts.modes) {
    const runs: ModeRun[] = [];
    const failures: ModeFailure[] = [];
    for (let rep = 1; rep <= opts.repeat; rep++) {
      try {
        const run = await oneRun(deps, base, target, opts, mode, rep);
        runs.push(run);
        deps.onEvent?.({ type: 'done', mode, repetition: rep, run });
      } catch (e) {
        const f: ModeFailure = { mode, repetition: rep, stage: e instanceof CompareStageError ? e.stage : 'run', message: e instanceof Error ? e.message : String(e) };
        failures.push(f);
        deps.onEvent?.({ type: 'failed', failure: f });
      }
    }
    modes.push({ mode, runs, failures, spread: spreadOverRuns(runs) });
  }
  return {
    version: 1,
    createdAt: new Date().toISOString(),
    stack: { files, group: target.group, members: target.members, app: target.app, database: target.database },
    options: { modes: opts.modes, workload: opts.workload, durationMs: opts.durationMs, clients: opts.clients, repeat: opts.repeat, warmupMs: opts.warmupMs },
    machine: { cpus: os.cpus().length, memoryBytes: os.totalmem(), kernel: os.release(), node: process.version, loadAverage: loadAtStart, engine: await deps.driver.engineDescription().catch(() => 'unknown') },
    modes,
  };
}

