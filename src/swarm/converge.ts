// Converging a project on a Swarm: observe what the manager has of the stack, prepare the desired
// stack (build, digests, pod nodes, translation), plan, execute, and with `wait` watch every
// service reach its desired state. The one place that sequence is written: `up`, watch on Swarm
// and compare's Swarm driver go through it.
import type { SwarmPort } from '../client/swarm-port.js';
import type { ProgressTracker } from '../apply/progress.js';
import type { Clock } from '../lib/clock.js';
import type { PlacementMode, Project } from '../model/project.js';
import { selectServices } from '../plan/plan.js';
import { executeStackPlan, waitForStack } from './apply.js';
import type { ImageBuilder } from './build.js';
import { StackMonitor, waitingClock } from './monitor.js';
import { planStack, type StackPlan, type StackPlanOptions } from './plan.js';
import { desiredStack, resolveImages, withScale } from './prepare.js';
import { observeStack } from './stack-state.js';

export interface SwarmTargetRef {
  port: SwarmPort;
  vip: boolean;
}

export interface SwarmPlanOptions extends StackPlanOptions {
  placement?: PlacementMode;
  scale?: Readonly<Record<string, number>>;
  pull?: 'always' | 'missing' | 'never' | 'build';
  builder?: ImageBuilder;
  /** Values for configs and secrets taken from `environment:` (the process environment). */
  environment: Readonly<Record<string, string | undefined>>;
  readFile?: (path: string) => Buffer | string;
}

export interface SwarmApplyOptions {
  progress: ProgressTracker;
  parallel?: number;
  /** Bounds each wait (dependencies, --wait), in ms. */
  timeoutMs?: number;
  /** After the plan ran, wait until every service is at its desired state. */
  wait?: boolean;
  signal?: AbortSignal;
  clock?: Clock;
  /** Poll interval of the task monitor (default 150 ms). */
  pollMs?: number;
  warn?: (text: string) => void;
}

/** What the Swarm has of the project's stack, and the plan that turns it into what the files say. */
export async function planSwarm(target: SwarmTargetRef, project: Project, opts: SwarmPlanOptions): Promise<StackPlan> {
  const services = selectServices(project, opts.services, opts.noDeps ?? false);
  const scaled = withScale(project, opts.scale ?? {}, opts.placement);
  // The registry and the manager's lists answer at once: a no-op up costs the slower of the two.
  const [observed, digests] = await Promise.all([
    observeStack(target.port, project.name),
    resolveImages(target.port, scaled, { services, ...(opts.pull ? { pull: opts.pull } : {}), ...(opts.builder ? { builder: opts.builder } : {}) }),
  ]);
  const stack = desiredStack(scaled, observed, digests, {
    vip: target.vip,
    environment: opts.environment,
    ...(opts.placement ? { placement: opts.placement } : {}),
    ...(opts.readFile ? { readFile: opts.readFile } : {}),
  });
  return planStack(stack, observed, project, opts);
}

export async function applySwarmPlan(target: SwarmTargetRef, plan: StackPlan, x: SwarmApplyOptions): Promise<void> {
  const clock = x.clock ?? waitingClock;
  const monitor = new StackMonitor(target.port, plan.namespace, clock, x.pollMs);
  const ctx = {
    port: target.port,
    monitor,
    progress: x.progress,
    now: () => clock.now(),
    ...(x.parallel !== undefined ? { parallel: x.parallel } : {}),
    ...(x.timeoutMs !== undefined ? { timeoutMs: x.timeoutMs } : {}),
    ...(x.signal ? { signal: x.signal } : {}),
    ...(x.warn ? { warn: x.warn } : {}),
  };
  try {
    await executeStackPlan(plan, ctx);
    if (x.wait) await waitForStack(plan, ctx);
  } finally {
    monitor.close();
  }
}

/** Observe → prepare → plan → (review) → execute → (wait). `review` returning false stops before anything changes. */
export async function convergeSwarm(target: SwarmTargetRef, project: Project, opts: SwarmPlanOptions, x: SwarmApplyOptions & { review?: (plan: StackPlan) => boolean | void }): Promise<StackPlan> {
  const plan = await planSwarm(target, project, opts);
  if (x.review?.(plan) === false) return plan;
  await applySwarmPlan(target, plan, x);
  return plan;
}
