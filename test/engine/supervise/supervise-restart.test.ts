// Restart policies with Docker's semantics, driven by a FakeClock: no test sleeps.
import { describe, expect, it } from 'vitest';
import { FakeClock } from '../../support/fake-clock.js';
import {
  RESTART_BACKOFF_MAX_MS,
  RestartSupervisor,
  shouldRestartOnDaemonStart,
  type RestartPolicy,
} from '../../../src/engine/supervise/restart.js';

interface Harness {
  clock: FakeClock;
  sup: RestartSupervisor;
  /** `id@time` of every restart() call. */
  restarts: string[];
  giveUps: string[];
}

/**
 * A daemon stand-in: restart() starts the container again (calling `started` like the daemon's
 * start path does) unless `fail` says otherwise.
 */
function harness(
  policy: RestartPolicy,
  fail: (id: string, n: number) => Error | undefined = () => undefined,
): Harness {
  const clock = new FakeClock(0);
  const restarts: string[] = [];
  const giveUps: string[] = [];
  const sup: RestartSupervisor = new RestartSupervisor({
    clock,
    restart: async (id) => {
      restarts.push(`${id}@${clock.now()}`);
      const err = fail(id, restarts.length);
      if (err !== undefined) throw err;
      sup.started(id, policy);
    },
    onGiveUp: (id, reason) => giveUps.push(`${id}: ${reason}`),
  });
  return { clock, sup, restarts, giveUps };
}

const crash = { exitCode: 1, manualStop: false };
const clean = { exitCode: 0, manualStop: false };

describe('RestartSupervisor — which exits restart', () => {
  it.each<[string, RestartPolicy]>([
    ['absent name', {}],
    ['empty name', { Name: '' }],
    ['no', { Name: 'no' }],
  ])('policy %s never restarts', async (_label, policy) => {
    const h = harness(policy);
    h.sup.started('c', policy);
    expect(h.sup.exited('c', crash)).toEqual({ willRestart: false });
    h.sup.started('c', policy);
    expect(h.sup.exited('c', clean)).toEqual({ willRestart: false });
    await h.clock.advanceAsync(120_000);
    expect(h.restarts).toEqual([]);
    expect(h.giveUps).toEqual([]);
  });

  it.each<[string, RestartPolicy]>([
    ['always', { Name: 'always' }],
    ['unless-stopped', { Name: 'unless-stopped' }],
  ])('%s restarts on exit 0 and non-zero alike', async (_label, policy) => {
    const h = harness(policy);
    h.sup.started('c', policy);
    expect(h.sup.exited('c', clean)).toEqual({ willRestart: true, delayMs: 100 });
    await h.clock.advanceAsync(100);
    expect(h.sup.exited('c', { exitCode: 137, manualStop: false })).toEqual({ willRestart: true, delayMs: 200 });
    await h.clock.advanceAsync(200);
    expect(h.restarts).toEqual(['c@100', 'c@300']);
    expect(h.sup.restartCount('c')).toBe(2);
  });

  it.each<[string, RestartPolicy]>([
    ['always', { Name: 'always' }],
    ['unless-stopped', { Name: 'unless-stopped' }],
    ['on-failure', { Name: 'on-failure' }],
  ])('%s does not restart after a manual stop and leaves count and back-off alone', async (_label, policy) => {
    const h = harness(policy);
    h.sup.started('c', policy);
    expect(h.sup.exited('c', { exitCode: 143, manualStop: true })).toEqual({ willRestart: false });
    await h.clock.advanceAsync(120_000);
    expect(h.restarts).toEqual([]);
    expect(h.sup.restartCount('c')).toBe(0);
  });

  it('on-failure restarts only non-zero exits', async () => {
    const policy: RestartPolicy = { Name: 'on-failure' };
    const h = harness(policy);
    h.sup.started('c', policy);
    expect(h.sup.exited('c', clean)).toEqual({ willRestart: false });
    h.sup.started('c', policy);
    expect(h.sup.exited('c', { exitCode: 2, manualStop: false })).toEqual({ willRestart: true, delayMs: 100 });
    await h.clock.advanceAsync(100);
    expect(h.restarts).toEqual(['c@100']);
    expect(h.giveUps).toEqual([]);
  });

  it('on-failure:N retries at most N times, then gives up once with the reason', async () => {
    const policy: RestartPolicy = { Name: 'on-failure', MaximumRetryCount: 2 };
    const h = harness(policy);
    h.sup.started('c', policy);
    expect(h.sup.exited('c', crash).willRestart).toBe(true);
    await h.clock.advanceAsync(100);
    expect(h.sup.exited('c', crash).willRestart).toBe(true);
    await h.clock.advanceAsync(200);
    expect(h.sup.exited('c', crash)).toEqual({ willRestart: false });
    await h.clock.advanceAsync(120_000);
    expect(h.restarts).toEqual(['c@100', 'c@300']);
    expect(h.sup.restartCount('c')).toBe(2);
    expect(h.giveUps).toEqual(['c: maximum retry count 2 reached']);
  });

  it('on-failure with MaximumRetryCount 0 (or absent) retries without limit', async () => {
    const policy: RestartPolicy = { Name: 'on-failure', MaximumRetryCount: 0 };
    const h = harness(policy);
    h.sup.started('c', policy);
    for (let i = 0; i < 20; i++) {
      expect(h.sup.exited('c', crash).willRestart).toBe(true);
      await h.clock.advanceAsync(RESTART_BACKOFF_MAX_MS);
    }
    expect(h.sup.restartCount('c')).toBe(20);
    expect(h.giveUps).toEqual([]);
  });

  it('an exit after exhausted retries that is clean gives no give-up notice', () => {
    const policy: RestartPolicy = { Name: 'on-failure', MaximumRetryCount: 1 };
    const h = harness(policy);
    h.sup.started('c', policy, 0, { restartCount: 1 });
    expect(h.sup.exited('c', clean)).toEqual({ willRestart: false });
    expect(h.giveUps).toEqual([]);
  });

  it('ignores exits of containers it was never told about', () => {
    const h = harness({ Name: 'always' });
    expect(h.sup.exited('ghost', crash)).toEqual({ willRestart: false });
    expect(h.sup.restartCount('ghost')).toBe(0);
    expect(h.sup.isRestarting('ghost')).toBe(false);
  });
});

