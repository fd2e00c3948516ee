// A manual clock for tests of whatever takes a `Clock` (src/lib/clock.ts): supervision, the watch
// loop, develop.watch syncs. Timers run only inside `advance`/`advanceAsync`, in due-time order and,
// for equal due times, in the order they were armed; `now()` reads each timer's due time while it
// runs, and timers armed by a running timer fire in the same call when they fall due within it.
import type { Clock, TimerHandle } from '../../src/lib/clock.js';

interface FakeTimer {
  readonly id: number;
  readonly due: number;
  readonly fn: () => void;
}

/** Resolves after every microtask queued so far (and the ones they queue) has run. */
export function flushPromises(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

export class FakeClock implements Clock {
  private current: number;
  private nextId = 1;
  private timers: FakeTimer[] = [];

  constructor(start: number = Date.UTC(2024, 0, 1)) {
    this.current = start;
  }

  now(): number {
    return this.current;
  }

  setTimeout(fn: () => void, ms: number): TimerHandle {
    const delay = Number.isFinite(ms) && ms > 0 ? ms : 0;
    const timer: FakeTimer = { id: this.nextId++, due: this.current + delay, fn };
    this.timers.push(timer);
    return timer;
  }

  clearTimeout(handle: TimerHandle): void {
    this.timers = this.timers.filter((t) => t !== handle);
  }

  /** Number of armed timers. */
  pending(): number {
    return this.timers.length;
  }

  /** Milliseconds until the earliest armed timer, or undefined when none is armed. */
  nextDelay(): number | undefined {
    const next = this.takeDue(Infinity, false);
    return next === undefined ? undefined : next.due - this.current;
  }

  /** Moves time forward by `ms`, running due timers synchronously. */
  advance(ms: number): void {
    const target = this.current + Math.max(0, ms);
    for (let t = this.takeDue(target); t !== undefined; t = this.takeDue(target)) {
      this.current = t.due;
      t.fn();
    }
    this.current = target;
  }

  /**
   * Like `advance`, but lets promise callbacks settle before and after each timer, so code that
   * awaits between timers (a probe's exec, a restart) sees time move the way a real clock would.
   */
  async advanceAsync(ms: number): Promise<void> {
    const target = this.current + Math.max(0, ms);
    await flushPromises();
    for (let t = this.takeDue(target); t !== undefined; t = this.takeDue(target)) {
      this.current = t.due;
      t.fn();
      await flushPromises();
    }
    this.current = target;
  }

  /** The earliest timer due at or before `limit` (ties: first armed), removed unless `remove` is false. */
  private takeDue(limit: number, remove = true): FakeTimer | undefined {
    let best: FakeTimer | undefined;
    for (const t of this.timers) {
      if (t.due <= limit && (best === undefined || t.due < best.due || (t.due === best.due && t.id < best.id))) {
        best = t;
      }
    }
    if (best !== undefined && remove) this.timers = this.timers.filter((t) => t !== best);
    return best;
  }
}
