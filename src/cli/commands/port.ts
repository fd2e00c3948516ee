// `berth port [--protocol tcp|udp] [--index N] SERVICE PRIVATE_PORT`: thin over src/compose/views.ts.
import { portOf } from '../../compose/views.js';
import type { CliIO } from '../io.js';
import { intFlag, lifecycleContext } from '../lifecycle-context.js';
import type { GlobalFlags } from '../project-options.js';

export async function runPort(globals: GlobalFlags, flags: { protocol?: string; index?: string }, service: string, privatePort: string, io: CliIO): Promise<number> {
  const c = await lifecycleContext(globals, io);
  const index = intFlag('--index', flags.index);
  io.stdout(`${await portOf(c.target, service, privatePort, { ...(flags.protocol ? { protocol: flags.protocol } : {}), ...(index !== undefined ? { index } : {}) })}\n`);
  return 0;
}
