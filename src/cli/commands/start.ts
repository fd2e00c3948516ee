// `berth start [services]`: thin over src/compose/lifecycle.ts.
import { startContainers } from '../../compose/lifecycle.js';
import type { CliIO } from '../io.js';
import { lifecycleContext } from '../lifecycle-context.js';
import type { GlobalFlags } from '../project-options.js';

export async function runStart(globals: GlobalFlags, services: string[], io: CliIO): Promise<number> {
  const c = await lifecycleContext(globals, io, { engine: 'change', services });
  await startContainers(c, services);
  return 0;
}
