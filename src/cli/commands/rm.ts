// `berth rm [-f] [-s] [-v] [services]`: thin over src/compose/lifecycle.ts. Without -f it asks,
// as compose does; without a terminal to ask on, it needs -f.
import { removeContainers } from '../../compose/lifecycle.js';
import { UsageError } from '../../errors.js';
import type { CliIO } from '../io.js';
import { lifecycleContext } from '../lifecycle-context.js';
import type { GlobalFlags } from '../project-options.js';

export async function runRm(globals: GlobalFlags, flags: { force?: boolean; stop?: boolean; volumes?: boolean }, services: string[], io: CliIO): Promise<number> {
  const force = flags.force ?? false;
  const stop = flags.stop ?? false;
  const volumes = flags.volumes ?? false;
  const c = await lifecycleContext(globals, io, { engine: 'change', services });
  const removed = await removeContainers(c, services, {
    force,
    stop,
    volumes,
    confirm: async (names) => {
      io.stderr(`Going to remove ${names.join(', ')}\n`);
      if (!io.stdinIsTTY) throw new UsageError('rm: not removing without confirmation; use -f (--force) when not on a terminal');
      io.stderr('Are you sure? [yN] ');
      const answer = io.readStdin().trim().toLowerCase();
      return answer === 'y' || answer === 'yes';
    },
  });
  if (removed.length === 0) io.stderr('No stopped containers\n');
  return 0;
}
