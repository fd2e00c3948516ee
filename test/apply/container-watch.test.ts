// A container that dies while `healthy()` is still asking the engine for its state: the wait fails
// with DependencyFailedError, and nothing else — the rejection of the event-driven half used to
// have no handler until the inspect returned, so Node saw an unhandled rejection and ended the
// process (`berth compare`, after its blast-radius kill, left the layout's stack running).
import { afterEach, describe, expect, it } from 'vitest';
import { ContainerWatch, DependencyFailedError } from '../../src/apply/container-watch.js';
import type { ContainerInspect, EngineEvent, EnginePort } from '../../src/client/engine-port.js';

/** An engine whose event stream the test feeds, and whose inspect answers when the test says. */
function stubEngine() {
  const queued: EngineEvent[] = [];
  let wake: () => void = () => undefined;
  let answer: (v: ContainerInspect) => void = () => undefined;
  let inspectCalled: () => void = () => undefined;
  const inspected = new Promise<void>((resolve) => (inspectCalled = resolve));
  const stub = {
    events: (o: { signal?: AbortSignal }) => ({
      async *[Symbol.asyncIterator]() {
        o.signal?.addEventListener('abort', () => wake());
        while (!o.signal?.aborted) {
          const e = queued.shift();
          if (e) yield e;
          else await new Promise<void>((r) => (wake = r));
        }
      },
    }),
    containers: {
      inspect: () =>
        new Promise<ContainerInspect>((r) => {
          answer = r;
          inspectCalled();
        }),
    },
  };
  return {
    // Only what ContainerWatch.healthy uses.
    port: stub as unknown as EnginePort,
    inspected,
    emit(e: EngineEvent) {
      queued.push(e);
      wake();
    },
    answer: (v: ContainerInspect) => answer(v),
  };
}

const die = (id: string): EngineEvent => ({ Type: 'container', Action: 'die', Actor: { ID: id, Attributes: { exitCode: '137' } }, time: 0, timeNano: 0 });
const starting = { State: { Running: true, ExitCode: 0, Health: { Status: 'starting' } }, Config: { Healthcheck: { Test: ['CMD', 'true'] } } } as unknown as ContainerInspect;

const unhandled: unknown[] = [];
const record = (reason: unknown): void => void unhandled.push(reason);
process.on('unhandledRejection', record);
afterEach(() => {
  unhandled.length = 0;
});

describe('ContainerWatch.healthy', () => {
  it('a die during the state check fails the wait, and leaves no unhandled rejection', async () => {
    const engine = stubEngine();
    const watch = new ContainerWatch(engine.port, 'p', 0);
    const waiting = watch.healthy('db1', 'p-db-1');
    await engine.inspected;
    engine.emit(die('db1'));
    // Long enough for Node to report a rejection nobody handles.
    await new Promise((r) => setTimeout(r, 50));
    engine.answer(starting);
    await expect(waiting).rejects.toThrow(new DependencyFailedError('container p-db-1 exited (137) before it was healthy'));
    await new Promise((r) => setTimeout(r, 10));
    expect(unhandled).toEqual([]);
    await watch.close();
  });

  it('an interrupt during the state check is the same', async () => {
    const engine = stubEngine();
    const watch = new ContainerWatch(engine.port, 'p', 0);
    const abort = new AbortController();
    const waiting = watch.healthy('db1', 'p-db-1', abort.signal);
    await engine.inspected;
    abort.abort();
    await new Promise((r) => setTimeout(r, 50));
    engine.answer(starting);
    await expect(waiting).rejects.toThrow('interrupted while waiting for p-db-1 to be healthy');
    expect(unhandled).toEqual([]);
    await watch.close();
  });
});
