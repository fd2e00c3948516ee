// `berth events [--json] [services]`: the project's container events until Ctrl-C. Thin over src/compose/views.ts;
// printed by src/cli/format.ts.
import { streamEvents } from '../../compose/views.js';
import { composeEvent, formatEvent } from '../format.js';
import type { CliIO } from '../io.js';
import { interruptSignal, lifecycleContext } from '../lifecycle-context.js';
import type { GlobalFlags } from '../project-options.js';

export async function runEvents(globals: GlobalFlags, flags: { json?: boolean }, services: string[], io: CliIO): Promise<number> {
  const json = flags.json ?? false;
  const c = await lifecycleContext(globals, io, { engine: 'require' });
  const { signal, release } = interruptSignal(io);
  try {
    await streamEvents(c.target, services, (e) => io.stdout(json ? `${JSON.stringify(composeEvent(e))}\n` : formatEvent(e)), signal);
  } finally {
    release();
  }
  return 0;
}
