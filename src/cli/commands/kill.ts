// `berth kill [-s SIGNAL] [services]`: thin over src/compose/lifecycle.ts.
import { killContainers } from '../../compose/lifecycle.js';
import type { CliIO } from '../io.js';
import { lifecycleContext } from '../lifecycle-context.js';
import type { GlobalFlags } from '../project-options.js';

export async function runKill(globals: GlobalFlags, flags: { signal?: string }, services: string[], io: CliIO): Promise<number> {
  const c = await lifecycleContext(globals, io);
  const signal = flags.signal ?? 'SIGKILL';
  await killContainers(c, services, /^\d+$/.test(signal) || signal.startsWith('SIG') ? signal : `SIG${signal}`);
  return 0;
}
