// The verbs that converge (part of) a project through the planner: `create` (up without start),
// `scale` (up of the named services with new replica counts, nothing recreated) and the
// dependencies `run` starts first. All of them are plan + apply, exactly as `up` runs them.

import type { EnginePort } from '../client/engine-port.js';
import { executeUp } from '../apply/up.js';
import type { ProgressTracker } from '../apply/progress.js';
import { planUp, type PlanOptions } from '../plan/plan.js';
import { gatherState } from '../plan/state.js';
import { UsageError } from '../errors.js';
import type { Project } from '../model/project.js';

export interface ConvergeContext {
  port: EnginePort;
  project: Project;
  progress: ProgressTracker;
  now?: () => number;
  signal?: AbortSignal;
}

async function converge(x: ConvergeContext, options: PlanOptions, noStart: boolean): Promise<void> {
  const state = await gatherState(x.port, x.project);
  const plan = planUp(x.project, state, options);
  const { watch } = await executeUp(plan, { port: x.port, progress: x.progress, now: x.now ?? Date.now, noStart, ...(x.signal ? { signal: x.signal } : {}) });
  await watch.close();
}

/** `create [services]`: containers (and networks, volumes) made, nothing started. */
export function createServices(x: ConvergeContext, services: string[], options: Omit<PlanOptions, 'services'> = {}): Promise<void> {
  return converge(x, { ...options, services }, true);
}

/** `scale svc=n ...`: each service to n replicas; existing containers are kept as they are. */
export function scaleServices(x: ConvergeContext, scale: Record<string, number>, noDeps: boolean): Promise<void> {
  for (const s of Object.keys(scale)) if (!(s in x.project.services)) throw new UsageError(`scale: no such service: ${s}`);
  return converge(x, { services: Object.keys(scale), scale, noRecreate: true, noDeps }, false);
}

/** `run`'s dependencies: started (created when missing) the way `up` would, without the service itself. */
export async function startDependencies(x: ConvergeContext, dependencies: string[]): Promise<void> {
  if (dependencies.length === 0) return;
  await converge(x, { services: dependencies }, false);
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
