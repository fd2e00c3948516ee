// The reconcile loop on a manual clock: debounce, coalescing, invalid models and retries,
// with steps that record what they were asked to do. No sleeping anywhere.
import { describe, expect, it } from 'vitest';
import { ComposeError } from '../../src/errors.js';
import { FakeClock } from '../support/fake-clock.js';
import { ReconcileLoop, type CycleReport } from '../../src/watch/loop.js';

/** A stack "file" whose content the test edits; load() reads it, like the loader reads disk. */
function harness(opts: { debounceMs?: number; maxWaitMs?: number } = {}) {
  const clock = new FakeClock(0);
  const state = { file: 'v0', running: 'none', applies: [] as string[], loads: 0, failNext: [] as unknown[] };
  let gate: Promise<void> | undefined;
  const reports: CycleReport<string, string, string>[] = [];
  const loop = new ReconcileLoop<string, string, string>(
    {
      load: () => {
        state.loads++;
        if (state.file.startsWith('broken')) throw new ComposeError('mapping values are not allowed here', { location: { file: 'compose.yaml', line: 3, column: 9 } });
        return state.file;
      },
      plan: async (model) => `${state.running} -> ${model}`,
      execute: async (plan, model) => {
        if (gate) await gate;
        const failure = state.failNext.shift();
        if (failure) throw failure;
        state.applies.push(model);
        state.running = model;
        return plan;
      },
    },
    (r) => reports.push(r),
    { clock, debounceMs: opts.debounceMs ?? 50, maxWaitMs: opts.maxWaitMs, retryInitialMs: 100, retryMaxMs: 400 },
  );
  const hold = () => {
    let release!: () => void;
    gate = new Promise((r) => (release = r));
    return () => {
      gate = undefined;
      release();
    };
  };
  const save = (content: string) => {
    state.file = content;
    loop.markDirty('/p/compose.yaml');
  };
  /** Lets promise callbacks run (the steps are async). */
  const settle = async () => {
    for (let i = 0; i < 20; i++) await Promise.resolve();
  };
  return { clock, state, loop, reports, save, settle, hold };
}

describe('ReconcileLoop', () => {
  it('five saves inside the quiet window are one cycle, applying the last save', async () => {
    const h = harness();
    for (let i = 1; i <= 5; i++) {
      h.save(`v${i}`);
      h.clock.advance(20);
    }
    expect(h.state.loads).toBe(0);
    h.clock.advance(50);
    await h.loop.idle();
    expect(h.state.applies).toEqual(['v5']);
    expect(h.reports).toHaveLength(1);
    expect(h.reports[0]).toMatchObject({ kind: 'applied', plan: 'none -> v5', trigger: { reason: 'change', files: ['/p/compose.yaml'] } });
    // First save at t=0, quiet window ends 50 ms after the last save at t=80.
    expect(h.reports[0].timings.detectMs).toBe(130);
  });

  it('waits for the quiet window: a save 40 ms after another restarts it', async () => {
    const h = harness();
    h.save('v1');
    h.clock.advance(40);
    h.save('v2');
    h.clock.advance(40);
    await h.settle();
    expect(h.state.loads).toBe(0);
    h.clock.advance(10);
    await h.loop.idle();
    expect(h.state.applies).toEqual(['v2']);
  });

  it('a stream of saves that never goes quiet still applies every maxWaitMs', async () => {
    const h = harness({ debounceMs: 50, maxWaitMs: 200 });
    for (let i = 1; i <= 12; i++) {
      h.save(`v${i}`);
      h.clock.advance(30);
      await h.settle();
    }
    // 360 ms of saves 30 ms apart: without maxWait nothing would have run yet.
    expect(h.state.applies.length).toBeGreaterThanOrEqual(1);
    h.clock.advance(50);
    await h.loop.idle();
    expect(h.state.applies.at(-1)).toBe('v12');
  });

  it('saves during an apply coalesce into exactly one more cycle, with the newest model', async () => {
    const h = harness();
    const release = h.hold();
    h.save('v1');
    h.clock.advance(50);
    await h.settle();
    expect(h.state.loads).toBe(1);
    for (const v of ['v2', 'v3', 'v4']) {
      h.save(v);
      h.clock.advance(60);
      await h.settle();
    }
    expect(h.state.loads).toBe(1); // nothing runs beside the cycle in flight
    release();
    await h.loop.idle();
    expect(h.state.applies).toEqual(['v1', 'v4']);
    expect(h.reports.map((r) => r.kind)).toEqual(['applied', 'applied']);
    expect(h.reports[1]).toMatchObject({ plan: 'v1 -> v4' });
  });

  it('an invalid model is reported once with its location, nothing is planned, and the fix applies', async () => {
    const h = harness();
    h.loop.start();
    await h.loop.idle();
    expect(h.state.applies).toEqual(['v0']);
    h.save('broken: [');
    h.clock.advance(50);
    await h.loop.idle();
    expect(h.reports.at(-1)).toMatchObject({ kind: 'invalid' });
    const err = (h.reports.at(-1) as { error: Error }).error;
    expect(err.message).toContain('compose.yaml:3:9');
    expect(h.state.running).toBe('v0');
    h.clock.advance(10_000);
    await h.loop.idle();
    expect(h.reports).toHaveLength(2); // no retry of an invalid model
    h.save('v1');
    h.clock.advance(50);
    await h.loop.idle();
    expect(h.state.applies).toEqual(['v0', 'v1']);
  });

  it('an engine failure is retried with doubling back-off; a user error waits for the next change', async () => {
    const h = harness();
    h.state.failNext.push(new Error('connect ECONNREFUSED'), new Error('connect ECONNREFUSED'));
    h.save('v1');
    h.clock.advance(50);
    await h.settle();
    expect(h.reports.at(-1)).toMatchObject({ kind: 'failed', retryInMs: 100 });
    h.clock.advance(100);
    await h.settle();
    expect(h.reports.at(-1)).toMatchObject({ kind: 'failed', retryInMs: 200 });
    h.clock.advance(200);
    await h.loop.idle();
    expect(h.reports.at(-1)).toMatchObject({ kind: 'applied', trigger: { reason: 'retry' } });
    expect(h.state.applies).toEqual(['v1']);

    h.state.failNext.push(new ComposeError('image "nope" not found'));
    h.save('v2');
    h.clock.advance(50);
    await h.loop.idle();
    expect(h.reports.at(-1)).toMatchObject({ kind: 'failed' });
    expect((h.reports.at(-1) as { retryInMs?: number }).retryInMs).toBeUndefined();
    expect(h.clock.pending()).toBe(0);
  });

  it('close waits for the cycle in flight and ignores later events', async () => {
    const h = harness();
    const release = h.hold();
    h.save('v1');
    h.clock.advance(50);
    await h.settle();
    const closing = h.loop.close();
    h.save('v2');
    release();
    await closing;
    h.clock.advance(1000);
    await h.settle();
    expect(h.state.applies).toEqual(['v1']);
  });
});
