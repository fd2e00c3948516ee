/**
 * Time as a port. Whatever waits or measures (restart back-off, health-check intervals and
 * timeouts, the watch loop's debounce and coalescing, develop.watch syncs) reads the time and arms
 * timers only through a `Clock`, so tests drive it with a fake clock (test/support/fake-clock.ts)
 * instead of sleeping.
 */

/** What `setTimeout` hands back: only ever given to the same clock's `clearTimeout`. */
export type TimerHandle = object;

export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
  setTimeout(fn: () => void, ms: number): TimerHandle;
  clearTimeout(handle: TimerHandle): void;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout(fn, ms) {
    const handle = setTimeout(fn, ms);
    // A pending back-off, probe or debounce must never be what keeps a process alive: the daemon
    // is held open by its socket, the watch loop by its file watcher, and a test that forgets to
    // stop a monitor should still exit.
    handle.unref();
    return handle;
  },
  clearTimeout(handle) {
    clearTimeout(handle as ReturnType<typeof setTimeout>);
  },
};
