// Converging a project: gather what the engine has (observe), plan against it, execute the plan.
// This is the one place that sequence is written; `up`, hot reload, `compare` and the verbs that
// converge part of a project (`create`, `scale`, the dependencies `run` starts first) all go
// through it.

import type { EnginePort } from '../client/engine-port.js';
import { executeUp, type UpResult } from '../apply/up.js';
import { executePulls } from '../apply/pull.js';
import type { ContainerWatch } from '../apply/container-watch.js';
import type { ProgressTracker } from '../apply/progress.js';
import { planUp, type Plan, type PlanOptions } from '../plan/plan.js';
import { gatherState } from '../observe/state.js';
import { UsageError } from '../errors.js';
import type { Project } from '../model/project.js';
import { executeBuilds, type BuildOptions } from './build.js';

export interface ConvergeContext {
  port: EnginePort;
  project: Project;
  progress: ProgressTracker;
  now?: () => number;
  signal?: AbortSignal;
  /** Where pull progress goes (`up --quiet-pull`: nowhere); default `progress`. */
  pullProgress?: ProgressTracker;
}

export interface ApplyOptions {
  /** --no-start: create only. */
  noStart?: boolean;
  /** Engine calls at once (--parallel, COMPOSE_PARALLEL_LIMIT). */
  parallel?: number;
  /** -t: seconds a recreate waits for the old container to stop. */
  stopTimeout?: number;
  /** Keep the container watch open (up --wait reads it); the caller closes it. */
  keepWatch?: boolean;
  /** How the plan's image builds run (--no-cache, --pull, --build-arg). */
  build?: BuildOptions;
  /** Where build warnings go. */
  warn?: (message: string) => void;
}

export type Applied = UpResult & { watch: ContainerWatch };

/** What the engine has of the project, and the plan that turns it into what the project says. */
export async function planConvergence(port: EnginePort, project: Project, options: PlanOptions): Promise<Plan> {
  return planUp(project, await gatherState(port, project), options);
}

/** Executes a plan; the container watch is closed unless `keepWatch`. */
export async function applyPlan(plan: Plan, x: Omit<ConvergeContext, 'project'>, run: ApplyOptions = {}): Promise<Applied> {
  const applied = await executeUp(plan, {
    port: x.port,
    progress: x.progress,
    now: x.now ?? Date.now,
    ...(run.parallel !== undefined ? { parallel: run.parallel } : {}),
    ...(run.noStart ? { noStart: true } : {}),
    ...(run.stopTimeout !== undefined ? { stopTimeout: run.stopTimeout } : {}),
    ...(x.signal ? { signal: x.signal } : {}),
  });
  if (!run.keepWatch) await applied.watch.close();
  return applied;
}

/**
 * Gather → plan → execute. `review` sees the plan before anything runs (warnings, `--dry-run`);
 * returning false stops there, and nothing is applied.
 */
export async function converge(x: ConvergeContext, options: PlanOptions, run: ApplyOptions & { review?: (plan: Plan) => boolean | void } = {}): Promise<{ plan: Plan; applied?: Applied }> {
  let plan = await planConvergence(x.port, x.project, options);
  if (run.review?.(plan) === false) return { plan };
  if (plan.pulls.length > 0) {
    // Images first, all at once, before anything is created; then plan again against what the
    // engine has now (a pulled image that changed recreates its containers).
    await executePulls(plan.pulls, { port: x.port, progress: x.pullProgress ?? x.progress, now: x.now ?? Date.now, ...(run.parallel !== undefined ? { parallel: run.parallel } : {}), ...(x.signal ? { signal: x.signal } : {}) });
    plan = await planConvergence(x.port, x.project, { ...options, skipPulls: true });
  }
  if (plan.builds.length > 0) {
    // Images first: the containers are planned against what the builds made ("image changed").
    const builds = plan.builds;
    await executeBuilds(x.port, x.project, builds, { ...run.build, ...(x.signal ? { signal: x.signal } : {}) }, x.progress, run.warn);
    plan = await planConvergence(x.port, x.project, { ...options, skipPulls: true, build: 'never' });
    plan.builds = builds;
  }
  return { plan, applied: await applyPlan(plan, x, run) };
}

/** `create [services]`: containers (and networks, volumes) made, nothing started. */
export async function createServices(x: ConvergeContext, services: string[], options: Omit<PlanOptions, 'services'> = {}): Promise<void> {
  await converge(x, { ...options, services }, { noStart: true });
}

/** `scale svc=n ...`: each service to n replicas; existing containers are kept as they are. */
export async function scaleServices(x: ConvergeContext, scale: Record<string, number>, noDeps: boolean): Promise<void> {
  for (const s of Object.keys(scale)) if (!(s in x.project.services)) throw new UsageError(`scale: no such service: ${s}`);
  await converge(x, { services: Object.keys(scale), scale, noRecreate: true, noDeps });
}

/** `run`'s dependencies: started (created when missing) the way `up` would, without the service itself. */
export async function startDependencies(x: ConvergeContext, dependencies: string[]): Promise<void> {
  if (dependencies.length === 0) return;
  await converge(x, { services: dependencies });
}

/** `--scale`/`scale` arguments: `svc=n`. */
export function parseScale(args: readonly string[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const a of args) {
    const m = /^([^=]+)=(\d+)$/.exec(a);
    if (!m) throw new UsageError(`scale: "${a}" is not SERVICE=REPLICAS`);
    out[m[1]] = Number(m[2]);
  }
  return out;
}
