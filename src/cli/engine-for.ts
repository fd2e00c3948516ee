// The engine a project command talks to, chosen once per command (src/client/select.ts), after
// the command has checked its flags and loaded its files.
//
// Only a command that changes state may start the built-in engine: a read-only one (ps, logs,
// ls…) started a root daemon that kept running afterwards. Each command says which it is.
import { EngineNotRunningError } from '../client/not-running-port.js';
import { selectEngine, type SelectedEngine } from '../client/select.js';
import type { CliIO } from './io.js';
import type { GlobalFlags } from './project-options.js';

/**
 * - `change`: may start the built-in engine (up, create, run, start, stop, down, …);
 * - `observe`: lists what is there; a built-in engine that is not running has nothing to show
 *   (empty output, and a notice on stderr);
 * - `require`: reads from a running engine (events, wait, port, attach): not running is an error.
 */
export type EngineUse = 'change' | 'observe' | 'require';

export async function engineFor(globals: GlobalFlags, io: CliIO, use: EngineUse): Promise<SelectedEngine> {
  const selected = await selectEngine({ engine: globals.engine, env: io.env, cwd: io.cwd, notice: io.stderr, autoStart: use === 'change' });
  if (!selected.running) {
    if (use === 'require') throw new EngineNotRunningError(selected.description);
    io.stderr(`the ${selected.description} is not running: nothing to show\n`);
  }
  return selected;
}
