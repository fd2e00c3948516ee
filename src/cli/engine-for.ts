// The engine a project command talks to, chosen once per command (src/client/select.ts).
import { swarmRequested } from '../client/select-swarm.js';
import { selectEngine, type SelectedEngine } from '../client/select.js';
import { UsageError } from '../errors.js';
import type { CliIO } from './io.js';
import type { GlobalFlags } from './project-options.js';

export async function engineFor(globals: GlobalFlags, io: CliIO): Promise<SelectedEngine> {
  // The verbs that work on Swarm branch before they get here; the others act on containers.
  if (swarmRequested(globals.engine, globals.swarmMode, io.env)) {
    throw new UsageError('this command acts on containers of one engine; on Swarm, berth runs up, down, ps, logs, ls, config, watch and compare (or use --engine docker on a node)');
  }
  return selectEngine({ engine: globals.engine, env: io.env, cwd: io.cwd, notice: io.stderr });
}

/** Colour when the user did not say never, and stdout is a terminal (or they said always). */
export function wantsColour(globals: GlobalFlags, io: CliIO): boolean {
  if (globals.ansi === 'never' || io.env.NO_COLOR) return false;
  if (globals.ansi === 'always') return true;
  return io.isTTY;
}
