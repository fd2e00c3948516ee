// `berth wait services...`: blocks until the services' containers stop; exits with the first one's code.
import { waitContainers } from '../../compose/lifecycle.js';
import type { CliIO } from '../io.js';
import { interruptSignal, lifecycleContext } from '../lifecycle-context.js';
import type { GlobalFlags } from '../project-options.js';

export async function runWait(globals: GlobalFlags, services: string[], io: CliIO): Promise<number> {
  const c = await lifecycleContext(globals, io, { engine: 'require', services });
  const { signal, release } = interruptSignal(io);
  try {
    return await waitContainers(c.target, services, signal);
  } finally {
    release();
  }
}