describe('RestartSupervisor — back-off', () => {
  it('calls restart only once the delay has passed', async () => {
    const policy: RestartPolicy = { Name: 'always' };
    const h = harness(policy);
    h.sup.started('c', policy);
    h.sup.exited('c', crash);
    await h.clock.advanceAsync(99);
    expect(h.restarts).toEqual([]);
    await h.clock.advanceAsync(1);
    expect(h.restarts).toEqual(['c@100']);
  });

  it('starts at 100 ms, doubles on each quick exit and is capped at one minute', async () => {
    const policy: RestartPolicy = { Name: 'always' };
    const h = harness(policy);
    h.sup.started('c', policy);
    const delays: (number | undefined)[] = [];
    for (let i = 0; i < 12; i++) {
      const d = h.sup.exited('c', crash);
      delays.push(d.delayMs);
      await h.clock.advanceAsync(d.delayMs ?? 0);
    }
    expect(delays).toEqual([100, 200, 400, 800, 1600, 3200, 6400, 12800, 25600, 51200, 60000, 60000]);
  });

  it('resets to 100 ms when the container ran for 10 s or more, not for 9.999 s', async () => {
    const policy: RestartPolicy = { Name: 'always' };
    const h = harness(policy);
    h.sup.started('c', policy);
    expect(h.sup.exited('c', crash).delayMs).toBe(100);
    await h.clock.advanceAsync(100);
    expect(h.sup.exited('c', crash).delayMs).toBe(200);
    await h.clock.advanceAsync(200);
    await h.clock.advanceAsync(9_999);
    expect(h.sup.exited('c', crash).delayMs).toBe(400);
    await h.clock.advanceAsync(400);
    await h.clock.advanceAsync(10_000);
    expect(h.sup.exited('c', crash).delayMs).toBe(100);
  });

  it('measures the run time from `at` when given', () => {
    const policy: RestartPolicy = { Name: 'always' };
    const h = harness(policy);
    h.sup.started('c', policy);
    h.clock.advance(50);
    h.sup.exited('c', crash);
    h.sup.started('c', policy, h.clock.now() - 10_000, { restartCount: 1 });
    expect(h.sup.exited('c', crash).delayMs).toBe(100);
  });

  it('keeps the timers of several containers independent and in due order', async () => {
    const policy: RestartPolicy = { Name: 'always' };
    const h = harness(policy);
    h.sup.started('a', policy);
    h.sup.started('b', policy);
    h.sup.exited('a', crash); // due at 100
    h.clock.advance(50);
    h.sup.exited('b', crash); // due at 150
    await h.clock.advanceAsync(100);
    expect(h.restarts).toEqual(['a@100', 'b@150']);
    await h.clock.advanceAsync(10);
    h.sup.exited('b', crash); // b's second exit: 200 ms
    h.sup.exited('a', crash); // a's second exit: 200 ms, armed later
    await h.clock.advanceAsync(200);
    expect(h.restarts).toEqual(['a@100', 'b@150', 'b@360', 'a@360']);
  });
});

