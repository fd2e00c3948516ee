// Health checks with Docker's semantics, driven by a FakeClock: probes are fake execs that take
// clock time, so intervals, timeouts and overlap are asserted without sleeping.
import { describe, expect, it } from 'vitest';
import { FakeClock } from '../../support/fake-clock.js';
import {
  formatGoDuration,
  HealthMonitor,
  probeCommand,
  resolveHealthTiming,
  truncateProbeOutput,
  type HealthState,
} from '../../../src/engine/supervise/health.js';
import type { HealthConfig } from '../../../src/engine/backend.js';

const T0 = Date.UTC(2024, 0, 1);
const S = 1_000_000_000; // one second in ns, the unit of the Docker API

/** What one probe does: exit after `takes` ms of clock time, or hang until released by hand. */
type Step = { exitCode: number; output?: string; takes?: number } | { hang: true } | { throws: string } | { rejects: string };

interface Harness {
  clock: FakeClock;
  mon: HealthMonitor;
  /** `seconds-since-T0 argv timeoutMs` of every exec. */
  probes: string[];
  /** `id:Status@seconds` of every onChange. */
  changes: string[];
  seen: HealthState[];
  /** Settles the oldest hung probe. */
  release: (exitCode: number, output?: string) => void;
  sec: () => number;
}

function harness(steps: Step[] | ((n: number) => Step)): Harness {
  const clock = new FakeClock(T0);
  const sec = (): number => (clock.now() - T0) / 1000;
  const probes: string[] = [];
  const changes: string[] = [];
  const seen: HealthState[] = [];
  const hung: ((r: { exitCode: number; output: string }) => void)[] = [];
  const stepAt = (n: number): Step =>
    typeof steps === 'function' ? steps(n) : (steps[n] ?? steps[steps.length - 1] ?? { exitCode: 0 });
  const mon = new HealthMonitor({
    clock,
    exec: (_id, cmd, timeoutMs) => {
      const step = stepAt(probes.length);
      probes.push(`${sec()} ${cmd.join(' ')} ${timeoutMs}`);
      if ('throws' in step) throw new Error(step.throws);
      if ('rejects' in step) return Promise.reject(new Error(step.rejects));
      if ('hang' in step) return new Promise((resolve) => hung.push(resolve));
      return new Promise((resolve) =>
        clock.setTimeout(() => resolve({ exitCode: step.exitCode, output: step.output ?? '' }), step.takes ?? 0),
      );
    },
    onChange: (id, health) => {
      changes.push(`${id}:${health.Status}@${sec()}`);
      seen.push(health);
    },
  });
  const release = (exitCode: number, output = ''): void => {
    const next = hung.shift();
    if (next === undefined) throw new Error('no hung probe');
    next({ exitCode, output });
  };
  return { clock, mon, probes, changes, seen, release, sec };
}

const ok = { exitCode: 0 };
const bad = { exitCode: 1 };
const cmd = (extra: Partial<HealthConfig> = {}): HealthConfig => ({ Test: ['CMD', 'check'], ...extra });
const times = (h: Harness): number[] => h.probes.map((p) => Number(p.split(' ')[0]));

describe('probeCommand', () => {
  it.each<[string[] | undefined, string[] | undefined]>([
    [['CMD', 'curl', '-f', 'http://localhost'], ['curl', '-f', 'http://localhost']],
    [['CMD-SHELL', 'curl -f http://localhost || exit 1'], ['/bin/sh', '-c', 'curl -f http://localhost || exit 1']],
    [['NONE'], undefined],
    [[], undefined],
    [undefined, undefined],
    [['CMD'], undefined],
    [['CMD-SHELL'], undefined],
    [['SHELL', 'true'], undefined],
  ])('%j → %j', (test, argv) => {
    expect(probeCommand(test)).toEqual(argv);
  });
});

