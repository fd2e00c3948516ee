// The reconcile loop, in the shape of kubernetes' sample-controller: events only mark the stack
// dirty; one worker re-reads the desired state (reload + validate), plans against the actual
// state and executes the plan. Level-triggered: the worker never asks *which* file changed, it
// converges on whatever the files say now, so coalescing events loses nothing and the newest
// model always wins.
//
// Invariants:
//  - at most one cycle (load → plan → execute) runs at a time;
//  - an event during a cycle schedules exactly one more cycle after it (however many arrive);
//  - a burst of events within the quiet window is one cycle; a burst that never goes quiet still
//    runs a cycle every `maxWaitMs`;
//  - an invalid model is reported once per cycle and nothing is planned; the loop keeps waiting;
//  - a failed execution of a valid model is retried with back-off (engine hiccups), unless the
//    error is the user's to fix (BerthError): then it waits for the next change, reported once.
import { BerthError } from '../errors.js';
import type { Clock, TimerHandle } from '../lib/clock.js';

export interface CycleTrigger {
  /** Files whose events led to this cycle, sorted; empty for the initial and retry cycles. */
  files: string[];
  /** Clock time of the first event of the batch. */
  firstEventAt?: number;
  reason: 'initial' | 'change' | 'retry';
}

export interface CycleTimings {
  /** First event → the cycle starting: the quiet window plus waiting for a running cycle. */
  detectMs: number;
  loadMs: number;
  planMs?: number;
  applyMs?: number;
}

export type CycleOutcome<M, P, R> =
  | { kind: 'applied'; model: M; plan: P; result: R }
  | { kind: 'invalid'; error: unknown }
  | { kind: 'failed'; model: M; plan?: P; error: unknown; retryInMs?: number };

export type CycleReport<M, P, R> = CycleOutcome<M, P, R> & {
  cycle: number;
  trigger: CycleTrigger;
  timings: CycleTimings;
  startedAt: number;
  finishedAt: number;
};

export interface ReconcileSteps<M, P, R> {
  /** Reads and validates the stack files; throws on an invalid model. */
  load(): Promise<M> | M;
  /** Desired (the model) × actual (the running stack) → the difference. */
  plan(model: M): Promise<P>;
  execute(plan: P, model: M): Promise<R>;
}

export interface LoopOptions {
  clock: Clock;
  /** Quiet window after the last event before a cycle starts. */
  debounceMs: number;
  /** Longest a continuous stream of events may postpone a cycle. Default 10 × debounceMs (≥ 500 ms). */
  maxWaitMs?: number;
  retryInitialMs?: number;
  retryMaxMs?: number;
  /** Whether a failed plan/execute is worth retrying without a change. Default: anything but a BerthError. */
  isTransient?: (error: unknown) => boolean;
}

export class ReconcileLoop<M, P, R> {
  private readonly clock: Clock;
  private readonly debounceMs: number;
  private readonly maxWaitMs: number;
  private readonly retryInitialMs: number;
  private readonly retryMaxMs: number;
  private readonly isTransient: (error: unknown) => boolean;

  private batch: { files: Set<string>; firstEventAt: number } | undefined;
  private timer: TimerHandle | undefined;
  private retryTimer: TimerHandle | undefined;
  private retryDelayMs = 0;
  private running: Promise<void> | undefined;
  /** Set when the quiet window ended during a cycle: one more cycle follows it. */
  private rerun = false;
  private cycles = 0;
  private closed = false;
  private idleWaiters: (() => void)[] = [];

  constructor(
    private readonly steps: ReconcileSteps<M, P, R>,
    private readonly report: (r: CycleReport<M, P, R>) => void,
    opts: LoopOptions,
  ) {
    this.clock = opts.clock;
    this.debounceMs = opts.debounceMs;
    this.maxWaitMs = opts.maxWaitMs ?? Math.max(500, 10 * opts.debounceMs);
    this.retryInitialMs = opts.retryInitialMs ?? 500;
    this.retryMaxMs = opts.retryMaxMs ?? 30_000;
    this.isTransient = opts.isTransient ?? ((e) => !(e instanceof BerthError));
  }

  /** Runs a cycle now, without waiting for a quiet window (the initial `up`). */
  start(): void {
    this.enqueue({ files: [], reason: 'initial' });
  }

