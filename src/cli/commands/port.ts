// `berth port [--protocol tcp|udp|sctp] [--index N] SERVICE PRIVATE_PORT`: thin over src/compose/views.ts.
import { portOf } from '../../compose/views.js';
import { UsageError } from '../../errors.js';
import type { CliIO } from '../io.js';
import { choiceFlag, intFlag, lifecycleContext } from '../lifecycle-context.js';
import type { GlobalFlags } from '../project-options.js';

export async function runPort(globals: GlobalFlags, flags: { protocol?: string; index?: string }, service: string, privatePort: string, io: CliIO): Promise<number> {
  const protocol = choiceFlag('--protocol', flags.protocol, ['tcp', 'udp', 'sctp'] as const) ?? 'tcp';
  const index = intFlag('--index', flags.index);
  if (!/^\d+$/.test(privatePort)) throw new UsageError(`${privatePort}: expected a port number`);
  const c = await lifecycleContext(globals, io, { engine: 'require', services: [service] });
  io.stdout(`${await portOf(c.target, service, privatePort, { protocol, ...(index !== undefined ? { index } : {}) })}\n`);
  return 0;
}
