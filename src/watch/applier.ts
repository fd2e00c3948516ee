// The port between the watch loop and whatever plans and applies a stack: the compose engine's
// observe → plan → execute (compose-applier.ts), or a recording fake in tests. The loop needs the
// plan as data (to report what will be done) and as an action (to do it), separately timed.
import type { LoadedProject } from '../loader/loader.js';

/** One step of a plan in words: `web` `recreate` `config hash changed`. */
export interface StackAction {
  /** A service, `network app_default`, `volume app_data`. */
  target: string;
  action: string;
  cause?: string;
}

export interface StackApplier<P = unknown> {
  /** Desired (the loaded model) × the running stack → the difference. Reads the engine, changes nothing. */
  plan(loaded: LoadedProject): Promise<P>;
  /** The plan's steps, in order, for the report. No-op steps (a running container kept) are left out. */
  describe(plan: P): StackAction[];
  execute(plan: P, loaded: LoadedProject): Promise<void>;
  /** Re-creates these services' containers whatever their hash says (develop.watch `rebuild`). */
  recreate?(loaded: LoadedProject, services: string[]): Promise<void>;
}
