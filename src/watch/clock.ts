// Time, injected: the watch loop's debounce, coalescing and back-off are tested by advancing a
// fake clock instead of sleeping (testcontainers' habit, STYLE.md §8).

export type TimerHandle = { readonly id: number };

export interface Clock {
  /** Milliseconds, monotonic where the platform allows it. */
  now(): number;
  setTimeout(fn: () => void, ms: number): TimerHandle;
  clearTimeout(handle: TimerHandle): void;
}

const nodeTimers = new WeakMap<TimerHandle, NodeJS.Timeout>();
let nodeSeq = 0;

export const systemClock: Clock = {
  now: () => performance.now(),
  setTimeout: (fn, ms) => {
    const handle: TimerHandle = { id: ++nodeSeq };
    nodeTimers.set(handle, setTimeout(fn, ms));
    return handle;
  },
  clearTimeout: (handle) => clearTimeout(nodeTimers.get(handle)),
};

/**
 * A clock that moves only when told to. Timers due at or before the new time fire in order of
 * their due time (then of creation), each seeing `now()` equal to its due time.
 */
export class ManualClock implements Clock {
  private time = 0;
  private seq = 0;
  private readonly timers = new Map<number, { due: number; fn: () => void }>();

  now(): number {
    return this.time;
  }

  setTimeout(fn: () => void, ms: number): TimerHandle {
    const id = ++this.seq;
    this.timers.set(id, { due: this.time + Math.max(0, ms), fn });
    return { id };
  }

  clearTimeout(handle: TimerHandle): void {
    this.timers.delete(handle.id);
  }

  /** Advances time by `ms`, firing every timer that falls due on the way (also ones set by fired timers). */
  advance(ms: number): void {
    const end = this.time + ms;
    for (;;) {
      let next: [number, { due: number; fn: () => void }] | undefined;
      for (const entry of this.timers) if (entry[1].due <= end && (!next || entry[1].due < next[1].due)) next = entry;
      if (!next) break;
      this.timers.delete(next[0]);
      this.time = next[1].due;
      next[1].fn();
    }
    this.time = end;
  }

  pendingTimers(): number {
    return this.timers.size;
  }
}