describe('RestartSupervisor — count and Restarting state', () => {
  it('counts restarts from the decision on, keeps the count across its own restarts and resets it on a user start', async () => {
    const policy: RestartPolicy = { Name: 'always' };
    const h = harness(policy);
    h.sup.started('c', policy);
    expect(h.sup.restartCount('c')).toBe(0);
    h.sup.exited('c', crash);
    expect(h.sup.restartCount('c')).toBe(1);
    await h.clock.advanceAsync(100);
    expect(h.sup.restartCount('c')).toBe(1);
    h.sup.exited('c', crash);
    await h.clock.advanceAsync(200);
    expect(h.sup.restartCount('c')).toBe(2);
    // docker stop, then docker start: a fresh restart manager.
    h.sup.exited('c', { exitCode: 0, manualStop: true });
    h.sup.started('c', policy);
    expect(h.sup.restartCount('c')).toBe(0);
    expect(h.sup.exited('c', crash).delayMs).toBe(100);
  });

  it('restores a count given by the daemon (live restore, policy update)', () => {
    const policy: RestartPolicy = { Name: 'on-failure', MaximumRetryCount: 3 };
    const h = harness(policy);
    h.sup.started('c', policy, 0, { restartCount: 3 });
    expect(h.sup.restartCount('c')).toBe(3);
    expect(h.sup.exited('c', crash)).toEqual({ willRestart: false });
    expect(h.giveUps).toEqual(['c: maximum retry count 3 reached']);
  });

  it('is Restarting during the back-off and while restart() is in flight, not after', async () => {
    const policy: RestartPolicy = { Name: 'always' };
    const clock = new FakeClock(0);
    let finish: () => void = () => undefined;
    const sup = new RestartSupervisor({
      clock,
      restart: () => new Promise<void>((resolve) => (finish = resolve)),
    });
    sup.started('c', policy);
    expect(sup.isRestarting('c')).toBe(false);
    sup.exited('c', crash);
    expect(sup.isRestarting('c')).toBe(true);
    await clock.advanceAsync(100);
    expect(sup.isRestarting('c')).toBe(true);
    finish();
    await clock.advanceAsync(0);
    expect(sup.isRestarting('c')).toBe(false);
    // restart() resolved without a `started` call: that restart counts as the start.
    await clock.advanceAsync(10_000);
    expect(sup.exited('c', crash).delayMs).toBe(100);
    expect(sup.restartCount('c')).toBe(2);
  });

  it('treats restart() resolving without a started call as a start at that moment', async () => {
    const policy: RestartPolicy = { Name: 'always' };
    const clock = new FakeClock(0);
    const sup = new RestartSupervisor({
      clock,
      // A slow start: resolves 5 s after it was called, never calling `started`.
      restart: () => new Promise<void>((resolve) => clock.setTimeout(resolve, 5_000)),
    });
    sup.started('c', policy);
    sup.exited('c', crash);
    await clock.advanceAsync(5_100);
    expect(sup.isRestarting('c')).toBe(false);
    // 9.999 s after restart() settled (15 s after it was called): still a quick exit.
    await clock.advanceAsync(9_999);
    expect(sup.exited('c', crash).delayMs).toBe(200);
    expect(sup.restartCount('c')).toBe(2);
  });

  it('answers a duplicate exit report during the back-off with the pending restart', async () => {
    const policy: RestartPolicy = { Name: 'always' };
    const h = harness(policy);
    h.sup.started('c', policy);
    h.sup.exited('c', crash);
    h.clock.advance(30);
    expect(h.sup.exited('c', crash)).toEqual({ willRestart: true, delayMs: 70 });
    await h.clock.advanceAsync(1_000);
    expect(h.restarts).toEqual(['c@100']);
    expect(h.sup.restartCount('c')).toBe(1);
  });
});