describe('resolveHealthTiming and formatGoDuration', () => {
  it('applies Docker defaults for absent, zero and negative values', () => {
    const expected = { intervalMs: 30_000, timeoutMs: 30_000, retries: 3, startPeriodMs: 0, startIntervalMs: 5_000, timeoutText: '30s' };
    expect(resolveHealthTiming(undefined)).toEqual(expected);
    expect(resolveHealthTiming({ Interval: 0, Timeout: 0, Retries: 0, StartPeriod: 0, StartInterval: 0 })).toEqual(expected);
    expect(resolveHealthTiming({ Interval: -1, Retries: -2 })).toEqual(expected);
  });

  it('converts nanoseconds to milliseconds', () => {
    expect(resolveHealthTiming({ Interval: 2 * S, Timeout: 1.5 * S, Retries: 5, StartPeriod: 60 * S, StartInterval: S / 2 })).toEqual({
      intervalMs: 2_000,
      timeoutMs: 1_500,
      retries: 5,
      startPeriodMs: 60_000,
      startIntervalMs: 500,
      timeoutText: '1.5s',
    });
  });

  it.each<[number, string]>([
    [0, '0s'],
    [999, '999ns'],
    [1_500, '1.5µs'],
    [500_000_000, '500ms'],
    [1_250_000, '1.25ms'],
    [S, '1s'],
    [30 * S, '30s'],
    [60 * S, '1m0s'],
    [90.5 * S, '1m30.5s'],
    [3_600 * S, '1h0m0s'],
    [3_723 * S, '1h2m3s'],
    [-2 * S, '-2s'],
  ])('%i ns prints as %s', (ns, text) => {
    expect(formatGoDuration(ns)).toBe(text);
  });
});

describe('truncateProbeOutput', () => {
  it('keeps up to 4096 bytes and marks a cut with "..."', () => {
    expect(truncateProbeOutput('x'.repeat(4096))).toBe('x'.repeat(4096));
    expect(truncateProbeOutput('x'.repeat(5000))).toBe(`${'x'.repeat(4096)}...`);
  });

  it('counts bytes, not characters; a character cut in half becomes U+FFFD', () => {
    const out = truncateProbeOutput(`${'x'.repeat(4095)}é and more`);
    expect(out).toBe(`${'x'.repeat(4095)}\uFFFD...`);
  });
});

describe('HealthMonitor — no checks', () => {
  it.each<[string, HealthConfig | undefined]>([
    ['no config', undefined],
    ['NONE', { Test: ['NONE'] }],
    ['empty test', { Test: [] }],
  ])('%s: no probe ever runs and get() is undefined', async (_label, config) => {
    const h = harness([ok]);
    h.mon.start('c', config);
    await h.clock.advanceAsync(600_000);
    expect(h.probes).toEqual([]);
    expect(h.mon.get('c')).toBeUndefined();
  });

  it('a restart with no runnable test drops an earlier state', async () => {
    const h = harness([ok]);
    h.mon.start('c', cmd());
    h.mon.start('c', { Test: ['NONE'] });
    await h.clock.advanceAsync(600_000);
    expect(h.probes).toEqual([]);
    expect(h.mon.get('c')).toBeUndefined();
  });
});

describe('HealthMonitor — schedule', () => {
  it('first probe one interval after start (default 30 s), then one interval after each probe ends', async () => {
    const h = harness([{ exitCode: 0, takes: 2_000 }]);
    h.mon.start('c', cmd());
    expect(h.mon.get('c')).toEqual({ Status: 'starting', FailingStreak: 0, Log: [] });
    await h.clock.advanceAsync(29_999);
    expect(h.probes).toEqual([]);
    await h.clock.advanceAsync(100_000);
    expect(h.probes).toEqual(['30 check 30000', '62 check 30000', '94 check 30000', '126 check 30000']);
  });

  it('runs CMD-SHELL through /bin/sh -c and passes the configured timeout in ms', async () => {
    const h = harness([ok]);
    h.mon.start('c', { Test: ['CMD-SHELL', 'pg_isready -U postgres'], Interval: S, Timeout: 3 * S });
    await h.clock.advanceAsync(1_000);
    expect(h.probes).toEqual(['1 /bin/sh -c pg_isready -U postgres 3000']);
  });

  it('keeps the schedule of several containers apart', async () => {
    const h = harness([ok]);
    h.mon.start('a', cmd({ Interval: 3 * S }));
    h.clock.advance(1_000);
    h.mon.start('b', cmd({ Interval: 5 * S }));
    await h.clock.advanceAsync(11_000);
    expect(times(h)).toEqual([3, 6, 6, 9, 11, 12]);
    expect(h.changes).toEqual(['a:healthy@3', 'b:healthy@6']);
  });

  it('a container started earlier (restored) uses its real start time for the start period', async () => {
    const h = harness([bad]);
    h.mon.start('c', cmd({ StartPeriod: 60 * S, Interval: 10 * S, Retries: 1 }), T0 - 120_000);
    await h.clock.advanceAsync(10_000);
    expect(times(h)).toEqual([10]);
    expect(h.mon.get('c')?.Status).toBe('unhealthy');
  });
});

