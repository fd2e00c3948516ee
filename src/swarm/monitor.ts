// Watching a stack's tasks converge. Swarm has no task events in API 1.41, so one poller lists the
// stack's services and tasks (two calls) every 150 ms while anyone waits, and every waiter reads
// the same snapshot: ten services waiting cost what one does. Time comes from a Clock, so waits
// are tested without sleeping.
//
// What a task's state means here: a task with a healthcheck stays `starting` until its container
// is healthy and only then turns `running`, and Swarm fails it when it turns unhealthy (dockerd's
// executor); so "every task running" is "every task healthy" for a service with a healthcheck.
// New tasks are told from old ones by berth's task hash (LABEL.swarmTaskHash), job runs by their
// JobIteration.
import type { ServiceInfo, TaskInfo } from '../client/swarm-api.js';
import type { SwarmPort } from '../client/swarm-port.js';
import { BerthError } from '../errors.js';
import type { Clock, TimerHandle } from '../lib/clock.js';
import { LABEL } from '../observe/labels.js';
import { namespaceFilter } from './stack-state.js';

export class SwarmWaitError extends BerthError {}

export interface StackSnapshot {
  services: Map<string, ServiceInfo>;
  tasks: TaskInfo[];
  /** Clock time of the snapshot. */
  at: number;
}

export interface ServiceProgress {
  name: string;
  job: boolean;
  /** Tasks wanted: replicas, one per eligible node (global), or completions (jobs). */
  desired: number;
  /** Current tasks (this spec, this job run) by state. */
  running: number;
  starting: number;
  completed: number;
  /** Old tasks still wanted running: a rolling update is under way. */
  outdated: number;
  /** Tasks that failed or were rejected since `since`, and the newest one's error. */
  failures: number;
  lastError?: string;
  /** Swarm's UpdateStatus.State and message, when an update ran. */
  updateState?: string;
  updateMessage?: string;
}

const FAILED = new Set(['failed', 'rejected']);

/** Where a service stands in one snapshot; `since` (clock ms) bounds the failures counted. */
export function serviceProgress(service: ServiceInfo, tasks: readonly TaskInfo[], since: number): ServiceProgress {
  const spec = service.Spec;
  const job = Boolean(spec.Mode.ReplicatedJob || spec.Mode.GlobalJob);
  const taskHash = spec.TaskTemplate.ContainerSpec.Labels?.[LABEL.swarmTaskHash];
  const mine = tasks.filter((t) => t.ServiceID === service.ID);
  const iteration = service.JobStatus?.JobIteration?.Index;
  const isCurrent = (t: TaskInfo): boolean =>
    (taskHash === undefined || t.Spec.ContainerSpec.Labels?.[LABEL.swarmTaskHash] === taskHash) && (!job || iteration === undefined || t.JobIteration?.Index === iteration);
  const wanted = mine.filter((t) => t.DesiredState === (job ? 'complete' : 'running') || (job && t.DesiredState === 'running'));
  const current = wanted.filter(isCurrent);
  const count = (state: string): number => current.filter((t) => t.Status.State === state).length;
  const failed = mine.filter((t) => FAILED.has(t.Status.State) && isCurrent(t) && Date.parse(t.Status.Timestamp) >= since);
  const newestFailure = failed.sort((a, b) => Date.parse(b.Status.Timestamp) - Date.parse(a.Status.Timestamp))[0];
  const desired = spec.Mode.Replicated?.Replicas ?? spec.Mode.ReplicatedJob?.TotalCompletions ?? service.ServiceStatus?.DesiredTasks ?? current.length;
  return {
    name: spec.Name,
    job,
    desired,
    running: count('running'),
    starting: count('starting'),
    completed: mine.filter((t) => t.Status.State === 'complete' && isCurrent(t)).length,
    outdated: wanted.filter((t) => !isCurrent(t) && ['running', 'starting'].includes(t.Status.State)).length,
    failures: failed.length,
    ...(newestFailure ? { lastError: taskError(newestFailure) } : {}),
    ...(service.UpdateStatus?.State ? { updateState: service.UpdateStatus.State } : {}),
    ...(service.UpdateStatus?.Message ? { updateMessage: service.UpdateStatus.Message } : {}),
  };
}

export function taskError(t: TaskInfo): string {
  const code = t.Status.ContainerStatus?.ExitCode;
  return t.Status.Err || `${t.Status.Message ?? t.Status.State}${code ? ` (exit ${code})` : ''}`;
}

