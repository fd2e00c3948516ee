// One engine per describe block: started before its tests, closed after them (for the built-in
// engine, with the harness's leak check). `onStart` receives it (and can derive clients from it).
import { afterAll, beforeAll } from 'vitest';
import { startDockerd, type DockerdOptions, type PrivateDockerd } from '../compose/dockerd.js';
import { startTestEngine, type TestEngine } from '../engine/helpers/daemon-harness.js';

function useStarted<T>(start: () => Promise<T>, stop: (started: T) => Promise<void>, onStart: (started: T) => void | Promise<void>): void {
  let started: T | undefined;
  beforeAll(async () => {
    started = await start();
    await onStart(started);
  }, 120_000);
  afterAll(async () => {
    if (started !== undefined) await stop(started);
  }, 60_000);
}

export function useTestEngine(name: string, onStart: (engine: TestEngine) => void | Promise<void>, opts: Parameters<typeof startTestEngine>[1] = {}): void {
  useStarted(() => startTestEngine(name, opts), (e) => e.close(), onStart);
}

export function usePrivateDockerd(name: string, onStart: (dockerd: PrivateDockerd) => void | Promise<void>, opts: DockerdOptions = {}): void {
  useStarted(() => startDockerd(name, opts), (d) => d.stop(), onStart);
}
