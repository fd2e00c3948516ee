// `berth events [--json] [services]`: the project's container events until Ctrl-C. Thin over src/compose/views.ts.
import { streamEvents } from '../../compose/views.js';
import type { CliIO } from '../io.js';
import { interruptSignal, lifecycleContext } from '../lifecycle-context.js';
import type { GlobalFlags } from '../project-options.js';

export async function runEvents(globals: GlobalFlags, flags: { json?: boolean }, services: string[], io: CliIO): Promise<number> {
  const c = await lifecycleContext(globals, io);
  const { signal, release } = interruptSignal(io);
  try {
    await streamEvents(c.target, services, flags.json ?? false, io.stdout, signal);
  } finally {
    release();
  }
  return 0;
}