describe('RestartSupervisor — cancelling', () => {
  it('a manual stop during the back-off cancels the pending restart', async () => {
    const policy: RestartPolicy = { Name: 'always' };
    const h = harness(policy);
    h.sup.started('c', policy);
    h.sup.exited('c', crash);
    h.clock.advance(50);
    expect(h.sup.exited('c', { exitCode: 1, manualStop: true })).toEqual({ willRestart: false });
    expect(h.sup.isRestarting('c')).toBe(false);
    await h.clock.advanceAsync(120_000);
    expect(h.restarts).toEqual([]);
  });

  it('a manual stop while restart() is in flight keeps the container stopped when restart() settles', async () => {
    const policy: RestartPolicy = { Name: 'always' };
    const clock = new FakeClock(0);
    let fail: (e: Error) => void = () => undefined;
    const calls: number[] = [];
    const sup = new RestartSupervisor({
      clock,
      restart: () => {
        calls.push(clock.now());
        return new Promise<void>((_resolve, reject) => (fail = reject));
      },
    });
    sup.started('c', policy);
    sup.exited('c', crash);
    await clock.advanceAsync(100);
    sup.exited('c', { exitCode: 0, manualStop: true });
    fail(new Error('start aborted'));
    await clock.advanceAsync(120_000);
    expect(calls).toEqual([100]);
    expect(sup.isRestarting('c')).toBe(false);
  });

  it('forget drops the pending restart and the state; a late restart() result does not bring it back', async () => {
    const policy: RestartPolicy = { Name: 'always' };
    const clock = new FakeClock(0);
    let finish: () => void = () => undefined;
    const calls: string[] = [];
    const sup = new RestartSupervisor({
      clock,
      restart: (id) => {
        calls.push(id);
        return new Promise<void>((resolve) => (finish = resolve));
      },
    });
    sup.started('a', policy);
    sup.exited('a', crash);
    sup.forget('a');
    expect(sup.isRestarting('a')).toBe(false);
    expect(sup.restartCount('a')).toBe(0);
    sup.started('b', policy);
    sup.exited('b', crash);
    await clock.advanceAsync(100);
    sup.forget('b');
    finish();
    await clock.advanceAsync(120_000);
    expect(calls).toEqual(['b']);
    expect(sup.isRestarting('b')).toBe(false);
    expect(sup.exited('b', crash)).toEqual({ willRestart: false });
  });

  it('daemon shutdown restarts nothing now and leaves count and back-off alone', async () => {
    const policy: RestartPolicy = { Name: 'always' };
    const h = harness(policy);
    h.sup.started('c', policy);
    expect(h.sup.exited('c', { exitCode: 143, manualStop: false, daemonShutdown: true })).toEqual({ willRestart: false });
    await h.clock.advanceAsync(120_000);
    expect(h.restarts).toEqual([]);
    expect(h.sup.restartCount('c')).toBe(0);
  });
});

