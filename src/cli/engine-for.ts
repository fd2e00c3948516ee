// The engine a project command talks to, chosen once per command (src/client/select.ts), after
// the command has checked its flags and loaded its files.
//
// Only a command that changes state may start the built-in engine: a read-only one (ps, logs,
// ls…) started a root daemon that kept running afterwards. Each command says which it is.
// The verbs that work on Swarm branch before they get here (src/cli/commands/*-swarm.ts); the
// others act on containers of one engine and refuse Swarm.
import { EngineNotRunningError } from '../client/not-running-port.js';
import { swarmRequested } from '../client/select-swarm.js';
import { selectEngine, type SelectedEngine } from '../client/select.js';
import { UsageError } from '../errors.js';
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
  if (swarmRequested(globals.engine, globals.swarmMode, io.env)) {
    throw new UsageError('this command acts on containers of one engine; on Swarm, berth runs up, down, ps, logs, ls, config, watch and compare (or use --engine docker on a node)');
  }
  const selected = await selectEngine({ engine: globals.engine, env: io.env, cwd: io.cwd, notice: io.stderr, autoStart: use === 'change' });
  if (!selected.running) {
    if (use === 'require') throw new EngineNotRunningError(selected.description);
    io.stderr(`the ${selected.description} is not running: nothing to show\n`);
  }
  return selected;
}