/** A rolling update that Swarm paused or rolled back has failed; berth says so instead of waiting on. */
export function updateFailure(p: ServiceProgress): string | undefined {
  switch (p.updateState) {
    case 'paused':
      return `its update paused (update_config.failure_action: pause): ${p.updateMessage ?? 'a task failed'}`;
    case 'rollback_completed':
      return `its update failed and Swarm rolled it back (failure_action: rollback): ${p.updateMessage ?? ''}`.trim();
    case 'rollback_paused':
      return `its rollback paused: ${p.updateMessage ?? ''}`.trim();
    default:
      return undefined;
  }
}

const rolling = (p: ServiceProgress): boolean => p.updateState === 'updating' || p.updateState === 'rollback_started';

/** Every wanted task of the current spec has started (a job's may have finished already). */
export function isStarted(p: ServiceProgress): boolean {
  if (p.job) return p.running + p.starting + p.completed >= Math.min(1, p.desired);
  return !rolling(p) && p.outdated === 0 && p.running + p.starting >= p.desired;
}

/** Every wanted task runs (healthy, when the service has a healthcheck); a job counts when complete. */
export function isHealthy(p: ServiceProgress): boolean {
  if (p.job) return p.completed >= p.desired;
  return !rolling(p) && p.outdated === 0 && p.running >= p.desired;
}

export function isCompleted(p: ServiceProgress): boolean {
  return p.job && p.completed >= p.desired;
}

/**
 * The system clock with timers that keep the process alive: a command waiting for its stack has
 * nothing else pending between two polls (lib/clock's systemClock unrefs its timers on purpose).
 */
export const waitingClock: Clock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
};

interface Waiter {
  check(s: StackSnapshot): boolean;
  fail(e: unknown): void;
}

export class StackMonitor {
  private readonly waiters = new Set<Waiter>();
  private timer: TimerHandle | undefined;
  private polling = false;
  private last: StackSnapshot | undefined;

  constructor(
    private readonly port: SwarmPort,
    private readonly namespace: string,
    private readonly clock: Clock = waitingClock,
    private readonly intervalMs = 150,
  ) {}

  /** The latest snapshot, taking one when there is none yet. */
  async snapshot(): Promise<StackSnapshot> {
    return this.last ?? this.take();
  }

  /**
   * Resolves with `check`'s value once it returns one for a snapshot; rejects when it throws, the
   * signal fires, or `timeoutMs` passes (with `describe()`'s words for what was still awaited).
   */
  until<T>(check: (s: StackSnapshot) => T | undefined, opts: { timeoutMs?: number; signal?: AbortSignal; describe?: () => string } = {}): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      let deadline: TimerHandle | undefined;
      const done = (): void => {
        this.waiters.delete(waiter);
        if (deadline) this.clock.clearTimeout(deadline);
        opts.signal?.removeEventListener('abort', onAbort);
      };
      const waiter: Waiter = {
        check: (s) => {
          let value: T | undefined;
          try {
            value = check(s);
          } catch (e) {
            done();
            reject(e);
            return true;
          }
          if (value === undefined) return false;
          done();
          resolve(value);
          return true;
        },
        fail: (e) => {
          done();
          reject(e);
        },
      };
      const onAbort = (): void => waiter.fail(new SwarmWaitError('interrupted'));
      if (opts.signal?.aborted) return onAbort();
      opts.signal?.addEventListener('abort', onAbort, { once: true });
      if (opts.timeoutMs !== undefined) {
        deadline = this.clock.setTimeout(() => waiter.fail(new SwarmWaitError(`timed out after ${opts.timeoutMs! / 1000}s${opts.describe ? ` waiting for ${opts.describe()}` : ''}`)), opts.timeoutMs);
      }
      this.waiters.add(waiter);
      this.schedule(0);
    });
  }

  /** Stops polling; pending waits are rejected. */
  close(): void {
    if (this.timer) this.clock.clearTimeout(this.timer);
    this.timer = undefined;
    for (const w of [...this.waiters]) w.fail(new SwarmWaitError('stopped watching the stack'));
  }

  private schedule(ms: number): void {
    if (this.timer || this.polling || this.waiters.size === 0) return;
    this.timer = this.clock.setTimeout(() => {
      this.timer = undefined;
      void this.poll();
    }, ms);
  }

  private async poll(): Promise<void> {
    this.polling = true;
    try {
      const s = await this.take();
      for (const w of [...this.waiters]) w.check(s);
    } catch (e) {
      for (const w of [...this.waiters]) w.fail(e);
    } finally {
      this.polling = false;
    }
    this.schedule(this.intervalMs);
  }

  private async take(): Promise<StackSnapshot> {
    const filter = namespaceFilter(this.namespace);
    const [services, tasks] = await Promise.all([this.port.services.list(filter), this.port.tasks.list(filter)]);
    this.last = { services: new Map(services.map((s) => [s.Spec.Name, s])), tasks, at: this.clock.now() };
    return this.last;
  }
}
