// `berth top [services]`: thin over src/compose/views.ts.
import { topOf } from '../../compose/views.js';
import { formatTop } from '../format.js';
import type { CliIO } from '../io.js';
import { lifecycleContext } from '../lifecycle-context.js';
import type { GlobalFlags } from '../project-options.js';

export async function runTop(globals: GlobalFlags, services: string[], io: CliIO): Promise<number> {
  io.stdout(formatTop(await topOf((await lifecycleContext(globals, io, { engine: 'observe', services })).target, services)));
  return 0;
}