  /** An event: the stack is dirty. Cheap, synchronous, never throws. */
  markDirty(file: string): void {
    if (this.closed) return;
    const now = this.clock.now();
    if (!this.batch) this.batch = { files: new Set(), firstEventAt: now };
    this.batch.files.add(file);
    if (this.timer) this.clock.clearTimeout(this.timer);
    const waited = now - this.batch.firstEventAt;
    const delay = Math.max(0, Math.min(this.debounceMs, this.maxWaitMs - waited));
    this.timer = this.clock.setTimeout(() => this.quiet(), delay);
  }

  /** Resolves when no cycle runs and none is due (a pending debounce or retry timer counts as due). */
  idle(): Promise<void> {
    if (this.isIdle()) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** Stops accepting events and waits for a running cycle to finish. */
  async close(): Promise<void> {
    this.closed = true;
    if (this.timer) this.clock.clearTimeout(this.timer);
    if (this.retryTimer) this.clock.clearTimeout(this.retryTimer);
    this.timer = this.retryTimer = undefined;
    this.batch = undefined;
    this.rerun = false;
    await this.running;
    this.notifyIdle();
  }

  private isIdle(): boolean {
    return !this.running && !this.timer && !this.retryTimer && !this.rerun;
  }

  private notifyIdle(): void {
    if (!this.isIdle() && !this.closed) return;
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const w of waiters) w();
  }

  private quiet(): void {
    this.timer = undefined;
    if (this.running) {
      this.rerun = true;
      return;
    }
    this.enqueue(this.takeBatch());
  }

  private takeBatch(): CycleTrigger {
    const b = this.batch;
    this.batch = undefined;
    return { files: b ? [...b.files].sort() : [], firstEventAt: b?.firstEventAt, reason: 'change' };
  }

  private enqueue(trigger: CycleTrigger): void {
    if (this.closed) return;
    if (this.retryTimer) {
      // A change supersedes a pending retry: the new cycle converges anyway.
      this.clock.clearTimeout(this.retryTimer);
      this.retryTimer = undefined;
    }
    this.running = this.cycle(trigger).finally(() => {
      this.running = undefined;
      if (this.rerun && !this.closed) {
        this.rerun = false;
        this.enqueue(this.takeBatch());
      } else {
        this.notifyIdle();
      }
    });
  }

  private async cycle(trigger: CycleTrigger): Promise<void> {
    const cycle = ++this.cycles;
    const startedAt = this.clock.now();
    const timings: CycleTimings = { detectMs: trigger.firstEventAt === undefined ? 0 : startedAt - trigger.firstEventAt, loadMs: 0 };
    const done = (outcome: CycleOutcome<M, P, R>) =>
      this.safeReport({ ...outcome, cycle, trigger, timings, startedAt, finishedAt: this.clock.now() });

    let model: M;
    try {
      model = await this.steps.load();
    } catch (error) {
      timings.loadMs = this.clock.now() - startedAt;
      // Invalid input is the user's to fix: no retry, the next save triggers the next cycle.
      this.retryDelayMs = 0;
      done({ kind: 'invalid', error });
      return;
    }
    const loadedAt = this.clock.now();
    timings.loadMs = loadedAt - startedAt;

    let plan: P | undefined;
    try {
      plan = await this.steps.plan(model);
      const plannedAt = this.clock.now();
      timings.planMs = plannedAt - loadedAt;
      const result = await this.steps.execute(plan, model);
      timings.applyMs = this.clock.now() - plannedAt;
      this.retryDelayMs = 0;
      done({ kind: 'applied', model, plan, result });
    } catch (error) {
      const at = this.clock.now();
      if (plan === undefined) timings.planMs = at - loadedAt;
      else timings.applyMs = at - loadedAt - (timings.planMs ?? 0);
      if (!this.isTransient(error)) {
        this.retryDelayMs = 0;
        done({ kind: 'failed', model, plan, error });
        return;
      }
      this.retryDelayMs = this.retryDelayMs ? Math.min(this.retryMaxMs, this.retryDelayMs * 2) : this.retryInitialMs;
      const retryInMs = this.retryDelayMs;
      done({ kind: 'failed', model, plan, error, retryInMs });
      if (!this.closed) {
        this.retryTimer = this.clock.setTimeout(() => {
          this.retryTimer = undefined;
          if (this.running) this.rerun = true;
          else this.enqueue({ files: [], reason: 'retry' });
        }, retryInMs);
      }
    }
  }

  private safeReport(r: CycleReport<M, P, R>): void {
    try {
      this.report(r);
    } catch {
      // A broken printer must not stop the loop.
    }
  }
}
