// FakeClock: the manual clock every supervision test (and the daemon's) runs on.
import { describe, expect, it } from 'vitest';
import { systemClock } from '../../src/lib/clock.js';
import { FakeClock } from '../support/fake-clock.js';

describe('FakeClock', () => {
  it('starts at the given time and only moves on advance', () => {
    const clock = new FakeClock(1_000);
    expect(clock.now()).toBe(1_000);
    clock.advance(250);
    expect(clock.now()).toBe(1_250);
    clock.advance(-5);
    expect(clock.now()).toBe(1_250);
  });

  it('runs due timers in due-time order, ties in the order they were armed, with now() at each due time', () => {
    const clock = new FakeClock(0);
    const seen: string[] = [];
    clock.setTimeout(() => seen.push(`c@${clock.now()}`), 30);
    clock.setTimeout(() => seen.push(`a@${clock.now()}`), 10);
    clock.setTimeout(() => seen.push(`b1@${clock.now()}`), 20);
    clock.setTimeout(() => seen.push(`b2@${clock.now()}`), 20);
    clock.setTimeout(() => seen.push(`late@${clock.now()}`), 31);
    clock.advance(30);
    expect(seen).toEqual(['a@10', 'b1@20', 'b2@20', 'c@30']);
    expect(clock.now()).toBe(30);
    expect(clock.pending()).toBe(1);
    expect(clock.nextDelay()).toBe(1);
  });

  it('runs timers armed by a timer within the same advance when they fall due', () => {
    const clock = new FakeClock(0);
    const seen: number[] = [];
    const tick = (): void => {
      seen.push(clock.now());
      clock.setTimeout(tick, 40);
    };
    clock.setTimeout(tick, 40);
    clock.advance(130);
    expect(seen).toEqual([40, 80, 120]);
    expect(clock.nextDelay()).toBe(30);
  });

  it('treats a zero, negative or NaN delay as due now, but not before advance', () => {
    const clock = new FakeClock(0);
    let runs = 0;
    clock.setTimeout(() => runs++, 0);
    clock.setTimeout(() => runs++, -1);
    clock.setTimeout(() => runs++, Number.NaN);
    expect(runs).toBe(0);
    clock.advance(0);
    expect(runs).toBe(3);
  });

  it('cancels timers, including one cleared by an earlier timer in the same advance', () => {
    const clock = new FakeClock(0);
    const seen: string[] = [];
    const b = clock.setTimeout(() => seen.push('b'), 20);
    clock.setTimeout(() => {
      seen.push('a');
      clock.clearTimeout(b);
    }, 10);
    const c = clock.setTimeout(() => seen.push('c'), 5);
    clock.clearTimeout(c);
    clock.clearTimeout({});
    clock.advance(100);
    expect(seen).toEqual(['a']);
    expect(clock.pending()).toBe(0);
    expect(clock.nextDelay()).toBeUndefined();
  });

  it('advanceAsync lets promise callbacks run between timers, at the time they settle', async () => {
    const clock = new FakeClock(0);
    const seen: string[] = [];
    clock.setTimeout(() => {
      void Promise.resolve().then(() => {
        seen.push(`then@${clock.now()}`);
        clock.setTimeout(() => seen.push(`chained@${clock.now()}`), 5);
      });
    }, 10);
    clock.setTimeout(() => seen.push(`other@${clock.now()}`), 12);
    await clock.advanceAsync(20);
    expect(seen).toEqual(['then@10', 'other@12', 'chained@15']);
    expect(clock.now()).toBe(20);
  });

  it('advance (synchronous) runs no promise callback until it returns', () => {
    const clock = new FakeClock(0);
    const seen: string[] = [];
    clock.setTimeout(() => void Promise.resolve().then(() => seen.push('then')), 10);
    clock.advance(20);
    expect(seen).toEqual([]);
  });
});

describe('systemClock', () => {
  it('reads the real time and arms real timers that can be cleared', () => {
    const before = Date.now();
    expect(systemClock.now()).toBeGreaterThanOrEqual(before);
    let ran = false;
    const handle = systemClock.setTimeout(() => (ran = true), 1);
    systemClock.clearTimeout(handle);
    expect(ran).toBe(false);
  });
});
