// `berth stop [-t N] [services]`: thin over src/compose/lifecycle.ts.
import { stopContainers } from '../../compose/lifecycle.js';
import type { CliIO } from '../io.js';
import { intFlag, lifecycleContext } from '../lifecycle-context.js';
import type { GlobalFlags } from '../project-options.js';

export async function runStop(globals: GlobalFlags, flags: { timeout?: string }, services: string[], io: CliIO): Promise<number> {
  const c = await lifecycleContext(globals, io);
  await stopContainers(c, services, intFlag('-t', flags.timeout));
  return 0;
}
