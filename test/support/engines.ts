// One engine per describe block: started before its tests, closed after them (for the built-in
// engine, with the harness's leak check). `onStart` receives it (and can derive clients from it).
import Docker from 'dockerode';
import { afterAll, beforeAll } from 'vitest';
import { startDockerd, type DockerdOptions, type PrivateDockerd } from '../compose/dockerd.js';
import { startTestEngine, type TestEngine } from '../engine/helpers/daemon-harness.js';
import { dockerd, engineHost, root, type Prereq } from './gates.js';

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

/** The engines compose scenarios run on: berth's built-in engine and a private dockerd (Debian docker.io). */
export type EngineKind = 'builtin' | 'dockerd';
export const ENGINE_KINDS: readonly EngineKind[] = ['builtin', 'dockerd'];

/** An engine as a compose scenario sees it: where berth points (DOCKER_HOST) and a client to check with. */
export interface ScenarioEngine {
  kind: EngineKind;
  dockerHost: string;
  docker: Docker;
}

export function enginePrereqs(kind: EngineKind): Prereq[] {
  return kind === 'builtin' ? engineHost() : [root(), dockerd()];
}

/** One engine of `kind` for the enclosing describe block (see useTestEngine / usePrivateDockerd). */
export function useEngine(kind: EngineKind, name: string, onStart: (engine: ScenarioEngine) => void): void {
  if (kind === 'builtin') useTestEngine(name, (e) => onStart({ kind, dockerHost: `unix://${e.socketPath}`, docker: new Docker({ socketPath: e.socketPath }) }));
  else usePrivateDockerd(name, (d) => onStart({ kind, dockerHost: d.dockerHost, docker: d.docker }));
}