describe('RestartSupervisor — failing restarts', () => {
  it('a rejected restart() counts as an exit: retried with a doubled back-off', async () => {
    const policy: RestartPolicy = { Name: 'always' };
    const h = harness(policy, (_id, n) => (n <= 2 ? new Error('port is already allocated') : undefined));
    h.sup.started('c', policy);
    h.sup.exited('c', crash);
    await h.clock.advanceAsync(100); // fails → 200 ms
    expect(h.sup.isRestarting('c')).toBe(true);
    await h.clock.advanceAsync(200); // fails → 400 ms
    await h.clock.advanceAsync(400); // succeeds
    expect(h.restarts).toEqual(['c@100', 'c@300', 'c@700']);
    expect(h.sup.restartCount('c')).toBe(3);
    expect(h.sup.isRestarting('c')).toBe(false);
    expect(h.giveUps).toEqual([]);
  });

  it('a restart() that throws synchronously is handled like a rejection', async () => {
    const policy: RestartPolicy = { Name: 'always' };
    const clock = new FakeClock(0);
    const calls: number[] = [];
    const sup = new RestartSupervisor({
      clock,
      restart: (): Promise<void> => {
        calls.push(clock.now());
        if (calls.length === 1) throw new Error('boom');
        return Promise.resolve();
      },
    });
    sup.started('c', policy);
    sup.exited('c', crash);
    await clock.advanceAsync(1_000);
    expect(calls).toEqual([100, 300]);
  });

  it('on-failure counts failed restarts against the retries and gives up naming the error', async () => {
    const policy: RestartPolicy = { Name: 'on-failure', MaximumRetryCount: 2 };
    const h = harness(policy, () => Object.assign(new Error('exec: "srv": not found'), { exitCode: 127 }));
    h.sup.started('c', policy);
    h.sup.exited('c', crash);
    await h.clock.advanceAsync(120_000);
    expect(h.restarts).toEqual(['c@100', 'c@300']);
    expect(h.sup.restartCount('c')).toBe(2);
    expect(h.sup.isRestarting('c')).toBe(false);
    expect(h.giveUps).toEqual(['c: restart failed: exec: "srv": not found (maximum retry count 2 reached)']);
  });

  it('a failed restart without an exit code of its own still counts as a failure for on-failure', async () => {
    const policy: RestartPolicy = { Name: 'on-failure' };
    const h = harness(policy, (_id, n) => (n === 1 ? Object.assign(new Error('x'), { exitCode: 0 }) : undefined));
    h.sup.started('c', policy);
    h.sup.exited('c', crash);
    await h.clock.advanceAsync(1_000);
    expect(h.restarts).toEqual(['c@100', 'c@300']);
  });

  it('a restart that called started and then failed is one attempt, not two', async () => {
    const policy: RestartPolicy = { Name: 'always' };
    const clock = new FakeClock(0);
    const calls: number[] = [];
    const sup: RestartSupervisor = new RestartSupervisor({
      clock,
      restart: async (id) => {
        calls.push(clock.now());
        sup.started(id, policy);
        if (calls.length === 1) throw new Error('attach failed');
      },
    });
    sup.started('c', policy);
    sup.exited('c', crash);
    await clock.advanceAsync(1_000);
    expect(calls).toEqual([100, 300]);
    expect(sup.restartCount('c')).toBe(2);
  });
});

describe('shouldRestartOnDaemonStart', () => {
  it.each<[RestartPolicy, number, boolean, number, boolean]>([
    [{ Name: 'no' }, 1, false, 0, false],
    [{}, 1, false, 0, false],
    [{ Name: 'always' }, 0, false, 0, true],
    [{ Name: 'always' }, 0, true, 0, true], // always comes back with the daemon even after docker stop
    [{ Name: 'unless-stopped' }, 143, false, 0, true], // stopped by the daemon's own shutdown
    [{ Name: 'unless-stopped' }, 0, true, 0, false],
    [{ Name: 'on-failure' }, 1, false, 7, true],
    [{ Name: 'on-failure' }, 0, false, 0, false],
    [{ Name: 'on-failure', MaximumRetryCount: 3 }, 1, false, 2, true],
    [{ Name: 'on-failure', MaximumRetryCount: 3 }, 1, false, 3, false],
  ])('%j exit %i manuallyStopped=%s restarts=%i → %s', (policy, exitCode, manuallyStopped, restartCount, expected) => {
    expect(shouldRestartOnDaemonStart(policy, { exitCode, manuallyStopped, restartCount })).toBe(expected);
  });
});
