// `berth kill [-s SIGNAL] [--remove-orphans] [services]`: thin over src/compose/lifecycle.ts.
import { killContainers } from '../../compose/lifecycle.js';
import type { CliIO } from '../io.js';
import { lifecycleContext } from '../lifecycle-context.js';
import type { GlobalFlags } from '../project-options.js';

export async function runKill(globals: GlobalFlags, flags: { signal?: string; removeOrphans?: boolean }, services: string[], io: CliIO): Promise<number> {
  const given = flags.signal ?? 'SIGKILL';
  const signal = /^\d+$/.test(given) || given.startsWith('SIG') ? given : `SIG${given}`;
  const orphans = flags.removeOrphans ?? ['1', 'true'].includes(io.env.COMPOSE_REMOVE_ORPHANS ?? '');
  const c = await lifecycleContext(globals, io, { engine: 'change', services });
  await killContainers(c, services, signal, { orphans });
  return 0;
}
