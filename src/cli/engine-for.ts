// The engine a project command talks to, chosen once per command (src/client/select.ts).
import { selectEngine, type SelectedEngine } from '../client/select.js';
import type { CliIO } from './io.js';
import type { GlobalFlags } from './project-options.js';

export async function engineFor(globals: GlobalFlags, io: CliIO): Promise<SelectedEngine> {
  return selectEngine({ engine: globals.engine, env: io.env, cwd: io.cwd, notice: io.stderr });
}

/** Colour when the user did not say never, and stdout is a terminal (or they said always). */
export function wantsColour(globals: GlobalFlags, io: CliIO): boolean {
  if (globals.ansi === 'never' || io.env.NO_COLOR) return false;
  if (globals.ansi === 'always') return true;
  return io.isTTY;
}
