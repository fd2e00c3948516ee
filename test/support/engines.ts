// One engine per describe block: started before its tests, closed after them (for the built-in
// engine, with the harness's leak check). `onStart` receives it (and can derive clients from it).
import { afterAll, beforeAll } from 'vitest';
import { startDockerd, type DockerdOptions, type PrivateDockerd } from '../compose/dockerd.js';
import { startTestEngine, type TestEngine } from '../engine/daemon-harness.js';

export function useTestEngine(name: string, onStart: (engine: TestEngine) => void | Promise<void>, opts: Parameters<typeof startTestEngine>[1] = {}): void {
  let engine: TestEngine | undefined;
  beforeAll(async () => {
    engine = await startTestEngine(name, opts);
    await onStart(engine);
  }, 120_000);
  afterAll(async () => {
    await engine?.close();
  }, 60_000);
}

export function usePrivateDockerd(name: string, onStart: (dockerd: PrivateDockerd) => void | Promise<void>, opts: DockerdOptions = {}): void {
  let dockerd: PrivateDockerd | undefined;
  beforeAll(async () => {
    dockerd = await startDockerd(name, opts);
    await onStart(dockerd);
  }, 120_000);
  afterAll(async () => {
    await dockerd?.stop();
  }, 60_000);
}
