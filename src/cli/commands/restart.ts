// `berth restart [-t N] [--no-deps] [services]`: thin over src/compose/lifecycle.ts.
import { restartContainers } from '../../compose/lifecycle.js';
import type { CliIO } from '../io.js';
import { intFlag, lifecycleContext } from '../lifecycle-context.js';
import type { GlobalFlags } from '../project-options.js';

export async function runRestart(globals: GlobalFlags, flags: { timeout?: string; deps?: boolean }, services: string[], io: CliIO): Promise<number> {
  const timeout = intFlag('-t', flags.timeout);
  const noDeps = flags.deps === false;
  const c = await lifecycleContext(globals, io, { engine: 'change', services });
  await restartContainers(c, services, timeout, noDeps);
  return 0;
}