describe('HealthMonitor — status', () => {
  it('starting → healthy on the first success; onChange only when Status changes', async () => {
    const h = harness([ok]);
    h.mon.start('c', cmd({ Interval: S }));
    await h.clock.advanceAsync(5_000);
    expect(h.probes).toHaveLength(5);
    expect(h.changes).toEqual(['c:healthy@1']);
    expect(h.mon.get('c')).toMatchObject({ Status: 'healthy', FailingStreak: 0 });
  });

  it('unhealthy after Retries (default 3) consecutive failures; a success resets the streak', async () => {
    const h = harness([bad, bad, bad, bad, ok, bad]);
    h.mon.start('c', cmd({ Interval: S }));
    const streaks: [string | undefined, number | undefined][] = [];
    for (let i = 0; i < 6; i++) {
      await h.clock.advanceAsync(1_000);
      const s = h.mon.get('c');
      streaks.push([s?.Status, s?.FailingStreak]);
    }
    expect(streaks).toEqual([
      ['starting', 1],
      ['starting', 2],
      ['unhealthy', 3],
      ['unhealthy', 4],
      ['healthy', 0],
      ['healthy', 1],
    ]);
    expect(h.changes).toEqual(['c:unhealthy@3', 'c:healthy@5']);
  });

  it('honours a custom Retries', async () => {
    const h = harness([ok, bad]);
    h.mon.start('c', cmd({ Interval: S, Retries: 1 }));
    await h.clock.advanceAsync(2_000);
    expect(h.changes).toEqual(['c:healthy@1', 'c:unhealthy@2']);
  });

  it('treats any non-zero exit code as a failure', async () => {
    const h = harness([{ exitCode: 2 }, { exitCode: 255 }, { exitCode: 137 }]);
    h.mon.start('c', cmd({ Interval: S }));
    await h.clock.advanceAsync(3_000);
    expect(h.mon.get('c')).toMatchObject({ Status: 'unhealthy', FailingStreak: 3 });
  });

  it('gives onChange a copy of the state', async () => {
    const h = harness([ok]);
    h.mon.start('c', cmd({ Interval: S }));
    await h.clock.advanceAsync(1_000);
    const given = h.seen[0];
    expect(given?.Log).toHaveLength(1);
    given?.Log.push({ Start: '', End: '', ExitCode: 9, Output: '' });
    expect(h.mon.get('c')?.Log).toHaveLength(1);
  });
});

describe('HealthMonitor — start period', () => {
  it('probes every StartInterval (default 5 s) while starting; failures there do not count', async () => {
    const h = harness([bad]);
    h.mon.start('c', cmd({ StartPeriod: 20 * S, Interval: 30 * S }));
    await h.clock.advanceAsync(19_999);
    expect(times(h)).toEqual([5, 10, 15]);
    expect(h.mon.get('c')).toMatchObject({ Status: 'starting', FailingStreak: 0 });
    expect(h.mon.get('c')?.Log).toHaveLength(3);
    // The probe at the end of the start period counts, and the normal interval takes over.
    await h.clock.advanceAsync(80_001);
    expect(times(h)).toEqual([5, 10, 15, 20, 50, 80]);
    expect(h.mon.get('c')).toMatchObject({ Status: 'unhealthy', FailingStreak: 3 });
    expect(h.changes).toEqual(['c:unhealthy@80']);
  });

  it('a success within the start period makes it healthy at once', async () => {
    const h = harness([bad, ok]);
    h.mon.start('c', cmd({ StartPeriod: 60 * S, StartInterval: 2 * S }));
    await h.clock.advanceAsync(4_000);
    expect(h.changes).toEqual(['c:healthy@4']);
    expect(h.mon.get('c')?.FailingStreak).toBe(0);
  });

  it('once healthy, failures count even within the start period, at the normal interval but not past its end', async () => {
    const h = harness([ok, bad, bad, bad]);
    h.mon.start('c', cmd({ StartPeriod: 60 * S, StartInterval: 2 * S, Interval: 25 * S }));
    await h.clock.advanceAsync(120_000);
    // 2: healthy; 27: fail; 52: fail; 60 (end of start period): fail → unhealthy; then every 25 s.
    expect(times(h).slice(0, 5)).toEqual([2, 27, 52, 60, 85]);
    expect(h.changes).toEqual(['c:healthy@2', 'c:unhealthy@60']);
  });

  it('the last start-interval probe is shortened to end with the start period', async () => {
    const h = harness([bad]);
    h.mon.start('c', cmd({ StartPeriod: 7 * S, StartInterval: 5 * S, Interval: 30 * S, Retries: 1 }));
    await h.clock.advanceAsync(40_000);
    expect(times(h)).toEqual([5, 7, 37]);
    expect(h.changes).toEqual(['c:unhealthy@7']);
  });

  it('whether a failure counts depends on when the probe started, not when it ended', async () => {
    const h = harness([{ exitCode: 1, takes: 4_000 }]);
    h.mon.start('c', cmd({ StartPeriod: 6 * S, StartInterval: 5 * S, Interval: 10 * S, Retries: 1 }));
    await h.clock.advanceAsync(9_000);
    // Started at 5 (inside), ended at 9 (outside): does not count.
    expect(h.mon.get('c')).toMatchObject({ Status: 'starting', FailingStreak: 0 });
    await h.clock.advanceAsync(14_000);
    expect(h.changes).toEqual(['c:unhealthy@23']);
  });
});

