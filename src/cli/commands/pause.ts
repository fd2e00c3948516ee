// `berth pause [services]`: thin over src/compose/lifecycle.ts.
import { pauseContainers } from '../../compose/lifecycle.js';
import type { CliIO } from '../io.js';
import { lifecycleContext } from '../lifecycle-context.js';
import type { GlobalFlags } from '../project-options.js';

export async function runPause(globals: GlobalFlags, services: string[], io: CliIO): Promise<number> {
  await pauseContainers(await lifecycleContext(globals, io, { engine: 'change', services }), services, true);
  return 0;
}
