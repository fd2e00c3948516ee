// `berth stop [-t N] [services]`: thin over src/compose/lifecycle.ts.
import { stopContainers } from '../../compose/lifecycle.js';
import type { CliIO } from '../io.js';
import { intFlag, lifecycleContext } from '../lifecycle-context.js';
import type { GlobalFlags } from '../project-options.js';

export async function runStop(globals: GlobalFlags, flags: { timeout?: string }, services: string[], io: CliIO): Promise<number> {
  const timeout = intFlag('-t', flags.timeout);
  const c = await lifecycleContext(globals, io, { engine: 'change', services });
  await stopContainers(c, services, timeout);
  return 0;
}