describe('HealthMonitor — timeouts and errors', () => {
  it('a probe exceeding Timeout fails with ExitCode -1 at the timeout; the next waits for the exec to settle', async () => {
    const h = harness([{ hang: true }, ok]);
    h.mon.start('c', cmd({ Interval: 10 * S, Timeout: 2 * S, Retries: 1 }));
    await h.clock.advanceAsync(12_000);
    expect(h.mon.get('c')).toEqual({
      Status: 'unhealthy',
      FailingStreak: 1,
      Log: [
        {
          Start: '2024-01-01T00:00:10.000Z',
          End: '2024-01-01T00:00:12.000Z',
          ExitCode: -1,
          Output: 'Health check exceeded timeout (2s)',
        },
      ],
    });
    // The exec is still running: no second probe, however long it takes.
    await h.clock.advanceAsync(60_000);
    expect(times(h)).toEqual([10]);
    h.release(0, 'late');
    await h.clock.advanceAsync(0);
    // Its late result is not recorded; the interval restarts from its end.
    expect(h.mon.get('c')?.Log).toHaveLength(1);
    await h.clock.advanceAsync(10_000);
    expect(times(h)).toEqual([10, 82]);
    expect(h.changes).toEqual(['c:unhealthy@12', 'c:healthy@82']);
  });

  it('the timeout message uses the default timeout when none is configured', async () => {
    const h = harness([{ hang: true }]);
    h.mon.start('c', cmd({ Interval: S }));
    await h.clock.advanceAsync(31_000);
    expect(h.mon.get('c')?.Log[0]?.Output).toBe('Health check exceeded timeout (30s)');
  });

  it('a probe answering just before the timeout is not a timeout', async () => {
    const h = harness([{ exitCode: 0, takes: 1_999 }]);
    h.mon.start('c', cmd({ Interval: S, Timeout: 2 * S }));
    await h.clock.advanceAsync(3_000);
    expect(h.mon.get('c')?.Log[0]).toMatchObject({ ExitCode: 0 });
  });

  it.each<[string, Step]>([
    ['rejected', { rejects: 'container is not running' }],
    ['thrown', { throws: 'container is not running' }],
  ])('an exec that %s is a failure with ExitCode -1 and the error as output', async (_label, step) => {
    const h = harness([step, ok]);
    h.mon.start('c', cmd({ Interval: S, Retries: 1 }));
    await h.clock.advanceAsync(1_000);
    expect(h.mon.get('c')?.Log[0]).toMatchObject({ ExitCode: -1, Output: 'container is not running' });
    expect(h.mon.get('c')?.Status).toBe('unhealthy');
    await h.clock.advanceAsync(1_000);
    expect(h.mon.get('c')?.Status).toBe('healthy');
  });
});

describe('HealthMonitor — log', () => {
  it('keeps the last 5 results with their start and end times, output truncated', async () => {
    const h = harness((n) => ({ exitCode: n % 2, output: n === 6 ? 'y'.repeat(5000) : `run ${n}`, takes: 250 }));
    h.mon.start('c', cmd({ Interval: S }));
    await h.clock.advanceAsync(7 * 1_250);
    const log = h.mon.get('c')?.Log ?? [];
    expect(log.map((r) => r.Output.slice(0, 5))).toEqual(['run 2', 'run 3', 'run 4', 'run 5', 'yyyyy']);
    expect(log[4]?.Output).toHaveLength(4099);
    expect(log[0]).toEqual({ Start: '2024-01-01T00:00:03.500Z', End: '2024-01-01T00:00:03.750Z', ExitCode: 0, Output: 'run 2' });
  });
});

describe('HealthMonitor — stop, restart, overlap', () => {
  it('stop ends probing, reports unhealthy without an event, and ignores the in-flight result', async () => {
    const h = harness([ok, { hang: true }]);
    h.mon.start('c', cmd({ Interval: S }));
    await h.clock.advanceAsync(2_000);
    expect(h.mon.get('c')?.Status).toBe('healthy');
    h.mon.stop('c');
    h.release(1, 'late');
    await h.clock.advanceAsync(60_000);
    expect(times(h)).toEqual([1, 2]);
    expect(h.mon.get('c')).toMatchObject({ Status: 'unhealthy', FailingStreak: 0 });
    expect(h.mon.get('c')?.Log).toHaveLength(1);
    expect(h.changes).toEqual(['c:healthy@1']);
  });

  it('a restart resets Status and streak but keeps the log; events fire again on the first result', async () => {
    const h = harness([bad, bad, ok]);
    h.mon.start('c', cmd({ Interval: S, Retries: 2 }));
    await h.clock.advanceAsync(2_000);
    expect(h.mon.get('c')?.Status).toBe('unhealthy');
    h.mon.stop('c');
    h.mon.start('c', cmd({ Interval: S, Retries: 2 }));
    expect(h.mon.get('c')).toMatchObject({ Status: 'starting', FailingStreak: 0 });
    expect(h.mon.get('c')?.Log).toHaveLength(2);
    await h.clock.advanceAsync(1_000);
    expect(h.changes).toEqual(['c:unhealthy@2', 'c:healthy@3']);
  });

  it('start without stop restarts the schedule (a restarted container)', async () => {
    const h = harness([ok]);
    h.mon.start('c', cmd({ Interval: 10 * S }));
    await h.clock.advanceAsync(7_000);
    h.mon.start('c', cmd({ Interval: 10 * S }));
    await h.clock.advanceAsync(10_000);
    expect(times(h)).toEqual([17]);
  });

  it('never overlaps probes: a new run waits for the previous run\'s probe, then probes at once', async () => {
    const h = harness([{ hang: true }, ok]);
    h.mon.start('c', cmd({ Interval: S, Timeout: 60 * S }));
    await h.clock.advanceAsync(1_000); // probe 1 starts and hangs
    h.mon.stop('c');
    h.mon.start('c', cmd({ Interval: S, Timeout: 60 * S }));
    await h.clock.advanceAsync(5_000); // the new run's first probe is due at 2 but must wait
    expect(times(h)).toEqual([1]);
    h.release(0);
    await h.clock.advanceAsync(0);
    expect(times(h)).toEqual([1, 6]);
    expect(h.mon.get('c')?.Log).toHaveLength(1);
    expect(h.changes).toEqual(['c:healthy@6']);
  });

  it('a stopped monitor whose old probe settles does not start probing again', async () => {
    const h = harness([{ hang: true }]);
    h.mon.start('c', cmd({ Interval: S }));
    await h.clock.advanceAsync(1_000);
    h.mon.stop('c');
    h.release(0);
    await h.clock.advanceAsync(60_000);
    expect(times(h)).toEqual([1]);
  });

  it('forget drops the state; a later start begins with an empty log', async () => {
    const h = harness([ok]);
    h.mon.start('c', cmd({ Interval: S }));
    await h.clock.advanceAsync(1_000);
    h.mon.forget('c');
    expect(h.mon.get('c')).toBeUndefined();
    await h.clock.advanceAsync(10_000);
    expect(times(h)).toEqual([1]);
    h.mon.start('c', cmd({ Interval: S }));
    expect(h.mon.get('c')?.Log).toEqual([]);
  });

  it('stop and forget of unknown ids are no-ops', () => {
    const h = harness([ok]);
    h.mon.stop('nope');
    h.mon.forget('nope');
    expect(h.mon.get('nope')).toBeUndefined();
  });
});
